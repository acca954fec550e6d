//! The apiserver's refusal, placed next to the inputs it names.
//!
//! A create or update refused by validation answers a `Status` whose `details.causes` name fields:
//! `spec.family` (a schema pattern), `spec.containerDefinitions[1].memory` (a type), or the object a
//! CEL rule sits on (`spec.containerDefinitions[0]`, with a message that starts with the member it is
//! about: `memory must be greater than memoryReservation`). [`input_for`] turns each into the name of
//! the wizard's input; what names no input is shown above the form.

use std::collections::BTreeMap;

use serde::Serialize;

/// Messages by input name, and those that belong to no input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors {
    pub fields: BTreeMap<String, Vec<String>>,
    pub general: Vec<String>,
}

impl FieldErrors {
    /// Places the apiserver's causes (`field`, `message`) with `input_for`; `message` is the whole
    /// refusal, kept when no cause came with it.
    pub fn place(message: &str, causes: &[(String, String)], input_for: impl Fn(&str, &str) -> Option<String>) -> Self {
        let mut errors = Self::default();
        for (field, cause) in causes {
            let shown = if field.is_empty() { cause.clone() } else { format!("{field}: {cause}") };
            match input_for(field, cause) {
                Some(input) => errors.fields.entry(input).or_default().push(shown),
                None => errors.general.push(shown),
            }
        }
        if causes.is_empty() && !message.is_empty() {
            errors.general.push(message.to_string());
        }
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    pub fn at(&self, input: &str) -> &[String] {
        self.fields.get(input).map_or(&[], Vec::as_slice)
    }
}

/// The member a CEL rule's message is about: its first word, up to a `:`, `.` or space
/// (`healthCheck.interval must be ...` -> `healthCheck.interval`).
fn message_member(message: &str) -> &str {
    // The apiserver prefixes a rule's message with `Invalid value: ` and, in some versions, the
    // value's type (`"object": `).
    let message = message.strip_prefix("Invalid value: ").unwrap_or(message);
    let message = match message.strip_prefix('"').and_then(|m| m.split_once("\": ")) {
        Some((_, rest)) => rest,
        None => message,
    };
    message.split([':', ' ']).next().unwrap_or_default()
}

/// The wizard's input for a TaskDefinition field path and message.
pub fn task_definition_input(field: &str, message: &str) -> Option<String> {
    // The object is named after the family.
    if field == "metadata.name" {
        return Some("family".into());
    }
    let field = field.strip_prefix("spec.").or_else(|| (field == "spec").then_some(""))?;
    if field.is_empty() {
        // Rules on the whole spec: the Fargate size rules.
        let member = message_member(message);
        return (member.contains("cpu") || member.contains("memory") || member.starts_with("requiresCompatibilities"))
            .then(|| "cpu".to_string());
    }
    let head = field.split(['.', '[']).next().unwrap_or_default();
    let task_input = match head {
        "family" => Some("family"),
        "requiresCompatibilities" => Some("requires"),
        "runtimePlatform" => Some(if field.contains("cpuArchitecture") { "arch" } else { "os" }),
        "cpu" => Some("cpu"),
        "memory" => Some("memory"),
        "networkMode" => Some("network_mode"),
        "taskRoleArn" => Some("task_role"),
        "executionRoleArn" => Some("execution_role"),
        "volumes" => Some("volumes"),
        "tags" => Some("tags"),
        _ => None,
    };
    if let Some(input) = task_input {
        return Some(input.to_string());
    }
    let rest = field.strip_prefix("containerDefinitions")?;
    // `containerDefinitions` itself (rules over all containers): the containers' heading.
    let Some(rest) = rest.strip_prefix('[') else { return Some("containers".into()) };
    let (index, member) = rest.split_once(']')?;
    let index: usize = index.parse().ok()?;
    let member = member.strip_prefix('.').unwrap_or(member);
    // A rule on a container (or on its healthCheck) names the member in its message.
    let named = message_member(message);
    let member = if member.is_empty() || named.starts_with(&format!("{member}.")) { named } else { member };
    let container_input = match member.split(['.', '[']).next().unwrap_or_default() {
        "name" => "name",
        "image" => "image",
        "essential" => "essential",
        "repositoryCredentials" => "credentials",
        "portMappings" => "ports",
        "cpu" => "cpu",
        "memory" => "memory",
        "memoryReservation" => "memory_reservation",
        "resourceRequirements" => "gpu",
        "environment" => "env",
        "secrets" => "secrets",
        "logConfiguration" => "log_driver",
        "healthCheck" => match member.split('.').nth(1) {
            Some("interval") => "hc_interval",
            Some("timeout") => "hc_timeout",
            Some("retries") => "hc_retries",
            Some("startPeriod") => "hc_start_period",
            _ => "hc_command",
        },
        "entryPoint" => "entry_point",
        "command" => "command",
        "workingDirectory" => "working_directory",
        "mountPoints" => "mounts",
        "dependsOn" => "depends",
        _ => return Some(format!("c{index}")),
    };
    Some(format!("c{index}.{container_input}"))
}

/// The cluster form's input for an EcsCluster field path.
pub fn cluster_input(field: &str, _message: &str) -> Option<String> {
    let field = field.strip_prefix("spec.").unwrap_or(field);
    let input = match field {
        "metadata.name" | "clusterName" => "name",
        "containerInsights" => "insights",
        f if f.starts_with("nodePools") => match f.rsplit('.').next().unwrap_or_default() {
            "name" => "pool",
            "provider" => "provider",
            "capacityType" => "capacity_type",
            "instanceType" => "instance_type",
            "instances" => "instances",
            "ebsVolumeSizeGiB" => "ebs",
            "amiFamily" => "ami",
            "iamRole" => "iam_role",
            "keyName" => "key_name",
            _ => return None,
        },
        _ => return None,
    };
    Some(input.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apiserver_fields_find_their_inputs() {
        for (field, message, input) in [
            (
                "spec.family",
                "Invalid value: \"<script>\": spec.family in body should match '^[a-zA-Z0-9_-]{1,255}$'",
                "family",
            ),
            ("spec.containerDefinitions[1].memory", "Invalid value: \"string\": must be of type integer", "c1.memory"),
            (
                "spec.containerDefinitions[0]",
                "Invalid value: \"object\": memory must be greater than memoryReservation (the hard limit above the soft limit)",
                "c0.memory",
            ),
            (
                "spec.containerDefinitions[0]",
                "Invalid value: memory must be greater than memoryReservation (the hard limit above the soft limit)",
                "c0.memory",
            ),
            (
                "spec.containerDefinitions[0]",
                "Invalid value: \"object\": memoryReservation: a container needs at least 6 MiB",
                "c0.memory_reservation",
            ),
            (
                "spec.containerDefinitions[2].healthCheck",
                "Invalid value: \"object\": healthCheck.interval must be between 5 and 300 seconds",
                "c2.hc_interval",
            ),
            ("spec.containerDefinitions[0].portMappings[1].protocol", "Unsupported value: \"sctp\"", "c0.ports"),
            (
                "spec.containerDefinitions",
                "Invalid value: \"array\": dependsOn: a HEALTHY dependency must target a container with a healthCheck",
                "containers",
            ),
            (
                "spec",
                "Invalid value: \"object\": requiresCompatibilities FARGATE: task-level cpu and memory are required",
                "cpu",
            ),
            ("spec.runtimePlatform.cpuArchitecture", "x", "arch"),
        ] {
            assert_eq!(task_definition_input(field, message).as_deref(), Some(input), "{field}: {message}");
        }
        assert_eq!(task_definition_input("metadata.name", "x").as_deref(), Some("family"));
        assert_eq!(task_definition_input("metadata.namespace", "x"), None);
    }

    #[test]
    fn causes_without_an_input_are_general() {
        let causes = vec![
            ("spec.family".to_string(), "bad".to_string()),
            ("metadata.namespace".to_string(), "taken".to_string()),
        ];
        let errors = FieldErrors::place("whole", &causes, task_definition_input);
        assert_eq!(errors.at("family"), ["spec.family: bad".to_string()]);
        assert_eq!(errors.general, vec!["metadata.namespace: taken".to_string()]);
        assert_eq!(FieldErrors::place("whole", &[], task_definition_input).general, vec!["whole".to_string()]);
    }

    #[test]
    fn cluster_fields() {
        assert_eq!(cluster_input("spec.nodePools[0].instanceType", "x").as_deref(), Some("instance_type"));
        assert_eq!(cluster_input("metadata.name", "x").as_deref(), Some("name"));
    }
}
