//! The Task lifecycle, table by table, as ECS behaviour.
//!
//! Every table runs [`plan`] at `now` (= `at(0)`) with a retention of one hour on a Task whose Pod
//! runs two containers: `app` (essential) and `sidecar` (not essential), and compares the whole
//! [`Outcome`]: what is done to the Pod, lastStatus, desiredStatus, the stop (code and reason), the
//! Ready and Placed conditions (status, reason) and when to look again.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;
use crate::api::task::{ContainerStatus, TaskSpec};

const POD: &str = "t-pod";
const NODE: &str = "n1";
/// The Pod's `terminationGracePeriodSeconds` (the definition's stopTimeout).
const GRACE: i64 = 30;
const RETENTION: Duration = Duration::from_secs(3600);
const BY_USER: &str = "Task stopped by user";
const ESSENTIAL_EXITED: &str = task_status::ESSENTIAL_CONTAINER_EXITED_REASON;
const SPOT: &str = "Your Spot Task was interrupted.";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn at(seconds: i64) -> Time {
    Time(jiff::Timestamp::from_second(1_800_000_000 + seconds).expect("time"))
}

fn now() -> Time {
    at(0)
}

fn stamp(seconds: i64) -> String {
    at(seconds).0.to_string()
}

fn container(name: &str, essential: bool, health_check: bool) -> ContainerRecord {
    ContainerRecord {
        ecs_name: name.into(),
        kubernetes_name: name.into(),
        essential,
        image: format!("{name}:1"),
        has_health_check: health_check,
        unhealthy_after: health_check.then_some(30),
        kind: "main".into(),
    }
}

/// `app` (essential) and `sidecar` (not essential), each with a health check or not.
fn record_with_checks(app: bool, sidecar: bool) -> PodRecord {
    PodRecord {
        task_definition: "app:1".into(),
        containers: vec![container("app", true, app), container("sidecar", false, sidecar)],
        ..Default::default()
    }
}

fn record() -> PodRecord {
    record_with_checks(false, false)
}

/// The task's Pod as the controller creates it (record annotation, finalizer), on `node`.
fn pod_of(record: &PodRecord, node: Option<&str>, status: Value) -> Pod {
    let mut spec =
        json!({"terminationGracePeriodSeconds": GRACE, "containers": [{"name": "app"}, {"name": "sidecar"}]});
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    serde_json::from_value(json!({
        "metadata": {"name": POD, "namespace": "ns", "finalizers": [crate::labels::TASK_RECORD_FINALIZER],
            "annotations": {POD_RECORD_ANNOTATION: serde_json::to_string(record).expect("record serialises")}},
        "spec": spec,
        "status": status,
    }))
    .expect("pod fixture")
}

/// A Pod bound to [`NODE`] in `phase` with these container statuses.
fn scheduled(phase: &str, statuses: Vec<Value>) -> Pod {
    pod_of(&record(), Some(NODE), json!({"phase": phase, "containerStatuses": statuses}))
}

/// A Pod not bound to a node; `message` is the scheduler's PodScheduled=False message, if any yet.
fn unscheduled(message: Option<&str>) -> Pod {
    let conditions: Vec<Value> = message
        .map(|m| json!({"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": m}))
        .into_iter()
        .collect();
    pod_of(&record(), None, json!({"phase": "Pending", "conditions": conditions}))
}

fn running(name: &str, ready: bool, started: i64) -> Value {
    json!({"name": name, "image": format!("{name}:1"), "imageID": "", "ready": ready, "restartCount": 0,
        "state": {"running": {"startedAt": stamp(started)}}})
}

fn waiting(name: &str, reason: &str, message: &str) -> Value {
    json!({"name": name, "image": format!("{name}:1"), "imageID": "", "ready": false, "restartCount": 0,
        "state": {"waiting": {"reason": reason, "message": message}}})
}

fn exited(name: &str, code: i32) -> Value {
    let reason = if code == 0 { "Completed" } else { "Error" };
    json!({"name": name, "image": format!("{name}:1"), "imageID": "", "ready": false, "restartCount": 0,
        "state": {"terminated": {"exitCode": code, "reason": reason, "startedAt": stamp(-10), "finishedAt": stamp(-1)}}})
}

fn creating(name: &str) -> Value {
    waiting(name, "ContainerCreating", "")
}

/// Both containers running: `app` since -5 s, `sidecar` since -3 s.
fn all_running() -> Pod {
    scheduled("Running", vec![running("app", true, -5), running("sidecar", true, -3)])
}

/// Both containers still being created on [`NODE`].
fn all_creating() -> Pod {
    scheduled("Pending", vec![creating("app"), creating("sidecar")])
}

/// `pod` with a deletionTimestamp (the end of its grace period) at `end`.
fn deleting(mut pod: Pod, end: i64) -> Pod {
    pod.metadata.deletion_timestamp = Some(at(end));
    pod
}

/// `pod` without kube-ecs's task-record finalizer.
fn unfinalized(mut pod: Pod) -> Pod {
    pod.metadata.finalizers = None;
    pod
}

fn task(desired: Option<DesiredStatus>, stopped_reason: Option<&str>, previous: Option<TaskStatus>) -> Task {
    let mut task = Task::new(
        "t",
        TaskSpec {
            task_definition: "app:1".into(),
            desired_status: desired,
            stopped_reason: stopped_reason.map(str::to_string),
            ..Default::default()
        },
    );
    task.metadata.namespace = Some("ns".into());
    task.metadata.generation = Some(1);
    task.status = previous;
    task
}

