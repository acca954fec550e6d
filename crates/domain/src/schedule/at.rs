//! `at(yyyy-mm-ddThh:mm:ss)`: one wall-clock time in the schedule's time zone.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// A parsed one-time expression: the civil time, resolved in a zone only when asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    pub at: DateTime,
}

impl At {
    /// Parses the text between `at(` and `)`; exactly `yyyy-mm-ddThh:mm:ss`, as AWS documents,
    /// because jiff alone would also take offsets, fractions and a space for `T`.
    pub(super) fn parse(body: &str) -> Result<At, String> {
        let shape = body.len() == 19
            && body.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                10 => b == b'T',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            });
        if !shape {
            return Err(format!("at({body}) must be at(yyyy-mm-ddThh:mm:ss)."));
        }
        let number = |range: std::ops::Range<usize>| body.get(range).and_then(|s| s.parse::<i16>().ok());
        let parts = (number(0..4), number(5..7), number(8..10), number(11..13), number(14..16), number(17..19));
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = parts else {
            return Err(format!("at({body}) must be at(yyyy-mm-ddThh:mm:ss)."));
        };
        let small = |n: i16| i8::try_from(n).ok();
        let at = match (small(month), small(day), small(hour), small(minute), small(second)) {
            (Some(mo), Some(d), Some(h), Some(mi), Some(s)) => DateTime::new(year, mo, d, h, mi, s, 0).ok(),
            _ => None,
        };
        at.map(|at| At { at }).ok_or_else(|| format!("at({body}) is not a real date and time."))
    }

    /// The instant, if it is after `after`. A time in a DST gap runs as far past the change as
    /// it was past the hour (jiff's "compatible"); a time in a fold at its first occurrence.
    pub(super) fn next_after(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let instant = tz.to_ambiguous_timestamp(self.at).compatible().ok()?;
        (instant > after).then_some(instant)
    }
}
