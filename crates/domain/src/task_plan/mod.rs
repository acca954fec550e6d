//! The Task lifecycle as a pure function: from the Task, its Pod (if any) and a few facts about the
//! Pod's node, what the Task's status becomes and what must be done to the Pod.
//!
//! Invariants: lastStatus only moves forward; a STOPPED task never runs again and is never given a
//! new Pod; a stop is recorded (stop code, reason, every container's state) before the Pod's
//! finalizer is released, so nothing is lost whoever deletes the Pod.

pub mod pod;

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::{Deserialize, Serialize};

use crate::api::conditions::{self, DesiredCondition};
use crate::api::ecs::{ContainerLifecycle, DesiredStatus, HealthStatus, StopCode};
use crate::api::task::{Task, TaskStatus};
use crate::event::EcsEvent;
use crate::task_status::{self, PodObservation, TaskLifecycle};
use crate::translate::{ContainerKind, ContainerMapping};

pub use crate::api::conditions::PLACED;

pub use crate::api::conditions::reasons::task as reasons;

/// What the controller writes on the Pod so that every later reconcile can read the task's shape
/// from the Pod alone (the resolved revision may be deregistered or changed since).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodRecord {
    /// `family:revision` the Pod runs.
    pub task_definition: String,
    pub containers: Vec<ContainerRecord>,
    /// Fields of the definition accepted but not applied.
    #[serde(default)]
    pub unsupported: Vec<String>,
    /// Node pool (capacity provider) chosen for the task.
    #[serde(default)]
    pub capacity_provider: Option<String>,
}

/// One container of the Pod in ECS terms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRecord {
    pub ecs_name: String,
    pub kubernetes_name: String,
    pub essential: bool,
    pub image: String,
    pub has_health_check: bool,
    /// Seconds after start when a health check that never passed counts as UNHEALTHY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_after: Option<i64>,
    /// `main`, `init` or `sidecar`.
    pub kind: String,
}

impl PodRecord {
    pub fn container_mappings(&self) -> Vec<ContainerMapping> {
        self.containers
            .iter()
            .map(|c| ContainerMapping {
                ecs_name: c.ecs_name.clone(),
                kubernetes_name: c.kubernetes_name.clone(),
                essential: c.essential,
                image: c.image.clone(),
                has_health_check: c.has_health_check,
                unhealthy_after: c.unhealthy_after,
                kind: match c.kind.as_str() {
                    "init" => ContainerKind::InitRunToCompletion,
                    "sidecar" => ContainerKind::Sidecar,
                    _ => ContainerKind::Main,
                },
            })
            .collect()
    }

    pub fn from_mappings(
        task_definition: &str,
        mappings: &[ContainerMapping],
        unsupported: Vec<String>,
        capacity_provider: Option<String>,
    ) -> Self {
        Self {
            task_definition: task_definition.to_string(),
            containers: mappings
                .iter()
                .map(|m| ContainerRecord {
                    ecs_name: m.ecs_name.clone(),
                    kubernetes_name: m.kubernetes_name.clone(),
                    essential: m.essential,
                    image: m.image.clone(),
                    has_health_check: m.has_health_check,
                    unhealthy_after: m.unhealthy_after,
                    kind: match m.kind {
                        ContainerKind::Main => "main",
                        ContainerKind::InitRunToCompletion => "init",
                        ContainerKind::Sidecar => "sidecar",
                    }
                    .into(),
                })
                .collect(),
            unsupported,
            capacity_provider,
        }
    }
}

/// What is known about the node of a Pod that is going away without kube-ecs having asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeFacts {
    pub name: Option<String>,
    /// The Node object no longer exists.
    pub gone: bool,
    /// The node is a spot instance being interrupted.
    pub spot_interrupted: bool,
    /// The node is being drained/terminated (scale-in).
    pub terminating: bool,
    /// A simulated (KWOK) node: no process runs there, so no container will ever report an exit.
    pub simulated: bool,
}

/// How long after a deleted Pod's grace period its containers' final states may still arrive (the
/// kubelet kills, then reports); past it the stop is recorded with what is known.
pub const FINAL_STATE_SLACK: Duration = Duration::from_secs(15);

/// What the controller must do after computing the plan.
#[derive(Clone, Debug, PartialEq)]
pub enum PodAction {
    /// Nothing to do to the Pod.
    None,
    /// No Pod yet: resolve the definition and create it.
    Create,
    /// Delete the Pod, giving its containers `grace` to stop.
    Delete { grace: Option<i64> },
    /// Stop the Pod's containers and keep the Pod (its containers' logs stay readable until the
    /// stopped task's retention ends): the kubelet stops a Pod past `spec.activeDeadlineSeconds`,
    /// set to `deadline_seconds` (the Pod's age), giving its containers their grace period.
    Halt { deadline_seconds: i64 },
    /// The stop is recorded: release the Pod's finalizer.
    ReleaseFinalizer,
    /// Retention is over: delete the Task itself.
    DeleteTask,
}

