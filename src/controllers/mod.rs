//! The kube-runtime controllers, one file per kind, and the loop that runs them together.

pub mod admission;
pub mod service;
pub mod task;
pub mod task_definition;
pub mod task_plan;

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;

use crate::context::Context;
use crate::error::Error;

/// Retry policy shared by the controllers: user errors wait for a change (with a slow safety retry),
/// transient errors retry soon.
pub fn error_policy<K>(_object: Arc<K>, error: &Error, _ctx: Arc<Context>) -> Action {
    tracing::warn!(category = error.category(), %error, "reconcile failed");
    match error {
        Error::InvalidSpec(_) => Action::requeue(Duration::from_secs(300)),
        Error::MissingDependency(_) => Action::requeue(Duration::from_secs(10)),
        Error::Kube(_) | Error::Serialization(_) => Action::requeue(Duration::from_secs(2)),
    }
}

/// Runs every controller until `shutdown` resolves.
pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    futures::join!(
        task_definition::run(ctx.clone(), shutdown.clone()),
        task::run(ctx.clone(), shutdown.clone()),
        service::run(ctx.clone(), shutdown.clone()),
    );
}
