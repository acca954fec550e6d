//! PutLifecyclePolicy, GetLifecyclePolicy, DeleteLifecyclePolicy: `spec.lifecyclePolicy`, the
//! policy's JSON as an object. The text is checked by `kube_ecs_domain::ecr::parse`, the parser the
//! CRD's rules and the controller share, so a policy the API takes is one `kubectl apply` takes.

use kube_ecs_api::repository::LifecyclePolicy;
use kube_ecs_wire::ecr as wire;

use super::context::EcrCall;
use super::errors::lifecycle_policy_not_found;
use crate::call::refuse_gitops;
use crate::error::EcsError;
use crate::render::repository::policy_text;

/// The policy text as the Repository's `spec.lifecyclePolicy`, refused in ECR's words (parse's
/// messages carry ECR's whole frame: `Invalid parameter at 'LifecyclePolicyText' ...`).
pub fn policy(text: &str) -> Result<LifecyclePolicy, EcsError> {
    let parsed = kube_ecs_domain::ecr::parse(text).map_err(|e| EcsError::invalid_parameter(e.message))?;
    // The domain's policy serialises as ECR's JSON, the CRD's shape.
    serde_json::from_value(serde_json::Value::from(&parsed))
        .map_err(|e| EcsError::server(format!("the lifecycle policy as the Repository's: {e}")))
}

pub async fn put(
    ecr: &EcrCall<'_>,
    input: wire::PutLifecyclePolicyRequest,
) -> Result<wire::PutLifecyclePolicyResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let name = &input.repository_name;
    let policy = policy(&input.lifecycle_policy_text)?;
    let repository = ecr.existing(name).await?;
    refuse_gitops(&repository.metadata, &format!("The repository {name}"))?;
    let object = repository.metadata.name.clone().unwrap_or_default();
    let patch = serde_json::json!({"spec": {"lifecyclePolicy": policy}});
    ecr.call.merge(&ecr.call.repositories(), &object, &patch).await?;
    Ok(wire::PutLifecyclePolicyResponse {
        registry_id: Some(ecr.registry_id().to_string()),
        repository_name: Some(name.clone()),
        lifecycle_policy_text: Some(input.lifecycle_policy_text),
    })
}

pub async fn get(
    ecr: &EcrCall<'_>,
    input: wire::GetLifecyclePolicyRequest,
) -> Result<wire::GetLifecyclePolicyResponse, EcsError> {
    let name = &input.repository_name;
    let (_, policy, last_evaluated_at) = with_policy(ecr, input.registry_id.as_deref(), name).await?;
    Ok(wire::GetLifecyclePolicyResponse {
        registry_id: Some(ecr.registry_id().to_string()),
        repository_name: Some(name.clone()),
        lifecycle_policy_text: Some(policy),
        last_evaluated_at,
    })
}

pub async fn delete(
    ecr: &EcrCall<'_>,
    input: wire::DeleteLifecyclePolicyRequest,
) -> Result<wire::DeleteLifecyclePolicyResponse, EcsError> {
    let name = &input.repository_name;
    let (repository, policy, last_evaluated_at) = with_policy(ecr, input.registry_id.as_deref(), name).await?;
    refuse_gitops(&repository.metadata, &format!("The repository {name}"))?;
    let object = repository.metadata.name.clone().unwrap_or_default();
    let patch = serde_json::json!({"spec": {"lifecyclePolicy": null}});
    ecr.call.merge(&ecr.call.repositories(), &object, &patch).await?;
    Ok(wire::DeleteLifecyclePolicyResponse {
        registry_id: Some(ecr.registry_id().to_string()),
        repository_name: Some(name.clone()),
        lifecycle_policy_text: Some(policy),
        last_evaluated_at,
    })
}

/// The repository `name`, its policy as text and when it last ran; ECR's
/// LifecyclePolicyNotFoundException when it has none.
async fn with_policy(
    ecr: &EcrCall<'_>,
    registry_id: Option<&str>,
    name: &str,
) -> Result<(kube_ecs_api::repository::Repository, String, Option<kube_ecs_wire::Timestamp>), EcsError> {
    ecr.check_registry(registry_id)?;
    let repository = ecr.existing(name).await?;
    let policy = repository
        .spec
        .lifecycle_policy
        .as_ref()
        .map(policy_text)
        .ok_or_else(|| lifecycle_policy_not_found(name, ecr.registry_id()))?;
    let last_run = repository.status.as_ref().and_then(|s| s.last_lifecycle_run.as_ref());
    let last_evaluated_at = crate::render::timestamp(last_run);
    Ok((repository, policy, last_evaluated_at))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::ErrorCode;

    #[test]
    fn policy_texts_become_the_crds_policy_or_ecrs_refusal() {
        let text = r#"{"rules": [
            {"rulePriority": 2, "description": "untagged go after two weeks",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
             "action": {"type": "expire"}},
            {"rulePriority": 1,
             "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 10},
             "action": {"type": "expire"}}
        ]}"#;
        let parsed = policy(text).expect("a policy");
        // The rules keep the order they were written in.
        assert_eq!(
            serde_json::to_value(&parsed).expect("json"),
            json!({"rules": [
                {"rulePriority": 2, "description": "untagged go after two weeks",
                 "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
                 "action": {"type": "expire"}},
                {"rulePriority": 1,
                 "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 10},
                 "action": {"type": "expire"}}
            ]})
        );
        // What GetLifecyclePolicy answers parses to the same policy.
        assert_eq!(policy(&policy_text(&parsed)).expect("a policy"), parsed);

        let refused = [
            r#"{"rules": []}"#,
            r#"{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}]}"#,
            "not json",
        ];
        for text in refused {
            let error = policy(text).expect_err(text);
            assert_eq!(error.code, ErrorCode::InvalidParameterException, "{text}");
            assert_eq!(error.message, kube_ecs_domain::ecr::parse(text).expect_err(text).message);
            assert!(
                error.message.starts_with("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '"),
                "{error}"
            );
        }
    }
}
