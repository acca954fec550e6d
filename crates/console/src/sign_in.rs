//! Operator mode's sign-in, two ways:
//! - a Kubernetes bearer token (a ServiceAccount token from `kubectl create token`, an OIDC ID token
//!   the apiserver accepts): the apiserver checks it (SelfSubjectReview as that token); the
//!   session's client then carries that token and nothing else;
//! - an ECS API access key (ID and secret): checked against the keys the ECS API serves (the binary
//!   hands the endpoint's key store over as [`AccessKeys`], so this crate does not depend on the
//!   endpoint); the session's client impersonates the key's user and groups, as the API does.
//!
//! Either way the operator's own rights never serve a user.
//!
//! The form has no CSRF token (there is no session yet); a login CSRF (another site signing the
//! browser in as the attacker) is refused by the guard's Origin check on every POST.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::identity::{Identity, SignedInWith, bearer_token_client, impersonating_client};
use crate::server::{App, SignIn, start_session};
use crate::views::layout;

/// Whom an ECS API access key stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIdentity {
    pub username: String,
    pub groups: Vec<String>,
    /// Where the key's tasks and services live (its pages open there).
    pub namespace: String,
}

/// The ECS API's access keys, as the console checks them.
pub trait AccessKeys: Send + Sync {
    /// The key's identity when `secret_access_key` is its secret (compared in constant time).
    fn verify(&self, access_key_id: &str, secret_access_key: &str) -> Option<KeyIdentity>;
}

/// The form, with `why` above it; the access-key fields when keys are accepted.
pub fn page(status: StatusCode, why: &str, with_keys: bool) -> Response {
    let body = html! {
        h1 { "Sign in" }
        @if !why.is_empty() { div.error #sign-in-error role="alert" { (why) } }
        form.run-task method="post" action="/sign-in" {
            fieldset {
                legend { "Kubernetes bearer token" }
                label for="token" { "Token (e.g. " code { "kubectl create token <service account>" } ")" }
                textarea #token name="token" rows="5" cols="70" autocomplete="off" {}
            }
            @if with_keys {
                fieldset {
                    legend { "Or an ECS API access key" }
                    label for="access_key_id" { "Access key ID" }
                    input #access_key_id type="text" name="access_key_id" autocomplete="off" size="30";
                    label for="secret_access_key" { "Secret access key" }
                    input #secret_access_key type="password" name="secret_access_key" autocomplete="off" size="50";
                }
            }
            button.primary #sign-in type="submit" { "Sign in" }
        }
    };
    (status, Html(layout::bare("Sign in", body).into_string())).into_response()
}

pub async fn form(State(app): State<Arc<App>>) -> Response {
    match &app.sign_in {
        SignIn::Operator { keys, .. } => page(StatusCode::OK, "", keys.is_some()),
        SignIn::Kubeconfig(_) => (StatusCode::NOT_FOUND, "this console signs in with its printed URL").into_response(),
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    secret_access_key: String,
}

pub async fn submit(State(app): State<Arc<App>>, Form(form): Form<SignInForm>) -> Response {
    let SignIn::Operator { base, keys } = &app.sign_in else {
        return (StatusCode::NOT_FOUND, "this console signs in with its printed URL").into_response();
    };
    let with_keys = keys.is_some();
    let access_key_id = form.access_key_id.trim();
    if let (Some(keys), false) = (keys, access_key_id.is_empty()) {
        // One answer for an unknown key and a wrong secret: the form tells no one which IDs exist.
        let Some(key) = keys.verify(access_key_id, form.secret_access_key.trim()) else {
            return page(StatusCode::UNAUTHORIZED, "This access key ID and secret do not match a key.", with_keys);
        };
        let signed_in_with = SignedInWith::AccessKey { access_key_id: access_key_id.to_string() };
        let identity = match impersonating_client(base, &key.username, &key.groups) {
            Ok(client) => Identity::of(client, signed_in_with).await,
            Err(e) => Err(e),
        };
        return match identity {
            Ok(mut identity) => {
                identity.default_namespace = key.namespace;
                start_session(&app, Arc::new(identity))
            }
            Err(e) => {
                page(StatusCode::UNAUTHORIZED, &format!("The apiserver refused the key's identity: {e}"), with_keys)
            }
        };
    }
    let token = form.token.trim();
    if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return page(StatusCode::BAD_REQUEST, "Paste one token (no spaces).", with_keys);
    }
    let identity = match bearer_token_client(base, token) {
        Ok(client) => Identity::of(client, SignedInWith::BearerToken).await,
        Err(e) => Err(e),
    };
    match identity {
        Ok(identity) => start_session(&app, Arc::new(identity)),
        Err(e) => page(StatusCode::UNAUTHORIZED, &format!("The apiserver did not accept this token: {e}"), with_keys),
    }
}
