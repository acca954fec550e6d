//! ListInstances and DiscoverInstances: a Cloud Map service's instances are the ready tasks of the
//! ECS services registered in it (the Pods its headless Services select), with the attributes ECS
//! registers: `AWS_INSTANCE_IPV4`, `AWS_INSTANCE_PORT` (with a port), `ECS_SERVICE_NAME`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube_ecs_wire::servicediscovery as wire;

use super::errors::service_not_found;
use super::{namespaces, services};
use crate::call::Call;
use crate::error::EcsError;

/// One registered instance: its id (the task's) and attributes.
pub struct Instance {
    pub id: String,
    pub attributes: BTreeMap<String, String>,
}

/// The instances of the Cloud Map service `id`.
pub async fn of(call: &Call<'_>, id: &str) -> Result<Vec<Instance>, EcsError> {
    let pods: Api<Pod> = call.pods();
    let mut out = Vec::new();
    for registration in services::registrations(call, id).await? {
        let spec = registration.spec.unwrap_or_default();
        let Some(selector) = spec.selector.filter(|s| !s.is_empty()) else { continue };
        let selector: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let port = spec.ports.unwrap_or_default().first().map(|p| p.port);
        let ecs_service = registration.metadata.owner_references.unwrap_or_default().into_iter().next().map(|o| o.name);
        for pod in call.list(&pods, Some(&selector.join(","))).await? {
            let status = pod.status.unwrap_or_default();
            let ready = status.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True");
            let (Some(ip), true) = (status.pod_ip, ready) else { continue };
            let mut attributes = BTreeMap::from([("AWS_INSTANCE_IPV4".to_string(), ip)]);
            if let Some(port) = port {
                attributes.insert("AWS_INSTANCE_PORT".into(), port.to_string());
            }
            if let Some(name) = &ecs_service {
                attributes.insert("ECS_SERVICE_NAME".into(), name.clone());
            }
            out.push(Instance { id: pod.metadata.name.unwrap_or_default(), attributes });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

pub async fn list(call: &Call<'_>, input: wire::ListInstancesRequest) -> Result<wire::ListInstancesResponse, EcsError> {
    services::by_id(call, &input.service_id).await?;
    let instances = of(call, &input.service_id).await?;
    Ok(wire::ListInstancesResponse {
        resource_owner: Some(call.arns().account().to_string()),
        instances: instances
            .into_iter()
            .map(|i| wire::InstanceSummary {
                id: Some(i.id),
                attributes: i.attributes,
                created_by_account: Some(call.arns().account().to_string()),
            })
            .collect(),
        next_token: None,
    })
}

pub async fn discover(
    call: &Call<'_>,
    input: wire::DiscoverInstancesRequest,
) -> Result<wire::DiscoverInstancesResponse, EcsError> {
    let all = call.list(&namespaces::api(call), None).await?;
    let wanted = input.namespace_name.trim_end_matches('.');
    let namespace = all
        .iter()
        .find(|n| n.spec.name.trim_end_matches('.').eq_ignore_ascii_case(wanted))
        .ok_or_else(|| super::errors::namespace_not_found(&input.namespace_name))?;
    let services = call.list(&services::api(call), None).await?;
    let service = namespaces::services_of(namespace, &services)
        .into_iter()
        .find(|s| s.spec.name.eq_ignore_ascii_case(&input.service_name))
        .ok_or_else(|| service_not_found(&input.service_name))?;
    let id = services::id_of(service).unwrap_or_default();
    // Every instance is a ready task: healthy, whichever HealthStatus is asked for but UNHEALTHY.
    let healthy = input.health_status.as_deref() != Some("UNHEALTHY");
    let mut instances: Vec<wire::HttpInstanceSummary> = if healthy { of(call, &id).await? } else { Vec::new() }
        .into_iter()
        .filter(|i| input.query_parameters.iter().all(|(k, v)| i.attributes.get(k) == Some(v)))
        .map(|i| wire::HttpInstanceSummary {
            instance_id: Some(i.id),
            namespace_name: Some(namespace.spec.name.clone()),
            service_name: Some(service.spec.name.clone()),
            health_status: Some("HEALTHY".into()),
            attributes: i.attributes,
        })
        .collect();
    if let Some(max) = input.max_results {
        instances.truncate(max.max(0) as usize);
    }
    Ok(wire::DiscoverInstancesResponse { instances, instances_revision: None })
}
