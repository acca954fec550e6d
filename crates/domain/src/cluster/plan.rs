//! An EcsCluster's next status as a pure function: ECS's cluster status and counts, the kstatus
//! conditions, and the Event a status change deserves; the deletion guard's status too. The
//! controller observes the counts and pools, provisions, and applies what this returns.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::status::Counts;
use crate::api::EcsCluster;
use crate::api::cluster::{EcsClusterStatus, NodePoolStatus};
use crate::api::conditions::{self, Conditions};
use crate::api::ecs::{ClusterState, TaskLifecycle};
use crate::api::{Service, Task};
use crate::event::EcsEvent;

pub use crate::api::conditions::reasons::cluster as reasons;

/// What the cluster's status is computed from.
pub struct Observed<'a> {
    pub cluster: &'a EcsCluster,
    pub previous: &'a EcsClusterStatus,
    pub counts: Counts,
    pub pools: Vec<NodePoolStatus>,
    /// Spec problems (`pools::validate`).
    pub problems: &'a [String],
    /// Providers that failed to apply (Karpenter objects refused).
    pub provider_problems: &'a [String],
    /// Container instances are still being provisioned by kube-ecs.
    pub provisioning: bool,
    pub now: &'a Time,
}

/// The next status and the Event of its change.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub status: EcsClusterStatus,
    pub event: Option<EcsEvent>,
    /// Still provisioning: look again soon.
    pub provisioning: bool,
}

pub fn plan(observed: &Observed<'_>) -> Planned {
    let Observed { cluster, previous, counts, problems, provider_problems, now, .. } = observed;
    let provisioning = observed.provisioning
        || observed.pools.iter().any(|p| p.provider != "nodes" && p.registered_instances < p.desired_instances);
    let mut next = EcsClusterStatus {
        observed_generation: cluster.metadata.generation,
        registered_container_instances_count: Some(counts.registered_instances),
        running_tasks_count: Some(counts.running_tasks),
        pending_tasks_count: Some(counts.pending_tasks),
        active_services_count: Some(counts.active_services),
        pools: observed.pools.clone(),
        ..(*previous).clone()
    };
    let mut c = Conditions::of(&mut next.conditions, cluster.metadata.generation, now);
    let invalid: Vec<&String> = problems.iter().chain(provider_problems.iter()).collect();
    let state = if let Some(first) = invalid.first() {
        let message =
            if invalid.len() > 1 { format!("{first} (and {} more)", invalid.len() - 1) } else { (*first).clone() };
        let reason = if problems.is_empty() { reasons::PROVIDER_FAILED } else { reasons::INVALID };
        // A provider failure is not the spec's fault: Valid stays True then.
        c.set(conditions::VALID, problems.is_empty(), reason, &message)
            .set(conditions::READY, false, reason, &message)
            .set(conditions::STALLED, true, reason, &message)
            .remove(conditions::RECONCILING);
        ClusterState::Failed
    } else {
        c.set(conditions::VALID, true, "Valid", "the cluster spec is valid").remove(conditions::STALLED);
        if provisioning {
            let message = "container instances are being provisioned";
            c.set(conditions::READY, false, reasons::PROVISIONING, message).set(
                conditions::RECONCILING,
                true,
                reasons::PROVISIONING,
                message,
            );
            ClusterState::Provisioning
        } else {
            let message = format!("{} container instances registered", counts.registered_instances);
            c.set(conditions::READY, true, reasons::ACTIVE, &message).remove(conditions::RECONCILING);
            ClusterState::Active
        }
    };
    next.status = Some(state);
    let newly_stalled = conditions::find(&next.conditions, conditions::STALLED).is_some()
        && conditions::find(&previous.conditions, conditions::STALLED).is_none();
    let event = (next != **previous && (next.status != previous.status || newly_stalled)).then(|| {
        let note = conditions::find(&next.conditions, conditions::READY).map(|c| c.message.clone()).unwrap_or_default();
        EcsEvent::new(state == ClusterState::Failed, state.as_str(), note)
    });
    Planned { status: next, event, provisioning }
}

