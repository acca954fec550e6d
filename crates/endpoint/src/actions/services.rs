//! CreateService, UpdateService, DescribeServices, ListServices, DeleteService over Service.

use std::time::Duration;

use kube_ecs_api::Service;
use kube_ecs_api::ecs::{SchedulingStrategy, ServiceState};
use kube_ecs_wire as wire;

use super::task_definitions::resolve;
use super::{existing_cluster, inactive, wants_tags};
use crate::arn;
use crate::call::{Call, manifest, members_except, refuse_gitops};
use crate::error::{EcsError, ErrorCode};
use crate::lookup::{self, ClusterRef};
use crate::pagination::page;
use crate::render;
use crate::render::service::service_name;

/// Members of CreateService that are the call's, not the Service's.
const CREATE_ONLY: &[&str] = &["clientToken", "role", "cluster", "serviceName", "taskDefinition"];
/// Members of UpdateService that name the service or are an instruction, not its configuration.
const UPDATE_ONLY: &[&str] = &["service", "cluster", "taskDefinition", "forceNewDeployment"];

/// The annotation UpdateService's forceNewDeployment sets: the Service controller starts a new
/// deployment of the same revision when it changes.
pub use kube_ecs_api::labels::FORCE_NEW_DEPLOYMENT_ANNOTATION;

/// How long Create/UpdateService wait for the Service controller to record the deployment the call
/// started, so the answer has it (ECS answers with its PRIMARY deployment). Past this the answer is
/// what the Service says so far.
const DEPLOYMENT_WAIT: Duration = Duration::from_secs(10);