/// A Task whose spec wants it RUNNING (the default), last reconciled to `previous`.
fn wants_running(previous: Option<TaskStatus>) -> Task {
    task(None, None, previous)
}

/// A Task whose spec was set to desiredStatus STOPPED (ECS StopTask), with `reason` if given.
fn wants_stopped(reason: Option<&str>, previous: Option<TaskStatus>) -> Task {
    task(Some(DesiredStatus::Stopped), reason, previous)
}

/// What a reconcile recorded for a task at `last` with its Pod on [`NODE`].
fn was(last: TaskLifecycle) -> TaskStatus {
    TaskStatus {
        last_status: Some(last),
        desired_status: Some(DesiredStatus::Running),
        pod: Some(POD.into()),
        container_instance: Some(NODE.into()),
        started_at: (last >= TaskLifecycle::Running).then(|| at(-100)),
        ..Default::default()
    }
}

/// A task that decided its stop (20 s ago) and is STOPPING.
fn stopping_with(code: StopCode, reason: &str) -> TaskStatus {
    TaskStatus {
        desired_status: Some(DesiredStatus::Stopped),
        stop_code: Some(code),
        stopped_reason: Some(reason.into()),
        stopping_at: Some(at(-20)),
        ..was(TaskLifecycle::Stopping)
    }
}

/// A task STOPPED (its essential container exited) at `stopped_at` seconds.
fn stopped_since(stopped_at: Option<i64>) -> TaskStatus {
    TaskStatus {
        last_status: Some(TaskLifecycle::Stopped),
        stopped_at: stopped_at.map(at),
        execution_stopped_at: stopped_at.map(at),
        ..stopping_with(StopCode::EssentialContainerExited, ESSENTIAL_EXITED)
    }
}

fn node() -> NodeFacts {
    NodeFacts { name: Some(NODE.into()), ..Default::default() }
}

fn spot_node() -> NodeFacts {
    NodeFacts { spot_interrupted: true, ..node() }
}

fn draining_node() -> NodeFacts {
    NodeFacts { terminating: true, ..node() }
}