/// The outcome of planning one reconcile.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub status: TaskStatus,
    pub action: PodAction,
    pub requeue_after: Option<Duration>,
    /// A lifecycle transition worth an Event: (warning, reason, message).
    pub event: Option<EcsEvent>,
}

/// How long the status of a task still starting may wait for RUNNING before it is written. A pod
/// normally runs within seconds, but a burst of a thousand tasks keeps the scheduler busy for ten or
/// more, and writing each intermediate state then costs the API server three writes per task.
pub const STARTUP_WRITE_WINDOW: Duration = Duration::from_secs(10);

/// When a task outlived [`STARTUP_WRITE_WINDOW`] and its starting state was written, the next
/// starting state waits until its Pod is this old: a task that runs between 10 and 30 s then costs
/// two status writes instead of three. (In an unthrottled burst of 5,000 on 2 cores most pods take
/// longer than 30 s, so there it saves little.)
pub const LATER_STARTUP_WRITE: Duration = Duration::from_secs(30);

/// PROVISIONING, PENDING or ACTIVATING: on the way to RUNNING.
fn is_starting(last_status: Option<TaskLifecycle>) -> bool {
    matches!(last_status, Some(TaskLifecycle::Provisioning | TaskLifecycle::Pending | TaskLifecycle::Activating))
}

/// `Some(wait)` when this plan's status write only records a task still starting (PROVISIONING,
/// PENDING, ACTIVATING) whose Pod is younger than [`STARTUP_WRITE_WINDOW`]: a healthy task reaches
/// RUNNING within it, and one write then records the whole way there (every transition keeps its
/// timestamp). A starting state already written for this Pod is followed by the next one at
/// [`LATER_STARTUP_WRITE`]; a task stuck starting longer, or with a problem to report, is written
/// at once.
pub fn startup_write_delay(
    previous: &TaskStatus,
    plan: &Plan,
    pod_created: Option<&Time>,
    now: &Time,
) -> Option<Duration> {
    let quiet = plan.action == PodAction::None && plan.event.as_ref().is_none_or(|e| !e.is_warning());
    if !quiet || !is_starting(plan.status.last_status) {
        return None;
    }
    if previous.last_status.is_some() && !is_starting(previous.last_status) {
        return None;
    }
    // A PROVISIONING written before the Pod existed (a refusal since resolved) is not a write for
    // this Pod: its conditions are stale, so it only gets the first window.
    let written_for_this_pod = is_starting(previous.last_status) && previous.pod.is_some();
    let deadline = if written_for_this_pod { LATER_STARTUP_WRITE } else { STARTUP_WRITE_WINDOW };
    let age = Duration::try_from(now.0.duration_since(pod_created?.0)).unwrap_or(Duration::ZERO);
    deadline.checked_sub(age).filter(|wait| !wait.is_zero())
}

/// A task that cannot start until the user changes something (its definition does not resolve, the
/// security policy refuses it, ...): it stays PROVISIONING with no Pod, refused by `condition`.
pub fn refuse(
    status: &mut TaskStatus,
    generation: Option<i64>,
    condition: &str,
    reason: &str,
    message: &str,
    now: &Time,
) {
    status.last_status = Some(TaskLifecycle::Provisioning);
    conditions::Conditions::of(&mut status.conditions, generation, now).refused(condition, reason, message);
}

