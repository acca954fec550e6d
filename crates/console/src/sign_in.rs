//! Operator mode's sign-in: a Kubernetes bearer token (a ServiceAccount token from `kubectl create
//! token`, an OIDC ID token the apiserver accepts) typed into a form. The apiserver checks it
//! (SelfSubjectReview as that token); the session's client then carries that token and nothing
//! else, so the operator's own rights never serve a user.
//!
//! The form has no CSRF token (there is no session yet); a login CSRF (another site signing the
//! browser in as the attacker) is refused by the guard's Origin check on every POST.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::identity::{Identity, SignedInWith, bearer_token_client};
use crate::server::{App, SignIn, start_session};
use crate::views::layout;

/// The form, with `why` above it.
pub fn page(status: StatusCode, why: &str) -> Response {
    let body = html! {
        h1 { "Sign in" }
        @if !why.is_empty() { div.error #sign-in-error role="alert" { (why) } }
        form.run-task method="post" action="/sign-in" {
            fieldset {
                legend { "Kubernetes bearer token" }
                label for="token" { "Token (e.g. " code { "kubectl create token <service account>" } ")" }
                textarea #token name="token" rows="5" cols="70" autocomplete="off" {}
            }
            button.primary #sign-in type="submit" { "Sign in" }
        }
    };
    (status, Html(layout::bare("Sign in", body).into_string())).into_response()
}

pub async fn form(State(app): State<Arc<App>>) -> Response {
    match app.sign_in {
        SignIn::BearerToken { .. } => page(StatusCode::OK, ""),
        SignIn::Kubeconfig(_) => (StatusCode::NOT_FOUND, "this console signs in with its printed URL").into_response(),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

pub async fn submit(State(app): State<Arc<App>>, Form(form): Form<TokenForm>) -> Response {
    let SignIn::BearerToken { base } = &app.sign_in else {
        return (StatusCode::NOT_FOUND, "this console signs in with its printed URL").into_response();
    };
    let token = form.token.trim();
    if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return page(StatusCode::BAD_REQUEST, "Paste one token (no spaces).");
    }
    let identity = match bearer_token_client(base, token) {
        Ok(client) => Identity::of(client, SignedInWith::BearerToken).await,
        Err(e) => Err(e),
    };
    match identity {
        Ok(identity) => start_session(&app, Arc::new(identity)),
        Err(e) => page(StatusCode::UNAUTHORIZED, &format!("The apiserver did not accept this token: {e}")),
    }
}
