//! The two day fields: which dates of a month a cron expression admits.
//!
//! EventBridge lets exactly one of them choose days (the other is `?`), so a cron expression
//! holds one `Days` value; the special forms `L`, `nW`, `nL` and `d#n` depend on the month and
//! are decided per date here.

use jiff::civil::{Date, Weekday};

use super::field::{self, DAY_OF_MONTH, DAY_OF_WEEK, ValueSet};

/// Which days of a month fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Days {
    /// Days of the month from a list (`*`, `1,15`, `1-7`, `1/2`).
    OfMonth(ValueSet),
    /// `L` in day-of-month: the month's last day.
    LastOfMonth,
    /// `nW`: the weekday (Monday-Friday) nearest day n, without leaving the month.
    NearestWeekday(u16),
    /// Days of the week from a list, 1 = Sunday (`MON-FRI`, `*`, and `L`, which is Saturday).
    OfWeek(ValueSet),
    /// `nL` in day-of-week: the month's last such weekday.
    LastWeekdayOfMonth(u16),
    /// `d#n`: the month's nth such weekday (n = 1-5; a month without a fifth has none).
    NthWeekdayOfMonth(u16, u16),
}

/// Parses the two day fields together, since the rule ties them: exactly one is `?`.
pub(super) fn parse(day_of_month: &str, day_of_week: &str) -> Result<Days, String> {
    match (day_of_month == "?", day_of_week == "?") {
        (true, true) => Err("Day-of-month and day-of-week cannot both be '?'; one of them chooses \
                             the days."
            .to_string()),
        (false, false) => Err(format!(
            "Day-of-month '{day_of_month}' and day-of-week '{day_of_week}' cannot both be given; \
             use '?' in one of them."
        )),
        (false, true) => parse_day_of_month(day_of_month),
        (true, false) => parse_day_of_week(day_of_week),
    }
}

fn parse_day_of_month(text: &str) -> Result<Days, String> {
    if text.contains('#') {
        return Err(format!("'#' belongs in day-of-week, not day-of-month ('{text}')."));
    }
    if text == "L" {
        return Ok(Days::LastOfMonth);
    }
    if text == "LW" {
        // Quartz has it; EventBridge's reference documents only L and nW, so refuse what AWS
        // may refuse rather than accept a manifest that would not port back.
        return Err("LW is not one of EventBridge's day-of-month forms; use L or a day with W \
                    (15W)."
            .to_string());
    }
    if let Some(day) = text.strip_suffix('W') {
        if day.contains([',', '-', '/', '*']) {
            return Err(format!("'W' takes a single day, as in 15W, not '{text}'."));
        }
        return field::parse_value(DAY_OF_MONTH, day).map(Days::NearestWeekday);
    }
    if text.contains(['L', 'W']) {
        return Err(format!("'L' and 'W' stand alone in day-of-month (L, 15W), not in '{text}'."));
    }
    field::parse_list(DAY_OF_MONTH, text).map(Days::OfMonth)
}

fn parse_day_of_week(text: &str) -> Result<Days, String> {
    if text.split(',').any(|item| item.ends_with('W')) {
        return Err(format!("'W' belongs in day-of-month, not day-of-week ('{text}')."));
    }
    if let Some((day, nth)) = text.split_once('#') {
        if day.contains([',', '-', '/', '*']) || nth.contains(',') {
            return Err(format!(
                "'#' stands alone in day-of-week: one day and its instance, as in 2#1 (AWS: \
                 \"3#1,6#3\" is two expressions), not '{text}'."
            ));
        }
        let day = field::parse_value(DAY_OF_WEEK, day)?;
        // One digit only, so `2#01` and `2#+1` are refused rather than read as `2#1`.
        return match nth.as_bytes() {
            [digit @ b'1'..=b'5'] => Ok(Days::NthWeekdayOfMonth(day, u16::from(digit - b'0'))),
            _ => Err(format!("The instance after '#' in '{text}' must be 1-5.")),
        };
    }
    if text == "L" {
        // AWS: "L ... specifies the last day of the ... week", which is 7, Saturday.
        return field::parse_list(DAY_OF_WEEK, "7").map(Days::OfWeek);
    }
    if let Some(day) = text.strip_suffix('L') {
        if day.contains([',', '-', '/', '*']) {
            return Err(format!("'L' after a day takes a single day, as in 6L, not '{text}'."));
        }
        return field::parse_value(DAY_OF_WEEK, day).map(Days::LastWeekdayOfMonth);
    }
    if text.contains('L') {
        return Err(format!("'L' stands alone in day-of-week (L, 6L), not in '{text}'."));
    }
    field::parse_list(DAY_OF_WEEK, text).map(Days::OfWeek)
}

impl Days {
    /// Whether `date` is one of the days.
    pub fn admits(&self, date: Date) -> bool {
        let day = i64::from(date.day());
        let weekday = i64::from(date.weekday().to_sunday_one_offset());
        match *self {
            Days::OfMonth(set) => set.contains(day),
            Days::LastOfMonth => date.day() == date.days_in_month(),
            Days::NearestWeekday(target) => nearest_weekday(date, target) == Some(date.day()),
            Days::OfWeek(set) => set.contains(weekday),
            Days::LastWeekdayOfMonth(target) => {
                weekday == i64::from(target) && i64::from(date.days_in_month()) - day < 7
            }
            Days::NthWeekdayOfMonth(target, nth) => weekday == i64::from(target) && (day - 1) / 7 + 1 == i64::from(nth),
        }
    }
}

/// Quartz's `W` rule (EventBridge's cron is Quartz's dialect): a Saturday moves to the Friday
/// before and a Sunday to the Monday after, except across the month's edge (1W on a Saturday
/// is Monday the 3rd; 31W on a Sunday is Friday the 29th). A month without day n has no nW,
/// as it has no plain n (31W skips April), which is also what Quartz does.
fn nearest_weekday(date: Date, target: u16) -> Option<i8> {
    let last = date.days_in_month();
    let day = i8::try_from(target).ok().filter(|day| *day <= last)?;
    let on = Date::new(date.year(), date.month(), day).ok()?;
    Some(match on.weekday() {
        Weekday::Saturday if day == 1 => day + 2,
        Weekday::Saturday => day - 1,
        Weekday::Sunday if day == last => day - 2,
        Weekday::Sunday => day + 1,
        _ => day,
    })
}
