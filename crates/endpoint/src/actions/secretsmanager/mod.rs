//! Secrets Manager's actions (`secretsmanager.<Action>`, signed for `secretsmanager`), over one
//! Kubernetes Secret per secret in the key's namespace, read and written through the caller's
//! impersonating client: RBAC on `secrets` decides. The Secrets are where a task definition's
//! `secrets[].valueFrom` finds them (`kube_ecs_domain::secrets`). See docs/secrets.md.

mod errors;
mod filters;
mod record;
mod secrets;

use super::{decode, encode};
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};

/// Runs `operation` (one of Secrets Manager's supported ones) with its checked input; errors in
/// Secrets Manager's vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    macro_rules! route {
        ($($name:literal => $action:path),* $(,)?) => {
            match operation {
                $($name => encode($action(call, decode(&input)?).await?),)*
                other => Err(EcsError::new(
                    ErrorCode::UnknownOperationException,
                    format!("The action {other} is not supported by kube-ecs (docs/secrets.md lists the supported actions)."),
                )),
            }
        };
    }
    let result = async {
        route! {
            "CreateSecret" => secrets::create,
            "GetSecretValue" => secrets::get_value,
            "PutSecretValue" => secrets::put_value,
            "UpdateSecret" => secrets::update,
            "DescribeSecret" => secrets::describe,
            "ListSecrets" => secrets::list,
            "DeleteSecret" => secrets::delete,
            "TagResource" => secrets::tag,
            "UntagResource" => secrets::untag,
        }
    }
    .await;
    result.map_err(errors::in_secretsmanager_terms)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_the_model_serves_is_routed() {
        // The routes above, by name: a supported operation without a route would answer
        // UnknownOperationException, which this keeps from happening silently.
        let source = include_str!("mod.rs");
        for operation in kube_ecs_wire::secretsmanager::SUPPORTED_OPERATIONS {
            assert!(source.contains(&format!("\"{operation}\" => ")), "{operation} has no route");
        }
    }
}
