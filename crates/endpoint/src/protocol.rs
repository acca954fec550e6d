//! The AWS JSON 1.1 protocol: which action a request calls (`X-Amz-Target`) and its JSON input,
//! checked against botocore's model before any action sees it.

use kube_ecs_wire as wire;

use crate::error::{EcsError, ErrorCode};

/// The action named by `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>`, if kube-ecs
/// serves it; any other target is ECS's UnknownOperationException naming it.
pub fn operation(target: Option<&str>) -> Result<&'static str, EcsError> {
    let Some(target) = target.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(EcsError::new(
            ErrorCode::UnknownOperationException,
            "Missing X-Amz-Target: say which action to call (AmazonEC2ContainerServiceV20141113.<Action>).",
        ));
    };
    let action = target.strip_prefix(wire::TARGET_PREFIX).and_then(|rest| rest.strip_prefix('.')).ok_or_else(|| {
        EcsError::new(
            ErrorCode::UnknownOperationException,
            format!("Unknown target {target:?}: this endpoint serves {}.", wire::TARGET_PREFIX),
        )
    })?;
    if let Some(supported) = wire::SUPPORTED_OPERATIONS.iter().find(|op| **op == action) {
        return Ok(supported);
    }
    let message = if wire::ALL_OPERATIONS.contains(&action) {
        format!("The action {action} is not supported by kube-ecs (docs/ecs-api.md lists the supported actions).")
    } else {
        format!("The action {action} is not an ECS action.")
    };
    Err(EcsError::new(ErrorCode::UnknownOperationException, message))
}

/// The request's JSON input, checked against the operation's input shape (types, required
/// members, enums). An empty body is `{}`, as botocore sends for actions without members.
pub fn input(operation: &str, body: &[u8]) -> Result<serde_json::Value, EcsError> {
    let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            EcsError::new(ErrorCode::SerializationException, format!("The request body is not valid JSON: {e}"))
        })?
    };
    wire::model::check_input(operation, &value).map_err(|e| {
        EcsError::new(ErrorCode::parse(e.code).unwrap_or(ErrorCode::InvalidParameterException), e.message)
    })?;
    // Null members and `2.0` for an integer are valid JSON 1.1 input: read as absent and 2, for the
    // typed shapes and for the members passed on to the resources alike.
    let mut value = value;
    wire::model::normalize_input(operation, &mut value);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(operation(Some("AmazonEC2ContainerServiceV20141113.RunTask")), Ok("RunTask"));
        let cases = [
            (None, "Missing X-Amz-Target"),
            (Some("AmazonEC2ContainerServiceV20141113.CreateCapacityProvider"), "not supported by kube-ecs"),
            (Some("AmazonEC2ContainerServiceV20141113.Frobnicate"), "not an ECS action"),
            (Some("DynamoDB_20120810.ListTables"), "Unknown target"),
        ];
        for (target, message) in cases {
            let error = operation(target).expect_err(message);
            assert_eq!(error.code, ErrorCode::UnknownOperationException);
            assert!(error.message.contains(message), "{error}");
        }
    }

    #[test]
    fn bodies() {
        assert_eq!(input("ListClusters", b"").unwrap(), serde_json::json!({}));
        assert_eq!(input("ListClusters", b"{").unwrap_err().code, ErrorCode::SerializationException);
        assert_eq!(
            input("ListClusters", br#"{"maxResults": 2.0, "nextToken": null}"#).unwrap(),
            serde_json::json!({"maxResults": 2})
        );
        assert_eq!(input("RunTask", b"{}").unwrap_err().code, ErrorCode::InvalidParameterException);
        assert_eq!(
            input("RunTask", br#"{"taskDefinition": "web", "count": "3"}"#).unwrap_err().code,
            ErrorCode::SerializationException
        );
    }
}
