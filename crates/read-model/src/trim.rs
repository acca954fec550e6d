//! What the cached copies keep: only what some reconcile reads. Memory grows with the number of
//! tasks (a Pod per Task), so the Pod copies are cut down to a few fields.

use k8s_openapi::api::core::v1::{Container, Node, Pod, PodSpec};
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
/// finalizers, timestamps), the whole status, and of the spec only the node, the grace period and
/// each container's name, image (the images a lifecycle policy must keep) and resources (the
/// container instances' reserved capacity). Commands,
/// environment, probes and volumes live in the task definition and the API server.
pub fn strip_pod(pod: &mut Pod) {
    strip(pod);
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
            "status": {"phase": "Running"}
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
        assert_eq!(cached.status, pod.status);
    }
}
