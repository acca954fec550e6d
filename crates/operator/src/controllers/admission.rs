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

/// The error a refusal is returned as: transient ones retry soon, the others wait for a change.
pub fn outcome(refusal: &Refusal) -> Result<kube::runtime::controller::Action, Error> {
    if refusal.transient {
        Err(Error::MissingDependency(refusal.message.clone()))
    } else {
        Ok(kube::runtime::controller::Action::await_change())
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
pub async fn resolve(
    ctx: &Context,
    namespace: &str,
    reference: &str,
    allow_inactive: bool,
) -> Result<crate::revisions::ResolvedRevision, Refusal> {
    use crate::revisions::{self, ResolveError};
    let caches = ctx.caches();
    caches.ready().await;
    let resolved = async {
        let selected = revisions::select(&caches.definitions_in(namespace), namespace, reference, allow_inactive)?;
        // A snapshot is immutable, so a cached copy is as good as a fresh one; it may lag the
        // TaskDefinition's status by a moment, then it is read once.
        match caches.snapshot(namespace, &selected.snapshot_name()) {
            Some(snapshot) => selected.with_snapshot(&snapshot),
            None => {
                let snapshots: kube::Api<k8s_openapi::api::apps::v1::ControllerRevision> =
                    kube::Api::namespaced(ctx.client.clone(), namespace);
                let snapshot =
                    snapshots.get(&selected.snapshot_name()).await.map_err(|e| ResolveError::Read(e.to_string()))?;
                selected.with_snapshot(&snapshot)
            }
        }
    };
    resolved.await.map_err(|e: ResolveError| kube_ecs_domain::admission::unresolved(&e))
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