/// A deleted cluster that still has work: DEPROVISIONING, not Ready, with ECS's reason; `None` once
/// nothing runs on it (the finalizer may go).
pub fn deletion_blocked(
    cluster: &EcsCluster,
    previous: &EcsClusterStatus,
    tasks: &[&Task],
    services: &[&Service],
    now: &Time,
) -> Option<(EcsClusterStatus, String)> {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let running =
        tasks.iter().filter(|t| t.status.as_ref().and_then(|s| s.last_status) != Some(TaskLifecycle::Stopped)).count();
    let active = services.iter().filter(|s| s.metadata.deletion_timestamp.is_none()).count();
    if running == 0 && active == 0 {
        return None;
    }
    let message = format!(
        "cluster {name:?} still has {running} task(s) not STOPPED and {active} active service(s) \
         (ECS: ClusterContainsTasksException / ClusterContainsServicesException); it is deleted once they are gone"
    );
    let mut next = previous.clone();
    next.status = Some(ClusterState::Deprovisioning);
    Conditions::of(&mut next.conditions, cluster.metadata.generation, now).set(
        conditions::READY,
        false,
        reasons::DELETION_BLOCKED,
        &message,
    );
    Some((next, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> EcsCluster {
        let mut c: EcsCluster = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": "prod"},
            "spec": {"nodePools": [{"name": "od", "provider": "simulated", "instanceType": "t3.medium"}]}
        }))
        .expect("cluster");
        c.metadata.generation = Some(2);
        c
    }

    fn now() -> Time {
        Time(jiff::Timestamp::from_second(1_800_000_000).expect("time"))
    }

    fn counts(registered: i32, running: i32) -> Counts {
        Counts { registered_instances: registered, running_tasks: running, ..Default::default() }
    }

    fn pool(desired: i32, registered: i32) -> NodePoolStatus {
        NodePoolStatus {
            name: "od".into(),
            provider: "simulated".into(),
            desired_instances: desired,
            registered_instances: registered,
        }
    }

    fn plan_with(
        previous: &EcsClusterStatus,
        pools: Vec<NodePoolStatus>,
        problems: &[String],
        providers: &[String],
    ) -> Planned {
        let cluster = cluster();
        let now = now();
        plan(&Observed {
            cluster: &cluster,
            previous,
            counts: counts(2, 3),
            pools,
            problems,
            provider_problems: providers,
            provisioning: false,
            now: &now,
        })
    }

    /// State, Ready, Ready's reason, and whether the Event is a Warning.
    type Summary = (Option<ClusterState>, bool, Option<String>, Option<bool>);

    fn summary(p: &Planned) -> Summary {
        (
            p.status.status,
            conditions::is_true(&p.status.conditions, conditions::READY),
            conditions::find(&p.status.conditions, conditions::READY).map(|c| c.reason.clone()),
            p.event.as_ref().map(EcsEvent::is_warning),
        )
    }

    #[test]
    fn ecs_cluster_states_from_pools_and_problems() {
        let fresh = EcsClusterStatus::default();
        let cases: [(&str, Planned, Summary); 4] = [
            (
                "instances still coming: PROVISIONING, Reconciling",
                plan_with(&fresh, vec![pool(2, 1)], &[], &[]),
                (Some(ClusterState::Provisioning), false, Some(reasons::PROVISIONING.into()), Some(false)),
            ),
            (
                "every instance registered: ACTIVE and Ready",
                plan_with(&fresh, vec![pool(2, 2)], &[], &[]),
                (Some(ClusterState::Active), true, Some(reasons::ACTIVE.into()), Some(false)),
            ),
            (
                "an invalid pool: FAILED, Stalled, a Warning",
                plan_with(&fresh, vec![pool(2, 2)], &["spec.nodePools[0]: bad".into()], &[]),
                (Some(ClusterState::Failed), false, Some(reasons::INVALID.into()), Some(true)),
            ),
            (
                "a provider that failed: FAILED but the spec stays Valid",
                plan_with(&fresh, vec![pool(2, 2)], &[], &["karpenter refused".into()]),
                (Some(ClusterState::Failed), false, Some(reasons::PROVIDER_FAILED.into()), Some(true)),
            ),
        ];
        for (name, planned, expected) in cases {
            assert_eq!(summary(&planned), expected, "{name}");
        }
        let provider_failed = plan_with(&fresh, vec![], &[], &["karpenter refused".into()]);
        assert!(conditions::is_true(&provider_failed.status.conditions, conditions::VALID));
        assert!(conditions::is_true(&provider_failed.status.conditions, conditions::STALLED));
    }

    #[test]
    fn counts_move_without_an_event_and_an_unchanged_cluster_plans_no_change() {
        let active = plan_with(&EcsClusterStatus::default(), vec![pool(2, 2)], &[], &[]);
        let again = plan_with(&active.status, vec![pool(2, 2)], &[], &[]);
        assert_eq!(again.status, active.status, "nothing new, nothing to write");
        assert_eq!(again.event, None);
        assert_eq!(active.status.running_tasks_count, Some(3));
        assert_eq!(active.status.observed_generation, Some(2));
    }

    #[test]
    fn a_cluster_with_work_is_not_deleted() {
        let task: Task = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "t", "namespace": "a"},
            "spec": {"taskDefinition": "x", "cluster": "prod"},
            "status": {"lastStatus": "RUNNING"}
        }))
        .expect("task");
        let (status, message) =
            deletion_blocked(&cluster(), &EcsClusterStatus::default(), &[&task], &[], &now()).expect("blocked");
        assert_eq!(status.status, Some(ClusterState::Deprovisioning));
        assert!(message.contains("ClusterContainsTasksException"), "{message}");
        assert_eq!(deletion_blocked(&cluster(), &EcsClusterStatus::default(), &[], &[], &now()), None);
    }
}
