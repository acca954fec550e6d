//! Secrets Manager's errors in its words, and the endpoint's shared errors in its vocabulary
//! (Secrets Manager has no `ClientException`: what the API server refuses is an
//! `InvalidRequestException`; its server error is `InternalServiceError`).

use crate::error::{EcsError, ErrorCode};

pub fn not_found() -> EcsError {
    EcsError::new(ErrorCode::ResourceNotFoundException, "Secrets Manager can't find the specified secret.")
}

/// A version the secret does not have (kube-ecs keeps the current version only).
pub fn version_not_found(what: &str, value: &str) -> EcsError {
    EcsError::new(
        ErrorCode::ResourceNotFoundException,
        format!("Secrets Manager can't find the specified secret value for {what}: {value}"),
    )
}

pub fn exists(name: &str) -> EcsError {
    EcsError::new(
        ErrorCode::ResourceExistsException,
        format!("The operation failed because the secret {name} already exists."),
    )
}

/// A ClientRequestToken naming the current version, with another value.
pub fn exists_version() -> EcsError {
    EcsError::new(
        ErrorCode::ResourceExistsException,
        "You can't modify an existing version, you can only create a new version.",
    )
}

/// The name's Kubernetes Secret is taken by something that is not this secret.
pub fn object_taken(name: &str, object: &str) -> EcsError {
    EcsError::new(
        ErrorCode::ResourceExistsException,
        format!(
            "The operation failed because the Kubernetes Secret {object}, where the secret {name} would be kept, \
             already holds something else (another secret, an SSM parameter or a Secret of another shape; \
             docs/secrets.md)."
        ),
    )
}

pub fn marked_for_deletion() -> EcsError {
    EcsError::new(
        ErrorCode::InvalidRequestException,
        "You can't perform this operation on the secret because it was marked for deletion.",
    )
}

pub fn invalid_parameter(message: impl Into<String>) -> EcsError {
    EcsError::new(ErrorCode::InvalidParameterException, message)
}

pub fn invalid_request(message: impl Into<String>) -> EcsError {
    EcsError::new(ErrorCode::InvalidRequestException, message)
}

/// An error of the shared machinery (the API server's answers, pagination) in Secrets Manager's
/// vocabulary.
pub fn in_secretsmanager_terms(error: EcsError) -> EcsError {
    let code = match error.code {
        ErrorCode::ClientException => ErrorCode::InvalidRequestException,
        ErrorCode::ServerException => ErrorCode::InternalServiceError,
        ErrorCode::InvalidParameterException if error.message.starts_with("Invalid token") => {
            ErrorCode::InvalidNextTokenException
        }
        other => other,
    };
    EcsError { code, ..error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_errors_in_secrets_managers_terms() {
        let cases = [
            (EcsError::client("refused"), ErrorCode::InvalidRequestException),
            (EcsError::server("down"), ErrorCode::InternalServiceError),
            (EcsError::invalid_parameter("Invalid token: x"), ErrorCode::InvalidNextTokenException),
            (EcsError::invalid_parameter("maxResults"), ErrorCode::InvalidParameterException),
            (EcsError::access_denied("no"), ErrorCode::AccessDeniedException),
        ];
        for (error, code) in cases {
            assert_eq!(in_secretsmanager_terms(error).code, code);
        }
    }
}
