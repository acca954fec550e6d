//! Which revision number a TaskDefinition's current spec has, or gets: decided from the revision
//! snapshots in the cache and the revisions the TaskDefinition's status records.
//!
//! The cache may lag the API server by a moment: a reconcile can run before its own just-created
//! snapshot reaches it. Two rules keep numbering exact without listing the snapshots:
//! - a recently recorded revision whose snapshot is not cached yet means the cache lags: wait for it
//!   rather than decide on a partial view (the status is written after the snapshot is created, so
//!   whatever the status records exists);
//! - a number is never reused: the next revision is above every cached and every recorded one.
//!
//! What is left is a snapshot created by someone the status does not show yet (a previous incarnation
//! that stopped between creating it and writing the status): its name is the TaskDefinition's name
//! and the number, so creating it again fails with AlreadyExists, and the controller retries once
//! the cache has it.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::ControllerRevision;

use crate::api::task_definition::RevisionRecord;
use crate::labels;

/// How long a recorded revision's snapshot may take to reach the cache. An older one that is still
/// missing was deleted (by hand): its number stays used, but nothing waits for it.
pub const CACHE_LAG_GRACE: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registration {
    /// The latest revision holds the spec.
    Current(i64),
    /// The spec is new: register it as this revision.
    Create(i64),
    /// A recorded revision's snapshot has not reached the cache yet.
    AwaitCache { revision: i64 },
}

/// The spec hash a snapshot was created for.
pub fn snapshot_hash(snapshot: &ControllerRevision) -> Option<&str> {
    snapshot.metadata.labels.as_ref().and_then(|l| l.get(labels::SPEC_HASH)).map(String::as_str)
}

/// The registration of the spec hashed `hash`, given the TaskDefinition's cached `snapshots` and the
/// revisions its status `recorded`.
pub fn registration(
    snapshots: &[&ControllerRevision],
    recorded: &[RevisionRecord],
    hash: &str,
    now: Timestamp,
) -> Registration {
    let cached = |revision: i64| snapshots.iter().any(|s| s.revision == revision);
    let recent = |r: &RevisionRecord| {
        r.registered_at.as_ref().is_some_and(|at| now.duration_since(at.0).unsigned_abs() < CACHE_LAG_GRACE)
    };
    if let Some(missing) = recorded.iter().filter(|r| !cached(r.revision) && recent(r)).max_by_key(|r| r.revision) {
        return Registration::AwaitCache { revision: missing.revision };
    }
    let highest_recorded = recorded.iter().map(|r| r.revision).max().unwrap_or(0);
    let latest = snapshots.iter().max_by_key(|s| s.revision);
    match latest {
        Some(s) if snapshot_hash(s) == Some(hash) && s.revision >= highest_recorded => {
            Registration::Current(s.revision)
        }
        _ => Registration::Create(latest.map_or(0, |s| s.revision).max(highest_recorded) + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn snapshot(revision: i64, hash: &str) -> ControllerRevision {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("web-{revision}"), "labels": {labels::SPEC_HASH: hash}},
            "revision": revision,
        }))
        .expect("snapshot")
    }

    fn record(revision: i64, seconds_ago: i64, now: Timestamp) -> RevisionRecord {
        let at = now.checked_sub(jiff::SignedDuration::from_secs(seconds_ago)).expect("time");
        RevisionRecord {
            revision,
            status: crate::api::ecs::RevisionStatus::Active,
            registered_at: Some(Time(at)),
            snapshot: None,
        }
    }

    #[test]
    fn numbers_from_the_cached_snapshots() {
        let now = Timestamp::now();
        let (one, two) = (snapshot(1, "a"), snapshot(2, "b"));
        assert_eq!(registration(&[], &[], "a", now), Registration::Create(1));
        assert_eq!(
            registration(&[&one, &two], &[record(1, 90, now), record(2, 90, now)], "b", now),
            Registration::Current(2)
        );
        assert_eq!(registration(&[&one, &two], &[], "c", now), Registration::Create(3));
        // Back to an earlier spec: a new revision, as ECS registers one.
        assert_eq!(registration(&[&one, &two], &[], "a", now), Registration::Create(3));
    }

    #[test]
    fn waits_for_a_recorded_snapshot_the_cache_has_not_seen() {
        let now = Timestamp::now();
        let one = snapshot(1, "a");
        // Revision 2 was just registered (for another spec) and recorded; the cache shows only 1.
        // Deciding now would call spec "a" current, or register a second revision 2.
        let recorded = [record(1, 90, now), record(2, 1, now)];
        assert_eq!(registration(&[&one], &recorded, "a", now), Registration::AwaitCache { revision: 2 });
        assert_eq!(registration(&[&one], &recorded, "c", now), Registration::AwaitCache { revision: 2 });
    }

    #[test]
    fn never_reuses_the_number_of_a_deleted_snapshot() {
        let now = Timestamp::now();
        let one = snapshot(1, "a");
        let recorded = [record(1, 900, now), record(2, 600, now)];
        assert_eq!(registration(&[&one], &recorded, "a", now), Registration::Create(3));
    }
}
