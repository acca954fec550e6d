//! The next fire time of a cron expression: a search in wall-clock time, then the time zone.
//!
//! The search walks civil dates (skipping months and years the expression excludes) and picks
//! the first admitted hour and minute; a civil time then becomes an instant by the DST rules of
//! the module comment: a time in a gap is skipped, a time in a fold takes its first occurrence.
//! With those rules the civil-to-instant map increases, so the first candidate whose instant is
//! after `after` is the answer, and a time in the repeated hour never fires twice.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};

use super::cron::Cron;

/// EventBridge's last year; nothing fires after it.
const LAST_YEAR: i16 = 2199;

pub(super) fn cron_next_after(cron: &Cron, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
    // From the minute `after` falls in: in a fold that civil minute can still lie ahead.
    let local = tz.to_datetime(after);
    let mut from = local.date().to_datetime(Time::new(local.hour(), local.minute(), 0, 0).ok()?);
    loop {
        let candidate = next_civil(cron, from)?;
        if let Some(instant) = instant(tz, candidate)
            && instant > after
        {
            return Some(instant);
        }
        from = candidate.checked_add(1.minute()).ok()?;
    }
}

/// The first civil minute at or after `from` that the expression admits.
fn next_civil(cron: &Cron, from: DateTime) -> Option<DateTime> {
    let mut date = from.date();
    let mut earliest = from.time();
    loop {
        if date.year() > LAST_YEAR {
            return None;
        }
        if !cron.years.contains(i64::from(date.year())) {
            let year = cron.years.first_at_or_after(i64::from(date.year()) + 1, i64::from(LAST_YEAR))?;
            date = Date::new(i16::try_from(year).ok()?, 1, 1).ok()?;
            earliest = Time::midnight();
            continue;
        }
        if !cron.months.contains(i64::from(date.month())) {
            date = first_of_next_month(date)?;
            earliest = Time::midnight();
            continue;
        }
        if cron.days.admits(date)
            && let Some(time) = first_time(cron, earliest)
        {
            return Some(date.to_datetime(time));
        }
        date = date.tomorrow().ok()?;
        earliest = Time::midnight();
    }
}

/// The first admitted hour:minute at or after `earliest` on one day.
fn first_time(cron: &Cron, earliest: Time) -> Option<Time> {
    let mut hour = cron.hours.first_at_or_after(i64::from(earliest.hour()), 23)?;
    loop {
        let from_minute = if hour == i64::from(earliest.hour()) { i64::from(earliest.minute()) } else { 0 };
        if let Some(minute) = cron.minutes.first_at_or_after(from_minute, 59) {
            return Time::new(i8::try_from(hour).ok()?, i8::try_from(minute).ok()?, 0, 0).ok();
        }
        hour = cron.hours.first_at_or_after(hour + 1, 23)?;
    }
}

fn first_of_next_month(date: Date) -> Option<Date> {
    date.last_of_month().tomorrow().ok()
}

/// The instant of a civil time in `tz`: none in a gap (skipped), the first in a fold.
fn instant(tz: &TimeZone, civil: DateTime) -> Option<Timestamp> {
    let offset = match tz.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Gap { .. } => return None,
        AmbiguousOffset::Fold { before, .. } => before,
    };
    offset.to_timestamp(civil).ok()
}
