//! The tail every controller shares, written once: watch backoff, resync on request, graceful
//! shutdown, the malformed-object guard and metrics around each reconcile, the error policy.

use std::sync::Arc;

use futures::StreamExt;
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};

use crate::context::Context;
use crate::error::Result;

/// Reconciles in flight per controller. Unbounded, a burst of N Tasks ran N reconciles at once, and
/// each request in flight holds a connection of its own to the API server (HTTP/1.1: its TLS state
/// and buffers, about 20 KiB, kept idle afterwards): 1,000 Tasks held 20 MiB of connections. 32 at
/// a time still outpace what the API server on a small control plane accepts.
pub const CONCURRENT_RECONCILES: u16 = 32;

/// The controller configuration every controller starts from.
pub fn config() -> kube::runtime::controller::Config {
    kube::runtime::controller::Config::default().concurrency(CONCURRENT_RECONCILES)
}

/// A controller's reconcile context, which holds the shared one.
pub trait HasContext: Send + Sync + 'static {
    fn context(&self) -> &Context;
}

impl HasContext for Context {
    fn context(&self) -> &Context {
        self
    }
}

/// Runs `controller` with `reconcile` until `shutdown` resolves.
pub async fn run<K, C, Fut>(
    controller: Controller<DeserializeGuard<K>>,
    ctx: Arc<C>,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
    reconcile: fn(Arc<K>, Arc<C>) -> Fut,
) where
    K: Clone + kube::Resource<DynamicType = ()> + serde::Serialize + serde::de::DeserializeOwned,
    K: std::fmt::Debug + Send + Sync + 'static,
    C: HasContext,
    Fut: std::future::Future<Output = Result<Action>> + Send + 'static,
{
    let resync = ctx.context().resync_requests();
    controller
        .trigger_backoff(super::WatchBackoff::default())
        .reconcile_all_on(resync)
        .graceful_shutdown_on(shutdown)
        .run(
            move |guard, ctx: Arc<C>| async move {
                super::unguarded(guard, ctx.context(), |object| reconcile(object, ctx.clone())).await
            },
            |guard, error, ctx: Arc<C>| super::error_policy(guard, error, ctx.context()),
            ctx,
        )
        .for_each(|_| futures::future::ready(()))
        .await;
}
