//! Pure planning for the Service controller: rolling-update bounds, the workload objects, and the
//! ECS deployment bookkeeping (deployments, circuit breaker, events).

pub mod counts;
pub mod placement_failure;
pub mod rolling;
pub mod rollout;
pub mod workload;
