//! TagResource, UntagResource, ListTagsForResource on clusters, tasks and services (their
//! `spec.tags`). A task definition's tags are part of its revisions, and container instances are
//! read-only: both are refused with the reason.

use kube_ecs_api::common::Tag;
use kube_ecs_wire as wire;

use crate::arn::{self, Reference};
use crate::call::{Call, refuse_gitops};
use crate::error::{EcsError, ErrorCode};
use crate::lookup;

/// The object an ARN names: its API kind and name, and its tags now.
enum Target {
    Cluster(String),
    Task(String),
    Service(String),
    /// A provider CreateCapacityProvider made (a record of the namespace).
    CapacityProvider(String),
}

/// The provider name of a capacity-provider ARN (`...:capacity-provider/<name>`), if it is one.
fn capacity_provider(resource_arn: &str) -> Option<&str> {
    let (_, name) = resource_arn.strip_prefix("arn:")?.split_once(":capacity-provider/")?;
    (!name.is_empty()).then_some(name)
}

fn not_found() -> EcsError {
    EcsError::new(ErrorCode::InvalidParameterException, "The specified resource could not be found.")
}

/// The object the ARN names and its current tags (after the GitOps guard when writing).
async fn target(call: &Call<'_>, resource_arn: &str, writing: bool) -> Result<(Target, Vec<Tag>), EcsError> {
    if let Some(name) = capacity_provider(resource_arn) {
        let tags = super::capacity_providers::record_tags(call, name).await?.ok_or_else(|| {
            EcsError::invalid_parameter(
                "Only capacity providers made by CreateCapacityProvider have tags of their own in kube-ecs: a node \
                 pool's are its EcsCluster's (tag the cluster).",
            )
        })?;
        let tags = tags.into_iter().map(|t| Tag { key: t.key, value: t.value }).collect();
        return Ok((Target::CapacityProvider(name.to_string()), tags));
    }
    let reference = arn::parse(resource_arn).ok_or_else(|| {
        EcsError::invalid_parameter(format!("The ARN {resource_arn:?} is not an ECS cluster, task or service ARN."))
    })?;
    let guard = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, what: String| {
        if writing { refuse_gitops(meta, &what) } else { Ok(()) }
    };
    match reference {
        Reference::Cluster(name) => {
            let cluster = lookup::cluster(call, &name).await?.ok_or_else(not_found)?;
            guard(&cluster.metadata, format!("The cluster {name}"))?;
            Ok((Target::Cluster(cluster.metadata.name.clone().unwrap_or_default()), cluster.spec.tags))
        }
        Reference::Task { id, .. } => {
            let task = call.get(&call.tasks(), &id).await?.ok_or_else(not_found)?;
            guard(&task.metadata, format!("The task {id}"))?;
            Ok((Target::Task(id), task.spec.tags))
        }
        Reference::Service { cluster, name } => {
            // Old-style service ARNs name no cluster: ECS's `default`.
            let cluster = lookup::cluster(call, cluster.as_deref().unwrap_or(kube_ecs_api::DEFAULT_CLUSTER))
                .await?
                .ok_or_else(not_found)?;
            let service =
                lookup::service(call, &lookup::ClusterRef::of(&cluster), &name).await?.ok_or_else(not_found)?;
            guard(&service.metadata, format!("The service {name}"))?;
            Ok((Target::Service(service.metadata.name.clone().unwrap_or_default()), service.spec.tags))
        }
        Reference::TaskDefinition(_) => Err(EcsError::invalid_parameter(
            "kube-ecs keeps a task definition's tags in its revisions: register a new revision with the tags.",
        )),
        Reference::ContainerInstance { .. } => {
            Err(EcsError::invalid_parameter("Container instances are read-only in kube-ecs: label the Node instead."))
        }
    }
}

async fn write(call: &Call<'_>, target: Target, tags: Vec<Tag>) -> Result<(), EcsError> {
    let patch = serde_json::json!({"spec": {"tags": tags}});
    match target {
        Target::Cluster(name) => call.merge(&call.clusters(), &name, &patch).await.map(drop),
        Target::Task(name) => call.merge(&call.tasks(), &name, &patch).await.map(drop),
        Target::Service(name) => call.merge(&call.services(), &name, &patch).await.map(drop),
        Target::CapacityProvider(name) => {
            let tags = tags.into_iter().map(|t| wire::Tag { key: t.key, value: t.value }).collect();
            super::capacity_providers::set_record_tags(call, &name, tags).await
        }
    }
}

pub async fn tag(
    call: &Call<'_>,
    input: wire::TagResourceRequest,
    _raw: &serde_json::Value,
) -> Result<wire::TagResourceResponse, EcsError> {
    let (target, mut tags) = target(call, &input.resource_arn, true).await?;
    for new in &input.tags {
        tags.retain(|t| t.key != new.key);
        tags.push(Tag { key: new.key.clone(), value: new.value.clone() });
    }
    if tags.len() > 50 {
        return Err(EcsError::invalid_parameter("A resource can have at most 50 tags."));
    }
    write(call, target, tags).await?;
    Ok(wire::TagResourceResponse::default())
}

pub async fn untag(
    call: &Call<'_>,
    input: wire::UntagResourceRequest,
    _raw: &serde_json::Value,
) -> Result<wire::UntagResourceResponse, EcsError> {
    let (target, mut tags) = target(call, &input.resource_arn, true).await?;
    tags.retain(|t| !t.key.as_ref().is_some_and(|k| input.tag_keys.contains(k)));
    write(call, target, tags).await?;
    Ok(wire::UntagResourceResponse::default())
}

pub async fn list(
    call: &Call<'_>,
    input: wire::ListTagsForResourceRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListTagsForResourceResponse, EcsError> {
    let (_, tags) = target(call, &input.resource_arn, false).await?;
    Ok(wire::ListTagsForResourceResponse { tags: crate::render::tags(&tags) })
}
