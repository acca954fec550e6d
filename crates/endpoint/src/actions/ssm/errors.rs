//! SSM's errors in its words, and the endpoint's shared errors in its vocabulary (SSM has no
//! `ClientException` nor `InvalidParameterException`: what the API server refuses or the endpoint
//! finds invalid is a `ValidationException`; its server error is `InternalServerError`).

use crate::error::{EcsError, ErrorCode};

pub fn validation(message: impl Into<String>) -> EcsError {
    EcsError::new(ErrorCode::ValidationException, message)
}

/// SSM answers a missing parameter with no message; kube-ecs names it.
pub fn not_found(name: &str) -> EcsError {
    EcsError::new(ErrorCode::ParameterNotFound, format!("Parameter {name} not found."))
}

pub fn already_exists() -> EcsError {
    EcsError::new(
        ErrorCode::ParameterAlreadyExists,
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
}

/// The name's Kubernetes Secret is taken by something that is not this parameter.
pub fn object_taken(name: &str, object: &str) -> EcsError {
    EcsError::new(
        ErrorCode::ParameterAlreadyExists,
        format!(
            "The Kubernetes Secret {object}, where the parameter {name} would be kept, already holds something \
             else (another parameter, a Secrets Manager secret or a Secret of another shape; docs/secrets.md)."
        ),
    )
}

pub fn version_not_found(name: &str, selector: &str) -> EcsError {
    EcsError::new(
        ErrorCode::ParameterVersionNotFound,
        format!(
            "Systems Manager could not find version {selector} of {name}. kube-ecs keeps the current version of a \
             parameter only. Verify the version and try again."
        ),
    )
}

/// An error of the shared machinery (the API server's answers, pagination) in SSM's vocabulary.
pub fn in_ssm_terms(error: EcsError) -> EcsError {
    let code = match error.code {
        ErrorCode::ClientException => ErrorCode::ValidationException,
        ErrorCode::ServerException => ErrorCode::InternalServerError,
        ErrorCode::InvalidParameterException if error.message.starts_with("Invalid token") => {
            ErrorCode::InvalidNextToken
        }
        ErrorCode::InvalidParameterException => ErrorCode::ValidationException,
        other => other,
    };
    EcsError { code, ..error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_errors_in_ssms_terms() {
        let cases = [
            (EcsError::client("refused"), ErrorCode::ValidationException),
            (EcsError::server("down"), ErrorCode::InternalServerError),
            (EcsError::invalid_parameter("Invalid token: x"), ErrorCode::InvalidNextToken),
            (EcsError::invalid_parameter("maxResults"), ErrorCode::ValidationException),
            (EcsError::access_denied("no"), ErrorCode::AccessDeniedException),
        ];
        for (error, code) in cases {
            assert_eq!(in_ssm_terms(error).code, code);
        }
    }
}
