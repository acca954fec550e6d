//! Watch-fed caches of the objects reconciles read, shared by every controller.
//!
//! Reconciles read task definitions, their revision snapshots, clusters, nodes and task Pods from here
//! instead of the API server: under a client-side budget (20 QPS in the matched benchmarks) a GET per
//! reconcile would throttle the operator long before the API server is busy, and a burst of Tasks
//! waiting for their task definition would starve the TaskDefinition controller's own requests.
//!
//! Each cache has one watch. Controllers that must react to changes subscribe to the same watch
//! (`*_changes`), and the cache is updated before subscribers are notified, so a reconcile triggered
//! by a change always sees that change. The fan-out is our own unbounded channel per subscriber:
//! kube-runtime's shared-store subscription applies backpressure to the watch when one subscriber
//! lags, and its stream can stall without a wake-up when an object is deleted before it is read.

use std::sync::Mutex;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::Api;
use kube::core::DeserializeGuard;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher::{self, watcher};
use kube::runtime::{WatchStreamExt, reflector::store::Writer};
use kube::{Client, Resource};

use crate::api::{EcsCluster, Service, Task, TaskDefinition};
use crate::labels;

/// Read-only handles to the caches.
#[derive(Clone)]
pub struct Caches {
    pub definitions: Store<DeserializeGuard<TaskDefinition>>,
    pub snapshots: Store<ControllerRevision>,
    pub clusters: Store<DeserializeGuard<EcsCluster>>,
    pub nodes: Store<Node>,
    pub tasks: Store<DeserializeGuard<Task>>,
    pub services: Store<DeserializeGuard<Service>>,
    /// Pods kube-ecs made (of Tasks and Services); fed by the Task controller's own watch of them.
    pub task_pods: Store<Pod>,
    /// Which caches have had their first full list.
    listed: std::sync::Arc<tokio::sync::watch::Sender<std::collections::BTreeSet<&'static str>>>,
}

/// Every cache, by the name [`Caches::mark_listed`] is called with.
const CACHED_KINDS: [&str; 7] =
    ["taskdefinitions", "controllerrevisions", "ecsclusters", "nodes", "tasks", "services", "pods"];

/// The write side, taken once by [`Feeds::run`] (and the Task controller for its Pods).
pub struct Feeds {
    definitions: Writer<DeserializeGuard<TaskDefinition>>,
    snapshots: Writer<ControllerRevision>,
    clusters: Writer<DeserializeGuard<EcsCluster>>,
    nodes: Writer<Node>,
    tasks: Writer<DeserializeGuard<Task>>,
    services: Writer<DeserializeGuard<Service>>,
    pub task_pods: Option<Writer<Pod>>,
    definition_fanout: Fanout<DeserializeGuard<TaskDefinition>>,
    cluster_fanout: Fanout<DeserializeGuard<EcsCluster>>,
    node_fanout: Fanout<Node>,
    task_fanout: Fanout<DeserializeGuard<Task>>,
    service_fanout: Fanout<DeserializeGuard<Service>>,
}

/// Sends every applied object (and, after each full list, every object) to each subscriber.
pub struct Fanout<K> {
    subscribers: Vec<tokio::sync::mpsc::UnboundedSender<std::sync::Arc<K>>>,
}

impl<K> Default for Fanout<K> {
    fn default() -> Self {
        Self { subscribers: Vec::new() }
    }
}

impl<K: Send + Sync + 'static> Fanout<K> {
    fn subscribe(&mut self) -> Changes<K> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.subscribers.push(tx);
        Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|o| (o, rx)) }))
    }

    fn send(&self, object: std::sync::Arc<K>) {
        for subscriber in &self.subscribers {
            // A closed subscriber is a controller that stopped; the others still get it.
            let _ = subscriber.send(object.clone());
        }
    }
}

/// Both halves; the writers sit here until the controllers start.
pub struct SharedCaches {
    pub read: Caches,
    feeds: Mutex<Option<Feeds>>,
}

