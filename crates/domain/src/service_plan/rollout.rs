//! ECS deployments of a service, computed purely from the previous status and the observed pods:
//! PRIMARY/ACTIVE deployments with their counts and rolloutState, the circuit breaker, stopped-task
//! records and ECS-style service events.
//!
//! Invariant: an unchanged world yields an identical status (no timestamps move, no events are
//! added), so a steady service causes no writes.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::conditions::{self, DesiredCondition};
use crate::api::ecs::{DeploymentStatus, RolloutState, StopCode};
use crate::api::service::{Service, ServiceDeployment, ServiceEvent, ServiceStatus, StoppedTaskRecord};
use crate::event::EcsEvent;
use crate::task_status::TaskLifecycle;

/// Most events and stopped-task records kept in status.
pub const MAX_EVENTS: usize = 20;
pub const MAX_STOPPED_TASKS: usize = 10;

pub use crate::api::conditions::reasons::service as reasons;

/// One pod of the service, as the planner needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    pub name: String,
    /// `family:revision` the pod runs.
    pub task_definition: String,
    pub lifecycle: TaskLifecycle,
    /// Set when the pod's task has failed (essential container exited, failed to start).
    pub failure: Option<PodFailure>,
    /// Already being deleted.
    pub deleting: bool,
    /// No container instance can take it (the scheduler left it unscheduled): in ECS the task would
    /// not exist, so it is neither pending nor started.
    pub unplaceable: bool,
    /// When the pod was made (the newest are the tasks a "has started" event names).
    pub created: Option<jiff::Timestamp>,
}

/// Why a service task stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct PodFailure {
    pub stop_code: StopCode,
    pub reason: String,
    /// `container=exitCode`.
    pub exit_codes: Vec<String>,
    /// The task never reached RUNNING (counts towards the circuit breaker).
    pub failed_to_start: bool,
    /// An essential container exited (counts towards the circuit breaker during a rollout).
    pub essential_exit: bool,
}

/// Most task IDs one "has started" event names (a burst of hundreds would make an event of kilobytes).
pub const MAX_STARTED_TASKS_NAMED: usize = 10;

/// The event of new tasks, in ECS's wording: "(service web) has started 2 tasks: (task web-7c9-x2)
/// (task web-7c9-q8)." naming the tasks (at most [`MAX_STARTED_TASKS_NAMED`]); without IDs, "(service
/// web) has started 3 tasks.".
pub fn started_tasks_message(service: &str, count: i32, tasks: &[&str]) -> String {
    if tasks.is_empty() {
        return format!("(service {service}) has started {count} tasks.");
    }
    let named: Vec<String> = tasks.iter().take(MAX_STARTED_TASKS_NAMED).map(|t| format!("(task {t})")).collect();
    format!("(service {service}) has started {count} tasks: {}.", named.join(" "))
}

/// Whether `message` is a [`started_tasks_message`].
pub fn is_started_tasks_message(message: &str) -> bool {
    let Some(rest) = message.strip_prefix("(service ").and_then(|m| m.split(") has started ").nth(1)) else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let tail = &rest[digits..];
    digits > 0 && (tail == " tasks." || (tail.starts_with(" tasks: (task ") && tail.ends_with(").")))
}

/// What the planner sees.
pub struct RolloutInputs<'a> {
    pub service: &'a Service,
    pub previous: &'a ServiceStatus,
    /// The revision the spec asks for (resolved).
    pub target: &'a str,
    pub desired_count: i32,
    pub pods: &'a [PodView],
    /// The workload (Deployment/DaemonSet) has fully rolled out its current template.
    pub workload_settled: bool,
    pub now: &'a Time,
    /// ECS's "unable to place a task" event, when some of the service's tasks cannot be placed.
    pub placement_failure: Option<&'a str>,
}

/// What the controller does next.
#[derive(Clone, Debug, PartialEq)]
pub struct RolloutPlan {
    pub status: ServiceStatus,
    /// The revision the workload must run (the target, or the rollback revision).
    pub deploy: String,
    /// Stop rolling out (breaker tripped, no rollback).
    pub paused: bool,
    /// Failed task pods to delete so they are replaced (ECS replaces the whole task).
    pub delete_pods: Vec<String>,
    /// Events to publish: (warning, reason, message).
    pub events: Vec<EcsEvent>,
}

