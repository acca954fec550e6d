//! Task: one run of a task-definition revision (ECS `RunTask`), carried out as a Pod.
//!
//! A Task is a record as well as a request: once STOPPED it is never restarted, and it stays visible
//! (with its stop code and every container's exit code) until its retention period ends.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{CapacityProviderStrategyItem, KeyValuePair, NetworkConfiguration, PlacementConstraint, Tag};
use super::task_definition::{EnvironmentFile, ResourceRequirement};

/// A standalone ECS task.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "Task",
    namespaced,
    status = "TaskStatus",
    shortname = "ecstask",
    category = "ecs",
    doc = "A standalone ECS task: one run of a task definition revision, carried out as a Pod.",
    printcolumn(name = "Status", type_ = "string", json_path = ".status.lastStatus"),
    printcolumn(name = "Desired", type_ = "string", json_path = ".spec.desiredStatus"),
    printcolumn(name = "TaskDef", type_ = "string", json_path = ".status.taskDefinition"),
    printcolumn(name = "Health", type_ = "string", json_path = ".status.healthStatus", priority = 1),
    printcolumn(name = "StopCode", type_ = "string", json_path = ".status.stopCode"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    // The console's Tasks tab pages a cluster's running or stopped tasks at the apiserver
    // (`limit`/`continue` with these as field selectors) instead of listing a whole namespace.
    selectable = ".status.cluster",
    selectable = ".status.desiredStatus"
)]
#[serde(rename_all = "camelCase")]
pub struct TaskSpec {
    /// `family` (its latest ACTIVE revision, resolved once when the task starts) or `family:revision`.
    pub task_definition: String,
    /// The EcsCluster to run on (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    // Boxed, as `network_configuration`: most tasks have none, and every cached Task would otherwise
    // hold their full width.
    /// Overrides applied on top of the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Box<TaskOverride>>,
    /// Free-form tag of who started the task (up to 128 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// Task group name, e.g. `family:my-batch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `RUNNING` (default) or `STOPPED`. Setting STOPPED stops the task (ECS `StopTask`); a stopped task
    /// never runs again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_status: Option<crate::ecs::DesiredStatus>,
    /// Why the task was stopped (ECS `StopTask`'s reason), shown in `status.stoppedReason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// Launch type: `EC2` (default), `FARGATE`, `EXTERNAL`. Tasks always run on the cluster's node pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<crate::ecs::LaunchType>,
    /// Which node pools (capacity providers) of the cluster to use and in what proportion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// Placement constraints in addition to the task definition's (up to 10 in total).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// awsvpc network configuration (accepted; pods use the cluster network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<Box<NetworkConfiguration>>,
    /// Metadata tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Whether ECS-managed tags are added (accepted). Spelled as in ECS's JSON.
    #[serde(rename = "enableECSManagedTags", default, skip_serializing_if = "Option::is_none")]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Whether ECS Exec is enabled (accepted; use `kubectl exec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// `TASK_DEFINITION` or `SERVICE` (accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<String>,
    /// Free-form reference ID (accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// Platform version (Fargate; accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
}

/// Overrides of a task definition for one task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskOverride {
    /// Per-container overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_overrides: Vec<ContainerOverride>,
    /// Task-level CPU units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Task-level memory in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Task role for this task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// Execution role for this task (accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
}

/// Overrides for one container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverride {
    /// The container to override (its ECS name).
    pub name: String,
    /// Replaces the container's `command` (Docker CMD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Added to (and overriding same-named) environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    /// Additional environment files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<EnvironmentFile>,
    /// CPU units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<i64>,
    /// Hard memory limit in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    /// Soft memory limit in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i64>,
    /// GPU requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_requirements: Vec<ResourceRequirement>,
}

/// Observed state of a task, as ECS `DescribeTasks` reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING or STOPPED;
    /// only ever moves forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<crate::ecs::TaskLifecycle>,
    /// RUNNING or STOPPED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_status: Option<crate::ecs::DesiredStatus>,
    /// The resolved revision, `family:revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// The EcsCluster object the task runs on (its name, whichever form `spec.cluster` had).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The node pool (capacity provider) the task was placed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_name: Option<String>,
    /// The container instance (Node) the task runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instance: Option<String>,
    /// The Pod carrying out the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// HEALTHY, UNHEALTHY or UNKNOWN, over essential containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<crate::ecs::HealthStatus>,
    /// Why the task stopped: TaskFailedToStart, EssentialContainerExited, UserInitiated,
    /// ServiceSchedulerInitiated, SpotInterruption, TerminationNotice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<crate::ecs::StopCode>,
    /// Human-readable stop reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// Per-container state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerStatus>,
    /// CPU units and memory MiB the task reserves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Memory (MiB) the task reserves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// When the task was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// When the first image pull started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_started_at: Option<Time>,
    /// When the last image pull finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_stopped_at: Option<Time>,
    /// When the task reached RUNNING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When the task began stopping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopping_at: Option<Time>,
    /// When the task's containers stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_stopped_at: Option<Time>,
    /// When the task reached STOPPED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Time>,
    /// Fields of the definition that kube-ecs accepted but does not apply, as JSON paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported_fields: Vec<String>,
    /// `Ready`, `Valid`, `Placed`, `Stalled`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
}

/// One container's state in a task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    /// The ECS container name.
    pub name: String,
    /// The Kubernetes container name it maps to (differs when the ECS name is not a DNS label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_name: Option<String>,
    /// The image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Whether the container is essential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// PENDING, RUNNING or STOPPED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<crate::ecs::ContainerLifecycle>,
    /// Exit code once stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why the container stopped or could not start (CannotPullContainerError, OutOfMemoryError, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// HEALTHY, UNHEALTHY or UNKNOWN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<crate::ecs::HealthStatus>,
}
