//! Pure planning for the ScheduledTask controller: which run is owed now, the Tasks it starts, the
//! status, and when to look again.
//!
//! Exactly once: a run is keyed by its scheduled fire time, and the names of its Tasks are derived
//! from the schedule's UID, that time and the task's index ([`tasks::task_id`]). Whoever computes
//! a run computes the same names, so a second attempt (another replica before leadership moved, a
//! restart between creating the Tasks and writing the status, a retry after a slow API) is refused
//! by the API server as already existing, and the run is recorded once. `status.lastRunTime` holds
//! the key of the last run started; the next decision starts strictly after it.

pub mod tasks;
#[cfg(test)]
mod tests;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::conditions::{Conditions, READY, RECONCILING, STALLED, VALID};
use crate::api::ecs::{ActionAfterCompletion, FlexibleTimeWindowMode, ScheduleState};
use crate::api::scheduled_task::{MAX_STATUS_RUNS, ScheduledRun, ScheduledTask, ScheduledTaskStatus};
use crate::schedule::{Expression, due_runs, time_zone};

/// Condition and Event reasons of a ScheduledTask.
pub mod reasons {
    pub const SCHEDULED: &str = "Scheduled";
    pub const DISABLED: &str = "Disabled";
    pub const COMPLETED: &str = "Completed";
    pub const INVALID: &str = "InvalidSchedule";
    pub const RUN_STARTED: &str = "RunStarted";
    pub const RUNS_MISSED: &str = "RunsMissed";
    pub const RUN_FAILED: &str = "RunFailed";
}

/// EventBridge Scheduler's default `MaximumEventAgeInSeconds`: a run may start up to a day late.
pub const DEFAULT_EVENT_AGE: SignedDuration = SignedDuration::from_hours(24);

/// The longest wait before looking again, so a changed clock or a lost wake-up costs at most this.
pub const MAX_REQUEUE: SignedDuration = SignedDuration::from_mins(10);

/// What the controller does for one schedule at one reconcile.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The run to start now: its key and the Tasks' names (`taskCount` of them).
    pub run: Option<Run>,
    /// The status to write, with this reconcile's run already recorded in it.
    pub status: ScheduledTaskStatus,
    /// Events to publish: (warning, reason, message).
    pub events: Vec<(bool, &'static str, String)>,
    /// When to look again (`None`: only on a change).
    pub requeue: Option<SignedDuration>,
    /// The schedule has nothing left to run and asks to be deleted (`actionAfterCompletion: DELETE`).
    pub delete: bool,
}

/// One run: the fire time it is keyed by and the names of the Tasks it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub scheduled_time: Timestamp,
    pub task_names: Vec<String>,
}

/// The schedule's settings, checked: what `plan` needs beyond the spec's plain values.
struct Checked {
    expression: Expression,
    tz: TimeZone,
    start: Timestamp,
    end: Option<Timestamp>,
    window: SignedDuration,
    offset: SignedDuration,
}

