//! CreateCluster, DescribeClusters, ListClusters, DeleteCluster, UpdateCluster over EcsCluster.

use kube_ecs_api::EcsCluster;
use kube_ecs_wire as wire;

use super::wants_tags;
use crate::arn::{self, cluster_name};
use crate::call::{Call, manifest, refuse_gitops};
use crate::error::{EcsError, ErrorCode};
use crate::pagination::page;
use crate::render;

/// kube-ecs clusters are Kubernetes objects: their names are DNS names (ECS also allows capitals and
/// underscores, which kube-ecs refuses rather than renames, so the name stays the one asked for).
fn valid_name(name: &str) -> Result<(), EcsError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(EcsError::invalid_parameter(format!(
            "Cluster name {name:?} is not valid in kube-ecs: a cluster is a Kubernetes object, so its name must be \
             lowercase letters, digits, '-' and '.', starting and ending with a letter or digit."
        )))
    }
}

/// The containerInsights setting, if the request has one.
fn insights(settings: &[wire::ClusterSetting]) -> Result<Option<String>, EcsError> {
    let mut value = None;
    for setting in settings {
        match setting.name.as_deref() {
            Some("containerInsights") => match setting.value.as_deref() {
                Some(v @ ("enabled" | "disabled" | "enhanced")) => value = Some(v.to_string()),
                other => {
                    return Err(EcsError::invalid_parameter(format!(
                        "containerInsights must be enabled, disabled or enhanced, not {other:?}."
                    )));
                }
            },
            other => return Err(EcsError::invalid_parameter(format!("Unknown cluster setting {other:?}."))),
        }
    }
    Ok(value)
}

pub async fn create(
    call: &Call<'_>,
    input: wire::CreateClusterRequest,
    _raw: &serde_json::Value,
) -> Result<wire::CreateClusterResponse, EcsError> {
    let name = cluster_name(input.cluster_name.as_deref());
    valid_name(&name)?;
    let api = call.clusters();
    if let Some(existing) = call.get(&api, &name).await? {
        // ECS's CreateCluster of an existing cluster returns it as it is.
        return Ok(wire::CreateClusterResponse {
            cluster: Some(render::cluster::cluster(call.arns(), &existing, true)),
        });
    }
    let mut spec = serde_json::json!({});
    if let Some(value) = insights(&input.settings)? {
        spec["containerInsights"] = value.into();
    }
    if !input.tags.is_empty() {
        spec["tags"] = serde_json::to_value(&input.tags).map_err(|e| EcsError::server(e.to_string()))?;
    }
    let cluster = call.apply(&api, &name, &manifest::<EcsCluster>(&name, None, spec)).await?;
    Ok(wire::CreateClusterResponse { cluster: Some(render::cluster::cluster(call.arns(), &cluster, true)) })
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeClustersRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DescribeClustersResponse, EcsError> {
    let names = if input.clusters.is_empty() { vec!["default".to_string()] } else { input.clusters.clone() };
    if names.len() > 100 {
        return Err(EcsError::invalid_parameter("clusters can have at most 100 items."));
    }
    let with_tags = wants_tags(&input.include);
    let api = call.clusters();
    let mut response = wire::DescribeClustersResponse::default();
    for requested in &names {
        let name = arn::short_name(requested);
        match call.get(&api, name).await? {
            Some(cluster) => response.clusters.push(render::cluster::cluster(call.arns(), &cluster, with_tags)),
            None => response.failures.push(wire::Failure {
                arn: Some(call.arns().cluster(name)),
                reason: Some("MISSING".into()),
                ..Default::default()
            }),
        }
    }
    Ok(response)
}

pub async fn list(
    call: &Call<'_>,
    input: wire::ListClustersRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListClustersResponse, EcsError> {
    let clusters = call.list(&call.clusters(), None).await?;
    let arns = clusters.iter().filter_map(|c| c.metadata.name.as_deref()).map(|n| call.arns().cluster(n)).collect();
    let (cluster_arns, next_token) = page(arns, input.max_results, input.next_token.as_deref(), 100, 100)?;
    Ok(wire::ListClustersResponse { cluster_arns, next_token })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteClusterRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DeleteClusterResponse, EcsError> {
    let name = cluster_name(Some(&input.cluster));
    let api = call.clusters();
    let cluster = call.get(&api, &name).await?.ok_or_else(EcsError::cluster_not_found)?;
    refuse_gitops(&cluster.metadata, &format!("The cluster {name}"))?;
    let status = cluster.status.clone().unwrap_or_default();
    if status.active_services_count.unwrap_or(0) > 0 {
        return Err(EcsError::new(
            ErrorCode::ClusterContainsServicesException,
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    if status.running_tasks_count.unwrap_or(0) + status.pending_tasks_count.unwrap_or(0) > 0 {
        return Err(EcsError::new(
            ErrorCode::ClusterContainsTasksException,
            "The Cluster cannot be deleted while Tasks are active.",
        ));
    }
    if !cluster.spec.node_pools.is_empty() && status.registered_container_instances_count.unwrap_or(0) > 0 {
        return Err(EcsError::new(
            ErrorCode::ClusterContainsContainerInstancesException,
            "The Cluster cannot be deleted while Container Instances are active or draining.",
        ));
    }
    call.delete(&api, &name).await?;
    let mut rendered = render::cluster::cluster(call.arns(), &cluster, true);
    rendered.status = Some("INACTIVE".into());
    Ok(wire::DeleteClusterResponse { cluster: Some(rendered) })
}

pub async fn update(
    call: &Call<'_>,
    input: wire::UpdateClusterRequest,
    _raw: &serde_json::Value,
) -> Result<wire::UpdateClusterResponse, EcsError> {
    let name = cluster_name(Some(&input.cluster));
    let api = call.clusters();
    let cluster = call.get(&api, &name).await?.ok_or_else(EcsError::cluster_not_found)?;
    refuse_gitops(&cluster.metadata, &format!("The cluster {name}"))?;
    let cluster = match insights(&input.settings)? {
        Some(value) => call.merge(&api, &name, &serde_json::json!({"spec": {"containerInsights": value}})).await?,
        None => cluster,
    };
    Ok(wire::UpdateClusterResponse { cluster: Some(render::cluster::cluster(call.arns(), &cluster, true)) })
}
