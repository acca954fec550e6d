//! CreateSchedule, GetSchedule, ListSchedules, UpdateSchedule, DeleteSchedule.

use kube_ecs_api::ScheduledTask;
use kube_ecs_api::ecs_names::{schedule_name, schedule_object_name};
use kube_ecs_wire::scheduler as wire;

use super::{check_group, render, spec};
use crate::call::{Call, convert, manifest};
use crate::error::{EcsError, ErrorCode};

fn not_found(name: &str) -> EcsError {
    EcsError::new(ErrorCode::ResourceNotFoundException, format!("Schedule {name} does not exist."))
}

/// The schedule named `name`: the mapped object first, then any ScheduledTask whose spec carries
/// the name (made with kubectl under another object name), or whose object name it is.
async fn find(call: &Call<'_>, name: &str) -> Result<Option<ScheduledTask>, EcsError> {
    let api = call.scheduled_tasks();
    if let Some(found) = call.get(&api, &schedule_object_name(name)).await?
        && schedule_name(&found) == name
    {
        return Ok(Some(found));
    }
    Ok(call.list(&api, None).await?.into_iter().find(|s| schedule_name(s) == name))
}

pub async fn create(call: &Call<'_>, input: wire::CreateScheduleInput) -> Result<wire::CreateScheduleOutput, EcsError> {
    check_group(input.group_name.as_deref())?;
    if find(call, &input.name).await?.is_some() {
        return Err(EcsError::new(ErrorCode::ConflictException, format!("Schedule {} already exists.", input.name)));
    }
    let spec = spec::spec_of(call, &input).await?;
    let object = schedule_object_name(&input.name);
    let manifest = manifest::<ScheduledTask>(
        &object,
        Some(call.namespace()),
        serde_json::to_value(&spec).map_err(|e| EcsError::server(format!("writing the schedule: {e}")))?,
    );
    call.apply(&call.scheduled_tasks(), &object, &manifest).await?;
    Ok(wire::CreateScheduleOutput { schedule_arn: call.arns().schedule(super::DEFAULT_GROUP, &input.name) })
}

pub async fn get(call: &Call<'_>, input: wire::GetScheduleInput) -> Result<wire::GetScheduleOutput, EcsError> {
    check_group(input.group_name.as_deref())?;
    let schedule = find(call, &input.name).await?.ok_or_else(|| not_found(&input.name))?;
    Ok(render::schedule(call.arns(), &schedule))
}

pub async fn list(call: &Call<'_>, input: wire::ListSchedulesInput) -> Result<wire::ListSchedulesOutput, EcsError> {
    check_group(input.group_name.as_deref())?;
    let mut schedules: Vec<ScheduledTask> = call
        .list(&call.scheduled_tasks(), None)
        .await?
        .into_iter()
        .filter(|s| input.name_prefix.as_deref().is_none_or(|p| schedule_name(s).starts_with(p)))
        .filter(|s| input.state.as_deref().is_none_or(|state| s.spec.state.unwrap_or_default().as_str() == state))
        .collect();
    schedules.sort_by_key(schedule_name);
    let names = schedules.iter().map(schedule_name).collect();
    let (page, next_token) = crate::pagination::page(names, input.max_results, input.next_token.as_deref(), 100, 100)?;
    let summaries = page
        .iter()
        .filter_map(|name| schedules.iter().find(|s| schedule_name(s) == *name))
        .map(|s| render::summary(call.arns(), s))
        .collect();
    Ok(wire::ListSchedulesOutput { next_token, schedules: summaries })
}

/// UpdateSchedule replaces the whole schedule, as Scheduler does: members left out take their defaults.
pub async fn update(call: &Call<'_>, input: wire::UpdateScheduleInput) -> Result<wire::UpdateScheduleOutput, EcsError> {
    check_group(input.group_name.as_deref())?;
    let existing = find(call, &input.name).await?.ok_or_else(|| not_found(&input.name))?;
    crate::call::refuse_gitops(&existing.metadata, "schedule")?;
    let as_create: wire::CreateScheduleInput = convert(&input)?;
    let spec = spec::spec_of(call, &as_create).await?;
    let object = existing.metadata.name.clone().unwrap_or_default();
    let manifest = manifest::<ScheduledTask>(
        &object,
        Some(call.namespace()),
        serde_json::to_value(&spec).map_err(|e| EcsError::server(format!("writing the schedule: {e}")))?,
    );
    call.apply(&call.scheduled_tasks(), &object, &manifest).await?;
    Ok(wire::UpdateScheduleOutput { schedule_arn: call.arns().schedule(super::DEFAULT_GROUP, &input.name) })
}

pub async fn delete(call: &Call<'_>, input: wire::DeleteScheduleInput) -> Result<wire::DeleteScheduleOutput, EcsError> {
    check_group(input.group_name.as_deref())?;
    let existing = find(call, &input.name).await?.ok_or_else(|| not_found(&input.name))?;
    crate::call::refuse_gitops(&existing.metadata, "schedule")?;
    call.delete(&call.scheduled_tasks(), existing.metadata.name.as_deref().unwrap_or_default()).await?;
    Ok(wire::DeleteScheduleOutput {})
}
