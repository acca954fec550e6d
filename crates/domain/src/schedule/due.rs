//! What a schedule owes at a reconcile: at most one run, never one twice.
//!
//! A controller that was down or slow finds fire times in the past. Like a Kubernetes CronJob
//! with `startingDeadlineSeconds`, it runs only the latest of them, and only when it is no older
//! than the catch-up window; the rest are reported as skipped. Runs are keyed by their scheduled
//! fire time: the caller records `run` as the last run (not the clock time it started), so the
//! next call starts strictly after it.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::Expression;

/// The longest catch-up window honoured: EventBridge Scheduler retries a target for at most
/// 24 hours (`MaximumEventAgeInSeconds` is 60-86400), and it bounds the search to 1440 steps.
pub const MAX_CATCH_UP_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// The decision for one reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// The fire time to run now: the latest in (last run, now] that is within the window.
    pub run: Option<Timestamp>,
    /// Whether fire times in (last run, now] will never run (older than the window, or
    /// superseded by `run`), for an Event saying runs were missed.
    pub skipped: bool,
    /// The first fire time after `now`, for the requeue; `None` when the schedule is over.
    pub next: Option<Timestamp>,
}

/// The run owed at `now`. `start` is the schedule's start (rate's anchor; with no `last_run`,
/// fire times before it are not owed); `catch_up_window` is clamped to 0..=24 hours.
pub fn due_runs(
    expression: &Expression,
    tz: &TimeZone,
    start: Timestamp,
    last_run: Option<Timestamp>,
    now: Timestamp,
    catch_up_window: SignedDuration,
) -> Due {
    let window = catch_up_window.clamp(SignedDuration::ZERO, MAX_CATCH_UP_WINDOW);
    // Without a last run, a fire time exactly at the start is owed (a rate runs at once).
    let from = last_run.unwrap_or_else(|| just_before(start));
    let Some(first) = expression.next_after(from, tz, start) else {
        return Due { run: None, skipped: false, next: None };
    };
    if first > now {
        return Due { run: None, skipped: false, next: Some(first) };
    }
    let window_start = now.checked_sub(window).unwrap_or(Timestamp::MIN);
    let mut cursor = expression.next_after(from.max(just_before(window_start)), tz, start);
    let mut run = None;
    while let Some(fire) = cursor.filter(|fire| *fire <= now) {
        run = Some(fire);
        cursor = expression.next_after(fire, tz, start);
    }
    Due { run, skipped: run != Some(first), next: cursor }
}

/// The instant one nanosecond earlier, so "strictly after" includes `at` itself.
fn just_before(at: Timestamp) -> Timestamp {
    at.checked_sub(SignedDuration::from_nanos(1)).unwrap_or(Timestamp::MIN)
}
