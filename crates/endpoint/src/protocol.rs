//! The AWS JSON 1.1 protocol: which service and action a request calls (`X-Amz-Target`) and its
//! JSON input, checked against that service's botocore model before any action sees it. ECS, ECR,
//! Secrets Manager and SSM share the endpoint; the target's prefix tells them apart.

use kube_ecs_wire as wire;
use kube_ecs_wire::model::Model;

use crate::error::{EcsError, ErrorCode};

/// A service served on the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Ecs,
    Ecr,
    SecretsManager,
    Ssm,
    Logs,
    /// EventBridge Scheduler: restJson1, found by its path (rest.rs), not by a target.
    Scheduler,
    /// Application Auto Scaling (ECS services' scalable targets and policies).
    AutoScaling,
    /// Cloud Map (the namespaces and services ECS services register their tasks in).
    CloudMap,
}

impl Service {
    /// The services told apart by `X-Amz-Target` (AWS JSON 1.1).
    pub(crate) const TARGETED: [Service; 7] = [
        Service::Ecs,
        Service::Ecr,
        Service::SecretsManager,
        Service::Ssm,
        Service::Logs,
        Service::AutoScaling,
        Service::CloudMap,
    ];

    /// The `X-Amz-Target` prefix (`<prefix>.<Action>`).
    pub fn target_prefix(self) -> &'static str {
        match self {
            Service::Ecs => wire::TARGET_PREFIX,
            Service::Ecr => wire::ecr::TARGET_PREFIX,
            Service::SecretsManager => wire::secretsmanager::TARGET_PREFIX,
            Service::Ssm => wire::ssm::TARGET_PREFIX,
            Service::Logs => wire::logs::TARGET_PREFIX,
            Service::Scheduler => "",
            Service::AutoScaling => wire::application_autoscaling::TARGET_PREFIX,
            Service::CloudMap => wire::servicediscovery::TARGET_PREFIX,
        }
    }

    /// The SigV4 service name clients sign with (the AWS CLI: `ecs`, `ecr`, `secretsmanager`, `ssm`).
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Ecs => "ecs",
            Service::Ecr => "ecr",
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "ssm",
            Service::Logs => "logs",
            Service::Scheduler => "scheduler",
            Service::AutoScaling => "application-autoscaling",
            Service::CloudMap => "servicediscovery",
        }
    }

    /// The model requests and responses are checked against.
    pub fn model(self) -> &'static Model {
        match self {
            Service::Ecs => wire::model::ecs(),
            Service::Ecr => wire::ecr::model(),
            Service::SecretsManager => wire::secretsmanager::model(),
            Service::Ssm => wire::ssm::model(),
            Service::Logs => wire::logs::model(),
            Service::Scheduler => wire::scheduler::model(),
            Service::AutoScaling => wire::application_autoscaling::model(),
            Service::CloudMap => wire::servicediscovery::model(),
        }
    }

    /// Where the served actions are listed, for messages.
    pub(crate) fn docs(self) -> &'static str {
        match self {
            Service::Ecs => "docs/ecs-api.md",
            Service::Ecr => "docs/ecr.md",
            Service::SecretsManager | Service::Ssm => "docs/secrets.md",
            Service::Logs => "docs/logs-and-secrets.md",
            Service::Scheduler => "docs/scheduled-tasks.md",
            Service::AutoScaling => "docs/autoscaling.md",
            Service::CloudMap => "docs/mapping.md",
        }
    }

    pub(crate) fn supported(self) -> &'static [&'static str] {
        match self {
            Service::Ecs => wire::SUPPORTED_OPERATIONS,
            Service::Ecr => wire::ecr::SUPPORTED_OPERATIONS,
            Service::SecretsManager => wire::secretsmanager::SUPPORTED_OPERATIONS,
            Service::Ssm => wire::ssm::SUPPORTED_OPERATIONS,
            Service::Logs => wire::logs::SUPPORTED_OPERATIONS,
            Service::Scheduler => wire::scheduler::SUPPORTED_OPERATIONS,
            Service::AutoScaling => wire::application_autoscaling::SUPPORTED_OPERATIONS,
            Service::CloudMap => wire::servicediscovery::SUPPORTED_OPERATIONS,
        }
    }

    fn all(self) -> &'static [&'static str] {
        match self {
            Service::Ecs => wire::ALL_OPERATIONS,
            Service::Ecr => wire::ecr::ALL_OPERATIONS,
            Service::SecretsManager => wire::secretsmanager::ALL_OPERATIONS,
            Service::Ssm => wire::ssm::ALL_OPERATIONS,
            Service::Logs => wire::logs::ALL_OPERATIONS,
            Service::Scheduler => wire::scheduler::ALL_OPERATIONS,
            Service::AutoScaling => wire::application_autoscaling::ALL_OPERATIONS,
            Service::CloudMap => wire::servicediscovery::ALL_OPERATIONS,
        }
    }

    /// The service whose target prefix starts `target`, if one does.
    fn of_target(target: &str) -> Option<Service> {
        Service::TARGETED
            .into_iter()
            .find(|s| target.strip_prefix(s.target_prefix()).is_some_and(|rest| rest.starts_with('.')))
    }
}