/// Plans a reconcile of `task` whose Pod is `pod`.
pub fn plan(task: &Task, pod: Option<&Pod>, node: &NodeFacts, now: &Time, retention: Duration) -> Plan {
    let previous = task.status.clone().unwrap_or_default();
    let mut status = previous.clone();
    status.observed_generation = task.metadata.generation;
    status.desired_status = Some(desired_status(task));
    if status.created_at.is_none() {
        status.created_at = task.metadata.creation_timestamp.clone().or_else(|| Some(now.clone()));
    }
    // The object's name, not the reference as written (a name or an ARN): a selectable field the
    // console filters on with one value.
    status.cluster = Some(crate::api::ecs_names::cluster_reference(task.spec.cluster.as_deref()));
    let generation = task.metadata.generation;

    if previous.last_status == Some(TaskLifecycle::Stopped) {
        return plan_stopped(task, pod, status, now, retention);
    }

    let Some(pod) = pod else {
        if previous.pod.is_some() {
            // The Pod vanished without passing our finalizer (force-deleted): record what we know.
            let (code, reason) = previous
                .stop_code
                .map(|c| (c, previous.stopped_reason.clone().unwrap_or_default()))
                .or_else(|| user_stop(task))
                .unwrap_or_else(|| external_stop(node, previous.pod.as_deref().unwrap_or_default()));
            stop_now(&mut status, Some((code, &reason)), now, generation);
            return finish(previous, status, PodAction::None, Some(retention));
        }
        if desired_status(task) == DesiredStatus::Stopped {
            let reason = task.spec.stopped_reason.clone().unwrap_or_else(|| "Task stopped by user".into());
            stop_now(&mut status, Some((StopCode::UserInitiated, &reason)), now, generation);
            return finish(previous, status, PodAction::None, Some(retention));
        }
        return Plan { status, action: PodAction::Create, requeue_after: None, event: None };
    };

    let record = pod_record(pod);
    let mappings = record.container_mappings();
    let observation = task_status::observe_pod(pod, &mappings, now);
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    status.pod = Some(pod_name.clone());
    status.task_definition = Some(record.task_definition.clone());
    status.capacity_provider_name = record.capacity_provider.clone();
    status.unsupported_fields = record.unsupported.clone();
    status.container_instance = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    apply_observation(&mut status, &observation, &mappings);

    if let Some(deleted) = &pod.metadata.deletion_timestamp {
        // The Pod is going: record its final state, then let it go.
        if status.stop_code.is_none() {
            let (code, reason) =
                cause_before_deletion(task, &observation).unwrap_or_else(|| external_stop(node, &pod_name));
            status.stop_code = Some(code);
            status.stopped_reason = Some(reason);
        }
        if status.started_at.is_none() {
            status.started_at = observation.started_at.clone();
        }
        // A kubelet stops the containers within the grace period (deletionTimestamp is its end) and
        // then reports how each ended: ECS records those exit codes (0 for a clean SIGTERM exit, 137
        // after SIGKILL), so wait for them unless none can come.
        let deadline = deleted.0.checked_add(jiff::SignedDuration::try_from(FINAL_STATE_SLACK).unwrap_or_default());
        let remaining = deadline.ok().and_then(|d| Duration::try_from(d.duration_since(now.0)).ok());
        let reporting = !observation.all_containers_stopped && !node.gone && !node.simulated;
        if let Some(remaining) = remaining.filter(|r| reporting && !r.is_zero()) {
            status.stopping_at.get_or_insert_with(|| now.clone());
            status.desired_status = Some(DesiredStatus::Stopped);
            status.last_status = Some(task_status::advance(previous.last_status, TaskLifecycle::Stopping));
            set_stopping_conditions(&mut status, now, generation);
            return finish(previous, status, PodAction::None, Some(remaining));
        }
        stop_now(&mut status, None, now, generation);
        status.execution_stopped_at = observation.execution_stopped_at.clone().or_else(|| Some(now.clone()));
        return finish(previous, status, PodAction::ReleaseFinalizer, Some(retention));
    }

    let stop = if status.stop_code.is_some() {
        None // already stopping: keep the first stop code and reason
    } else if let Some(user) = user_stop(task) {
        Some(user)
    } else if let Some(failure) = &observation.start_failure {
        Some((StopCode::TaskFailedToStart, format!("{}: {}", failure.reason, failure.message)))
    } else if observation.essential_exit.is_some() || observation.all_containers_stopped {
        Some((StopCode::EssentialContainerExited, task_status::ESSENTIAL_CONTAINER_EXITED_REASON.to_string()))
    } else if node.spot_interrupted {
        Some((StopCode::SpotInterruption, "Your Spot Task was interrupted.".to_string()))
    } else if node.terminating {
        Some((
            StopCode::TerminationNotice,
            format!("Host EC2 (instance {}) is being terminated.", node.name.clone().unwrap_or_default()),
        ))
    } else {
        None
    };
    if let Some((code, reason)) = stop {
        status.stop_code = Some(code);
        status.stopped_reason = Some(reason);
        status.stopping_at = Some(now.clone());
    }
    if status.stop_code.is_some() {
        if status.started_at.is_none() {
            status.started_at = observation.started_at.clone();
        }
        let grace = pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds);
        if keeps_logs(node) {
            if observation.all_containers_stopped {
                // Every container has ended and reported: the task is STOPPED, its Pod stays.
                stop_now(&mut status, None, now, generation);
                status.execution_stopped_at = observation.execution_stopped_at.clone().or_else(|| Some(now.clone()));
                return finish(previous, status, PodAction::ReleaseFinalizer, Some(retention));
            }
            if let Some(wait) = halt_wait(&status, grace, now) {
                status.last_status = Some(task_status::advance(previous.last_status, TaskLifecycle::Stopping));
                status.desired_status = Some(DesiredStatus::Stopped);
                set_stopping_conditions(&mut status, now, generation);
                let deadline_seconds = pod_age_seconds(pod, now);
                return finish(previous, status, PodAction::Halt { deadline_seconds }, Some(wait));
            }
            // The kubelet did not stop it in time (unreachable?): delete the Pod as below.
        }
        let target =
            if observation.all_containers_stopped { TaskLifecycle::Deprovisioning } else { TaskLifecycle::Stopping };
        status.last_status = Some(task_status::advance(previous.last_status, target));
        status.desired_status = Some(DesiredStatus::Stopped);
        set_stopping_conditions(&mut status, now, generation);
        return finish(previous, status, PodAction::Delete { grace }, None);
    }

    let candidate = observation.last_status.unwrap_or(TaskLifecycle::Provisioning);
    let next = task_status::advance(previous.last_status, candidate);
    status.last_status = Some(next);
    if next == TaskLifecycle::Running && status.started_at.is_none() {
        status.started_at = observation.started_at.clone().or_else(|| Some(now.clone()));
    }
    match &observation.unschedulable {
        Some(reason) => {
            conditions::set(
                &mut status.conditions,
                DesiredCondition::new(PLACED, false, reasons::UNPLACEABLE, reason.clone()),
                generation,
                now,
            );
        }
        None if status.container_instance.is_some() => {
            let message =
                format!("placed on container instance {}", status.container_instance.clone().unwrap_or_default());
            conditions::set(
                &mut status.conditions,
                DesiredCondition::new(PLACED, true, reasons::PLACED, message),
                generation,
                now,
            );
        }
        None => {}
    }
    let running = next == TaskLifecycle::Running;
    let (reason, message) = if running {
        (reasons::RUNNING, "the task is RUNNING".to_string())
    } else {
        (reasons::STARTING, format!("the task is {}", next.as_str()))
    };
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::READY, running, reason, message),
        generation,
        now,
    );
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::VALID, true, reasons::VALID, "the task definition resolved"),
        generation,
        now,
    );
    conditions::remove(&mut status.conditions, conditions::STALLED);
    // No Pod event marks the moment a never-passing health check becomes UNHEALTHY: look again then.
    let health_recheck = observation
        .health_due
        .as_ref()
        .and_then(|due| Duration::try_from(due.0.duration_since(now.0)).ok().map(|d| d + Duration::from_secs(1)));
    finish(previous, status, PodAction::None, health_recheck)
}

