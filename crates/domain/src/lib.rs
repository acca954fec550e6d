//! ECS semantics as pure functions, the layer under the read model and the controllers.
//!
//! Everything here takes values and returns values: ECS task definitions to Pods and workloads
//! (`translate`), Pod observations to ECS task states (`task_status`, `task_plan`), service rollouts
//! (`service_plan`), node pools and placement (`cluster`), the task security decision
//! (`pod_security`), revision selection (`revisions`) and ECS JSON import (`import`). The crate is
//! built without kube's client or runtime features, so a Kubernetes call here does not compile.

pub mod admission;
pub mod cloud_map_plan;
pub mod cluster;
pub mod ecr;
pub mod ecs_checks;
pub mod event;
pub mod gitops;
pub mod import;
pub mod pod_security;
pub mod refusal;
pub mod registration;
pub mod revisions;
pub mod run_task;
pub mod schedule;
pub mod scheduled_task_plan;
pub mod secrets;
pub mod service_plan;
pub mod service_task;
pub mod task_definition_plan;
pub mod task_plan;
pub mod task_status;
pub mod translate;
pub mod yaml11;

// The layer below, by the names the modules use.
use kube_ecs_api as api;
use kube_ecs_api::labels;
