//! The model's `timestamp` type on the wire of AWS JSON 1.1: seconds since the Unix epoch as a JSON
//! number, with millisecond precision (`1700000000.123`; whole seconds are written without a
//! fraction). Like botocore's parser it also reads an ISO-8601 string (`2023-11-14T22:13:20.123Z`; one
//! without an offset is taken as UTC) or a string holding a number of epoch seconds.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant with millisecond precision, the precision of ECS's wire format: constructing one
/// truncates any finer part, so two `Timestamp`s are equal exactly when they serialize alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// The Unix epoch (also `Timestamp::default()`).
    pub const UNIX_EPOCH: Timestamp = Timestamp(jiff::Timestamp::UNIX_EPOCH);

    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        jiff::Timestamp::now().into()
    }

    /// The instant `millis` milliseconds after the Unix epoch; `None` outside jiff's range
    /// (years -9999 to 9999).
    pub fn from_epoch_millis(millis: i64) -> Option<Self> {
        jiff::Timestamp::from_millisecond(millis).ok().map(Timestamp)
    }

    /// The instant `seconds` (fractional) seconds after the Unix epoch, rounded to milliseconds;
    /// `None` if not finite or out of range.
    pub fn from_epoch_seconds(seconds: f64) -> Option<Self> {
        let millis = (seconds * 1000.0).round();
        if !millis.is_finite() || millis.abs() > 1e17 {
            return None;
        }
        Self::from_epoch_millis(millis as i64)
    }

    /// Milliseconds since the Unix epoch.
    pub fn epoch_millis(&self) -> i64 {
        self.0.as_millisecond()
    }

    /// Seconds since the Unix epoch, as written on the wire.
    pub fn epoch_seconds(&self) -> f64 {
        self.epoch_millis() as f64 / 1000.0
    }

    /// This instant as a `jiff::Timestamp`.
    pub fn to_jiff(&self) -> jiff::Timestamp {
        self.0
    }
}

impl From<jiff::Timestamp> for Timestamp {
    /// Truncates to milliseconds.
    fn from(ts: jiff::Timestamp) -> Self {
        // In range: a jiff::Timestamp's milliseconds are always a valid jiff::Timestamp.
        Timestamp(jiff::Timestamp::from_millisecond(ts.as_millisecond()).unwrap_or(ts))
    }
}

impl From<Timestamp> for jiff::Timestamp {
    fn from(ts: Timestamp) -> Self {
        ts.0
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, e.g. `2023-11-14T22:13:20.123Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a string is not a timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTimestampError(String);

impl fmt::Display for ParseTimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a timestamp (epoch seconds or ISO-8601): {:?}", self.0)
    }
}

impl std::error::Error for ParseTimestampError {}

impl FromStr for Timestamp {
    type Err = ParseTimestampError;

    /// Epoch seconds (`"1700000000.5"`), or ISO-8601 with an offset (`"2023-11-14T22:13:20Z"`,
    /// `"2023-11-14T23:13:20+01:00"`) or without one, taken as UTC (`"2023-11-14T22:13:20"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseTimestampError(s.to_string());
        let t = s.trim();
        if let Ok(seconds) = t.parse::<f64>() {
            return Timestamp::from_epoch_seconds(seconds).ok_or_else(err);
        }
        if let Ok(ts) = t.parse::<jiff::Timestamp>() {
            return Ok(ts.into());
        }
        if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
            return dt.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp().into()).map_err(|_| err());
        }
        Err(err())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let millis = self.epoch_millis();
        if millis % 1000 == 0 {
            serializer.serialize_i64(millis / 1000)
        } else {
            serializer.serialize_f64(self.epoch_seconds())
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp: epoch seconds as a number, or an ISO-8601 string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                v.checked_mul(1000)
                    .and_then(Timestamp::from_epoch_millis)
                    .ok_or_else(|| E::custom(format!("timestamp {v} out of range")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                let v = i64::try_from(v).map_err(|_| E::custom(format!("timestamp {v} out of range")))?;
                self.visit_i64(v)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_epoch_seconds(v).ok_or_else(|| E::custom(format!("timestamp {v} out of range")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn serializes_epoch_seconds_with_millisecond_precision() {
        let cases = [
            (1_700_000_000_123, "1700000000.123"),
            (1_700_000_000_000, "1700000000"),
            (1_700_000_000_100, "1700000000.1"),
            (0, "0"),
            (-1_500, "-1.5"),
        ];
        for (millis, json) in cases {
            let ts = Timestamp::from_epoch_millis(millis).unwrap();
            assert_eq!(serde_json::to_string(&ts).unwrap(), json, "{millis}");
            assert_eq!(serde_json::from_str::<Timestamp>(json).unwrap(), ts, "{json}");
        }
    }

    #[test]
    fn deserializes_numbers_and_strings() {
        let want = Timestamp::from_epoch_millis(1_700_000_000_123).unwrap();
        let cases = [
            "1700000000.123",
            "1.700000000123E9",
            "\"1700000000.123\"",
            "\"2023-11-14T22:13:20.123Z\"",
            "\"2023-11-14T23:13:20.123+01:00\"",
            "\"2023-11-14T22:13:20.123\"",
            "1700000000.1234",
        ];
        for json in cases {
            assert_eq!(serde_json::from_str::<Timestamp>(json).unwrap(), want, "{json}");
        }
        for bad in ["\"yesterday\"", "true", "[]", "1e300"] {
            assert!(serde_json::from_str::<Timestamp>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn jiff_conversions_truncate_to_milliseconds() {
        let j = jiff::Timestamp::new(1_700_000_000, 123_456_789).unwrap();
        let ts = Timestamp::from(j);
        assert_eq!(ts.epoch_millis(), 1_700_000_000_123);
        assert_eq!(ts.to_jiff(), jiff::Timestamp::new(1_700_000_000, 123_000_000).unwrap());
        assert_eq!(jiff::Timestamp::from(ts), ts.to_jiff());
        assert_eq!(ts.to_string(), "2023-11-14T22:13:20.123Z");
        assert_eq!(Timestamp::default(), Timestamp::UNIX_EPOCH);
        assert_eq!(ts.epoch_seconds(), 1_700_000_000.123);
    }
}
