//! The Pod -> task status mapping table.

use k8s_openapi::api::core::v1::Pod;

use super::*;
use crate::api::ecs::ContainerLifecycle;
use crate::translate::{ContainerKind, ContainerMapping};

fn mapping(name: &str, essential: bool, kind: ContainerKind, health: bool) -> ContainerMapping {
    ContainerMapping {
        ecs_name: name.into(),
        kubernetes_name: name.into(),
        essential,
        image: format!("{name}:1"),
        has_health_check: health,
        unhealthy_after: health.then_some(20),
        kind,
    }
}

fn now() -> Time {
    Time("2026-01-01T00:00:05Z".parse().expect("timestamp"))
}

fn pod(yaml: &str) -> Pod {
    serde_yaml::from_str(yaml).expect("pod fixture")
}

fn app_and_sidecar() -> Vec<ContainerMapping> {
    vec![mapping("app", true, ContainerKind::Main, true), mapping("sidecar", false, ContainerKind::Main, false)]
}

#[test]
fn lifecycle_table() {
    // (fixture, expected lastStatus, unschedulable reason prefix)
    let cases = [
        (
            "status: {phase: Pending, conditions: [{type: PodScheduled, status: 'False', reason: Unschedulable, message: '0/3 nodes are available: 3 Insufficient memory.'}]}",
            TaskLifecycle::Provisioning,
            Some("RESOURCE:MEMORY"),
        ),
        (
            "status: {phase: Pending, conditions: [{type: PodScheduled, status: 'False', reason: Unschedulable, message: '0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory.'}]}",
            TaskLifecycle::Provisioning,
            Some("RESOURCE:CPU, RESOURCE:MEMORY"),
        ),
        (
            "status: {phase: Pending, conditions: [{type: PodScheduled, status: 'False', message: \"0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.\"}]}",
            TaskLifecycle::Provisioning,
            Some("ATTRIBUTE"),
        ),
        ("spec: {nodeName: n1, containers: []}\nstatus: {phase: Pending}", TaskLifecycle::Pending, None),
        (
            "spec: {nodeName: n1, containers: []}\nstatus: {phase: Running, containerStatuses: [{name: app, image: a, imageID: '', ready: true, restartCount: 0, state: {running: {startedAt: '2026-01-01T00:00:05Z'}}}, {name: sidecar, image: s, imageID: '', ready: true, restartCount: 0, state: {running: {startedAt: '2026-01-01T00:00:04Z'}}}]}",
            TaskLifecycle::Running,
            None,
        ),
    ];
    for (fixture, expected, reason) in cases {
        let o = observe_pod(&pod(fixture), &app_and_sidecar(), &now());
        assert_eq!(o.last_status, Some(expected), "{fixture}");
        match reason {
            Some(prefix) => assert!(
                o.unschedulable.as_deref().is_some_and(|r| r.starts_with(prefix)),
                "{fixture}: {:?}",
                o.unschedulable
            ),
            None => assert!(o.unschedulable.is_none(), "{fixture}"),
        }
    }
}

#[test]
fn essential_and_non_essential_exits() {
    let sidecar_exited = pod("spec: {nodeName: n1, containers: []}\nstatus: {phase: Running, containerStatuses: [\
         {name: app, image: a, imageID: '', ready: true, restartCount: 0, state: {running: {startedAt: '2026-01-01T00:00:05Z'}}},\
         {name: sidecar, image: s, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 3, reason: Error, finishedAt: '2026-01-01T00:01:00Z'}}}]}");
    let o = observe_pod(&sidecar_exited, &app_and_sidecar(), &now());
    assert_eq!(o.last_status, Some(TaskLifecycle::Running));
    assert!(o.essential_exit.is_none(), "a non-essential exit is not a task exit");
    assert_eq!(o.containers[1].exit_code, Some(3));
    assert_eq!(o.containers[1].last_status, Some(ContainerLifecycle::Stopped));

    let app_oom = pod("spec: {nodeName: n1, containers: []}\nstatus: {phase: Running, containerStatuses: [\
         {name: app, image: a, imageID: '', ready: false, restartCount: 0, state: {terminated: {exitCode: 137, reason: OOMKilled, finishedAt: '2026-01-01T00:02:00Z'}}},\
         {name: sidecar, image: s, imageID: '', ready: true, restartCount: 0, state: {running: {startedAt: '2026-01-01T00:00:04Z'}}}]}");
    let o = observe_pod(&app_oom, &app_and_sidecar(), &now());
    assert_eq!(o.essential_exit, Some(EssentialExit { container: "app".into(), exit_code: Some(137) }));
    assert_eq!(o.containers[0].reason.as_deref(), Some("OutOfMemoryError: Container killed due to memory usage"));

    let restarted = pod("spec: {nodeName: n1, containers: []}\nstatus: {phase: Running, containerStatuses: [\
         {name: app, image: a, imageID: '', ready: true, restartCount: 1, state: {running: {startedAt: '2026-01-01T00:03:00Z'}}, lastState: {terminated: {exitCode: 1, reason: Error}}},\
         {name: sidecar, image: s, imageID: '', ready: true, restartCount: 0, state: {running: {startedAt: '2026-01-01T00:00:04Z'}}}]}");
    let o = observe_pod(&restarted, &app_and_sidecar(), &now());
    assert_eq!(
        o.essential_exit.map(|e| e.exit_code),
        Some(Some(1)),
        "a restarted essential container counts as an exit"
    );
}