impl Default for SharedCaches {
    fn default() -> Self {
        let (definitions, definitions_w) = reflector::store();
        let (snapshots, snapshots_w) = reflector::store();
        let (clusters, clusters_w) = reflector::store();
        let (nodes, nodes_w) = reflector::store();
        let (task_pods, task_pods_w) = reflector::store();
        let (tasks, tasks_w) = reflector::store();
        let (services, services_w) = reflector::store();
        Self {
            read: Caches {
                definitions,
                snapshots,
                clusters,
                nodes,
                tasks,
                services,
                task_pods,
                listed: std::sync::Arc::new(tokio::sync::watch::Sender::new(Default::default())),
            },
            feeds: Mutex::new(Some(Feeds {
                definitions: definitions_w,
                snapshots: snapshots_w,
                clusters: clusters_w,
                nodes: nodes_w,
                tasks: tasks_w,
                services: services_w,
                task_pods: Some(task_pods_w),
                definition_fanout: Fanout::default(),
                cluster_fanout: Fanout::default(),
                node_fanout: Fanout::default(),
                task_fanout: Fanout::default(),
                service_fanout: Fanout::default(),
            })),
        }
    }
}

/// Change notifications of one shared watch (the cache is updated before each).
pub type Changes<K> = std::pin::Pin<Box<dyn futures::Stream<Item = std::sync::Arc<K>> + Send>>;

impl SharedCaches {
    fn subscribe<T>(&self, pick: impl FnOnce(&mut Feeds) -> T) -> Option<T> {
        let mut guard = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_mut().map(pick)
    }

    // Subscriptions are made before the feeds start (`None` afterwards).
    pub fn definition_changes(&self) -> Option<Changes<DeserializeGuard<TaskDefinition>>> {
        self.subscribe(|f| f.definition_fanout.subscribe())
    }
    pub fn cluster_changes(&self) -> Option<Changes<DeserializeGuard<EcsCluster>>> {
        self.subscribe(|f| f.cluster_fanout.subscribe())
    }
    pub fn node_changes(&self) -> Option<Changes<Node>> {
        self.subscribe(|f| f.node_fanout.subscribe())
    }
    pub fn task_changes(&self) -> Option<Changes<DeserializeGuard<Task>>> {
        self.subscribe(|f| f.task_fanout.subscribe())
    }
    pub fn service_changes(&self) -> Option<Changes<DeserializeGuard<Service>>> {
        self.subscribe(|f| f.service_fanout.subscribe())
    }

