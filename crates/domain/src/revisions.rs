//! Task-definition revisions: immutable snapshots of a TaskDefinition's spec, one per distinct spec,
//! stored as ControllerRevision objects owned by the TaskDefinition, and the selection that turns a
//! `family` or `family:revision` reference into a snapshot.
//!
//! A snapshot never changes after creation (it is created, never applied), so tasks and services keep
//! running exactly the revision they started with while the TaskDefinition moves on.

use k8s_openapi::api::apps::v1::ControllerRevision;
use sha2::{Digest, Sha256};

use crate::api::task_definition::{TaskDefinition, TaskDefinitionSpec};
use crate::labels;

/// ACTIVE revisions may start new tasks and services; INACTIVE (deregistered) ones keep what runs
/// running and start nothing new.
pub use crate::api::ecs::RevisionStatus;

/// A task-definition reference: `family` (latest ACTIVE revision) or `family:revision`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub family: String,
    pub revision: Option<i64>,
}

impl Reference {
    /// Parses `family` or `family:revision`; also accepts a full ECS task-definition ARN.
    pub fn parse(reference: &str) -> Result<Self, String> {
        let tail = reference.rsplit_once("task-definition/").map_or(reference, |(_, t)| t);
        let (family, revision) = match tail.rsplit_once(':') {
            Some((family, rev)) => {
                let rev: i64 = rev.parse().map_err(|_| {
                    format!("invalid task definition reference {reference:?}: revision must be a number")
                })?;
                (family, Some(rev))
            }
            None => (tail, None),
        };
        if family.is_empty() {
            return Err(format!("invalid task definition reference {reference:?}: empty family"));
        }
        Ok(Self { family: family.to_string(), revision })
    }
}

/// The spec content that defines a revision: everything but the deregistration list.
pub fn revision_content(spec: &TaskDefinitionSpec) -> TaskDefinitionSpec {
    TaskDefinitionSpec { deregistered_revisions: Vec::new(), ..spec.clone() }
}

/// Stable hash of a revision's content (canonical JSON: struct fields in declaration order, maps sorted).
pub fn content_hash(content: &TaskDefinitionSpec) -> Result<String, serde_json::Error> {
    let bytes = serde_json::to_vec(content)?;
    Ok(hex::encode(&Sha256::digest(&bytes)[..8]))
}

/// The family of a TaskDefinition: `spec.family`, or the object's name.
pub fn family_of(td: &TaskDefinition) -> String {
    td.spec.family.clone().unwrap_or_else(|| td.metadata.name.clone().unwrap_or_default())
}

/// Name of the ControllerRevision holding revision `revision` of the TaskDefinition `td_name`.
pub fn snapshot_name(td_name: &str, revision: i64) -> String {
    labels::child_name(td_name, &format!("-{revision}"), 253)
}

/// A resolved revision, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedRevision {
    /// `family:revision`.
    pub reference: String,
    pub family: String,
    pub revision: i64,
    /// Name of the TaskDefinition object.
    pub task_definition_name: String,
    pub spec: TaskDefinitionSpec,
    pub status: RevisionStatus,
}

/// Why a reference could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}")]
    InvalidReference(String),
    #[error("task definition family {family:?} is not registered in namespace {namespace:?}")]
    FamilyNotFound { family: String, namespace: String },
    #[error("task definition {family}:{revision} does not exist")]
    RevisionNotFound { family: String, revision: i64 },
    #[error("task definition family {family:?} has no ACTIVE revision")]
    NoActiveRevision { family: String },
    #[error("task definition {reference} is INACTIVE (deregistered): it cannot start new tasks or services")]
    Inactive { reference: String },
    /// The API server could not be read (transient).
    #[error("reading the task definition: {0}")]
    Read(String),
    #[error("task definition snapshot {name} is unreadable: {reason}")]
    CorruptSnapshot { name: String, reason: String },
}

impl ResolveError {
    /// Whether the user (or the TaskDefinition controller catching up) must act: not a transient error.
    pub fn is_missing(&self) -> bool {
        !matches!(self, ResolveError::Read(_))
    }
}

/// Which revision a reference names, before its snapshot is read.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    pub reference: String,
    pub family: String,
    pub revision: i64,
    pub task_definition_name: String,
    pub status: RevisionStatus,
}

impl Selected {
    pub fn snapshot_name(&self) -> String {
        snapshot_name(&self.task_definition_name, self.revision)
    }

    /// Completes the resolution with the revision's snapshot.
    pub fn with_snapshot(self, snapshot: &ControllerRevision) -> Result<ResolvedRevision, ResolveError> {
        let spec = snapshot_spec(snapshot)
            .map_err(|reason| ResolveError::CorruptSnapshot { name: self.snapshot_name(), reason })?;
        Ok(ResolvedRevision {
            reference: self.reference,
            family: self.family,
            revision: self.revision,
            task_definition_name: self.task_definition_name,
            spec,
            status: self.status,
        })
    }
}

