//! Next fire times: each row lists the first three after an instant (fewer when the schedule
//! ends), written as wall clock and offset in the schedule's zone.

use pretty_assertions::assert_eq;

use super::{at, expression, local, zone};

struct Row {
    expression: &'static str,
    zone: &'static str,
    after: &'static str,
    want: &'static [&'static str],
}

const UTC: &str = "UTC";
const NEW_YORK: &str = "America/New_York";
/// Rate's anchor for the cron and at rows, which ignore it.
const START: &str = "2000-01-01T00:00:00Z";

fn run(rows: &[Row], start: &str) {
    let mut got = Vec::new();
    let mut want = Vec::new();
    for row in rows {
        let tz = zone(row.zone);
        let schedule = expression(row.expression);
        let mut fires = Vec::new();
        let mut after = at(row.after);
        while fires.len() < 3 {
            let Some(next) = schedule.next_after(after, &tz, at(start)) else { break };
            fires.push(local(next, &tz));
            after = next;
        }
        got.push((row.expression, row.after, fires));
        want.push((row.expression, row.after, row.want.iter().map(|s| s.to_string()).collect()));
    }
    assert_eq!(got, want);
}

#[test]
fn cron_fields() {
    run(
        &[
            Row {
                expression: "cron(0/5 * * * ? *)",
                zone: UTC,
                after: "2025-01-01T00:02:00Z",
                want: &["2025-01-01T00:05:00+00:00", "2025-01-01T00:10:00+00:00", "2025-01-01T00:15:00+00:00"],
            },
            // Strictly after: a fire time equal to `after` is not next.
            Row {
                expression: "cron(*/5 * * * ? *)",
                zone: UTC,
                after: "2025-01-01T00:05:00Z",
                want: &["2025-01-01T00:10:00+00:00", "2025-01-01T00:15:00+00:00", "2025-01-01T00:20:00+00:00"],
            },
            // AWS's own example: 1/10 is the 1st, 11th, 21st minute...
            Row {
                expression: "cron(1/10 * * * ? *)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-01-01T00:01:00+00:00", "2025-01-01T00:11:00+00:00", "2025-01-01T00:21:00+00:00"],
            },
            // 2025-01-03 is a Friday: the weekend is skipped.
            Row {
                expression: "cron(0 10 ? * MON-FRI *)",
                zone: UTC,
                after: "2025-01-03T10:00:00Z",
                want: &["2025-01-06T10:00:00+00:00", "2025-01-07T10:00:00+00:00", "2025-01-08T10:00:00+00:00"],
            },
            Row {
                expression: "cron(0 8,17 1 JAN,JUL ? *)",
                zone: UTC,
                after: "2025-01-01T08:00:00Z",
                want: &["2025-01-01T17:00:00+00:00", "2025-07-01T08:00:00+00:00", "2025-07-01T17:00:00+00:00"],
            },
            // L: the last day, 29 February in a leap year.
            Row {
                expression: "cron(0 0 L * ? *)",
                zone: UTC,
                after: "2024-01-31T00:00:00Z",
                want: &["2024-02-29T00:00:00+00:00", "2024-03-31T00:00:00+00:00", "2024-04-30T00:00:00+00:00"],
            },
            // 2#1: the first Monday (1 February and 1 March 2025 are Saturdays).
            Row {
                expression: "cron(0 9 ? * 2#1 *)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-01-06T09:00:00+00:00", "2025-02-03T09:00:00+00:00", "2025-03-03T09:00:00+00:00"],
            },
            // 6#5: a fifth Friday, only in months that have one.
            Row {
                expression: "cron(15 10 ? * 6#5 *)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-01-31T10:15:00+00:00", "2025-05-30T10:15:00+00:00", "2025-08-29T10:15:00+00:00"],
            },
            // 6L: the last Friday (31 March 2025 is a Monday).
            Row {
                expression: "cron(0 18 ? * 6L 2025)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-01-31T18:00:00+00:00", "2025-02-28T18:00:00+00:00", "2025-03-28T18:00:00+00:00"],
            },
            // L alone in day-of-week: Saturday, the week's last day.
            Row {
                expression: "cron(0 8 ? * L *)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-01-04T08:00:00+00:00", "2025-01-11T08:00:00+00:00", "2025-01-18T08:00:00+00:00"],
            },
            // 15W: 15 February and 15 March 2025 are Saturdays, so the Friday before.
            Row {
                expression: "cron(0 12 15W * ? *)",
                zone: UTC,
                after: "2025-02-01T00:00:00Z",
                want: &["2025-02-14T12:00:00+00:00", "2025-03-14T12:00:00+00:00", "2025-04-15T12:00:00+00:00"],
            },
            // 15 June 2025 is a Sunday: the Monday after.
            Row {
                expression: "cron(0 12 15W 6 ? *)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-06-16T12:00:00+00:00", "2026-06-15T12:00:00+00:00", "2027-06-15T12:00:00+00:00"],
            },
            // 1W on a Saturday stays in the month: Monday the 3rd.
            Row {
                expression: "cron(0 0 1W * ? *)",
                zone: UTC,
                after: "2025-01-15T00:00:00Z",
                want: &["2025-02-03T00:00:00+00:00", "2025-03-03T00:00:00+00:00", "2025-04-01T00:00:00+00:00"],
            },
            // 31W: no April or June (no 31st); 31 May and 31 August 2025 are a Saturday and a Sunday.
            Row {
                expression: "cron(0 0 31W * ? *)",
                zone: UTC,
                after: "2025-03-31T00:00:00Z",
                want: &["2025-05-30T00:00:00+00:00", "2025-07-31T00:00:00+00:00", "2025-08-29T00:00:00+00:00"],
            },
            // Leap years only.
            Row {
                expression: "cron(0 0 29 2 ? *)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00", "2036-02-29T00:00:00+00:00"],
            },
            // A day that never comes: no fire time, not a loop.
            Row { expression: "cron(0 0 30 2 ? *)", zone: UTC, after: "2025-01-01T00:00:00Z", want: &[] },
            Row {
                expression: "cron(0 0 1 1 ? 2024/4)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2028-01-01T00:00:00+00:00", "2032-01-01T00:00:00+00:00", "2036-01-01T00:00:00+00:00"],
            },
        ],
        START,
    );
}

