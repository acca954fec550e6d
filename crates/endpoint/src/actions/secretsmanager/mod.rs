//! Secrets Manager's actions (`secretsmanager.<Action>`, signed for `secretsmanager`), over one
//! Kubernetes Secret per secret in the key's namespace, read and written through the caller's
//! impersonating client: RBAC on `secrets` decides. The Secrets are where a task definition's
//! `secrets[].valueFrom` finds them (`kube_ecs_domain::secrets`). See docs/secrets.md.

mod errors;
mod filters;
mod record;
mod secrets;

use super::decode;
use crate::call::Call;
use crate::error::EcsError;

/// Runs `operation` (one of Secrets Manager's supported ones) with its checked input; errors in
/// Secrets Manager's vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    route!(operation, errors: errors::in_secretsmanager_terms, {
        "CreateSecret" => secrets::create(call, decode(&input)?),
        "GetSecretValue" => secrets::get_value(call, decode(&input)?),
        "PutSecretValue" => secrets::put_value(call, decode(&input)?),
        "UpdateSecret" => secrets::update(call, decode(&input)?),
        "DescribeSecret" => secrets::describe(call, decode(&input)?),
        "ListSecrets" => secrets::list(call, decode(&input)?),
        "DeleteSecret" => secrets::delete(call, decode(&input)?),
        "TagResource" => secrets::tag(call, decode(&input)?),
        "UntagResource" => secrets::untag(call, decode(&input)?),
    })
}
