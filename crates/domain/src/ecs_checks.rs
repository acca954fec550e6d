//! The checks ECS's RegisterTaskDefinition makes that a custom resource's schema does not, with
//! ECS's own messages. The ECS API runs them before it writes anything, so an ECS client gets the
//! answer ECS would give (kubectl keeps the CRD's rules, which name the same rules in their words).

use crate::api::TaskDefinitionSpec;
use crate::api::ecs::LaunchType;

/// ECS's words for a container definition without a `name` or an `image` member at all (the
/// schema would answer for the missing member in its own words): checked on the request as sent.
pub fn container_members(request: &serde_json::Value) -> Result<(), String> {
    let containers = request.get("containerDefinitions").and_then(serde_json::Value::as_array);
    for container in containers.into_iter().flatten() {
        for (member, message) in [
            ("name", "Container.name should not be null or empty."),
            ("image", "Container.image should not be null or empty."),
        ] {
            if container.get(member).and_then(serde_json::Value::as_str).is_none_or(|v| v.trim().is_empty()) {
                return Err(message.into());
            }
        }
    }
    Ok(())
}

/// The first rule `spec` breaks, in ECS's words (a `ClientException` through the API).
pub fn task_definition(spec: &TaskDefinitionSpec) -> Result<(), String> {
    for container in &spec.container_definitions {
        if container.name.trim().is_empty() {
            return Err("Container.name should not be null or empty.".into());
        }
        if container.image.trim().is_empty() {
            return Err("Container.image should not be null or empty.".into());
        }
    }
    let fargate = spec.requires_compatibilities.contains(&LaunchType::Fargate);
    if fargate && spec.pid_mode.as_deref() == Some("host") {
        return Err("Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for \
                    pidMode is 'task'."
            .into());
    }
    // EC2 (the compatibility of a definition that names none) reserves memory per container unless
    // the task has a memory size.
    let ec2 = spec.requires_compatibilities.is_empty()
        || spec.requires_compatibilities.iter().any(|l| matches!(l, LaunchType::Ec2 | LaunchType::External));
    if ec2 && spec.memory.is_none() {
        let without_memory =
            spec.container_definitions.iter().find(|c| c.memory.is_none() && c.memory_reservation.is_none());
        if let Some(container) = without_memory {
            return Err(format!(
                "Invalid setting for container '{}'. At least one of 'memory' or 'memoryReservation' must be specified.",
                container.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(value: serde_json::Value) -> TaskDefinitionSpec {
        serde_json::from_value(value).expect("spec")
    }

    #[test]
    fn missing_members_in_ecs_words() {
        let cases = [
            (
                serde_json::json!({"containerDefinitions": [{"image": "busybox"}]}),
                Some("Container.name should not be null or empty."),
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a"}]}),
                Some("Container.image should not be null or empty."),
            ),
            (serde_json::json!({"containerDefinitions": [{"name": "a", "image": "b"}]}), None),
        ];
        for (request, expected) in cases {
            assert_eq!(container_members(&request).err().as_deref(), expected, "{request}");
        }
    }

    #[test]
    fn ecs_rules_and_messages() {
        let cases = [
            (serde_json::json!({"containerDefinitions": [{"name": "a", "image": "busybox", "memory": 16}]}), None),
            (serde_json::json!({"memory": "512", "containerDefinitions": [{"name": "a", "image": "busybox"}]}), None),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "image": "busybox", "memoryReservation": 8}]}),
                None,
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "image": "busybox"}]}),
                Some(
                    "Invalid setting for container 'a'. At least one of 'memory' or 'memoryReservation' must be specified.",
                ),
            ),
            (
                serde_json::json!({"requiresCompatibilities": ["EC2"], "containerDefinitions": [
                    {"name": "a", "image": "busybox", "memory": 8}, {"name": "b", "image": "busybox"}]}),
                Some(
                    "Invalid setting for container 'b'. At least one of 'memory' or 'memoryReservation' must be specified.",
                ),
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "", "image": "busybox", "memory": 8}]}),
                Some("Container.name should not be null or empty."),
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "image": " ", "memory": 8}]}),
                Some("Container.image should not be null or empty."),
            ),
            (
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                    "pidMode": "host", "containerDefinitions": [{"name": "a", "image": "busybox"}]}),
                Some(
                    "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
                ),
            ),
            (
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                    "pidMode": "task", "containerDefinitions": [{"name": "a", "image": "busybox"}]}),
                None,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(task_definition(&spec(input.clone())).err().as_deref(), expected, "{input}");
        }
    }
}
