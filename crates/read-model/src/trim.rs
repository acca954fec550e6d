//! What the cached copies keep: only what some reconcile reads. (Pods, a Pod per Task, are cached in
//! a shape of their own: [`crate::pod`].)

use k8s_openapi::api::core::v1::Node;
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
