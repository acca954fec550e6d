//! A service's pods, workload and container instances in planner terms (pure: the controller reads
//! the objects from the read model and hands them here).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::placement_failure::{self, InstanceRoom};
use super::rollout::{PodFailure, PodView};
use super::workload;
use crate::api::EcsCluster;
use crate::api::ecs::{StopCode, TaskLifecycle};
use crate::cluster::{pools, status};
use crate::{task_plan, task_status};

/// The service's pod as the rollout planner sees it; `node` is the pod's node from the read model
/// (absent when unscheduled or not, or no longer, in the cache).
pub fn pod_view(pod: &Pod, node: Option<&Node>, now: &Time) -> PodView {
    let record = task_plan::pod_record(pod);
    let observation = task_status::observe_pod(pod, &record.container_mappings(), now);
    let exit_codes: Vec<String> =
        observation.containers.iter().filter_map(|c| c.exit_code.map(|code| format!("{}={code}", c.name))).collect();
    let failure = if let Some(start) = &observation.start_failure {
        Some(PodFailure {
            stop_code: StopCode::TaskFailedToStart,
            reason: format!("{}: {}", start.reason, start.message),
            exit_codes,
            failed_to_start: true,
            essential_exit: false,
        })
    } else if observation.essential_exit.is_some() {
        Some(PodFailure {
            stop_code: StopCode::EssentialContainerExited,
            reason: task_status::ESSENTIAL_CONTAINER_EXITED_REASON.into(),
            exit_codes,
            failed_to_start: false,
            essential_exit: true,
        })
    } else if let Some((stop_code, reason)) = node_disruption(pod, node) {
        // Its container instance is going (spot interruption, drain): the task is stopped and replaced
        // elsewhere, recorded with ECS's stop code.
        Some(PodFailure { stop_code, reason, exit_codes, failed_to_start: false, essential_exit: false })
    } else {
        None
    };
    PodView {
        name: pod.metadata.name.clone().unwrap_or_default(),
        task_definition: record.task_definition,
        lifecycle: observation.last_status.unwrap_or(TaskLifecycle::Provisioning),
        failure,
        deleting: pod.metadata.deletion_timestamp.is_some(),
        unplaceable: observation.unschedulable.is_some(),
        created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0),
    }
}

/// Why the pod's node is going, in ECS terms: a spot interruption notice, or a drain / removal.
pub fn node_disruption(pod: &Pod, node: Option<&Node>) -> Option<(StopCode, String)> {
    let node_name = pod.spec.as_ref()?.node_name.clone()?;
    let interrupted =
        |n: &Node| n.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(pools::keys::INTERRUPT));
    match node {
        // Only once nothing new can land there (our drain taint, or cordoned by a termination
        // handler): a replacement must not be scheduled onto the same node.
        Some(node) if !unschedulable(node) => None,
        Some(node) if interrupted(node) => Some((StopCode::SpotInterruption, "Your Spot Task was interrupted.".into())),
        Some(node) if status::node_draining(node) => {
            Some((StopCode::TerminationNotice, format!("Host EC2 (instance {node_name}) is being terminated.")))
        }
        // A node not (yet) in the cache is no evidence; a pod already going whose node is gone is.
        None if pod.metadata.deletion_timestamp.is_some() => {
            Some((StopCode::TerminationNotice, format!("Host EC2 (instance {node_name}) terminated.")))
        }
        _ => None,
    }
}

fn unschedulable(node: &Node) -> bool {
    let spec = node.spec.as_ref();
    spec.and_then(|s| s.unschedulable).unwrap_or(false)
        || spec.and_then(|s| s.taints.as_ref()).is_some_and(|ts| {
            ts.iter().any(|t| t.key == pools::keys::DRAINING_TAINT || t.key == "node.kubernetes.io/unschedulable")
        })
}

/// The service's current workload: the revision it runs, whether it has fully rolled out, and how
/// many tasks it wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkloadState {
    pub task_definition: Option<String>,
    pub settled: bool,
    pub replicas: i32,
    /// The workload exists.
    pub exists: bool,
    /// kube-ecs's field manager owns the Deployment's `replicas` (see `autoscaling`'s handover).
    pub replicas_ours: bool,
}

/// The managers that own `spec.replicas` in `meta`'s managedFields (the read model keeps only
/// those entries of a Deployment's).
pub fn replicas_managers(meta: &ObjectMeta) -> Vec<String> {
    meta.managed_fields
        .iter()
        .flatten()
        .filter(|m| m.fields_v1.as_ref().is_some_and(|f| f.0.get("f:spec").and_then(|s| s.get("f:replicas")).is_some()))
        .filter_map(|m| m.manager.clone())
        .collect()
}

fn task_definition_of(meta: &ObjectMeta) -> Option<String> {
    meta.annotations.as_ref().and_then(|a| a.get(workload::TASK_DEFINITION_ANNOTATION).cloned())
}

/// `field_manager` is kube-ecs's own (whether it still owns `replicas`).
pub fn deployment_state(deployment: Option<&Deployment>, field_manager: &str) -> WorkloadState {
    let Some(deployment) = deployment else { return WorkloadState::default() };
    let replicas = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let status = deployment.status.clone().unwrap_or_default();
    let settled = status.observed_generation >= deployment.metadata.generation
        && status.updated_replicas.unwrap_or(0) == replicas
        && status.available_replicas.unwrap_or(0) == replicas
        && status.replicas.unwrap_or(0) == replicas;
    WorkloadState {
        task_definition: task_definition_of(&deployment.metadata),
        settled,
        replicas,
        exists: true,
        replicas_ours: replicas_managers(&deployment.metadata).iter().any(|m| m == field_manager),
    }
}