/// The plan for `schedule` at `now`.
pub fn plan(schedule: &ScheduledTask, now: Timestamp) -> Plan {
    let generation = schedule.metadata.generation;
    let previous = schedule.status.clone().unwrap_or_default();
    let mut status = previous.clone();
    status.observed_generation = generation;
    let time = Time(now);
    let checked = match check(schedule) {
        Ok(checked) => checked,
        Err(message) => {
            status.next_run_time = None;
            Conditions::of(&mut status.conditions, generation, &time).refused(VALID, reasons::INVALID, &message);
            let events =
                if refusal_changed(&previous, &status) { vec![(true, reasons::INVALID, message)] } else { Vec::new() };
            return Plan { run: None, status, events, requeue: None, delete: false };
        }
    };
    let state = schedule.spec.state.unwrap_or_default();
    if state == ScheduleState::Disabled {
        status.state = Some(state.as_str().to_string());
        status.next_run_time = None;
        Conditions::of(&mut status.conditions, generation, &time)
            .set(VALID, true, reasons::DISABLED, "the schedule is valid")
            .set(READY, true, reasons::DISABLED, "the schedule is DISABLED: it starts no run")
            .remove(STALLED)
            .remove(RECONCILING);
        return Plan { run: None, status, events: Vec::new(), requeue: None, delete: false };
    }
    // Fire times while the schedule was DISABLED are not owed once it is ENABLED again (as with
    // EventBridge Scheduler): they count as run, from the moment it is seen enabled.
    let resumed = previous.state.as_deref() == Some(ScheduleState::Disabled.as_str());
    let last_run = status.last_run_time.as_ref().map(|t| t.0);
    let from = if resumed { Some(last_run.map_or(now, |last| last.max(now))) } else { last_run };
    if resumed {
        status.last_run_time = from.map(Time);
    }
    // A flexible window delays every run by the schedule's own offset within it: the clock the
    // schedule sees runs `offset` behind.
    let seen_now = now.checked_sub(checked.offset).unwrap_or(now);
    let due = due_runs(&checked.expression, &checked.tz, checked.start, from, seen_now, checked.window);
    let end = checked.end;
    let run_at = due.run.filter(|fire| end.is_none_or(|end| *fire <= end));
    let next = due.next.filter(|fire| end.is_none_or(|end| *fire <= end));
    let mut events = Vec::new();
    if due.skipped {
        status.missed_runs = Some(status.missed_runs.unwrap_or(0) + 1);
        let message = match run_at {
            Some(fire) => format!(
                "runs scheduled before {} were missed (the operator was down or late); only the latest runs",
                fire
            ),
            None => {
                "runs scheduled while the operator was down are older than the retry window and were missed".to_string()
            }
        };
        events.push((true, reasons::RUNS_MISSED, message));
    }
    let run = run_at.map(|fire| Run {
        scheduled_time: fire,
        task_names: (0..tasks::task_count(schedule)).map(|i| tasks::task_id(schedule, fire, i)).collect(),
    });
    if let Some(run) = &run {
        status.last_run_time = Some(Time(run.scheduled_time));
        status.runs.insert(
            0,
            ScheduledRun {
                scheduled_time: Time(run.scheduled_time),
                started_at: Some(time.clone()),
                tasks: run.task_names.clone(),
            },
        );
        status.runs.truncate(MAX_STATUS_RUNS);
        events.push((
            false,
            reasons::RUN_STARTED,
            format!(
                "run scheduled for {} started {} task(s) of {}: {}",
                run.scheduled_time,
                run.task_names.len(),
                schedule.spec.target.task_definition,
                run.task_names.join(", ")
            ),
        ));
    }
    status.next_run_time = next.map(|n| n.to_string());
    let completed = next.is_none();
    let mut conditions = Conditions::of(&mut status.conditions, generation, &time);
    conditions.set(VALID, true, reasons::SCHEDULED, "the schedule is valid").remove(STALLED).remove(RECONCILING);
    if completed {
        status.state = Some("COMPLETED".to_string());
        conditions.set(READY, true, reasons::COMPLETED, "the schedule has no run left");
    } else {
        status.state = Some(state.as_str().to_string());
        let message = match next {
            Some(next) => format!("next run at {next}"),
            None => String::new(),
        };
        conditions.set(READY, true, reasons::SCHEDULED, message);
    }
    let delete = completed && schedule.spec.action_after_completion == Some(ActionAfterCompletion::Delete);
    let requeue = next.map(|next| {
        let wait = next.duration_since(now) + checked.offset;
        wait.clamp(SignedDuration::from_millis(100), MAX_REQUEUE)
    });
    Plan { run, status, events, requeue, delete }
}

/// Whether the refusal is new (another message than the status had), so its Event is published once.
fn refusal_changed(previous: &ScheduledTaskStatus, status: &ScheduledTaskStatus) -> bool {
    let message = |s: &ScheduledTaskStatus| {
        crate::api::conditions::find(&s.conditions, VALID).map(|c| (c.status.clone(), c.message.clone()))
    };
    message(previous) != message(status)
}

/// The expression, zone and bounds of the schedule, or the message saying what is wrong.
fn check(schedule: &ScheduledTask) -> Result<Checked, String> {
    let spec = &schedule.spec;
    let expression = Expression::parse(spec.schedule_expression.trim())?;
    let tz = time_zone(spec.schedule_expression_timezone.as_deref())?;
    let created = schedule.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let start = spec.start_date.as_ref().map(|t| t.0).or(created).unwrap_or(Timestamp::UNIX_EPOCH);
    let end = spec.end_date.as_ref().map(|t| t.0);
    if let Some(end) = end.filter(|end| *end <= start && spec.start_date.is_some()) {
        return Err(format!("The EndDate you specify must be after the StartDate ({end} is not after {start})."));
    }
    let window = spec
        .retry_policy
        .as_ref()
        .and_then(|r| r.maximum_event_age_in_seconds)
        .map_or(DEFAULT_EVENT_AGE, |s| SignedDuration::from_secs(i64::from(s)));
    let offset = match &spec.flexible_time_window {
        Some(w) if w.mode == FlexibleTimeWindowMode::Flexible => {
            let minutes = w.maximum_window_in_minutes.unwrap_or(0);
            if !(1..=1440).contains(&minutes) {
                return Err(
                    "flexibleTimeWindow: MaximumWindowInMinutes must be between 1 and 1440 with FLEXIBLE.".to_string()
                );
            }
            tasks::flexible_offset(schedule, minutes)
        }
        _ => SignedDuration::ZERO,
    };
    Ok(Checked { expression, tz, start, end, window, offset })
}
