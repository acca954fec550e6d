//! `scheduleExpressionTimezone`: an IANA name, UTC when unset.

use jiff::tz::TimeZone;

/// The schedule's time zone from the global tz database (the system's, else jiff's bundled
/// copy), with a message in the API's words when the name is unknown.
pub fn time_zone(name: Option<&str>) -> Result<TimeZone, String> {
    match name {
        None | Some("") => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| {
            format!(
                "Parameter ScheduleExpressionTimezone is not valid. '{name}' is not an IANA time \
                 zone name such as America/New_York or UTC."
            )
        }),
    }
}
