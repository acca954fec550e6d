//! CreateService, GetService, ListServices, DeleteService over the caller's DiscoveryService
//! objects. A service with DNS records is `DNS_HTTP` (found by its DNS name and by
//! DiscoverInstances), one without is `HTTP`.

use k8s_openapi::api::core::v1::Service as KubeService;
use kube::api::Api;
use kube_ecs_api::cloud_map::{DiscoveryNamespace, DiscoveryService, service_id};
use kube_ecs_domain::service_plan::service_discovery::REGISTRY_LABEL;
use kube_ecs_wire::servicediscovery as wire;

use super::errors::{invalid, service_not_found};
use super::namespaces::{self, CREATOR_REQUEST_ANNOTATION};
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};

pub fn api(call: &Call<'_>) -> Api<DiscoveryService> {
    Api::namespaced(call.client.clone(), call.namespace())
}

pub fn id_of(service: &DiscoveryService) -> Option<String> {
    service.metadata.uid.as_deref().map(service_id)
}

/// The caller's service with Cloud Map id `id`.
pub async fn by_id(call: &Call<'_>, id: &str) -> Result<DiscoveryService, EcsError> {
    let all = call.list(&api(call), None).await?;
    all.into_iter().find(|s| id_of(s).as_deref() == Some(id)).ok_or_else(|| service_not_found(id))
}

/// The Cloud Map id of the namespace a service's `namespaceId` names (its id or object name).
fn namespace_id_of(service: &DiscoveryService, namespaces: &[DiscoveryNamespace]) -> String {
    kube_ecs_domain::service_plan::service_discovery::namespace_of(service, namespaces)
        .and_then(namespaces::id_of)
        .unwrap_or_else(|| service.spec.namespace_id.clone())
}

/// The Kubernetes Services registering tasks in the Cloud Map service `id` (one per ECS service).
pub async fn registrations(call: &Call<'_>, id: &str) -> Result<Vec<KubeService>, EcsError> {
    let kube_services: Api<KubeService> = Api::namespaced(call.client.clone(), call.namespace());
    call.list(&kube_services, Some(&format!("{REGISTRY_LABEL}={id}"))).await
}

fn dns_config(service: &DiscoveryService, namespace_id: &str) -> Option<wire::DnsConfig> {
    let config = service.spec.dns_config.as_ref()?;
    let value = |v: serde_json::Value| v.as_str().map(str::to_string);
    Some(wire::DnsConfig {
        namespace_id: Some(namespace_id.to_string()),
        routing_policy: Some(
            config.routing_policy.and_then(|p| value(serde_json::json!(p))).unwrap_or("MULTIVALUE".into()),
        ),
        dns_records: config
            .dns_records
            .iter()
            .map(|r| wire::DnsRecord { r#type: value(serde_json::json!(r.type_)).unwrap_or_default(), ttl: r.ttl })
            .collect(),
    })
}

/// Cloud Map's Service of `service` (in namespace `namespace_id`) with its instance count.
pub fn to_wire(call: &Call<'_>, service: &DiscoveryService, namespace_id: &str, instances: usize) -> wire::Service {
    let id = id_of(service).unwrap_or_default();
    let dns = dns_config(service, namespace_id);
    wire::Service {
        id: Some(id.clone()),
        arn: Some(call.arns().cloud_map("service", &id)),
        resource_owner: Some(call.arns().account().to_string()),
        name: Some(service.spec.name.clone()),
        namespace_id: Some(namespace_id.to_string()),
        description: service.spec.description.clone(),
        instance_count: Some(instances as i32),
        r#type: Some(if dns.is_some() { "DNS_HTTP" } else { "HTTP" }.into()),
        dns_config: dns,
        health_check_config: None,
        health_check_custom_config: service
            .spec
            .health_check_custom_config
            .as_ref()
            .map(|c| wire::HealthCheckCustomConfig { failure_threshold: c.failure_threshold }),
        create_date: service.metadata.creation_timestamp.as_ref().map(|t| t.0.into()),
        creator_request_id: service
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CREATOR_REQUEST_ANNOTATION).cloned()),
        created_by_account: Some(call.arns().account().to_string()),
    }
}

