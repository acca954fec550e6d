use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::*;
use crate::api::scheduled_task::{FlexibleTimeWindow, RetryPolicy, ScheduledTaskSpec, ScheduledTaskTarget};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

fn schedule(expression: &str) -> ScheduledTask {
    let mut s = ScheduledTask::new(
        "nightly",
        ScheduledTaskSpec {
            schedule_expression: expression.into(),
            target: ScheduledTaskTarget { task_definition: "report".into(), ..Default::default() },
            ..Default::default()
        },
    );
    s.metadata.namespace = Some("team".into());
    s.metadata.uid = Some("6b1f0a4e-uid".into());
    s.metadata.generation = Some(1);
    s.metadata.creation_timestamp = Some(Time(ts("2026-12-07T10:00:30Z")));
    s
}

fn with_last_run(mut s: ScheduledTask, last: &str) -> ScheduledTask {
    s.status.get_or_insert_default().last_run_time = Some(Time(ts(last)));
    s.status.get_or_insert_default().state = Some("ENABLED".into());
    s
}

/// (case, schedule, now, the run started (its fire time) or none, the next run)
type Case = (&'static str, ScheduledTask, &'static str, Option<&'static str>, Option<&'static str>);

#[test]
fn runs_owed_at_each_reconcile() {
    let cases: Vec<Case> = vec![
        // A rate runs at once from its creation, then on its grid.
        (
            "fresh rate",
            schedule("rate(1 minute)"),
            "2026-12-07T10:00:31Z",
            Some("2026-12-07T10:00:30Z"),
            Some("2026-12-07T10:01:30Z"),
        ),
        (
            "rate before its next run",
            with_last_run(schedule("rate(1 minute)"), "2026-12-07T10:00:30Z"),
            "2026-12-07T10:01:00Z",
            None,
            Some("2026-12-07T10:01:30Z"),
        ),
        (
            "rate at its next run",
            with_last_run(schedule("rate(1 minute)"), "2026-12-07T10:00:30Z"),
            "2026-12-07T10:01:30Z",
            Some("2026-12-07T10:01:30Z"),
            Some("2026-12-07T10:02:30Z"),
        ),
        // Down for 10 minutes: one catch-up run, the latest, not ten.
        (
            "catch-up after downtime",
            with_last_run(schedule("rate(1 minute)"), "2026-12-07T10:00:30Z"),
            "2026-12-07T10:11:00Z",
            Some("2026-12-07T10:10:30Z"),
            Some("2026-12-07T10:11:30Z"),
        ),
        // A cron does not run at creation; it waits for its first time.
        ("fresh cron", schedule("cron(0 2 * * ? *)"), "2026-12-07T10:01:00Z", None, Some("2026-12-08T02:00:00Z")),
        (
            "cron at its time",
            with_last_run(schedule("cron(0 2 * * ? *)"), "2026-12-07T02:00:00Z"),
            "2026-12-08T02:00:05Z",
            Some("2026-12-08T02:00:00Z"),
            Some("2026-12-09T02:00:00Z"),
        ),
        // An at in the future, then at its time, then nothing left.
        ("at ahead", schedule("at(2026-12-07T12:00:00)"), "2026-12-07T11:00:00Z", None, Some("2026-12-07T12:00:00Z")),
        ("at now", schedule("at(2026-12-07T12:00:00)"), "2026-12-07T12:00:01Z", Some("2026-12-07T12:00:00Z"), None),
    ];
    for (name, s, now, run, next) in cases {
        let plan = plan(&s, ts(now));
        assert_eq!(plan.run.as_ref().map(|r| r.scheduled_time), run.map(ts), "{name}: run");
        assert_eq!(plan.status.next_run_time.as_deref().map(ts), next.map(ts), "{name}: next");
        if let Some(run) = &plan.run {
            assert_eq!(plan.status.last_run_time.as_ref().map(|t| t.0), Some(run.scheduled_time), "{name}");
            assert_eq!(plan.status.runs[0].tasks, run.task_names, "{name}");
        }
        if let Some(next) = next {
            let wait = ts(next).duration_since(ts(now)).clamp(SignedDuration::from_millis(100), MAX_REQUEUE);
            assert_eq!(plan.requeue, Some(wait), "{name}: requeue");
        }
    }
}

#[test]
fn a_run_is_computed_alike_by_whoever_computes_it() {
    // A restart between creating the Tasks and writing the status: the status still says the last
    // run was the previous one, so the same run is owed again, with the same Task names (the API
    // server refuses the second create).
    let s = with_last_run(schedule("rate(1 minute)"), "2026-12-07T10:00:30Z");
    let first = plan(&s, ts("2026-12-07T10:01:30Z")).run.expect("run");
    let again = plan(&s, ts("2026-12-07T10:01:45Z")).run.expect("run");
    assert_eq!(first, again);
    let mut three = s.clone();
    three.spec.target.task_count = Some(3);
    let names = plan(&three, ts("2026-12-07T10:01:30Z")).run.expect("run").task_names;
    assert_eq!(names.len(), 3);
    assert_eq!(names[0], first.task_names[0]);
    assert!(names.iter().all(|n| n.len() == 32 && n.chars().all(|c| c.is_ascii_hexdigit())));
    assert_eq!(names.iter().collect::<std::collections::BTreeSet<_>>().len(), 3);
    // Another schedule (another UID) never shares a name.
    let mut other = s.clone();
    other.metadata.uid = Some("another".into());
    assert_ne!(plan(&other, ts("2026-12-07T10:01:30Z")).run.expect("run").task_names, first.task_names);
}

