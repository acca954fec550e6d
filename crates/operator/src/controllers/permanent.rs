//! Permanent API refusals: a request the API server refuses in a way no retry can fix (400 Bad
//! Request, 403 Forbidden, 413 Too Large, 422 Invalid) is shown on the ECS object — `Ready=False`,
//! `Stalled=True` with the server's message, and a Warning Event — and its retries back off
//! exponentially (capped) instead of repeating every 2 seconds. Transient errors keep their quick retry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;

use crate::api::conditions::{self, DesiredCondition};
use crate::context::Context;
use crate::error::Error;

/// Condition and Event reason of a permanent API refusal.
pub const REASON: &str = crate::api::conditions::reasons::PERMANENT_API_ERROR;
/// First retry after a permanent refusal; doubles per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// The longest wait between retries of a permanently refused object (a few calls an hour).
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Consecutive permanent failures per object, reset by a successful reconcile.
#[derive(Default)]
pub struct Failures(Mutex<HashMap<String, u32>>);

impl Failures {
    /// Counts one more failure of `key`; returns how long to wait before the next try.
    pub fn failed(&self, key: &str) -> Duration {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = map.entry(key.to_string()).or_insert(0);
        *count = count.saturating_add(1);
        backoff(*count)
    }

    /// Forgets `key` after a successful reconcile.
    pub fn succeeded(&self, key: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

/// 5 s, 10 s, 20 s, ... capped at 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_BACKOFF.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

/// The key of an object in [`Failures`].
pub fn key<K: kube::Resource<DynamicType = ()>>(object: &K) -> String {
    let meta = object.meta();
    format!(
        "{}/{}/{}",
        K::kind(&()),
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default()
    )
}

/// The server's own message of a permanent refusal.
pub fn message(error: &Error) -> String {
    match error {
        Error::Kube(kube::Error::Api(status)) => {
            format!("the API server refused a request ({} {}): {}", status.code, status.reason, status.message)
        }
        other => other.to_string(),
    }
}

/// The object's conditions with Ready=False and Stalled=True for this refusal (pure).
pub fn stalled_conditions(current: &[Condition], message: &str, generation: Option<i64>, now: &Time) -> Vec<Condition> {
    let mut out = current.to_vec();
    for (type_, status) in [(conditions::READY, false), (conditions::STALLED, true)] {
        conditions::set(&mut out, DesiredCondition::new(type_, status, REASON, message), generation, now);
    }
    out
}

/// Shows a permanent refusal on the object: conditions (a merge patch of the status subresource, so
/// no other status field changes) and a Warning Event. Failures to report are logged, not retried.
pub async fn report<K>(object: &K, ctx: &Context, error: &Error)
where
    K: kube::Resource<DynamicType = ()> + serde::Serialize,
{
    let message = message(error);
    let current: Vec<Condition> = serde_json::to_value(object)
        .ok()
        .and_then(|v| v.pointer("/status/conditions").cloned())
        .and_then(|c| serde_json::from_value(c).ok())
        .unwrap_or_default();
    let now = Time(jiff::Timestamp::now());
    let updated = stalled_conditions(&current, &message, object.meta().generation, &now);
    if updated != current {
        let resource = ApiResource::erase::<K>(&());
        let api: Api<DynamicObject> = match object.meta().namespace.as_deref() {
            Some(ns) => Api::namespaced_with(ctx.client.clone(), ns, &resource),
            None => Api::all_with(ctx.client.clone(), &resource),
        };
        let name = object.meta().name.clone().unwrap_or_default();
        let patch = serde_json::json!({"status": {"conditions": updated}});
        if let Err(e) = api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            tracing::warn!(error = %e, name, "recording a permanent API error on the object failed");
        }
        ctx.event(object, "Reconcile", &crate::event::EcsEvent::warning(REASON, message)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_to_five_minutes() {
        let waits: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
        let failures = Failures::default();
        assert_eq!(failures.failed("Task/ns/a"), Duration::from_secs(5));
        assert_eq!(failures.failed("Task/ns/a"), Duration::from_secs(10));
        failures.succeeded("Task/ns/a");
        assert_eq!(failures.failed("Task/ns/a"), Duration::from_secs(5));
    }

    #[test]
    fn a_permanent_refusal_stalls_the_object_with_the_servers_message() {
        let now = Time("2026-01-01T00:00:00Z".parse().expect("time"));
        let conditions =
            stalled_conditions(&[], "the API server refused a request (422 Invalid): too long", Some(3), &now);
        let by_type = |t: &str| conditions.iter().find(|c| c.type_ == t).expect("condition");
        assert_eq!((by_type("Ready").status.as_str(), by_type("Stalled").status.as_str()), ("False", "True"));
        assert_eq!(by_type("Stalled").reason, REASON);
        assert_eq!(by_type("Stalled").observed_generation, Some(3));
        assert!(by_type("Stalled").message.contains("too long"));
        // Reporting the same refusal again changes nothing (no write, no Event).
        assert_eq!(stalled_conditions(&conditions, &by_type("Stalled").message, Some(3), &now), conditions);
    }
}