pub async fn create(
    call: &Call<'_>,
    input: wire::CreateServiceRequest,
) -> Result<wire::CreateServiceResponse, EcsError> {
    let namespace_id = input
        .namespace_id
        .clone()
        .or_else(|| input.dns_config.as_ref().and_then(|d| d.namespace_id.clone()))
        .ok_or_else(|| invalid("NamespaceId is required"))?;
    let namespace = namespaces::by_id(call, &namespace_id).await?;
    let kind = namespace.spec.type_.unwrap_or_default();
    if input.dns_config.is_some() && !kind.has_dns() {
        return Err(invalid(format!("Cannot specify DnsConfig for a service in the HTTP namespace {namespace_id}")));
    }
    if input.r#type.as_deref() == Some("HTTP") && input.dns_config.is_some() {
        return Err(invalid("A service of type HTTP has no DnsConfig"));
    }
    let existing = call.list(&api(call), None).await?;
    let same = namespaces::services_of(&namespace, &existing)
        .into_iter()
        .find(|s| s.spec.name.eq_ignore_ascii_case(&input.name))
        .cloned();
    if let Some(same) = same {
        let id = id_of(&same).unwrap_or_default();
        let request = same.metadata.annotations.as_ref().and_then(|a| a.get(CREATOR_REQUEST_ANNOTATION));
        if input.creator_request_id.is_some() && request == input.creator_request_id.as_ref() {
            return Ok(wire::CreateServiceResponse { service: Some(to_wire(call, &same, &namespace_id, 0)) });
        }
        return Err(EcsError::new(
            ErrorCode::ServiceAlreadyExists,
            format!("Service {} already exists in namespace {namespace_id} (id {id})", input.name),
        ));
    }
    let name = kube_ecs_api::names::dns_label(&format!("{}.{}", input.name, namespace.spec.name), 63);
    let mut spec = serde_json::json!({"name": input.name, "namespaceId": namespace_id});
    if let Some(description) = &input.description {
        spec["description"] = description.clone().into();
    }
    if let Some(dns) = &input.dns_config {
        let records: Vec<serde_json::Value> =
            dns.dns_records.iter().map(|r| serde_json::json!({"type": r.r#type, "ttl": r.ttl})).collect();
        spec["dnsConfig"] = serde_json::json!({"dnsRecords": records});
        if let Some(policy) = &dns.routing_policy {
            spec["dnsConfig"]["routingPolicy"] = policy.clone().into();
        }
    }
    if let Some(custom) = &input.health_check_custom_config {
        spec["healthCheckCustomConfig"] = serde_json::json!({"failureThreshold": custom.failure_threshold});
    }
    let mut manifest = serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1",
        "kind": "DiscoveryService",
        "metadata": {"name": name, "namespace": call.namespace()},
        "spec": spec,
    });
    if let Some(request) = &input.creator_request_id {
        manifest["metadata"]["annotations"] = serde_json::json!({CREATOR_REQUEST_ANNOTATION: request});
    }
    let created: DiscoveryService = call.apply(&api(call), &name, &manifest).await?;
    Ok(wire::CreateServiceResponse { service: Some(to_wire(call, &created, &namespace_id, 0)) })
}

pub async fn get(call: &Call<'_>, input: wire::GetServiceRequest) -> Result<wire::GetServiceResponse, EcsError> {
    let service = by_id(call, &input.id).await?;
    let namespaces = call.list(&namespaces::api(call), None).await?;
    let instances = super::instances::of(call, &input.id).await?.len();
    Ok(wire::GetServiceResponse {
        service: Some(to_wire(call, &service, &namespace_id_of(&service, &namespaces), instances)),
    })
}

pub async fn list(call: &Call<'_>, input: wire::ListServicesRequest) -> Result<wire::ListServicesResponse, EcsError> {
    let services = call.list(&api(call), None).await?;
    let namespaces = call.list(&namespaces::api(call), None).await?;
    let mut out = Vec::new();
    for service in &services {
        let namespace_id = namespace_id_of(service, &namespaces);
        let mut wanted = true;
        for filter in &input.filters {
            match (filter.name.as_str(), filter.condition.as_deref().unwrap_or("EQ")) {
                ("NAMESPACE_ID", "EQ" | "IN") => wanted &= filter.values.contains(&namespace_id),
                ("RESOURCE_OWNER", "EQ") => wanted &= filter.values.iter().any(|v| v == call.arns().account()),
                (name, condition) => return Err(invalid(format!("Unsupported filter {name} {condition}"))),
            }
        }
        if !wanted {
            continue;
        }
        let s = to_wire(call, service, &namespace_id, 0);
        out.push(wire::ServiceSummary {
            id: s.id,
            arn: s.arn,
            resource_owner: s.resource_owner,
            name: s.name,
            r#type: s.r#type,
            description: s.description,
            instance_count: None,
            dns_config: s.dns_config,
            health_check_config: None,
            health_check_custom_config: s.health_check_custom_config,
            create_date: s.create_date,
            created_by_account: s.created_by_account,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(wire::ListServicesResponse { services: out, next_token: None })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteServiceRequest,
) -> Result<wire::DeleteServiceResponse, EcsError> {
    let service = by_id(call, &input.id).await?;
    if !registrations(call, &input.id).await?.is_empty() {
        return Err(EcsError::new(
            ErrorCode::ResourceInUse,
            format!(
                "Service {} has registered instances: an ECS service registers its tasks in it (remove its \
                 serviceRegistries or delete it first)",
                input.id
            ),
        ));
    }
    call.delete(&api(call), service.metadata.name.as_deref().unwrap_or_default()).await?;
    Ok(wire::DeleteServiceResponse {})
}
