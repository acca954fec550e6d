//! CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider,
//! DeleteCapacityProvider, PutClusterCapacityProviders: ECS's capacity providers as the API's view
//! of node pools.
//!
//! - A cluster's capacity providers are its node pools (`spec.nodePools`); DescribeCapacityProviders
//!   lists the pools of the clusters the caller may list, plus ECS's own FARGATE and FARGATE_SPOT.
//! - CreateCapacityProvider names an Auto Scaling group, which kube-ecs does not have: it keeps the
//!   provider as a record (ConfigMap `kube-ecs-capacity-providers` in the caller's namespace) that
//!   PutClusterCapacityProviders turns into a pool of Nodes labelled for it ([`plan`]).
//! - Pools themselves are changed on the EcsCluster (kubectl), or added and removed with
//!   PutClusterCapacityProviders; UpdateCapacityProvider and DeleteCapacityProvider of a pool are
//!   refused with what to do instead.

mod plan;
mod shapes;

use std::collections::BTreeMap;

use kube_ecs_api::EcsCluster;
use kube_ecs_api::ecs_names;
use kube_ecs_wire as wire;

use super::namespace_store::Store;
use super::wants_tags;
use crate::arn::short_name;
use crate::call::{Call, refuse_gitops};
use crate::error::{EcsError, ErrorCode};
use crate::pagination::page;
use shapes::{ArnPrefix, FARGATE, Record};

/// The ConfigMap holding the providers CreateCapacityProvider made in a namespace.
pub const CONFIG_MAP: &str = "kube-ecs-capacity-providers";

fn store<'c, 'a>(call: &'c Call<'a>) -> Store<'c, 'a> {
    Store::new(call, CONFIG_MAP)
}

fn arns(call: &Call<'_>) -> ArnPrefix {
    ArnPrefix::new(&call.endpoint.config.region, &call.endpoint.config.account)
}

/// The caller's provider records. A record someone broke by hand reads as an empty one rather than
/// failing every call.
async fn records(call: &Call<'_>) -> Result<BTreeMap<String, Record>, EcsError> {
    let map = store(call).read().await?;
    Ok(map.into_iter().map(|(name, json)| (name, serde_json::from_str(&json).unwrap_or_default())).collect())
}

async fn write_record(call: &Call<'_>, name: &str, record: &Record) -> Result<(), EcsError> {
    let json = serde_json::to_string(record).map_err(|e| EcsError::server(format!("writing a provider: {e}")))?;
    store(call).write(name, Some(&json)).await
}

/// The tags of the provider CreateCapacityProvider made as `name` (None: no such record). A node
/// pool's provider has none of its own: its tags are the EcsCluster's.
pub async fn record_tags(call: &Call<'_>, name: &str) -> Result<Option<Vec<wire::Tag>>, EcsError> {
    Ok(records(call).await?.remove(name).map(|r| r.tags))
}

/// Replaces the tags of the provider record `name` (which exists).
pub async fn set_record_tags(call: &Call<'_>, name: &str, tags: Vec<wire::Tag>) -> Result<(), EcsError> {
    let mut record = records(call).await?.remove(name).ok_or_else(does_not_exist)?;
    record.tags = tags;
    write_record(call, name, &record).await
}

