//! One numeric cron field (`, - * /`, numbers and names) as the set of values it admits.
//!
//! Shared by minutes, hours, month, year and the plain forms of the two day fields, so every
//! field reports a range or name error in the same words.

/// What a field admits: its name for messages, its bounds, and its names (`JAN` = `min`, ...).
#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    pub name: &'static str,
    pub min: u16,
    pub max: u16,
    pub names: &'static [&'static str],
    /// Day-of-week has no `/` in EventBridge's table.
    pub takes_step: bool,
}

pub(super) const MINUTES: Field = Field { name: "minutes", min: 0, max: 59, names: &[], takes_step: true };
pub(super) const HOURS: Field = Field { name: "hours", min: 0, max: 23, names: &[], takes_step: true };
pub(super) const DAY_OF_MONTH: Field = Field { name: "day-of-month", min: 1, max: 31, names: &[], takes_step: true };
pub(super) const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
    takes_step: true,
};
pub(super) const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    takes_step: false,
};
pub(super) const YEAR: Field = Field { name: "year", min: 1970, max: 2199, names: &[], takes_step: true };

/// The values a field admits, as bits offset by the field's minimum (years need 230 of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueSet {
    min: u16,
    bits: [u64; 4],
}

impl ValueSet {
    fn empty(min: u16) -> ValueSet {
        ValueSet { min, bits: [0; 4] }
    }

    fn insert(&mut self, value: u16) {
        let index = usize::from(value - self.min);
        self.bits[index / 64] |= 1 << (index % 64);
    }

    pub fn contains(&self, value: i64) -> bool {
        let Some(index) = value.checked_sub(i64::from(self.min)) else { return false };
        let Ok(index) = usize::try_from(index) else { return false };
        index < 256 && self.bits[index / 64] & (1 << (index % 64)) != 0
    }

    /// The smallest admitted value at or above `from`, for skipping whole hours or years.
    pub fn first_at_or_after(&self, from: i64, max: i64) -> Option<i64> {
        (from.max(i64::from(self.min))..=max).find(|&value| self.contains(value))
    }
}

/// Parses a comma list of `*`, `n`, `a-b` and `x/step` items.
pub(super) fn parse_list(field: Field, text: &str) -> Result<ValueSet, String> {
    let mut set = ValueSet::empty(field.min);
    for item in text.split(',') {
        if item.is_empty() {
            return Err(format!("The {} field '{text}' has an empty list item.", field.name));
        }
        let (first, last, step) = parse_item(field, item)?;
        let mut value = first;
        while value <= last {
            set.insert(value);
            value = match value.checked_add(step) {
                Some(next) => next,
                None => break,
            };
        }
    }
    Ok(set)
}

/// One list item as (first, last, step).
fn parse_item(field: Field, item: &str) -> Result<(u16, u16, u16), String> {
    let (base, step) = match item.split_once('/') {
        None => (item, None),
        Some(_) if !field.takes_step => {
            return Err(format!("The {} field does not take '/' (in '{item}').", field.name));
        }
        Some((base, step)) => (base, Some(parse_step(field, item, step)?)),
    };
    let (first, last) = if base == "*" {
        (field.min, field.max)
    } else if let Some((from, to)) = base.split_once('-') {
        let (from, to) = (parse_value(field, from)?, parse_value(field, to)?);
        if from > to {
            return Err(format!(
                "The {} field's range '{base}' runs backwards; write it from the lower value.",
                field.name
            ));
        }
        (from, to)
    } else {
        let value = parse_value(field, base)?;
        // `5/10` in Quartz-style cron means "from 5, every 10, to the end of the field".
        (value, if step.is_some() { field.max } else { value })
    };
    Ok((first, last, step.unwrap_or(1)))
}

fn parse_step(field: Field, item: &str, step: &str) -> Result<u16, String> {
    match number(step) {
        Some(step) if step >= 1 => Ok(step),
        _ => Err(format!("The {} field's increment in '{item}' must be a whole number of 1 or more.", field.name)),
    }
}

/// A number or name within the field's bounds.
pub(super) fn parse_value(field: Field, text: &str) -> Result<u16, String> {
    let value = number(text).or_else(|| {
        let index = field.names.iter().position(|name| name.eq_ignore_ascii_case(text))?;
        u16::try_from(index).ok().map(|index| field.min + index)
    });
    match value {
        Some(value) if (field.min..=field.max).contains(&value) => Ok(value),
        _ => Err(format!("'{text}' is not valid in the {} field ({}).", field.name, allowed(field))),
    }
}

/// What the field admits, in the words of EventBridge's table.
pub(super) fn allowed(field: Field) -> String {
    match (field.names.first(), field.names.last()) {
        (Some(first), Some(last)) => format!("{}-{} or {first}-{last}", field.min, field.max),
        _ => format!("{}-{}", field.min, field.max),
    }
}

/// Digits only: no sign, no spaces; long enough for a year, short enough not to overflow.
fn number(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
