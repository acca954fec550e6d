//! A CreateSchedule/UpdateSchedule input as a ScheduledTask spec, checked as Scheduler checks it
//! (the expression, the time zone, the dates, the window) and for what kube-ecs can run: ECS targets
//! only, on a cluster and task definition that exist.

use kube_ecs_api::scheduled_task::{FlexibleTimeWindow, RetryPolicy, ScheduledTaskSpec, ScheduledTaskTarget};
use kube_ecs_api::task::TaskOverride;
use kube_ecs_domain::schedule::{Expression, time_zone};
use kube_ecs_wire::scheduler as wire;

use crate::arn::{self, Reference};
use crate::call::{Call, convert};
use crate::error::{EcsError, ErrorCode};

fn invalid(message: impl Into<String>) -> EcsError {
    EcsError::new(ErrorCode::ValidationException, message)
}

/// The spec of the schedule `input` describes (CreateSchedule's input; UpdateSchedule's converts to it).
pub async fn spec_of(call: &Call<'_>, input: &wire::CreateScheduleInput) -> Result<ScheduledTaskSpec, EcsError> {
    Expression::parse(input.schedule_expression.trim()).map_err(invalid)?;
    time_zone(input.schedule_expression_timezone.as_deref()).map_err(invalid)?;
    if let (Some(start), Some(end)) = (input.start_date, input.end_date)
        && end <= start
    {
        return Err(invalid("The EndDate you specify must be after the StartDate."));
    }
    let window = &input.flexible_time_window;
    let mode = match window.mode.as_str() {
        "OFF" => kube_ecs_api::ecs::FlexibleTimeWindowMode::Off,
        _ => kube_ecs_api::ecs::FlexibleTimeWindowMode::Flexible,
    };
    match (mode, window.maximum_window_in_minutes) {
        (kube_ecs_api::ecs::FlexibleTimeWindowMode::Flexible, None) => {
            return Err(invalid("MaximumWindowInMinutes is required when the FlexibleTimeWindow mode is FLEXIBLE."));
        }
        (kube_ecs_api::ecs::FlexibleTimeWindowMode::Off, Some(_)) => {
            return Err(invalid("MaximumWindowInMinutes must not be set when the FlexibleTimeWindow mode is OFF."));
        }
        _ => {}
    }
    let target = target(call, &input.target).await?;
    Ok(ScheduledTaskSpec {
        schedule_name: Some(input.name.clone()),
        schedule_expression: input.schedule_expression.clone(),
        schedule_expression_timezone: input.schedule_expression_timezone.clone(),
        start_date: input.start_date.map(|t| k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t.into())),
        end_date: input.end_date.map(|t| k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t.into())),
        description: input.description.clone(),
        state: input.state.as_deref().map(|s| match s {
            "DISABLED" => kube_ecs_api::ecs::ScheduleState::Disabled,
            _ => kube_ecs_api::ecs::ScheduleState::Enabled,
        }),
        flexible_time_window: Some(FlexibleTimeWindow {
            mode,
            maximum_window_in_minutes: window.maximum_window_in_minutes,
        }),
        retry_policy: input.target.retry_policy.as_ref().map(|r| RetryPolicy {
            maximum_event_age_in_seconds: r.maximum_event_age_in_seconds,
            maximum_retry_attempts: r.maximum_retry_attempts,
        }),
        action_after_completion: input.action_after_completion.as_deref().map(|a| match a {
            "DELETE" => kube_ecs_api::ecs::ActionAfterCompletion::Delete,
            _ => kube_ecs_api::ecs::ActionAfterCompletion::Keep,
        }),
        target,
    })
}