/// The circuit breaker's failed-task threshold: 0.5 x desiredCount (rounded up), within [3, 200].
pub fn failure_threshold(desired: i32) -> i32 {
    ((desired.max(0) + 1) / 2).clamp(3, 200)
}

pub fn plan(inputs: &RolloutInputs) -> RolloutPlan {
    let name = inputs.service.metadata.name.clone().unwrap_or_default();
    let mut status = inputs.previous.clone();
    let mut events: Vec<EcsEvent> = Vec::new();
    let mut messages: Vec<String> = Vec::new();
    let now = inputs.now;
    let breaker = inputs
        .service
        .spec
        .deployment_configuration
        .as_ref()
        .and_then(|d| d.deployment_circuit_breaker.clone())
        .unwrap_or_default();

    // The spec moved on from a revision that failed: forget the failure.
    if status.failed_task_definition.as_deref().is_some_and(|f| f != inputs.target) {
        status.failed_task_definition = None;
    }
    let primary_ref =
        status.deployments.iter().find(|d| d.status == DeploymentStatus::Primary).map(|d| d.task_definition.clone());
    let blocked = status.failed_task_definition.as_deref() == Some(inputs.target);
    if primary_ref.as_deref() != Some(inputs.target) && !blocked {
        start_deployment(&mut status, inputs.target, inputs.desired_count, now, &name, &mut messages);
    }

    // Failed tasks: record them, count them against the PRIMARY deployment, replace them.
    let mut delete_pods = Vec::new();
    let primary_target =
        status.deployments.iter().find(|d| d.status == DeploymentStatus::Primary).map(|d| d.task_definition.clone());
    let mut new_failures = 0;
    for pod in inputs.pods {
        let Some(failure) = &pod.failure else { continue };
        if pod.deleting {
            // Already going (its instance was interrupted or drained): record it once.
            if status.stopped_tasks.iter().any(|t| t.task == pod.name) {
                continue;
            }
        } else {
            delete_pods.push(pod.name.clone());
        }
        status.stopped_tasks.insert(
            0,
            StoppedTaskRecord {
                task: pod.name.clone(),
                task_definition: Some(pod.task_definition.clone()),
                stop_code: failure.stop_code,
                stopped_reason: Some(failure.reason.clone()),
                exit_codes: failure.exit_codes.clone(),
                stopped_at: Some(now.clone()),
            },
        );
        let exit = if failure.exit_codes.is_empty() {
            String::new()
        } else {
            format!(" (exit codes: {})", failure.exit_codes.join(", "))
        };
        messages.push(format!(
            "(service {name}) has stopped 1 running tasks: (task {}) {}: {}{exit}.",
            pod.name, failure.stop_code, failure.reason
        ));
        if Some(&pod.task_definition) == primary_target.as_ref() && (failure.failed_to_start || failure.essential_exit)
        {
            new_failures += 1;
        }
    }
    status.stopped_tasks.truncate(MAX_STOPPED_TASKS);

    let mut paused = false;
    let mut deploy = primary_target.clone().unwrap_or_else(|| inputs.target.to_string());
    if let Some(primary) = status.deployments.iter_mut().find(|d| d.status == DeploymentStatus::Primary) {
        let running = count(inputs.pods, &primary.task_definition, |p| {
            p.lifecycle == TaskLifecycle::Running && p.failure.is_none()
        });
        if primary.rollout_state == Some(RolloutState::InProgress) {
            // Consecutive failures: a task of the deployment reaching RUNNING resets the count.
            if running > primary.running_count && new_failures == 0 {
                primary.failed_tasks = 0;
            }
            primary.failed_tasks += new_failures;
        }
        if breaker.enable
            && primary.rollout_state == Some(RolloutState::InProgress)
            && primary.failed_tasks >= failure_threshold(inputs.desired_count)
        {
            primary.rollout_state = Some(RolloutState::Failed);
            primary.rollout_state_reason = Some(format!(
                "ECS deployment circuit breaker: task failed to start or its essential container exited {} times (threshold {}).",
                primary.failed_tasks,
                failure_threshold(inputs.desired_count)
            ));
            primary.updated_at = Some(now.clone());
            status.failed_task_definition = Some(primary.task_definition.clone());
            let failed_id = primary.id.clone();
            events.push(EcsEvent::warning(
                reasons::CIRCUIT_BREAKER,
                format!("(service {name}) (deployment {failed_id}) deployment failed: tasks failed to start."),
            ));
            messages
                .push(format!("(service {name}) (deployment {failed_id}) deployment failed: tasks failed to start."));
            let rollback_to = status
                .last_completed_task_definition
                .clone()
                .filter(|r| breaker.rollback && *r != status.failed_task_definition.clone().unwrap_or_default());
            match rollback_to {
                Some(previous_ref) => {
                    messages.push(format!(
                        "(service {name}) rolling back to {previous_ref} after deployment {failed_id} failed."
                    ));
                    events.push(EcsEvent::warning(reasons::ROLLING_BACK, format!("rolling back to {previous_ref}")));
                    start_deployment(&mut status, &previous_ref, inputs.desired_count, now, &name, &mut messages);
                    if let Some(d) = status.deployments.iter_mut().find(|d| d.status == DeploymentStatus::Primary) {
                        d.rollout_state_reason = Some(format!("rolling back from failed deployment {failed_id}"));
                    }
                }
                None => paused = true,
            }
        }
    }
    if let Some(primary) = status.deployments.iter().find(|d| d.status == DeploymentStatus::Primary) {
        deploy = primary.task_definition.clone();
        paused |= primary.rollout_state == Some(RolloutState::Failed);
    }

    // Counts per deployment; ACTIVE deployments without tasks are done.
    let desired = inputs.desired_count;
    for d in &mut status.deployments {
        let running = count(inputs.pods, &d.task_definition, |p| {
            p.lifecycle == TaskLifecycle::Running && p.failure.is_none() && !p.deleting
        });
        // Pending: placed on a container instance, not running yet. A pod the scheduler has not
        // placed (or cannot place) is a task ECS would not have started.
        let pending = count(inputs.pods, &d.task_definition, |p| {
            p.lifecycle > TaskLifecycle::Provisioning
                && p.lifecycle < TaskLifecycle::Running
                && p.failure.is_none()
                && !p.deleting
                && !p.unplaceable
        });
        let desired_here = if d.status == DeploymentStatus::Primary { desired } else { running + pending };
        if (d.running_count, d.pending_count, d.desired_count) != (running, pending, desired_here) {
            d.running_count = running;
            d.pending_count = pending;
            d.desired_count = desired_here;
            d.updated_at = Some(now.clone());
        }
    }
    // ACTIVE deployments leave once their tasks are gone; the newest FAILED one stays as the record of
    // what the circuit breaker stopped.
    let newest_failed = status
        .deployments
        .iter()
        .find(|d| d.status != DeploymentStatus::Primary && d.rollout_state == Some(RolloutState::Failed))
        .map(|d| d.id.clone());
    status.deployments.retain(|d| {
        d.status == DeploymentStatus::Primary
            || d.running_count + d.pending_count > 0
            || Some(&d.id) == newest_failed.as_ref()
    });

    // Started tasks come before a steady state they lead to (events are newest first).
    let running: i32 = status.deployments.iter().map(|d| d.running_count).sum();
    let pending: i32 = status.deployments.iter().map(|d| d.pending_count).sum();
    let previous_total = inputs.previous.running_count.unwrap_or(0) + inputs.previous.pending_count.unwrap_or(0);
    if running + pending > previous_total && !inputs.previous.deployments.is_empty() {
        // The newest counted tasks are the ones started since the last written status (a postponed
        // write sums them).
        let count = running + pending - previous_total;
        let mut started: Vec<&PodView> = inputs
            .pods
            .iter()
            .filter(|p| {
                p.lifecycle > TaskLifecycle::Provisioning && p.failure.is_none() && !p.deleting && !p.unplaceable
            })
            .collect();
        started.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
        let named: Vec<&str> = started.iter().take(count as usize).map(|p| p.name.as_str()).collect();
        messages.push(started_tasks_message(&name, count, &named));
    }
    // Said once while it lasts, as ECS repeats it only when something changed.
    if let Some(failure) = inputs.placement_failure
        && !inputs.previous.events.iter().take(5).any(|e| e.message == failure)
    {
        messages.push(failure.to_string());
        events.push(EcsEvent::warning(reasons::UNPLACEABLE, failure));
    }
    let others_left = status
        .deployments
        .iter()
        .any(|d| d.status != DeploymentStatus::Primary && d.running_count + d.pending_count > 0);
    if let Some(primary) = status.deployments.iter_mut().find(|d| d.status == DeploymentStatus::Primary)
        && primary.rollout_state == Some(RolloutState::InProgress)
        && inputs.workload_settled
        && !others_left
        && primary.running_count == desired
    {
        primary.rollout_state = Some(RolloutState::Completed);
        primary.rollout_state_reason = Some("ECS deployment completed.".into());
        primary.updated_at = Some(now.clone());
        status.last_completed_task_definition = Some(primary.task_definition.clone());
        messages.push(format!("(service {name}) (deployment {}) deployment completed.", primary.id));
        messages.push(format!("(service {name}) has reached a steady state."));
        events.push(EcsEvent::normal(reasons::STEADY, format!("service {name} has reached a steady state")));
    }

    status.running_count = Some(running);
    status.pending_count = Some(pending);
    status.desired_count = Some(desired);
    let primary = status.deployments.iter().find(|d| d.status == DeploymentStatus::Primary).cloned();
    status.task_definition = primary.as_ref().map(|d| d.task_definition.clone());
    status.rollout_state = primary.as_ref().and_then(|d| d.rollout_state);

    for (i, message) in messages.into_iter().enumerate() {
        let id = format!("{}-{}", now.0.as_millisecond(), i);
        status.events.insert(0, ServiceEvent { id, created_at: Some(now.clone()), message });
    }
    status.events.truncate(MAX_EVENTS);

    set_conditions(&mut status, inputs.service.metadata.generation, now, desired);
    set_placed(&mut status, inputs.service.metadata.generation, now, inputs.placement_failure);
    RolloutPlan { status, deploy, paused, delete_pods, events }
}

