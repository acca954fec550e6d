//! STUB (replaced by the full mapping): observed Pod -> ECS task status pieces.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::task::ContainerStatus;
use crate::translate::ContainerMapping;

pub const TASK_FAILED_TO_START: &str = "TaskFailedToStart";
pub const ESSENTIAL_CONTAINER_EXITED: &str = "EssentialContainerExited";
pub const USER_INITIATED: &str = "UserInitiated";
pub const SERVICE_SCHEDULER_INITIATED: &str = "ServiceSchedulerInitiated";
pub const SPOT_INTERRUPTION: &str = "SpotInterruption";
pub const TERMINATION_NOTICE: &str = "TerminationNotice";
pub const ESSENTIAL_CONTAINER_EXITED_REASON: &str = "Essential container in task exited";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskLifecycle {
    Provisioning,
    Pending,
    Activating,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
}

impl TaskLifecycle {
    pub fn as_str(&self) -> &'static str {
        match self {
            TaskLifecycle::Provisioning => "PROVISIONING",
            TaskLifecycle::Pending => "PENDING",
            TaskLifecycle::Activating => "ACTIVATING",
            TaskLifecycle::Running => "RUNNING",
            TaskLifecycle::Deactivating => "DEACTIVATING",
            TaskLifecycle::Stopping => "STOPPING",
            TaskLifecycle::Deprovisioning => "DEPROVISIONING",
            TaskLifecycle::Stopped => "STOPPED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            TaskLifecycle::Provisioning,
            TaskLifecycle::Pending,
            TaskLifecycle::Activating,
            TaskLifecycle::Running,
            TaskLifecycle::Deactivating,
            TaskLifecycle::Stopping,
            TaskLifecycle::Deprovisioning,
            TaskLifecycle::Stopped,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

pub fn advance(current: Option<&str>, candidate: TaskLifecycle) -> TaskLifecycle {
    match current.and_then(TaskLifecycle::parse) {
        Some(c) if c > candidate => c,
        _ => candidate,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthStatus {
    Healthy,
    Unhealthy,
    Unknown,
}

impl HealthStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            HealthStatus::Healthy => "HEALTHY",
            HealthStatus::Unhealthy => "UNHEALTHY",
            HealthStatus::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EssentialExit {
    pub container: String,
    pub exit_code: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartFailure {
    pub container: String,
    pub reason: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodObservation {
    pub last_status: Option<TaskLifecycle>,
    pub containers: Vec<ContainerStatus>,
    pub health_status: HealthStatus,
    pub essential_exit: Option<EssentialExit>,
    pub start_failure: Option<StartFailure>,
    pub unschedulable: Option<String>,
    pub pull_started_at: Option<Time>,
    pub pull_stopped_at: Option<Time>,
    pub started_at: Option<Time>,
    pub execution_stopped_at: Option<Time>,
    pub all_containers_stopped: bool,
}

pub fn observe_pod(pod: &Pod, containers: &[ContainerMapping]) -> PodObservation {
    let status = pod.status.clone().unwrap_or_default();
    let statuses = status.container_statuses.unwrap_or_default();
    let mut out = Vec::new();
    let mut essential_exit = None;
    let mut running = 0;
    for m in containers {
        let st = statuses.iter().find(|s| s.name == m.kubernetes_name);
        let state = st.and_then(|s| s.state.clone()).unwrap_or_default();
        let (last, code) = if let Some(t) = state.terminated {
            if m.essential && essential_exit.is_none() {
                essential_exit = Some(EssentialExit { container: m.ecs_name.clone(), exit_code: Some(t.exit_code) });
            }
            ("STOPPED", Some(t.exit_code))
        } else if state.running.is_some() {
            running += 1;
            ("RUNNING", None)
        } else {
            ("PENDING", None)
        };
        out.push(ContainerStatus {
            name: m.ecs_name.clone(),
            kubernetes_name: (m.kubernetes_name != m.ecs_name).then(|| m.kubernetes_name.clone()),
            image: Some(m.image.clone()),
            essential: Some(m.essential),
            last_status: Some(last.into()),
            exit_code: code,
            reason: None,
            health_status: Some("UNKNOWN".into()),
        });
    }
    let scheduled = pod.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
    let last_status = if !scheduled {
        TaskLifecycle::Provisioning
    } else if running > 0 {
        TaskLifecycle::Running
    } else {
        TaskLifecycle::Pending
    };
    let phase = status.phase.unwrap_or_default();
    PodObservation {
        last_status: Some(last_status),
        containers: out,
        health_status: HealthStatus::Unknown,
        essential_exit,
        start_failure: None,
        unschedulable: None,
        pull_started_at: None,
        pull_stopped_at: None,
        started_at: None,
        execution_stopped_at: None,
        all_containers_stopped: phase == "Succeeded" || phase == "Failed",
    }
}
