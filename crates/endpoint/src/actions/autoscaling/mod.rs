//! Application Auto Scaling's actions (`AnyScaleFrontendService.<Action>`, signed for
//! `application-autoscaling`) for ECS services: the scalable target `ecs:service:DesiredCount` of
//! `service/<cluster>/<service>` is the Service's `spec.autoScaling`, its target-tracking policies are
//! `spec.autoScaling.policies`, its activities the ones the Service controller records in
//! `status.autoScaling`. Everything is read and written through the caller's impersonating client, as
//! kubectl would (RBAC on `services` decides); docs/autoscaling.md says what is served.

mod activities;
mod errors;
mod policies;
mod target;
mod targets;

use super::decode;
use crate::call::Call;
use crate::error::EcsError;

/// Runs `operation` (one of Application Auto Scaling's supported ones) with its checked input;
/// errors in its vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    route!(operation, errors: errors::in_autoscaling_terms, {
        "RegisterScalableTarget" => targets::register(call, decode(&input)?),
        "DescribeScalableTargets" => targets::describe(call, decode(&input)?),
        "DeregisterScalableTarget" => targets::deregister(call, decode(&input)?),
        "PutScalingPolicy" => policies::put(call, decode(&input)?),
        "DescribeScalingPolicies" => policies::describe(call, decode(&input)?),
        "DeleteScalingPolicy" => policies::delete(call, decode(&input)?),
        "DescribeScalingActivities" => activities::describe(call, decode(&input)?),
    })
}
