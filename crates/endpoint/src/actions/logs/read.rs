//! GetLogEvents (one stream, forward and backward tokens) and FilterLogEvents (a group's streams
//! interleaved by time, with stream names or a prefix, a time range and simple filter terms). The
//! events are read from the kubelet as the caller (`get pods/log`), from the second the request's
//! start time or token points into.

use kube_ecs_wire::logs as wire;
use sha2::Digest as _;

use super::errors::{group_not_found, invalid_token, stream_not_found};
use super::events::{self, Event, From};
use super::pattern::Pattern;
use super::source::Stream;
use super::tokens::{self, Place};
use super::{EcsError, LogsCall, groups};

/// At most this many events per answer, CloudWatch Logs' own bound.
const MAX_EVENTS: usize = 10_000;

fn limit(requested: Option<i32>) -> usize {
    requested.and_then(|l| usize::try_from(l).ok()).filter(|l| *l > 0).map_or(MAX_EVENTS, |l| l.min(MAX_EVENTS))
}

/// The group's streams; ResourceNotFoundException when the group does not exist.
async fn group_streams(logs: &LogsCall<'_, '_>, group: &str) -> Result<Vec<Stream>, EcsError> {
    let streams: Vec<Stream> = logs.source.streams().await?.into_iter().filter(|s| s.target.group == group).collect();
    if streams.is_empty() {
        groups::existing(logs, group).await.map_err(|_| group_not_found())?;
    }
    Ok(streams)
}

pub async fn get(
    logs: &LogsCall<'_, '_>,
    input: wire::GetLogEventsRequest,
) -> Result<wire::GetLogEventsResponse, EcsError> {
    let group = logs.group(input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
    let from = match input.next_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => tokens::read_from(token).ok_or_else(invalid_token)?,
        None if input.start_from_head == Some(true) => From::Head,
        None => From::Tail,
    };
    let streams = group_streams(logs, &group).await?;
    let stream = streams.iter().find(|s| s.target.stream == input.log_stream_name).ok_or_else(stream_not_found)?;
    let since = match from {
        From::After(gap) => Some(input.start_time.map_or(gap.timestamp, |s| s.max(gap.timestamp))),
        _ => input.start_time,
    };
    let all = logs.source.events(stream, since).await?;
    let in_range: Vec<Event> = all
        .into_iter()
        .filter(|e| {
            input.start_time.is_none_or(|s| e.timestamp >= s) && input.end_time.is_none_or(|end| e.timestamp < end)
        })
        .collect();
    let page = events::page(&in_range, from, limit(input.limit));
    Ok(wire::GetLogEventsResponse {
        events: page
            .events
            .iter()
            .map(|e| wire::OutputLogEvent {
                timestamp: Some(e.timestamp),
                message: Some(e.message.clone()),
                ingestion_time: Some(e.timestamp),
            })
            .collect(),
        next_forward_token: Some(tokens::forward(page.forward)),
        next_backward_token: Some(tokens::backward(page.backward)),
    })
}

/// An event's ID: stable for the same event of the same stream, as `aws logs tail --follow` tells
/// the events it has shown by their IDs when it asks again from the last timestamp.
fn event_id(stream: &str, event: &Event) -> String {
    let digest = sha2::Sha256::digest(stream.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    format!("{:019}{:010}{:020}", event.timestamp.max(0), event.seq, u64::from_be_bytes(head))
}

pub async fn filter(
    logs: &LogsCall<'_, '_>,
    input: wire::FilterLogEventsRequest,
) -> Result<wire::FilterLogEventsResponse, EcsError> {
    let group = logs.group(input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
    if !input.log_stream_names.is_empty() && input.log_stream_name_prefix.is_some() {
        return Err(EcsError::invalid_parameter(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    let pattern = Pattern::parse(input.filter_pattern.as_deref().unwrap_or("")).map_err(EcsError::invalid_parameter)?;
    let after = match input.next_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => Some(tokens::filter_place(token).ok_or_else(invalid_token)?),
        None => None,
    };
    let streams: Vec<Stream> = group_streams(logs, &group)
        .await?
        .into_iter()
        .filter(|s| input.log_stream_names.is_empty() || input.log_stream_names.contains(&s.target.stream))
        .filter(|s| input.log_stream_name_prefix.as_ref().is_none_or(|p| s.target.stream.starts_with(p.as_str())))
        .collect();
    let since = match (&after, input.start_time) {
        (Some(place), Some(start)) => Some(start.max(place.timestamp)),
        (Some(place), None) => Some(place.timestamp),
        (None, start) => start,
    };
    let reads = streams.iter().map(|s| logs.source.events(s, since));
    let read = futures::future::try_join_all(reads).await?;
    let mut found: Vec<(Place, &str, Event)> = Vec::new();
    for (stream, events) in streams.iter().zip(read) {
        let name = stream.target.stream.as_str();
        for event in events {
            let place = Place { timestamp: event.timestamp, stream: name.to_string(), n: event.seq };
            let in_range = input.start_time.is_none_or(|s| event.timestamp >= s)
                && input.end_time.is_none_or(|end| event.timestamp <= end);
            if in_range && after.as_ref().is_none_or(|a| place > *a) && pattern.matches(&event.message) {
                found.push((place, name, event));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let limit = limit(input.limit);
    let next_token = (found.len() > limit).then(|| tokens::filter_token(&found[limit - 1].0));
    found.truncate(limit);
    let events = found
        .into_iter()
        .map(|(_, stream, event)| wire::FilteredLogEvent {
            log_stream_name: Some(stream.to_string()),
            timestamp: Some(event.timestamp),
            ingestion_time: Some(event.timestamp),
            event_id: Some(event_id(stream, &event)),
            message: Some(event.message),
        })
        .collect();
    Ok(wire::FilterLogEventsResponse { events, next_token, ..Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_stable_and_distinct() {
        let event = Event { timestamp: 5, seq: 2, message: "x".into() };
        assert_eq!(event_id("a/b/c", &event), event_id("a/b/c", &event));
        assert_ne!(event_id("a/b/c", &event), event_id("a/b/d", &event));
        assert_ne!(event_id("a/b/c", &event), event_id("a/b/c", &Event { seq: 3, ..event.clone() }));
        assert_eq!((limit(None), limit(Some(5)), limit(Some(50_000))), (10_000, 5, 10_000));
    }
}
