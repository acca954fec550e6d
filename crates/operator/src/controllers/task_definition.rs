//! TaskDefinition controller: registers each distinct spec as the family's next immutable revision
//! (a ControllerRevision snapshot) and reports revisions and their ACTIVE/INACTIVE status.
//!
//! Pipeline: validate (pure) -> the family's other TaskDefinitions and this one's snapshots (shared
//! caches) -> the revision number (pure, `registration`) -> create the next snapshot if the spec
//! changed (client; create, never update, so a snapshot cannot change) -> status (pure) -> one status
//! apply, skipped when nothing changed. Reads nothing from the API server: a burst of reconciles must
//! not spend the client's request budget on LISTs.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, PostParams};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;

use crate::api::task_definition::{TaskDefinition, TaskDefinitionStatus};
use crate::apply;
use crate::caches::Changes;
use crate::context::Context;
use crate::error::Result;
use crate::registration::{self, Registration};
use crate::revisions;
use crate::task_definition_plan as plan;

pub use crate::task_definition_plan::reasons;

/// The shared watches the TaskDefinition controller reacts to.
pub struct Triggers {
    pub definitions: Changes<DeserializeGuard<TaskDefinition>>,
    /// The same watch again, for the family's other TaskDefinitions.
    pub peers: Changes<DeserializeGuard<TaskDefinition>>,
    pub snapshots: Changes<ControllerRevision>,
}

/// How soon to look again when the cache has not caught up with a snapshot.
const CACHE_RETRY: Duration = Duration::from_millis(200);

pub async fn run(
    ctx: Arc<Context>,
    shared: Triggers,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let caches = ctx.caches().clone();
    let controller = Controller::for_shared_stream(shared.definitions, ctx.caches().definitions.clone())
        .with_config(super::runner::config())
        // A snapshot triggers the TaskDefinition owning it.
        .owns_shared_stream(shared.snapshots)
        // Which object holds a family depends on the others of the family: when one appears, changes
        // or goes, the others look again (the older one keeps the family; a newer one takes it over).
        .watches_shared_stream(shared.peers, move |changed| {
            let Ok(td) = &changed.0 else { return Vec::new() };
            let namespace = td.namespace().unwrap_or_default();
            caches
                .definitions_of_family(&namespace, &revisions::family_of(td))
                .iter()
                .filter(|peer| peer.metadata.uid != td.metadata.uid)
                .map(|peer| ObjectRef::new(&peer.name_any()).within(&namespace))
                .collect::<Vec<_>>()
        });
    super::runner::run(controller, ctx, shutdown, reconcile).await;
}

#[tracing::instrument(skip_all, fields(name = %td.name_any(), namespace = td.namespace().unwrap_or_default()))]
async fn reconcile(td: Arc<TaskDefinition>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = td.namespace().unwrap_or_default();
    let name = td.name_any();
    let definitions: Api<TaskDefinition> = Api::namespaced(ctx.client.clone(), &namespace);
    let snapshots: Api<ControllerRevision> = Api::namespaced(ctx.client.clone(), &namespace);
    let family = revisions::family_of(&td);
    let now = Time(jiff::Timestamp::now());
    let key = format!("{namespace}/{name}");
    ctx.caches().ready().await;
    // Our last status write, when the cached TaskDefinition does not show it yet: it records the
    // revisions registered so far, which the numbering must not lose sight of.
    let previous = ctx
        .definition_status_writes
        .unseen_write(&key, td.metadata.resource_version.as_deref())
        .unwrap_or_else(|| td.status.clone().unwrap_or_default());

    let issues = plan::validate(&td);
    let peers = ctx.caches().definitions_of_family(&namespace, &family);
    let conflict = plan::family_conflict(&td, &family, peers.iter().map(|p| &**p));
    // Handles into the cache: snapshots are immutable, so they are never copied.
    let existing = ctx.caches().snapshots_of(&namespace, &name);
    let content = revisions::revision_content(&td.spec);
    let hash = revisions::content_hash(&content)?;
    let decided = registration::registration(
        &existing.iter().map(AsRef::as_ref).collect::<Vec<_>>(),
        &previous.revisions,
        &hash,
        jiff::Timestamp::now(),
    );
    // Deciding (or even reporting the records) on a cache without a snapshot the status records
    // would lose that revision: wait for it, it was created before the status was written.
    if let Registration::AwaitCache { revision } = decided {
        tracing::debug!(revision, "waiting for a registered snapshot to reach the cache");
        return Ok(Action::requeue(CACHE_RETRY));
    }

    if let Some((status, reason, message)) = plan::refused(&td, &family, &previous, &issues, conflict, &existing, &now)
    {
        if status != previous {
            ctx.event(td.as_ref(), "Register", &crate::event::EcsEvent::warning(reason, message)).await;
            write_status(&ctx, &definitions, &td, &key, status).await?;
        }
        return Ok(Action::await_change());
    }

    let mut all = existing.clone();
    let current = match decided {
        Registration::Current(revision) => revision,
        // Handled above.
        Registration::AwaitCache { .. } => return Ok(Action::requeue(CACHE_RETRY)),
        Registration::Create(next) => {
            let snapshot = revisions::build_snapshot(&td, next, &content, &hash)?;
            match snapshots.create(&PostParams::default(), &snapshot).await {
                Ok(created) => all.push(Arc::new(created)),
                // The name holds the number, so the API server refuses a second revision `next`:
                // someone (a previous incarnation) registered it and the cache does not show it yet.
                // Decide again once it does.
                Err(kube::Error::Api(e)) if e.code == 409 => {
                    return Ok(Action::requeue(CACHE_RETRY));
                }
                Err(e) => return Err(e.into()),
            }
            ctx.event(
                td.as_ref(),
                "Register",
                &crate::event::EcsEvent::normal(
                    reasons::REGISTERED,
                    format!("registered task definition {family}:{next}"),
                ),
            )
            .await;
            next
        }
    };

    let status = plan::registered(&td, &family, &previous, current, &all, &now);
    if status != previous {
        write_status(&ctx, &definitions, &td, &key, status).await?;
    }
    Ok(Action::await_change())
}

/// Applies the status and remembers it until the cache shows it (see `registration`).
async fn write_status(
    ctx: &Context,
    api: &Api<TaskDefinition>,
    td: &TaskDefinition,
    key: &str,
    status: TaskDefinitionStatus,
) -> Result<()> {
    let updated = apply::apply_status(api, &td.name_any(), serde_json::to_value(&status)?).await?;
    let produced = updated.metadata.resource_version;
    ctx.definition_status_writes.wrote(key, td.metadata.resource_version.clone(), produced, status);
    Ok(())
}
