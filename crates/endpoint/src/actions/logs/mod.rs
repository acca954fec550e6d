//! CloudWatch Logs' actions (`Logs_20140328.<Action>`) over the tasks of the key's namespace: a log
//! group is the set of tasks whose task definition's containers log with `awslogs` to it, a stream
//! one container of one task (`prefix/container/task-id`), its events the kubelet's log of that
//! container (`pods/log`). Everything is read as the caller, so RBAC decides: reading events is
//! `get` on `pods/log`. docs/logs-and-secrets.md says what is served and what cannot be.

mod errors;
pub mod events;
mod groups;
pub mod naming;
pub mod pattern;
mod read;
mod records;
pub mod source;
mod streams;
pub mod tokens;

use source::Source;

use super::decode;
use crate::call::Call;
use crate::error::EcsError;

/// One call's context: the caller and its log source.
pub struct LogsCall<'c, 'a> {
    call: &'c Call<'a>,
    source: Source,
}

impl LogsCall<'_, '_> {
    /// The group a request names (`logGroupName` or `logGroupIdentifier`).
    fn group(&self, name: Option<&str>, identifier: Option<&str>) -> Result<String, EcsError> {
        naming::group_of(name, identifier).ok_or_else(|| {
            EcsError::invalid_parameter(
                "Either logGroupName or logGroupIdentifier must be provided, as a name or a log group ARN.",
            )
        })
    }

    fn group_arns(&self, group: &str) -> (String, String) {
        let config = &self.call.endpoint.config;
        naming::group_arns(&config.region, &config.account, group)
    }

    fn stream_arn(&self, group: &str, stream: &str) -> String {
        let config = &self.call.endpoint.config;
        naming::stream_arn(&config.region, &config.account, group, stream)
    }
}

/// Runs `operation` (one of CloudWatch Logs' supported ones) with its checked input; errors in its
/// vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    let logs = LogsCall { call, source: Source::new(call.client.clone(), call.namespace()) };
    route!(operation, errors: errors::in_logs_terms, {
        "DescribeLogGroups" => groups::describe(&logs, decode(&input)?),
        "CreateLogGroup" => groups::create(&logs, decode(&input)?),
        "DeleteLogGroup" => groups::delete(&logs, decode(&input)?),
        "PutRetentionPolicy" => groups::put_retention(&logs, decode(&input)?),
        "DescribeLogStreams" => streams::describe(&logs, decode(&input)?),
        "GetLogEvents" => read::get(&logs, decode(&input)?),
        "FilterLogEvents" => read::filter(&logs, decode(&input)?),
    })
}
