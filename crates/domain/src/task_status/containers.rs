//! One Kubernetes container status as an ECS container record.

use k8s_openapi::api::core::v1::ContainerStatus as KubeContainerStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::StartFailure;
use crate::api::ecs::{ContainerLifecycle, HealthStatus};
use crate::api::task::ContainerStatus;
use crate::translate::{ContainerKind, ContainerMapping};

/// ECS's reason for an image that cannot be pulled.
pub const PULL_ERROR: &str = "CannotPullContainerError";
/// ECS's reason for a container that cannot be created or started.
pub const START_ERROR: &str = "CannotStartContainerError";
/// ECS's reason for a task whose secrets or configuration cannot be retrieved before it starts.
pub const RESOURCE_INITIALIZATION_ERROR: &str = "ResourceInitializationError";

const PULL_WAITING: [&str; 5] =
    ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable"];
const START_WAITING: [&str; 4] =
    ["CreateContainerConfigError", "CreateContainerError", "RunContainerError", "PreCreateHookError"];

pub struct ContainerView {
    pub status: ContainerStatus,
    /// The container terminated (now, or before a restart).
    pub exited: bool,
    pub start_failure: Option<StartFailure>,
    pub started_at: Option<Time>,
    pub finished_at: Option<Time>,
    /// When a health check still UNKNOWN becomes UNHEALTHY if it has not passed by then.
    pub health_due: Option<Time>,
}

pub fn observe(mapping: &ContainerMapping, k8s: Option<&KubeContainerStatus>, now: &Time) -> ContainerView {
    let mut status = ContainerStatus {
        name: mapping.ecs_name.clone(),
        kubernetes_name: (mapping.kubernetes_name != mapping.ecs_name).then(|| mapping.kubernetes_name.clone()),
        image: Some(mapping.image.clone()),
        essential: Some(mapping.essential),
        last_status: Some(ContainerLifecycle::Pending),
        exit_code: None,
        reason: None,
        health_status: Some(HealthStatus::Unknown),
    };
    let mut view = ContainerView {
        status: status.clone(),
        exited: false,
        start_failure: None,
        started_at: None,
        finished_at: None,
        health_due: None,
    };
    let Some(k8s) = k8s else { return view };
    let state = k8s.state.clone().unwrap_or_default();
    if let Some(t) = &state.terminated {
        status.last_status = Some(ContainerLifecycle::Stopped);
        status.exit_code = Some(t.exit_code);
        status.reason = terminated_reason(t.reason.as_deref(), t.message.as_deref());
        view.finished_at = t.finished_at.clone();
        // A container that ran and exited before any reconcile saw it running still ran then.
        view.started_at = t.started_at.clone();
        // A run-to-completion init container that succeeded did its job; it is not a task exit.
        view.exited = !(mapping.kind == ContainerKind::InitRunToCompletion && t.exit_code == 0);
    } else if let Some(r) = &state.running {
        status.last_status = Some(ContainerLifecycle::Running);
        view.started_at = r.started_at.clone();
        // Restarted in place (a Service pod): ECS would have stopped the task when it exited.
        if let Some(last) = k8s.last_state.as_ref().and_then(|l| l.terminated.as_ref())
            && k8s.restart_count > 0
        {
            view.exited = true;
            status.exit_code = Some(last.exit_code);
            status.reason = terminated_reason(last.reason.as_deref(), last.message.as_deref());
        }
    } else if let Some(w) = &state.waiting {
        let reason = w.reason.clone().unwrap_or_default();
        let message = w.message.clone().unwrap_or_else(|| reason.clone());
        let ecs_reason = if PULL_WAITING.contains(&reason.as_str()) {
            Some(PULL_ERROR)
        } else if reason == "CreateContainerConfigError" && is_missing_reference(&message) {
            Some(RESOURCE_INITIALIZATION_ERROR)
        } else if START_WAITING.contains(&reason.as_str()) {
            Some(START_ERROR)
        } else {
            None
        };
        if let Some(ecs_reason) = ecs_reason {
            let message = if ecs_reason == RESOURCE_INITIALIZATION_ERROR {
                format!("unable to retrieve secrets or configuration for the task: {message}")
            } else {
                message
            };
            status.reason = Some(format!("{ecs_reason}: {message}"));
            view.start_failure =
                Some(StartFailure { container: mapping.ecs_name.clone(), reason: ecs_reason.into(), message });
        }
    }
    if mapping.has_health_check && status.last_status == Some(ContainerLifecycle::Running) {
        // Ready is the health check passing. Not ready after it has had time to fail `retries`
        // times is UNHEALTHY (ECS); before that it is UNKNOWN, as in ECS's start period.
        let due = mapping
            .unhealthy_after
            .zip(view.started_at.as_ref())
            .and_then(|(after, started)| started.0.checked_add(jiff::SignedDuration::from_secs(after)).ok().map(Time));
        let health = if k8s.ready {
            HealthStatus::Healthy
        } else if due.as_ref().is_some_and(|d| now.0 >= d.0) {
            HealthStatus::Unhealthy
        } else {
            view.health_due = due;
            HealthStatus::Unknown
        };
        status.health_status = Some(health);
    }
    view.status = status;
    view
}

/// The kubelet's words for a Secret, ConfigMap or key of one that the container references and that
/// does not exist (`secret "db" not found`, `couldn't find key password in Secret ns/db`).
fn is_missing_reference(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    ((lower.contains("secret") || lower.contains("configmap")) && lower.contains("not found"))
        || lower.contains("couldn't find key")
}

/// When the container started, if it has.
pub fn started_time(k8s: &KubeContainerStatus) -> Option<Time> {
    let state = k8s.state.as_ref()?;
    state
        .running
        .as_ref()
        .and_then(|r| r.started_at.clone())
        .or_else(|| state.terminated.as_ref().and_then(|t| t.started_at.clone()))
}

fn terminated_reason(reason: Option<&str>, message: Option<&str>) -> Option<String> {
    match reason {
        Some("OOMKilled") => Some("OutOfMemoryError: Container killed due to memory usage".into()),
        Some("Completed") | None => message.map(str::to_string),
        Some(r) => Some(match message {
            Some(m) if !m.is_empty() => format!("{r}: {m}"),
            _ => r.to_string(),
        }),
    }
}
