//! Cloud Map's errors in its words, and the endpoint's shared errors in its vocabulary: what the API
//! server refuses (CEL included) is `InvalidInput`, as Cloud Map's own checks are; its server
//! error is ECS's ServerException (Cloud Map's model declares none).

use crate::error::{EcsError, ErrorCode};

pub fn invalid(message: impl Into<String>) -> EcsError {
    EcsError::new(ErrorCode::InvalidInput, message)
}

pub fn namespace_not_found(id: &str) -> EcsError {
    EcsError::new(ErrorCode::NamespaceNotFound, format!("Namespace not found: {id}"))
}

pub fn service_not_found(id: &str) -> EcsError {
    EcsError::new(ErrorCode::ServiceNotFound, format!("Service not found: {id}"))
}

/// An error of the shared machinery in Cloud Map's vocabulary.
pub fn in_cloud_map_terms(error: EcsError) -> EcsError {
    let code = match error.code {
        ErrorCode::ClientException | ErrorCode::InvalidParameterException | ErrorCode::ResourceNotFoundException => {
            ErrorCode::InvalidInput
        }
        other => other,
    };
    EcsError { code, ..error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_errors_in_cloud_maps_terms() {
        let cases = [
            (EcsError::client("spec.name: Invalid value"), ErrorCode::InvalidInput),
            (EcsError::invalid_parameter("Invalid token"), ErrorCode::InvalidInput),
            (EcsError::access_denied("forbidden"), ErrorCode::AccessDeniedException),
            (namespace_not_found("ns-1"), ErrorCode::NamespaceNotFound),
        ];
        for (error, code) in cases {
            assert_eq!(in_cloud_map_terms(error).code, code);
        }
    }
}
