//! CreateCluster, DescribeClusters, ListClusters, DeleteCluster, UpdateCluster over EcsCluster.

use kube_ecs_api::EcsCluster;
use kube_ecs_api::ecs_names;
use kube_ecs_wire as wire;

use super::{existing_cluster, inactive, wants_tags};
use crate::arn::cluster_name;
use crate::call::{Call, manifest, refuse_gitops};
use crate::error::{EcsError, ErrorCode};
use crate::lookup;
use crate::pagination::page;
use crate::render;

/// ECS's cluster names: up to 255 letters, digits, hyphens and underscores. The object holding the
/// cluster is named by kube-ecs's mapping (`ecs_names`), so every name ECS takes works here.
fn valid_name(name: &str) -> Result<(), EcsError> {
    if ecs_names::is_ecs_name(name) {
        Ok(())
    } else {
        Err(EcsError::invalid_parameter(
            "Cluster names must be 1-255 characters long and can contain only letters (upper and lowercase), \
             numbers, hyphens and underscores.",
        ))
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
                        "Invalid value '{}' for the cluster setting containerInsights: use enabled, disabled or \
                         enhanced.",
                        other.unwrap_or_default()
                    )));
                }
            },
            // The model's enum admits only containerInsights; an unnamed setting still gets here.
            other => {
                return Err(EcsError::invalid_parameter(format!(
                    "Invalid cluster setting name '{}': the only setting is containerInsights.",
                    other.unwrap_or_default()
                )));
            }
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
    if let Some(existing) = lookup::cluster(call, &name).await? {
        // ECS's CreateCluster of an existing cluster returns it as it is.
        return Ok(wire::CreateClusterResponse {
            cluster: Some(render::cluster::cluster(call.arns(), &existing, true)),
        });
    }
    let object = ecs_names::cluster_object_name(&name);
    if call.get(&api, &object).await?.is_some() {
        // Only a kubectl-made object under the mapped name with another ECS name can be here.
        return Err(EcsError::invalid_parameter(format!(
            "The cluster {name} cannot be created: the EcsCluster {object} holds another cluster."
        )));
    }
    let mut spec = serde_json::json!({});
    if object != name {
        spec["clusterName"] = name.clone().into();
    }
    // Without the setting in the request, the caller's containerInsights account setting is the
    // new cluster's default, as in ECS.
    let insights = match insights(&input.settings)? {
        Some(value) => Some(value),
        None => super::account_settings::cluster_insights_default(call).await?,
    };
    if let Some(value) = insights {
        spec["containerInsights"] = value.into();
    }
    if !input.tags.is_empty() {
        spec["tags"] = serde_json::to_value(&input.tags).map_err(|e| EcsError::server(e.to_string()))?;
    }
    let cluster = call.apply(&api, &object, &manifest::<EcsCluster>(&object, None, spec)).await?;
    inactive::forget_cluster(call, &name).await;
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
    let mut response = wire::DescribeClustersResponse::default();
    for requested in &names {
        let name = crate::arn::short_name(requested);
        match lookup::cluster(call, name).await? {
            Some(cluster) => response.clusters.push(render::cluster::cluster(call.arns(), &cluster, with_tags)),
            None => match inactive::cluster(call, name).await {
                Some(deleted) => response.clusters.push(deleted),
                None => response.failures.push(wire::Failure {
                    arn: Some(call.arns().cluster(name)),
                    reason: Some("MISSING".into()),
                    ..Default::default()
                }),
            },
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
    let arns = clusters.iter().map(|c| call.arns().cluster(&ecs_names::cluster_name(c))).collect();
    let (cluster_arns, next_token) = page(arns, input.max_results, input.next_token.as_deref(), 100, 100)?;
    Ok(wire::ListClustersResponse { cluster_arns, next_token })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteClusterRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DeleteClusterResponse, EcsError> {
    let cluster = existing_cluster(call, Some(&input.cluster)).await?;
    let name = ecs_names::cluster_name(&cluster);
    let object = cluster.metadata.name.clone().unwrap_or_default();
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
    call.delete(&call.clusters(), &object).await?;
    let mut rendered = render::cluster::cluster(call.arns(), &cluster, true);
    inactive::remember_cluster(call, rendered.clone()).await;
    rendered.status = Some("INACTIVE".into());
    Ok(wire::DeleteClusterResponse { cluster: Some(rendered) })
}

pub async fn update(
    call: &Call<'_>,
    input: wire::UpdateClusterRequest,
    _raw: &serde_json::Value,
) -> Result<wire::UpdateClusterResponse, EcsError> {
    let cluster = existing_cluster(call, Some(&input.cluster)).await?;
    let name = ecs_names::cluster_name(&cluster);
    let object = cluster.metadata.name.clone().unwrap_or_default();
    refuse_gitops(&cluster.metadata, &format!("The cluster {name}"))?;
    let cluster = match insights(&input.settings)? {
        Some(value) => {
            call.merge(&call.clusters(), &object, &serde_json::json!({"spec": {"containerInsights": value}})).await?
        }
        None => cluster,
    };
    Ok(wire::UpdateClusterResponse { cluster: Some(render::cluster::cluster(call.arns(), &cluster, true)) })
}