    /// Takes the writers: call once, after every controller has subscribed.
    pub fn take_feeds(&self) -> Option<Feeds> {
        self.feeds.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Feeds {
    /// Runs the shared watches until the process stops.
    pub async fn run(self, client: Client, caches: Caches) {
        let Feeds {
            definitions,
            snapshots,
            clusters,
            nodes,
            tasks,
            services,
            definition_fanout,
            cluster_fanout,
            node_fanout,
            task_fanout,
            service_fanout,
            ..
        } = self;
        let snapshots = watcher(
            Api::<ControllerRevision>::all(client.clone()),
            watcher::Config::default().labels(labels::TASK_DEFINITION_NAME),
        )
        .backoff(super::controllers::WatchBackoff::default())
        .modify(strip)
        .reflect(snapshots)
        .for_each(|event| {
            if matches!(event, Ok(watcher::Event::InitDone)) {
                caches.mark_listed("controllerrevisions");
            }
            futures::future::ready(())
        });
        futures::join!(
            feed(Api::all(client.clone()), definitions, definition_fanout, strip_guarded, (&caches, "taskdefinitions")),
            snapshots,
            feed(Api::all(client.clone()), clusters, cluster_fanout, strip_guarded, (&caches, "ecsclusters")),
            feed(Api::all(client.clone()), nodes, node_fanout, strip_node, (&caches, "nodes")),
            feed(Api::all(client.clone()), tasks, task_fanout, strip_guarded, (&caches, "tasks")),
            feed(Api::all(client), services, service_fanout, strip_guarded, (&caches, "services")),
        );
    }
}

/// One watch: updates the cache, then tells the subscribers.
async fn feed<K>(
    api: Api<K>,
    writer: Writer<K>,
    fanout: Fanout<K>,
    strip: fn(&mut K),
    (caches, kind): (&Caches, &'static str),
) where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let store = writer.as_reader();
    watcher(api, watcher::Config::default())
        .backoff(super::controllers::WatchBackoff::default())
        .modify(strip)
        .reflect(writer)
        .for_each(|event| {
            match event {
                // Deletions too: a cluster's counts change when a task goes.
                Ok(watcher::Event::Apply(object) | watcher::Event::Delete(object)) => {
                    fanout.send(std::sync::Arc::new(object))
                }
                // After a (re)list, everything may have changed while the watch was down.
                Ok(watcher::Event::InitDone) => {
                    caches.mark_listed(kind);
                    store.state().into_iter().for_each(|o| fanout.send(o));
                }
                _ => {}
            }
            futures::future::ready(())
        })
        .await;
}

/// Cached copies drop what no reconcile reads: managedFields is often the largest part of an object.
pub fn strip<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

fn strip_guarded<K: Resource>(object: &mut DeserializeGuard<K>) {
    if let Ok(inner) = object.0.as_mut() {
        strip(inner);
    }
}

fn strip_node(node: &mut Node) {
    strip(node);
    // Nodes carry image lists that can be large; placement never reads them.
    if let Some(status) = node.status.as_mut() {
        status.images = None;
    }
}

impl Caches {
    /// Records that the cache of `kind` has its first full list.
    pub fn mark_listed(&self, kind: &'static str) {
        self.listed.send_if_modified(|listed| listed.insert(kind));
    }

    /// Waits until every cache has its first full list. Says which ones it waits for when that takes
    /// long. (Our own signal: kube's `Store::wait_until_ready` wakes only one of several waiters.)
    pub async fn ready(&self) {
        let mut listed = self.listed.subscribe();
        let all = |l: &std::collections::BTreeSet<&'static str>| l.len() == CACHED_KINDS.len();
        if tokio::time::timeout(std::time::Duration::from_secs(10), listed.wait_for(all)).await.is_err() {
            let missing: Vec<&str> = CACHED_KINDS.iter().copied().filter(|k| !listed.borrow().contains(k)).collect();
            tracing::warn!(?missing, "still waiting for the first list of these caches");
            let _ = listed.wait_for(all).await;
        }
    }

    /// The well-formed TaskDefinitions of `namespace`.
    pub fn definitions_in(&self, namespace: &str) -> Vec<TaskDefinition> {
        self.definitions
            .state()
            .iter()
            .filter(|g| g.meta().namespace.as_deref() == Some(namespace))
            .filter_map(|g| g.0.as_ref().ok().cloned())
            .collect()
    }

    pub fn snapshot(&self, namespace: &str, name: &str) -> Option<ControllerRevision> {
        self.snapshots.get(&ObjectRef::new(name).within(namespace)).map(|s| (*s).clone())
    }

    /// The cluster named `name`: `Ok(None)` if absent, `Err` if present but malformed.
    pub fn cluster(&self, name: &str) -> Result<Option<EcsCluster>, String> {
        match self.clusters.get(&ObjectRef::new(name)) {
            None => Ok(None),
            Some(guard) => guard.0.clone().map(Some).map_err(|e| e.error.to_string()),
        }
    }

    pub fn node(&self, name: &str) -> Option<Node> {
        self.nodes.get(&ObjectRef::new(name)).map(|n| (*n).clone())
    }

    pub fn all_nodes(&self) -> Vec<std::sync::Arc<Node>> {
        self.nodes.state()
    }

    pub fn task_pod(&self, namespace: &str, name: &str) -> Option<Pod> {
        self.task_pods.get(&ObjectRef::new(name).within(namespace)).map(|p| (*p).clone())
    }
}
