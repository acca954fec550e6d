//! At most one run per reconcile, within the catch-up window, never the same fire time twice.

use jiff::SignedDuration;
use pretty_assertions::assert_eq;

use super::super::{Due, due_runs};
use super::{at, expression, zone};

struct Row {
    name: &'static str,
    expression: &'static str,
    start: &'static str,
    last_run: Option<&'static str>,
    now: &'static str,
    window_minutes: i64,
    want: Due,
}

fn due(run: Option<&str>, skipped: bool, next: Option<&str>) -> Due {
    Due { run: run.map(at), skipped, next: next.map(at) }
}

#[test]
fn due_runs_table() {
    const HOURLY: &str = "cron(0 * * * ? *)";
    const CREATED: &str = "2025-01-01T00:00:30Z";
    let rows = [
        Row {
            name: "created, nothing due yet",
            expression: HOURLY,
            start: CREATED,
            last_run: None,
            now: "2025-01-01T00:30:00Z",
            window_minutes: 5,
            want: due(None, false, Some("2025-01-01T01:00:00Z")),
        },
        Row {
            name: "first fire time, reconciled 20 s late",
            expression: HOURLY,
            start: CREATED,
            last_run: None,
            now: "2025-01-01T01:00:20Z",
            window_minutes: 5,
            want: due(Some("2025-01-01T01:00:00Z"), false, Some("2025-01-01T02:00:00Z")),
        },
        Row {
            name: "just ran: never the same fire time twice",
            expression: HOURLY,
            start: CREATED,
            last_run: Some("2025-01-01T01:00:00Z"),
            now: "2025-01-01T01:00:40Z",
            window_minutes: 5,
            want: due(None, false, Some("2025-01-01T02:00:00Z")),
        },
        Row {
            name: "down for hours: only the latest, and only inside the window",
            expression: HOURLY,
            start: CREATED,
            last_run: Some("2025-01-01T01:00:00Z"),
            now: "2025-01-01T05:02:00Z",
            window_minutes: 5,
            want: due(Some("2025-01-01T05:00:00Z"), true, Some("2025-01-01T06:00:00Z")),
        },
        Row {
            name: "down for hours, the latest outside the window: none",
            expression: HOURLY,
            start: CREATED,
            last_run: Some("2025-01-01T01:00:00Z"),
            now: "2025-01-01T05:10:00Z",
            window_minutes: 5,
            want: due(None, true, Some("2025-01-01T06:00:00Z")),
        },
        Row {
            name: "a zero window runs only a reconcile exactly on time",
            expression: HOURLY,
            start: CREATED,
            last_run: Some("2025-01-01T01:00:00Z"),
            now: "2025-01-01T02:00:00Z",
            window_minutes: 0,
            want: due(Some("2025-01-01T02:00:00Z"), false, Some("2025-01-01T03:00:00Z")),
        },
        Row {
            name: "a negative window counts as zero",
            expression: HOURLY,
            start: CREATED,
            last_run: Some("2025-01-01T01:00:00Z"),
            now: "2025-01-01T02:00:01Z",
            window_minutes: -5,
            want: due(None, true, Some("2025-01-01T03:00:00Z")),
        },
        Row {
            name: "a window above 24 hours is 24 hours",
            expression: "cron(0 0 1 * ? *)",
            start: CREATED,
            last_run: Some("2025-01-01T00:00:00Z"),
            now: "2025-02-02T12:00:00Z",
            window_minutes: 48 * 60,
            want: due(None, true, Some("2025-03-01T00:00:00Z")),
        },
        Row {
            name: "a fire time before the creation is not owed",
            expression: HOURLY,
            start: "2025-01-01T01:00:10Z",
            last_run: None,
            now: "2025-01-01T01:00:20Z",
            window_minutes: 5,
            want: due(None, false, Some("2025-01-01T02:00:00Z")),
        },
        Row {
            name: "a rate runs at its start",
            expression: "rate(1 minute)",
            start: "2025-01-01T00:00:00Z",
            last_run: None,
            now: "2025-01-01T00:00:00Z",
            window_minutes: 1,
            want: due(Some("2025-01-01T00:00:00Z"), false, Some("2025-01-01T00:01:00Z")),
        },
        Row {
            name: "an at, late within the window",
            expression: "at(2025-01-01T12:00:00)",
            start: CREATED,
            last_run: None,
            now: "2025-01-01T12:00:30Z",
            window_minutes: 1,
            want: due(Some("2025-01-01T12:00:00Z"), false, None),
        },
        Row {
            name: "an at that ran is over",
            expression: "at(2025-01-01T12:00:00)",
            start: CREATED,
            last_run: Some("2025-01-01T12:00:00Z"),
            now: "2025-01-01T12:05:00Z",
            window_minutes: 1,
            want: due(None, false, None),
        },
    ];
    let tz = zone("UTC");
    let got: Vec<(&str, Due)> = rows
        .iter()
        .map(|row| {
            let decision = due_runs(
                &expression(row.expression),
                &tz,
                at(row.start),
                row.last_run.map(at),
                at(row.now),
                SignedDuration::from_mins(row.window_minutes),
            );
            (row.name, decision)
        })
        .collect();
    let want: Vec<(&str, Due)> = rows.iter().map(|row| (row.name, row.want)).collect();
    assert_eq!(got, want);
}
