//! SSM Parameter Store's actions (`AmazonSSM.<Action>`, signed for `ssm`), over one Kubernetes
//! Secret per parameter in the key's namespace, read and written through the caller's
//! impersonating client: RBAC on `secrets` decides. The Secrets are where a task definition's
//! `secrets[].valueFrom` finds them (`kube_ecs_domain::secrets`). See docs/secrets.md.

mod errors;
mod filters;
mod parameters;
mod record;

use super::decode;
use crate::call::Call;
use crate::error::EcsError;

/// Runs `operation` (one of SSM's supported ones) with its checked input; errors in SSM's vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    route!(operation, errors: errors::in_ssm_terms, {
        "PutParameter" => parameters::put(call, decode(&input)?),
        "GetParameter" => parameters::get(call, decode(&input)?),
        "GetParameters" => parameters::get_many(call, decode(&input)?),
        "GetParametersByPath" => parameters::get_by_path(call, decode(&input)?),
        "DeleteParameter" => parameters::delete(call, decode(&input)?),
        "DeleteParameters" => parameters::delete_many(call, decode(&input)?),
        "DescribeParameters" => parameters::describe(call, decode(&input)?),
    })
}