/// Whether a stopping task's Pod is kept (its containers stopped in place) so that their logs stay
/// readable: on a real node that is there. A simulated node runs no container (no log to keep, and
/// no kubelet to honour a deadline); an unknown or gone node cannot stop anything.
fn keeps_logs(node: &NodeFacts) -> bool {
    node.name.is_some() && !node.simulated && !node.gone
}

/// How long to wait for the kubelet to stop a halted Pod's containers (their grace period, and the
/// slack for their final states to be reported), or None once that is past.
fn halt_wait(status: &TaskStatus, grace: Option<i64>, now: &Time) -> Option<Duration> {
    let since = status.stopping_at.as_ref().map_or(now.0, |t| t.0);
    let grace = Duration::from_secs(u64::try_from(grace.unwrap_or(30)).unwrap_or(0));
    let elapsed = Duration::try_from(now.0.duration_since(since)).unwrap_or(Duration::ZERO);
    let remaining = (grace + FINAL_STATE_SLACK).saturating_sub(elapsed);
    (!remaining.is_zero()).then_some(remaining.min(Duration::from_secs(5)))
}

/// The Pod's age in whole seconds (at least 1): an `activeDeadlineSeconds` that has passed.
fn pod_age_seconds(pod: &Pod, now: &Time) -> i64 {
    let started = pod.status.as_ref().and_then(|s| s.start_time.as_ref()).or(pod.metadata.creation_timestamp.as_ref());
    let age = started.map_or(0, |t| now.0.duration_since(t.0).as_secs());
    age.max(1)
}

/// A Pod whose containers have all ended (the kubelet will start none again): a terminal phase, or
/// every container reported terminated (a halted Pod may report them before its phase).
fn is_terminal(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref());
    let containers = status.and_then(|s| s.container_statuses.as_deref()).unwrap_or_default();
    matches!(phase, Some("Succeeded" | "Failed"))
        || (!containers.is_empty()
            && containers.iter().all(|c| c.state.as_ref().is_some_and(|s| s.terminated.is_some())))
}

fn plan_stopped(task: &Task, pod: Option<&Pod>, status: TaskStatus, now: &Time, retention: Duration) -> Plan {
    let previous = task.status.clone().unwrap_or_default();
    let mut status = status;
    // A stopped task's desired status is STOPPED, whatever the spec says.
    status.desired_status = Some(DesiredStatus::Stopped);
    // A STOPPED status without stoppedAt (hand-written, or from an older version) starts its
    // retention now; without it the retention would restart at every reconcile.
    status.stopped_at.get_or_insert_with(|| now.clone());
    if let Some(pod) = pod {
        // A Pod whose containers have ended is kept with the stopped task (its logs stay readable)
        // and goes with it, when retention ends; any other is deleted.
        let kept = is_terminal(pod) && pod.metadata.deletion_timestamp.is_none();
        let action = if has_our_finalizer(pod) {
            if pod.metadata.deletion_timestamp.is_some() || kept {
                PodAction::ReleaseFinalizer
            } else {
                PodAction::Delete { grace: Some(0) }
            }
        } else if pod.metadata.deletion_timestamp.is_none() && !kept {
            PodAction::Delete { grace: Some(0) }
        } else {
            PodAction::None
        };
        if action != PodAction::None {
            return Plan { status: status.clone(), action, requeue_after: None, event: None }
                .unchanged_or(previous, status);
        }
    }
    let stopped_at = status.stopped_at.as_ref().map(|t| t.0).unwrap_or(now.0);
    let age = now.0.duration_since(stopped_at);
    let remaining = std::time::Duration::try_from(age).map(|a| retention.saturating_sub(a)).unwrap_or(retention);
    if remaining.is_zero() {
        return Plan { status: previous.clone(), action: PodAction::DeleteTask, requeue_after: None, event: None };
    }
    Plan { status: status.clone(), action: PodAction::None, requeue_after: Some(remaining), event: None }
        .unchanged_or(previous, status)
}