/// An action of a service, one kube-ecs serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    pub service: Service,
    pub name: &'static str,
}

/// The service a request's signature must be scoped to: the target's, and ECS's when the target
/// names no service (the request is refused later for its target, once its signature is checked, so
/// signature errors come first whatever the target).
pub fn signing_service(target: Option<&str>) -> Service {
    target.map(str::trim).and_then(Service::of_target).unwrap_or(Service::Ecs)
}

/// The action named by `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>` (ECS) or
/// `AmazonEC2ContainerRegistry_V20150921.<Action>` (ECR), `secretsmanager.<Action>` (Secrets Manager)
/// or `AmazonSSM.<Action>` (SSM), `Logs_20140328.<Action>` (CloudWatch Logs), if kube-ecs serves it;
/// any other target is the UnknownOperationException naming it.
pub fn operation(target: Option<&str>) -> Result<Operation, EcsError> {
    let Some(target) = target.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(EcsError::new(
            ErrorCode::UnknownOperationException,
            "Missing X-Amz-Target: say which action to call (AmazonEC2ContainerServiceV20141113.<Action>).",
        ));
    };
    let Some(service) = Service::of_target(target) else {
        return Err(EcsError::new(
            ErrorCode::UnknownOperationException,
            format!(
                "Unknown target {target:?}: this endpoint serves {}.",
                Service::TARGETED.map(Service::target_prefix).join(", ")
            ),
        ));
    };
    let action = &target[service.target_prefix().len() + 1..];
    if let Some(name) = service.supported().iter().find(|op| **op == action) {
        return Ok(Operation { service, name });
    }
    let message = if service.all().contains(&action) {
        format!("The action {action} is not supported by kube-ecs ({} lists the supported actions).", service.docs())
    } else {
        let service_name = service.model().service();
        let article = if matches!(service, Service::SecretsManager | Service::Logs) { "a" } else { "an" };
        format!("The action {action} is not {article} {service_name} action.")
    };
    Err(EcsError::new(ErrorCode::UnknownOperationException, message))
}

