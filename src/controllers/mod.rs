//! The kube-runtime controllers, one file per kind, and the loop that runs them together.

pub mod admission;
pub mod cluster;
pub mod pacer;
pub mod permanent;
pub mod service;
pub mod task;
pub mod task_definition;
pub mod task_plan;

use std::sync::Arc;
use std::time::Duration;

use kube::core::DeserializeGuard;
use kube::runtime::controller::Action;

use crate::context::Context;
use crate::error::Error;

/// Retry policy shared by the controllers: user errors wait for a change (with a slow safety retry),
/// transient errors retry soon.
pub fn error_policy<K: kube::Resource<DynamicType = ()>>(object: Arc<K>, error: &Error, _ctx: Arc<Context>) -> Action {
    // The controllers run on DeserializeGuard<K>: the key names the same object either way.
    let kind = static_kind::<K>();
    let name = object.meta().name.as_deref().unwrap_or_default();
    match error {
        // Something applied together with its dependency (a Service and its TaskDefinition in one
        // `kubectl apply`) waits a moment as a matter of course; the object's conditions say so.
        Error::MissingDependency(_) => tracing::info!(kind, name, %error, "waiting for a dependency"),
        _ => tracing::warn!(kind, name, category = error.category(), %error, "reconcile failed"),
    }
    crate::metrics::Metrics::global().reconcile_failed(kind, error.category());
    if error.is_permanent() {
        return Action::requeue(_ctx.permanent_failures.failed(&permanent::key(object.as_ref())));
    }
    match error {
        Error::InvalidSpec(_) => Action::requeue(Duration::from_secs(300)),
        Error::MissingDependency(_) => Action::requeue(Duration::from_secs(10)),
        Error::Kube(_) | Error::Serialization(_) => Action::requeue(Duration::from_secs(2)),
    }
}

/// Reconciles a well-formed object with `reconcile`. A malformed one (accepted by the API server's
/// schema but not by our types) is logged and skipped: watching `DeserializeGuard<K>` instead of `K`
/// keeps one bad object from failing the list/watch of its whole kind.
pub async fn unguarded<K, Fut>(
    guard: Arc<DeserializeGuard<K>>,
    ctx: Arc<Context>,
    reconcile: impl FnOnce(Arc<K>, Arc<Context>) -> Fut,
) -> crate::error::Result<Action>
where
    K: Clone + kube::Resource<DynamicType = ()> + serde::Serialize,
    Fut: std::future::Future<Output = crate::error::Result<Action>>,
{
    match &guard.0 {
        Ok(object) => {
            let metrics = crate::metrics::Metrics::global();
            metrics.reconcile_started();
            let started = std::time::Instant::now();
            let outcome = reconcile(Arc::new(object.clone()), ctx.clone()).await;
            metrics.reconcile_finished(static_kind::<K>(), started.elapsed());
            match &outcome {
                Ok(_) => ctx.permanent_failures.succeeded(&permanent::key(object)),
                Err(error) if error.is_permanent() => permanent::report(object, &ctx, error).await,
                Err(_) => {}
            }
            outcome
        }
        Err(invalid) => {
            tracing::warn!(
                name = invalid.metadata.name.as_deref().unwrap_or_default(),
                namespace = invalid.metadata.namespace.as_deref().unwrap_or_default(),
                error = %invalid.error,
                "skipping a malformed object until it changes"
            );
            Ok(Action::await_change())
        }
    }
}

/// The kind of `K` as a metric label (every kube-ecs kind is a compile-time constant).
fn static_kind<K: kube::Resource<DynamicType = ()>>() -> &'static str {
    match K::kind(&()) {
        std::borrow::Cow::Borrowed(kind) => kind,
        std::borrow::Cow::Owned(_) => "other",
    }
}

/// The objects of a guarded store that deserialized, as handles into the cache: the cluster
/// controller and the watch mappers walk every Task on each trigger, and copying thousands of Tasks
/// each time made that walk the operator's main cost.
pub fn well_formed<K: Clone>(store: &kube::runtime::reflector::Store<DeserializeGuard<K>>) -> Vec<WellFormed<K>>
where
    DeserializeGuard<K>: kube::Resource<DynamicType = ()> + Clone,
{
    store.state().into_iter().filter(|g| g.0.is_ok()).map(WellFormed).collect()
}

/// A cached object known to have deserialized (only [`well_formed`] makes one).
#[derive(Clone)]
pub struct WellFormed<K>(std::sync::Arc<DeserializeGuard<K>>);

impl<K> std::ops::Deref for WellFormed<K> {
    type Target = K;

    fn deref(&self) -> &K {
        match &self.0.0 {
            Ok(object) => object,
            Err(_) => unreachable!("well_formed keeps only objects that deserialized"),
        }
    }
}

/// Backoff of a controller's watches. kube-runtime shares one backoff across all watches of a
/// controller, and after a kube-apiserver restart each watch fails once ("too old resource version")
/// before it re-lists; with the default (0.8s doubling to 30s) a controller with six watches needs
/// about a minute to resume. Capping at 3s keeps recovery within seconds without hammering the API.
#[derive(Clone, Debug)]
pub struct WatchBackoff {
    next: Duration,
}

impl WatchBackoff {
    const FIRST: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(3);
}

impl Default for WatchBackoff {
    fn default() -> Self {
        Self { next: Self::FIRST }
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        let current = self.next;
        self.next = (current * 2).min(Self::MAX);
        Some(current)
    }
}

impl kube::runtime::utils::Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

/// Runs every controller until `shutdown` resolves.
pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    let Some(subscriptions) = Subscriptions::take(&ctx) else {
        tracing::error!("the controllers of this context already run");
        return;
    };
    let Subscriptions { task, service, cluster, feeds } = subscriptions;
    let feeding = tokio::spawn(feeds.run(ctx.client.clone(), ctx.caches().clone()));
    futures::join!(
        task_definition::run(ctx.clone(), shutdown.clone()),
        task::run(ctx.clone(), task, shutdown.clone()),
        service::run(ctx.clone(), service, shutdown.clone()),
        cluster::run(ctx.clone(), cluster, shutdown.clone()),
    );
    feeding.abort();
}

/// Every controller's subscriptions to the shared watches, made before the watches start.
struct Subscriptions {
    task: task::Triggers,
    service: service::Triggers,
    cluster: cluster::Triggers,
    feeds: crate::caches::Feeds,
}

impl Subscriptions {
    fn take(ctx: &Context) -> Option<Self> {
        let c = &ctx.caches;
        let task = task::Triggers {
            tasks: c.task_changes()?,
            definitions: c.definition_changes()?,
            clusters: c.cluster_changes()?,
            nodes: c.node_changes()?,
            pods: c.pod_changes()?,
            namespaces: c.namespace_changes()?,
        };
        let service = service::Triggers {
            services: c.service_changes()?,
            definitions: c.definition_changes()?,
            clusters: c.cluster_changes()?,
            nodes: c.node_changes()?,
            pods: c.pod_changes()?,
            deployments: c.deployment_changes()?,
            daemon_sets: c.daemon_set_changes()?,
            kube_services: c.kube_service_changes()?,
            namespaces: c.namespace_changes()?,
        };
        let cluster = cluster::Triggers {
            clusters: c.cluster_changes()?,
            nodes: c.node_changes()?,
            tasks: c.task_changes()?,
            services: c.service_changes()?,
        };
        Some(Self { task, service, cluster, feeds: c.take_feeds()? })
    }
}
