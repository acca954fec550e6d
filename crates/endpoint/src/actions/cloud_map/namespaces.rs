//! CreatePrivateDnsNamespace, CreatePublicDnsNamespace, CreateHttpNamespace, GetNamespace,
//! ListNamespaces, DeleteNamespace over the caller's DiscoveryNamespace objects.

use kube::api::Api;
use kube_ecs_api::cloud_map::{DiscoveryNamespace, DiscoveryService, NamespaceType, namespace_id};
use kube_ecs_wire::servicediscovery as wire;

use super::errors::{invalid, namespace_not_found};
use super::operations::{self, Verb};
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};

/// Annotation keeping a creation's `CreatorRequestId` (a retried create answers the same operation).
pub const CREATOR_REQUEST_ANNOTATION: &str = "ecs.kube-ecs.dev/creator-request-id";

pub fn api(call: &Call<'_>) -> Api<DiscoveryNamespace> {
    Api::namespaced(call.client.clone(), call.namespace())
}

/// The caller's namespace with Cloud Map id `id`.
pub async fn by_id(call: &Call<'_>, id: &str) -> Result<DiscoveryNamespace, EcsError> {
    let all = call.list(&api(call), None).await?;
    all.into_iter().find(|n| id_of(n).as_deref() == Some(id)).ok_or_else(|| namespace_not_found(id))
}

pub fn id_of(namespace: &DiscoveryNamespace) -> Option<String> {
    namespace.metadata.uid.as_deref().map(namespace_id)
}

/// The object name a Cloud Map name is kept under (DNS names lose their dots; a hash keeps
/// distinct names distinct).
fn object_name(name: &str) -> String {
    kube_ecs_api::names::dns_label(name.trim_end_matches('.'), 63)
}

struct Creation<'a> {
    name: &'a str,
    kind: NamespaceType,
    description: Option<&'a str>,
    vpc: Option<&'a str>,
    creator_request_id: Option<&'a str>,
}

async fn create(call: &Call<'_>, creation: Creation<'_>) -> Result<Option<String>, EcsError> {
    let wanted = creation.name.trim_end_matches('.');
    let existing = call.list(&api(call), None).await?;
    if let Some(same) = existing.iter().find(|n| n.spec.name.trim_end_matches('.').eq_ignore_ascii_case(wanted)) {
        let request = same.metadata.annotations.as_ref().and_then(|a| a.get(CREATOR_REQUEST_ANNOTATION));
        let id = id_of(same).unwrap_or_default();
        if creation.creator_request_id.is_some() && request.map(String::as_str) == creation.creator_request_id {
            return Ok(Some(operations::id(Verb::Create, &id)));
        }
        return Err(EcsError::new(
            ErrorCode::NamespaceAlreadyExists,
            format!("Namespace {wanted} already exists (id {id})"),
        ));
    }
    let name = object_name(creation.name);
    let mut manifest = serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1",
        "kind": "DiscoveryNamespace",
        "metadata": {"name": name, "namespace": call.namespace()},
        "spec": {"name": wanted, "type": creation.kind.as_str()},
    });
    if let Some(description) = creation.description {
        manifest["spec"]["description"] = description.into();
    }
    if let Some(vpc) = creation.vpc.filter(|v| !v.is_empty()) {
        manifest["spec"]["vpc"] = vpc.into();
    }
    if let Some(request) = creation.creator_request_id {
        manifest["metadata"]["annotations"] = serde_json::json!({CREATOR_REQUEST_ANNOTATION: request});
    }
    let created: DiscoveryNamespace = call.apply(&api(call), &name, &manifest).await?;
    Ok(Some(operations::id(Verb::Create, &id_of(&created).unwrap_or_default())))
}

pub async fn create_private_dns(
    call: &Call<'_>,
    input: wire::CreatePrivateDnsNamespaceRequest,
) -> Result<wire::CreatePrivateDnsNamespaceResponse, EcsError> {
    let creation = Creation {
        name: &input.name,
        kind: NamespaceType::DnsPrivate,
        description: input.description.as_deref(),
        vpc: Some(&input.vpc),
        creator_request_id: input.creator_request_id.as_deref(),
    };
    Ok(wire::CreatePrivateDnsNamespaceResponse { operation_id: create(call, creation).await? })
}

pub async fn create_public_dns(
    call: &Call<'_>,
    input: wire::CreatePublicDnsNamespaceRequest,
) -> Result<wire::CreatePublicDnsNamespaceResponse, EcsError> {
    let creation = Creation {
        name: &input.name,
        kind: NamespaceType::DnsPublic,
        description: input.description.as_deref(),
        vpc: None,
        creator_request_id: input.creator_request_id.as_deref(),
    };
    Ok(wire::CreatePublicDnsNamespaceResponse { operation_id: create(call, creation).await? })
}