fn gone_node() -> NodeFacts {
    NodeFacts { gone: true, ..node() }
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

/// The parts of a [`Plan`] that state the ECS behaviour.
#[derive(Debug, PartialEq)]
struct Outcome {
    action: PodAction,
    last_status: Option<TaskLifecycle>,
    desired_status: Option<DesiredStatus>,
    /// stopCode and stoppedReason.
    stop: Option<(StopCode, String)>,
    /// The Ready condition: (status, reason).
    ready: Option<(bool, String)>,
    /// The Placed condition: (status, reason).
    placed: Option<(bool, String)>,
    requeue_after: Option<Duration>,
}

fn condition(status: &TaskStatus, type_: &str) -> Option<(bool, String)> {
    conditions::find(&status.conditions, type_).map(|c| (c.status == "True", c.reason.clone()))
}

impl Outcome {
    fn of(plan: &Plan) -> Self {
        let s = &plan.status;
        Self {
            action: plan.action.clone(),
            last_status: s.last_status,
            desired_status: s.desired_status,
            stop: s.stop_code.map(|code| (code, s.stopped_reason.clone().unwrap_or_default())),
            ready: condition(s, conditions::READY),
            placed: condition(s, PLACED),
            requeue_after: plan.requeue_after,
        }
    }
}

fn pair(p: Option<(bool, &str)>) -> Option<(bool, String)> {
    p.map(|(status, reason)| (status, reason.to_string()))
}

/// On the way to (or at) RUNNING: nothing to do to the Pod, no stop.
fn going(last: TaskLifecycle, ready: (bool, &str), placed: Option<(bool, &str)>) -> Outcome {
    Outcome {
        action: PodAction::None,
        last_status: Some(last),
        desired_status: Some(DesiredStatus::Running),
        stop: None,
        ready: pair(Some(ready)),
        placed: pair(placed),
        requeue_after: None,
    }
}

/// A stop decided (or kept) while the Pod runs: the Pod is deleted with its grace period.
fn stopping(last: TaskLifecycle, code: StopCode, reason: &str) -> Outcome {
    Outcome {
        action: PodAction::Halt { deadline_seconds: 1 },
        last_status: Some(last),
        desired_status: Some(DesiredStatus::Stopped),
        stop: Some((code, reason.into())),
        ready: pair(Some((false, reasons::STOPPING))),
        placed: None,
        requeue_after: Some(Duration::from_secs(5)),
    }
}

/// The same stop where the Pod is deleted instead (a simulated node, or a kubelet that did not
/// stop the containers in time).
fn stopping_by_deletion(last: TaskLifecycle, code: StopCode, reason: &str) -> Outcome {
    Outcome { action: PodAction::Delete { grace: Some(GRACE) }, requeue_after: None, ..stopping(last, code, reason) }
}

/// The stop recorded as STOPPED: the retention period starts.
fn stopped(code: StopCode, reason: &str, ready: (bool, &str)) -> Outcome {
    Outcome {
        action: PodAction::None,
        last_status: Some(TaskLifecycle::Stopped),
        desired_status: Some(DesiredStatus::Stopped),
        stop: Some((code, reason.into())),
        ready: pair(Some(ready)),
        placed: None,
        requeue_after: Some(RETENTION),
    }
}

/// A task already STOPPED: its stop is kept, its conditions untouched.
fn still_stopped(action: PodAction, requeue_after: Option<Duration>) -> Outcome {
    Outcome {
        action,
        last_status: Some(TaskLifecycle::Stopped),
        desired_status: Some(DesiredStatus::Stopped),
        stop: Some((StopCode::EssentialContainerExited, ESSENTIAL_EXITED.into())),
        ready: None,
        placed: None,
        requeue_after,
    }
}

/// (name stating the ECS rule, task, its Pod, its node, expected outcome)
type Row = (&'static str, Task, Option<Pod>, NodeFacts, Outcome);

/// Plans every row and compares its outcome; returns the plans (by row name) for extra checks.
fn check(rows: Vec<Row>) -> Vec<(&'static str, Task, Plan)> {
    rows.into_iter()
        .map(|(name, task, pod, node, expected)| {
            let plan = plan(&task, pod.as_ref(), &node, &now(), RETENTION);
            assert_eq!(Outcome::of(&plan), expected, "{name}");
            (name, task, plan)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

#[test]
fn a_task_without_a_pod_gets_one_unless_it_is_stopped() {
    let plans = check(vec![
        (
            "RunTask: a new task gets a Pod and no stop",
            wants_running(None),
            None,
            node(),
            Outcome {
                action: PodAction::Create,
                last_status: None,
                desired_status: Some(DesiredStatus::Running),
                stop: None,
                ready: None,
                placed: None,
                requeue_after: None,
            },
        ),
        (
            "StopTask before the Pod exists: STOPPED at once, UserInitiated, the default reason",
            wants_stopped(None, None),
            None,
            node(),
            stopped(StopCode::UserInitiated, BY_USER, (true, reasons::COMPLETED)),
        ),
        (
            "StopTask with a reason before the Pod exists: the user's reason is the stoppedReason",
            wants_stopped(Some("maintenance window"), None),
            None,
            node(),
            stopped(StopCode::UserInitiated, "maintenance window", (true, reasons::COMPLETED)),
        ),
    ]);
    for (name, _, plan) in &plans {
        assert_eq!(plan.status.created_at, Some(now()), "{name}: createdAt is recorded");
        assert_eq!(plan.status.cluster.as_deref(), Some(crate::api::DEFAULT_CLUSTER), "{name}");
    }
    let user_stop = &plans[1].2.status;
    assert_eq!(user_stop.stopped_at, Some(now()), "a stop with no Pod is STOPPED now");
    assert_eq!(user_stop.stopping_at, Some(now()));
}

#[test]
fn the_pod_drives_the_task_towards_running() {
    let plans = check(vec![
        (
            "a Pod no node has room for: PROVISIONING, Placed=False with ECS's RESOURCE reason",
            wants_running(None),
            Some(unscheduled(Some("0/3 nodes are available: 3 Insufficient memory."))),
            node(),
            going(TaskLifecycle::Provisioning, (false, reasons::STARTING), Some((false, reasons::UNPLACEABLE))),
        ),
        (
            "a Pod the scheduler has not looked at yet: PROVISIONING, no Placed condition",
            wants_running(None),
            Some(unscheduled(None)),
            node(),
            going(TaskLifecycle::Provisioning, (false, reasons::STARTING), None),
        ),
        (
            "placed, containers still being created: PENDING, Placed=True",
            wants_running(Some(was(TaskLifecycle::Provisioning))),
            Some(all_creating()),
            node(),
            going(TaskLifecycle::Pending, (false, reasons::STARTING), Some((true, reasons::PLACED))),
        ),
        (
            "the essential container runs but another is still starting: PENDING until every container runs",
            wants_running(Some(was(TaskLifecycle::Pending))),
            Some(scheduled("Running", vec![running("app", true, -5), creating("sidecar")])),
            node(),
            going(TaskLifecycle::Pending, (false, reasons::STARTING), Some((true, reasons::PLACED))),
        ),
        (
            "every container running: RUNNING, Ready=True",
            wants_running(Some(was(TaskLifecycle::Pending))),
            Some(all_running()),
            node(),
            going(TaskLifecycle::Running, (true, reasons::RUNNING), Some((true, reasons::PLACED))),
        ),
    ]);
    let unplaceable = &plans[0].2.status;
    let message = conditions::find(&unplaceable.conditions, PLACED).map(|c| c.message.clone()).unwrap_or_default();
    assert!(message.starts_with("RESOURCE:MEMORY"), "placement failure in ECS's words: {message}");
    assert_eq!(unplaceable.container_instance, None, "no container instance before placement");

    let running = &plans[4].2.status;
    assert_eq!(running.started_at, Some(at(-3)), "startedAt: when the last container started");
    assert_eq!(running.container_instance.as_deref(), Some(NODE));
    assert_eq!(running.pod.as_deref(), Some(POD));
    assert_eq!(running.task_definition.as_deref(), Some("app:1"), "the revision the Pod runs");
    assert_eq!(running.health_status, Some(HealthStatus::Unknown), "no health check: UNKNOWN");
    assert!(
        running.containers.iter().all(|c| c.last_status == Some(ContainerLifecycle::Running)),
        "{:?}",
        running.containers
    );
    for (name, _, plan) in &plans {
        if plan.status.last_status != Some(TaskLifecycle::Running) {
            assert_eq!(plan.status.started_at, None, "{name}: no startedAt before RUNNING");
        }
    }
}

#[test]
fn last_status_never_moves_backwards() {
    let plans = check(vec![
        (
            "a RUNNING task whose Pod reports its containers pending stays RUNNING",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(all_creating()),
            node(),
            going(TaskLifecycle::Running, (true, reasons::RUNNING), Some((true, reasons::PLACED))),
        ),
        (
            "a PENDING task whose Pod looks unscheduled stays PENDING",
            wants_running(Some(was(TaskLifecycle::Pending))),
            Some(unscheduled(None)),
            node(),
            going(TaskLifecycle::Pending, (false, reasons::STARTING), None),
        ),
        (
            "a RUNNING task stays RUNNING and keeps its first startedAt",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(all_running()),
            node(),
            going(TaskLifecycle::Running, (true, reasons::RUNNING), Some((true, reasons::PLACED))),
        ),
        (
            "a STOPPING task whose Pod still runs stays STOPPING (and the Pod is halted again)",
            wants_stopped(None, Some(stopping_with(StopCode::UserInitiated, BY_USER))),
            Some(all_running()),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::UserInitiated, BY_USER),
        ),
        (
            "a halted Pod whose containers have all ended: STOPPED, the Pod kept for its logs",
            wants_stopped(None, Some(stopping_with(StopCode::UserInitiated, BY_USER))),
            Some(scheduled("Failed", vec![exited("app", 143), exited("sidecar", 137)])),
            node(),
            Outcome {
                action: PodAction::ReleaseFinalizer,
                ..stopped(StopCode::UserInitiated, BY_USER, (true, reasons::COMPLETED))
            },
        ),
        (
            "a halted Pod the kubelet has not stopped within the grace period and slack is deleted",
            wants_stopped(
                None,
                Some(TaskStatus { stopping_at: Some(at(-60)), ..stopping_with(StopCode::UserInitiated, BY_USER) }),
            ),
            Some(all_running()),
            node(),
            stopping_by_deletion(TaskLifecycle::Stopping, StopCode::UserInitiated, BY_USER),
        ),
    ]);
    for (name, _, plan) in &plans[..] {
        if plan.status.last_status == Some(TaskLifecycle::Running) {
            assert_eq!(plan.status.started_at, Some(at(-100)), "{name}: startedAt is set once");
        }
    }
}

#[test]
fn an_essential_container_exit_stops_the_task() {
    let plans = check(vec![
        (
            "the essential container exits 1 while the other runs: STOPPING, EssentialContainerExited, its containers stopped in place (the Pod and its logs stay)",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(scheduled("Running", vec![exited("app", 1), running("sidecar", true, -3)])),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::EssentialContainerExited, ESSENTIAL_EXITED),
        ),
        (
            "any exit code counts: an essential container exiting 0 stops the task too",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(scheduled("Running", vec![exited("app", 0), running("sidecar", true, -3)])),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::EssentialContainerExited, ESSENTIAL_EXITED),
        ),
        (
            "every container exited on a real instance: STOPPED at once, the Pod (and its logs) kept",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(scheduled("Succeeded", vec![exited("app", 0), exited("sidecar", 0)])),
            node(),
            Outcome {
                action: PodAction::ReleaseFinalizer,
                ..stopped(StopCode::EssentialContainerExited, ESSENTIAL_EXITED, (true, reasons::COMPLETED))
            },
        ),
        (
            "every container exited on a simulated instance: DEPROVISIONING, the Pod is deleted",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(scheduled("Succeeded", vec![exited("app", 0), exited("sidecar", 0)])),
            NodeFacts { simulated: true, ..node() },
            stopping_by_deletion(TaskLifecycle::Deprovisioning, StopCode::EssentialContainerExited, ESSENTIAL_EXITED),
        ),
        (
            "the essential container exits on a simulated instance: the Pod is deleted (no kubelet to halt it)",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(scheduled("Running", vec![exited("app", 1), running("sidecar", true, -3)])),
            NodeFacts { simulated: true, ..node() },
            stopping_by_deletion(TaskLifecycle::Stopping, StopCode::EssentialContainerExited, ESSENTIAL_EXITED),
        ),
        (
            "an essential container exiting before the task was seen RUNNING stops it as well",
            wants_running(Some(was(TaskLifecycle::Pending))),
            Some(scheduled("Running", vec![exited("app", 2), creating("sidecar")])),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::EssentialContainerExited, ESSENTIAL_EXITED),
        ),
        (
            "a non-essential container exiting does not affect the task: RUNNING",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(scheduled("Running", vec![running("app", true, -5), exited("sidecar", 3)])),
            node(),
            going(TaskLifecycle::Running, (true, reasons::RUNNING), Some((true, reasons::PLACED))),
        ),
    ]);
    let crashed = &plans[0].2;
    assert_eq!(crashed.status.stopping_at, Some(now()), "stoppingAt: when the stop was decided");
    let app = crashed.status.containers.iter().find(|c| c.name == "app").expect("app recorded");
    assert_eq!((app.last_status, app.exit_code), (Some(ContainerLifecycle::Stopped), Some(1)));
    assert!(crashed.event.as_ref().is_some_and(crate::event::EcsEvent::is_warning), "a crash is a Warning");
    let sidecar_exit = &plans[6].2.status;
    let sidecar = sidecar_exit.containers.iter().find(|c| c.name == "sidecar").expect("sidecar recorded");
    assert_eq!(sidecar.exit_code, Some(3), "the non-essential exit is still recorded");
    assert_eq!(sidecar_exit.stop_code, None);

    // A task whose containers ran and exited before any reconcile saw RUNNING (a short batch task
    // in a busy cluster) goes PENDING -> STOPPED on a real instance (PENDING -> DEPROVISIONING where
    // the Pod is deleted), and still reports when it started: the Pod's terminated.startedAt.
    for (node, last) in
        [(node(), TaskLifecycle::Stopped), (NodeFacts { simulated: true, ..node() }, TaskLifecycle::Deprovisioning)]
    {
        let quick = plan(
            &wants_running(Some(was(TaskLifecycle::Pending))),
            Some(&scheduled("Succeeded", vec![exited("app", 0), exited("sidecar", 0)])),
            &node,
            &now(),
            RETENTION,
        );
        assert_eq!(quick.status.last_status, Some(last));
        assert_eq!(quick.status.started_at, Some(at(-10)), "a task that ran has a startedAt");
    }
}

#[test]
fn a_container_that_cannot_start_fails_the_task() {
    let failed = |name: &'static str, app: Value, reason: &str| -> Row {
        (
            name,
            wants_running(Some(was(TaskLifecycle::Pending))),
            Some(scheduled("Pending", vec![app, creating("sidecar")])),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::TaskFailedToStart, reason),
        )
    };
    let plans = check(vec![
        failed(
            "an image that cannot be pulled (ErrImagePull): TaskFailedToStart, CannotPullContainerError",
            waiting("app", "ErrImagePull", "pull access denied for nope"),
            "CannotPullContainerError: pull access denied for nope",
        ),
        failed(
            "an image in pull back-off: TaskFailedToStart, CannotPullContainerError",
            waiting("app", "ImagePullBackOff", "Back-off pulling image \"nope\""),
            "CannotPullContainerError: Back-off pulling image \"nope\"",
        ),
        failed(
            "a container that cannot be created: TaskFailedToStart, CannotStartContainerError",
            waiting("app", "CreateContainerError", "exec: \"/app\": not found"),
            "CannotStartContainerError: exec: \"/app\": not found",
        ),
        failed(
            "a secret the task needs does not exist: TaskFailedToStart, ResourceInitializationError",
            waiting("app", "CreateContainerConfigError", "secret \"db\" not found"),
            "ResourceInitializationError: unable to retrieve secrets or configuration for the task: secret \"db\" not found",
        ),
        (
            "a non-essential container's image cannot be pulled either: the task fails to start",
            wants_running(Some(was(TaskLifecycle::Pending))),
            Some(scheduled(
                "Pending",
                vec![running("app", true, -5), waiting("sidecar", "ErrImagePull", "manifest unknown")],
            )),
            node(),
            stopping(
                TaskLifecycle::Stopping,
                StopCode::TaskFailedToStart,
                "CannotPullContainerError: manifest unknown",
            ),
        ),
    ]);
    let pull = &plans[0].2.status;
    let app = pull.containers.iter().find(|c| c.name == "app").expect("app recorded");
    assert_eq!(app.reason.as_deref(), Some("CannotPullContainerError: pull access denied for nope"));
    assert_eq!(app.last_status, Some(ContainerLifecycle::Pending), "it never started");
}