#[test]
fn start_failures_and_health() {
    let pull = pod("spec: {nodeName: n1, containers: []}\nstatus: {phase: Pending, containerStatuses: [\
         {name: app, image: a, imageID: '', ready: false, restartCount: 0, state: {waiting: {reason: ErrImagePull, message: 'pull access denied'}}}]}");
    let o = observe_pod(&pull, &app_and_sidecar(), &now());
    let failure = o.start_failure.expect("start failure");
    assert_eq!(failure.reason, "CannotPullContainerError");
    assert_eq!(o.containers[0].reason.as_deref(), Some("CannotPullContainerError: pull access denied"));

    let healthy = pod("spec: {nodeName: n1, containers: []}\nstatus: {phase: Running, containerStatuses: [\
         {name: app, image: a, imageID: '', ready: true, restartCount: 0, state: {running: {}}},\
         {name: sidecar, image: s, imageID: '', ready: true, restartCount: 0, state: {running: {}}}]}");
    let o = observe_pod(&healthy, &app_and_sidecar(), &now());
    assert_eq!(o.containers[0].health_status, Some(HealthStatus::Healthy));
    assert_eq!(o.containers[1].health_status, Some(HealthStatus::Unknown), "no health check: UNKNOWN");
    assert_eq!(o.health_status, HealthStatus::Healthy, "only essential containers count");
}

#[test]
fn a_missing_secret_is_a_resource_initialization_error() {
    let missing = pod("spec: {nodeName: n1, containers: []}\nstatus: {phase: Pending, containerStatuses: [\
         {name: app, image: a, imageID: '', ready: false, restartCount: 0, state: {waiting: {reason: CreateContainerConfigError, message: 'secret \"db\" not found'}}}]}");
    let failure = observe_pod(&missing, &app_and_sidecar(), &now()).start_failure.expect("start failure");
    assert_eq!(failure.reason, "ResourceInitializationError");
    assert_eq!(failure.message, "unable to retrieve secrets or configuration for the task: secret \"db\" not found");
    let root = pod("spec: {nodeName: n1, containers: []}\nstatus: {phase: Pending, containerStatuses: [\
         {name: app, image: a, imageID: '', ready: false, restartCount: 0, state: {waiting: {reason: CreateContainerConfigError, message: 'container has runAsNonRoot and image will run as root'}}}]}");
    let failure = observe_pod(&root, &app_and_sidecar(), &now()).start_failure.expect("start failure");
    assert_eq!(failure.reason, "CannotStartContainerError");
}

#[test]
fn a_health_check_that_never_passes_turns_unhealthy_after_its_retries() {
    // The app's check counts as failed 20 s after the container started (see `mapping`).
    let running_since = |started: &str| {
        pod(&format!(
            "spec: {{nodeName: n1, containers: []}}\nstatus: {{phase: Running, containerStatuses: [\
             {{name: app, image: a, imageID: '', ready: false, restartCount: 0, state: {{running: {{startedAt: '{started}'}}}}}}]}}"
        ))
    };
    let young = observe_pod(&running_since("2026-01-01T00:00:00Z"), &app_and_sidecar(), &now());
    assert_eq!(young.containers[0].health_status, Some(HealthStatus::Unknown));
    assert_eq!(young.health_due, Some(Time("2026-01-01T00:00:20Z".parse().expect("timestamp"))));
    let old = observe_pod(&running_since("2025-12-31T23:59:40Z"), &app_and_sidecar(), &now());
    assert_eq!(old.containers[0].health_status, Some(HealthStatus::Unhealthy));
    assert_eq!(old.health_status, HealthStatus::Unhealthy);
    assert_eq!(old.health_due, None);
}

#[test]
fn task_health_precedence() {
    let c = |h: HealthStatus| crate::api::task::ContainerStatus {
        name: "c".into(),
        health_status: Some(h),
        ..Default::default()
    };
    assert_eq!(
        task_health(&[c(HealthStatus::Healthy), c(HealthStatus::Unknown)], &[true, true]),
        HealthStatus::Unknown
    );
    assert_eq!(
        task_health(&[c(HealthStatus::Unknown), c(HealthStatus::Unhealthy)], &[true, true]),
        HealthStatus::Unhealthy
    );
    assert_eq!(
        task_health(&[c(HealthStatus::Healthy), c(HealthStatus::Unhealthy)], &[true, false]),
        HealthStatus::Healthy
    );
}

#[test]
fn lifecycle_never_moves_backwards() {
    assert_eq!(advance(Some(TaskLifecycle::Running), TaskLifecycle::Pending), TaskLifecycle::Running);
    assert_eq!(advance(Some(TaskLifecycle::Pending), TaskLifecycle::Running), TaskLifecycle::Running);
    assert_eq!(advance(None, TaskLifecycle::Provisioning), TaskLifecycle::Provisioning);
}
