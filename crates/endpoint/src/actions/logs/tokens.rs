//! The tokens of GetLogEvents (`f/...`, `b/...`: a [`Gap`] in one stream) and FilterLogEvents (a
//! place in the interleaved events of several streams). Opaque to clients, as CloudWatch Logs'
//! are, but they carry only positions, so the same position always gives the same token: a client
//! compares `nextForwardToken` with the one it sent to know it has reached the end.

use super::events::{From, Gap};

/// Timestamp and count, fixed width, so a token reads back unambiguously.
fn digits(gap: Gap) -> Option<String> {
    let timestamp = u64::try_from(gap.timestamp).ok()?;
    Some(format!("{timestamp:019}{:010}", gap.n))
}

fn gap_of(digits: &str) -> Option<Gap> {
    if digits.len() != 29 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let timestamp = digits[..19].parse::<u64>().ok().and_then(|t| i64::try_from(t).ok())?;
    let n = digits[19..].parse::<u32>().ok()?;
    Some(Gap { timestamp, n })
}

/// GetLogEvents' forward token.
pub fn forward(gap: Gap) -> String {
    format!("f/{}/s", digits(clamp(gap)).unwrap_or_default())
}

/// GetLogEvents' backward token.
pub fn backward(gap: Gap) -> String {
    format!("b/{}/s", digits(clamp(gap)).unwrap_or_default())
}

/// Events before 1970 have no token of their own: they read from the start.
fn clamp(gap: Gap) -> Gap {
    if gap.timestamp < 0 { Gap::default() } else { gap }
}

/// Where a GetLogEvents token says to read from; None for a token this endpoint did not make.
pub fn read_from(token: &str) -> Option<From> {
    let (direction, rest) = token.split_at_checked(2)?;
    let gap = gap_of(rest.strip_suffix("/s")?)?;
    match direction {
        "f/" => Some(From::After(gap)),
        "b/" => Some(From::Before(gap)),
        _ => None,
    }
}

/// A place in FilterLogEvents' interleaved events: after the `n`-th event at `timestamp` of
/// `stream` (streams of one timestamp in name order).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub timestamp: i64,
    pub stream: String,
    pub n: u32,
}

/// FilterLogEvents' `nextToken`.
pub fn filter_token(place: &Place) -> String {
    let gap = clamp(Gap { timestamp: place.timestamp, n: place.n });
    format!("{}{}", digits(gap).unwrap_or_default(), hex::encode(place.stream.as_bytes()))
}

/// The place a FilterLogEvents token names; None for a token this endpoint did not make.
pub fn filter_place(token: &str) -> Option<Place> {
    let gap = gap_of(token.get(..29)?)?;
    let stream = String::from_utf8(hex::decode(token.get(29..)?).ok()?).ok()?;
    Some(Place { timestamp: gap.timestamp, stream, n: gap.n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let gaps = [Gap::default(), Gap { timestamp: 1_714_557_600_001, n: 3 }, Gap { timestamp: 5, n: u32::MAX }];
        for gap in gaps {
            assert_eq!(read_from(&forward(gap)), Some(From::After(gap)));
            assert_eq!(read_from(&backward(gap)), Some(From::Before(gap)));
            assert_eq!(forward(gap), forward(gap), "the same place makes the same token");
        }
        assert_eq!(forward(Gap { timestamp: 12, n: 1 }), "f/00000000000000000120000000001/s");
        let place = Place { timestamp: 7, stream: "web/app/t-1".into(), n: 2 };
        assert_eq!(filter_place(&filter_token(&place)), Some(place));
    }

    #[test]
    fn foreign_tokens_are_refused() {
        for token in [
            "",
            "f/",
            "x/00000000000000000120000000001/s",
            "f/0000000000000000012000000000/s",
            "f/abc/s",
            "f/00000000000000000120000000001",
        ] {
            assert_eq!(read_from(token), None, "{token:?}");
        }
        for token in ["", "123", "00000000000000000120000000001zz", "0000000000000000012000000000x"] {
            assert_eq!(filter_place(token), None, "{token:?}");
        }
    }
}