/// Selects the revision `reference` names among `definitions` (the TaskDefinitions of `namespace`).
/// With `allow_inactive`, an INACTIVE revision is selected too (for work that already runs it).
/// (Copies or cache handles: anything that borrows as a TaskDefinition.)
pub fn select<D: std::borrow::Borrow<TaskDefinition>>(
    definitions: &[D],
    namespace: &str,
    reference: &str,
    allow_inactive: bool,
) -> Result<Selected, ResolveError> {
    let parsed = Reference::parse(reference).map_err(ResolveError::InvalidReference)?;
    // Usual case: family == object name; otherwise the object whose family it is.
    let td = definitions
        .iter()
        .map(std::borrow::Borrow::borrow)
        .find(|td| td.metadata.name.as_deref() == Some(parsed.family.as_str()) && family_of(td) == parsed.family)
        .or_else(|| definitions.iter().map(std::borrow::Borrow::borrow).find(|td| family_of(td) == parsed.family))
        .ok_or_else(|| ResolveError::FamilyNotFound { family: parsed.family.clone(), namespace: namespace.into() })?;
    let records = td.status.as_ref().map(|s| s.revisions.clone()).unwrap_or_default();
    let record = match parsed.revision {
        Some(rev) => records
            .iter()
            .find(|r| r.revision == rev)
            .ok_or(ResolveError::RevisionNotFound { family: parsed.family.clone(), revision: rev })?,
        None => records
            .iter()
            .filter(|r| r.status == RevisionStatus::Active)
            .max_by_key(|r| r.revision)
            .ok_or(ResolveError::NoActiveRevision { family: parsed.family.clone() })?,
    };
    let reference = format!("{}:{}", parsed.family, record.revision);
    if record.status != RevisionStatus::Active && !allow_inactive {
        return Err(ResolveError::Inactive { reference });
    }
    Ok(Selected {
        reference,
        family: parsed.family,
        revision: record.revision,
        task_definition_name: td.metadata.name.clone().unwrap_or_default(),
        status: record.status,
    })
}

/// The spec stored in a snapshot.
pub fn snapshot_spec(snapshot: &ControllerRevision) -> Result<TaskDefinitionSpec, String> {
    let data = snapshot.data.as_ref().ok_or("no data")?;
    let spec = data.0.get("spec").ok_or("no spec in data")?;
    serde_json::from_value(spec.clone()).map_err(|e| e.to_string())
}

/// Builds the snapshot object for a new revision (owned by the TaskDefinition).
pub fn build_snapshot(
    td: &TaskDefinition,
    revision: i64,
    content: &TaskDefinitionSpec,
    hash: &str,
) -> Result<ControllerRevision, serde_json::Error> {
    let td_name = td.metadata.name.clone().unwrap_or_default();
    let owner = kube::Resource::controller_owner_ref(td, &());
    serde_json::from_value(serde_json::json!({
        "metadata": {
            "name": snapshot_name(&td_name, revision),
            "namespace": td.metadata.namespace,
            "labels": {
                labels::TASK_DEFINITION_NAME: labels::value(&td_name),
                labels::SPEC_HASH: hash,
                labels::MANAGED_BY: labels::MANAGED_BY_VALUE,
            },
            "annotations": { labels::FAMILY_ANNOTATION: family_of(td) },
            "ownerReferences": owner.into_iter().collect::<Vec<_>>(),
        },
        "revision": revision,
        "data": { "spec": serde_json::to_value(content)? },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let cases = [
            ("web", Ok(("web", None))),
            ("web:3", Ok(("web", Some(3)))),
            ("arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", Ok(("web", Some(7)))),
            ("web:x", Err(())),
            (":3", Err(())),
        ];
        for (input, expected) in cases {
            let got = Reference::parse(input);
            match expected {
                Ok((family, revision)) => {
                    let got = got.unwrap_or_else(|e| panic!("{input}: {e}"));
                    assert_eq!((got.family.as_str(), got.revision), (family, revision), "{input}");
                }
                Err(()) => assert!(got.is_err(), "{input} should not parse"),
            }
        }
    }

    #[test]
    fn hash_ignores_deregistered_revisions_but_not_content() {
        let base: TaskDefinitionSpec = serde_json::from_value(serde_json::json!({
            "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "memory": 128}]
        }))
        .expect("spec");
        let deregistered = TaskDefinitionSpec { deregistered_revisions: vec![1], ..base.clone() };
        let h = |s: &TaskDefinitionSpec| content_hash(&revision_content(s)).expect("hash");
        assert_eq!(h(&base), h(&deregistered));
        let mut changed = base.clone();
        changed.container_definitions[0].image = "nginx:1.28".into();
        assert_ne!(h(&base), h(&changed));
    }
}
