//! PutScalingPolicy, DescribeScalingPolicies, DeleteScalingPolicy over `spec.autoScaling.policies`:
//! target tracking on ECS's two predefined metrics. Step scaling, predictive scaling and customized
//! metrics are refused as ValidationExceptions: the HPA has no step adjustments and kube-ecs has no
//! CloudWatch metrics to customize.

use kube_ecs_api::Service;
use kube_ecs_api::ecs::PredefinedMetricType;
use kube_ecs_api::service::ScalingPolicy;
use kube_ecs_wire::application_autoscaling as wire;

use super::errors::{self, validation};
use super::target::{self, DIMENSION, NAMESPACE, Target};
use super::targets::write;
use crate::call::Call;
use crate::error::EcsError;

const TARGET_TRACKING: &str = "TargetTrackingScaling";

/// The CRD's policy from PutScalingPolicy's input, or AWS's ValidationException for what kube-ecs
/// does not run.
fn policy_of(input: &wire::PutScalingPolicyRequest) -> Result<ScalingPolicy, EcsError> {
    // AWS takes a missing PolicyType as StepScaling.
    let policy_type = input.policy_type.as_deref().unwrap_or("StepScaling");
    if policy_type != TARGET_TRACKING {
        return Err(validation(format!(
            "{policy_type} policies are not supported by kube-ecs: use TargetTrackingScaling with ECSServiceAverageCPUUtilization or ECSServiceAverageMemoryUtilization (docs/autoscaling.md)"
        )));
    }
    let Some(config) = &input.target_tracking_scaling_policy_configuration else {
        return Err(validation(
            "TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy",
        ));
    };
    if config.customized_metric_specification.is_some() {
        return Err(validation(
            "CustomizedMetricSpecification is not supported by kube-ecs: use a PredefinedMetricSpecification (ECSServiceAverageCPUUtilization or ECSServiceAverageMemoryUtilization)",
        ));
    }
    let Some(predefined) = &config.predefined_metric_specification else {
        return Err(validation("A PredefinedMetricSpecification or CustomizedMetricSpecification is required"));
    };
    let metric: PredefinedMetricType = predefined.predefined_metric_type.parse().map_err(|_| {
        validation(format!(
            "Unsupported predefined metric type {} for ECS services on kube-ecs: ECSServiceAverageCPUUtilization or ECSServiceAverageMemoryUtilization",
            predefined.predefined_metric_type
        ))
    })?;
    if !(config.target_value > 0.0 && config.target_value <= 100.0) {
        return Err(validation(format!(
            "TargetValue {} is out of range: it must be greater than 0 and at most 100 (percent of the task's reservation)",
            config.target_value
        )));
    }
    let max = kube_ecs_api::rules::MAX_COOLDOWN_SECONDS;
    for (name, value) in
        [("ScaleOutCooldown", config.scale_out_cooldown), ("ScaleInCooldown", config.scale_in_cooldown)]
    {
        if value.is_some_and(|v| !(0..=max).contains(&i64::from(v))) {
            return Err(validation(format!(
                "{name} must be between 0 and {max} seconds on kube-ecs (the HorizontalPodAutoscaler's limit)"
            )));
        }
    }
    Ok(ScalingPolicy {
        policy_name: input.policy_name.clone(),
        predefined_metric_type: metric,
        target_value: config.target_value,
        scale_out_cooldown: config.scale_out_cooldown,
        scale_in_cooldown: config.scale_in_cooldown,
        disable_scale_in: config.disable_scale_in,
    })
}