#[test]
fn cron_year_bounds() {
    run(
        &[
            Row {
                expression: "cron(0 0 1 1 ? 2199)",
                zone: UTC,
                after: "2198-06-01T00:00:00Z",
                want: &["2199-01-01T00:00:00+00:00"],
            },
            Row {
                expression: "cron(59 23 31 12 ? *)",
                zone: UTC,
                after: "2199-12-31T23:58:00Z",
                want: &["2199-12-31T23:59:00+00:00"],
            },
            Row { expression: "cron(0 0 1 1 ? *)", zone: UTC, after: "2199-01-01T00:00:00Z", want: &[] },
            Row { expression: "cron(0 0 1 1 ? 1970-1980)", zone: UTC, after: "2025-01-01T00:00:00Z", want: &[] },
            Row {
                expression: "cron(0 0 1 1 ? 1970)",
                zone: UTC,
                after: "1969-12-31T00:00:00Z",
                want: &["1970-01-01T00:00:00+00:00"],
            },
        ],
        START,
    );
}

/// America/New_York: 2025-03-09 02:00 EST -> 03:00 EDT; 2025-11-02 02:00 EDT -> 01:00 EST.
#[test]
fn cron_across_dst() {
    run(
        &[
            // Spring forward: 02:30 does not exist on 9 March, so that day is skipped (AWS).
            Row {
                expression: "cron(30 2 * * ? *)",
                zone: NEW_YORK,
                after: "2025-03-08T00:00:00-05:00",
                want: &["2025-03-08T02:30:00-05:00", "2025-03-10T02:30:00-04:00", "2025-03-11T02:30:00-04:00"],
            },
            // Hourly: 02:00 is skipped; real time runs on, an hour from 01:00 to 03:00 EDT.
            Row {
                expression: "cron(0 * * * ? *)",
                zone: NEW_YORK,
                after: "2025-03-09T00:30:00-05:00",
                want: &["2025-03-09T01:00:00-05:00", "2025-03-09T03:00:00-04:00", "2025-03-09T04:00:00-04:00"],
            },
            // A daily time outside the gap keeps its wall clock, 23 hours apart over the change.
            Row {
                expression: "cron(0 10 * * ? *)",
                zone: NEW_YORK,
                after: "2025-03-08T00:00:00-05:00",
                want: &["2025-03-08T10:00:00-05:00", "2025-03-09T10:00:00-04:00", "2025-03-10T10:00:00-04:00"],
            },
            // Fall back: 01:30 happens twice on 2 November; it runs once, at the first (EDT).
            Row {
                expression: "cron(30 1 * * ? *)",
                zone: NEW_YORK,
                after: "2025-11-01T12:00:00-04:00",
                want: &["2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00", "2025-11-04T01:30:00-05:00"],
            },
            // Hourly: 01:00 runs once (EDT); the repeated hour brings no second 01:00.
            Row {
                expression: "cron(0 * * * ? *)",
                zone: NEW_YORK,
                after: "2025-11-02T00:30:00-04:00",
                want: &["2025-11-02T01:00:00-04:00", "2025-11-02T02:00:00-05:00", "2025-11-02T03:00:00-05:00"],
            },
            // Asked from inside the second 01:xx: 01:45 already ran (EDT), so not again today.
            Row {
                expression: "cron(45 1 * * ? *)",
                zone: NEW_YORK,
                after: "2025-11-02T01:10:00-05:00",
                want: &["2025-11-03T01:45:00-05:00", "2025-11-04T01:45:00-05:00", "2025-11-05T01:45:00-05:00"],
            },
            // A zone without DST.
            Row {
                expression: "cron(0 9 * * ? *)",
                zone: "Asia/Tokyo",
                after: "2025-01-01T00:00:00Z",
                want: &["2025-01-02T09:00:00+09:00", "2025-01-03T09:00:00+09:00", "2025-01-04T09:00:00+09:00"],
            },
        ],
        START,
    );
}

