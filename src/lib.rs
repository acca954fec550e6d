//! kube-ecs: the Amazon ECS model (clusters, task definitions, tasks, services) on Kubernetes.
//!
//! The layers are crates, so an arrow pointing up does not compile:
//! `kube-ecs-api` (types, rules) <- `kube-ecs-domain` (pure ECS semantics) <- `kube-ecs-read-model`
//! (indexed caches) <- `kube-ecs-operator` (controllers) <- this crate (the `kube-ecs` command, the
//! demo). `kube-ecs-local-cluster` (the local control plane of tests, the demo and the benchmarks)
//! stands apart and is imported only here. The re-exports keep one path per module for the binaries
//! and the integration tests.

pub mod cli;
pub mod console;
pub mod console_in_operator;
pub mod demo;
pub mod ecr;
pub mod logs;

pub use kube_ecs_api as api;
pub use kube_ecs_api::{crdgen, labels};
pub use kube_ecs_console as web_console;
pub use kube_ecs_domain::{cluster, import, pod_security, service_plan, task_status, translate};
pub use kube_ecs_endpoint as ecs_api;
pub use kube_ecs_local_cluster as local_cluster;
pub use kube_ecs_operator::{
    apply, context, controllers, crd_install, error, http_server, insights, leader, metrics, rate_limit, signals,
    user_agent,
};
pub use kube_ecs_read_model as caches;
pub use kube_ecs_read_model::revisions;
