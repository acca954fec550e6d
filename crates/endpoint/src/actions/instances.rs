//! ListContainerInstances, DescribeContainerInstances over the read-only ContainerInstances.

use kube_ecs_wire as wire;

use super::existing_cluster;
use crate::arn;
use crate::call::Call;
use crate::error::EcsError;
use crate::lookup::ClusterRef;
use crate::pagination::page;
use crate::render;

pub async fn list(
    call: &Call<'_>,
    input: wire::ListContainerInstancesRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListContainerInstancesResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    if input.filter.as_deref().is_some_and(|f| !f.trim().is_empty()) {
        return Err(EcsError::invalid_parameter("Cluster query language filters are not supported by kube-ecs."));
    }
    let instances = call.list(&call.instances(), None).await?;
    let arns = instances
        .iter()
        .filter(|i| i.spec.cluster == cluster.object)
        .filter(|i| {
            input.status.as_deref().is_none_or(|wanted| {
                i.status.as_ref().and_then(|s| s.status).unwrap_or(kube_ecs_api::ecs::InstanceState::Active).as_str()
                    == wanted
            })
        })
        .filter_map(|i| i.metadata.name.as_deref())
        .map(|id| call.arns().container_instance(&cluster.name, id))
        .collect();
    let (container_instance_arns, next_token) = page(arns, input.max_results, input.next_token.as_deref(), 100, 100)?;
    Ok(wire::ListContainerInstancesResponse { container_instance_arns, next_token })
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeContainerInstancesRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DescribeContainerInstancesResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    if input.container_instances.is_empty() {
        return Err(EcsError::invalid_parameter("Container Instances cannot be empty."));
    }
    if input.container_instances.len() > 100 {
        return Err(EcsError::invalid_parameter("containerInstances can have at most 100 items."));
    }
    let api = call.instances();
    let mut response = wire::DescribeContainerInstancesResponse::default();
    for requested in &input.container_instances {
        let id = arn::short_name(requested);
        match call.get(&api, id).await?.filter(|i| i.spec.cluster == cluster.object) {
            Some(instance) => {
                response.container_instances.push(render::instance::instance(call.arns(), &cluster.name, &instance))
            }
            None => response.failures.push(wire::Failure {
                arn: Some(call.arns().container_instance(&cluster.name, id)),
                reason: Some("MISSING".into()),
                ..Default::default()
            }),
        }
    }
    Ok(response)
}
