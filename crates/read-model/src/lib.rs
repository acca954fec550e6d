//! Watch-fed caches of the objects reconciles read, shared by every controller.
//!
//! Reconciles read task definitions, their revision snapshots, clusters, nodes, kube-ecs Pods and
//! the services' workloads from here instead of the API server: under a client-side budget (20 QPS in
//! the matched benchmarks) a GET or LIST per reconcile would throttle the operator long before the API
//! server is busy, and a burst of Tasks waiting for their task definition would starve the
//! TaskDefinition controller's own requests.
//!
//! Each cache has one watch. Controllers that must react to changes subscribe to the same watch
//! (`*_changes`, see [`fanout`]), and the cache and its secondary indexes ([`indexes`]) are updated
//! before subscribers are notified.

mod backoff;
mod fanout;
pub mod index;
pub mod indexes;
pub mod intern;
mod lookups;
pub mod pod;
pub mod revisions;
pub mod trim;
mod well_formed;

use std::sync::{Arc, Mutex};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service as KubeService};
use kube::api::Api;
use kube::core::DeserializeGuard;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher::{self, watcher};
use kube::runtime::{WatchStreamExt, reflector::store::Writer};
use kube::{Client, Resource};

pub use backoff::WatchBackoff;
pub use fanout::Changes;
use fanout::Fanout;
pub use pod::CachedPod;
pub use trim::strip;
pub use well_formed::{WellFormed, well_formed};

// The layers below, by the names the modules use.
use kube_ecs_api as api;

use crate::api::{EcsCluster, Service, Task, TaskDefinition};
use kube_ecs_api::labels;

/// Read-only handles to the caches.
#[derive(Clone)]
pub struct Caches {
    pub definitions: Store<DeserializeGuard<TaskDefinition>>,
    pub snapshots: Store<ControllerRevision>,
    pub clusters: Store<DeserializeGuard<EcsCluster>>,
    pub nodes: Store<Node>,
    pub tasks: Store<DeserializeGuard<Task>>,
    pub services: Store<DeserializeGuard<Service>>,
    /// Pods kube-ecs made (of Tasks and Services), in their compact cached shape ([`pod`]).
    pub task_pods: Store<CachedPod>,
    /// The ECS services' Deployments, DaemonSets and Kubernetes Services.
    pub deployments: Store<Deployment>,
    pub daemon_sets: Store<DaemonSet>,
    pub kube_services: Store<KubeService>,
    /// Namespaces, metadata only: their Pod Security labels bound what a Task's Pod may do.
    pub namespaces: Store<Namespace>,
    /// Secondary indexes of these caches, kept by the feeds.
    indexes: Arc<indexes::Indexes>,
    /// Which caches have had their first full list.
    listed: Arc<tokio::sync::watch::Sender<std::collections::BTreeSet<&'static str>>>,
}

/// Every cache, by the name [`Caches::mark_listed`] is called with.
const CACHED_KINDS: [&str; 11] = [
    "taskdefinitions",
    "controllerrevisions",
    "ecsclusters",
    "nodes",
    "tasks",
    "services",
    "pods",
    "deployments",
    "daemonsets",
    "kubeservices",
    "namespaces",
];

/// One cache's write side and the fan-out of its watch.
struct Feed<K: Resource<DynamicType = ()> + Clone + 'static> {
    writer: Writer<K>,
    fanout: Fanout<K>,
}

impl<K: Resource<DynamicType = ()> + Clone + 'static> Feed<K> {
    fn new() -> (Store<K>, Self) {
        let (store, writer) = reflector::store();
        (store, Self { writer, fanout: Fanout::default() })
    }
}

