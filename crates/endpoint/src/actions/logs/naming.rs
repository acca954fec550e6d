//! Which log group and stream each container of a task writes to, from its task definition's
//! `awslogs` `logConfiguration`, named as ECS names them: the group is `awslogs-group`, the stream
//! `prefix/container-name/task-id` with `awslogs-stream-prefix`. Without a prefix ECS names the
//! stream after the Docker container's ID, which a task has no stable equivalent of here, so the
//! stream is `container-name/task-id` (the prefixed form without its prefix; docs/logs-and-secrets.md).
//! Containers with another driver (or none) are in no group: they stay reported as they were.

use std::collections::BTreeMap;

use kube_ecs_api::task_definition::ContainerDefinition;

/// The only log driver whose configuration names a group and stream.
pub const AWSLOGS: &str = "awslogs";

/// One container's place in CloudWatch Logs' names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogTarget {
    pub group: String,
    pub stream: String,
    /// The ECS container name (the stream's middle part).
    pub ecs_container: String,
    /// The Pod's container (what `pods/log` reads).
    pub container: String,
}

/// `prefix/container/task-id`, or `container/task-id` without a prefix.
pub fn stream_name(prefix: Option<&str>, container: &str, task_id: &str) -> String {
    match prefix.filter(|p| !p.is_empty()) {
        Some(prefix) => format!("{prefix}/{container}/{task_id}"),
        None => format!("{container}/{task_id}"),
    }
}

/// The log targets of a task: one per container whose driver is `awslogs` with a group.
/// `kubernetes_names` is the Pod's container-names annotation (Kubernetes name -> ECS name); a
/// container it does not list kept its ECS name.
pub fn targets(
    containers: &[ContainerDefinition],
    kubernetes_names: &BTreeMap<String, String>,
    task_id: &str,
) -> Vec<LogTarget> {
    containers
        .iter()
        .filter_map(|c| {
            let config = c.log_configuration.as_ref().filter(|l| l.log_driver == AWSLOGS)?;
            let group = config.options.get("awslogs-group").filter(|g| !g.is_empty())?;
            let prefix = config.options.get("awslogs-stream-prefix").map(String::as_str);
            let container = kubernetes_names
                .iter()
                .find(|(_, ecs)| **ecs == c.name)
                .map(|(kubernetes, _)| kubernetes.clone())
                .unwrap_or_else(|| c.name.clone());
            Some(LogTarget {
                group: group.clone(),
                stream: stream_name(prefix, &c.name, task_id),
                ecs_container: c.name.clone(),
                container,
            })
        })
        .collect()
}

/// The group a request names by `logGroupName` or `logGroupIdentifier` (a name or an ARN,
/// `arn:aws:logs:<region>:<account>:log-group:<name>[:*]`).
pub fn group_of(name: Option<&str>, identifier: Option<&str>) -> Option<String> {
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        return Some(name.to_string());
    }
    let identifier = identifier.filter(|i| !i.is_empty())?;
    let Some(rest) = identifier.strip_prefix("arn:") else { return Some(identifier.to_string()) };
    let name = rest.split_once(":log-group:").map(|(_, name)| name)?;
    Some(name.strip_suffix(":*").unwrap_or(name).to_string())
}

/// A group's ARNs: `arn` (with `:*`, as DescribeLogGroups' `arn`) and `logGroupArn` (without).
pub fn group_arns(region: &str, account: &str, group: &str) -> (String, String) {
    let plain = format!("arn:aws:logs:{region}:{account}:log-group:{group}");
    (format!("{plain}:*"), plain)
}

/// A stream's ARN.
pub fn stream_arn(region: &str, account: &str, group: &str, stream: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, log: Option<serde_json::Value>) -> ContainerDefinition {
        let mut json = serde_json::json!({"name": name, "image": "busybox"});
        if let Some(log) = log {
            json["logConfiguration"] = log;
        }
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn streams_are_named_as_ecs_names_them() {
        let cases = [
            (Some("web"), "app", "abc123", "web/app/abc123"),
            (None, "app", "abc123", "app/abc123"),
            (Some(""), "app", "abc123", "app/abc123"),
        ];
        for (prefix, container, task, expected) in cases {
            assert_eq!(stream_name(prefix, container, task), expected);
        }
    }

    #[test]
    fn only_awslogs_containers_with_a_group_have_targets() {
        let containers = [
            container(
                "App_1",
                Some(serde_json::json!({"logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "web"}})),
            ),
            container("side", Some(serde_json::json!({"logDriver": "awslogs", "options": {"awslogs-group": "g"}}))),
            container("fluent", Some(serde_json::json!({"logDriver": "fluentd", "options": {"awslogs-group": "g"}}))),
            container("nogroup", Some(serde_json::json!({"logDriver": "awslogs", "options": {}}))),
            container("none", None),
        ];
        let names = BTreeMap::from([("app-1-x".to_string(), "App_1".to_string())]);
        let targets = targets(&containers, &names, "t1");
        assert_eq!(
            targets,
            vec![
                LogTarget {
                    group: "/ecs/web".into(),
                    stream: "web/App_1/t1".into(),
                    ecs_container: "App_1".into(),
                    container: "app-1-x".into(),
                },
                LogTarget {
                    group: "g".into(),
                    stream: "side/t1".into(),
                    ecs_container: "side".into(),
                    container: "side".into(),
                },
            ]
        );
    }

    #[test]
    fn groups_by_name_or_arn() {
        let cases = [
            (Some("/ecs/web"), None, Some("/ecs/web")),
            (None, Some("/ecs/web"), Some("/ecs/web")),
            (None, Some("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*"), Some("/ecs/web")),
            (None, Some("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"), Some("/ecs/web")),
            (None, Some("arn:aws:logs:us-east-1:000000000000:destination:x"), None),
            (None, None, None),
        ];
        for (name, identifier, expected) in cases {
            assert_eq!(group_of(name, identifier).as_deref(), expected, "{name:?} {identifier:?}");
        }
        assert_eq!(
            group_arns("us-east-1", "000000000000", "g"),
            (
                "arn:aws:logs:us-east-1:000000000000:log-group:g:*".into(),
                "arn:aws:logs:us-east-1:000000000000:log-group:g".into()
            )
        );
    }
}
