//! Live pages: one server-sent-event stream per open page, fed by watches run as the page's
//! identity. A change (debounced briefly, so a burst of events costs one render) re-renders the
//! page's fragment with the same function the page used, and the fragment is sent only when it
//! differs from the last one sent. `static/live.js` puts it in place.
//!
//! The task page and a service's logs also re-render every second: a running container's new log
//! lines change no object, so no watch would report them.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube_ecs_api::labels::SERVICE_NAME;
use kube_ecs_api::{ContainerInstance, EcsCluster, ScheduledTask, Service, Task, TaskDefinition};
use serde::Deserialize;

use crate::follow::{Tick, labelled_ticks, ticks as follow};
use crate::page::{ClusterTab, Page};
use crate::server::App;
use crate::session::Session;
use crate::views;

/// The stream's path.
pub const STREAM_PATH: &str = "/live";
/// How long events are gathered before one render.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// How often a task page looks for new log lines.
const LOG_POLL: Duration = Duration::from_secs(1);

pub fn is_stream(path: &str) -> bool {
    path == STREAM_PATH
}

/// The stream URL of `page`, whose served fragment was `served` (the stream sends nothing until
/// the fragment differs from it: replacing identical content would only lose the reader's focus).
pub fn stream_url(page: &Page, served: &str) -> String {
    // Page paths are object names and slashes only (page::is_name): nothing to percent-encode.
    format!("{STREAM_PATH}?page={}&seen={}", page.path(), digest(served))
}

/// A short digest of a fragment: enough to tell "changed" from "the same".
fn digest(html: &str) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(html.as_bytes())[..12])
}

#[derive(Deserialize)]
pub struct StreamQuery {
    page: String,
    #[serde(default)]
    seen: String,
}

