//! The front's refusals, as the registry API words them: a status, an error code and ECR's message.
//!
//! Bodies are `{"errors":[{"code","message","detail"}]}`; clients print `CODE: message`, so the
//! messages are ECR's own where ECR has one (a user searching for the text finds ECR's docs).

use http::{HeaderValue, Response, StatusCode, header};
use serde_json::json;

use super::request::{Body, full};
use crate::routes::RouteError;

/// Every answer says which API it speaks (clients check it on `/v2/`).
pub const API_VERSION_HEADER: &str = "docker-distribution-api-version";
pub const API_VERSION: &str = "registry/2.0";

/// A refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Set for 401s: the challenge telling the client to authenticate, and how.
    pub challenge: Option<String>,
}

impl RegistryError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), challenge: None }
    }

    pub fn unauthorized(realm: &str, message: impl Into<String>) -> Self {
        // Quotes would end the realm early; registry hosts never hold them, but a config might.
        let realm = realm.replace('"', "");
        Self {
            challenge: Some(format!("Basic realm=\"{realm}\"")),
            ..Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
        }
    }

    pub fn expired(realm: &str) -> Self {
        Self::unauthorized(realm, "Your authorization token has expired. Reauthenticate and try again.")
    }

    pub fn name_unknown(name: &str, registry_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            format!("The repository with name '{name}' does not exist in the registry with id '{registry_id}'"),
        )
    }

    pub fn denied(user: &str, action: &str, region: &str, registry_id: &str, name: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "DENIED",
            format!(
                "User: {user} is not authorized to perform: ecr:{action} on resource: \
                 arn:aws:ecr:{region}:{registry_id}:repository/{name}"
            ),
        )
    }

    pub fn catalog() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "DENIED",
            "Listing repositories through the registry API is not supported; use the ECR API's DescribeRepositories.",
        )
    }

    pub fn method_unsupported(method: &http::Method) -> Self {
        let message = if *method == http::Method::DELETE {
            "Deleting through the registry API is not supported; use the ECR API's BatchDeleteImage.".to_string()
        } else {
            format!("The registry API does not support {method} here.")
        };
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED", message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "The registry API has no such path.")
    }

    pub fn tag_immutable(tag: &str, name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "TAG_INVALID",
            format!(
                "The image tag '{tag}' already exists in the '{name}' repository and cannot be overwritten \
                 because the repository is immutable."
            ),
        )
    }

    pub fn manifest_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "MANIFEST_INVALID",
            format!("The manifest is larger than {} MiB, the most the registry accepts.", limit / (1024 * 1024)),
        )
    }

    pub fn manifest_unreadable(reason: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MANIFEST_INVALID", format!("Reading the manifest: {reason}."))
    }

    /// Something between the front and the registry under failed; the details go to the log, not
    /// to the client (they name internal addresses).
    pub fn upstream() -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "UNKNOWN", "The registry could not serve the request; try again later.")
    }

    pub fn authorizer() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "The registry could not check the request's permissions; try again later.",
        )
    }

    /// The answer carrying this refusal.
    pub fn response(&self) -> Response<Body> {
        let body = json!({ "errors": [{ "code": self.code, "message": self.message, "detail": null }] });
        let mut response = Response::new(full(body.to_string()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
        if let Some(value) = self.challenge.as_deref().and_then(|c| HeaderValue::from_str(c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<RouteError> for RegistryError {
    fn from(error: RouteError) -> Self {
        RegistryError::new(StatusCode::BAD_REQUEST, error.code(), error.to_string())
    }
}
