//! Which service status changes are only task counts moving. Those are written at most every few
//! seconds per service (the rest at once): a rollout of 50 tasks moves the counts a hundred times,
//! and under a shared client budget each write is paid by every other service's rollout.

use super::rollout::is_started_tasks_message;
use crate::api::ecs::DeploymentStatus;
use crate::api::service::ServiceStatus;

/// True when `next` differs from `previous` only in progress: running/pending counts (service and
/// deployments), the deployments' `updatedAt`, a draining deployment's desired count, condition messages (same type, status and reason:
/// "3/50 tasks running") and new "has started N tasks" events. Postponing such a write loses
/// nothing: the next one carries the counts, and the started-tasks event sums what was postponed.
pub fn counts_only(previous: &ServiceStatus, next: &ServiceStatus) -> bool {
    if previous.deployments.len() != next.deployments.len() || previous.conditions.len() != next.conditions.len() {
        return false;
    }
    let mut normalized = next.clone();
    normalized.running_count = previous.running_count;
    normalized.pending_count = previous.pending_count;
    for (mine, theirs) in normalized.deployments.iter_mut().zip(&previous.deployments) {
        mine.running_count = theirs.running_count;
        mine.pending_count = theirs.pending_count;
        mine.updated_at = theirs.updated_at.clone();
        // An old deployment's desired count follows its tasks down as it drains.
        if mine.status != DeploymentStatus::Primary {
            mine.desired_count = theirs.desired_count;
        }
    }
    for (mine, theirs) in normalized.conditions.iter_mut().zip(&previous.conditions) {
        if (&mine.type_, &mine.status, &mine.reason) == (&theirs.type_, &theirs.status, &theirs.reason) {
            mine.message = theirs.message.clone();
        }
    }
    normalized.events.retain(|e| previous.events.contains(e) || !is_started_tasks_message(&e.message));
    // The bounded list may have dropped its oldest entries to make room.
    let kept = normalized.events.len();
    normalized.events == previous.events[..kept.min(previous.events.len())]
        && ServiceStatus { events: vec![], ..normalized } == ServiceStatus { events: vec![], ..previous.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ecs::RolloutState;
    use crate::api::service::{ServiceDeployment, ServiceEvent};

    fn event(message: &str) -> ServiceEvent {
        ServiceEvent { id: message.into(), created_at: None, message: message.into() }
    }

    fn status(running: i32, rollout: RolloutState) -> ServiceStatus {
        ServiceStatus {
            events: vec![event("(service web) has started deployment ecs-svc/1 of web:1.")],
            running_count: Some(running),
            rollout_state: Some(rollout),
            deployments: vec![ServiceDeployment {
                id: "ecs-svc/1".into(),
                status: DeploymentStatus::Primary,
                task_definition: "web:1".into(),
                desired_count: 3,
                running_count: running,
                rollout_state: Some(rollout),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn with_event(mut status: ServiceStatus, message: &str) -> ServiceStatus {
        status.events.insert(0, event(message));
        status
    }

    #[test]
    fn recognises_started_tasks_events() {
        use crate::service_plan::rollout::{is_started_tasks_message, started_tasks_message};
        assert!(is_started_tasks_message(&started_tasks_message("web", 12, &[])));
        assert!(is_started_tasks_message(&started_tasks_message("web", 2, &["web-1", "web-2"])));
        assert_eq!(
            started_tasks_message("web", 2, &["web-1", "web-2"]),
            "(service web) has started 2 tasks: (task web-1) (task web-2)."
        );
        assert!(!is_started_tasks_message("(service web) has started deployment ecs-svc/2 of web:2."));
        assert!(!is_started_tasks_message("(service web) has reached a steady state."));
    }

    #[test]
    fn classifies_changes() {
        let cases = [
            ("a task more running", status(1, RolloutState::InProgress), status(2, RolloutState::InProgress), true),
            ("unchanged", status(2, RolloutState::InProgress), status(2, RolloutState::InProgress), true),
            ("rollout completes", status(2, RolloutState::InProgress), status(3, RolloutState::Completed), false),
            (
                "a new deployment",
                status(3, RolloutState::Completed),
                ServiceStatus { deployments: vec![], ..status(3, RolloutState::Completed) },
                false,
            ),
            (
                "tasks started",
                status(1, RolloutState::InProgress),
                with_event(status(2, RolloutState::InProgress), "(service web) has started 1 tasks."),
                true,
            ),
            (
                "steady state",
                status(2, RolloutState::InProgress),
                with_event(status(2, RolloutState::InProgress), "(service web) has reached a steady state."),
                false,
            ),
        ];
        for (name, previous, next, expected) in cases {
            assert_eq!(counts_only(&previous, &next), expected, "{name}");
        }
    }
}
