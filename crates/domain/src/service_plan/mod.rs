//! Pure planning for the Service controller: rolling-update bounds, the workload objects, and the
//! ECS deployment bookkeeping (deployments, circuit breaker, events).

pub mod autoscaling;
pub mod counts;
#[cfg(test)]
mod fixtures;
pub mod load_balancing;
pub mod observe;
pub mod placement_failure;
pub mod reconcile;
pub mod rolling;
pub mod rollout;
pub mod service_connect;
pub mod service_discovery;
pub mod workload;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::conditions::Conditions;
use crate::api::ecs::ServiceState;
use crate::api::service::ServiceStatus;

/// A service that cannot deploy until the user changes something (its definition does not resolve,
/// the security policy refuses it, ...): still ACTIVE as an ECS service, refused by `condition`,
/// with its workload left as it was.
pub fn refuse(
    status: &mut ServiceStatus,
    generation: Option<i64>,
    condition: &str,
    reason: &str,
    message: &str,
    now: &Time,
) {
    status.observed_generation = generation;
    status.status.get_or_insert(ServiceState::Active);
    Conditions::of(&mut status.conditions, generation, now).refused(condition, reason, message);
}
