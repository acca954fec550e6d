//! The ECS API as Kubernetes custom resources (`ecs.kube-ecs.dev/v1alpha1`).
//!
//! The bottom layer of kube-ecs: every other crate may import it, it imports none of them.
//!
//! One file per kind. Field names follow ECS's own JSON (camelCase) so that the `containerDefinitions`
//! of a real task definition can be pasted into a manifest. The spec belongs to the user: the operator
//! writes only `status`, and defaults the user omitted are resolved into status, never into spec.

// kube's `#[kube(printcolumn(...))]` repeats `type_ = ...` by design; clippy reads it as a duplicate.
#![allow(clippy::duplicated_attributes)]

pub mod cloud_map;
pub mod cloud_map_rules;
pub mod cluster;
pub mod common;
pub mod conditions;
pub mod container_instance;
pub mod crdgen;
pub mod ecs;
pub mod ecs_names;
pub mod labels;
pub mod names;
pub mod repository;
pub mod rules;
pub mod scheduled_task;
pub mod scheduled_task_rules;
pub mod schema;
pub mod service;
pub mod status_default;
pub mod task;
pub mod task_definition;
pub mod task_definition_validation;
pub mod task_security;

pub use cloud_map::{DiscoveryNamespace, DiscoveryNamespaceSpec, DiscoveryService, DiscoveryServiceSpec};
pub use cluster::{EcsCluster, EcsClusterSpec, EcsClusterStatus};
pub use container_instance::{ContainerInstance, ContainerInstanceSpec, ContainerInstanceStatus};
pub use repository::{Repository, RepositorySpec, RepositoryStatus};
pub use scheduled_task::{ScheduledTask, ScheduledTaskSpec, ScheduledTaskStatus};
pub use service::{Service, ServiceSpec, ServiceStatus};
pub use task::{Task, TaskSpec, TaskStatus};
pub use task_definition::{TaskDefinition, TaskDefinitionSpec, TaskDefinitionStatus};

/// API group of every kube-ecs resource.
pub const GROUP: &str = "ecs.kube-ecs.dev";
/// The one served and stored version.
pub const VERSION: &str = "v1alpha1";
/// The cluster a Task or Service runs on when it names none, as in ECS.
pub const DEFAULT_CLUSTER: &str = "default";