/// The Service once its controller has observed `generation` (or as it is after DEPLOYMENT_WAIT).
async fn observed(call: &Call<'_>, service: Service) -> Result<Service, EcsError> {
    let generation = service.metadata.generation.unwrap_or(0);
    let name = service.metadata.name.clone().unwrap_or_default();
    let deadline = tokio::time::Instant::now() + DEPLOYMENT_WAIT;
    let mut latest = service;
    loop {
        let status = latest.status.as_ref();
        let seen = status.and_then(|s| s.observed_generation).unwrap_or(0) >= generation;
        if (seen && status.is_some_and(|s| !s.deployments.is_empty())) || tokio::time::Instant::now() >= deadline {
            return Ok(latest);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        match call.get(&call.services(), &name).await? {
            Some(service) => latest = service,
            None => return Ok(latest),
        }
    }
}

/// The service `reference` (name or ARN) names in `cluster`.
async fn find(call: &Call<'_>, cluster: &ClusterRef, reference: &str) -> Result<Option<Service>, EcsError> {
    lookup::service(call, cluster, arn::short_name(reference)).await
}

/// The error for a service that is not there: not active when it was deleted a moment ago (still
/// INACTIVE), else not found.
async fn missing(call: &Call<'_>, cluster: &ClusterRef, reference: &str) -> EcsError {
    match inactive::service(call, &cluster.name, arn::short_name(reference)).await {
        Some(_) => EcsError::new(ErrorCode::ServiceNotActiveException, "Service was not ACTIVE."),
        None => EcsError::service_not_found(),
    }
}

/// The revision a request names, pinned as ECS pins a service to one revision.
async fn pinned(call: &Call<'_>, reference: &str) -> Result<String, EcsError> {
    Ok(resolve(call, reference, false).await?.reference)
}

pub async fn create(
    call: &Call<'_>,
    input: wire::CreateServiceRequest,
    raw: &serde_json::Value,
) -> Result<wire::CreateServiceResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    if input.launch_type.is_some() && !input.capacity_provider_strategy.is_empty() {
        return Err(EcsError::invalid_parameter(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    let Some(reference) = input.task_definition.as_deref() else {
        return Err(EcsError::invalid_parameter("TaskDefinition must be specified."));
    };
    if !kube_ecs_api::ecs_names::is_ecs_name(&input.service_name) {
        return Err(EcsError::invalid_parameter(
            "Service names must be 1-255 characters long and can contain only letters (upper and lowercase), \
             numbers, hyphens and underscores.",
        ));
    }
    if let Some(existing) = find(call, &cluster, &input.service_name).await? {
        // The same clientToken: a retry of the call that made it, answered with the service.
        let token = input.client_token.as_deref().map(crate::idempotency::label_value);
        let made_by = existing.metadata.labels.as_ref().and_then(|l| l.get(crate::idempotency::CLIENT_TOKEN_LABEL));
        if token.is_some() && made_by == token.as_ref() {
            return Ok(wire::CreateServiceResponse {
                service: Some(render::service::service(call.arns(), &cluster.name, &existing, true)),
            });
        }
        return Err(EcsError::invalid_parameter("Creation of service was not idempotent."));
    }
    let object = lookup::new_service_object(call, &cluster, &input.service_name).await?;
    if call.get(&call.services(), &object).await?.is_some() {
        return Err(EcsError::invalid_parameter("Creation of service was not idempotent."));
    }
    let mut spec = members_except(raw, CREATE_ONLY);
    let revision = resolve(call, reference, false).await?;
    super::cloud_map::check_registries(call, &spec, &revision.spec).await?;
    spec["serviceName"] = input.service_name.clone().into();
    spec["taskDefinition"] = revision.reference.into();
    spec["cluster"] = cluster.reference().into();
    let mut manifest = manifest::<Service>(&object, Some(call.namespace()), spec);
    if let Some(token) = input.client_token.as_deref() {
        let value = crate::idempotency::label_value(token);
        manifest["metadata"]["labels"] = serde_json::json!({crate::idempotency::CLIENT_TOKEN_LABEL: value});
    }
    let service = observed(call, call.apply(&call.services(), &object, &manifest).await?).await?;
    inactive::forget_service(call, &cluster.name, &input.service_name).await;
    Ok(wire::CreateServiceResponse {
        service: Some(render::service::service(call.arns(), &cluster.name, &service, true)),
    })
}

pub async fn update(
    call: &Call<'_>,
    input: wire::UpdateServiceRequest,
    raw: &serde_json::Value,
) -> Result<wire::UpdateServiceResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    let Some(service) = find(call, &cluster, &input.service).await? else {
        return Err(missing(call, &cluster, &input.service).await);
    };
    let state = service.status.as_ref().and_then(|s| s.status).unwrap_or(ServiceState::Active);
    if service.metadata.deletion_timestamp.is_some() || state != ServiceState::Active {
        return Err(EcsError::new(ErrorCode::ServiceNotActiveException, "Service was not ACTIVE."));
    }
    let name = service_name(&service);
    refuse_gitops(&service.metadata, &format!("The service {name}"))?;
    let mut patch = serde_json::json!({"spec": members_except(raw, UPDATE_ONLY)});
    if let Some(reference) = input.task_definition.as_deref() {
        patch["spec"]["taskDefinition"] = pinned(call, reference).await?.into();
    }
    // New registries, or a new revision under the service's registries: ECS checks them again.
    let registries = match patch["spec"].get("serviceRegistries") {
        Some(given) => given.clone(),
        None => serde_json::to_value(&service.spec.service_registries).unwrap_or_default(),
    };
    let changed = patch["spec"].get("serviceRegistries").is_some() || input.task_definition.is_some();
    if changed && registries.as_array().is_some_and(|r| !r.is_empty()) {
        let reference = patch["spec"]["taskDefinition"].as_str().unwrap_or(&service.spec.task_definition).to_string();
        let revision = resolve(call, &reference, true).await?;
        super::cloud_map::check_registries(call, &serde_json::json!({"serviceRegistries": registries}), &revision.spec)
            .await?;
    }
    if input.force_new_deployment == Some(true) {
        patch["metadata"] =
            serde_json::json!({"annotations": {FORCE_NEW_DEPLOYMENT_ANNOTATION: jiff::Timestamp::now().to_string()}});
    }
    let object = service.metadata.name.clone().unwrap_or_default();
    let updated = observed(call, call.merge(&call.services(), &object, &patch).await?).await?;
    Ok(wire::UpdateServiceResponse {
        service: Some(render::service::service(call.arns(), &cluster.name, &updated, true)),
    })
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeServicesRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DescribeServicesResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    if input.services.len() > 10 {
        return Err(EcsError::invalid_parameter("services can have at most 10 items."));
    }
    let with_tags = wants_tags(&input.include);
    let mut response = wire::DescribeServicesResponse::default();
    for requested in &input.services {
        match find(call, &cluster, requested).await? {
            Some(service) => {
                response.services.push(render::service::service(call.arns(), &cluster.name, &service, with_tags))
            }
            None => match inactive::service(call, &cluster.name, arn::short_name(requested)).await {
                Some(deleted) => response.services.push(deleted),
                None => response.failures.push(wire::Failure {
                    arn: Some(call.arns().service(&cluster.name, arn::short_name(requested))),
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
    input: wire::ListServicesRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListServicesResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    let services = call.list(&call.services(), None).await?;
    let arns = services
        .iter()
        .filter(|s| cluster.holds(s.spec.cluster.as_deref()))
        .filter(|s| {
            input
                .launch_type
                .as_ref()
                .is_none_or(|l| s.spec.launch_type.unwrap_or(kube_ecs_api::ecs::LaunchType::Ec2).as_str() == l)
        })
        .filter(|s| {
            input.scheduling_strategy.as_ref().is_none_or(|st| {
                s.spec.scheduling_strategy.unwrap_or(kube_ecs_api::ecs::SchedulingStrategy::Replica).as_str() == st
            })
        })
        .map(|s| call.arns().service(&cluster.name, &service_name(s)))
        .collect();
    let (service_arns, next_token) = page(arns, input.max_results, input.next_token.as_deref(), 10, 100)?;
    Ok(wire::ListServicesResponse { service_arns, next_token })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteServiceRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DeleteServiceResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    let Some(service) = find(call, &cluster, &input.service).await? else {
        return Err(missing(call, &cluster, &input.service).await);
    };
    let name = service_name(&service);
    refuse_gitops(&service.metadata, &format!("The service {name}"))?;
    let replica = service.spec.scheduling_strategy.unwrap_or(kube_ecs_api::ecs::SchedulingStrategy::Replica)
        == SchedulingStrategy::Replica;
    if replica && service.spec.desired_count.unwrap_or(1) > 0 && input.force != Some(true) {
        return Err(EcsError::invalid_parameter("The service cannot be stopped while it is scaled above 0."));
    }
    let object = service.metadata.name.clone().unwrap_or_default();
    call.delete(&call.services(), &object).await?;
    let mut rendered = render::service::service(call.arns(), &cluster.name, &service, true);
    inactive::remember_service(call, &cluster.name, rendered.clone()).await;
    rendered.status = Some(ServiceState::Draining.as_str().into());
    Ok(wire::DeleteServiceResponse { service: Some(rendered) })
}
