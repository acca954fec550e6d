//! Service: keep `desiredCount` tasks of a task definition running (ECS `CreateService`), as a
//! Deployment (REPLICA) or DaemonSet (DAEMON), with ECS's deployments, circuit breaker and events.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{CapacityProviderStrategyItem, NetworkConfiguration, PlacementConstraint, PlacementStrategy, Tag};

/// An ECS service.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "Service",
    namespaced,
    status = "ServiceStatus",
    shortname = "ecssvc",
    shortname = "esvc",
    category = "ecs",
    doc = "An ECS service: keeps desiredCount tasks of a task definition running, with rolling deployments.",
    scale(
        spec_replicas_path = ".spec.desiredCount",
        status_replicas_path = ".status.runningCount",
        label_selector_path = ".status.selector"
    ),
    printcolumn(name = "Desired", type_ = "integer", json_path = ".spec.desiredCount"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.runningCount"),
    printcolumn(name = "Pending", type_ = "integer", json_path = ".status.pendingCount"),
    printcolumn(name = "TaskDef", type_ = "string", json_path = ".status.taskDefinition"),
    printcolumn(name = "Rollout", type_ = "string", json_path = ".status.rolloutState"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// ECS's service name; informational (the object's name is the service's name here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// `family` (follows the latest ACTIVE revision: a new revision starts a new deployment) or
    /// `family:revision` (pinned).
    pub task_definition: String,
    /// The EcsCluster to run on (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Number of tasks to keep running (REPLICA; default 1). Target of `kubectl scale` and HPAs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// `REPLICA` (default) or `DAEMON` (one task on every container instance of the cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_strategy: Option<crate::ecs::SchedulingStrategy>,
    /// Launch type (`EC2` default); tasks always run on the cluster's node pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<crate::ecs::LaunchType>,
    /// Rolling deployment parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// `ECS` (rolling; the only one supported), `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<DeploymentController>,
    /// Load balancers: each names a container port exposed through a Kubernetes Service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancers: Vec<LoadBalancer>,
    /// Service discovery registries: each names a container port exposed through a Kubernetes Service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_registries: Vec<ServiceRegistry>,
    /// Seconds after a task starts during which failing health checks are ignored (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i32>,
    /// Placement constraints (up to 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// Placement strategies (up to 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_strategy: Vec<PlacementStrategy>,
    /// Which node pools (capacity providers) of the cluster to use and in what proportion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// awsvpc network configuration (accepted; pods use the cluster network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// Platform version (Fargate; accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// `TASK_DEFINITION`, `SERVICE` or `NONE` (accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<String>,
    /// Whether ECS-managed tags are added (accepted). Spelled as in ECS's JSON.
    #[serde(rename = "enableECSManagedTags", default, skip_serializing_if = "Option::is_none")]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Whether ECS Exec is enabled (accepted; use `kubectl exec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// `ENABLED` or `DISABLED` (accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<String>,
    /// Service Connect: each published port (`services[].portName`) becomes a ClusterIP Service named
    /// after its discovery name, and every task of the namespace's Service Connect services finds the
    /// client aliases (`dnsName:port`) in its /etc/hosts (docs/mapping.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub service_connect_configuration: Option<serde_json::Value>,
    /// Volume configurations supplied at deployment (accepted and reported as not applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub volume_configurations: Option<serde_json::Value>,
    /// Metadata tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Service auto scaling (Application Auto Scaling's scalable target `ecs:service:DesiredCount` and
    /// its target-tracking policies), run as a HorizontalPodAutoscaler on the service's Deployment.
    /// While set, the task count is the autoscaler's, between minCapacity and maxCapacity; desiredCount
    /// stays as written and takes over again when autoScaling is removed. REPLICA services only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<AutoScaling>,
}

/// A service's scalable target and its scaling policies.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScaling {
    /// Fewest tasks (ECS MinCapacity), at least 1.
    pub min_capacity: i32,
    /// Most tasks (ECS MaxCapacity), at least minCapacity.
    pub max_capacity: i32,
    /// Target-tracking policies (up to 10). With several, the service scales out when any policy asks
    /// and in only when every policy agrees, as Application Auto Scaling does. None: the count is only
    /// held between minCapacity and maxCapacity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<ScalingPolicy>,
    /// Scaling suspended in one direction (ECS SuspendedState).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_state: Option<SuspendedState>,
}

/// A target-tracking scaling policy on a predefined ECS metric.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScalingPolicy {
    /// The policy's name, unique within the service.
    pub policy_name: String,
    /// The metric tracked: the service's average CPU or memory utilisation, as a percentage of the
    /// task's CPU or memory reservation.
    pub predefined_metric_type: crate::ecs::PredefinedMetricType,
    /// The utilisation to keep the service at, in percent (greater than 0, at most 100).
    pub target_value: f64,
    /// Seconds after a scale-out before the next one may go as far again (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<i32>,
    /// Seconds the metric must stay below target before tasks are removed (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<i32>,
    /// Never remove tasks for this policy (and so never scale in while it is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}

/// Scaling suspended in one direction.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedState {
    /// No scale-in by the policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_scaling_in_suspended: Option<bool>,
    /// No scale-out by the policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_scaling_out_suspended: Option<bool>,
    /// Accepted (kube-ecs has no scheduled scaling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_scaling_suspended: Option<bool>,
}

