//! The observed Pod in ECS terms: the task's lifecycle candidate, every container's state, health,
//! essential exits, start failures and unplaceable reasons. Pure: no client.
//! The forward-only rule and the stop decisions live in `controllers::task_plan`.

mod containers;
pub mod placement;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::ecs::ContainerLifecycle;
pub use crate::api::ecs::{HealthStatus, StopCode, TaskLifecycle};
use crate::api::task::ContainerStatus;
use crate::translate::{ContainerKind, ContainerMapping};

pub use containers::{PULL_ERROR, START_ERROR};

pub const ESSENTIAL_CONTAINER_EXITED_REASON: &str = "Essential container in task exited";
pub const FAILED_HEALTH_CHECKS_REASON: &str = "Task failed container health checks";

/// `candidate`, unless the task is already further along: lastStatus never moves backwards.
pub fn advance(current: Option<TaskLifecycle>, candidate: TaskLifecycle) -> TaskLifecycle {
    current.map_or(candidate, |c| c.max(candidate))
}

/// An essential container that terminated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EssentialExit {
    pub container: String,
    pub exit_code: Option<i32>,
}

/// A container that could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartFailure {
    pub container: String,
    /// `CannotPullContainerError` or `CannotStartContainerError`.
    pub reason: String,
    pub message: String,
}

/// Everything the Task and Service controllers read off a Pod.
#[derive(Clone, Debug, PartialEq)]
pub struct PodObservation {
    pub last_status: Option<TaskLifecycle>,
    pub containers: Vec<ContainerStatus>,
    pub health_status: HealthStatus,
    pub essential_exit: Option<EssentialExit>,
    pub start_failure: Option<StartFailure>,
    /// ECS-style placement failure (`RESOURCE:CPU`, `RESOURCE:MEMORY`, ...) while unscheduled.
    pub unschedulable: Option<String>,
    pub pull_started_at: Option<Time>,
    pub pull_stopped_at: Option<Time>,
    pub started_at: Option<Time>,
    pub execution_stopped_at: Option<Time>,
    pub all_containers_stopped: bool,
    /// When a health check now UNKNOWN turns UNHEALTHY unless it passes first (look again then).
    pub health_due: Option<Time>,
}

/// Reads a Pod in ECS terms. `containers` is the ECS <-> Kubernetes mapping recorded at creation.
pub fn observe_pod(pod: &Pod, containers: &[ContainerMapping], now: &Time) -> PodObservation {
    let status = pod.status.clone().unwrap_or_default();
    let main_statuses = status.container_statuses.clone().unwrap_or_default();
    let init_statuses = status.init_container_statuses.clone().unwrap_or_default();
    let mut observed = Vec::new();
    let mut essential_exit = None;
    let mut start_failure = None;
    let mut main_running = 0;
    let mut main_stopped = 0;
    let mut mains = 0;
    let mut started_at: Option<Time> = None;
    let mut finished_at: Option<Time> = None;
    let mut health_due: Option<Time> = None;
    for mapping in containers {
        let source = if mapping.kind == ContainerKind::Main { &main_statuses } else { &init_statuses };
        let k8s = source.iter().find(|s| s.name == mapping.kubernetes_name);
        let view = containers::observe(mapping, k8s, now);
        if let Some(due) = &view.health_due
            && health_due.as_ref().is_none_or(|d| due.0 < d.0)
        {
            health_due = Some(due.clone());
        }
        if mapping.kind == ContainerKind::Main {
            mains += 1;
            match view.status.last_status {
                Some(ContainerLifecycle::Running) => main_running += 1,
                Some(ContainerLifecycle::Stopped) => main_stopped += 1,
                Some(ContainerLifecycle::Pending) | None => {}
            }
        }
        if mapping.essential && view.exited && essential_exit.is_none() {
            essential_exit =
                Some(EssentialExit { container: mapping.ecs_name.clone(), exit_code: view.status.exit_code });
        }
        if start_failure.is_none() {
            start_failure = view.start_failure.clone();
        }
        if let Some(t) = view.started_at
            && mapping.kind == ContainerKind::Main
            && started_at.as_ref().is_none_or(|s| t.0 > s.0)
        {
            started_at = Some(t);
        }
        if let Some(t) = view.finished_at
            && finished_at.as_ref().is_none_or(|f| t.0 > f.0)
        {
            finished_at = Some(t);
        }
        observed.push(view.status);
    }
    let scheduled = pod.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
    let phase = status.phase.clone().unwrap_or_default();
    let all_stopped = phase == "Succeeded" || phase == "Failed" || (mains > 0 && main_stopped == mains);
    let last_status = if !scheduled {
        TaskLifecycle::Provisioning
    } else if mains > 0 && main_running + main_stopped == mains && main_running > 0 {
        TaskLifecycle::Running
    } else {
        TaskLifecycle::Pending
    };
    let essentials: Vec<bool> = containers.iter().map(|m| m.essential).collect();
    let scheduled_at = status
        .conditions
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled" && c.status == "True"))
        .and_then(|c| c.last_transition_time.clone());
    let first_container_start = observed
        .iter()
        .zip(containers)
        .filter_map(|(_, m)| {
            let source = if m.kind == ContainerKind::Main { &main_statuses } else { &init_statuses };
            source.iter().find(|s| s.name == m.kubernetes_name).and_then(containers::started_time)
        })
        .min_by_key(|t| t.0);
    PodObservation {
        last_status: Some(last_status),
        health_status: task_health(&observed, &essentials),
        containers: observed,
        essential_exit,
        start_failure,
        unschedulable: if scheduled { None } else { placement::unschedulable_reason(pod) },
        pull_started_at: scheduled_at,
        pull_stopped_at: first_container_start,
        // RUNNING now, or ran and finished before it was seen running (a short batch task).
        started_at: (last_status == TaskLifecycle::Running || all_stopped).then_some(started_at).flatten(),
        execution_stopped_at: all_stopped.then_some(finished_at).flatten(),
        all_containers_stopped: all_stopped,
        health_due,
    }
}

/// Task health over essential containers: UNHEALTHY beats UNKNOWN beats HEALTHY.
pub fn task_health(containers: &[ContainerStatus], essential: &[bool]) -> HealthStatus {
    let healths: Vec<HealthStatus> = containers
        .iter()
        .zip(essential)
        .filter(|(_, e)| **e)
        .map(|(c, _)| c.health_status.unwrap_or(HealthStatus::Unknown))
        .collect();
    if healths.contains(&HealthStatus::Unhealthy) {
        HealthStatus::Unhealthy
    } else if healths.is_empty() || healths.contains(&HealthStatus::Unknown) {
        HealthStatus::Unknown
    } else {
        HealthStatus::Healthy
    }
}

#[cfg(test)]
mod tests;
