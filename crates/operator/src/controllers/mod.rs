//! The kube-runtime controllers, one file per kind, and the loop that runs them together.

pub mod admission;
pub mod cloud_map;
pub mod cluster;
pub mod finalizers;
pub mod pacer;
pub mod permanent;
pub mod repository;
pub mod runner;
pub mod scheduled_task;
pub mod service;
pub mod service_connect;
pub mod service_discovery;
pub mod target_groups;
pub mod task;
pub mod task_definition;

pub use kube_ecs_domain::task_plan;
pub use kube_ecs_read_model::{WatchBackoff, WellFormed, well_formed};

use std::sync::Arc;
use std::time::Duration;

use kube::core::DeserializeGuard;
use kube::runtime::controller::Action;

use crate::context::Context;
use crate::error::Error;

/// Retry policy shared by the controllers: user errors wait for a change (with a slow safety retry),
/// transient errors retry soon.
pub fn error_policy<K: kube::Resource<DynamicType = ()>>(object: Arc<K>, error: &Error, ctx: &Context) -> Action {
    // The controllers run on DeserializeGuard<K>: the key names the same object either way.
    let kind = static_kind::<K>();
    let name = object.meta().name.as_deref().unwrap_or_default();
    // (Waiting for a dependency is not an error: reconciles return it as a requeue.)
    tracing::warn!(kind, name, step = error.step(), category = error.category(), %error, "reconcile failed");
    crate::metrics::Metrics::global().reconcile_failed(kind, error.category());
    if error.is_permanent() {
        return Action::requeue(ctx.permanent_failures.failed(&permanent::key(object.as_ref())));
    }
    match error {
        Error::InvalidSpec(_) => Action::requeue(Duration::from_secs(300)),
        Error::Kube(_) | Error::Serialization(_) | Error::Registry(_) => Action::requeue(Duration::from_secs(2)),
    }
}

/// Reconciles a well-formed object with `reconcile`. A malformed one (accepted by the API server's
/// schema but not by our types) is logged and skipped: watching `DeserializeGuard<K>` instead of `K`
/// keeps one bad object from failing the list/watch of its whole kind.
pub async fn unguarded<K, Fut>(
    guard: Arc<DeserializeGuard<K>>,
    ctx: &Context,
    reconcile: impl FnOnce(Arc<K>) -> Fut,
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
            let outcome = reconcile(Arc::new(object.clone())).await;
            metrics.reconcile_finished(static_kind::<K>(), started.elapsed());
            match &outcome {
                Ok(_) => ctx.permanent_failures.succeeded(&permanent::key(object)),
                Err(error) if error.is_permanent() => permanent::report(object, ctx, error).await,
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

/// Runs every controller until `shutdown` resolves.
pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    let Some(subscriptions) = Subscriptions::take(&ctx) else {
        tracing::error!("the controllers of this context already run");
        return;
    };
    let Subscriptions { task_definition, task, service, cluster, feeds } = subscriptions;
    let feeding = tokio::spawn(feeds.run(ctx.client.clone(), ctx.caches().clone()));
    futures::join!(
        task_definition::run(ctx.clone(), task_definition, shutdown.clone()),
        task::run(ctx.clone(), task, shutdown.clone()),
        service::run(ctx.clone(), service, shutdown.clone()),
        cluster::run(ctx.clone(), cluster, shutdown.clone()),
        scheduled_task::run(ctx.clone(), shutdown.clone()),
        cloud_map::run_namespaces(ctx.clone(), shutdown.clone()),
        cloud_map::run_services(ctx.clone(), shutdown.clone()),
    );
    feeding.abort();
}

/// Every controller's subscriptions to the shared watches, made before the watches start.
struct Subscriptions {
    task_definition: task_definition::Triggers,
    task: task::Triggers,
    service: service::Triggers,
    cluster: cluster::Triggers,
    feeds: crate::caches::Feeds,
}

impl Subscriptions {
    fn take(ctx: &Context) -> Option<Self> {
        let c = &ctx.caches;
        let task_definition = task_definition::Triggers {
            definitions: c.definition_changes()?,
            peers: c.definition_changes()?,
            snapshots: c.snapshot_changes()?,
        };
        let task = task::Triggers {
            tasks: c.task_changes()?,
            definitions: c.definition_changes()?,
            clusters: c.cluster_changes()?,
            nodes: c.node_changes()?,
            pods: c.pod_changes()?,
            namespaces: c.namespace_changes()?,
            snapshots: c.snapshot_changes()?,
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
            connect_endpoints: c.kube_service_changes()?,
            namespaces: c.namespace_changes()?,
            snapshots: c.snapshot_changes()?,
        };
        let cluster = cluster::Triggers {
            clusters: c.cluster_changes()?,
            nodes: c.node_changes()?,
            tasks: c.task_changes()?,
            services: c.service_changes()?,
        };
        Some(Self { task_definition, task, service, cluster, feeds: c.take_feeds()? })
    }
}
