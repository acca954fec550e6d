//! The Cloud Map kinds' controllers (`api::cloud_map`): each object's Cloud Map id in its status,
//! and for a DNS namespace the ConfigMap publishing its CoreDNS rule
//! (`service_plan::service_discovery::dns_config_map`), unless another DiscoveryNamespace of the
//! cluster already holds the name (one DNS name, one answer: Cloud Map refuses a second namespace
//! of a name in a VPC, and the cluster is the one network here).
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
use kube_ecs_domain::service_plan::service_discovery::{dns_config_map, namespace_id, namespace_of, service_id};

use super::runner::HasContext;
use crate::api::cloud_map::{
    DiscoveryNamespace, DiscoveryNamespaceStatus, DiscoveryService, DiscoveryServiceStatus, NamespaceType,
};
use crate::api::conditions::{Conditions, READY, STALLED};
use crate::apply;
use crate::context::Context;
use crate::error::Result;

/// How soon a service whose namespace is missing looks again.
const MISSING_NAMESPACE_RETRY: Duration = Duration::from_secs(10);

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

/// The DNS namespace of the same name created before `namespace` (its name's holder), if any.
fn earlier_holder(
    store: &Store<DeserializeGuard<DiscoveryNamespace>>,
    namespace: &DiscoveryNamespace,
) -> Option<String> {
    let dns = |n: &DiscoveryNamespace| n.spec.type_.unwrap_or_default().has_dns();
    if !dns(namespace) {
        return None;
    }
    let name = namespace.spec.name.trim_end_matches('.').to_ascii_lowercase();
    let key = |n: &DiscoveryNamespace| (n.metadata.creation_timestamp.clone().map(|t| t.0), n.metadata.uid.clone());
    store
        .state()
        .iter()
        .filter_map(|g| g.0.as_ref().ok())
        .filter(|n| dns(n) && n.spec.name.trim_end_matches('.').to_ascii_lowercase() == name)
        .filter(|n| n.metadata.uid != namespace.metadata.uid && n.metadata.deletion_timestamp.is_none())
        .filter(|n| key(n) < key(namespace))
        .map(|n| format!("{}/{}", n.namespace().unwrap_or_default(), n.name_any()))
        .next()
}

#[tracing::instrument(skip_all, fields(name = %namespace.name_any(), namespace = namespace.namespace().unwrap_or_default()))]
async fn reconcile_namespace(namespace: Arc<DiscoveryNamespace>, nc: Arc<NamespaceContext>) -> Result<Action> {
    if namespace.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let ctx = &nc.ctx;
    let k8s_namespace = namespace.namespace().unwrap_or_default();
    let now = Time(jiff::Timestamp::now());
    let previous = namespace.status.clone().unwrap_or_default();
    let mut status = DiscoveryNamespaceStatus {
        observed_generation: namespace.metadata.generation,
        conditions: previous.conditions.clone(),
        id: namespace_id(&namespace),
        dns_config_map: None,
    };
    let generation = namespace.metadata.generation;
    let kind = namespace.spec.type_.unwrap_or_default();
    if let Some(holder) = earlier_holder(&nc.store, &namespace) {
        let message = format!("the DNS name {} is already served by namespace {holder}", namespace.spec.name);
        Conditions::of(&mut status.conditions, generation, &now)
            .set(READY, false, "NamespaceAlreadyExists", message.clone())
            .set(STALLED, true, "NamespaceAlreadyExists", message);
    } else if let Some(map) = dns_config_map(&namespace) {
        let name = map.name_any();
        let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &k8s_namespace);
        apply::apply(&api, &name, &map).await?;
        Conditions::of(&mut status.conditions, generation, &now).remove(STALLED).set(
            READY,
            true,
            "Published",
            format!("<service>.{} names resolve in the cluster DNS (rule in ConfigMap {name})", namespace.spec.name),
        );
        status.dns_config_map = Some(name);
    } else {
        Conditions::of(&mut status.conditions, generation, &now).remove(STALLED).set(
            READY,
            true,
            "Created",
            format!("{} namespace: instances are found with DiscoverInstances, not DNS", NamespaceType::Http.as_str()),
        );
        debug_assert_eq!(kind, NamespaceType::Http);
    }
    if status != previous {
        let api: Api<DiscoveryNamespace> = Api::namespaced(ctx.client.clone(), &k8s_namespace);
        apply::apply_status(&api, &namespace.name_any(), serde_json::to_value(&status)?).await?;
    }
    // A holder that goes away hands the name over: look again now and then while refused.
    Ok(if crate::api::conditions::is_true(&status.conditions, STALLED) {
        Action::requeue(MISSING_NAMESPACE_RETRY)
    } else {
        Action::await_change()
    })
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
    let previous = service.status.clone().unwrap_or_default();
    let generation = service.metadata.generation;
    let mut status = DiscoveryServiceStatus {
        observed_generation: generation,
        conditions: previous.conditions.clone(),
        id: service_id(&service),
        namespace_id: None,
        dns_name: None,
    };
    let found = namespace_of(&service, &all);
    match found {
        Some(ns) => {
            status.namespace_id = namespace_id(ns);
            let dns = ns.spec.type_.unwrap_or_default().has_dns();
            status.dns_name = dns.then(|| format!("{}.{}", service.spec.name, ns.spec.name.trim_end_matches('.')));
            Conditions::of(&mut status.conditions, generation, &now).remove(STALLED).set(
                READY,
                true,
                "Created",
                format!("in namespace {}", ns.spec.name),
            );
        }
        None => {
            let message = format!("the namespace {} does not exist", service.spec.namespace_id);
            Conditions::of(&mut status.conditions, generation, &now)
                .set(READY, false, "NamespaceNotFound", message.clone())
                .set(STALLED, true, "NamespaceNotFound", message);
        }
    }
    if status != previous {
        let api: Api<DiscoveryService> = Api::namespaced(ctx.client.clone(), &k8s_namespace);
        apply::apply_status(&api, &service.name_any(), serde_json::to_value(&status)?).await?;
    }
    Ok(if found.is_none() { Action::requeue(MISSING_NAMESPACE_RETRY) } else { Action::await_change() })
}