fn start_deployment(
    status: &mut ServiceStatus,
    target: &str,
    desired: i32,
    now: &Time,
    name: &str,
    messages: &mut Vec<String>,
) {
    // Tasks already running the target revision belong to the new deployment (a rollback adopts them).
    status.deployments.retain(|d| d.task_definition != target || d.rollout_state == Some(RolloutState::Failed));
    for d in &mut status.deployments {
        if d.status == DeploymentStatus::Primary {
            d.status = DeploymentStatus::Active;
            d.updated_at = Some(now.clone());
        }
    }
    let number = status.deployment_count.unwrap_or(0) + 1;
    status.deployment_count = Some(number);
    let id = format!("ecs-svc/{number}");
    messages.push(format!("(service {name}) has started deployment {id} of {target}."));
    status.deployments.insert(
        0,
        ServiceDeployment {
            id,
            status: DeploymentStatus::Primary,
            task_definition: target.to_string(),
            desired_count: desired,
            pending_count: 0,
            running_count: 0,
            failed_tasks: 0,
            rollout_state: Some(RolloutState::InProgress),
            rollout_state_reason: Some("ECS deployment in progress.".into()),
            created_at: Some(now.clone()),
            updated_at: Some(now.clone()),
        },
    );
}

fn count(pods: &[PodView], reference: &str, pick: impl Fn(&PodView) -> bool) -> i32 {
    pods.iter().filter(|p| p.task_definition == reference && pick(p)).count() as i32
}

