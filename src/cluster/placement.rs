//! STUB (replaced): where a task of an EcsCluster may run.

use crate::api::EcsCluster;
use crate::api::common::{CapacityProviderStrategyItem, PlacementConstraint};
pub use crate::translate::Placement;

#[derive(Debug, thiserror::Error)]
pub enum PlacementError {
    #[error("{0}")]
    Invalid(String),
}

pub fn placement_for(
    cluster: &EcsCluster,
    _namespace: &str,
    _strategy: &[CapacityProviderStrategyItem],
    _constraints: &[PlacementConstraint],
) -> Result<Placement, PlacementError> {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let mut placement = Placement::default();
    placement.node_selector.insert("ecs.kube-ecs.dev/cluster".into(), name.clone());
    placement.tolerations.push(k8s_openapi::api::core::v1::Toleration {
        key: Some("ecs.kube-ecs.dev/cluster".into()),
        operator: Some("Equal".into()),
        value: Some(name),
        effect: Some("NoSchedule".into()),
        ..Default::default()
    });
    Ok(placement)
}

pub fn namespace_allowed(cluster: &EcsCluster, namespace: &str) -> bool {
    cluster.spec.allowed_namespaces.is_empty() || cluster.spec.allowed_namespaces.iter().any(|n| n == namespace)
}
