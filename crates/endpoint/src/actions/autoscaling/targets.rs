//! RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget over a Service's
//! `spec.autoScaling` (minCapacity, maxCapacity, suspendedState).

use kube_ecs_api::Service;
use kube_ecs_api::service::AutoScaling;
use kube_ecs_wire::application_autoscaling as wire;

use super::errors::validation;
use super::target::{self, DIMENSION, NAMESPACE, Target};
use crate::call::{Call, convert, refuse_gitops};
use crate::error::{EcsError, ErrorCode};

/// Writes `spec.autoScaling` (None removes it) as a merge patch guarded by the resourceVersion read,
/// so a concurrent change is a ConcurrentUpdateException instead of a lost update.
pub async fn write(call: &Call<'_>, service: &Service, scaling: Option<&AutoScaling>) -> Result<Service, EcsError> {
    let name = kube_ecs_api::ecs_names::service_name(service);
    refuse_gitops(&service.metadata, &format!("The service {name}"))?;
    let value = match scaling {
        Some(s) => serde_json::to_value(s).map_err(|e| EcsError::server(format!("writing autoScaling: {e}")))?,
        None => serde_json::Value::Null,
    };
    let patch = serde_json::json!({
        "metadata": {"resourceVersion": service.metadata.resource_version},
        "spec": {"autoScaling": value},
    });
    call.merge(&call.services(), service.metadata.name.as_deref().unwrap_or_default(), &patch).await
}

pub async fn register(
    call: &Call<'_>,
    input: wire::RegisterScalableTargetRequest,
) -> Result<wire::RegisterScalableTargetResponse, EcsError> {
    let Target { service, resource_id } =
        target::resolve(call, &input.service_namespace, &input.resource_id, &input.scalable_dimension).await?;
    if kube_ecs_domain::service_plan::reconcile::is_daemon(&service) {
        return Err(validation(format!(
            "{resource_id} uses the DAEMON scheduling strategy: it runs one task per container instance and cannot scale"
        )));
    }
    let mut scaling = match service.spec.auto_scaling.clone() {
        Some(existing) => existing,
        None => {
            let (Some(min), Some(max)) = (input.min_capacity, input.max_capacity) else {
                return Err(validation(
                    "MinCapacity and MaxCapacity are required for registering a new scalable target",
                ));
            };
            AutoScaling { min_capacity: min, max_capacity: max, ..Default::default() }
        }
    };
    if let Some(min) = input.min_capacity {
        scaling.min_capacity = min;
    }
    if let Some(max) = input.max_capacity {
        scaling.max_capacity = max;
    }
    if scaling.min_capacity > scaling.max_capacity {
        return Err(validation(format!(
            "Minimum capacity ({}) cannot be greater than maximum capacity ({})",
            scaling.min_capacity, scaling.max_capacity
        )));
    }
    if let Some(state) = &input.suspended_state {
        let mut merged = scaling.suspended_state.clone().unwrap_or_default();
        let given: kube_ecs_api::service::SuspendedState = convert(&camel(state))?;
        merged.dynamic_scaling_in_suspended =
            given.dynamic_scaling_in_suspended.or(merged.dynamic_scaling_in_suspended);
        merged.dynamic_scaling_out_suspended =
            given.dynamic_scaling_out_suspended.or(merged.dynamic_scaling_out_suspended);
        merged.scheduled_scaling_suspended = given.scheduled_scaling_suspended.or(merged.scheduled_scaling_suspended);
        scaling.suspended_state = Some(merged);
    }
    let updated = write(call, &service, Some(&scaling)).await?;
    Ok(wire::RegisterScalableTargetResponse { scalable_target_arn: Some(target::target_arn(call, &updated)) })
}

/// The wire SuspendedState with the CRD's member names.
fn camel(state: &wire::SuspendedState) -> serde_json::Value {
    serde_json::json!({
        "dynamicScalingInSuspended": state.dynamic_scaling_in_suspended,
        "dynamicScalingOutSuspended": state.dynamic_scaling_out_suspended,
        "scheduledScalingSuspended": state.scheduled_scaling_suspended,
    })
}

fn suspended(scaling: &AutoScaling) -> Option<wire::SuspendedState> {
    scaling.suspended_state.as_ref().map(|s| wire::SuspendedState {
        dynamic_scaling_in_suspended: Some(s.dynamic_scaling_in_suspended.unwrap_or(false)),
        dynamic_scaling_out_suspended: Some(s.dynamic_scaling_out_suspended.unwrap_or(false)),
        scheduled_scaling_suspended: Some(s.scheduled_scaling_suspended.unwrap_or(false)),
    })
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeScalableTargetsRequest,
) -> Result<wire::DescribeScalableTargetsResponse, EcsError> {
    // Other namespaces and dimensions have no targets here.
    if input.service_namespace != NAMESPACE || input.scalable_dimension.as_deref().is_some_and(|d| d != DIMENSION) {
        return Ok(wire::DescribeScalableTargetsResponse::default());
    }
    let targets: Vec<wire::ScalableTarget> = target::services(call, &input.resource_ids)
        .await?
        .into_iter()
        .filter_map(|(resource_id, service)| {
            let scaling = service.spec.auto_scaling.as_ref()?;
            Some(wire::ScalableTarget {
                service_namespace: NAMESPACE.into(),
                resource_id,
                scalable_dimension: DIMENSION.into(),
                min_capacity: scaling.min_capacity,
                max_capacity: scaling.max_capacity,
                predicted_capacity: None,
                role_arn: target::role_arn(call),
                creation_time: target::creation_time(&service),
                suspended_state: suspended(scaling),
                scalable_target_arn: Some(target::target_arn(call, &service)),
            })
        })
        .collect();
    let (scalable_targets, next_token) = crate::pagination::page_by(
        targets,
        |t| t.resource_id.clone(),
        input.max_results,
        input.next_token.as_deref(),
        (50, 50),
        false,
    )?;
    Ok(wire::DescribeScalableTargetsResponse { scalable_targets, next_token })
}

pub async fn deregister(
    call: &Call<'_>,
    input: wire::DeregisterScalableTargetRequest,
) -> Result<wire::DeregisterScalableTargetResponse, EcsError> {
    target::check(&input.service_namespace, &input.resource_id, &input.scalable_dimension)?;
    // With the IDs checked, a ValidationException here is a service that does not exist: its target is
    // not registered either.
    let found =
        match target::resolve(call, &input.service_namespace, &input.resource_id, &input.scalable_dimension).await {
            Ok(found) => Some(found),
            Err(e) if e.code == ErrorCode::ValidationException => None,
            Err(e) => return Err(e),
        };
    let Some(Target { service, .. }) = found.filter(|t| t.service.spec.auto_scaling.is_some()) else {
        return Err(EcsError::new(
            ErrorCode::ObjectNotFoundException,
            format!(
                "No scalable target found for service namespace: ecs, resource ID: {}, scalable dimension: ecs:service:DesiredCount",
                input.resource_id
            ),
        ));
    };
    write(call, &service, None).await?;
    Ok(wire::DeregisterScalableTargetResponse {})
}