#[test]
fn stop_task_while_running() {
    check(vec![
        (
            "desiredStatus STOPPED on a RUNNING task: UserInitiated with the user's reason, the Pod halted (its containers get their grace)",
            wants_stopped(Some("scaling down"), Some(was(TaskLifecycle::Running))),
            Some(all_running()),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::UserInitiated, "scaling down"),
        ),
        (
            "desiredStatus STOPPED without a reason: \"Task stopped by user\"",
            wants_stopped(None, Some(was(TaskLifecycle::Running))),
            Some(all_running()),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::UserInitiated, BY_USER),
        ),
        (
            "StopTask on a task still PROVISIONING: STOPPING, its unplaced Pod deleted",
            wants_stopped(None, Some(was(TaskLifecycle::Provisioning))),
            Some(unscheduled(Some("0/3 nodes are available: 3 Insufficient cpu."))),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::UserInitiated, BY_USER),
        ),
        (
            "StopTask seen together with an essential exit: the user's stop is the cause",
            wants_stopped(None, Some(was(TaskLifecycle::Running))),
            Some(scheduled("Running", vec![exited("app", 1), running("sidecar", true, -3)])),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::UserInitiated, BY_USER),
        ),
    ]);
}

#[test]
fn the_node_going_away_stops_the_task() {
    let running = || wants_running(Some(was(TaskLifecycle::Running)));
    let host_terminated = format!("Host EC2 (instance {NODE}) terminated.");
    check(vec![
        // The Pod still runs on a node that is going.
        (
            "a spot interruption notice: SpotInterruption, the Pod halted",
            running(),
            Some(all_running()),
            spot_node(),
            stopping(TaskLifecycle::Stopping, StopCode::SpotInterruption, SPOT),
        ),
        (
            "the container instance is drained / terminated: TerminationNotice, Pod deleted",
            running(),
            Some(all_running()),
            draining_node(),
            stopping(
                TaskLifecycle::Stopping,
                StopCode::TerminationNotice,
                &format!("Host EC2 (instance {NODE}) is being terminated."),
            ),
        ),
        (
            "a spot node being drained: SpotInterruption is the cause",
            running(),
            Some(all_running()),
            NodeFacts { terminating: true, ..spot_node() },
            stopping(TaskLifecycle::Stopping, StopCode::SpotInterruption, SPOT),
        ),
        // The Pod vanished without passing the finalizer (force-deleted): STOPPED with what is known.
        (
            "the Pod vanished from a healthy node: STOPPED, UserInitiated (deleted outside kube-ecs)",
            running(),
            None,
            node(),
            stopped(
                StopCode::UserInitiated,
                &format!("Pod {POD} was deleted outside kube-ecs"),
                (true, reasons::COMPLETED),
            ),
        ),
        (
            "the Pod vanished with its node: STOPPED, TerminationNotice",
            running(),
            None,
            gone_node(),
            stopped(StopCode::TerminationNotice, &host_terminated, (false, reasons::STOPPED)),
        ),
        (
            "the Pod vanished from an interrupted spot node: STOPPED, SpotInterruption",
            running(),
            None,
            spot_node(),
            stopped(StopCode::SpotInterruption, SPOT, (false, reasons::STOPPED)),
        ),
        // The Pod is being deleted by someone else: the stop is recorded from the node.
        (
            "the Pod evicted from a draining node: TerminationNotice, wait for the containers' exit codes",
            running(),
            Some(deleting(all_running(), 30)),
            draining_node(),
            Outcome {
                action: PodAction::None,
                requeue_after: Some(Duration::from_secs(30) + FINAL_STATE_SLACK),
                ..stopping(TaskLifecycle::Stopping, StopCode::TerminationNotice, &host_terminated)
            },
        ),
        (
            "the Pod deleted with its node gone: nothing will report, STOPPED and the finalizer released",
            running(),
            Some(deleting(all_running(), 30)),
            gone_node(),
            Outcome {
                action: PodAction::ReleaseFinalizer,
                ..stopped(StopCode::TerminationNotice, &host_terminated, (false, reasons::STOPPED))
            },
        ),
    ]);
}