pub async fn stream(State(app): State<Arc<App>>, headers: HeaderMap, Query(query): Query<StreamQuery>) -> Response {
    let Some(session) = app.sessions.find(&headers) else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    let Some(page) = Page::parse(&query.page) else {
        return (StatusCode::NOT_FOUND, "no such live page").into_response();
    };
    let changes = changes(&session.identity.client, &page);
    let state = Follower { changes, last: query.seen, through: None, session, page };
    let events = futures::stream::unfold(state, |mut f| async move {
        f.next_change().await?;
        let deadline = tokio::time::Instant::now() + DEBOUNCE;
        while let Ok(Some(_)) = tokio::time::timeout_at(deadline, f.changes.next()).await {}
        let html = render(&f.page, &f.session).await;
        f.through = tasks_through(&html);
        let seen = digest(&html);
        let event = (seen != f.last).then(|| Event::default().event("fragment").data(&html));
        f.last = seen;
        Some((event, f))
    })
    .filter_map(|event| async move { event.map(Ok::<_, Infallible>) });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

/// One open page's stream: its changes, the digest of what the browser has, and, on a full page of
/// tasks, the last task ID it shows.
struct Follower {
    changes: BoxStream<'static, Change>,
    last: String,
    through: Option<String>,
    session: Arc<Session>,
    page: Page,
}

impl Follower {
    /// Waits for a change that can alter the page. A full page of tasks shows the first IDs in the
    /// apiserver's order (by name): a task after its last one is on a later page, so its changes
    /// cost no render (at 10,000 tasks, 99 of 100 changes).
    async fn next_change(&mut self) -> Option<()> {
        loop {
            let change = self.changes.next().await?;
            if !off_page(&change, self.through.as_deref()) {
                return Some(());
            }
        }
    }
}

/// Whether `change` is to a task past the last one a full page shows.
fn off_page(change: &Change, through: Option<&str>) -> bool {
    matches!((change, through), (Change::Task(Some(name)), Some(through)) if name.as_str() > through)
}

/// The last task ID of a full page of tasks (`data-through`, views::cluster), if the fragment is one.
fn tasks_through(html: &str) -> Option<String> {
    let start = html.find(TASKS_THROUGH)? + TASKS_THROUGH.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// The attribute a full page of tasks carries its last task ID in.
const TASKS_THROUGH: &str = "data-through=\"";

/// A change a stream heard of: a Task's (by name), or another kind's.
enum Change {
    Task(Tick),
    Other,
}

/// Stream renders at once, across every open page: one change seen by many open pages (twenty
/// viewers of a cluster) re-renders them all at the same moment, and each render holds its page's
/// objects decoded; a few at a time bound that peak (the operator's RSS) for a few milliseconds of
/// queueing.
static RENDERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn render(page: &Page, session: &Session) -> String {
    // Never closed: a permit always comes.
    let _permit = RENDERS.acquire().await;
    let markup = match views::fragment(page, session).await {
        Ok(markup) => markup,
        Err(e) => views::layout::error_box(&e),
    };
    sse_safe(markup.into_string())
}

/// An SSE data line cannot hold a carriage return (a log line may): the entity is the same
/// character once the browser parses the fragment. The page applies the same to what it serves,
/// so a page and its stream digest the same text.
pub fn sse_safe(html: String) -> String {
    if html.contains('\r') { html.replace('\r', "&#13;") } else { html }
}

/// A tick for each change that may alter `page`, from watches made with the identity's client
/// (crate::follow: from now on, metadata only). A watch the identity may not make yields nothing:
/// the page then shows the refusal, and updates from the watches that work. A cluster page watches
/// its cluster and what its tab shows only (the Tasks tab: that cluster's tasks, by field selector).
fn changes(client: &kube::Client, page: &Page) -> BoxStream<'static, Change> {
    let ns = page.namespace();
    let named = |name: &str| Some(format!("metadata.name={name}"));
    let mut streams: Vec<BoxStream<'static, Change>> = Vec::new();
    match page {
        Page::Clusters { .. } => streams.push(ticks(Api::<EcsCluster>::all(client.clone()), None)),
        Page::Cluster { cluster, tab, .. } => {
            streams.push(ticks(Api::<EcsCluster>::all(client.clone()), named(cluster)));
            match tab {
                ClusterTab::Tasks | ClusterTab::StoppedTasks => {
                    // The cluster's tasks, and those no one has observed yet (the tab shows them).
                    for selector in [format!("status.cluster={cluster}"), "status.cluster=".to_string()] {
                        streams.push(
                            follow(Api::<Task>::namespaced(client.clone(), ns), Some(selector))
                                .map(Change::Task)
                                .boxed(),
                        );
                    }
                    // Services' tasks are their Pods (the first page shows them).
                    let pods = Api::<Pod>::namespaced(client.clone(), ns);
                    streams.push(labelled_ticks(pods, SERVICE_NAME.to_string()).map(|_| Change::Other).boxed());
                }
                ClusterTab::Services => streams.push(ticks(Api::<Service>::namespaced(client.clone(), ns), None)),
                ClusterTab::Infrastructure => {
                    streams.push(ticks(Api::<ContainerInstance>::all(client.clone()), None));
                }
                ClusterTab::ScheduledTasks => {
                    streams.push(ticks(Api::<ScheduledTask>::namespaced(client.clone(), ns), None));
                }
                ClusterTab::Metrics => {
                    streams.push(ticks(Api::<ContainerInstance>::all(client.clone()), None));
                    streams.push(ticks(Api::<Service>::namespaced(client.clone(), ns), None));
                }
                ClusterTab::Tags => {}
            }
        }
        Page::Task { id, .. } => {
            streams.push(ticks(Api::<Task>::namespaced(client.clone(), ns), named(id)));
            streams.push(ticks(Api::<Pod>::namespaced(client.clone(), ns), named(id)));
            streams.push(log_polls());
        }
        Page::ServiceLogs { name, .. } => {
            streams.push(ticks(Api::<Service>::namespaced(client.clone(), ns), named(name)));
            streams.push(log_polls());
        }
        Page::Service { .. } => {
            streams.push(ticks(Api::<Service>::namespaced(client.clone(), ns), None));
            streams.push(ticks(Api::<Pod>::namespaced(client.clone(), ns), None));
        }
        Page::Families { .. } | Page::Family { .. } => {
            streams.push(ticks(Api::<TaskDefinition>::namespaced(client.clone(), ns), None));
        }
        Page::Repositories { .. } => {
            streams.push(ticks(Api::<kube_ecs_api::repository::Repository>::namespaced(client.clone(), ns), None));
        }
        Page::Repository { name, .. } => {
            streams
                .push(ticks(Api::<kube_ecs_api::repository::Repository>::namespaced(client.clone(), ns), named(name)));
        }
        // A revision's JSON never changes; its status does (deregistered: INACTIVE).
        Page::Revision { family, .. } => {
            streams.push(ticks(Api::<TaskDefinition>::namespaced(client.clone(), ns), named(family)));
        }
    }
    futures::stream::select_all(streams).boxed()
}

/// A tick every [`LOG_POLL`]: new log lines change no object, so no watch reports them.
fn log_polls() -> BoxStream<'static, Change> {
    let polls = tokio::time::interval(LOG_POLL);
    futures::stream::unfold(polls, |mut i| async move {
        i.tick().await;
        Some((Change::Other, i))
    })
    .boxed()
}

/// Changes of a kind whose objects the page does not page through.
fn ticks<K>(api: Api<K>, fields: Option<String>) -> BoxStream<'static, Change>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Default,
{
    follow(api, fields).map(|_| Change::Other).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_past_a_full_page_of_tasks_cost_no_render() {
        let task = |name: &str| Change::Task(Some(name.to_string()));
        let cases = [
            ("a task on the page", task("0a"), Some("7f"), false),
            ("the page's last task", task("7f"), Some("7f"), false),
            ("a task past the page", task("80"), Some("7f"), true),
            ("any task of a page that is not full", task("ff"), None, false),
            ("a change that may have been missed", Change::Task(None), Some("7f"), false),
            ("another kind", Change::Other, Some("7f"), false),
        ];
        for (name, change, through, skipped) in cases {
            assert_eq!(off_page(&change, through), skipped, "{name}");
        }
    }

    #[test]
    fn a_full_page_of_tasks_says_its_last_id() {
        assert_eq!(
            tasks_through(r#"<table class="list" id="tasks" data-through="c0ffee"><tbody>"#),
            Some("c0ffee".into())
        );
        assert_eq!(tasks_through(r#"<table class="list" id="tasks"><tbody>"#), None);
    }
}