/// How a deployment replaces tasks.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfiguration {
    /// Upper limit on running + pending tasks during a deployment, as a percent of desiredCount,
    /// rounded down (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_percent: Option<i32>,
    /// Lower limit on healthy running tasks during a deployment, as a percent of desiredCount, rounded
    /// up (default 100; DAEMON 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_percent: Option<i32>,
    /// Stops a deployment whose tasks keep failing, optionally rolling back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// CloudWatch alarms (accepted and reported as not applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub alarms: Option<serde_json::Value>,
}

/// The deployment circuit breaker.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentCircuitBreaker {
    /// Turn the circuit breaker on.
    pub enable: bool,
    /// Roll back to the last COMPLETED deployment when the breaker trips.
    pub rollback: bool,
}

/// The deployment controller type.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// A load balancer target: the container port that receives traffic.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    /// ELB target group ARN (recorded as an annotation on the Kubernetes Service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// Classic load balancer name (recorded as an annotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    /// The container (ECS name) receiving traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// The container port receiving traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
}

/// A service discovery registry entry.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRegistry {
    /// Cloud Map service ARN (recorded as an annotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_arn: Option<String>,
    /// Port for SRV records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// The container (ECS name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// The container port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
}

/// Observed state of a service, as ECS `DescribeServices` reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// ACTIVE, DRAINING or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::ecs::ServiceState>,
    /// The PRIMARY deployment's revision, `family:revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// Tasks the service wants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Tasks in RUNNING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Tasks in PENDING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// The PRIMARY deployment's rolloutState.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<crate::ecs::RolloutState>,
    /// Label selector of the service's pods (for the scale subresource and HPAs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// PRIMARY and ACTIVE deployments, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<ServiceDeployment>,
    /// Service events, newest first, bounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ServiceEvent>,
    /// Recently stopped tasks with their stop codes and exit codes, newest first, bounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopped_tasks: Vec<StoppedTaskRecord>,
    /// Fields accepted for compatibility that kube-ecs does not act on, as JSON paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported_fields: Vec<String>,
    /// The last revision whose deployment COMPLETED: where the circuit breaker rolls back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_completed_task_definition: Option<String>,
    /// A revision whose deployment tripped the circuit breaker: not deployed again until the spec
    /// names another revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_task_definition: Option<String>,
    /// metadata.generation of the Deployment/DaemonSet after kube-ecs last applied it: a different
    /// generation means someone else changed its spec, and kube-ecs restores its fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_generation: Option<i64>,
    /// Deployments started so far (numbers deployment IDs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_count: Option<i64>,
    /// Auto scaling as it runs: the autoscaler, its last choice and the scaling activities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<AutoScalingStatus>,
    /// `Ready`, `Valid`, `Reconciling`, `Stalled`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
}

/// Auto scaling as it runs (Application Auto Scaling's DescribeScalingActivities reads it).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingStatus {
    /// The HorizontalPodAutoscaler kube-ecs made (none when no policy applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal_pod_autoscaler: Option<String>,
    /// Policies with their metric's current value, in percent of the reservation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicyStatus>,
    /// Scaling activities, newest first, bounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<ScalingActivity>,
}

/// A policy's metric as the autoscaler last read it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyStatus {
    pub policy_name: String,
    /// The service's average utilisation, percent of the task's reservation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_value: Option<i64>,
}

/// One change of the task count by auto scaling.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScalingActivity {
    /// Stable ID (a UUID made from the service and the time).
    pub activity_id: String,
    /// "Setting desired count to 2."
    pub description: String,
    /// What caused it: the policy and its metric.
    pub cause: String,
    /// When the autoscaler changed the count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    /// The count before and after.
    pub from_count: i32,
    pub to_count: i32,
}

/// One deployment of a service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDeployment {
    /// Deployment ID (`ecs-svc/<revision>-<n>`).
    pub id: String,
    /// PRIMARY (newest), ACTIVE (still has tasks) or INACTIVE.
    pub status: crate::ecs::DeploymentStatus,
    /// `family:revision`.
    pub task_definition: String,
    /// Tasks the deployment wants.
    #[serde(default)]
    pub desired_count: i32,
    /// Tasks in PENDING.
    #[serde(default)]
    pub pending_count: i32,
    /// Tasks in RUNNING.
    #[serde(default)]
    pub running_count: i32,
    /// Tasks that failed to start or whose essential container exited during the rollout.
    #[serde(default)]
    pub failed_tasks: i32,
    /// IN_PROGRESS, COMPLETED or FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<crate::ecs::RolloutState>,
    /// Why the rollout is in its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// When the deployment was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// When the deployment last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Time>,
}

/// A service event.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    /// Event ID.
    pub id: String,
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// The message, e.g. "(service web) has reached a steady state."
    pub message: String,
}

/// A stopped task of a service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoppedTaskRecord {
    /// The task's Pod name.
    pub task: String,
    /// `family:revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// Stop code.
    pub stop_code: crate::ecs::StopCode,
    /// Stop reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// `container=exitCode` for every container that exited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exit_codes: Vec<String>,
    /// When it stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Time>,
}
