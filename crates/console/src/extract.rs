//! What a page handler takes from its request, checked here once rather than at the top of each
//! handler:
//!
//! - [`SignedIn`]: the session the request's cookie names; without one, the sign-in page (401).
//! - [`Names`]: the path's segments, every one a Kubernetes object name; else 404 before anything
//!   is asked of the apiserver (a segment is later part of an API path).
//! - [`Posted`]: a state-changing form from a signed-in session whose CSRF token is that
//!   session's; else 403 (the Origin check in `guard` comes first, this one holds without it).
//!
//! Handlers list `Names` before `Posted` (a body is read last), so a path that names nothing
//! answers 404 even to a request without a session: the rule for a name is no secret.

use std::sync::Arc;

use axum::extract::{Form, FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::page::is_name;
use crate::server::{App, not_signed_in};
use crate::session::Session;

/// The signed-in session.
pub struct SignedIn(pub Arc<Session>);

impl FromRequestParts<Arc<App>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        app.sessions.find(&parts.headers).map(SignedIn).ok_or_else(|| not_signed_in(app))
    }
}

/// The path's parameters as `T`, each segment an object name.
pub struct Names<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<Arc<App>> for Names<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let Path(segments) =
            Path::<Vec<(String, String)>>::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        if !segments.iter().all(|(_, value)| is_name(value)) {
            return Err(StatusCode::NOT_FOUND.into_response());
        }
        let Path(names) = Path::<T>::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        Ok(Names(names))
    }
}

/// A form that carries the session's CSRF token (its `_csrf` field).
pub trait CsrfForm {
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfForm`] for forms whose `csrf` field holds the token.
macro_rules! csrf_form {
    ($($form:ty),+) => {
        $(impl $crate::extract::CsrfForm for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_form;

/// The wizard's forms are read as their raw pairs (containers are numbered fields).
impl CsrfForm for Vec<(String, String)> {
    fn csrf(&self) -> &str {
        self.iter().find(|(name, _)| name == "_csrf").map_or("", |(_, value)| value.as_str())
    }
}

/// A state-changing form and the session that sent it, its CSRF token checked.
pub struct Posted<F>(pub Arc<Session>, pub F);

impl<F: CsrfForm + DeserializeOwned + Send> FromRequest<Arc<App>> for Posted<F> {
    type Rejection = Response;

    async fn from_request(request: Request, app: &Arc<App>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let SignedIn(session) = SignedIn::from_request_parts(&mut parts, app).await?;
        let Form(form) = Form::<F>::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        if !session.csrf_matches(form.csrf()) {
            return Err(csrf_refused());
        }
        Ok(Posted(session, form))
    }
}

pub(crate) fn csrf_refused() -> Response {
    (StatusCode::FORBIDDEN, "the form's CSRF token is missing or is not this session's").into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Method, header};
    use axum::routing::{get, post};
    use serde::Deserialize;
    use tower::ServiceExt;

    use super::*;
    use crate::guard::Allowed;
    use crate::identity::{Identity, SignedInWith};
    use crate::server::SignIn;

    fn identity() -> Identity {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        Identity {
            client: kube::Client::try_from(config).expect("client"),
            default_namespace: "default".into(),
            username: "someone".into(),
            groups: vec![],
            signed_in_with: SignedInWith::Kubeconfig,
        }
    }

    #[derive(Deserialize)]
    struct Change {
        #[serde(default, rename = "_csrf")]
        csrf: String,
        #[serde(default)]
        value: String,
    }
    csrf_form!(Change);

    async fn named(SignedIn(_): SignedIn, Names((ns, name)): Names<(String, String)>) -> String {
        format!("{ns}/{name}")
    }

    async fn changed(Names(ns): Names<String>, Posted(_, change): Posted<Change>) -> String {
        format!("{ns}: {}", change.value)
    }

    #[tokio::test]
    async fn a_request_reaches_its_handler_only_signed_in_with_names_and_the_sessions_token() {
        let app = Arc::new(App {
            sessions: crate::session::Sessions::default(),
            allowed: Allowed::loopback(1),
            sign_in: SignIn::Kubeconfig(Arc::new(identity())),
            ecr: Default::default(),
            https: false,
        });
        let cookie = format!("{}={}", crate::session::COOKIE, app.sessions.start(Arc::new(identity())));
        let csrf = app.sessions.find(&{
            let mut h = axum::http::HeaderMap::new();
            h.insert(header::COOKIE, cookie.parse().expect("cookie"));
            h
        });
        let csrf = csrf.expect("the session").csrf.clone();
        let router = Router::new()
            .route("/ns/{ns}/things/{name}", get(named))
            .route("/ns/{ns}/change", post(changed))
            .with_state(app);

        let good = format!("_csrf={csrf}&value=v");
        let cases: [(Method, &str, bool, &str, StatusCode); 9] = [
            (Method::GET, "/ns/team-a/things/web", true, "", StatusCode::OK),
            (Method::GET, "/ns/team-a/things/web", false, "", StatusCode::UNAUTHORIZED),
            (Method::GET, "/ns/Team-A/things/web", true, "", StatusCode::NOT_FOUND),
            (Method::GET, "/ns/team-a/things/..%2Fsecrets", true, "", StatusCode::NOT_FOUND),
            (Method::POST, "/ns/team-a/change", true, &good, StatusCode::OK),
            (Method::POST, "/ns/team-a/change", false, &good, StatusCode::UNAUTHORIZED),
            (Method::POST, "/ns/team-a/change", true, "_csrf=another&value=v", StatusCode::FORBIDDEN),
            (Method::POST, "/ns/team-a/change", true, "value=v", StatusCode::FORBIDDEN),
            (Method::POST, "/ns/-x/change", true, &good, StatusCode::NOT_FOUND),
        ];
        for (method, path, signed_in, body, expected) in cases {
            let mut request = Request::builder()
                .method(method.clone())
                .uri(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if signed_in {
                request = request.header(header::COOKIE, cookie.as_str());
            }
            let request = request.body(Body::from(body.to_string())).expect("request");
            let response = router.clone().oneshot(request).await.expect("response");
            assert_eq!(response.status(), expected, "{method} {path} signed in: {signed_in}, body {body:?}");
        }
    }
}
