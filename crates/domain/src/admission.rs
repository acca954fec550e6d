//! Whether a Task or Service may run on its EcsCluster, and where (pure: the caller reads the cluster
//! and the namespace's Pod Security level from the read model).

use crate::api::EcsCluster;
use crate::api::common::{CapacityProviderStrategyItem, PlacementConstraint};
use crate::api::task_security::PodSecurityLevel;
use crate::cluster::placement::{self, Placement};
use crate::pod_security::{self, SecurityInputs};
use crate::refusal::{PLACED, Refusal, reasons};
use crate::revisions::ResolveError;
use crate::translate::TranslatedPod;

/// Checks the cluster exists and admits `namespace`, and computes the placement of its pods.
/// `cluster` is the read model's answer for `cluster_name`: absent, malformed, or the cluster.
pub fn admit(
    cluster_name: &str,
    cluster: Result<Option<EcsCluster>, String>,
    namespace: &str,
    strategy: &[CapacityProviderStrategyItem],
    constraints: &[PlacementConstraint],
    group: placement::GroupLabel<'_>,
) -> Result<(EcsCluster, Placement), Refusal> {
    let cluster = cluster
        .map_err(|e| {
            Refusal::new(
                PLACED,
                reasons::CLUSTER_NOT_FOUND,
                format!("cluster {cluster_name:?} is malformed: {e}"),
                false,
            )
        })?
        .ok_or_else(|| {
            Refusal::new(
                PLACED,
                reasons::CLUSTER_NOT_FOUND,
                format!("cluster {cluster_name:?} not found (ClusterNotFoundException)"),
                false,
            )
        })?;
    if !placement::namespace_allowed(&cluster, namespace) {
        return Err(Refusal::new(
            PLACED,
            reasons::NAMESPACE_NOT_ALLOWED,
            format!(
                "cluster {cluster_name:?} does not admit tasks from namespace {namespace:?} (spec.allowedNamespaces)"
            ),
            false,
        ));
    }
    let placement = placement::placement_for(&cluster, namespace, strategy, constraints, group)
        .map_err(|e| Refusal::new(PLACED, reasons::PLACEMENT, e.to_string(), false))?;
    Ok((cluster, placement))
}

/// Holds the translated Pod to the cluster's task security policy and the namespace's Pod Security
/// level, hardening it where the level requires; a refusal names each field, rule and setting. Runs
/// before any Pod or workload exists, so a refused task or service leaves nothing half-created.
pub fn secure(
    cluster: &EcsCluster,
    namespace: &str,
    namespace_level: Option<PodSecurityLevel>,
    task_definition: &crate::api::TaskDefinitionSpec,
    translated: &mut TranslatedPod,
) -> Result<(), Refusal> {
    let policy = cluster.spec.task_security.clone().unwrap_or_default();
    let cluster_name = cluster.metadata.name.clone().unwrap_or_default();
    let inputs = SecurityInputs {
        cluster: &cluster_name,
        policy: &policy,
        namespace,
        namespace_level,
        task_definition,
        containers: &translated.containers,
    };
    let Some(spec) = translated.template.spec.as_mut() else { return Ok(()) };
    pod_security::secure(spec, &inputs)
        .map_err(|r| Refusal::new(crate::api::conditions::VALID, r.reason, r.message, false))
}

/// A reference that did not resolve. Not registered yet may just mean the TaskDefinition controller
/// has not caught up (or the definition is applied together with its user): that waits a moment.
pub fn unresolved(error: &ResolveError) -> Refusal {
    let transient = matches!(
        error,
        ResolveError::Read(_) | ResolveError::FamilyNotFound { .. } | ResolveError::NoActiveRevision { .. }
    );
    Refusal::new(crate::api::conditions::VALID, reasons::TASK_DEFINITION, error.to_string(), transient)
}