/// Every cluster the caller may list (none without the right: their pools are not visible then).
async fn visible_clusters(call: &Call<'_>) -> Result<Vec<EcsCluster>, EcsError> {
    match call.list(&call.clusters(), None).await {
        Ok(clusters) => Ok(clusters),
        Err(e) if e.code == ErrorCode::AccessDeniedException => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The clusters (ECS names) that have the provider `name` as a pool.
fn clusters_with_pool(clusters: &[EcsCluster], name: &str) -> Vec<String> {
    clusters
        .iter()
        .filter(|c| c.spec.node_pools.iter().any(|p| plan::provider_name(p) == name))
        .map(ecs_names::cluster_name)
        .collect()
}

fn does_not_exist() -> EcsError {
    EcsError::client("The specified capacity provider does not exist.")
}

fn refuse_managed_instances() -> EcsError {
    EcsError::invalid_parameter(
        "kube-ecs does not model Managed Instances capacity providers: declare a node pool with provider karpenter \
         in the EcsCluster's spec.nodePools instead (docs/clusters.md).",
    )
}

fn fargate_is_ecs(name: &str) -> EcsError {
    EcsError::invalid_parameter(format!(
        "{name} is one of ECS's own capacity providers and cannot be changed or deleted. In kube-ecs it is the node \
         pool named {name} on a cluster: add or remove it with PutClusterCapacityProviders."
    ))
}

fn pool_is_the_clusters(name: &str, clusters: &[String]) -> EcsError {
    EcsError::invalid_parameter(format!(
        "The capacity provider {name} is a node pool of the cluster(s) {}: change it in the EcsCluster's \
         spec.nodePools (kubectl edit ecscluster), or remove it from a cluster with PutClusterCapacityProviders.",
        clusters.join(", ")
    ))
}

/// ECS's rules for a new provider's name.
fn check_name(name: &str) -> Result<(), EcsError> {
    if !ecs_names::is_ecs_name(name) {
        return Err(EcsError::invalid_parameter(
            "The capacity provider name must be 1-255 letters, numbers, underscores and hyphens.",
        ));
    }
    let lower = name.to_ascii_lowercase();
    if ["aws", "ecs", "fargate"].iter().any(|p| lower.starts_with(p)) {
        return Err(EcsError::invalid_parameter(
            "The capacity provider name can't be prefixed with \"aws\", \"ecs\", or \"fargate\".",
        ));
    }
    Ok(())
}

pub async fn create(
    call: &Call<'_>,
    input: wire::CreateCapacityProviderRequest,
    _raw: &serde_json::Value,
) -> Result<wire::CreateCapacityProviderResponse, EcsError> {
    check_name(&input.name)?;
    if input.managed_instances_provider.is_some() {
        return Err(refuse_managed_instances());
    }
    let Some(asg) = input.auto_scaling_group_provider else {
        return Err(EcsError::invalid_parameter(
            "autoScalingGroupProvider is required: it is the only kind of capacity provider kube-ecs keeps.",
        ));
    };
    if input.tags.len() > 50 {
        return Err(EcsError::invalid_parameter("A resource can have at most 50 tags."));
    }
    let taken = records(call).await?.contains_key(&input.name)
        || !clusters_with_pool(&visible_clusters(call).await?, &input.name).is_empty();
    if taken {
        return Err(EcsError::client(
            "The specified capacity provider already exists. To change the configuration of an existing capacity \
             provider, update the capacity provider.",
        ));
    }
    let record = Record { auto_scaling_group_provider: Some(shapes::with_defaults(asg)), tags: input.tags };
    write_record(call, &input.name, &record).await?;
    Ok(wire::CreateCapacityProviderResponse {
        capacity_provider: Some(shapes::record(&arns(call), &input.name, &record, true)),
    })
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeCapacityProvidersRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DescribeCapacityProvidersResponse, EcsError> {
    let arns = arns(call);
    let with_tags = wants_tags(&input.include);
    let records = records(call).await?;
    let one_cluster = input.cluster.as_deref().filter(|c| !c.trim().is_empty());
    let clusters = match one_cluster {
        Some(cluster) => vec![super::existing_cluster(call, Some(cluster)).await?],
        None => visible_clusters(call).await?,
    };
    // (sort key, provider): the account's providers by name, a cluster's own pools by name/cluster.
    let mut all: BTreeMap<String, wire::CapacityProvider> = BTreeMap::new();
    if one_cluster.is_none() {
        for name in FARGATE {
            all.insert(name.to_string(), shapes::fargate(&arns, name));
        }
        for (name, record) in &records {
            all.insert(name.clone(), shapes::record(&arns, name, record, with_tags));
        }
    }
    for cluster in &clusters {
        let cluster_name = ecs_names::cluster_name(cluster);
        for pool in &cluster.spec.node_pools {
            // FARGATE and recorded providers are account-wide: listed once, unless one cluster is asked for.
            let name = plan::provider_name(pool);
            let shared = if FARGATE.contains(&name) {
                Some(shapes::fargate(&arns, name))
            } else {
                records.get(name).map(|r| shapes::record(&arns, name, r, with_tags))
            };
            match shared {
                Some(_) if one_cluster.is_none() => {}
                Some(provider) => {
                    all.insert(name.to_string(), provider);
                }
                None => {
                    all.insert(format!("{name}/{cluster_name}"), shapes::pool(&arns, &cluster_name, pool));
                }
            }
        }
    }
    let mut response = wire::DescribeCapacityProvidersResponse::default();
    if input.capacity_providers.is_empty() {
        let keys = all.keys().cloned().collect();
        let (keys, next_token) = page(keys, input.max_results, input.next_token.as_deref(), 10, 10)?;
        response.capacity_providers = keys.iter().filter_map(|k| all.remove(k)).collect();
        response.next_token = next_token;
        return Ok(response);
    }
    for requested in &input.capacity_providers {
        let name = short_name(requested);
        let found: Vec<wire::CapacityProvider> =
            all.values().filter(|p| p.name.as_deref() == Some(name)).cloned().collect();
        if found.is_empty() {
            response.failures.push(wire::Failure {
                arn: Some(arns.arn(name)),
                reason: Some("MISSING".into()),
                ..Default::default()
            });
        }
        for provider in found {
            if !response.capacity_providers.contains(&provider) {
                response.capacity_providers.push(provider);
            }
        }
    }
    Ok(response)
}

pub async fn update(
    call: &Call<'_>,
    input: wire::UpdateCapacityProviderRequest,
    _raw: &serde_json::Value,
) -> Result<wire::UpdateCapacityProviderResponse, EcsError> {
    let name = short_name(&input.name);
    if FARGATE.contains(&name) {
        return Err(fargate_is_ecs(name));
    }
    if input.managed_instances_provider.is_some() {
        return Err(refuse_managed_instances());
    }
    let Some(mut record) = records(call).await?.remove(name) else {
        let pools = clusters_with_pool(&visible_clusters(call).await?, name);
        return Err(if pools.is_empty() { does_not_exist() } else { pool_is_the_clusters(name, &pools) });
    };
    if let Some(update) = &input.auto_scaling_group_provider {
        record.auto_scaling_group_provider =
            record.auto_scaling_group_provider.map(|current| shapes::updated(current, update));
    }
    write_record(call, name, &record).await?;
    let mut provider = shapes::record(&arns(call), name, &record, true);
    provider.update_status = Some("UPDATE_COMPLETE".into());
    Ok(wire::UpdateCapacityProviderResponse { capacity_provider: Some(provider) })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteCapacityProviderRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DeleteCapacityProviderResponse, EcsError> {
    let name = short_name(&input.capacity_provider);
    if FARGATE.contains(&name) {
        return Err(fargate_is_ecs(name));
    }
    let in_clusters = clusters_with_pool(&visible_clusters(call).await?, name);
    let Some(record) = records(call).await?.remove(name) else {
        return Err(if in_clusters.is_empty() { does_not_exist() } else { pool_is_the_clusters(name, &in_clusters) });
    };
    if !in_clusters.is_empty() {
        // ECS's rule: a provider leaves its clusters before it is deleted.
        return Err(EcsError::client(format!(
            "The specified capacity provider is in use by the cluster(s) {}: remove it from them with \
             PutClusterCapacityProviders first.",
            in_clusters.join(", ")
        )));
    }
    store(call).write(name, None).await?;
    let mut provider = shapes::record(&arns(call), name, &record, true);
    provider.status = Some("INACTIVE".into());
    provider.update_status = Some("DELETE_COMPLETE".into());
    Ok(wire::DeleteCapacityProviderResponse { capacity_provider: Some(provider) })
}

pub async fn put_cluster(
    call: &Call<'_>,
    input: wire::PutClusterCapacityProvidersRequest,
    _raw: &serde_json::Value,
) -> Result<wire::PutClusterCapacityProvidersResponse, EcsError> {
    let cluster = super::existing_cluster(call, Some(&input.cluster)).await?;
    let cluster_name = ecs_names::cluster_name(&cluster);
    let object = cluster.metadata.name.clone().unwrap_or_default();
    refuse_gitops(&cluster.metadata, &format!("The cluster {cluster_name}"))?;
    let records = records(call).await?;
    let change = plan::pools_for(&cluster.spec.node_pools, &input.capacity_providers, |name| {
        FARGATE.contains(&name) || records.contains_key(name)
    })?;
    plan::check_strategy(&input.default_capacity_provider_strategy, &change.pools)?;
    if !change.removed.is_empty() {
        refuse_removing_busy_pools(call, &object, &change.removed).await?;
    }
    // The strategy names providers; the cluster keeps them as the pools' provider names.
    let strategy: Vec<kube_ecs_api::common::CapacityProviderStrategyItem> = input
        .default_capacity_provider_strategy
        .iter()
        .map(|item| kube_ecs_api::common::CapacityProviderStrategyItem {
            capacity_provider: crate::arn::short_name(&item.capacity_provider).to_string(),
            base: item.base,
            weight: item.weight,
        })
        .collect();
    let cluster =
        if change.pools == cluster.spec.node_pools && strategy == cluster.spec.default_capacity_provider_strategy {
            cluster
        } else {
            let patch =
                serde_json::json!({"spec": {"nodePools": change.pools, "defaultCapacityProviderStrategy": strategy}});
            call.merge(&call.clusters(), &object, &patch).await?
        };
    let mut rendered = crate::render::cluster::cluster(call.arns(), &cluster, true);
    // The providers by their names (a pool made for `FARGATE` is named `fargate-<hash>`).
    rendered.capacity_providers = cluster.spec.node_pools.iter().map(|p| plan::provider_name(p).to_string()).collect();
    Ok(wire::PutClusterCapacityProvidersResponse { cluster: Some(rendered) })
}

/// ECS refuses to remove a provider its tasks run on: a removed pool must have no running or pending
/// task on its container instances.
async fn refuse_removing_busy_pools(call: &Call<'_>, cluster: &str, removed: &[String]) -> Result<(), EcsError> {
    let instances = call.list(&call.instances(), None).await?;
    let busy: Vec<&str> = removed
        .iter()
        .map(String::as_str)
        .filter(|pool| {
            instances.iter().any(|i| {
                i.spec.cluster == cluster
                    && i.spec.pool.as_deref() == Some(*pool)
                    && i.status.as_ref().is_some_and(|s| s.running_tasks_count + s.pending_tasks_count > 0)
            })
        })
        .collect();
    if busy.is_empty() {
        return Ok(());
    }
    Err(EcsError::new(
        ErrorCode::ResourceInUseException,
        format!(
            "The specified capacity provider is in use and cannot be removed. (Tasks run on the container instances \
             of the node pool(s) {}: stop them or move them to another provider first.)",
            busy.join(", ")
        ),
    ))
}
