//! CloudWatch Logs' errors in its words, and the endpoint's shared errors in its vocabulary (it has
//! no `ClientException`: what the API server refuses is an `InvalidParameterException` there).

use crate::error::{EcsError, ErrorCode};

pub fn group_not_found() -> EcsError {
    EcsError::new(ErrorCode::ResourceNotFoundException, "The specified log group does not exist.")
}

pub fn stream_not_found() -> EcsError {
    EcsError::new(ErrorCode::ResourceNotFoundException, "The specified log stream does not exist.")
}

pub fn group_exists() -> EcsError {
    EcsError::new(ErrorCode::ResourceAlreadyExistsException, "The specified log group already exists")
}

pub fn invalid_token() -> EcsError {
    EcsError::invalid_parameter("The specified nextToken is invalid.")
}

/// The endpoint's errors as CloudWatch Logs names them.
pub fn in_logs_terms(error: EcsError) -> EcsError {
    match error.code {
        ErrorCode::ClientException => EcsError { code: ErrorCode::InvalidParameterException, ..error },
        _ => error,
    }
}
