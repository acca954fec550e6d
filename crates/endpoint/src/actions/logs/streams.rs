//! DescribeLogStreams: a group's streams, one per `awslogs` container of each task that names the
//! group. `orderBy: LastEventTime` orders by the task's start (a stream's last event would take a
//! log read per stream); `firstEventTimestamp`/`lastEventTimestamp` are left out for the same reason.

use std::collections::BTreeMap;

use kube_ecs_wire::logs as wire;

use super::errors::{group_not_found, invalid_token};
use super::{EcsError, LogsCall, groups};
use crate::pagination::page_ordered;

pub async fn describe(
    logs: &LogsCall<'_, '_>,
    input: wire::DescribeLogStreamsRequest,
) -> Result<wire::DescribeLogStreamsResponse, EcsError> {
    let group = logs.group(input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
    let by_time = input.order_by.as_deref() == Some("LastEventTime");
    if by_time && input.log_stream_name_prefix.is_some() {
        return Err(EcsError::invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix."));
    }
    let streams: Vec<_> = logs.source.streams().await?.into_iter().filter(|s| s.target.group == group).collect();
    if streams.is_empty() {
        groups::existing(logs, &group).await.map_err(|_| group_not_found())?;
    }
    // The sort key of each stream: its name, or its task's start then its name.
    let keyed: BTreeMap<String, _> = streams
        .into_iter()
        .filter(|s| input.log_stream_name_prefix.as_ref().is_none_or(|p| s.target.stream.starts_with(p.as_str())))
        .map(|s| {
            let key =
                if by_time { format!("{:020}/{}", s.created.max(0), s.target.stream) } else { s.target.stream.clone() };
            (key, s)
        })
        .collect();
    let descending = input.descending.unwrap_or(false);
    let (keys, next_token) =
        page_ordered(keyed.keys().cloned().collect(), input.limit, input.next_token.as_deref(), 50, 50, descending)
            .map_err(|_| invalid_token())?;
    let log_streams = keys
        .iter()
        .filter_map(|k| keyed.get(k))
        .map(|s| wire::LogStream {
            log_stream_name: Some(s.target.stream.clone()),
            creation_time: Some(s.created),
            arn: Some(logs.stream_arn(&group, &s.target.stream)),
            stored_bytes: Some(0),
            ..Default::default()
        })
        .collect();
    Ok(wire::DescribeLogStreamsResponse { log_streams, next_token })
}
