//! TaskDefinition controller: registers each distinct spec as the family's next immutable revision
//! (a ControllerRevision snapshot) and reports revisions and their ACTIVE/INACTIVE status.
//!
//! Pipeline: validate (pure) -> find existing snapshots (client) -> create the next snapshot if the
//! spec changed (client; create, never update, so a snapshot cannot change) -> status (pure) -> one
//! status apply, skipped when nothing changed.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, ListParams, PostParams};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;

use crate::api::conditions::{self, DesiredCondition};
use crate::api::task_definition::{RevisionRecord, TaskDefinition, TaskDefinitionStatus};
use crate::apply;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::labels;
use crate::revisions::{self, RevisionStatus};

/// Condition reasons.
pub mod reasons {
    pub const REGISTERED: &str = "Registered";
    pub const INVALID: &str = "InvalidTaskDefinition";
    pub const FAMILY_CONFLICT: &str = "FamilyConflict";
    pub const VALID: &str = "Valid";
}

pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let definitions: Api<DeserializeGuard<TaskDefinition>> = Api::all(ctx.client.clone());
    let snapshots: Api<ControllerRevision> = Api::all(ctx.client.clone());
    Controller::new(definitions, watcher::Config::default())
        .owns(snapshots, watcher::Config::default().labels(labels::TASK_DEFINITION_NAME))
        .trigger_backoff(super::WatchBackoff::default())
        .reconcile_all_on(ctx.resync_requests())
        .graceful_shutdown_on(shutdown)
        .run(|guard, ctx| super::unguarded(guard, ctx, reconcile), super::error_policy, ctx)
        .for_each(|_| futures::future::ready(()))
        .await;
}

#[tracing::instrument(skip_all, fields(name = %td.name_any(), namespace = td.namespace().unwrap_or_default()))]
async fn reconcile(td: Arc<TaskDefinition>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = td.namespace().unwrap_or_default();
    let name = td.name_any();
    let definitions: Api<TaskDefinition> = Api::namespaced(ctx.client.clone(), &namespace);
    let snapshots: Api<ControllerRevision> = Api::namespaced(ctx.client.clone(), &namespace);
    let family = revisions::family_of(&td);
    let now = Time(jiff::Timestamp::now());
    let previous = td.status.clone().unwrap_or_default();

    let issues = validate(&td);
    let conflict = family_conflict(&definitions, &td, &family).await?;
    let existing = existing_revisions(&snapshots, &name).await?;

    let mut status = TaskDefinitionStatus { family: Some(family.clone()), ..previous.clone() };
    status.observed_generation = td.metadata.generation;
    if let Some(problem) = issues.first().cloned().or(conflict.clone()) {
        let reason = if conflict.is_some() && issues.is_empty() { reasons::FAMILY_CONFLICT } else { reasons::INVALID };
        let message = if issues.len() > 1 { format!("{problem} (and {} more)", issues.len() - 1) } else { problem };
        conditions::set(
            &mut status.conditions,
            DesiredCondition::new(conditions::VALID, false, reason, &message),
            td.metadata.generation,
            &now,
        );
        conditions::set(
            &mut status.conditions,
            DesiredCondition::new(conditions::READY, false, reason, &message),
            td.metadata.generation,
            &now,
        );
        conditions::set(
            &mut status.conditions,
            DesiredCondition::new(conditions::STALLED, true, reason, &message),
            td.metadata.generation,
            &now,
        );
        fill_records(&mut status, &td, &existing);
        if status != previous {
            ctx.event(td.as_ref(), true, reason, "Register", &message).await;
            apply::apply_status(&definitions, &name, serde_json::to_value(&status)?).await?;
        }
        return Ok(Action::await_change());
    }

    let content = revisions::revision_content(&td.spec);
    let hash = revisions::content_hash(&content)?;
    let latest = existing.iter().max_by_key(|r| r.revision);
    let mut all = existing.clone();
    let current = match latest {
        Some(snapshot) if snapshot_hash(snapshot) == Some(hash.as_str()) => snapshot.revision,
        _ => {
            let next = latest.map_or(1, |s| s.revision + 1);
            let snapshot = revisions::build_snapshot(&td, next, &content, &hash)?;
            match snapshots.create(&PostParams::default(), &snapshot).await {
                Ok(created) => all.push(created),
                // Someone (a previous incarnation) got there first: the list will show it next time.
                Err(kube::Error::Api(e)) if e.code == 409 => {
                    return Ok(Action::requeue(std::time::Duration::from_millis(200)));
                }
                Err(e) => return Err(e.into()),
            }
            ctx.event(
                td.as_ref(),
                false,
                reasons::REGISTERED,
                "Register",
                format!("registered task definition {family}:{next}"),
            )
            .await;
            next
        }
    };

    status.revision = Some(current);
    status.task_definition = Some(format!("{family}:{current}"));
    status.container_count = Some(td.spec.container_definitions.len() as i64);
    fill_records(&mut status, &td, &all);
    let revision_status = revision_status(&td, current);
    status.status = Some(revision_status);
    let message = format!("{family}:{current} is {revision_status}");
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::VALID, true, reasons::VALID, "the task definition is valid"),
        td.metadata.generation,
        &now,
    );
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::READY, true, reasons::REGISTERED, message),
        td.metadata.generation,
        &now,
    );
    conditions::remove(&mut status.conditions, conditions::STALLED);
    if status != previous {
        apply::apply_status(&definitions, &name, serde_json::to_value(&status)?).await?;
    }
    Ok(Action::await_change())
}

