//! Tables for the schedule module. Time zones come from jiff's bundled tz database, never the
//! machine's, so the DST rows give the same answers everywhere.

mod due;
mod next;
mod parse;

use jiff::Timestamp;
use jiff::tz::{TimeZone, TimeZoneDatabase};

use super::Expression;

/// A zone by name from the bundled database (UTC by its name too).
fn zone(name: &str) -> TimeZone {
    TimeZoneDatabase::bundled().get(name).expect("zone in the bundled tzdb")
}

/// An instant from RFC 3339 text with an offset.
fn at(text: &str) -> Timestamp {
    text.parse().expect("RFC 3339 instant")
}

fn expression(text: &str) -> Expression {
    Expression::parse(text).expect("valid expression")
}

/// An instant as the wall clock and offset in `tz`, the way the tables are written.
fn local(instant: Timestamp, tz: &TimeZone) -> String {
    instant.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}