/// The write side, taken once by [`Feeds::run`].
pub struct Feeds {
    definitions: Feed<DeserializeGuard<TaskDefinition>>,
    snapshots: Feed<ControllerRevision>,
    clusters: Feed<DeserializeGuard<EcsCluster>>,
    nodes: Feed<Node>,
    tasks: Feed<DeserializeGuard<Task>>,
    services: Feed<DeserializeGuard<Service>>,
    pods: Feed<CachedPod>,
    deployments: Feed<Deployment>,
    daemon_sets: Feed<DaemonSet>,
    kube_services: Feed<KubeService>,
    namespaces: Feed<Namespace>,
}

/// Both halves; the writers sit here until the controllers start.
pub struct SharedCaches {
    pub read: Caches,
    feeds: Mutex<Option<Feeds>>,
}

impl Default for SharedCaches {
    fn default() -> Self {
        let (definitions, definitions_w) = Feed::new();
        let (snapshots, snapshots_w) = Feed::new();
        let (clusters, clusters_w) = Feed::new();
        let (nodes, nodes_w) = Feed::new();
        let (tasks, tasks_w) = Feed::new();
        let (services, services_w) = Feed::new();
        let (task_pods, pods_w) = Feed::new();
        let (deployments, deployments_w) = Feed::new();
        let (daemon_sets, daemon_sets_w) = Feed::new();
        let (kube_services, kube_services_w) = Feed::new();
        let (namespaces, namespaces_w) = Feed::new();
        Self {
            read: Caches {
                definitions,
                snapshots,
                clusters,
                nodes,
                tasks,
                services,
                task_pods,
                deployments,
                daemon_sets,
                kube_services,
                namespaces,
                indexes: Default::default(),
                listed: Arc::new(tokio::sync::watch::Sender::new(Default::default())),
            },
            feeds: Mutex::new(Some(Feeds {
                definitions: definitions_w,
                snapshots: snapshots_w,
                clusters: clusters_w,
                nodes: nodes_w,
                tasks: tasks_w,
                services: services_w,
                pods: pods_w,
                deployments: deployments_w,
                daemon_sets: daemon_sets_w,
                kube_services: kube_services_w,
                namespaces: namespaces_w,
            })),
        }
    }
}

impl SharedCaches {
    fn subscribe<T>(&self, pick: impl FnOnce(&mut Feeds) -> T) -> Option<T> {
        let mut guard = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_mut().map(pick)
    }