/// `Placed=False` while some of the service's tasks cannot be placed, with ECS's message.
fn set_placed(status: &mut ServiceStatus, generation: Option<i64>, now: &Time, failure: Option<&str>) {
    match failure {
        Some(message) => conditions::set(
            &mut status.conditions,
            DesiredCondition::new(reasons::PLACED, false, reasons::UNPLACEABLE, message),
            generation,
            now,
        ),
        None => conditions::remove(&mut status.conditions, reasons::PLACED),
    }
}

fn set_conditions(status: &mut ServiceStatus, generation: Option<i64>, now: &Time, desired: i32) {
    let rollout = status.rollout_state;
    let running = status.running_count.unwrap_or(0);
    let steady = rollout == Some(RolloutState::Completed) && running == desired;
    let (ready_reason, ready_message) = if steady {
        (reasons::STEADY, format!("{running}/{desired} tasks running; the service has reached a steady state"))
    } else if rollout == Some(RolloutState::Failed) {
        (reasons::CIRCUIT_BREAKER, "the deployment failed and the circuit breaker stopped it".to_string())
    } else {
        (
            reasons::DEPLOYING,
            format!(
                "{running}/{desired} tasks running; deployment {}",
                rollout.map(RolloutState::as_str).unwrap_or_default()
            ),
        )
    };
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::READY, steady, ready_reason, ready_message.clone()),
        generation,
        now,
    );
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::VALID, true, "Valid", "the service is valid"),
        generation,
        now,
    );
    if rollout == Some(RolloutState::Failed) {
        conditions::set(
            &mut status.conditions,
            DesiredCondition::new(conditions::STALLED, true, reasons::CIRCUIT_BREAKER, ready_message),
            generation,
            now,
        );
        conditions::remove(&mut status.conditions, conditions::RECONCILING);
    } else if !steady {
        conditions::set(
            &mut status.conditions,
            DesiredCondition::new(conditions::RECONCILING, true, reasons::DEPLOYING, ready_message),
            generation,
            now,
        );
        conditions::remove(&mut status.conditions, conditions::STALLED);
    } else {
        conditions::remove(&mut status.conditions, conditions::RECONCILING);
        conditions::remove(&mut status.conditions, conditions::STALLED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(breaker: bool) -> Service {
        let spec = serde_json::from_value(serde_json::json!({
            "taskDefinition": "web",
            "desiredCount": 3,
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": breaker, "rollback": true}}
        }))
        .expect("spec");
        let mut s = Service::new("web", spec);
        s.metadata.generation = Some(1);
        s
    }

    fn pod(name: &str, td: &str, lifecycle: TaskLifecycle, failure: Option<PodFailure>) -> PodView {
        PodView {
            name: name.into(),
            task_definition: td.into(),
            lifecycle,
            failure,
            deleting: false,
            unplaceable: false,
            created: None,
        }
    }

    fn failed_to_start() -> Option<PodFailure> {
        Some(PodFailure {
            stop_code: StopCode::TaskFailedToStart,
            reason: "CannotPullContainerError: no such host".into(),
            exit_codes: vec![],
            failed_to_start: true,
            essential_exit: false,
        })
    }

    /// A new service's first rollout: 3 tasks of web:1.
    fn first_rollout<'a>(svc: &'a Service, pods: &'a [PodView], settled: bool, now: &'a Time) -> RolloutInputs<'a> {
        RolloutInputs {
            service: svc,
            previous: &NO_STATUS,
            target: "web:1",
            desired_count: 3,
            pods,
            workload_settled: settled,
            now,
            placement_failure: None,
        }
    }

    static NO_STATUS: std::sync::LazyLock<ServiceStatus> = std::sync::LazyLock::new(ServiceStatus::default);

    fn running_web_1() -> Vec<PodView> {
        (0..3).map(|i| pod(&format!("p{i}"), "web:1", TaskLifecycle::Running, None)).collect()
    }

    fn time(s: &str) -> Time {
        Time(s.parse().expect("time"))
    }

    #[test]
    fn thresholds_follow_ecs() {
        assert_eq!(failure_threshold(1), 3);
        assert_eq!(failure_threshold(3), 3);
        assert_eq!(failure_threshold(10), 5);
        assert_eq!(failure_threshold(11), 6);
        assert_eq!(failure_threshold(1000), 200);
    }

    #[test]
    fn first_deployment_completes_and_a_steady_service_changes_nothing() {
        let svc = service(true);
        let t = time("2026-01-01T00:00:00Z");
        let pods = running_web_1();
        let inputs = first_rollout(&svc, &pods, true, &t);
        let first = plan(&inputs);
        assert_eq!(first.status.rollout_state, Some(RolloutState::Completed));
        assert_eq!(first.status.last_completed_task_definition.as_deref(), Some("web:1"));
        assert!(first.status.events.iter().any(|e| e.message.contains("has reached a steady state")));
        let later = time("2026-01-01T00:05:00Z");
        let again = plan(&RolloutInputs { previous: &first.status, now: &later, ..inputs });
        assert_eq!(again.status, first.status, "steady state writes nothing");
    }

    #[test]
    fn a_steady_state_is_newer_than_the_tasks_started_on_the_way() {
        let svc = service(true);
        let t = time("2026-01-01T00:00:00Z");
        let inputs = first_rollout(&svc, &[], false, &t);
        let starting = plan(&inputs);
        assert_eq!(starting.status.rollout_state, Some(RolloutState::InProgress));
        let pods = running_web_1();
        let later = time("2026-01-01T00:00:30Z");
        let steady = plan(&RolloutInputs {
            previous: &starting.status,
            pods: &pods,
            workload_settled: true,
            now: &later,
            ..inputs
        });
        let messages: Vec<_> = steady.status.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages[0], "(service web) has reached a steady state.", "{messages:?}");
        assert!(
            messages.contains(&"(service web) has started 3 tasks: (task p0) (task p1) (task p2)."),
            "{messages:?}"
        );
    }

    #[test]
    fn a_started_tasks_event_names_the_newest_tasks() {
        let svc = service(true);
        let t = time("2026-01-01T00:00:00Z");
        let mut pods = running_web_1();
        for (i, p) in pods.iter_mut().enumerate() {
            p.created = Some(jiff::Timestamp::from_second(1_700_000_000 + i as i64).expect("time"));
        }
        let first = plan(&first_rollout(&svc, &pods, true, &t));
        // Two more tasks (a scale-out): the event names them, not the ones already counted.
        for name in ["p3", "p4"] {
            let mut p = pod(name, "web:1", TaskLifecycle::Pending, None);
            p.created = Some(jiff::Timestamp::from_second(1_700_000_100).expect("time"));
            pods.push(p);
        }
        let mut unplaceable = pod("p5", "web:1", TaskLifecycle::Provisioning, None);
        unplaceable.unplaceable = true;
        unplaceable.created = Some(jiff::Timestamp::from_second(1_700_000_200).expect("time"));
        pods.push(unplaceable);
        let later = time("2026-01-01T00:01:00Z");
        let next = plan(&RolloutInputs {
            previous: &first.status,
            pods: &pods,
            now: &later,
            ..first_rollout(&svc, &pods, true, &t)
        });
        assert_eq!(next.status.events[0].message, "(service web) has started 2 tasks: (task p3) (task p4).");
    }

    #[test]
    fn failing_revision_trips_the_breaker_and_rolls_back() {
        let svc = service(true);
        let t = time("2026-01-01T00:00:00Z");
        let good = running_web_1();
        let base = first_rollout(&svc, &good, true, &t);
        let mut status = plan(&base).status;
        for round in 0..3 {
            let mut pods = good.clone();
            pods.push(pod(&format!("bad{round}"), "web:2", TaskLifecycle::Pending, failed_to_start()));
            let step = plan(&RolloutInputs {
                previous: &status,
                target: "web:2",
                pods: &pods,
                workload_settled: false,
                ..base
            });
            assert_eq!(step.delete_pods, vec![format!("bad{round}")]);
            status = step.status;
            if round < 2 {
                assert_eq!(step.deploy, "web:2");
            } else {
                assert_eq!(step.deploy, "web:1", "rolled back");
                assert_eq!(status.failed_task_definition.as_deref(), Some("web:2"));
                let failed =
                    status.deployments.iter().find(|d| d.task_definition == "web:2").expect("failed deployment listed");
                assert_eq!(failed.rollout_state, Some(RolloutState::Failed));
                assert_eq!(failed.failed_tasks, 3);
            }
        }
        // The failed revision is not deployed again while the spec still names it.
        let step =
            plan(&RolloutInputs { previous: &status, target: "web:2", pods: &good, workload_settled: true, ..base });
        assert_eq!(step.deploy, "web:1");
        assert_eq!(step.status.rollout_state, Some(RolloutState::Completed), "{:#?}", step.status.deployments);
    }
}
