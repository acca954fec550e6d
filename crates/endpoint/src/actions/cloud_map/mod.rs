//! Cloud Map's actions (`Route53AutoNaming_v20170314.<Action>`, signed for `servicediscovery`): the
//! namespaces and services are the DiscoveryNamespace and DiscoveryService objects of the caller's
//! namespace (`api::cloud_map`), their ids derived from the objects' UIDs; the instances of a
//! service are the ready tasks of the ECS services registered in it (read from their Pods, as ECS
//! registers and deregisters them). Namespace creation and deletion are asynchronous in Cloud Map
//! and answer an OperationId: here the object is written at once, and GetOperation answers SUCCESS
//! once it exists (or is gone). Everything goes through the caller's impersonating client.

mod errors;
mod instances;
mod namespaces;
mod operations;
mod services;

use super::decode;
use crate::call::Call;
use crate::error::EcsError;

/// Runs `operation` (one of Cloud Map's supported ones) with its checked input; errors in its
/// vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    route!(operation, errors: errors::in_cloud_map_terms, {
        "CreatePrivateDnsNamespace" => namespaces::create_private_dns(call, decode(&input)?),
        "CreatePublicDnsNamespace" => namespaces::create_public_dns(call, decode(&input)?),
        "CreateHttpNamespace" => namespaces::create_http(call, decode(&input)?),
        "GetNamespace" => namespaces::get(call, decode(&input)?),
        "ListNamespaces" => namespaces::list(call, decode(&input)?),
        "DeleteNamespace" => namespaces::delete(call, decode(&input)?),
        "GetOperation" => operations::get(call, decode(&input)?),
        "CreateService" => services::create(call, decode(&input)?),
        "GetService" => services::get(call, decode(&input)?),
        "ListServices" => services::list(call, decode(&input)?),
        "DeleteService" => services::delete(call, decode(&input)?),
        "ListInstances" => instances::list(call, decode(&input)?),
        "DiscoverInstances" => instances::discover(call, decode(&input)?),
    })
}

/// ECS's CreateService and UpdateService checks of `serviceRegistries` (in `spec`, the Service's
/// spec as the call would write it) against the caller's Cloud Map objects and the task definition:
/// a registry that does not exist, or a combination ECS refuses, is an InvalidParameterException
/// naming the field (the Service controller reports the same in its `ServiceRegistries` condition
/// for a Service applied with kubectl).
pub async fn check_registries(
    call: &Call<'_>,
    spec: &serde_json::Value,
    definition: &kube_ecs_api::TaskDefinitionSpec,
) -> Result<(), EcsError> {
    use kube_ecs_domain::service_plan::service_discovery::{headless_services, resolve};
    let Some(registries) = spec.get("serviceRegistries").filter(|r| r.as_array().is_some_and(|a| !a.is_empty())) else {
        return Ok(());
    };
    let registries = serde_json::from_value(registries.clone())
        .map_err(|e| EcsError::invalid_parameter(format!("serviceRegistries: {e}")))?;
    let mut service = kube_ecs_api::Service::new("check", Default::default());
    service.spec.service_registries = registries;
    let discoveries = call.list(&services::api(call), None).await?;
    let namespaces = call.list(&namespaces::api(call), None).await?;
    resolve(&service, &discoveries, &namespaces)
        .and_then(|resolved| headless_services(&service, definition, &resolved))
        .map(drop)
        .map_err(EcsError::invalid_parameter)
}
