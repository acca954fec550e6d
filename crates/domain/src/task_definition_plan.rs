//! A TaskDefinition's status as a pure plan: refused (invalid, or its family already held by an
//! older TaskDefinition) or registered as `family:revision` with every revision's record. The
//! numbering itself is `registration`; the controller observes the caches, creates a snapshot when
//! `registration` says so, and applies what this returns.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::conditions::{self, Conditions};
use crate::api::ecs::RevisionStatus;
use crate::api::task_definition::{RevisionRecord, TaskDefinition, TaskDefinitionStatus};

pub use crate::api::conditions::reasons::task_definition as reasons;

/// Spec problems the API server's schema cannot catch.
pub fn validate(td: &TaskDefinition) -> Vec<String> {
    crate::api::task_definition_validation::validate_task_definition(&td.spec)
        .into_iter()
        .map(|issue| format!("{}: {}", issue.field, issue.message))
        .collect()
}

/// Another TaskDefinition of the namespace (`peers`: those of the same family) already holds the
/// family: the older one keeps it (by creation, then name).
pub fn family_conflict<'a>(
    td: &TaskDefinition,
    family: &str,
    peers: impl IntoIterator<Item = &'a TaskDefinition>,
) -> Option<String> {
    let mine = (&td.metadata.creation_timestamp, &td.metadata.name);
    peers
        .into_iter()
        .filter(|o| o.metadata.uid != td.metadata.uid)
        .find(|o| (&o.metadata.creation_timestamp, &o.metadata.name) < mine)
        .map(|o| {
            format!(
                "family {family:?} is already registered by TaskDefinition {}",
                o.metadata.name.clone().unwrap_or_default()
            )
        })
}

/// INACTIVE once the user deregistered the revision (listed in `deregisteredRevisions`).
pub fn revision_status(td: &TaskDefinition, revision: i64) -> RevisionStatus {
    if td.spec.deregistered_revisions.contains(&revision) { RevisionStatus::Inactive } else { RevisionStatus::Active }
}

/// Every revision's record, in revision order.
pub fn records(td: &TaskDefinition, snapshots: &[Arc<ControllerRevision>]) -> Vec<RevisionRecord> {
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
    records
}

fn base(td: &TaskDefinition, family: &str, previous: &TaskDefinitionStatus) -> TaskDefinitionStatus {
    TaskDefinitionStatus {
        family: Some(family.to_string()),
        observed_generation: td.metadata.generation,
        ..previous.clone()
    }
}

/// The status of a definition refused for `issues` or a family `conflict`, with the Event's reason
/// and message; `None` when neither applies.
pub fn refused(
    td: &TaskDefinition,
    family: &str,
    previous: &TaskDefinitionStatus,
    issues: &[String],
    conflict: Option<String>,
    snapshots: &[Arc<ControllerRevision>],
    now: &Time,
) -> Option<(TaskDefinitionStatus, &'static str, String)> {
    let problem = issues.first().cloned().or(conflict.clone())?;
    let reason = if conflict.is_some() && issues.is_empty() { reasons::FAMILY_CONFLICT } else { reasons::INVALID };
    let message = if issues.len() > 1 { format!("{problem} (and {} more)", issues.len() - 1) } else { problem };
    let mut status = base(td, family, previous);
    Conditions::of(&mut status.conditions, td.metadata.generation, now)
        .set(conditions::VALID, false, reason, &message)
        .set(conditions::READY, false, reason, &message)
        .set(conditions::STALLED, true, reason, &message);
    status.revisions = records(td, snapshots);
    Some((status, reason, message))
}