#[test]
fn a_failed_stop_is_stalled_and_a_done_one_is_not() {
    // kstatus / Argo CD: a task stopped as asked, or whose essential containers exited 0, is done;
    // any other stop is a failure.
    let cases = [
        ("stopped by the user", wants_stopped(None, None), None, node(), true),
        ("Pod vanished with its node", wants_running(Some(was(TaskLifecycle::Running))), None, gone_node(), false),
        (
            "all essential containers exited 0",
            wants_running(Some(stopping_with(StopCode::EssentialContainerExited, ESSENTIAL_EXITED))),
            Some(deleting(scheduled("Failed", vec![exited("app", 0), exited("sidecar", 1)]), 30)),
            node(),
            true,
        ),
        (
            "an essential container exited 1",
            wants_running(Some(stopping_with(StopCode::EssentialContainerExited, ESSENTIAL_EXITED))),
            Some(deleting(scheduled("Failed", vec![exited("app", 1), exited("sidecar", 0)]), 30)),
            node(),
            false,
        ),
    ];
    for (name, task, pod, node, done) in cases {
        let plan = plan(&task, pod.as_ref(), &node, &now(), RETENTION);
        assert_eq!(plan.status.last_status, Some(TaskLifecycle::Stopped), "{name}");
        let ready = condition(&plan.status, conditions::READY);
        let stalled = condition(&plan.status, conditions::STALLED);
        if done {
            assert_eq!((ready, stalled), (pair(Some((true, reasons::COMPLETED))), None), "{name}");
        } else {
            assert_eq!(
                (ready, stalled),
                (pair(Some((false, reasons::STOPPED))), pair(Some((true, reasons::STOPPED)))),
                "{name}"
            );
        }
    }
}