impl Plan {
    fn unchanged_or(mut self, previous: TaskStatus, status: TaskStatus) -> Self {
        self.status = if status == previous { previous } else { status };
        self
    }
}

fn finish(previous: TaskStatus, status: TaskStatus, action: PodAction, requeue_after: Option<Duration>) -> Plan {
    // At most one Event on the happy path: the stop, when it is decided. The steps on the way to
    // RUNNING get none (ECS records them as timestamps: pullStartedAt, startedAt, ...; an Event per
    // step was a large share of the operator's writes in a burst). Unhappy turns are Warnings: a stop
    // the user did not ask for, unless every essential container exited 0 (a batch task that did its
    // job), and a task turning UNHEALTHY.
    let stop_decided = previous.stop_code.is_none() && status.stop_code.is_some();
    let event = if stop_decided {
        let last = status.last_status.map(TaskLifecycle::as_str).unwrap_or_default();
        let code = status.stop_code.unwrap_or_default();
        let completed = code == StopCode::EssentialContainerExited
            && status.containers.iter().filter(|c| c.essential != Some(false)).all(|c| c.exit_code == Some(0));
        let warning = code != StopCode::UserInitiated && !completed;
        let reason = if completed { reasons::COMPLETED.to_string() } else { code.as_str().to_string() };
        Some(EcsEvent::new(
            warning,
            reason,
            format!("task {}: {}", last, status.stopped_reason.clone().unwrap_or_default()),
        ))
    } else if status.health_status == Some(HealthStatus::Unhealthy) && previous.health_status != status.health_status {
        Some(EcsEvent::warning(reasons::UNHEALTHY, "task is UNHEALTHY: an essential container failed its health check"))
    } else {
        None
    };
    Plan { status, action, requeue_after, event }
}

/// Records the stop: `stop` is the code and reason when this plan decided it (a code recorded
/// earlier wins).
fn stop_now(status: &mut TaskStatus, stop: Option<(StopCode, &str)>, now: &Time, generation: Option<i64>) {
    if let Some((code, reason)) = stop.filter(|_| status.stop_code.is_none()) {
        status.stop_code = Some(code);
        status.stopped_reason = Some(reason.to_string());
    }
    status.stopping_at.get_or_insert_with(|| now.clone());
    status.execution_stopped_at.get_or_insert_with(|| now.clone());
    status.stopped_at = Some(now.clone());
    status.last_status = Some(TaskLifecycle::Stopped);
    status.desired_status = Some(DesiredStatus::Stopped);
    for c in &mut status.containers {
        c.last_status = Some(ContainerLifecycle::Stopped);
    }
    let message = format!(
        "{}: {}",
        status.stop_code.map(StopCode::as_str).unwrap_or_default(),
        status.stopped_reason.clone().unwrap_or_default()
    );
    // For GitOps tools (kstatus, Argo CD): a task that stopped as asked or whose essential containers
    // all exited 0 is done (Ready); any other stop is a failure (Stalled).
    let succeeded = status.stop_code == Some(StopCode::UserInitiated)
        || (status.stop_code == Some(StopCode::EssentialContainerExited)
            && status.containers.iter().filter(|c| c.essential.unwrap_or(true)).all(|c| c.exit_code == Some(0)));
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(
            conditions::READY,
            succeeded,
            if succeeded { reasons::COMPLETED } else { reasons::STOPPED },
            &message,
        ),
        generation,
        now,
    );
    if succeeded {
        conditions::remove(&mut status.conditions, conditions::STALLED);
    } else {
        conditions::set(
            &mut status.conditions,
            DesiredCondition::new(conditions::STALLED, true, reasons::STOPPED, message),
            generation,
            now,
        );
    }
}

fn set_stopping_conditions(status: &mut TaskStatus, now: &Time, generation: Option<i64>) {
    let message = format!(
        "stopping ({}): {}",
        status.stop_code.map(StopCode::as_str).unwrap_or_default(),
        status.stopped_reason.clone().unwrap_or_default()
    );
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::READY, false, reasons::STOPPING, message),
        generation,
        now,
    );
}