/// A DAEMON service wants one task per container instance the DaemonSet schedules to.
pub fn daemon_set_state(daemon_set: Option<&DaemonSet>) -> WorkloadState {
    let Some(ds) = daemon_set else { return WorkloadState::default() };
    let status = ds.status.clone().unwrap_or_default();
    let settled = status.observed_generation >= ds.metadata.generation
        && status.updated_number_scheduled.unwrap_or(0) == status.desired_number_scheduled
        && status.number_available.unwrap_or(0) == status.desired_number_scheduled;
    WorkloadState {
        task_definition: task_definition_of(&ds.metadata),
        settled,
        replicas: status.desired_number_scheduled,
        exists: true,
        replicas_ours: false,
    }
}

/// ECS's "unable to place a task" event when some of the service's pods are unschedulable, naming the
/// cluster's container instance with the most room of what the task lacks. `nodes` gives every
/// node with the pods on it; it is called only while a pod is unplaceable.
pub fn placement_failure(
    cluster: &EcsCluster,
    service: &str,
    pods: &[Arc<Pod>],
    nodes: impl FnOnce() -> Vec<(Arc<Node>, Vec<Arc<Pod>>)>,
) -> Option<String> {
    let reason = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .find_map(|p| task_status::placement::unschedulable_reason(p))?;
    let rooms: Vec<InstanceRoom> = nodes()
        .iter()
        .filter(|(n, _)| pools::node_in_cluster(cluster, n) && status::node_ready(n))
        .map(|(node, on_node)| {
            let (_, instance) = status::container_instance(cluster, node, on_node);
            let room = instance.remaining_resources.unwrap_or_default();
            InstanceRoom { name: node.metadata.name.clone().unwrap_or_default(), cpu: room.cpu, memory: room.memory }
        })
        .collect();
    Some(placement_failure::message(service, &reason, &rooms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: serde_json::Value) -> Node {
        serde_json::from_value(json).expect("node")
    }

    fn pod_on(node: &str, deleting: bool) -> Pod {
        let mut pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-1", "namespace": "shop"}, "spec": {"nodeName": node, "containers": []}
        }))
        .expect("pod");
        if deleting {
            pod.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::from_second(1_800_000_000).expect("time")));
        }
        pod
    }

    #[test]
    fn a_service_task_on_a_going_node_is_stopped_with_ecs_stop_codes() {
        let taint = serde_json::json!([{"key": pools::keys::DRAINING_TAINT, "effect": "NoSchedule"}]);
        let spot =
            node(serde_json::json!({"metadata": {"name": "n1", "annotations": {pools::keys::INTERRUPT: "true"}},
            "spec": {"taints": taint}}));
        let drained = node(serde_json::json!({"metadata": {"name": "n1"}, "spec": {"taints": taint}}));
        let interrupted_but_schedulable =
            node(serde_json::json!({"metadata": {"name": "n1", "annotations": {pools::keys::INTERRUPT: "true"}}}));
        let code = |pod: &Pod, node: Option<&Node>| node_disruption(pod, node).map(|(code, _)| code);
        let cases = [
            (
                "spot notice and drained: SpotInterruption",
                code(&pod_on("n1", false), Some(&spot)),
                Some(StopCode::SpotInterruption),
            ),
            (
                "drained (scale-in): TerminationNotice",
                code(&pod_on("n1", false), Some(&drained)),
                Some(StopCode::TerminationNotice),
            ),
            (
                "new tasks may still land there: not yet",
                code(&pod_on("n1", false), Some(&interrupted_but_schedulable)),
                None,
            ),
            ("node not cached, pod running: no evidence", code(&pod_on("n1", false), None), None),
            (
                "node gone, pod being deleted: TerminationNotice",
                code(&pod_on("n1", true), None),
                Some(StopCode::TerminationNotice),
            ),
        ];
        for (name, got, expected) in cases {
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn a_deployment_is_settled_when_every_replica_is_updated_and_available() {
        let deployment = |updated: i32, available: i32, observed: i64| -> Deployment {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "web", "generation": 2, "annotations": {workload::TASK_DEFINITION_ANNOTATION: "web:2"}},
                "spec": {"replicas": 3, "selector": {}, "template": {}},
                "status": {"observedGeneration": observed, "replicas": 3, "updatedReplicas": updated, "availableReplicas": available}
            }))
            .expect("deployment")
        };
        let state = deployment_state(Some(&deployment(3, 3, 2)), "kube-ecs");
        assert_eq!(
            state,
            WorkloadState {
                task_definition: Some("web:2".into()),
                settled: true,
                replicas: 3,
                exists: true,
                replicas_ours: false
            }
        );
        assert!(
            !deployment_state(Some(&deployment(2, 3, 2)), "kube-ecs").settled,
            "a replica still on the old revision"
        );
        assert!(
            !deployment_state(Some(&deployment(3, 3, 1)), "kube-ecs").settled,
            "the controller has not seen the spec yet"
        );
        assert_eq!(deployment_state(None, "kube-ecs"), WorkloadState::default());
    }
}
