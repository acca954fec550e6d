//! meta/v1 conditions: the condition types and reasons of every kind, and one way to set them.
//!
//! `lastTransitionTime` moves only when a condition's status changes, so a reconcile that finds
//! nothing new produces an identical status (and therefore no write).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::{Schema, SchemaGenerator, json_schema};

/// The object is fully reconciled and serving its purpose.
pub const READY: &str = "Ready";
/// The spec passed the checks the API server's schema cannot express.
pub const VALID: &str = "Valid";
/// The controller is still moving the world towards the spec (kstatus "InProgress").
pub const RECONCILING: &str = "Reconciling";
/// Progress is blocked by something the user must change (kstatus "Failed").
pub const STALLED: &str = "Stalled";

/// Condition type of a Task or Service whose pods cannot be placed.
pub const PLACED: &str = "Placed";

/// Every condition and Event reason kube-ecs writes, by kind: one place, bounded values (they are
/// also metric labels).
pub mod reasons {
    /// An API request the server refuses for good (400, 403, 413, 422).
    pub const PERMANENT_API_ERROR: &str = "PermanentApiError";

    /// A Task's conditions and Events.
    pub mod task {
        pub const RUNNING: &str = "TaskRunning";
        pub const STARTING: &str = "TaskStarting";
        pub const STOPPING: &str = "TaskStopping";
        pub const STOPPED: &str = "TaskStopped";
        pub const COMPLETED: &str = "TaskCompleted";
        pub const UNHEALTHY: &str = "TaskUnhealthy";
        pub const PLACED: &str = "Placed";
        pub const UNPLACEABLE: &str = "Unplaceable";
        pub const VALID: &str = "Valid";
    }

    /// Why a Task or Service cannot be admitted (the refused condition).
    pub mod admission {
        pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
        pub const NAMESPACE_NOT_ALLOWED: &str = "NamespaceNotAllowed";
        pub const PLACEMENT: &str = "InvalidPlacement";
        pub const TASK_DEFINITION: &str = "TaskDefinitionUnavailable";
        pub const TRANSLATION: &str = "InvalidTaskDefinition";
    }

    /// A Service's conditions and Events.
    pub mod service {
        pub const STEADY: &str = "SteadyState";
        pub const DEPLOYING: &str = "DeploymentInProgress";
        pub const CIRCUIT_BREAKER: &str = "CircuitBreakerTripped";
        pub const ROLLING_BACK: &str = "RollingBack";
        pub const UNPLACEABLE: &str = "TaskUnplaceable";
        pub const PLACED: &str = "Placed";
    }

    /// An EcsCluster's conditions and Events.
    pub mod cluster {
        pub const ACTIVE: &str = "Active";
        pub const PROVISIONING: &str = "Provisioning";
        pub const INVALID: &str = "InvalidCluster";
        pub const DELETION_BLOCKED: &str = "ClusterContainsTasksOrServices";
        pub const PROVIDER_FAILED: &str = "ProviderFailed";
    }

    /// A TaskDefinition's conditions and Events.
    pub mod task_definition {
        pub const REGISTERED: &str = "Registered";
        pub const INVALID: &str = "InvalidTaskDefinition";
        pub const FAMILY_CONFLICT: &str = "FamilyConflict";
        pub const VALID: &str = "Valid";
    }

    /// Task security refusals.
    pub mod security {
        /// The EcsCluster's task security policy refuses the task.
        pub const TASK_SECURITY_POLICY: &str = "TaskSecurityPolicy";
        /// The namespace's Pod Security level refuses the task.
        pub const NAMESPACE_POD_SECURITY: &str = "PodSecurity";
    }
}

/// Schema of a conditions list: a list-type map keyed by `type`, so server-side apply merges entries.
pub fn conditions_schema(generator: &mut SchemaGenerator) -> Schema {
    let item = generator.subschema_for::<Condition>();
    json_schema!({
        "type": "array",
        "items": item,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
    })
}

/// A condition as the controller wants it; `set` turns it into a meta/v1 Condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredCondition<'a> {
    pub type_: &'a str,
    pub status: bool,
    pub reason: &'a str,
    pub message: String,
}

impl<'a> DesiredCondition<'a> {
    pub fn new(type_: &'a str, status: bool, reason: &'a str, message: impl Into<String>) -> Self {
        Self { type_, status, reason, message: message.into() }
    }
}