/// The status of a definition registered as `family:current`.
pub fn registered(
    td: &TaskDefinition,
    family: &str,
    previous: &TaskDefinitionStatus,
    current: i64,
    snapshots: &[Arc<ControllerRevision>],
    now: &Time,
) -> TaskDefinitionStatus {
    let mut status = base(td, family, previous);
    status.revision = Some(current);
    status.task_definition = Some(format!("{family}:{current}"));
    status.container_count = Some(td.spec.container_definitions.len() as i64);
    status.revisions = records(td, snapshots);
    let state = revision_status(td, current);
    status.status = Some(state);
    Conditions::of(&mut status.conditions, td.metadata.generation, now)
        .set(conditions::VALID, true, reasons::VALID, "the task definition is valid")
        .set(conditions::READY, true, reasons::REGISTERED, format!("{family}:{current} is {state}"))
        .remove(conditions::STALLED);
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(name: &str, created: i64, spec: serde_json::Value) -> TaskDefinition {
        let at = jiff::Timestamp::from_second(1_800_000_000 + created).expect("time");
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name, "namespace": "ns", "uid": name, "generation": 3, "creationTimestamp": at.to_string()},
            "spec": spec,
        }))
        .expect("task definition")
    }

    fn snapshot(revision: i64) -> Arc<ControllerRevision> {
        Arc::new(
            serde_json::from_value(
                serde_json::json!({"metadata": {"name": format!("web-{revision}")}, "revision": revision}),
            )
            .expect("snapshot"),
        )
    }

    fn now() -> Time {
        Time(jiff::Timestamp::from_second(1_800_000_100).expect("time"))
    }

    const WEB: &str = r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "web:1"}]}"#;

    fn spec(extra: serde_json::Value) -> serde_json::Value {
        let mut spec: serde_json::Value = serde_json::from_str(WEB).expect("spec");
        if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        spec
    }

    #[test]
    fn a_registered_definition_reports_its_revision_and_every_record() {
        let web = td("web", 0, spec(serde_json::json!({"deregisteredRevisions": [1]})));
        let status = registered(&web, "web", &TaskDefinitionStatus::default(), 2, &[snapshot(2), snapshot(1)], &now());
        assert_eq!(status.task_definition.as_deref(), Some("web:2"));
        assert_eq!(status.status, Some(RevisionStatus::Active));
        let records: Vec<(i64, RevisionStatus)> = status.revisions.iter().map(|r| (r.revision, r.status)).collect();
        assert_eq!(records, [(1, RevisionStatus::Inactive), (2, RevisionStatus::Active)], "deregistered: INACTIVE");
        assert!(conditions::is_true(&status.conditions, conditions::READY));
        assert_eq!(status.observed_generation, Some(3));
    }

    #[test]
    fn an_older_definition_keeps_its_family() {
        let older = td("web", 0, spec(serde_json::json!({})));
        let newer = td("web-copy", 5, spec(serde_json::json!({})));
        assert_eq!(family_conflict(&older, "web", [&older, &newer]), None);
        let conflict = family_conflict(&newer, "web", [&older, &newer]).expect("conflict");
        assert!(conflict.contains("already registered by TaskDefinition web"), "{conflict}");
        let (status, reason, _) =
            refused(&newer, "web", &TaskDefinitionStatus::default(), &[], Some(conflict), &[], &now())
                .expect("refused");
        assert_eq!(reason, reasons::FAMILY_CONFLICT);
        assert!(conditions::is_true(&status.conditions, conditions::STALLED));
        assert!(!conditions::is_true(&status.conditions, conditions::READY));
    }

    #[test]
    fn spec_problems_win_over_a_conflict_and_are_counted() {
        let web = td("web", 0, spec(serde_json::json!({})));
        let issues = vec!["a: bad".to_string(), "b: bad".to_string()];
        let (_, reason, message) =
            refused(&web, "web", &TaskDefinitionStatus::default(), &issues, Some("taken".into()), &[], &now())
                .expect("refused");
        assert_eq!((reason, message.as_str()), (reasons::INVALID, "a: bad (and 1 more)"));
        assert_eq!(refused(&web, "web", &TaskDefinitionStatus::default(), &[], None, &[], &now()), None);
    }
}
