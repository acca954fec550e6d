//! The observe half of admission, shared by the Task and Service controllers: the cluster, the
//! namespace's Pod Security level and the task definition's revision, read from the read model and
//! handed to the pure checks in `kube_ecs_domain::admission`.

use crate::api::EcsCluster;
use crate::api::common::{CapacityProviderStrategyItem, PlacementConstraint};
use crate::cluster::placement::{self, Placement};
use crate::context::Context;
use crate::error::Error;
use crate::translate::TranslatedPod;
pub use kube_ecs_domain::refusal::{PLACED, Refusal, reasons};

/// How long a transient refusal waits before the next look, unless a change of what it waits for
/// (a TaskDefinition, its snapshot, the cluster) triggers the reconcile sooner.
pub const WAIT_RETRY: std::time::Duration = std::time::Duration::from_secs(10);

/// What a refusal does next: waiting (transient) is a requeue, not an error; the others wait for a
/// change.
pub fn outcome(refusal: &Refusal) -> Result<kube::runtime::controller::Action, Error> {
    use kube::runtime::controller::Action;
    if refusal.transient {
        tracing::info!(reason = refusal.reason, message = %refusal.message, "waiting for a dependency");
        Ok(Action::requeue(WAIT_RETRY))
    } else {
        Ok(Action::await_change())
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
    let cluster = ctx.caches().cluster(cluster_name);
    kube_ecs_domain::admission::admit(cluster_name, cluster, namespace, strategy, constraints, group)
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
    let refuse = |e: ResolveError| kube_ecs_domain::admission::unresolved(&e);
    // Only the TaskDefinitions of the family can match; an unparsable reference is refused by `select`.
    let candidates = match revisions::Reference::parse(reference) {
        Ok(parsed) => caches.definitions_of_family(namespace, &parsed.family),
        Err(_) => Vec::new(),
    };
    let selected = revisions::select(&candidates, namespace, reference, allow_inactive).map_err(refuse)?;
    // A snapshot is immutable, so the cached copy is as good as a fresh one. One not cached yet
    // arrives in a moment, and its arrival triggers the tasks and services of its family.
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

/// The task security decision for `namespace` (its Pod Security level from the read model).
pub fn secure(
    ctx: &Context,
    cluster: &EcsCluster,
    namespace: &str,
    task_definition: &crate::api::TaskDefinitionSpec,
    translated: &mut TranslatedPod,
) -> Result<(), Refusal> {
    let level = ctx.caches().namespace_pod_security(namespace);
    kube_ecs_domain::admission::secure(cluster, namespace, level, task_definition, translated)
}
