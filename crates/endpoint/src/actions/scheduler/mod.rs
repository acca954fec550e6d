//! EventBridge Scheduler's schedule actions (restJson1: `POST /schedules/{Name}`, ...) over the
//! ScheduledTask kind, for ECS targets: a schedule is a ScheduledTask of the key's namespace, named
//! by the `ecs_names` mapping of its schedule name, written and read as the caller (RBAC decides).
//! Only the `default` schedule group exists. docs/scheduled-tasks.md says what is served.

mod render;
mod schedules;
mod spec;

use super::decode;
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};

/// The only schedule group: kube-ecs keeps a namespace's schedules together, as one group.
pub const DEFAULT_GROUP: &str = "default";

/// Runs a Scheduler action with its checked input.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    route!(operation, errors: as_scheduler_error, {
        "CreateSchedule" => schedules::create(call, decode(&input)?),
        "GetSchedule" => schedules::get(call, decode(&input)?),
        "ListSchedules" => schedules::list(call, decode(&input)?),
        "UpdateSchedule" => schedules::update(call, decode(&input)?),
        "DeleteSchedule" => schedules::delete(call, decode(&input)?),
    })
}

/// Scheduler's vocabulary for the errors the shared layers raise in ECS's: a request the API server
/// refuses is a ValidationException with its message, a failure of ours an InternalServerException.
fn as_scheduler_error(error: EcsError) -> EcsError {
    let code = match error.code {
        ErrorCode::ClientException | ErrorCode::InvalidParameterException => ErrorCode::ValidationException,
        ErrorCode::ServerException => ErrorCode::InternalServerException,
        other => other,
    };
    EcsError { code, ..error }
}

/// A schedule of another group than `default`: Scheduler's answer for a group that does not exist.
fn check_group(group: Option<&str>) -> Result<(), EcsError> {
    match group {
        None => Ok(()),
        Some(DEFAULT_GROUP) => Ok(()),
        Some(other) => Err(EcsError::new(
            ErrorCode::ResourceNotFoundException,
            format!("Schedule group {other} does not exist. kube-ecs has the default group only."),
        )),
    }
}