fn apply_observation(status: &mut TaskStatus, observation: &PodObservation, mappings: &[ContainerMapping]) {
    // Keep a container's recorded stop (exit code) even if a later observation lost it; a container
    // that was HEALTHY and is no longer passing its check is UNHEALTHY (not merely UNKNOWN).
    let mut containers = observation.containers.clone();
    for c in &mut containers {
        if let Some(old) = status.containers.iter().find(|o| o.name == c.name) {
            if old.health_status == Some(HealthStatus::Healthy)
                && c.health_status == Some(HealthStatus::Unknown)
                && c.last_status == Some(ContainerLifecycle::Running)
            {
                c.health_status = Some(HealthStatus::Unhealthy);
            }
            if c.exit_code.is_none() && old.exit_code.is_some() {
                c.exit_code = old.exit_code;
                c.last_status = old.last_status;
                c.reason = old.reason.clone();
            }
        }
    }
    let essential: Vec<bool> = mappings.iter().map(|m| m.essential).collect();
    status.health_status = Some(crate::task_status::task_health(&containers, &essential));
    status.containers = containers;
    if status.pull_started_at.is_none() {
        status.pull_started_at = observation.pull_started_at.clone();
    }
    if status.pull_stopped_at.is_none() {
        status.pull_stopped_at = observation.pull_stopped_at.clone();
    }
}

/// The user asked the task to stop (ECS StopTask), with their reason.
fn user_stop(task: &Task) -> Option<(StopCode, String)> {
    (desired_status(task) == DesiredStatus::Stopped).then(|| {
        (StopCode::UserInitiated, task.spec.stopped_reason.clone().unwrap_or_else(|| "Task stopped by user".into()))
    })
}

/// What stopped the task before someone else deleted its Pod, when the Pod shows it: StopTask, a
/// start failure, or an essential container that exited with a code a deletion does not produce
/// (a deleted Pod's containers end with 0 after a clean SIGTERM, 143 or 137).
fn cause_before_deletion(task: &Task, observation: &PodObservation) -> Option<(StopCode, String)> {
    if let Some(user) = user_stop(task) {
        return Some(user);
    }
    if let Some(failure) = &observation.start_failure {
        return Some((StopCode::TaskFailedToStart, format!("{}: {}", failure.reason, failure.message)));
    }
    let crashed =
        observation.essential_exit.as_ref().and_then(|e| e.exit_code).is_some_and(|c| !matches!(c, 0 | 137 | 143));
    crashed.then(|| (StopCode::EssentialContainerExited, task_status::ESSENTIAL_CONTAINER_EXITED_REASON.to_string()))
}

/// Why a Pod went away when kube-ecs did not ask: node gone, spot interruption, or someone else.
fn external_stop(node: &NodeFacts, pod_name: &str) -> (StopCode, String) {
    let instance = node.name.clone().unwrap_or_default();
    if node.spot_interrupted {
        (StopCode::SpotInterruption, "Your Spot Task was interrupted.".into())
    } else if node.gone || node.terminating {
        (StopCode::TerminationNotice, format!("Host EC2 (instance {instance}) terminated."))
    } else {
        (StopCode::UserInitiated, format!("Pod {pod_name} was deleted outside kube-ecs"))
    }
}

fn desired_status(task: &Task) -> DesiredStatus {
    task.spec.desired_status.unwrap_or(DesiredStatus::Running)
}

/// The record the controller left on the Pod.
pub fn pod_record(pod: &Pod) -> PodRecord {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(POD_RECORD_ANNOTATION))
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

/// Facts about the Pod's node (`node`: the read model's Node of the pod's, or the task's recorded,
/// container instance): whether it is gone, interrupted or being drained.
pub fn node_facts(task: &Task, pod: Option<&Pod>, node: Option<&k8s_openapi::api::core::v1::Node>) -> NodeFacts {
    use crate::cluster::pools;
    let node_name = pod
        .and_then(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
        .or_else(|| task.status.as_ref().and_then(|s| s.container_instance.clone()));
    let Some(node_name) = node_name else {
        return NodeFacts { name: None, ..Default::default() };
    };
    // A node of the same name created after the pod is a replacement: the pod's node is gone.
    let pod_created = pod.and_then(|p| p.metadata.creation_timestamp.clone());
    let node = node.filter(|n| match (&n.metadata.creation_timestamp, &pod_created) {
        (Some(node_created), Some(pod_created)) => node_created.0 <= pod_created.0,
        _ => true,
    });
    let annotations = node.as_ref().and_then(|n| n.metadata.annotations.clone()).unwrap_or_default();
    let disrupted_by_gc = pod.is_some_and(|p| {
        p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "DisruptionTarget" && c.status == "True" && c.reason.as_deref() == Some("DeletionByPodGC")
            })
        })
    });
    let draining = node.as_ref().is_some_and(|n| {
        n.spec
            .as_ref()
            .and_then(|s| s.taints.as_ref())
            .is_some_and(|ts| ts.iter().any(|t| t.key == pools::keys::DRAINING_TAINT))
    });
    NodeFacts {
        name: Some(node_name),
        gone: node.is_none() || disrupted_by_gc,
        spot_interrupted: annotations.contains_key(pools::keys::INTERRUPT),
        terminating: draining || node.as_ref().is_some_and(|n| n.metadata.deletion_timestamp.is_some()),
        simulated: annotations.contains_key(pools::keys::KWOK_NODE),
    }
}