#[test]
fn a_stopped_task_stays_stopped_until_its_retention_ends() {
    let stopped_ago = |seconds: i64| Some(stopped_since(Some(-seconds)));
    let plans = check(vec![
        (
            "the spec wants it RUNNING again: still STOPPED, desiredStatus STOPPED, no new Pod",
            task(Some(DesiredStatus::Running), None, stopped_ago(600)),
            None,
            node(),
            still_stopped(PodAction::None, Some(Duration::from_secs(3000))),
        ),
        (
            "its leftover Pod (with the finalizer) is deleted at once",
            wants_running(stopped_ago(600)),
            Some(all_running()),
            node(),
            still_stopped(PodAction::Delete { grace: Some(0) }, None),
        ),
        (
            "its leftover Pod being deleted: the finalizer is released",
            wants_running(stopped_ago(600)),
            Some(deleting(all_running(), 30)),
            node(),
            still_stopped(PodAction::ReleaseFinalizer, None),
        ),
        (
            "a leftover Pod without the finalizer is deleted too",
            wants_running(stopped_ago(600)),
            Some(unfinalized(all_running())),
            node(),
            still_stopped(PodAction::Delete { grace: Some(0) }, None),
        ),
        (
            "a leftover Pod without the finalizer already going: only the retention remains",
            wants_running(stopped_ago(600)),
            Some(deleting(unfinalized(all_running()), 30)),
            node(),
            still_stopped(PodAction::None, Some(Duration::from_secs(3000))),
        ),
        (
            "its Pod whose containers have ended is kept (their logs stay readable), its finalizer released",
            wants_running(stopped_ago(600)),
            Some(scheduled("Failed", vec![exited("app", 1), exited("sidecar", 137)])),
            node(),
            still_stopped(PodAction::ReleaseFinalizer, None),
        ),
        (
            "a kept Pod, its finalizer released: it goes with the Task when retention ends",
            wants_running(stopped_ago(600)),
            Some(unfinalized(scheduled("Failed", vec![exited("app", 1), exited("sidecar", 137)]))),
            node(),
            still_stopped(PodAction::None, Some(Duration::from_secs(3000))),
        ),
        (
            "a leftover Pod showing a different exit does not change the recorded stop",
            wants_stopped(Some("later"), stopped_ago(600)),
            Some(scheduled("Running", vec![waiting("app", "ErrImagePull", "x"), running("sidecar", true, -3)])),
            spot_node(),
            still_stopped(PodAction::Delete { grace: Some(0) }, None),
        ),
        (
            "one second before the retention ends: look again in one second",
            wants_running(stopped_ago(3599)),
            None,
            node(),
            still_stopped(PodAction::None, Some(Duration::from_secs(1))),
        ),
        (
            "retention elapsed since stoppedAt: the Task itself is deleted",
            wants_running(stopped_ago(3600)),
            None,
            node(),
            still_stopped(PodAction::DeleteTask, None),
        ),
        (
            "retention long past: the Task itself is deleted",
            wants_running(stopped_ago(7200)),
            None,
            node(),
            still_stopped(PodAction::DeleteTask, None),
        ),
        (
            // A STOPPED status without stoppedAt (hand-written, or from an older version) gets one
            // now, so its retention ends RETENTION from the first look (not from every look).
            "no stoppedAt: recorded now, the retention starts",
            wants_running(Some(stopped_since(None))),
            None,
            node(),
            still_stopped(PodAction::None, Some(RETENTION)),
        ),
    ]);
    for (name, task, plan) in &plans {
        let previous = task.status.as_ref().expect("a stopped status");
        let expected_stopped_at = previous.stopped_at.clone().or_else(|| Some(now()));
        assert_eq!(plan.status.stopped_at, expected_stopped_at, "{name}: stoppedAt is kept (or recorded once)");
        assert_eq!(plan.status.containers, previous.containers, "{name}: the record is kept");
        assert_eq!(plan.event, None, "{name}: nothing new to tell");
    }
}

