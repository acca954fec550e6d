//! ScheduledTask: an EventBridge Scheduler schedule whose target runs an ECS task definition, on
//! `cron(...)`, `rate(...)` or `at(...)` (issue 37).
//!
//! The spec is Scheduler's `CreateSchedule` input in ECS's camelCase: `scheduleExpression`,
//! `scheduleExpressionTimezone`, `startDate`/`endDate`, `state`, `flexibleTimeWindow`, and the
//! target's `EcsParameters` flattened into `target` (cluster, task definition, count, launch type or
//! capacity provider strategy, overrides, group, tags, ...). The operator starts one Task per run
//! and `taskCount`, so every ECS semantic of a task applies to a scheduled run; each run is keyed by
//! its scheduled fire time, and the Tasks of a run have names derived from that key, so a run is
//! never started twice (see the controller, `crates/operator/src/controllers/scheduled_task.rs`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{CapacityProviderStrategyItem, NetworkConfiguration, PlacementConstraint, Tag};
use super::task::TaskOverride;
use crate::ecs::{ActionAfterCompletion, FlexibleTimeWindowMode, LaunchType, ScheduleState};

/// The most runs `status.runs` keeps (the newest).
pub const MAX_STATUS_RUNS: usize = 10;
/// The most tasks one run starts (EventBridge Scheduler's `TaskCount`: 1 to 10).
pub const MAX_TASK_COUNT: i32 = 10;

/// A schedule that runs a task definition.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "ScheduledTask",
    namespaced,
    status = "ScheduledTaskStatus",
    shortname = "ecsschedule",
    shortname = "schedule",
    category = "ecs",
    doc = "An EventBridge Scheduler schedule running an ECS task definition on cron(...), rate(...) or at(...).",
    printcolumn(name = "Schedule", type_ = "string", json_path = ".spec.scheduleExpression"),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(name = "TaskDef", type_ = "string", json_path = ".spec.target.taskDefinition"),
    printcolumn(name = "LastRun", type_ = "date", json_path = ".status.lastRunTime"),
    printcolumn(name = "NextRun", type_ = "string", json_path = ".status.nextRunTime"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTaskSpec {
    /// The schedule's EventBridge Scheduler name (1-64 of `0-9a-zA-Z-_.`), which the Scheduler API
    /// and `startedBy` use; the object's name when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_name: Option<String>,
    /// `cron(minutes hours day-of-month month day-of-week year)`, `rate(value unit)` or
    /// `at(yyyy-mm-ddThh:mm:ss)`, as EventBridge Scheduler takes them.
    pub schedule_expression: String,
    /// The IANA time zone cron and at expressions are read in (default UTC), e.g. `Europe/Paris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression_timezone: Option<String>,
    /// No run before this instant (rate's runs are counted from it; default: the schedule's creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Time>,
    /// No run after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Time>,
    /// Free text (up to 512 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `ENABLED` (default) or `DISABLED` (no new runs; runs already started go on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ScheduleState>,
    /// Runs start within this window after their time (`OFF`, the default: at their time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flexible_time_window: Option<FlexibleTimeWindow>,
    /// How late a run may still start (after downtime, say): EventBridge Scheduler's retry policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    /// `NONE` (default) or `DELETE`: delete the schedule once it has nothing left to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_after_completion: Option<ActionAfterCompletion>,
    /// What each run starts.
    pub target: ScheduledTaskTarget,
}

/// EventBridge Scheduler's `FlexibleTimeWindow`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlexibleTimeWindow {
    /// `OFF` or `FLEXIBLE`.
    pub mode: FlexibleTimeWindowMode,
    /// With `FLEXIBLE`: the window's length in minutes (1-1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_window_in_minutes: Option<i32>,
}

/// EventBridge Scheduler's `RetryPolicy`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// How long after its time a run may still start (60-86400 seconds; default 86400): after
    /// downtime the operator starts at most the latest missed run, and only within this window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<i32>,
    /// Retries of a failed invocation (0-185; default 185). Accepted: a run whose Tasks cannot be
    /// created is retried until `maximumEventAgeInSeconds` has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<i32>,
}

/// The ECS task each run starts: Scheduler's `EcsParameters` and the target's cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTaskTarget {
    /// The EcsCluster to run on (its ECS name or object name; default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `family` (its latest ACTIVE revision at each run) or `family:revision`.
    pub task_definition: String,
    /// Tasks per run (1-10, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_count: Option<i32>,
    /// Launch type of the tasks (`EC2` default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    /// Which node pools (capacity providers) the tasks use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// Overrides of the task definition (RunTask's `overrides`; Scheduler's target `Input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Box<TaskOverride>>,
    /// Task group (default `family:<family>`, as RunTask's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Tags of every task a run starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Placement constraints of the tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// awsvpc network configuration (accepted; pods use the cluster network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<Box<NetworkConfiguration>>,
    /// Platform version (Fargate; accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// `TASK_DEFINITION` (accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<String>,
    /// Free-form reference ID passed to the tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// Whether ECS-managed tags are added (accepted). Spelled as in ECS's JSON.
    #[serde(rename = "enableECSManagedTags", default, skip_serializing_if = "Option::is_none")]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Whether ECS Exec is enabled (accepted; use `kubectl exec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// The IAM role EventBridge Scheduler would assume (accepted; kube-ecs acts with the operator's
    /// rights on the Tasks of the schedule's own namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

/// Observed state of a schedule.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTaskStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready (the schedule is valid and running on time, or DISABLED), Stalled (invalid).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
    /// `ENABLED`, `DISABLED` (as the spec says), or `COMPLETED` once nothing is left to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The scheduled time of the last run started (its key: never started again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_time: Option<Time>,
    /// The next scheduled time (RFC 3339), while one is left and the schedule is ENABLED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_time: Option<String>,
    /// The newest runs, newest first (up to 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<ScheduledRun>,
    /// Scheduled times that were not run (older than the retry window, or passed over by a later one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_runs: Option<i64>,
}

/// One run of a schedule.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRun {
    /// The time the run was scheduled for.
    pub scheduled_time: Time,
    /// When the operator started its tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// The Tasks it started (object names: their ECS task IDs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<String>,
}
