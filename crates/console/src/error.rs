//! What a page or a write shows when it fails: the apiserver's own answer (status code and
//! message, which names the user RBAC refused), or the console's reason.

use axum::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The apiserver refused or failed the call: its status and message are what the user sees.
    #[error("{message}")]
    Api { status: u16, message: String },
    /// The request itself is wrong (a form field, a path): shown next to the form.
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The client could not reach the apiserver (network, TLS).
    #[error("the Kubernetes API did not answer: {0}")]
    Unavailable(String),
}

impl ConsoleError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Api { status, .. } => StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY),
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::BAD_GATEWAY,
        }
    }
}

impl From<kube::Error> for ConsoleError {
    fn from(e: kube::Error) -> Self {
        match e {
            kube::Error::Api(status) => {
                let code = status.code;
                Self::Api { status: code, message: status.message }
            }
            other => Self::Unavailable(other.to_string()),
        }
    }
}

pub type Result<T, E = ConsoleError> = std::result::Result<T, E>;
