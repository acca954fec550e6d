//! Service -> ECS Service.

use kube_ecs_api::Service;
use kube_ecs_api::ecs::{DeploymentStatus, ServiceState};
use kube_ecs_wire as wire;

use super::task::definition_arn;
use super::{same_shape, timestamp};
use crate::arn::Arns;
use crate::call::convert;

/// The service's ECS name: `spec.serviceName`, or the object's name.
pub use kube_ecs_api::ecs_names::service_name;

/// The service as DescribeServices reports it, in the cluster whose ECS name is `cluster`.
pub fn service(arns: &Arns, cluster: &str, service: &Service, with_tags: bool) -> wire::Service {
    let name = service_name(service);
    let status = service.status.clone().unwrap_or_default();
    let state = if service.metadata.deletion_timestamp.is_some() {
        ServiceState::Draining
    } else {
        status.status.unwrap_or(ServiceState::Active)
    };
    // ECS reports the revision asked for at once; a bare family follows what the PRIMARY runs.
    let pinned =
        kube_ecs_domain::revisions::Reference::parse(&service.spec.task_definition).is_ok_and(|r| r.revision.is_some());
    let reference = if pinned {
        service.spec.task_definition.clone()
    } else {
        status.task_definition.clone().unwrap_or_else(|| service.spec.task_definition.clone())
    };
    let configuration: wire::DeploymentConfiguration =
        service.spec.deployment_configuration.as_ref().and_then(|c| convert(c).ok()).unwrap_or_default();
    let scheduling = service.spec.scheduling_strategy.unwrap_or(kube_ecs_api::ecs::SchedulingStrategy::Replica);
    let daemon = scheduling == kube_ecs_api::ecs::SchedulingStrategy::Daemon;
    let configuration = wire::DeploymentConfiguration {
        maximum_percent: configuration.maximum_percent.or(Some(if daemon { 100 } else { 200 })),
        minimum_healthy_percent: configuration.minimum_healthy_percent.or(Some(if daemon { 0 } else { 100 })),
        ..configuration
    };
    let connect: Option<wire::ServiceConnectConfiguration> =
        service.spec.service_connect_configuration.as_ref().and_then(|c| serde_json::from_value(c.clone()).ok());
    let connect_resources: Vec<wire::ServiceConnectServiceResource> = connect
        .iter()
        .filter(|c| c.enabled)
        .flat_map(|c| c.services.iter())
        .map(|s| wire::ServiceConnectServiceResource {
            discovery_name: Some(s.discovery_name.clone().unwrap_or_else(|| s.port_name.clone())),
            discovery_arn: None,
        })
        .collect();
    let deployments = status
        .deployments
        .iter()
        .filter(|d| d.status != DeploymentStatus::Inactive)
        .map(|d| wire::Deployment {
            id: Some(d.id.clone()),
            status: Some(d.status.as_str().into()),
            task_definition: Some(definition_arn(arns, &d.task_definition)),
            desired_count: Some(d.desired_count),
            pending_count: Some(d.pending_count),
            running_count: Some(d.running_count),
            failed_tasks: Some(d.failed_tasks),
            rollout_state: d.rollout_state.map(|r| r.as_str().into()),
            rollout_state_reason: d.rollout_state_reason.clone(),
            created_at: timestamp(d.created_at.as_ref()),
            updated_at: timestamp(d.updated_at.as_ref()),
            launch_type: Some(service.spec.launch_type.unwrap_or(kube_ecs_api::ecs::LaunchType::Ec2).as_str().into()),
            // The service's Service Connect configuration, as each deployment shows it in ECS
            // (kube-ecs keeps the spec's: a deployment runs the spec it was made from).
            service_connect_configuration: connect.clone(),
            service_connect_resources: connect_resources.clone(),
            ..Default::default()
        })
        .collect();
    let events = status
        .events
        .iter()
        .map(|e| wire::ServiceEvent {
            id: Some(e.id.clone()),
            created_at: timestamp(e.created_at.as_ref()),
            message: Some(e.message.clone()),
        })
        .collect();
    wire::Service {
        service_arn: Some(arns.service(cluster, &name)),
        service_name: Some(name),
        cluster_arn: Some(arns.cluster(cluster)),
        status: Some(state.as_str().into()),
        // What was asked for, at once (the status catches up as the deployment proceeds); with auto
        // scaling, the autoscaler's count, as ECS reports it (spec.desiredCount stays the user's).
        desired_count: Some(
            service
                .spec
                .auto_scaling
                .as_ref()
                .and(status.desired_count)
                .or(service.spec.desired_count)
                .or(status.desired_count)
                .unwrap_or(1),
        ),
        running_count: Some(status.running_count.unwrap_or(0)),
        pending_count: Some(status.pending_count.unwrap_or(0)),
        launch_type: Some(service.spec.launch_type.unwrap_or(kube_ecs_api::ecs::LaunchType::Ec2).as_str().into()),
        task_definition: Some(definition_arn(arns, &reference)),
        deployment_configuration: Some(configuration),
        deployments,
        events,
        created_at: timestamp(service.metadata.creation_timestamp.as_ref()),
        load_balancers: same_shape(&service.spec.load_balancers),
        service_registries: same_shape(&service.spec.service_registries),
        placement_constraints: same_shape(&service.spec.placement_constraints),
        placement_strategy: same_shape(&service.spec.placement_strategy),
        capacity_provider_strategy: same_shape(&service.spec.capacity_provider_strategy),
        network_configuration: service.spec.network_configuration.as_ref().and_then(|n| convert(n).ok()),
        health_check_grace_period_seconds: service.spec.health_check_grace_period_seconds,
        scheduling_strategy: Some(scheduling.as_str().into()),
        deployment_controller: Some(wire::DeploymentController {
            r#type: service.spec.deployment_controller.as_ref().map_or_else(|| "ECS".into(), |c| c.type_.clone()),
        }),
        enable_ecs_managed_tags: Some(service.spec.enable_ecs_managed_tags.unwrap_or(false)),
        enable_execute_command: Some(service.spec.enable_execute_command.unwrap_or(false)),
        propagate_tags: Some(service.spec.propagate_tags.clone().unwrap_or_else(|| "NONE".into())),
        tags: if with_tags { super::tags(&service.spec.tags) } else { Vec::new() },
        ..Default::default()
    }
}