/// The target as a ScheduledTask's: an ECS cluster ARN with EcsParameters, nothing else.
async fn target(call: &Call<'_>, target: &wire::Target) -> Result<ScheduledTaskTarget, EcsError> {
    let not_ecs = || {
        invalid(format!(
            "kube-ecs runs ECS targets only: Target.Arn must be an ECS cluster ARN with EcsParameters (not {}).",
            target.arn
        ))
    };
    let cluster = match arn::parse(&target.arn) {
        Some(Reference::Cluster(name)) if target.arn.split(':').nth(2) == Some("ecs") => name,
        _ => return Err(not_ecs()),
    };
    let ecs = target.ecs_parameters.as_ref().ok_or_else(not_ecs)?;
    let others = [
        target.event_bridge_parameters.is_some(),
        target.kinesis_parameters.is_some(),
        target.sage_maker_pipeline_parameters.is_some(),
        target.sqs_parameters.is_some(),
    ];
    if others.into_iter().any(|o| o) {
        return Err(not_ecs());
    }
    if !ecs.placement_strategy.is_empty() {
        return Err(invalid("EcsParameters.PlacementStrategy is not supported by kube-ecs (its tasks take none)."));
    }
    if ecs.launch_type.is_some() && !ecs.capacity_provider_strategy.is_empty() {
        return Err(invalid("Specify either LaunchType or CapacityProviderStrategy in EcsParameters, not both."));
    }
    if crate::lookup::cluster(call, &cluster).await?.is_none() {
        return Err(invalid(format!("The target's cluster {cluster} does not exist.")));
    }
    let task_definition = task_definition_reference(&ecs.task_definition_arn)?;
    let family = task_definition.split(':').next().unwrap_or_default();
    let families = call.list(&call.definitions(), None).await?;
    if !families.iter().any(|td| kube_ecs_domain::revisions::family_of(td) == family) {
        return Err(invalid(format!("The target's task definition family {family} has no registered revision.")));
    }
    let overrides: Option<Box<TaskOverride>> = match target.input.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        None => None,
        Some(text) => Some(Box::new(serde_json::from_str(text).map_err(|e| {
            invalid(format!(
                "Target.Input must be the JSON of RunTask's overrides (containerOverrides, cpu, memory, ...): {e}"
            ))
        })?)),
    };
    let tags = ecs
        .tags
        .iter()
        .flat_map(|map| map.iter())
        .map(|(k, v)| kube_ecs_api::common::Tag { key: Some(k.clone()), value: Some(v.clone()) })
        .collect();
    let network_configuration = match &ecs.network_configuration {
        None => None,
        Some(n) => Some(Box::new(convert(
            &serde_json::json!({"awsvpcConfiguration": n.awsvpc_configuration.as_ref().map(|a| serde_json::json!({
                "subnets": a.subnets, "securityGroups": a.security_groups, "assignPublicIp": a.assign_public_ip,
            }))}),
        )?)),
    };
    Ok(ScheduledTaskTarget {
        cluster: Some(cluster),
        task_definition,
        task_count: ecs.task_count,
        launch_type: match ecs.launch_type.as_deref() {
            None => None,
            Some(l) => Some(convert(&l)?),
        },
        capacity_provider_strategy: convert(&ecs.capacity_provider_strategy)?,
        overrides,
        group: ecs.group.clone(),
        tags,
        placement_constraints: convert(&ecs.placement_constraints)?,
        network_configuration,
        platform_version: ecs.platform_version.clone(),
        propagate_tags: ecs.propagate_tags.clone(),
        reference_id: ecs.reference_id.clone(),
        enable_ecs_managed_tags: ecs.enable_ecs_managed_tags,
        enable_execute_command: ecs.enable_execute_command,
        role_arn: Some(target.role_arn.clone()).filter(|r| !r.is_empty()),
    })
}

/// `family` or `family:revision` from a TaskDefinitionArn (an ARN with or without revision, or a
/// plain reference).
fn task_definition_reference(arn_or_reference: &str) -> Result<String, EcsError> {
    let tail = arn_or_reference.rsplit_once("task-definition/").map_or(arn_or_reference, |(_, t)| t);
    let valid = kube_ecs_domain::revisions::Reference::parse(tail)
        .ok()
        .is_some_and(|r| kube_ecs_api::ecs_names::is_ecs_name(&r.family));
    if !valid {
        return Err(invalid(format!(
            "EcsParameters.TaskDefinitionArn {arn_or_reference} is not a task definition ARN or family[:revision]."
        )));
    }
    Ok(tail.to_string())
}
