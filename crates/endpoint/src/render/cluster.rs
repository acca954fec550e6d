//! EcsCluster -> ECS Cluster.

use kube_ecs_api::EcsCluster;
use kube_ecs_api::ecs::ClusterState;
use kube_ecs_wire as wire;

use crate::arn::Arns;

/// The cluster as DescribeClusters reports it; `with_tags` when the caller asked for TAGS.
pub fn cluster(arns: &Arns, cluster: &EcsCluster, with_tags: bool) -> wire::Cluster {
    let name = kube_ecs_api::ecs_names::cluster_name(cluster);
    let status = cluster.status.clone().unwrap_or_default();
    let state = if cluster.metadata.deletion_timestamp.is_some() {
        ClusterState::Deprovisioning
    } else {
        status.status.unwrap_or(ClusterState::Active)
    };
    let insights = cluster.spec.container_insights.clone().unwrap_or_else(|| "disabled".into());
    wire::Cluster {
        cluster_arn: Some(arns.cluster(&name)),
        cluster_name: Some(name),
        status: Some(state.as_str().into()),
        registered_container_instances_count: Some(status.registered_container_instances_count.unwrap_or(0)),
        running_tasks_count: Some(status.running_tasks_count.unwrap_or(0)),
        pending_tasks_count: Some(status.pending_tasks_count.unwrap_or(0)),
        active_services_count: Some(status.active_services_count.unwrap_or(0)),
        settings: vec![wire::ClusterSetting { name: Some("containerInsights".into()), value: Some(insights) }],
        capacity_providers: cluster.spec.node_pools.iter().map(|p| p.capacity_provider().to_string()).collect(),
        default_capacity_provider_strategy: cluster
            .spec
            .default_capacity_provider_strategy
            .iter()
            .map(|s| wire::CapacityProviderStrategyItem {
                capacity_provider: s.capacity_provider.clone(),
                base: s.base,
                weight: s.weight,
            })
            .collect(),
        tags: if with_tags { super::tags(&cluster.spec.tags) } else { Vec::new() },
        ..Default::default()
    }
}