pub async fn put(
    call: &Call<'_>,
    input: wire::PutScalingPolicyRequest,
) -> Result<wire::PutScalingPolicyResponse, EcsError> {
    let Target { service, resource_id } =
        target::resolve(call, &input.service_namespace, &input.resource_id, &input.scalable_dimension).await?;
    let policy = policy_of(&input)?;
    let Some(mut scaling) = service.spec.auto_scaling.clone() else { return Err(errors::no_target(&resource_id)) };
    match scaling.policies.iter_mut().find(|p| p.policy_name == policy.policy_name) {
        Some(existing) => *existing = policy.clone(),
        None => {
            if scaling.policies.len() as i64 >= kube_ecs_api::rules::MAX_SCALING_POLICIES {
                return Err(EcsError::new(
                    crate::error::ErrorCode::LimitExceededException,
                    format!(
                        "A scalable target has at most {} scaling policies on kube-ecs",
                        kube_ecs_api::rules::MAX_SCALING_POLICIES
                    ),
                ));
            }
            scaling.policies.push(policy.clone());
        }
    }
    let updated = write(call, &service, Some(&scaling)).await?;
    Ok(wire::PutScalingPolicyResponse {
        policy_arn: target::policy_arn(call, &updated, &policy.policy_name),
        alarms: target::alarms(call, &updated, &policy),
    })
}

fn render(call: &Call<'_>, resource_id: &str, service: &Service, policy: &ScalingPolicy) -> wire::ScalingPolicy {
    wire::ScalingPolicy {
        policy_arn: target::policy_arn(call, service, &policy.policy_name),
        policy_name: policy.policy_name.clone(),
        service_namespace: NAMESPACE.into(),
        resource_id: resource_id.into(),
        scalable_dimension: DIMENSION.into(),
        policy_type: TARGET_TRACKING.into(),
        step_scaling_policy_configuration: None,
        target_tracking_scaling_policy_configuration: Some(wire::TargetTrackingScalingPolicyConfiguration {
            target_value: policy.target_value,
            predefined_metric_specification: Some(wire::PredefinedMetricSpecification {
                predefined_metric_type: policy.predefined_metric_type.to_string(),
                resource_label: None,
            }),
            customized_metric_specification: None,
            scale_out_cooldown: policy.scale_out_cooldown,
            scale_in_cooldown: policy.scale_in_cooldown,
            disable_scale_in: Some(policy.disable_scale_in.unwrap_or(false)),
        }),
        predictive_scaling_policy_configuration: None,
        alarms: target::alarms(call, service, policy),
        creation_time: target::creation_time(service),
    }
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeScalingPoliciesRequest,
) -> Result<wire::DescribeScalingPoliciesResponse, EcsError> {
    if input.service_namespace != NAMESPACE || input.scalable_dimension.as_deref().is_some_and(|d| d != DIMENSION) {
        return Ok(wire::DescribeScalingPoliciesResponse::default());
    }
    let ids: Vec<String> = input.resource_id.iter().cloned().collect();
    let mut policies = Vec::new();
    for (resource_id, service) in target::services(call, &ids).await? {
        let Some(scaling) = &service.spec.auto_scaling else { continue };
        for policy in &scaling.policies {
            if input.policy_names.is_empty() || input.policy_names.contains(&policy.policy_name) {
                policies.push(render(call, &resource_id, &service, policy));
            }
        }
    }
    let (scaling_policies, next_token) = crate::pagination::page_by(
        policies,
        |p| format!("{}\n{}", p.resource_id, p.policy_name),
        input.max_results,
        input.next_token.as_deref(),
        (50, 50),
        false,
    )?;
    Ok(wire::DescribeScalingPoliciesResponse { scaling_policies, next_token })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteScalingPolicyRequest,
) -> Result<wire::DeleteScalingPolicyResponse, EcsError> {
    let Target { service, resource_id } =
        target::resolve(call, &input.service_namespace, &input.resource_id, &input.scalable_dimension).await?;
    let Some(mut scaling) = service.spec.auto_scaling.clone() else {
        return Err(errors::no_policy(&resource_id, &input.policy_name));
    };
    let before = scaling.policies.len();
    scaling.policies.retain(|p| p.policy_name != input.policy_name);
    if scaling.policies.len() == before {
        return Err(errors::no_policy(&resource_id, &input.policy_name));
    }
    write(call, &service, Some(&scaling)).await?;
    Ok(wire::DeleteScalingPolicyResponse {})
}
