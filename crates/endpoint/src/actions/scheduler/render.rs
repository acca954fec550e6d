//! A ScheduledTask as Scheduler's answers show a schedule (GetSchedule, ListSchedules' summaries).

use kube_ecs_api::ScheduledTask;
use kube_ecs_api::ecs_names::schedule_name;
use kube_ecs_wire::scheduler as wire;

use super::DEFAULT_GROUP;
use crate::arn::Arns;
use crate::render::timestamp;

/// The schedule's state as Scheduler says it: ENABLED or DISABLED (COMPLETED is kube-ecs's status).
fn state(schedule: &ScheduledTask) -> String {
    schedule.spec.state.unwrap_or_default().as_str().to_string()
}

/// The target's cluster ARN: its ECS name, as the API wrote it (`default` when unset).
fn cluster_arn(arns: &Arns, schedule: &ScheduledTask) -> String {
    arns.cluster(schedule.spec.target.cluster.as_deref().unwrap_or(kube_ecs_api::DEFAULT_CLUSTER))
}

/// When the spec last changed: the newest write of any field manager (creation when none says).
fn modified(schedule: &ScheduledTask) -> Option<kube_ecs_wire::Timestamp> {
    let managed = schedule.metadata.managed_fields.iter().flatten();
    let newest = managed.filter(|m| m.subresource.is_none()).filter_map(|m| m.time.as_ref()).max_by_key(|t| t.0);
    timestamp(newest.or(schedule.metadata.creation_timestamp.as_ref()))
}

pub fn summary(arns: &Arns, schedule: &ScheduledTask) -> wire::ScheduleSummary {
    let name = schedule_name(schedule);
    wire::ScheduleSummary {
        arn: Some(arns.schedule(DEFAULT_GROUP, &name)),
        name: Some(name),
        group_name: Some(DEFAULT_GROUP.into()),
        state: Some(state(schedule)),
        creation_date: timestamp(schedule.metadata.creation_timestamp.as_ref()),
        last_modification_date: modified(schedule),
        target: Some(wire::TargetSummary { arn: cluster_arn(arns, schedule) }),
    }
}

pub fn schedule(arns: &Arns, schedule: &ScheduledTask) -> wire::GetScheduleOutput {
    let spec = &schedule.spec;
    let target = &spec.target;
    let name = schedule_name(schedule);
    let task_definition_arn = match target.task_definition.rsplit_once(':') {
        Some((family, revision)) if revision.parse::<i64>().is_ok() => {
            arns.task_definition(family, revision.parse().unwrap_or_default())
        }
        _ => arns.task_definition_family(&target.task_definition),
    };
    let ecs = wire::EcsParameters {
        task_definition_arn,
        task_count: Some(target.task_count.unwrap_or(1)),
        launch_type: target.launch_type.map(|l| l.as_str().to_string()),
        network_configuration: target.network_configuration.as_ref().and_then(|n| {
            let a = n.awsvpc_configuration.as_ref()?;
            Some(wire::NetworkConfiguration {
                awsvpc_configuration: Some(wire::AwsVpcConfiguration {
                    subnets: a.subnets.clone(),
                    security_groups: a.security_groups.clone(),
                    assign_public_ip: a.assign_public_ip.clone(),
                }),
            })
        }),
        platform_version: target.platform_version.clone(),
        group: target.group.clone(),
        capacity_provider_strategy: crate::render::same_shape(&target.capacity_provider_strategy),
        enable_ecs_managed_tags: target.enable_ecs_managed_tags,
        enable_execute_command: target.enable_execute_command,
        placement_constraints: crate::render::same_shape(&target.placement_constraints),
        placement_strategy: Vec::new(),
        propagate_tags: target.propagate_tags.clone(),
        reference_id: target.reference_id.clone(),
        tags: target
            .tags
            .iter()
            .filter_map(|t| Some([(t.key.clone()?, t.value.clone().unwrap_or_default())].into()))
            .collect(),
    };
    let window = spec.flexible_time_window.clone().unwrap_or_default();
    wire::GetScheduleOutput {
        arn: Some(arns.schedule(DEFAULT_GROUP, &name)),
        group_name: Some(DEFAULT_GROUP.into()),
        name: Some(name),
        schedule_expression: Some(spec.schedule_expression.clone()),
        start_date: timestamp(spec.start_date.as_ref()),
        end_date: timestamp(spec.end_date.as_ref()),
        description: spec.description.clone(),
        schedule_expression_timezone: spec.schedule_expression_timezone.clone(),
        state: Some(state(schedule)),
        creation_date: timestamp(schedule.metadata.creation_timestamp.as_ref()),
        last_modification_date: modified(schedule),
        kms_key_arn: None,
        target: Some(wire::Target {
            arn: cluster_arn(arns, schedule),
            role_arn: target.role_arn.clone().unwrap_or_else(|| arns.scheduler_role()),
            retry_policy: Some(wire::RetryPolicy {
                maximum_event_age_in_seconds: Some(
                    spec.retry_policy.as_ref().and_then(|r| r.maximum_event_age_in_seconds).unwrap_or(86400),
                ),
                maximum_retry_attempts: Some(
                    spec.retry_policy.as_ref().and_then(|r| r.maximum_retry_attempts).unwrap_or(185),
                ),
            }),
            input: target.overrides.as_ref().and_then(|o| serde_json::to_string(o).ok()),
            ecs_parameters: Some(ecs),
            ..Default::default()
        }),
        flexible_time_window: Some(wire::FlexibleTimeWindow {
            mode: window.mode.as_str().to_string(),
            maximum_window_in_minutes: window.maximum_window_in_minutes,
        }),
        action_after_completion: Some(spec.action_after_completion.unwrap_or_default().as_str().to_string()),
    }
}