/// Spec problems the API server's schema cannot catch.
fn validate(td: &TaskDefinition) -> Vec<String> {
    crate::api::task_definition_validation::validate_task_definition(&td.spec)
        .into_iter()
        .map(|issue| format!("{}: {}", issue.field, issue.message))
        .collect()
}

/// Another TaskDefinition in the namespace already holds this family (the older one keeps it).
async fn family_conflict(api: &Api<TaskDefinition>, td: &TaskDefinition, family: &str) -> Result<Option<String>> {
    let others = api.list(&ListParams::default()).await?;
    let mine = td.metadata.creation_timestamp.clone();
    Ok(others
        .items
        .into_iter()
        .filter(|o| o.metadata.uid != td.metadata.uid && revisions::family_of(o) == family)
        .find(|o| {
            o.metadata.creation_timestamp < mine
                || (o.metadata.creation_timestamp == mine && o.name_any() < td.name_any())
        })
        .map(|o| format!("family {family:?} is already registered by TaskDefinition {}", o.name_any())))
}

async fn existing_revisions(api: &Api<ControllerRevision>, td_name: &str) -> Result<Vec<ControllerRevision>, Error> {
    let selector = format!("{}={}", labels::TASK_DEFINITION_NAME, labels::value(td_name));
    Ok(api.list(&ListParams::default().labels(&selector)).await?.items)
}

fn snapshot_hash(snapshot: &ControllerRevision) -> Option<&str> {
    snapshot.metadata.labels.as_ref().and_then(|l| l.get(labels::SPEC_HASH)).map(String::as_str)
}

fn fill_records(status: &mut TaskDefinitionStatus, td: &TaskDefinition, snapshots: &[ControllerRevision]) {
    let mut records: Vec<RevisionRecord> = snapshots
        .iter()
        .map(|s| RevisionRecord {
            revision: s.revision,
            status: revision_status(td, s.revision),
            registered_at: s.metadata.creation_timestamp.clone(),
            snapshot: s.metadata.name.clone(),
        })
        .collect();
    records.sort_by_key(|r| r.revision);
    status.revisions = records;
}

/// INACTIVE once the user deregistered the revision (listed in `deregisteredRevisions`).
fn revision_status(td: &TaskDefinition, revision: i64) -> RevisionStatus {
    if td.spec.deregistered_revisions.contains(&revision) { RevisionStatus::Inactive } else { RevisionStatus::Active }
}
