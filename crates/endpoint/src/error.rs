//! ECS's, ECR's, Secrets Manager's and SSM's errors: an error type from their (and AWS JSON 1.1's)
//! vocabulary and their message. Every client error is HTTP 400 (413 for an oversize body), so
//! clients do not retry bad input; only the endpoint's own failures (the apiserver unreachable) are 5xx.

use std::fmt;

macro_rules! error_codes {
    ($($code:ident),* $(,)?) => {
        /// An error type on the wire (`__type`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode { $($code),* }

        impl ErrorCode {
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$code),*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$code => stringify!($code)),* }
            }
        }
    };
}

error_codes!(
    // ECS's own.
    AccessDeniedException,
    ClientException,
    ClusterContainsContainerInstancesException,
    ClusterContainsServicesException,
    ClusterContainsTasksException,
    ClusterNotFoundException,
    InvalidParameterException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ServerException,
    ServiceNotActiveException,
    ServiceNotFoundException,
    UnsupportedFeatureException,
    // ECR's own (InvalidParameterException, LimitExceededException and ServerException are shared).
    ImageNotFoundException,
    InvalidTagParameterException,
    LifecyclePolicyNotFoundException,
    RepositoryAlreadyExistsException,
    RepositoryNotEmptyException,
    RepositoryNotFoundException,
    TooManyTagsException,
    ValidationException,
    // Secrets Manager's own (InvalidParameterException, LimitExceededException, ResourceNotFoundException
    // and ValidationException are shared); InternalServiceError is its ServerException.
    InternalServiceError,
    InvalidNextTokenException,
    InvalidRequestException,
    ResourceExistsException,
    // SSM's own (Parameter Store's actions); InternalServerError is its ServerException.
    HierarchyLevelLimitExceededException,
    InternalServerError,
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    InvalidKeyId,
    InvalidNextToken,
    ParameterAlreadyExists,
    ParameterNotFound,
    ParameterPatternMismatchException,
    ParameterVersionNotFound,
    UnsupportedParameterType,
    // CloudWatch Logs' own (InvalidParameterException and ResourceNotFoundException are shared).
    ResourceAlreadyExistsException,
    // EventBridge Scheduler's own (ResourceNotFoundException and ValidationException are shared);
    // InternalServerException is its ServerException.
    ConflictException,
    InternalServerException,
    // Application Auto Scaling's own (ValidationException, LimitExceededException and
    // InvalidNextTokenException are shared); InternalServiceException is its ServerException.
    ConcurrentUpdateException,
    InternalServiceException,
    ObjectNotFoundException,
    // Cloud Map's own (ResourceInUse is not ECS's ResourceInUseException).
    DuplicateRequest,
    InvalidInput,
    NamespaceAlreadyExists,
    NamespaceNotFound,
    OperationNotFound,
    ResourceInUse,
    ServiceAlreadyExists,
    ServiceNotFound,
    // The AWS JSON protocol's and SigV4's.
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    RequestEntityTooLargeException,
    SerializationException,
    ThrottlingException,
    UnknownOperationException,
    UnrecognizedClientException,
);

impl ErrorCode {
    /// The HTTP status: 400 for the client's errors, 413 for an oversize body, 500 for the endpoint's
    /// (ServerException, and its names in Secrets Manager's and SSM's vocabularies).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::ServerException
            | ErrorCode::InternalServiceError
            | ErrorCode::InternalServerError
            | ErrorCode::InternalServerException
            | ErrorCode::InternalServiceException => 500,
            ErrorCode::RequestEntityTooLargeException => 413,
            _ => 400,
        }
    }

    /// Parses a wire name (SigV4 and the model checks report codes as strings).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ECS error: its type and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcsError {
    pub code: ErrorCode,
    pub message: String,
}

impl EcsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn client(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ClientException, message)
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterException, message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDeniedException, message)
    }

    pub fn cluster_not_found() -> Self {
        Self::new(ErrorCode::ClusterNotFoundException, "Cluster not found.")
    }

    pub fn service_not_found() -> Self {
        Self::new(ErrorCode::ServiceNotFoundException, "Service not found.")
    }

    pub fn server(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServerException, message)
    }

    /// The JSON body: `{"__type": ..., "message": ...}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"__type": self.code.as_str(), "message": self.message})
    }
}

impl fmt::Display for EcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for EcsError {}

/// An apiserver error as ECS's: what RBAC refuses is AccessDenied, what validation (CRD schema, CEL,
/// admission) refuses is a ClientException with the apiserver's own text (the text kubectl shows),
/// and an apiserver that cannot be reached is the endpoint's failure.
pub fn from_kube(error: &kube::Error) -> EcsError {
    match error {
        kube::Error::Api(status) => match status.code {
            401 | 403 => EcsError::access_denied(status.message.clone()),
            400 | 409 | 422 => EcsError::client(status.message.clone()),
            404 => EcsError::new(ErrorCode::ResourceNotFoundException, status.message.clone()),
            429 => EcsError::new(ErrorCode::ThrottlingException, status.message.clone()),
            _ => EcsError::server(format!("the Kubernetes API server answered: {}", status.message)),
        },
        other => EcsError::server(format!("the Kubernetes API server could not be reached: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        assert_eq!(ErrorCode::ClusterNotFoundException.as_str(), "ClusterNotFoundException");
        assert_eq!(ErrorCode::parse("InvalidSignatureException"), Some(ErrorCode::InvalidSignatureException));
        assert_eq!(ErrorCode::parse("Nope"), None);
        for code in ErrorCode::ALL {
            let status = code.http_status();
            let server = [
                ErrorCode::ServerException,
                ErrorCode::InternalServiceError,
                ErrorCode::InternalServerError,
                ErrorCode::InternalServerException,
                ErrorCode::InternalServiceException,
            ];
            assert!(status == 400 || status == 413 || server.contains(code), "{code}");
        }
        let body = EcsError::cluster_not_found().body();
        assert_eq!(body, serde_json::json!({"__type": "ClusterNotFoundException", "message": "Cluster not found."}));
    }
}