#[test]
fn missed_runs_beyond_the_retry_window_are_not_run() {
    let mut s = with_last_run(schedule("rate(1 hour)"), "2026-12-07T10:00:30Z");
    s.spec.retry_policy = Some(RetryPolicy { maximum_event_age_in_seconds: Some(600), maximum_retry_attempts: None });
    // 3 h down, the latest fire time (12:00:30) is 29 minutes old: older than the 10-minute window.
    let plan = plan(&s, ts("2026-12-07T13:29:30Z"));
    assert_eq!(plan.run, None);
    assert_eq!(plan.status.missed_runs, Some(1));
    assert!(plan.events.iter().any(|(warning, reason, _)| *warning && *reason == reasons::RUNS_MISSED));
    assert_eq!(plan.status.next_run_time.as_deref().map(ts), Some(ts("2026-12-07T14:00:30Z")));
}

#[test]
fn disabled_runs_nothing_and_enabling_again_owes_nothing_from_before() {
    let mut s = with_last_run(schedule("rate(1 minute)"), "2026-12-07T10:00:30Z");
    s.spec.state = Some(ScheduleState::Disabled);
    let disabled = plan(&s, ts("2026-12-07T10:05:00Z"));
    assert_eq!(disabled.run, None);
    assert_eq!(disabled.requeue, None);
    assert_eq!(disabled.status.state.as_deref(), Some("DISABLED"));
    assert_eq!(disabled.status.next_run_time, None);
    // Enabled again at 10:07:10: the fire times of 10:01:30-10:06:30 are not owed; 10:07:30 is.
    s.status = Some(disabled.status);
    s.spec.state = Some(ScheduleState::Enabled);
    let resumed = plan(&s, ts("2026-12-07T10:07:10Z"));
    assert_eq!(resumed.run, None);
    assert_eq!(resumed.status.next_run_time.as_deref().map(ts), Some(ts("2026-12-07T10:07:30Z")));
    assert!(resumed.events.is_empty(), "{:?}", resumed.events);
}

#[test]
fn an_end_date_completes_the_schedule() {
    let mut s = with_last_run(schedule("rate(1 minute)"), "2026-12-07T10:00:30Z");
    s.spec.end_date = Some(Time(ts("2026-12-07T10:02:00Z")));
    s.spec.action_after_completion = Some(ActionAfterCompletion::Delete);
    let at_last = plan(&s, ts("2026-12-07T10:01:31Z"));
    assert_eq!(at_last.run.map(|r| r.scheduled_time), Some(ts("2026-12-07T10:01:30Z")));
    assert_eq!(at_last.status.state.as_deref(), Some("COMPLETED"));
    assert!(at_last.delete);
    assert_eq!(at_last.requeue, None);
}

#[test]
fn invalid_schedules_are_refused_with_the_reason() {
    let cases = [
        ("cron(0 2 * * * *)", None, "Parameter ScheduleExpression is not valid."),
        ("rate(0 minutes)", None, "Parameter ScheduleExpression is not valid."),
        ("cron(0 2 * * ? *)", Some("Mars/Olympus"), "Mars/Olympus"),
    ];
    for (expression, zone, needle) in cases {
        let mut s = schedule(expression);
        s.spec.schedule_expression_timezone = zone.map(Into::into);
        let plan = plan(&s, ts("2026-12-07T10:01:00Z"));
        assert_eq!(plan.run, None, "{expression}");
        let valid = crate::api::conditions::find(&plan.status.conditions, VALID).expect("Valid");
        assert_eq!(valid.status, "False", "{expression}");
        assert!(valid.message.contains(needle), "{expression}: {}", valid.message);
        assert!(crate::api::conditions::is_true(&plan.status.conditions, STALLED));
        assert_eq!(plan.events.len(), 1, "{expression}: one Event");
        // Seen again with the same refusal: no second Event.
        let mut again = s.clone();
        again.status = Some(plan.status.clone());
        assert!(super::plan(&again, ts("2026-12-07T10:02:00Z")).events.is_empty(), "{expression}");
    }
}

#[test]
fn a_flexible_window_delays_runs_by_a_fixed_offset_within_it() {
    let mut s = with_last_run(schedule("cron(0 2 * * ? *)"), "2026-12-07T02:00:00Z");
    s.spec.flexible_time_window =
        Some(FlexibleTimeWindow { mode: FlexibleTimeWindowMode::Flexible, maximum_window_in_minutes: Some(15) });
    let offset = tasks::flexible_offset(&s, 15);
    assert!(offset < SignedDuration::from_mins(15));
    let fire = ts("2026-12-08T02:00:00Z");
    let before = fire.checked_add(offset).expect("time").checked_sub(SignedDuration::from_secs(1)).expect("time");
    assert_eq!(plan(&s, before).run, None);
    let at = fire.checked_add(offset).expect("time");
    assert_eq!(plan(&s, at).run.map(|r| r.scheduled_time), Some(fire), "keyed by the scheduled time");
}

#[test]
fn tasks_carry_the_target_and_the_schedule() {
    let mut s = schedule("rate(5 minutes)");
    s.spec.schedule_name = Some("Nightly.Report".into());
    s.spec.target.cluster = Some("batch".into());
    let fire = ts("2026-12-07T10:00:30Z");
    let task = tasks::task(&s, "abc", fire);
    assert_eq!(task.spec.started_by.as_deref(), Some("chronos-schedule/Nightly-Report"));
    assert_eq!(task.spec.group.as_deref(), Some("family:report"));
    assert_eq!(task.spec.cluster.as_deref(), Some("batch"));
    assert_eq!(task.metadata.namespace.as_deref(), Some("team"));
    let owner = &task.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.controller), ("ScheduledTask", "nightly", Some(true)));
    assert_eq!(
        task.metadata.annotations.as_ref().and_then(|a| a.get(tasks::SCHEDULED_TIME_ANNOTATION)).map(String::as_str),
        Some("2026-12-07T10:00:30Z")
    );
}