#[test]
fn the_first_stop_code_wins() {
    let plans = check(vec![
        (
            "stopped by the user, then the essential container exits: still UserInitiated",
            wants_stopped(None, Some(stopping_with(StopCode::UserInitiated, BY_USER))),
            Some(scheduled("Running", vec![exited("app", 143), running("sidecar", true, -3)])),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::UserInitiated, BY_USER),
        ),
        (
            "the essential container exited, then StopTask: still EssentialContainerExited",
            wants_stopped(Some("too late"), Some(stopping_with(StopCode::EssentialContainerExited, ESSENTIAL_EXITED))),
            Some(scheduled("Running", vec![exited("app", 1), running("sidecar", true, -3)])),
            node(),
            stopping(TaskLifecycle::Stopping, StopCode::EssentialContainerExited, ESSENTIAL_EXITED),
        ),
        (
            "failed to start, then a spot interruption: still TaskFailedToStart",
            wants_running(Some(stopping_with(StopCode::TaskFailedToStart, "CannotPullContainerError: x"))),
            Some(scheduled("Pending", vec![waiting("app", "ErrImagePull", "x"), creating("sidecar")])),
            spot_node(),
            stopping(TaskLifecycle::Stopping, StopCode::TaskFailedToStart, "CannotPullContainerError: x"),
        ),
        (
            "spot interruption, then the Pod deleted with its node gone: still SpotInterruption",
            wants_running(Some(stopping_with(StopCode::SpotInterruption, SPOT))),
            Some(deleting(all_running(), 30)),
            gone_node(),
            Outcome {
                action: PodAction::ReleaseFinalizer,
                ..stopped(StopCode::SpotInterruption, SPOT, (false, reasons::STOPPED))
            },
        ),
        (
            "spot interruption, then the Pod vanishes: still SpotInterruption",
            wants_running(Some(stopping_with(StopCode::SpotInterruption, SPOT))),
            None,
            gone_node(),
            stopped(StopCode::SpotInterruption, SPOT, (false, reasons::STOPPED)),
        ),
    ]);
    for (name, _, plan) in &plans {
        assert_eq!(plan.status.stopping_at, Some(at(-20)), "{name}: stoppingAt is when the first stop was decided");
        assert_eq!(plan.event, None, "{name}: the stop was announced once, when decided");
    }
}

