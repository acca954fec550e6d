//! EventBridge Scheduler's schedule expressions (issue 37, `ScheduledTask`): parsing with
//! EventBridge's rules and messages, and the next fire time in the schedule's time zone.
//!
//! Three forms, as `CreateSchedule`'s `ScheduleExpression` takes them
//! (<https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html>,
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html>):
//! - `cron(minutes hours day-of-month month day-of-week year)`: six fields; wildcards `, - * /`
//!   everywhere, `?` `L` `W` in day-of-month, `?` `L` `#` in day-of-week (no `/` there); months 1-12
//!   or JAN-DEC, days of the week 1-7 (1 = Sunday) or SUN-SAT, years 1970-2199; exactly one of
//!   day-of-month and day-of-week is `?`. `L`, `nW`, `nL` and `d#n` stand alone in their field
//!   (AWS: "3#1,6#3" is two expressions, so invalid). Ranges run forwards (`MON-FRI`, not `FRI-MON`).
//! - `rate(value unit)`: a positive whole number and minute|hour|day for 1, minutes|hours|days above.
//! - `at(yyyy-mm-ddThh:mm:ss)`: one wall-clock time.
//!
//! Every error starts with the API's own words, "Parameter ScheduleExpression is not valid.", and
//! then says which part is wrong, so a condition message is enough to fix the manifest.
//!
//! Time: cron and at are wall-clock times in `scheduleExpressionTimezone` (UTC when unset); rate
//! is a fixed interval that ignores the zone (AWS: a day in `rate(1 day)` is 24 hours, also across
//! a DST change) on a grid anchored at the schedule's start (`startDate`, else its creation time:
//! EventBridge starts a rate schedule immediately when it has no start date), so the fire times
//! are `start + k * interval` and a late reconcile does not shift the grid.
//!
//! DST, as EventBridge Scheduler documents it (the Scheduler guide's "Daylight saving time"
//! section and the AWS knowledge-center article "How can I adjust my Amazon EventBridge schedule
//! for daylight saving?"): "When the time shifts forward in Spring, your schedule invocation gets
//! skipped if the cron expression falls on a non-existent date and time. When the time shifts
//! back in the Fall, your schedule runs only once and doesn't repeat its invocation." So a cron
//! time in the gap is skipped, and a cron time in the repeated hour fires at its first occurrence
//! only. AWS documents nothing for a one-time `at` in the gap; skipping would mean never running,
//! so it fires at the same distance past the change (02:30 in a 02:00->03:00 gap runs at 03:30,
//! jiff's "compatible" rule), and an `at` in the repeated hour runs at the first occurrence.
//!
//! Fire times carry whole seconds; EventBridge invokes within the minute (60-second precision).

mod at;
mod cron;
mod days;
mod due;
mod field;
mod next;
mod rate;
mod time_zone;

#[cfg(test)]
mod tests;

use jiff::Timestamp;
use jiff::tz::TimeZone;

pub use at::At;
pub use cron::Cron;
pub use due::{Due, MAX_CATCH_UP_WINDOW, due_runs};
pub use rate::{Rate, RateUnit};
pub use time_zone::time_zone;

/// The API's message for any malformed `ScheduleExpression`; our reason follows it.
pub const INVALID_EXPRESSION: &str = "Parameter ScheduleExpression is not valid.";

/// A parsed `scheduleExpression`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expression {
    Cron(Cron),
    Rate(Rate),
    At(At),
}

impl Expression {
    /// Parses one of the three forms; the error is the API's message and a precise reason.
    pub fn parse(text: &str) -> Result<Expression, String> {
        parse_form(text).map_err(|reason| format!("{INVALID_EXPRESSION} {reason}"))
    }

    /// The first fire time strictly after `after`. `tz` is the schedule's time zone (cron and
    /// at are wall-clock times there); `start` anchors rate's grid (see the module comment) and
    /// is ignored by cron and at, whose callers clamp to a start date themselves. `None`: no
    /// fire time is left (an at in the past, a cron whose years are over).
    pub fn next_after(&self, after: Timestamp, tz: &TimeZone, start: Timestamp) -> Option<Timestamp> {
        match self {
            Expression::Cron(cron) => next::cron_next_after(cron, after, tz),
            Expression::Rate(rate) => rate.next_after(after, start),
            Expression::At(at) => at.next_after(after, tz),
        }
    }
}

impl std::str::FromStr for Expression {
    type Err = String;

    fn from_str(text: &str) -> Result<Expression, String> {
        Expression::parse(text)
    }
}

/// The reason alone, so each form's parser writes plain sentences.
fn parse_form(text: &str) -> Result<Expression, String> {
    if let Some(body) = inside(text, "cron(") {
        return Cron::parse(body).map(Expression::Cron);
    }
    if let Some(body) = inside(text, "rate(") {
        return Rate::parse(body).map(Expression::Rate);
    }
    if let Some(body) = inside(text, "at(") {
        return At::parse(body).map(Expression::At);
    }
    for form in ["cron(", "rate(", "at("] {
        if text.starts_with(form) && !text.ends_with(')') {
            return Err(format!("'{text}' has no closing parenthesis."));
        }
    }
    if text.trim().is_empty() {
        return Err("The expression is empty; use cron(...), rate(...) or at(...).".to_string());
    }
    Err(format!("'{text}' is not cron(...), rate(...) or at(...)."))
}

/// The text between `prefix` and a closing parenthesis at the very end.
fn inside<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.strip_suffix(')')
}
