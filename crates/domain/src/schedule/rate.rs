//! `rate(value unit)`: a fixed interval on a grid anchored at the schedule's start.

use jiff::{SignedDuration, Timestamp};

/// A rate expression's unit; a day is 24 hours, whatever the time zone does (AWS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateUnit {
    Minutes,
    Hours,
    Days,
}

impl RateUnit {
    fn seconds(self) -> i64 {
        match self {
            RateUnit::Minutes => 60,
            RateUnit::Hours => 3_600,
            RateUnit::Days => 86_400,
        }
    }
}

/// A parsed rate expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub value: u32,
    pub unit: RateUnit,
}

impl Rate {
    /// Parses the text between `rate(` and `)`; the error is the reason alone.
    pub(super) fn parse(body: &str) -> Result<Rate, String> {
        let parts: Vec<&str> = body.split_whitespace().collect();
        let [value, unit] = parts[..] else {
            return Err(format!("rate({body}) needs two fields, a value and a unit, as in rate(5 minutes)."));
        };
        // Digits only: `u32::from_str` would take `+5`, which is not AWS's "positive number".
        let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
        let value = match value.parse::<u32>() {
            Ok(value) if digits && value > 0 => value,
            _ => return Err(format!("The value '{value}' in rate({body}) must be a positive whole number.")),
        };
        let (unit, plural) = match unit {
            "minute" => (RateUnit::Minutes, false),
            "minutes" => (RateUnit::Minutes, true),
            "hour" => (RateUnit::Hours, false),
            "hours" => (RateUnit::Hours, true),
            "day" => (RateUnit::Days, false),
            "days" => (RateUnit::Days, true),
            _ => {
                return Err(format!(
                    "The unit '{unit}' in rate({body}) must be minute, minutes, hour, hours, day \
                     or days."
                ));
            }
        };
        let singular = unit_word(unit, false);
        match (value == 1, plural) {
            (true, true) => Err(format!("rate({body}) takes the singular unit for 1: rate(1 {singular}).")),
            (false, false) => {
                Err(format!("rate({body}) takes the plural unit above 1: rate({value} {}).", unit_word(unit, true)))
            }
            _ => Ok(Rate { value, unit }),
        }
    }

    /// The interval between fire times.
    pub fn interval(&self) -> SignedDuration {
        SignedDuration::from_secs(i64::from(self.value) * self.unit.seconds())
    }

    /// The first grid point `start + k * interval` (k >= 0) strictly after `after`.
    pub(super) fn next_after(&self, after: Timestamp, start: Timestamp) -> Option<Timestamp> {
        if after < start {
            return Some(start);
        }
        let interval_seconds = i64::from(self.value) * self.unit.seconds();
        let elapsed = after.duration_since(start).as_nanos();
        let steps = elapsed / (i128::from(interval_seconds) * 1_000_000_000) + 1;
        let offset = i64::try_from(steps).ok()?.checked_mul(interval_seconds)?;
        start.checked_add(SignedDuration::from_secs(offset)).ok()
    }
}

fn unit_word(unit: RateUnit, plural: bool) -> &'static str {
    match (unit, plural) {
        (RateUnit::Minutes, false) => "minute",
        (RateUnit::Minutes, true) => "minutes",
        (RateUnit::Hours, false) => "hour",
        (RateUnit::Hours, true) => "hours",
        (RateUnit::Days, false) => "day",
        (RateUnit::Days, true) => "days",
    }
}
