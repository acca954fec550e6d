//! Application Auto Scaling's errors in its words, and the endpoint's shared errors in its vocabulary
//! (it has no `ClientException`: what the API server refuses, CEL included, is a
//! `ValidationException`; a write that lost a race is a `ConcurrentUpdateException`; its server error
//! is `InternalServiceException`).

use crate::error::{EcsError, ErrorCode};

/// The message AWS gives for a namespace, resource ID or dimension it does not scale.
pub const UNSUPPORTED: &str = "Unsupported service namespace, resource type or scalable dimension";

pub fn validation(message: impl Into<String>) -> EcsError {
    EcsError::new(ErrorCode::ValidationException, message)
}

/// No scalable target for the resource.
pub fn no_target(resource_id: &str) -> EcsError {
    EcsError::new(
        ErrorCode::ObjectNotFoundException,
        format!(
            "No scalable target registered for service namespace: ecs, resource ID: {resource_id}, scalable dimension: ecs:service:DesiredCount"
        ),
    )
}

pub fn no_policy(resource_id: &str, policy: &str) -> EcsError {
    EcsError::new(
        ErrorCode::ObjectNotFoundException,
        format!(
            "No scaling policy found for service namespace: ecs, resource ID: {resource_id}, scalable dimension: ecs:service:DesiredCount, policy name: {policy}"
        ),
    )
}

/// An error of the shared machinery in Application Auto Scaling's vocabulary.
pub fn in_autoscaling_terms(error: EcsError) -> EcsError {
    let code = match error.code {
        ErrorCode::ClientException if error.message.contains("the object has been modified") => {
            ErrorCode::ConcurrentUpdateException
        }
        ErrorCode::ClientException | ErrorCode::InvalidParameterException => {
            if error.message.starts_with("Invalid token") {
                ErrorCode::InvalidNextTokenException
            } else {
                ErrorCode::ValidationException
            }
        }
        ErrorCode::ServerException => ErrorCode::InternalServiceException,
        other => other,
    };
    EcsError { code, ..error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_errors_in_application_auto_scalings_terms() {
        let cases = [
            (EcsError::client("spec.autoScaling: Invalid value"), ErrorCode::ValidationException),
            (
                EcsError::client(
                    "Operation cannot be fulfilled: the object has been modified; please apply your changes",
                ),
                ErrorCode::ConcurrentUpdateException,
            ),
            (
                EcsError::invalid_parameter("Invalid token: nextToken is not one this endpoint gave."),
                ErrorCode::InvalidNextTokenException,
            ),
            (EcsError::server("down"), ErrorCode::InternalServiceException),
            (EcsError::access_denied("no"), ErrorCode::AccessDeniedException),
        ];
        for (error, code) in cases {
            assert_eq!(in_autoscaling_terms(error).code, code);
        }
    }
}