/// The request's JSON input, checked against the operation's input shape (types, required
/// members, enums). An empty body is `{}`, as botocore sends for actions without members.
pub fn input(operation: Operation, body: &[u8]) -> Result<serde_json::Value, EcsError> {
    let model = operation.service.model();
    let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            EcsError::new(ErrorCode::SerializationException, format!("The request body is not valid JSON: {e}"))
        })?
    };
    model.check_input(operation.name, &value).map_err(|e| {
        EcsError::new(ErrorCode::parse(e.code).unwrap_or(ErrorCode::InvalidParameterException), e.message)
    })?;
    // Null members and `2.0` for an integer are valid JSON 1.1 input: read as absent and 2, for the
    // typed shapes and for the members passed on to the resources alike.
    let mut value = value;
    model.normalize_input(operation.name, &mut value);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecs(name: &'static str) -> Operation {
        Operation { service: Service::Ecs, name }
    }

    fn ecr(name: &'static str) -> Operation {
        Operation { service: Service::Ecr, name }
    }

    #[test]
    fn targets() {
        assert_eq!(operation(Some("AmazonEC2ContainerServiceV20141113.RunTask")), Ok(ecs("RunTask")));
        assert_eq!(operation(Some("AmazonEC2ContainerRegistry_V20150921.DescribeImages")), Ok(ecr("DescribeImages")));
        assert_eq!(
            operation(Some("secretsmanager.GetSecretValue")),
            Ok(Operation { service: Service::SecretsManager, name: "GetSecretValue" })
        );
        assert_eq!(
            operation(Some("AmazonSSM.PutParameter")),
            Ok(Operation { service: Service::Ssm, name: "PutParameter" })
        );
        let cases = [
            (None, "Missing X-Amz-Target"),
            (Some("AmazonEC2ContainerServiceV20141113.StartTask"), "not supported by kube-ecs (docs/ecs-api.md"),
            (Some("AmazonEC2ContainerServiceV20141113.Frobnicate"), "not an ECS action"),
            (
                Some("AmazonEC2ContainerRegistry_V20150921.PutImage"),
                "PutImage is not supported by kube-ecs (docs/ecr.md",
            ),
            (Some("AmazonEC2ContainerRegistry_V20150921.Frobnicate"), "not an ECR action"),
            (Some("AmazonEC2ContainerRegistry_V20150921"), "Unknown target"),
            (Some("AmazonEC2ContainerServiceV20141113X.RunTask"), "Unknown target"),
            (Some("DynamoDB_20120810.ListTables"), "Unknown target"),
            (Some("secretsmanager.RotateSecret"), "RotateSecret is not supported by kube-ecs (docs/secrets.md"),
            (Some("secretsmanager.Frobnicate"), "not a Secrets Manager action"),
            (Some("AmazonSSM.SendCommand"), "SendCommand is not supported by kube-ecs (docs/secrets.md"),
            (Some("AmazonSSM.Frobnicate"), "not an SSM action"),
        ];
        for (target, message) in cases {
            let error = operation(target).expect_err(message);
            assert_eq!(error.code, ErrorCode::UnknownOperationException);
            assert!(error.message.contains(message), "{target:?}: {error}");
        }
    }

    #[test]
    fn signatures_are_scoped_to_the_targets_service() {
        let cases = [
            (Some("AmazonEC2ContainerRegistry_V20150921.ListImages"), "ecr"),
            (Some(" AmazonEC2ContainerRegistry_V20150921.Nope "), "ecr"),
            (Some("AmazonEC2ContainerServiceV20141113.RunTask"), "ecs"),
            (Some("secretsmanager.CreateSecret"), "secretsmanager"),
            (Some("AmazonSSM.GetParameter"), "ssm"),
            (Some("Logs_20140328.FilterLogEvents"), "logs"),
            (Some("DynamoDB_20120810.ListTables"), "ecs"),
            (None, "ecs"),
        ];
        for (target, service) in cases {
            assert_eq!(signing_service(target).signing_name(), service, "{target:?}");
        }
    }

    #[test]
    fn cloudwatch_logs_targets() {
        assert_eq!(
            operation(Some("Logs_20140328.GetLogEvents")),
            Ok(Operation { service: Service::Logs, name: "GetLogEvents" })
        );
        for (target, message) in [
            ("Logs_20140328.PutLogEvents", "PutLogEvents is not supported by kube-ecs (docs/logs-and-secrets.md"),
            ("Logs_20140328.Frobnicate", "The action Frobnicate is not a CloudWatch Logs action."),
        ] {
            let error = operation(Some(target)).expect_err(message);
            assert_eq!(error.code, ErrorCode::UnknownOperationException);
            assert!(error.message.contains(message), "{target:?}: {error}");
        }
    }

    #[test]
    fn application_auto_scaling_targets() {
        assert_eq!(
            operation(Some("AnyScaleFrontendService.PutScalingPolicy")),
            Ok(Operation { service: Service::AutoScaling, name: "PutScalingPolicy" })
        );
        assert_eq!(
            signing_service(Some("AnyScaleFrontendService.PutScalingPolicy")).signing_name(),
            "application-autoscaling"
        );
        for (target, message) in [
            (
                "AnyScaleFrontendService.PutScheduledAction",
                "PutScheduledAction is not supported by kube-ecs (docs/autoscaling.md",
            ),
            ("AnyScaleFrontendService.Frobnicate", "The action Frobnicate is not an Application Auto Scaling action."),
        ] {
            let error = operation(Some(target)).expect_err(message);
            assert_eq!(error.code, ErrorCode::UnknownOperationException);
            assert!(error.message.contains(message), "{target:?}: {error}");
        }
    }

    #[test]
    fn bodies() {
        assert_eq!(input(ecs("ListClusters"), b"").unwrap(), serde_json::json!({}));
        assert_eq!(input(ecs("ListClusters"), b"{").unwrap_err().code, ErrorCode::SerializationException);
        assert_eq!(
            input(ecs("ListClusters"), br#"{"maxResults": 2.0, "nextToken": null}"#).unwrap(),
            serde_json::json!({"maxResults": 2})
        );
        assert_eq!(input(ecs("RunTask"), b"{}").unwrap_err().code, ErrorCode::InvalidParameterException);
        assert_eq!(
            input(ecs("RunTask"), br#"{"taskDefinition": "web", "count": "3"}"#).unwrap_err().code,
            ErrorCode::SerializationException
        );
    }

    #[test]
    fn ecr_bodies_are_checked_against_ecrs_model_in_its_words() {
        let error = input(ecr("CreateRepository"), b"{}").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidParameterException);
        assert_eq!(
            error.message,
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'"
        );
        assert_eq!(
            input(ecr("ListImages"), br#"{"repositoryName": "web", "maxResults": 5.0}"#).unwrap(),
            serde_json::json!({"repositoryName": "web", "maxResults": 5})
        );
    }
}