#[test]
fn at_in_a_time_zone() {
    run(
        &[
            Row {
                expression: "at(2025-06-01T09:00:00)",
                zone: NEW_YORK,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-06-01T09:00:00-04:00"],
            },
            Row {
                expression: "at(2025-06-01T09:00:00)",
                zone: UTC,
                after: "2025-01-01T00:00:00Z",
                want: &["2025-06-01T09:00:00+00:00"],
            },
            // In the past (and at the instant itself): nothing left.
            Row { expression: "at(2025-06-01T09:00:00)", zone: NEW_YORK, after: "2025-06-01T13:00:00Z", want: &[] },
            Row { expression: "at(2020-01-01T00:00:00)", zone: UTC, after: "2025-01-01T00:00:00Z", want: &[] },
            // In the spring gap: as far past the change as it was past 02:00.
            Row {
                expression: "at(2025-03-09T02:30:00)",
                zone: NEW_YORK,
                after: "2025-03-01T00:00:00Z",
                want: &["2025-03-09T03:30:00-04:00"],
            },
            // In the repeated hour: the first occurrence.
            Row {
                expression: "at(2025-11-02T01:30:00)",
                zone: NEW_YORK,
                after: "2025-11-01T00:00:00Z",
                want: &["2025-11-02T01:30:00-04:00"],
            },
        ],
        START,
    );
}

#[test]
fn rate_on_its_grid() {
    // Anchored at 00:00:30: every minute at :30, however late the question is asked.
    run(
        &[
            Row {
                expression: "rate(1 minute)",
                zone: UTC,
                after: "2025-01-01T00:05:00Z",
                want: &["2025-01-01T00:05:30+00:00", "2025-01-01T00:06:30+00:00", "2025-01-01T00:07:30+00:00"],
            },
            // Before the start: the start itself is the first run (AWS starts at once).
            Row {
                expression: "rate(5 minutes)",
                zone: UTC,
                after: "2024-12-31T00:00:00Z",
                want: &["2025-01-01T00:00:30+00:00", "2025-01-01T00:05:30+00:00", "2025-01-01T00:10:30+00:00"],
            },
            Row {
                expression: "rate(2 hours)",
                zone: UTC,
                after: "2025-01-01T00:00:30Z",
                want: &["2025-01-01T02:00:30+00:00", "2025-01-01T04:00:30+00:00", "2025-01-01T06:00:30+00:00"],
            },
        ],
        "2025-01-01T00:00:30Z",
    );
    // A day is 24 hours across the spring change (AWS), so the wall clock moves 09:00 -> 10:00.
    run(
        &[Row {
            expression: "rate(1 day)",
            zone: NEW_YORK,
            after: "2025-03-08T09:00:00-05:00",
            want: &["2025-03-09T10:00:00-04:00", "2025-03-10T10:00:00-04:00", "2025-03-11T10:00:00-04:00"],
        }],
        "2025-03-08T09:00:00-05:00",
    );
}
