//! DescribeLogGroups, CreateLogGroup, DeleteLogGroup, PutRetentionPolicy. A group exists while a
//! task of the namespace names it (`awslogs-group`, as `awslogs-create-group: true` would make it at
//! ECS) or while it has a record (CreateLogGroup); its retention is recorded and reported, but events
//! are the kubelet's and go with their Pod: no retention can keep them longer.

use std::collections::BTreeMap;

use kube_ecs_wire::logs as wire;

use super::LogsCall;
use super::errors::{group_exists, group_not_found};
use super::records::{self, Record};
use crate::pagination::page;

/// A group as DescribeLogGroups shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub creation_time: i64,
    pub retention_in_days: Option<i32>,
}

/// The groups of records and streams (`(group, stream creation time)`), by name: a group made by
/// tasks alone dates from its oldest task.
pub fn groups(records: &BTreeMap<String, Record>, streams: &[(String, i64)]) -> BTreeMap<String, Group> {
    let mut groups: BTreeMap<String, Group> = records
        .values()
        .map(|r| {
            let group = Group {
                name: r.log_group_name.clone(),
                creation_time: r.creation_time,
                retention_in_days: r.retention_in_days,
            };
            (r.log_group_name.clone(), group)
        })
        .collect();
    for (name, created) in streams {
        let group = groups.entry(name.clone()).or_insert_with(|| Group {
            name: name.clone(),
            creation_time: *created,
            retention_in_days: None,
        });
        if !records.contains_key(name) {
            group.creation_time = group.creation_time.min(*created);
        }
    }
    groups
}

/// CloudWatch Logs' `logGroupNamePattern`: a case-insensitive substring.
fn matches_pattern(name: &str, pattern: &str) -> bool {
    name.to_lowercase().contains(&pattern.to_lowercase())
}

async fn all(logs: &LogsCall<'_, '_>) -> Result<BTreeMap<String, Group>, super::EcsError> {
    let records = records::read(logs.call).await?;
    let streams: Vec<(String, i64)> =
        logs.source.streams().await?.into_iter().map(|s| (s.target.group, s.created)).collect();
    Ok(groups(&records, &streams))
}

/// The group `name`, or ResourceNotFoundException.
pub async fn existing(logs: &LogsCall<'_, '_>, name: &str) -> Result<Group, super::EcsError> {
    all(logs).await?.remove(name).ok_or_else(group_not_found)
}

pub async fn describe(
    logs: &LogsCall<'_, '_>,
    input: wire::DescribeLogGroupsRequest,
) -> Result<wire::DescribeLogGroupsResponse, super::EcsError> {
    if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
        return Err(super::EcsError::invalid_parameter(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    let groups = all(logs).await?;
    let names: Vec<String> = groups
        .keys()
        .filter(|n| input.log_group_name_prefix.as_ref().is_none_or(|p| n.starts_with(p.as_str())))
        .filter(|n| input.log_group_name_pattern.as_ref().is_none_or(|p| matches_pattern(n, p)))
        .filter(|n| input.log_group_identifiers.is_empty() || input.log_group_identifiers.iter().any(|i| i == *n))
        .cloned()
        .collect();
    let (names, next_token) =
        page(names, input.limit, input.next_token.as_deref(), 50, 50).map_err(|_| super::errors::invalid_token())?;
    let log_groups = names
        .iter()
        .filter_map(|name| groups.get(name))
        .map(|group| {
            let (arn, log_group_arn) = logs.group_arns(&group.name);
            wire::LogGroup {
                log_group_name: Some(group.name.clone()),
                creation_time: Some(group.creation_time),
                retention_in_days: group.retention_in_days,
                metric_filter_count: Some(0),
                arn: Some(arn),
                log_group_arn: Some(log_group_arn),
                stored_bytes: Some(0),
                log_group_class: Some("STANDARD".into()),
                ..Default::default()
            }
        })
        .collect();
    Ok(wire::DescribeLogGroupsResponse { log_groups, next_token })
}

pub async fn create(
    logs: &LogsCall<'_, '_>,
    input: wire::CreateLogGroupRequest,
) -> Result<serde_json::Value, super::EcsError> {
    if all(logs).await?.contains_key(&input.log_group_name) {
        return Err(group_exists());
    }
    let record = Record {
        log_group_name: input.log_group_name,
        creation_time: jiff::Timestamp::now().as_millisecond(),
        retention_in_days: None,
    };
    records::write(logs.call, &record).await?;
    Ok(serde_json::json!({}))
}

/// Removes the group's record. A group that tasks still name stays (as at ECS, where their
/// `awslogs` driver would make it again); their events are the tasks' and are not deleted.
pub async fn delete(
    logs: &LogsCall<'_, '_>,
    input: wire::DeleteLogGroupRequest,
) -> Result<serde_json::Value, super::EcsError> {
    existing(logs, &input.log_group_name).await?;
    records::remove(logs.call, &input.log_group_name).await?;
    Ok(serde_json::json!({}))
}

/// Records the retention, for DescribeLogGroups to report. It cannot keep events longer than the
/// task's Pod is kept: there is no log pipeline (docs/logs-and-secrets.md).
pub async fn put_retention(
    logs: &LogsCall<'_, '_>,
    input: wire::PutRetentionPolicyRequest,
) -> Result<serde_json::Value, super::EcsError> {
    const VALID: [i32; 22] =
        [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
    if !VALID.contains(&input.retention_in_days) {
        return Err(super::EcsError::invalid_parameter(format!(
            "1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must \
             satisfy enum value set: [{}]",
            input.retention_in_days,
            VALID.map(|d| d.to_string()).join(", ")
        )));
    }
    let group = existing(logs, &input.log_group_name).await?;
    let record = Record {
        log_group_name: group.name,
        creation_time: group.creation_time,
        retention_in_days: Some(input.retention_in_days),
    };
    records::write(logs.call, &record).await?;
    Ok(serde_json::json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_from_records_and_tasks() {
        let records = BTreeMap::from([(
            "made".to_string(),
            Record { log_group_name: "made".into(), creation_time: 50, retention_in_days: Some(7) },
        )]);
        let streams = [("tasks".to_string(), 30), ("tasks".to_string(), 20), ("made".to_string(), 10)];
        let groups = groups(&records, &streams);
        assert_eq!(
            groups.into_values().collect::<Vec<_>>(),
            vec![
                Group { name: "made".into(), creation_time: 50, retention_in_days: Some(7) },
                Group { name: "tasks".into(), creation_time: 20, retention_in_days: None },
            ]
        );
        assert!(matches_pattern("/ECS/Web", "ecs/w"));
    }
}
