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
    /// Something the object refers to does not exist (yet): task definition, cluster, secret.
    #[error("{0}")]
    MissingDependency(String),
    /// Serialising or deserialising an object failed (a bug or a corrupt snapshot).
    #[error("serialization: {0}")]
    Serialization(#[from] serde_json::Error),
}

impl Error {
    /// A bounded label for metrics and the Event reason.
    pub fn category(&self) -> &'static str {
        match self {
            Error::Kube(_) => "KubernetesApiError",
            Error::InvalidSpec(_) => "InvalidSpec",
            Error::MissingDependency(_) => "MissingDependency",
            Error::Serialization(_) => "SerializationError",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
