//! Ticks for the changes to a kind after now, as the page's identity: what a live page needs to know
//! to re-render, and no more.
//!
//! Not kube-runtime's `watcher`: it lists every object first (10,000 tasks for each open page, only
//! to be dropped) and keeps relisting on every restart. Here a list of one item gives the
//! collection's current resourceVersion, the watch starts there (no initial events), resumes from
//! the last version it saw when the apiserver ends it, and starts again from "now" when the version
//! has expired. Each start from "now" ticks once: a change between the page's render (or the last
//! watch) and the new watch would otherwise go unseen. Metadata only: a tick needs no
//! object, and the apiserver sends a fraction of the bytes.

use std::time::Duration;

use futures::stream::{BoxStream, StreamExt};
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use kube::core::PartialObjectMeta;

/// How long a refused or failing list/watch waits before it tries again (a watch RBAC refuses
/// keeps failing: it must not spin).
const BACKOFF: Duration = Duration::from_secs(5);
/// The apiserver ends a watch after this long; the stream resumes from its last version.
const WATCH_SECONDS: u32 = 290;

type Events<K> = BoxStream<'static, kube::Result<WatchEvent<PartialObjectMeta<K>>>>;

struct Follow<K: kube::Resource + Clone> {
    api: Api<K>,
    fields: Option<String>,
    labels: Option<String>,
    /// Where the next watch starts: the last version seen, or none (start from now).
    version: Option<String>,
    events: Option<Events<K>>,
}

/// What changed: the object's name, or none when a change may have been missed (any object).
pub type Tick = Option<String>;

/// A tick per change to `api`'s objects (those matching the field selector `fields`, if any).
pub fn ticks<K>(api: Api<K>, fields: Option<String>) -> BoxStream<'static, Tick>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Default,
{
    selected(Follow { api, fields, labels: None, version: None, events: None })
}

/// A tick per change to `api`'s objects that match the label selector `labels` (a service's Pods:
/// one kind's objects among many of it).
pub fn labelled_ticks<K>(api: Api<K>, labels: String) -> BoxStream<'static, Tick>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Default,
{
    selected(Follow { api, fields: None, labels: Some(labels), version: None, events: None })
}

fn selected<K>(start: Follow<K>) -> BoxStream<'static, Tick>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Default,
{
    futures::stream::unfold(start, |mut follow| async move {
        loop {
            let Some(events) = follow.events.as_mut() else {
                let from_now = follow.version.is_none();
                follow.events = follow.start().await;
                match (&follow.events, from_now) {
                    (None, _) => tokio::time::sleep(BACKOFF).await,
                    // Started from now: tick once, as whatever changed between the page's render
                    // (or the last watch) and now has not been seen.
                    (Some(_), true) => return Some((None, follow)),
                    (Some(_), false) => {}
                }
                continue;
            };
            match events.next().await {
                Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o))) => {
                    follow.version = o.metadata.resource_version.clone();
                    return Some((o.metadata.name, follow));
                }
                Some(Ok(WatchEvent::Bookmark(b))) => follow.version = Some(b.metadata.resource_version),
                // The version expired (410) or the stream broke: start again from now, and tick,
                // as a change in between would otherwise go unseen.
                Some(Ok(WatchEvent::Error(_)) | Err(_)) => {
                    follow.events = None;
                    follow.version = None;
                    tokio::time::sleep(BACKOFF).await;
                    return Some((None, follow));
                }
                // The apiserver's timeout: resume where it ended.
                None => follow.events = None,
            }
        }
    })
    .boxed()
}

impl<K> Follow<K>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Default,
{
    async fn start(&mut self) -> Option<Events<K>> {
        let version = match self.version.clone() {
            Some(version) => version,
            None => {
                let mut now = ListParams::default().limit(1);
                if let Some(fields) = &self.fields {
                    now = now.fields(fields);
                }
                if let Some(labels) = &self.labels {
                    now = now.labels(labels);
                }
                self.api.list_metadata(&now).await.ok()?.metadata.resource_version?
            }
        };
        // Bookmarks (on by default) move the version on while nothing of ours changes, so a resume
        // after the timeout does not start from a version compaction has removed.
        let mut params = WatchParams::default().timeout(WATCH_SECONDS);
        if let Some(fields) = &self.fields {
            params = params.fields(fields);
        }
        if let Some(labels) = &self.labels {
            params = params.labels(labels);
        }
        match self.api.watch_metadata(&params, &version).await {
            Ok(events) => {
                self.version = Some(version);
                Some(events.boxed())
            }
            Err(_) => {
                self.version = None;
                None
            }
        }
    }
}
