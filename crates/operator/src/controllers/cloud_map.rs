//! The Cloud Map kinds' controllers (`api::cloud_map`): observe (the namespaces' own watch; a
//! service's namespaces from the API server) -> plan (`kube_ecs_domain::cloud_map_plan`: the status
//! with the object's Cloud Map id, a DNS namespace's ConfigMap with its CoreDNS rule unless an older
//! namespace holds the name) -> apply (the ConfigMap, one status apply when it changed).
//!
//! Cheap objects, rarely changed: the namespaces' own watch is their cache; a service reads its
//! namespace from the API server, and looks again a little later while it is missing.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::Store;
use kube::runtime::watcher;
use kube_ecs_domain::cloud_map_plan::{NamespacePlan, earlier_holder, plan_namespace, plan_service};

use super::runner::HasContext;
use crate::api::cloud_map::{DiscoveryNamespace, DiscoveryService};
use crate::apply;
use crate::context::Context;
use crate::error::Result;

/// How soon a refused namespace, or a service whose namespace is missing, looks again.
const RETRY: Duration = Duration::from_secs(10);

struct NamespaceContext {
    ctx: Arc<Context>,
    /// Every DiscoveryNamespace, for the holder of a DNS name.
    store: Store<DeserializeGuard<DiscoveryNamespace>>,
}

impl HasContext for NamespaceContext {
    fn context(&self) -> &Context {
        &self.ctx
    }
}

pub async fn run_namespaces(
    ctx: Arc<Context>,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let api = Api::<DeserializeGuard<DiscoveryNamespace>>::all(ctx.client.clone());
    let controller =
        Controller::new(api, watcher::Config::default().any_semantic()).with_config(super::runner::config());
    let store = controller.store();
    super::runner::run(controller, Arc::new(NamespaceContext { ctx, store }), shutdown, reconcile_namespace).await;
}

pub async fn run_services(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let api = Api::<DeserializeGuard<DiscoveryService>>::all(ctx.client.clone());
    let controller =
        Controller::new(api, watcher::Config::default().any_semantic()).with_config(super::runner::config());
    super::runner::run(controller, ctx, shutdown, reconcile_service).await;
}

#[tracing::instrument(skip_all, fields(name = %namespace.name_any(), namespace = namespace.namespace().unwrap_or_default()))]
async fn reconcile_namespace(namespace: Arc<DiscoveryNamespace>, nc: Arc<NamespaceContext>) -> Result<Action> {
    if namespace.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let ctx = &nc.ctx;
    let k8s_namespace = namespace.namespace().unwrap_or_default();
    let now = Time(jiff::Timestamp::now());
    let cluster = nc.store.state();
    let holder = earlier_holder(&namespace, cluster.iter().filter_map(|g| g.0.as_ref().ok()));
    let NamespacePlan { status, config_map, stalled } = plan_namespace(&namespace, holder, &now);
    if let Some(map) = config_map {
        let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &k8s_namespace);
        apply::apply(&api, &map.name_any(), &map).await?;
    }
    if Some(&status) != namespace.status.as_ref() {
        let api: Api<DiscoveryNamespace> = Api::namespaced(ctx.client.clone(), &k8s_namespace);
        apply::apply_status(&api, &namespace.name_any(), serde_json::to_value(&status)?).await?;
    }
    // A holder that goes away hands the name over: look again now and then while refused.
    Ok(if stalled { Action::requeue(RETRY) } else { Action::await_change() })
}

#[tracing::instrument(skip_all, fields(name = %service.name_any(), namespace = service.namespace().unwrap_or_default()))]
async fn reconcile_service(service: Arc<DiscoveryService>, ctx: Arc<Context>) -> Result<Action> {
    if service.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let k8s_namespace = service.namespace().unwrap_or_default();
    let now = Time(jiff::Timestamp::now());
    let namespaces: Api<DiscoveryNamespace> = Api::namespaced(ctx.client.clone(), &k8s_namespace);
    let all = namespaces.list(&ListParams::default()).await?.items;
    let (status, missing) = plan_service(&service, &all, &now);
    if Some(&status) != service.status.as_ref() {
        let api: Api<DiscoveryService> = Api::namespaced(ctx.client.clone(), &k8s_namespace);
        apply::apply_status(&api, &service.name_any(), serde_json::to_value(&status)?).await?;
    }
    Ok(if missing { Action::requeue(RETRY) } else { Action::await_change() })
}