    // Subscriptions are made before the feeds start (`None` afterwards).
    pub fn definition_changes(&self) -> Option<Changes<DeserializeGuard<TaskDefinition>>> {
        self.subscribe(|f| f.definitions.fanout.subscribe())
    }
    pub fn snapshot_changes(&self) -> Option<Changes<ControllerRevision>> {
        self.subscribe(|f| f.snapshots.fanout.subscribe())
    }
    pub fn cluster_changes(&self) -> Option<Changes<DeserializeGuard<EcsCluster>>> {
        self.subscribe(|f| f.clusters.fanout.subscribe())
    }
    pub fn node_changes(&self) -> Option<Changes<Node>> {
        self.subscribe(|f| f.nodes.fanout.subscribe())
    }
    pub fn task_changes(&self) -> Option<Changes<DeserializeGuard<Task>>> {
        self.subscribe(|f| f.tasks.fanout.subscribe())
    }
    pub fn service_changes(&self) -> Option<Changes<DeserializeGuard<Service>>> {
        self.subscribe(|f| f.services.fanout.subscribe())
    }
    pub fn pod_changes(&self) -> Option<Changes<CachedPod>> {
        self.subscribe(|f| f.pods.fanout.subscribe())
    }
    pub fn deployment_changes(&self) -> Option<Changes<Deployment>> {
        self.subscribe(|f| f.deployments.fanout.subscribe())
    }
    pub fn daemon_set_changes(&self) -> Option<Changes<DaemonSet>> {
        self.subscribe(|f| f.daemon_sets.fanout.subscribe())
    }
    pub fn kube_service_changes(&self) -> Option<Changes<KubeService>> {
        self.subscribe(|f| f.kube_services.fanout.subscribe())
    }
    pub fn namespace_changes(&self) -> Option<Changes<Namespace>> {
        self.subscribe(|f| f.namespaces.fanout.subscribe())
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
            pods,
            deployments,
            daemon_sets,
            kube_services,
            namespaces,
        } = self;
        let all = watcher::Config::default;
        // Only what kube-ecs made: Pods of Tasks and Services, the services' workloads.
        let managed = format!("{}={}", labels::MANAGED_BY, labels::MANAGED_BY_VALUE);
        let of_services = || watcher::Config::default().labels(labels::SERVICE_NAME);
        let of_definitions = watcher::Config::default().labels(labels::TASK_DEFINITION_NAME);
        let c = &caches;
        let ix = &*caches.indexes;
        futures::join!(
            feed(
                Api::all(client.clone()),
                all(),
                definitions,
                kept(trim::strip_guarded),
                (c, "taskdefinitions"),
                |e| {
                    let r = index::reference_of(e);
                    ix.definitions_by_namespace.observe_shared(e, r.as_ref());
                    ix.definitions_by_family.observe_shared(e, r.as_ref());
                }
            ),
            feed(Api::all(client.clone()), of_definitions, snapshots, kept(strip), (c, "controllerrevisions"), |e| {
                ix.snapshots_by_definition.observe(e)
            }),
            feed(Api::all(client.clone()), all(), clusters, kept(trim::strip_guarded), (c, "ecsclusters"), unindexed),
            feed(Api::all(client.clone()), all(), nodes, kept(trim::strip_node), (c, "nodes"), unindexed),
            feed(Api::all(client.clone()), all(), tasks, kept(trim::strip_guarded), (c, "tasks"), |e| {
                // One reference per Task for all four indexes.
                let r = index::reference_of(e);
                ix.tasks_by_cluster.observe_shared(e, r.as_ref());
                ix.tasks_by_node.observe_shared(e, r.as_ref());
                ix.tasks_by_namespace.observe_shared(e, r.as_ref());
                ix.tasks_by_family.observe_shared(e, r.as_ref());
            }),
            feed(Api::all(client.clone()), all(), services, kept(trim::strip_guarded), (c, "services"), |e| {
                let r = index::reference_of(e);
                ix.services_by_cluster.observe_shared(e, r.as_ref());
                ix.services_by_namespace.observe_shared(e, r.as_ref());
                ix.services_by_family.observe_shared(e, r.as_ref());
            }),
            feed(Api::<Pod>::all(client.clone()), all().labels(&managed), pods, CachedPod::from, (c, "pods"), |e| {
                let r = index::reference_of(e);
                ix.pods_by_service.observe_shared(e, r.as_ref());
                ix.pods_by_node.observe_shared(e, r.as_ref());
            }),
            feed(
                Api::all(client.clone()),
                of_services(),
                deployments,
                kept(trim::strip_deployment),
                (c, "deployments"),
                unindexed
            ),
            feed(Api::all(client.clone()), of_services(), daemon_sets, kept(strip), (c, "daemonsets"), unindexed),
            feed(Api::all(client.clone()), of_services(), kube_services, kept(strip), (c, "kubeservices"), unindexed),
            feed(Api::all(client), all(), namespaces, kept(trim::strip_namespace), (c, "namespaces"), unindexed),
        );
    }
}

/// The `index` of a cache without secondary indexes.
fn unindexed<K>(_: &watcher::Event<K>) {}

/// The cached copy of an object that is cached in its own type, trimmed by `strip`.
fn kept<K>(strip: fn(&mut K)) -> impl Fn(K) -> K {
    move |mut object| {
        strip(&mut object);
        object
    }
}

/// The same event about the cached copy.
fn converted<S, K>(event: watcher::Event<S>, cached: impl Fn(S) -> K) -> watcher::Event<K> {
    match event {
        watcher::Event::Apply(o) => watcher::Event::Apply(cached(o)),
        watcher::Event::Delete(o) => watcher::Event::Delete(cached(o)),
        watcher::Event::InitApply(o) => watcher::Event::InitApply(cached(o)),
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitDone => watcher::Event::InitDone,
    }
}

