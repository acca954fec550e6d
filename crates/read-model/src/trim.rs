//! What the cached copies keep: only what some reconcile reads. (Pods, a Pod per Task, are cached in
//! a shape of their own: [`crate::pod`].)

use k8s_openapi::api::core::v1::Node;
use kube::Resource;
use kube::core::DeserializeGuard;

/// managedFields is often the largest part of an object, and no reconcile reads it.
pub fn strip<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// A Deployment keeps, of its managedFields, only who owns `spec.replicas` (reduced to that field):
/// the Service controller hands `replicas` over to an autoscaler without the Deployment dropping to
/// its default of one replica, and needs to know whether it still owns the field.
pub fn strip_deployment(deployment: &mut k8s_openapi::api::apps::v1::Deployment) {
    let kept: Vec<_> = deployment
        .metadata
        .managed_fields
        .take()
        .into_iter()
        .flatten()
        .filter(|m| m.fields_v1.as_ref().is_some_and(|f| f.0.get("f:spec").and_then(|s| s.get("f:replicas")).is_some()))
        .map(|m| k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry {
            manager: m.manager,
            operation: m.operation,
            subresource: m.subresource,
            fields_v1: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::FieldsV1(
                serde_json::json!({"f:spec": {"f:replicas": {}}}),
            )),
            ..Default::default()
        })
        .collect();
    deployment.metadata.managed_fields = (!kept.is_empty()).then_some(kept);
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
