//! Whether a Task or Service may run on its EcsCluster, and where: shared by both controllers.

use crate::api::EcsCluster;
use crate::api::common::{CapacityProviderStrategyItem, PlacementConstraint};
use crate::cluster::placement::{self, Placement};
use crate::context::Context;
use crate::error::Error;
use crate::pod_security::{self, SecurityInputs};
use crate::translate::TranslatedPod;

/// Condition type for placement problems.
pub const PLACED: &str = "Placed";

/// Reasons a workload cannot be admitted.
pub mod reasons {
    pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
    pub const NAMESPACE_NOT_ALLOWED: &str = "NamespaceNotAllowed";
    pub const PLACEMENT: &str = "InvalidPlacement";
    pub const TASK_DEFINITION: &str = "TaskDefinitionUnavailable";
    pub const TRANSLATION: &str = "InvalidTaskDefinition";
}

/// Something that keeps a Task or Service from starting: which condition it sets and why.
#[derive(Debug)]
pub struct Refusal {
    pub condition: &'static str,
    pub reason: &'static str,
    pub message: String,
    /// Transient problems are returned as errors (backoff); user problems wait for a change.
    pub retry: Option<Error>,
}

impl Refusal {
    pub fn new(condition: &'static str, reason: &'static str, message: String, transient: bool) -> Self {
        Self { condition, reason, retry: transient.then(|| Error::MissingDependency(message.clone())), message }
    }
}

/// Checks the cluster exists and admits `namespace`, and computes the placement of its pods.
pub async fn admit(
    ctx: &Context,
    cluster_name: &str,
    namespace: &str,
    strategy: &[CapacityProviderStrategyItem],
    constraints: &[PlacementConstraint],
    group: placement::GroupLabel<'_>,
) -> Result<(EcsCluster, Placement), Refusal> {
    ctx.caches().ready().await;
    let cluster = ctx
        .caches()
        .cluster(cluster_name)
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

/// Resolves a task-definition reference for starting work; a deregistered revision is refused unless
/// `allow_inactive` (work that already runs it).
///
/// Reads the caches only. A revision the TaskDefinition's status records whose snapshot has not
/// reached the cache yet is a transient refusal: the Task and Service controllers are triggered again
/// when the snapshot arrives (they watch the snapshots, see `task::run` and `service::run`).
pub async fn resolve(
    ctx: &Context,
    namespace: &str,
    reference: &str,
    allow_inactive: bool,
) -> Result<crate::revisions::ResolvedRevision, Refusal> {
    use crate::revisions::{self, ResolveError};
    let caches = ctx.caches();
    caches.ready().await;
    let refuse = |e: ResolveError| {
        // Not registered yet may just mean the TaskDefinition controller has not caught up.
        let transient = matches!(
            e,
            ResolveError::Read(_) | ResolveError::FamilyNotFound { .. } | ResolveError::NoActiveRevision { .. }
        );
        Refusal::new(crate::api::conditions::VALID, reasons::TASK_DEFINITION, e.to_string(), transient)
    };
    // Only the TaskDefinitions of the family can match; an unparsable reference is refused by `select`.
    let candidates = match revisions::Reference::parse(reference) {
        Ok(parsed) => caches.definitions_of_family(namespace, &parsed.family),
        Err(_) => Vec::new(),
    };
    let selected = revisions::select(&candidates, namespace, reference, allow_inactive).map_err(refuse)?;
    // A snapshot is immutable, so the cached copy is as good as a fresh one.
    match caches.snapshot(namespace, &selected.snapshot_name()) {
        Some(snapshot) => selected.with_snapshot(&snapshot).map_err(refuse),
        None => Err(Refusal::new(
            crate::api::conditions::VALID,
            reasons::TASK_DEFINITION,
            format!("task definition {} is registered; waiting for its snapshot to be cached", selected.reference),
            true,
        )),
    }
}

/// Holds the translated Pod to the cluster's task security policy and the namespace's Pod Security
/// level, hardening it where the level requires; a refusal names each field, rule and setting. Runs
/// before any Pod or workload exists, so a refused task or service leaves nothing half-created.
pub fn secure(
    ctx: &Context,
    cluster: &EcsCluster,
    namespace: &str,
    task_definition: &crate::api::TaskDefinitionSpec,
    translated: &mut TranslatedPod,
) -> Result<(), Refusal> {
    let policy = cluster.spec.task_security.clone().unwrap_or_default();
    let cluster_name = kube::ResourceExt::name_any(cluster);
    let inputs = SecurityInputs {
        cluster: &cluster_name,
        policy: &policy,
        namespace,
        namespace_level: ctx.caches().namespace_pod_security(namespace),
        task_definition,
        containers: &translated.containers,
    };
    let Some(spec) = translated.template.spec.as_mut() else { return Ok(()) };
    pod_security::secure(spec, &inputs)
        .map_err(|r| Refusal::new(crate::api::conditions::VALID, r.reason, r.message, false))
}