/// One watch of `S` objects, cached as `K` (`cached` makes the copy): updates the cache and its
/// indexes (`index`), then tells the subscribers.
async fn feed<S, K>(
    api: Api<S>,
    config: watcher::Config,
    Feed { writer, fanout }: Feed<K>,
    cached: impl Fn(S) -> K,
    (caches, kind): (&Caches, &'static str),
    index: impl Fn(&watcher::Event<K>),
) where
    S: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
    S::DynamicType: Default,
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    let store = writer.as_reader();
    watcher(api, config)
        .backoff(WatchBackoff::default())
        .map_ok(|event| converted(event, &cached))
        .reflect(writer)
        .for_each(|event| {
            // Every event, the relist's too: a relist replaces the indexes' contents as it does the store's.
            if let Ok(event) = &event {
                index(event);
            }
            match event {
                // The store's copy, not a second one: during a burst, changes wait in the
                // subscribers' queues, and each would otherwise hold a whole object of its own.
                Ok(watcher::Event::Apply(object)) => {
                    fanout.send(store.get(&ObjectRef::from_obj(&object)).unwrap_or_else(|| Arc::new(object)))
                }
                // Deletions too: a cluster's counts change when a task goes.
                Ok(watcher::Event::Delete(object)) => fanout.send(Arc::new(object)),
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

    pub fn snapshot(&self, namespace: &str, name: &str) -> Option<Arc<ControllerRevision>> {
        self.snapshots.get(&ObjectRef::new(name).within(namespace))
    }

    /// The cluster named `name`: `Ok(None)` if absent, `Err` if present but malformed.
    pub fn cluster(&self, name: &str) -> Result<Option<EcsCluster>, String> {
        match self.clusters.get(&ObjectRef::new(name)) {
            None => Ok(None),
            Some(guard) => guard.0.clone().map(Some).map_err(|e| e.error.to_string()),
        }
    }

    /// Handles, not copies: a Node or Pod copy per reconcile was a large part of a burst's CPU.
    pub fn node(&self, name: &str) -> Option<Arc<Node>> {
        self.nodes.get(&ObjectRef::new(name))
    }

    pub fn all_nodes(&self) -> Vec<Arc<Node>> {
        self.nodes.state()
    }

    /// The Pod of the Task `name` (named after it), rebuilt from its cached copy.
    pub fn task_pod(&self, namespace: &str, name: &str) -> Option<Pod> {
        self.task_pods.get(&ObjectRef::new(name).within(namespace)).map(|p| p.to_pod())
    }

    pub fn deployment(&self, namespace: &str, name: &str) -> Option<Arc<Deployment>> {
        self.deployments.get(&ObjectRef::new(name).within(namespace))
    }

    pub fn daemon_set(&self, namespace: &str, name: &str) -> Option<Arc<DaemonSet>> {
        self.daemon_sets.get(&ObjectRef::new(name).within(namespace))
    }

    pub fn kube_service(&self, namespace: &str, name: &str) -> Option<Arc<KubeService>> {
        self.kube_services.get(&ObjectRef::new(name).within(namespace))
    }

    /// The Pod Security level `namespace` enforces (`None`: no enforce label, or not cached).
    pub fn namespace_pod_security(&self, namespace: &str) -> Option<crate::api::task_security::PodSecurityLevel> {
        use crate::api::task_security::{POD_SECURITY_ENFORCE_LABEL, PodSecurityLevel};
        let ns = self.namespaces.get(&ObjectRef::new(namespace))?;
        let value = ns.metadata.labels.as_ref()?.get(POD_SECURITY_ENFORCE_LABEL)?;
        // Pod Security admission reads a value it does not know as the strictest level.
        Some(PodSecurityLevel::from_label(value).unwrap_or(PodSecurityLevel::Restricted))
    }
}