pub use crate::labels::POD_RECORD_ANNOTATION;

/// Whether the Pod still carries the task-record finalizer.
pub fn has_our_finalizer(pod: &Pod) -> bool {
    pod.metadata.finalizers.as_ref().is_some_and(|f| f.iter().any(|f| f == crate::labels::TASK_RECORD_FINALIZER))
}

#[cfg(test)]
mod lifecycle_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Time {
        Time(jiff::Timestamp::from_second(1_800_000_000 + seconds).expect("time"))
    }

    fn plan_to(last_status: TaskLifecycle, event: Option<EcsEvent>) -> Plan {
        let status = TaskStatus { last_status: Some(last_status), ..Default::default() };
        Plan { status, action: PodAction::None, requeue_after: None, event }
    }

    #[test]
    fn startup_writes_wait_for_running_within_the_window() {
        let fresh = TaskStatus::default();
        let pending = TaskStatus { last_status: Some(TaskLifecycle::Pending), ..Default::default() };
        let written =
            |last: TaskLifecycle| TaskStatus { last_status: Some(last), pod: Some("t".into()), ..Default::default() };
        let provisioning_written = written(TaskLifecycle::Provisioning);
        let pending_written = written(TaskLifecycle::Pending);
        let running = TaskStatus { last_status: Some(TaskLifecycle::Running), ..Default::default() };
        let problem = Some(EcsEvent::warning("CannotPullContainerError", "pull failed"));
        let cases: [(&str, &TaskStatus, Plan, i64, Option<Duration>); 11] = [
            (
                "pod 1 s old, PENDING: wait 9 s",
                &fresh,
                plan_to(TaskLifecycle::Pending, None),
                1,
                Some(Duration::from_secs(9)),
            ),
            ("window over: write", &fresh, plan_to(TaskLifecycle::Pending, None), 10, None),
            ("RUNNING: write at once", &pending, plan_to(TaskLifecycle::Running, None), 1, None),
            ("a warning: write at once", &fresh, plan_to(TaskLifecycle::Pending, problem.clone()), 1, None),
            ("stopping: write at once", &running, plan_to(TaskLifecycle::Stopping, None), 1, None),
            (
                "from PENDING to ACTIVATING: wait",
                &pending,
                plan_to(TaskLifecycle::Activating, None),
                2,
                Some(Duration::from_secs(8)),
            ),
            (
                "PROVISIONING written at 10 s, bound at 12 s: PENDING waits for 30 s",
                &provisioning_written,
                plan_to(TaskLifecycle::Pending, None),
                12,
                Some(Duration::from_secs(18)),
            ),
            (
                "PROVISIONING written, RUNNING at 14 s: write",
                &provisioning_written,
                plan_to(TaskLifecycle::Running, None),
                14,
                None,
            ),
            (
                "PENDING written, still starting at 30 s: write",
                &pending_written,
                plan_to(TaskLifecycle::Activating, None),
                30,
                None,
            ),
            (
                "PROVISIONING written, a warning: write at once",
                &provisioning_written,
                plan_to(TaskLifecycle::Pending, problem),
                12,
                None,
            ),
            (
                "PROVISIONING from a refusal, before the Pod: first window only",
                &TaskStatus { last_status: Some(TaskLifecycle::Provisioning), ..Default::default() },
                plan_to(TaskLifecycle::Pending, None),
                12,
                None,
            ),
        ];
        for (name, previous, plan, age, expected) in cases {
            assert_eq!(startup_write_delay(previous, &plan, Some(&at(0)), &at(age)), expected, "{name}");
        }
    }

    /// A stopped-by-the-user Task whose Pod (one essential container `app`) is being deleted at
    /// `deleted` (the end of its grace period), with `app` in `state`.
    fn stopping(deleted: i64, state: serde_json::Value) -> (Task, Pod) {
        let task: Task = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
            "metadata": {"name": "t", "namespace": "ns", "generation": 2},
            "spec": {"taskDefinition": "app:1", "desiredStatus": "STOPPED"},
            "status": {"lastStatus": "STOPPING", "stopCode": "UserInitiated", "stoppedReason": "Task stopped by user", "pod": "t"}
        }))
        .expect("task");
        let record = PodRecord::from_mappings(
            "app:1",
            &[ContainerMapping {
                ecs_name: "app".into(),
                kubernetes_name: "app".into(),
                essential: true,
                image: "busybox".into(),
                has_health_check: false,
                unhealthy_after: None,
                kind: ContainerKind::Main,
            }],
            vec![],
            None,
        );
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "t", "namespace": "ns", "deletionTimestamp": at(deleted).0.to_string(),
                "finalizers": [crate::labels::TASK_RECORD_FINALIZER],
                "annotations": {POD_RECORD_ANNOTATION: serde_json::to_string(&record).expect("record")}},
            "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0, "state": state}]}
        }))
        .expect("pod");
        (task, pod)
    }

    #[test]
    fn a_stopping_task_waits_for_its_containers_real_exit_codes() {
        let running = serde_json::json!({"running": {"startedAt": at(-60).0.to_string()}});
        let exited =
            serde_json::json!({"terminated": {"exitCode": 137, "reason": "Error", "finishedAt": at(4).0.to_string()}});
        let real = NodeFacts { name: Some("n1".into()), ..Default::default() };
        let simulated = NodeFacts { simulated: true, ..real.clone() };
        let gone = NodeFacts { gone: true, ..real.clone() };
        let retention = Duration::from_secs(3600);

        // On a real node the container is still being stopped: wait (no finalizer release yet).
        let (task, pod) = stopping(3, running.clone());
        let waiting = plan(&task, Some(&pod), &real, &at(1), retention);
        assert_eq!(waiting.action, PodAction::None, "the stop is not recorded before the exit code arrives");
        assert_eq!(waiting.requeue_after, Some(Duration::from_secs(2) + FINAL_STATE_SLACK));
        assert_eq!(waiting.status.last_status, Some(TaskLifecycle::Stopping));

        // The kubelet reported the end: recorded with its exit code, then the Pod may go.
        let (task, pod) = stopping(3, exited);
        let done = plan(&task, Some(&pod), &real, &at(5), retention);
        assert_eq!(done.action, PodAction::ReleaseFinalizer);
        assert_eq!(done.status.last_status, Some(TaskLifecycle::Stopped));
        assert_eq!(done.status.containers[0].exit_code, Some(137));

        // Nothing will ever report: a simulated node, a node that is gone, or long past the grace period.
        for (facts, now, why) in [(&simulated, 1, "simulated"), (&gone, 1, "node gone"), (&real, 3 + 16, "too late")] {
            let (task, pod) = stopping(3, running.clone());
            assert_eq!(
                plan(&task, Some(&pod), facts, &at(now), retention).action,
                PodAction::ReleaseFinalizer,
                "{why}"
            );
        }
    }

    #[test]
    fn at_most_one_event_on_the_happy_path_and_one_for_each_unhappy_turn() {
        use crate::api::task::ContainerStatus;
        let with =
            |last: TaskLifecycle, code: Option<StopCode>, exit: Option<i32>, health: Option<HealthStatus>| TaskStatus {
                last_status: Some(last),
                stop_code: code,
                stopped_reason: code.map(|_| "why".to_string()),
                health_status: health,
                containers: vec![ContainerStatus {
                    name: "app".into(),
                    essential: Some(true),
                    exit_code: exit,
                    ..Default::default()
                }],
                ..Default::default()
            };
        let event = |previous: TaskStatus, next: TaskStatus| {
            finish(previous, next, PodAction::None, None).event.map(|e| (e.is_warning(), e.reason))
        };
        let none = |last: TaskLifecycle| with(last, None, None, None);
        assert_eq!(
            event(none(TaskLifecycle::Provisioning), none(TaskLifecycle::Pending)),
            None,
            "starting steps: timestamps only"
        );
        assert_eq!(event(none(TaskLifecycle::Pending), none(TaskLifecycle::Running)), None, "RUNNING: timestamps only");
        let exited =
            |code: i32| with(TaskLifecycle::Stopping, Some(StopCode::EssentialContainerExited), Some(code), None);
        assert_eq!(
            event(none(TaskLifecycle::Running), exited(0)),
            Some((false, "TaskCompleted".into())),
            "a batch task did its job"
        );
        assert_eq!(event(none(TaskLifecycle::Running), exited(3)), Some((true, "EssentialContainerExited".into())));
        assert_eq!(
            event(exited(3), with(TaskLifecycle::Stopped, Some(StopCode::EssentialContainerExited), Some(3), None)),
            None,
            "once per stop"
        );
        let user = with(TaskLifecycle::Stopping, Some(StopCode::UserInitiated), None, None);
        assert_eq!(event(none(TaskLifecycle::Running), user), Some((false, "UserInitiated".into())));
        let unhealthy = with(TaskLifecycle::Running, None, None, Some(HealthStatus::Unhealthy));
        assert_eq!(event(none(TaskLifecycle::Running), unhealthy.clone()), Some((true, "TaskUnhealthy".into())));
        assert_eq!(event(unhealthy.clone(), unhealthy), None);
    }
}
