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
