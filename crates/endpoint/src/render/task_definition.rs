//! A TaskDefinition revision -> ECS TaskDefinition.

use kube_ecs_api::TaskDefinition;
use kube_ecs_domain::revisions::ResolvedRevision;
use kube_ecs_wire as wire;

use super::timestamp;
use crate::arn::Arns;
use crate::error::EcsError;

/// The revision as DescribeTaskDefinition reports it: its snapshot's spec, its number and status,
/// and the registration record of the TaskDefinition (`td`).
pub fn revision(
    arns: &Arns,
    td: &TaskDefinition,
    resolved: &ResolvedRevision,
) -> Result<wire::TaskDefinition, EcsError> {
    let mut spec = serde_json::to_value(&resolved.spec).map_err(|e| EcsError::server(e.to_string()))?;
    if let Some(object) = spec.as_object_mut() {
        // The revision's content, without kube-ecs's bookkeeping and resource tags (which ECS reports
        // beside the definition, under `tags`).
        object.remove("deregisteredRevisions");
        object.remove("registration");
        // ECS's own default, which it reports: an EFS volume without a rootDirectory mounts `/`.
        if let Some(serde_json::Value::Array(volumes)) = object.get_mut("volumes") {
            for efs in volumes.iter_mut().filter_map(|v| v.get_mut("efsVolumeConfiguration")) {
                if let Some(efs) = efs.as_object_mut() {
                    efs.entry("rootDirectory").or_insert_with(|| "/".into());
                }
            }
        }
        object.remove("tags");
    }
    let mut definition: wire::TaskDefinition = serde_json::from_value(spec)
        .map_err(|e| EcsError::server(format!("task definition {} as ECS's shape: {e}", resolved.reference)))?;
    let record = td.status.as_ref().and_then(|s| s.revisions.iter().find(|r| r.revision == resolved.revision));
    let status = record.map_or(resolved.status, |r| r.status);
    definition.task_definition_arn = Some(arns.task_definition(&resolved.family, resolved.revision));
    definition.family = Some(resolved.family.clone());
    definition.revision = Some(i32::try_from(resolved.revision).unwrap_or(i32::MAX));
    definition.status = Some(status.as_str().into());
    definition.registered_at = timestamp(record.and_then(|r| r.registered_at.as_ref()));
    // ECS reports the launch types the definition is valid for (kube-ecs runs every one as EC2 would);
    // an unset networkMode stays unset, as ECS describes it (it means `bridge` on Linux).
    if definition.compatibilities.is_empty() {
        definition.compatibilities = vec!["EC2".into()];
    }
    Ok(definition)
}

/// The revision's resource tags.
pub fn tags(resolved: &ResolvedRevision) -> Vec<wire::Tag> {
    super::tags(&resolved.spec.tags)
}

/// A task-definition answer (Register, Describe, Deregister, DeleteTaskDefinitions) in the shape
/// ECS gives it: the wire types write every list member, empty or not, but ECS writes only the lists
/// it always has (`volumes`, `placementConstraints`; a container's `portMappings`, `environment`,
/// `mountPoints`, `volumesFrom`) and drops empty role ARNs. Clients that compare what they
/// registered with what they read back (Terraform, CDK) would see every other `[]` as a change.
pub struct AsEcsDescribes<T>(pub T);

impl<T: serde::Serialize> serde::Serialize for AsEcsDescribes<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
        if let Some(definition) = value.get_mut("taskDefinition") {
            ecs_shape(definition);
        }
        if let Some(serde_json::Value::Array(definitions)) = value.get_mut("taskDefinitions") {
            definitions.iter_mut().for_each(ecs_shape);
        }
        value.serialize(serializer)
    }
}

const ALWAYS_LISTED: &[&str] = &["volumes", "placementConstraints"];
const ALWAYS_LISTED_PER_CONTAINER: &[&str] = &["portMappings", "environment", "mountPoints", "volumesFrom"];

fn ecs_shape(definition: &mut serde_json::Value) {
    use serde_json::Value;
    without_empty_lists(definition);
    let Some(object) = definition.as_object_mut() else { return };
    object.retain(|_, v| v.as_str() != Some(""));
    for member in ALWAYS_LISTED {
        object.entry(*member).or_insert_with(|| Value::Array(Vec::new()));
    }
    if let Some(Value::Array(containers)) = object.get_mut("containerDefinitions") {
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            for member in ALWAYS_LISTED_PER_CONTAINER {
                container.entry(*member).or_insert_with(|| Value::Array(Vec::new()));
            }
        }
    }
}

fn without_empty_lists(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.as_array().is_some_and(Vec::is_empty));
            map.values_mut().for_each(without_empty_lists);
        }
        Value::Array(items) => items.iter_mut().for_each(without_empty_lists),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_have_only_the_lists_ecs_writes() {
        let answer = serde_json::json!({"taskDefinition": {
            "family": "web", "taskRoleArn": "", "requiresCompatibilities": [], "volumes": [],
            "containerDefinitions": [{"name": "a", "environment": [{"name": "E", "value": ""}], "dependsOn": [],
                "logConfiguration": {"logDriver": "awslogs", "secretOptions": []}}]}});
        let shaped = serde_json::to_value(AsEcsDescribes(answer)).expect("serializes");
        assert_eq!(
            shaped,
            serde_json::json!({"taskDefinition": {"family": "web", "volumes": [], "placementConstraints": [],
                "containerDefinitions": [{"name": "a", "environment": [{"name": "E", "value": ""}],
                    "portMappings": [], "mountPoints": [], "volumesFrom": [],
                    "logConfiguration": {"logDriver": "awslogs"}}]}})
        );
    }
}