/// Sets `desired` in `conditions`, keeping `lastTransitionTime` when the status is unchanged.
pub fn set(conditions: &mut Vec<Condition>, desired: DesiredCondition<'_>, generation: Option<i64>, now: &Time) {
    let status = if desired.status { "True" } else { "False" }.to_string();
    let existing = conditions.iter().position(|c| c.type_ == desired.type_);
    let last_transition_time = match existing {
        Some(i) if conditions[i].status == status => conditions[i].last_transition_time.clone(),
        _ => now.clone(),
    };
    let condition = Condition {
        type_: desired.type_.to_string(),
        status,
        reason: desired.reason.to_string(),
        message: desired.message,
        observed_generation: generation,
        last_transition_time,
    };
    match existing {
        Some(i) => conditions[i] = condition,
        None => conditions.push(condition),
    }
}

/// The conditions of one status as a reconcile writes them: bound to the object's generation and
/// the reconcile's clock, so no call site can pass a stale generation or a second `now`.
pub struct Conditions<'s> {
    list: &'s mut Vec<Condition>,
    generation: Option<i64>,
    now: &'s Time,
}

impl<'s> Conditions<'s> {
    pub fn of(list: &'s mut Vec<Condition>, generation: Option<i64>, now: &'s Time) -> Self {
        Self { list, generation, now }
    }

    /// Sets `type_` to `status` with `reason` and `message`.
    pub fn set(&mut self, type_: &str, status: bool, reason: &str, message: impl Into<String>) -> &mut Self {
        set(self.list, DesiredCondition::new(type_, status, reason, message), self.generation, self.now);
        self
    }

    pub fn remove(&mut self, type_: &str) -> &mut Self {
        remove(self.list, type_);
        self
    }

    /// Something the user must change blocks the object: `condition` (Valid, Placed, ...) and Ready
    /// are False, Stalled is True (kstatus "Failed"), all with the same reason and message, and it
    /// is no longer Reconciling.
    pub fn refused(&mut self, condition: &str, reason: &str, message: &str) -> &mut Self {
        self.set(condition, false, reason, message)
            .set(READY, false, reason, message)
            .set(STALLED, true, reason, message)
            .remove(RECONCILING)
    }
}

/// Removes the condition of `type_`, if present.
pub fn remove(conditions: &mut Vec<Condition>, type_: &str) {
    conditions.retain(|c| c.type_ != type_);
}

/// The condition of `type_`, if present.
pub fn find<'c>(conditions: &'c [Condition], type_: &str) -> Option<&'c Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of `type_` is present with status True.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find(conditions, type_).is_some_and(|c| c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(s: &str) -> Time {
        Time(s.parse().expect("test timestamp"))
    }

    #[test]
    fn transition_time_moves_only_when_status_changes() {
        let mut conditions = Vec::new();
        let t1 = time("2026-01-01T00:00:00Z");
        let t2 = time("2026-01-01T00:01:00Z");
        set(&mut conditions, DesiredCondition::new(READY, false, "Starting", "starting"), Some(1), &t1);
        set(&mut conditions, DesiredCondition::new(READY, false, "Starting", "still starting"), Some(2), &t2);
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].last_transition_time, t1);
        assert_eq!(conditions[0].observed_generation, Some(2));
        set(&mut conditions, DesiredCondition::new(READY, true, "Running", "running"), Some(2), &t2);
        assert_eq!(conditions[0].last_transition_time, t2);
        assert!(is_true(&conditions, READY));
    }

    #[test]
    fn a_refusal_sets_the_condition_ready_and_stalled_and_ends_reconciling() {
        let now = time("2026-01-01T00:00:00Z");
        let mut list = Vec::new();
        Conditions::of(&mut list, Some(3), &now).set(RECONCILING, true, "Deploying", "deploying").refused(
            VALID,
            "TaskSecurityPolicy",
            "privileged is not allowed",
        );
        let summary: Vec<(&str, &str, &str, Option<i64>)> = list
            .iter()
            .map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_str(), c.observed_generation))
            .collect();
        assert_eq!(
            summary,
            [
                (VALID, "False", "TaskSecurityPolicy", Some(3)),
                (READY, "False", "TaskSecurityPolicy", Some(3)),
                (STALLED, "True", "TaskSecurityPolicy", Some(3)),
            ]
        );
    }
}
