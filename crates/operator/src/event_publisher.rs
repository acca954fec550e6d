//! Publishing Events (events.k8s.io/v1) without holding them.
//!
//! kube-runtime's `Recorder` keeps every Event it published for six minutes, to fold a repeat into a
//! series, and sweeps that whole cache on every publish: with one Event per task, a burst of 10,000
//! tasks holds 10,000 Events (tens of MiB) and sweeps them 10,000 times. Here a repeat is still folded
//! into a series (a flapping health check gives one Event with a count, not hundreds), but only the
//! few facts a series patch needs are remembered, for at most [`CAPACITY`] keys: an Event whose key
//! was forgotten starts a new Event, which is what the API server's own deduplication does too.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use tokio::sync::Mutex;

/// How long a repeat is folded into the first Event's series (kube-runtime's and client-go's value).
const SERIES_WINDOW: SignedDuration = SignedDuration::from_mins(6);
/// Keys remembered for series; the oldest is forgotten first.
pub const CAPACITY: usize = 512;

/// What one Event says, as the controllers produce it.
#[derive(Clone, Debug)]
pub struct Published<'a> {
    pub warning: bool,
    pub reason: &'a str,
    pub action: &'a str,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    regarding_uid: String,
    regarding_name: String,
    warning: bool,
    reason: String,
    action: String,
    /// An Event's note cannot change once it is created (events.k8s.io refuses the update as an
    /// immutable field): only the same note repeats into a series; another note is another Event.
    note: String,
}

#[derive(Clone, Debug)]
struct Seen {
    namespace: String,
    name: String,
    count: i32,
    last: Timestamp,
}

/// Publishes Events for the operator's objects.
pub struct EventPublisher {
    client: Client,
    controller: String,
    instance: String,
    recent: Mutex<HashMap<Key, Seen>>,
}

impl EventPublisher {
    pub fn new(client: Client, controller: String, instance: String) -> Self {
        Self { client, controller, instance, recent: Mutex::new(HashMap::new()) }
    }

    /// Creates the Event, or counts a repeat of a recent one in its series.
    pub async fn publish(&self, event: Published<'_>, regarding: &ObjectReference) -> Result<(), kube::Error> {
        let now = Timestamp::now();
        let key = Key {
            regarding_uid: regarding.uid.clone().unwrap_or_default(),
            regarding_name: regarding.name.clone().unwrap_or_default(),
            warning: event.warning,
            reason: event.reason.to_string(),
            action: event.action.to_string(),
            note: event.note.clone(),
        };
        let repeat = {
            let mut recent = self.recent.lock().await;
            match recent.get_mut(&key) {
                Some(seen) if now.duration_since(seen.last) < SERIES_WINDOW => {
                    seen.count += 1;
                    seen.last = now;
                    Some(seen.clone())
                }
                _ => None,
            }
        };
        if let Some(seen) = repeat {
            let series = EventSeries { count: seen.count, last_observed_time: MicroTime(now) };
            let patch = serde_json::json!({ "series": series });
            let events: Api<Event> = Api::namespaced(self.client.clone(), &seen.namespace);
            return match events.patch(&seen.name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => Ok(()),
                // Gone (the API server expires Events): the repeat starts a new one.
                Err(kube::Error::Api(e)) if e.code == 404 => {
                    self.recent.lock().await.remove(&key);
                    self.create(event, regarding, key, now).await
                }
                Err(e) => Err(e),
            };
        }
        self.create(event, regarding, key, now).await
    }

    async fn create(
        &self,
        event: Published<'_>,
        regarding: &ObjectReference,
        key: Key,
        now: Timestamp,
    ) -> Result<(), kube::Error> {
        // Cluster-scoped objects' Events go to `default`, as kube-runtime and client-go put them.
        let namespace = regarding.namespace.clone().unwrap_or_else(|| "default".into());
        let name = format!("{}.{:x}", regarding.name.as_deref().unwrap_or(&self.controller), now.as_nanosecond());
        let body = Event {
            metadata: ObjectMeta { name: Some(name.clone()), namespace: Some(namespace.clone()), ..Default::default() },
            action: Some(event.action.to_string()),
            reason: Some(event.reason.to_string()),
            note: Some(event.note),
            type_: Some(if event.warning { "Warning" } else { "Normal" }.to_string()),
            event_time: Some(MicroTime(now)),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            ..Default::default()
        };
        Api::<Event>::namespaced(self.client.clone(), &namespace).create(&PostParams::default(), &body).await?;
        let mut recent = self.recent.lock().await;
        remember(&mut recent, key, Seen { namespace, name, count: 1, last: now }, now);
        Ok(())
    }
}

/// Adds `seen` under `key`, first forgetting what is past the series window and, when full, the
/// oldest entry: the memory stays bounded whatever the rate of Events.
fn remember(recent: &mut HashMap<Key, Seen>, key: Key, seen: Seen, now: Timestamp) {
    if recent.len() >= CAPACITY {
        recent.retain(|_, s| now.duration_since(s.last) < SERIES_WINDOW);
    }
    if recent.len() >= CAPACITY
        && let Some(oldest) = recent.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| k.clone())
    {
        recent.remove(&oldest);
    }
    recent.insert(key, seen);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> Key {
        Key {
            regarding_uid: format!("uid-{i}"),
            regarding_name: format!("t{i}"),
            warning: false,
            reason: "TaskStopped".into(),
            action: "Reconcile".into(),
            note: "stopped".into(),
        }
    }

    fn seen(second: i64) -> Seen {
        Seen { namespace: "ns".into(), name: "e".into(), count: 1, last: Timestamp::from_second(second).expect("time") }
    }

    #[test]
    fn the_memory_of_recent_events_stays_bounded_and_forgets_the_oldest_first() {
        let mut recent = HashMap::new();
        let now = Timestamp::from_second(10_000).expect("time");
        for i in 0..CAPACITY * 3 {
            remember(&mut recent, key(i), seen(10_000 - (CAPACITY * 3 - i) as i64 % 300), now);
        }
        assert_eq!(recent.len(), CAPACITY);
        // Past the window, everything goes at the next insert once full.
        let later = Timestamp::from_second(10_000 + 3600).expect("time");
        remember(&mut recent, key(usize::MAX), seen(10_000 + 3600), later);
        assert_eq!(recent.len(), 1);
    }
}