pub async fn create_http(
    call: &Call<'_>,
    input: wire::CreateHttpNamespaceRequest,
) -> Result<wire::CreateHttpNamespaceResponse, EcsError> {
    let creation = Creation {
        name: &input.name,
        kind: NamespaceType::Http,
        description: input.description.as_deref(),
        vpc: None,
        creator_request_id: input.creator_request_id.as_deref(),
    };
    Ok(wire::CreateHttpNamespaceResponse { operation_id: create(call, creation).await? })
}

/// The services of `namespace` among `services`.
pub fn services_of<'a>(namespace: &DiscoveryNamespace, services: &'a [DiscoveryService]) -> Vec<&'a DiscoveryService> {
    let id = id_of(namespace);
    services
        .iter()
        .filter(|s| {
            Some(&s.spec.namespace_id) == id.as_ref() || namespace.metadata.name.as_ref() == Some(&s.spec.namespace_id)
        })
        .collect()
}

/// Cloud Map's Namespace of `namespace`, with its service count.
pub fn to_wire(call: &Call<'_>, namespace: &DiscoveryNamespace, service_count: usize) -> wire::Namespace {
    let id = id_of(namespace).unwrap_or_default();
    let kind = namespace.spec.type_.unwrap_or_default();
    let dns = kind.has_dns().then(|| wire::DnsProperties {
        // Route 53's hosted zone ids are 'Z' and upper-case alphanumerics: one made from the id.
        hosted_zone_id: Some(format!("Z{}", id.trim_start_matches("ns-").to_ascii_uppercase())),
        soa: None,
    });
    wire::Namespace {
        id: Some(id.clone()),
        arn: Some(call.arns().cloud_map("namespace", &id)),
        resource_owner: Some(call.arns().account().to_string()),
        name: Some(namespace.spec.name.clone()),
        r#type: Some(kind.as_str().to_string()),
        description: namespace.spec.description.clone(),
        service_count: Some(service_count as i32),
        properties: Some(wire::NamespaceProperties {
            dns_properties: dns,
            http_properties: Some(wire::HttpProperties { http_name: Some(namespace.spec.name.clone()) }),
        }),
        create_date: namespace.metadata.creation_timestamp.as_ref().map(|t| t.0.into()),
        creator_request_id: namespace
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CREATOR_REQUEST_ANNOTATION).cloned()),
    }
}

pub async fn get(call: &Call<'_>, input: wire::GetNamespaceRequest) -> Result<wire::GetNamespaceResponse, EcsError> {
    let namespace = by_id(call, &input.id).await?;
    let services = call.list(&super::services::api(call), None).await?;
    let count = services_of(&namespace, &services).len();
    Ok(wire::GetNamespaceResponse { namespace: Some(to_wire(call, &namespace, count)) })
}

/// Whether `namespace` passes ListNamespaces' filters (TYPE: EQ or IN; NAME: EQ or BEGINS_WITH).
fn passes(namespace: &wire::Namespace, filters: &[wire::NamespaceFilter]) -> Result<bool, EcsError> {
    for filter in filters {
        let value = match filter.name.as_str() {
            "TYPE" => namespace.r#type.as_deref(),
            "NAME" | "HTTP_NAME" => namespace.name.as_deref(),
            "RESOURCE_OWNER" => namespace.resource_owner.as_deref(),
            other => return Err(invalid(format!("Unsupported filter name {other}"))),
        }
        .unwrap_or_default();
        let condition = filter.condition.as_deref().unwrap_or("EQ");
        let matched = match condition {
            "EQ" | "IN" => filter.values.iter().any(|v| v == value),
            "BEGINS_WITH" => filter.values.iter().any(|v| value.starts_with(v.as_str())),
            other => return Err(invalid(format!("Unsupported filter condition {other} for {}", filter.name))),
        };
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

pub async fn list(
    call: &Call<'_>,
    input: wire::ListNamespacesRequest,
) -> Result<wire::ListNamespacesResponse, EcsError> {
    let namespaces = call.list(&api(call), None).await?;
    let services = call.list(&super::services::api(call), None).await?;
    let mut out = Vec::new();
    for namespace in &namespaces {
        let n = to_wire(call, namespace, services_of(namespace, &services).len());
        if passes(&n, &input.filters)? {
            out.push(wire::NamespaceSummary {
                id: n.id,
                arn: n.arn,
                resource_owner: n.resource_owner,
                name: n.name,
                r#type: n.r#type,
                description: n.description,
                service_count: n.service_count,
                properties: n.properties,
                create_date: n.create_date,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(wire::ListNamespacesResponse { namespaces: out, next_token: None })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteNamespaceRequest,
) -> Result<wire::DeleteNamespaceResponse, EcsError> {
    let namespace = by_id(call, &input.id).await?;
    let services = call.list(&super::services::api(call), None).await?;
    if !services_of(&namespace, &services).is_empty() {
        return Err(EcsError::new(
            ErrorCode::ResourceInUse,
            format!("Namespace {} has associated services: delete them first", input.id),
        ));
    }
    call.delete(&api(call), namespace.metadata.name.as_deref().unwrap_or_default()).await?;
    Ok(wire::DeleteNamespaceResponse { operation_id: Some(operations::id(Verb::Delete, &input.id)) })
}
