//! What the cached copies keep: only what some reconcile reads. Memory grows with the number of
//! tasks (a Pod per Task), so the Pod copies are cut down to a few fields.

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStatus, Node, Pod, PodCondition, PodSpec, PodStatus,
};
use kube::Resource;
use kube::core::DeserializeGuard;

/// managedFields is often the largest part of an object, and no reconcile reads it.
pub fn strip<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

pub fn strip_guarded<K: Resource>(object: &mut DeserializeGuard<K>) {
    if let Ok(inner) = object.0.as_mut() {
        strip(inner);
    }
}

/// Namespaces are read for their labels only.
pub fn strip_namespace(namespace: &mut k8s_openapi::api::core::v1::Namespace) {
    strip(namespace);
    namespace.spec = None;
    namespace.status = None;
}

/// Nodes carry image lists that can be large; placement never reads them.
pub fn strip_node(node: &mut Node) {
    strip(node);
    if let Some(status) = node.status.as_mut() {
        status.images = None;
    }
}

/// A kube-ecs Pod as the reconciles read it: metadata (labels, the task record annotation, owner,
/// finalizers, timestamps), of the spec only the node, the grace period and each container's name,
/// image (the images a lifecycle policy must keep) and resources (the container instances' reserved
/// capacity), and of the status what [`strip_pod_status`] keeps. Commands, environment, probes and
/// volumes live in the task definition and the API server.
pub fn strip_pod(pod: &mut Pod) {
    strip(pod);
    if let Some(status) = pod.status.take() {
        pod.status = Some(strip_pod_status(status));
    }
    if let Some(spec) = pod.spec.take() {
        pod.spec = Some(PodSpec {
            node_name: spec.node_name,
            termination_grace_period_seconds: spec.termination_grace_period_seconds,
            containers: spec
                .containers
                .into_iter()
                .map(|c| Container { name: c.name, image: c.image, resources: c.resources, ..Default::default() })
                .collect(),
            ..Default::default()
        });
    }
}

/// The status as the task status derivation reads it: phase, reason and message, the conditions
/// (type, status, reason, message, when), and per container its state, last termination, readiness,
/// restarts and image (the image ID too: a lifecycle policy keeps the digests that run). Built
/// field by field, so fields a newer API server adds (volume mounts, users and resources per
/// container, IP lists) are not cached: they were half of a running Pod's status.
pub fn strip_pod_status(status: PodStatus) -> PodStatus {
    let containers = |statuses: Option<Vec<ContainerStatus>>| {
        statuses.map(|list| {
            list.into_iter()
                .map(|c| ContainerStatus {
                    name: c.name,
                    state: c.state,
                    last_state: c.last_state.map(|l| ContainerState { terminated: l.terminated, ..Default::default() }),
                    ready: c.ready,
                    started: c.started,
                    restart_count: c.restart_count,
                    image: c.image,
                    image_id: c.image_id,
                    ..Default::default()
                })
                .collect()
        })
    };
    PodStatus {
        phase: status.phase,
        reason: status.reason,
        message: status.message,
        host_ip: status.host_ip,
        pod_ip: status.pod_ip,
        start_time: status.start_time,
        conditions: status.conditions.map(|list| {
            list.into_iter()
                .map(|c| PodCondition {
                    type_: c.type_,
                    status: c.status,
                    reason: c.reason,
                    message: c.message,
                    last_transition_time: c.last_transition_time,
                    ..Default::default()
                })
                .collect()
        }),
        container_statuses: containers(status.container_statuses),
        init_container_statuses: containers(status.init_container_statuses),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_pod_keeps_what_reconciles_read() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "t", "annotations": {"record": "x"}, "managedFields": [{"manager": "m"}]},
            "spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 30,
                "volumes": [{"name": "v", "emptyDir": {}}],
                "containers": [{"name": "app", "image": "nginx", "env": [{"name": "A", "value": "1"}],
                    "resources": {"requests": {"cpu": "250m"}}}]},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}], "qosClass": "Burstable",
                "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null,
                    "lastTransitionTime": "2026-01-01T00:00:00Z"}],
                "containerStatuses": [{"name": "app", "image": "nginx", "imageID": "sha256:1", "ready": true,
                    "restartCount": 1, "containerID": "containerd://1", "started": true,
                    "state": {"running": {"startedAt": "2026-01-01T00:00:01Z"}},
                    "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}},
                    "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets"}],
                    "user": {"linux": {"uid": 0, "gid": 0}}}]}
        }))
        .expect("pod");
        let mut cached = pod.clone();
        strip_pod(&mut cached);
        let spec = cached.spec.as_ref().expect("spec");
        assert_eq!(spec.node_name.as_deref(), Some("n1"));
        assert_eq!(spec.termination_grace_period_seconds, Some(30));
        assert_eq!(spec.containers[0].name, "app");
        assert_eq!(spec.containers[0].image.as_deref(), Some("nginx"));
        assert_eq!(spec.containers[0].resources, pod.spec.as_ref().expect("spec").containers[0].resources);
        assert!(spec.containers[0].env.is_none() && spec.volumes.is_none());
        assert!(cached.metadata.managed_fields.is_none());
        assert_eq!(cached.metadata.annotations, pod.metadata.annotations);
        let status = cached.status.as_ref().expect("status");
        let served = pod.status.as_ref().expect("status");
        assert_eq!(
            (&status.phase, &status.pod_ip, &status.conditions),
            (&served.phase, &served.pod_ip, &served.conditions)
        );
        assert!(status.pod_ips.is_none() && status.qos_class.is_none());
        let (c, s) = (
            &status.container_statuses.as_ref().expect("containers")[0],
            &served.container_statuses.as_ref().expect("containers")[0],
        );
        assert_eq!(
            (&c.state, &c.last_state, c.ready, c.restart_count, c.started),
            (&s.state, &s.last_state, s.ready, s.restart_count, s.started)
        );
        assert_eq!((&c.image, &c.image_id), (&s.image, &s.image_id));
        assert!(c.volume_mounts.is_none() && c.user.is_none() && c.container_id.is_none());
    }
}
