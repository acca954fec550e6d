//! `cron(minutes hours day-of-month month day-of-week year)`: the six fields, parsed.

use super::days::{self, Days};
use super::field::{self, Field, HOURS, MINUTES, MONTH, ValueSet, YEAR};

/// A parsed cron expression: one set per plain field and the month's days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    pub(super) minutes: ValueSet,
    pub(super) hours: ValueSet,
    pub(super) days: Days,
    pub(super) months: ValueSet,
    pub(super) years: ValueSet,
}

impl Cron {
    /// Parses the text between `cron(` and `)`; the error is the reason alone.
    pub(super) fn parse(body: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        let [minutes, hours, day_of_month, month, day_of_week, year] = fields[..] else {
            return Err(format!(
                "cron({body}) has {} fields; it needs six: minutes hours day-of-month month \
                 day-of-week year.",
                fields.len()
            ));
        };
        Ok(Cron {
            minutes: plain(MINUTES, minutes)?,
            hours: plain(HOURS, hours)?,
            days: days::parse(day_of_month, day_of_week)?,
            months: plain(MONTH, month)?,
            years: plain(YEAR, year)?,
        })
    }
}

/// A field without the day fields' special characters: say so by name rather than as a bad
/// value, since `?` in the wrong field is the most common slip.
fn plain(field: Field, text: &str) -> Result<ValueSet, String> {
    // Token by token, so the L in JUL (a month name) is not taken for the special L.
    let special = text
        .split([',', '-', '/'])
        .filter(|token| !field.names.iter().any(|name| name.eq_ignore_ascii_case(token)))
        .find_map(|token| token.chars().find(|c| matches!(c, '?' | 'L' | 'W' | '#')));
    if let Some(special) = special {
        return Err(format!(
            "The {} field does not take '{special}' (in '{text}'); it takes {} with , - * /.",
            field.name,
            field::allowed(field)
        ));
    }
    field::parse_list(field, text)
}
