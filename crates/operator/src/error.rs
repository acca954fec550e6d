//! Reconcile errors, each with a bounded category used as a metric label and an Event reason.

/// What can go wrong while reconciling.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Kubernetes API failed or refused a request (transient: retried with backoff).
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The object cannot be reconciled until the user changes something (reported, not retried hot).
    #[error("{0}")]
    InvalidSpec(String),
    /// Serialising or deserialising an object failed (a bug or a corrupt snapshot).
    #[error("serialization: {0}")]
    Serialization(#[from] serde_json::Error),
    /// The image registry under ECR failed a call (transient: retried with backoff).
    #[error("registry: {0}")]
    Registry(String),
}

impl Error {
    /// A refusal by the API server that no retry can fix: the request itself is invalid, forbidden
    /// or too large. Conflicts (409), throttling (429), missing objects (404) and 5xx are transient.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Error::Kube(kube::Error::Api(status)) if matches!(status.code, 400 | 403 | 413 | 422))
    }

    /// The reconcile step that failed. Observing reads only the read model and cannot fail, so an
    /// API error is the apply step's; a spec or serialisation error is the plan's.
    pub fn step(&self) -> &'static str {
        match self {
            Error::Kube(_) | Error::Registry(_) => "apply",
            Error::InvalidSpec(_) | Error::Serialization(_) => "plan",
        }
    }

    /// A bounded label for metrics and the Event reason.
    pub fn category(&self) -> &'static str {
        match self {
            _ if self.is_permanent() => "PermanentApiError",
            Error::Kube(_) => "KubernetesApiError",
            Error::InvalidSpec(_) => "InvalidSpec",
            Error::Serialization(_) => "SerializationError",
            Error::Registry(_) => "RegistryError",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
