//! Log events from what the kubelet answers for `pods/log?timestamps=true`: one event per line, its
//! time the line's RFC 3339 prefix (milliseconds, as CloudWatch Logs keeps them). Events are in the
//! container's order; a line whose time is earlier than the one before it (stdout and stderr
//! interleaved) is given the earlier line's time, so a stream's events are ordered by
//! `(timestamp, seq)` and a [`Gap`] between two events is well defined.

/// One event of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// Which event of those with this timestamp, from 1: identifies the event with its timestamp.
    pub seq: u32,
    pub message: String,
}

/// A place between two events of a stream: after the `n`-th event with timestamp `timestamp` (0:
/// before all of them). Tokens carry gaps, so a token stays valid while the log grows or its oldest
/// lines rotate away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Gap {
    pub timestamp: i64,
    pub n: u32,
}

impl Event {
    pub fn after(&self, gap: Gap) -> bool {
        (self.timestamp, self.seq) > (gap.timestamp, gap.n)
    }

    /// The gap right after this event.
    pub fn gap_after(&self) -> Gap {
        Gap { timestamp: self.timestamp, n: self.seq }
    }

    /// The gap right before this event.
    pub fn gap_before(&self) -> Gap {
        Gap { timestamp: self.timestamp, n: self.seq.saturating_sub(1) }
    }
}

/// The events of a `pods/log?timestamps=true` answer. A line without a time (none should come)
/// takes the time of the line before it.
pub fn parse(text: &str) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    for line in text.lines() {
        let (time, message) = match line.split_once(' ') {
            Some((time, message)) => (millis(time), message),
            None => (millis(line), ""),
        };
        let (time, message) = match time {
            Some(time) => (time, message),
            None => (events.last().map_or(0, |e| e.timestamp), line),
        };
        let previous = events.last();
        let timestamp = previous.map_or(time, |p| time.max(p.timestamp));
        let seq = match previous {
            Some(p) if p.timestamp == timestamp => p.seq + 1,
            _ => 1,
        };
        events.push(Event { timestamp, seq, message: message.to_string() });
    }
    events
}

fn millis(time: &str) -> Option<i64> {
    time.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

/// Which events of a stream GetLogEvents answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    /// The first events (`startFromHead`).
    Head,
    /// The last events (the default).
    Tail,
    /// The events after a gap (a forward token).
    After(Gap),
    /// The events before a gap (a backward token).
    Before(Gap),
}

/// A page of GetLogEvents: the events, and the gaps the forward and backward tokens carry.
#[derive(Debug, PartialEq, Eq)]
pub struct Page<'e> {
    pub events: &'e [Event],
    pub forward: Gap,
    pub backward: Gap,
}

/// At most `limit` events of `events` (already within the request's time range), from `from`.
/// With none to answer, both tokens stay where the request's token was: that is how clients
/// (`aws logs tail`, SDK loops) see they are at the end.
pub fn page(events: &[Event], from: From, limit: usize) -> Page<'_> {
    let (start, end) = match from {
        From::Head => (0, events.len().min(limit)),
        From::Tail => (events.len().saturating_sub(limit), events.len()),
        From::After(gap) => {
            let start = events.partition_point(|e| !e.after(gap));
            (start, (start + limit).min(events.len()))
        }
        From::Before(gap) => {
            let end = events.partition_point(|e| !e.after(gap));
            (end.saturating_sub(limit), end)
        }
    };
    let chosen = &events[start..end];
    let unchanged = match from {
        From::After(gap) | From::Before(gap) => gap,
        From::Head | From::Tail => Gap::default(),
    };
    match (chosen.first(), chosen.last()) {
        (Some(first), Some(last)) => Page { events: chosen, forward: last.gap_after(), backward: first.gap_before() },
        _ => Page { events: chosen, forward: unchanged, backward: unchanged },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(timestamp: i64, seq: u32, message: &str) -> Event {
        Event { timestamp, seq, message: message.into() }
    }

    #[test]
    fn lines_become_ordered_events() {
        let text = "2024-05-01T10:00:00.001000000Z one\n\
                    2024-05-01T10:00:00.001900000Z two words\n\
                    2024-05-01T10:00:00.000000000Z earlier\n\
                    2024-05-01T10:00:01.5Z \n\
                    no time at all\n";
        let t = 1_714_557_600_000;
        assert_eq!(
            parse(text),
            vec![
                event(t + 1, 1, "one"),
                event(t + 1, 2, "two words"),
                event(t + 1, 3, "earlier"),
                event(t + 1500, 1, ""),
                event(t + 1500, 2, "no time at all"),
            ]
        );
    }

    #[test]
    fn pages_and_their_tokens() {
        let events: Vec<Event> =
            vec![event(10, 1, "a"), event(10, 2, "b"), event(20, 1, "c"), event(30, 1, "d"), event(30, 2, "e")];
        let messages = |p: &Page| p.events.iter().map(|e| e.message.as_str()).collect::<String>();
        let gap = |timestamp, n| Gap { timestamp, n };
        // (from, limit, messages, forward, backward)
        let cases = [
            (From::Head, 2, "ab", gap(10, 2), gap(10, 0)),
            (From::Tail, 2, "de", gap(30, 2), gap(30, 0)),
            (From::Tail, 100, "abcde", gap(30, 2), gap(10, 0)),
            (From::After(gap(10, 2)), 2, "cd", gap(30, 1), gap(20, 0)),
            (From::After(gap(10, 1)), 1, "b", gap(10, 2), gap(10, 1)),
            (From::After(gap(30, 2)), 5, "", gap(30, 2), gap(30, 2)),
            (From::After(gap(0, 0)), 1, "a", gap(10, 1), gap(10, 0)),
            (From::Before(gap(30, 0)), 2, "bc", gap(20, 1), gap(10, 1)),
            (From::Before(gap(10, 0)), 2, "", gap(10, 0), gap(10, 0)),
            (From::Before(gap(99, 0)), 1, "e", gap(30, 2), gap(30, 1)),
        ];
        for (from, limit, expected, forward, backward) in cases {
            let page = page(&events, from, limit);
            assert_eq!(
                (messages(&page).as_str(), page.forward, page.backward),
                (expected, forward, backward),
                "{from:?} {limit}"
            );
        }
        let empty = page(&[], From::Tail, 10);
        assert_eq!((empty.events.len(), empty.forward, empty.backward), (0, Gap::default(), Gap::default()));
    }
}
