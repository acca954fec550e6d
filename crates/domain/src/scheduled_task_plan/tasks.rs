//! The Tasks a scheduled run starts: their names (the run's exactly-once key) and their manifests.

use jiff::{SignedDuration, Timestamp};
use kube::Resource;
use sha2::{Digest, Sha256};

use crate::api::ecs_names::schedule_name;
use crate::api::scheduled_task::ScheduledTask;
use crate::api::task::{Task, TaskSpec};
use crate::revisions::Reference;

/// Label on the Tasks a schedule started: the ScheduledTask's object name.
pub const SCHEDULED_TASK_LABEL: &str = "ecs.kube-ecs.dev/scheduled-task";
/// Annotation on the Tasks a schedule started: the fire time of their run (RFC 3339).
pub const SCHEDULED_TIME_ANNOTATION: &str = "ecs.kube-ecs.dev/scheduled-time";

/// Tasks per run: `taskCount`, 1 when unset, within Scheduler's 1-10.
pub fn task_count(schedule: &ScheduledTask) -> usize {
    schedule.spec.target.task_count.unwrap_or(1).clamp(1, crate::api::scheduled_task::MAX_TASK_COUNT) as usize
}

/// The name of the `index`th Task of the run at `fire`: 32 hex digits, shaped as an ECS task ID, from
/// the schedule's UID (a schedule deleted and made again under its name starts afresh), the fire
/// time and the index. The same inputs give the same name, whoever computes it.
pub fn task_id(schedule: &ScheduledTask, fire: Timestamp, index: usize) -> String {
    let uid = schedule.metadata.uid.as_deref().unwrap_or_default();
    let mut hash = Sha256::new();
    hash.update(uid.as_bytes());
    hash.update(b"\n");
    hash.update(fire.as_second().to_string().as_bytes());
    hash.update(b"\n");
    hash.update(index.to_string().as_bytes());
    hex::encode(&hash.finalize()[..16])
}

/// The schedule's fixed delay within a flexible window of `minutes`: EventBridge Scheduler starts a
/// run at some time in the window; kube-ecs takes one per schedule (from its UID, to the second), so
/// many schedules on the same expression spread out and each one's runs stay evenly spaced.
pub fn flexible_offset(schedule: &ScheduledTask, minutes: i32) -> SignedDuration {
    let uid = schedule.metadata.uid.as_deref().unwrap_or_default();
    let digest = Sha256::digest(uid.as_bytes());
    let seed = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let window = u64::try_from(minutes.max(1)).unwrap_or(1) * 60;
    SignedDuration::from_secs(i64::try_from(seed % window).unwrap_or(0))
}

/// `startedBy` as EventBridge Scheduler sets it on the tasks it runs: `chronos-schedule/<name>`.
/// ECS allows letters, digits, `-`, `_` and `/` (up to 128): a `.` of the schedule's name becomes `-`.
pub fn started_by(schedule: &ScheduledTask) -> String {
    let name: String =
        schedule_name(schedule).chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
    let mut started_by = format!("chronos-schedule/{name}");
    started_by.truncate(128);
    started_by
}

/// The Task `name` of the run at `fire`: the target's parameters, owned by the schedule (it goes
/// with it, like a CronJob's Jobs), labelled with the schedule and annotated with the fire time.
pub fn task(schedule: &ScheduledTask, name: &str, fire: Timestamp) -> Task {
    let target = &schedule.spec.target;
    let group = target
        .group
        .clone()
        .or_else(|| Reference::parse(&target.task_definition).ok().map(|r| format!("family:{}", r.family)));
    let spec = TaskSpec {
        task_definition: target.task_definition.clone(),
        cluster: target.cluster.clone(),
        overrides: target.overrides.clone(),
        started_by: Some(started_by(schedule)),
        group,
        launch_type: target.launch_type,
        capacity_provider_strategy: target.capacity_provider_strategy.clone(),
        placement_constraints: target.placement_constraints.clone(),
        network_configuration: target.network_configuration.clone(),
        tags: target.tags.clone(),
        enable_ecs_managed_tags: target.enable_ecs_managed_tags,
        enable_execute_command: target.enable_execute_command,
        propagate_tags: target.propagate_tags.clone(),
        reference_id: target.reference_id.clone(),
        platform_version: target.platform_version.clone(),
        ..TaskSpec::default()
    };
    let mut task = Task::new(name, spec);
    task.metadata.namespace = schedule.metadata.namespace.clone();
    let object = schedule.metadata.name.clone().unwrap_or_default();
    task.metadata.labels = Some(
        [
            (SCHEDULED_TASK_LABEL.to_string(), crate::labels::value(&object)),
            (crate::labels::MANAGED_BY.to_string(), crate::labels::MANAGED_BY_VALUE.to_string()),
        ]
        .into(),
    );
    task.metadata.annotations = Some([(SCHEDULED_TIME_ANNOTATION.to_string(), fire.to_string())].into());
    task.metadata.owner_references = schedule.controller_owner_ref(&()).map(|owner| vec![owner]);
    task
}