#[test]
fn a_pod_deleted_by_someone_else_is_stopped_by_whom_deleted_it() {
    // Someone else deleting the Pod does not hide what stopped the task first: an essential
    // container that exited with a code a deletion does not produce (not 0, 137 or 143) is
    // EssentialContainerExited (Stalled), and a StopTask not yet recorded keeps the user's reason,
    // whether the Pod is being deleted or already gone.
    let outside = format!("Pod {POD} was deleted outside kube-ecs");
    check(vec![
        (
            "a crashed essential container in a Pod deleted by someone else: the crash is the stop",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(deleting(scheduled("Failed", vec![exited("app", 1), exited("sidecar", 0)]), 30)),
            node(),
            Outcome {
                action: PodAction::ReleaseFinalizer,
                ..stopped(StopCode::EssentialContainerExited, ESSENTIAL_EXITED, (false, reasons::STOPPED))
            },
        ),
        (
            "StopTask with a reason, the Pod deleted before it was recorded: the user's reason",
            wants_stopped(Some("scaling down"), Some(was(TaskLifecycle::Running))),
            Some(deleting(all_running(), 30)),
            node(),
            Outcome {
                action: PodAction::None,
                requeue_after: Some(Duration::from_secs(30) + FINAL_STATE_SLACK),
                ..stopping(TaskLifecycle::Stopping, StopCode::UserInitiated, "scaling down")
            },
        ),
        (
            "StopTask with a reason, the Pod vanished before it was recorded: the user's reason",
            wants_stopped(Some("scaling down"), Some(was(TaskLifecycle::Running))),
            None,
            node(),
            stopped(StopCode::UserInitiated, "scaling down", (true, reasons::COMPLETED)),
        ),
        (
            "a running task whose Pod someone else deletes: UserInitiated, saying so",
            wants_running(Some(was(TaskLifecycle::Running))),
            Some(deleting(scheduled("Running", vec![exited("app", 143), exited("sidecar", 143)]), 30)),
            node(),
            Outcome {
                action: PodAction::ReleaseFinalizer,
                ..stopped(StopCode::UserInitiated, &outside, (true, reasons::COMPLETED))
            },
        ),
    ]);
}

/// One row of the health table: `app` (essential) and `sidecar` (not essential, with a health check)
/// both running; `sidecar` since -60 s.
struct HealthRow {
    rule: &'static str,
    app_has_check: bool,
    app_ready: bool,
    app_started: i64,
    sidecar_ready: bool,
    /// `app`'s health in the previous status.
    app_was: Option<HealthStatus>,
    /// Expected health of (app, sidecar, task).
    expected: [HealthStatus; 3],
    /// Expected requeue_after, in seconds.
    requeue: Option<u64>,
}

#[test]
fn health_is_the_health_check_over_essential_containers() {
    use HealthStatus::{Healthy, Unhealthy, Unknown};
    let row = HealthRow {
        rule: "",
        app_has_check: true,
        app_ready: true,
        app_started: -60,
        sidecar_ready: true,
        app_was: None,
        expected: [Healthy; 3],
        requeue: None,
    };
    let rows = [
        HealthRow { rule: "an essential container passing its check: HEALTHY", ..row },
        HealthRow {
            rule: "a failing non-essential check does not make the task UNHEALTHY",
            sidecar_ready: false,
            expected: [Healthy, Unhealthy, Healthy],
            ..row
        },
        HealthRow {
            rule: "in its start period a check not yet passing is UNKNOWN; look again when it is due",
            app_ready: false,
            app_started: -5,
            expected: [Unknown, Healthy, Unknown],
            requeue: Some(26),
            ..row
        },
        HealthRow {
            rule: "past its start period a check that never passed is UNHEALTHY",
            app_ready: false,
            expected: [Unhealthy, Healthy, Unhealthy],
            ..row
        },
        HealthRow {
            rule: "a HEALTHY container that stops passing its check is UNHEALTHY at once",
            app_ready: false,
            app_started: -5,
            app_was: Some(Healthy),
            expected: [Unhealthy, Healthy, Unhealthy],
            requeue: Some(26),
            ..row
        },
        HealthRow {
            rule: "an essential container without a health check leaves the task UNKNOWN",
            app_has_check: false,
            expected: [Unknown, Healthy, Unknown],
            ..row
        },
    ];
    for HealthRow { rule, app_has_check, app_ready, app_started, sidecar_ready, app_was, expected, requeue } in rows {
        let previous = TaskStatus {
            containers: vec![ContainerStatus {
                name: "app".into(),
                essential: Some(true),
                last_status: Some(ContainerLifecycle::Running),
                health_status: app_was,
                ..Default::default()
            }],
            ..was(TaskLifecycle::Running)
        };
        let pod = pod_of(
            &record_with_checks(app_has_check, true),
            Some(NODE),
            json!({"phase": "Running", "containerStatuses": [
                running("app", app_ready, app_started), running("sidecar", sidecar_ready, -60)]}),
        );
        let plan = plan(&wants_running(Some(previous)), Some(&pod), &node(), &now(), RETENTION);
        let health = |c: &str| plan.status.containers.iter().find(|s| s.name == c).and_then(|s| s.health_status);
        assert_eq!(
            [health("app"), health("sidecar"), plan.status.health_status],
            expected.map(Some),
            "{rule}: (app, sidecar, task)"
        );
        assert_eq!(
            Outcome::of(&plan),
            Outcome {
                requeue_after: requeue.map(Duration::from_secs),
                ..going(TaskLifecycle::Running, (true, reasons::RUNNING), Some((true, reasons::PLACED)))
            },
            "{rule}: health never stops a standalone task"
        );
        let event = plan.event.as_ref().map(|e| (e.is_warning(), e.reason.as_str()));
        assert_eq!(event, (expected[2] == Unhealthy).then_some((true, reasons::UNHEALTHY)), "{rule}");
    }
}
