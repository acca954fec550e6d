//! `serviceRegistries` -> the headless Kubernetes Services behind the Cloud Map names
//! (`service_plan::service_discovery`): reads the namespace's DiscoveryServices and
//! DiscoveryNamespaces (only for services with registries; they are few and small), applies the
//! headless Services, deletes the ones no longer named (or whose Cloud Map service is gone, noticed
//! within [`REGISTERED_RECHECK`]), and records the outcome in the condition
//! `ServiceRegistries` (with an Event when a registry is missing or refused, naming the field).

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service as KubeService;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams};
use kube_ecs_domain::service_plan::service_discovery::{
    DNS_NAME_ANNOTATION, REGISTRY_LABEL, headless_services, resolve, service_id,
};

use super::service::{APPLIED_HASH, content_hash};
use crate::api::cloud_map::{DiscoveryNamespace, DiscoveryService};
use crate::api::conditions::Conditions;
use crate::api::service::{Service, ServiceStatus};
use crate::api::task_definition::TaskDefinitionSpec;
use crate::apply;
use crate::context::Context;
use crate::error::Result;
use crate::event::EcsEvent;
use crate::labels;

/// The condition type this module sets.
pub const SERVICE_REGISTRIES: &str = "ServiceRegistries";
/// How soon a service whose registry is missing looks again (its creation changes no object the
/// Service controller watches).
const MISSING_REGISTRY_RETRY: Duration = Duration::from_secs(5);
/// How often a registered service looks at its registries again: a Cloud Map service deleted
/// with kubectl changes no object the Service controller watches either.
const REGISTERED_RECHECK: Duration = Duration::from_secs(30);

/// Applies the service's registries; returns when to look again (while one is missing or refused).
pub async fn register(
    ctx: &Context,
    service: &Service,
    definition: &TaskDefinitionSpec,
    status: &mut ServiceStatus,
    now: &Time,
) -> Result<Option<Duration>> {
    let namespace = service.namespace().unwrap_or_default();
    let generation = service.metadata.generation;
    // A service that never had registries (no condition) has nothing to apply or clean up: most
    // services, which then cost no lookup at all.
    if service.spec.service_registries.is_empty()
        && crate::api::conditions::find(&status.conditions, SERVICE_REGISTRIES).is_none()
    {
        return Ok(None);
    }
    let kube_services: Api<KubeService> = Api::namespaced(ctx.client.clone(), &namespace);
    let own = format!("{REGISTRY_LABEL},{}={}", labels::SERVICE_NAME, labels::value(&service.name_any()));
    let current: Vec<KubeService> = if service.spec.service_registries.is_empty() {
        // The label's cached copy says whether any headless Service is left to delete.
        ctx.caches()
            .kube_services
            .state()
            .iter()
            .filter(|k| k.namespace().as_deref() == Some(namespace.as_str()) && k.labels().contains_key(REGISTRY_LABEL))
            .filter(|k| k.labels().get(labels::SERVICE_NAME) == Some(&labels::value(&service.name_any())))
            .map(|k| k.as_ref().clone())
            .collect()
    } else {
        kube_services.list(&ListParams::default().labels(&own)).await?.items
    };
    // The Cloud Map services that exist, by id: a headless Service of one that is gone goes too.
    let (desired, existing) = if service.spec.service_registries.is_empty() {
        (Ok(Vec::new()), BTreeSet::new())
    } else {
        let discoveries: Api<DiscoveryService> = Api::namespaced(ctx.client.clone(), &namespace);
        let namespaces: Api<DiscoveryNamespace> = Api::namespaced(ctx.client.clone(), &namespace);
        let discoveries = discoveries.list(&ListParams::default()).await?.items;
        let namespaces = namespaces.list(&ListParams::default()).await?.items;
        let existing: BTreeSet<String> = discoveries.iter().filter_map(service_id).collect();
        (resolve(service, &discoveries, &namespaces).and_then(|r| headless_services(service, definition, &r)), existing)
    };
    let desired = match desired {
        Ok(desired) => desired,
        Err(message) => {
            let gone = |k: &&KubeService| k.labels().get(REGISTRY_LABEL).is_none_or(|id| !existing.contains(id));
            delete_owned(&kube_services, service, current.iter().filter(gone)).await?;
            let reason = if message.contains("does not exist") { "RegistryNotFound" } else { "InvalidServiceRegistry" };
            let was = crate::api::conditions::find(&status.conditions, SERVICE_REGISTRIES).map(|c| c.message.clone());
            Conditions::of(&mut status.conditions, generation, now).set(SERVICE_REGISTRIES, false, reason, &message);
            if was.as_deref() != Some(message.as_str()) {
                ctx.event(service, "RegisterInstance", &EcsEvent::warning(reason, message.as_str())).await;
            }
            return Ok(Some(MISSING_REGISTRY_RETRY));
        }
    };
    for mut headless in desired.iter().cloned() {
        let name = headless.name_any();
        let hash = content_hash(&headless)?;
        let existing = current.iter().find(|c| c.name_any() == name);
        if existing.and_then(|c| c.annotations().get(APPLIED_HASH)) != Some(&hash) {
            headless.annotations_mut().insert(APPLIED_HASH.into(), hash);
            apply::apply(&kube_services, &name, &headless).await?;
        }
    }
    let stale = current.iter().filter(|c| desired.iter().all(|d| d.name_any() != c.name_any()));
    delete_owned(&kube_services, service, stale).await?;
    if desired.is_empty() {
        Conditions::of(&mut status.conditions, generation, now).remove(SERVICE_REGISTRIES);
    } else {
        let names: Vec<String> =
            desired.iter().filter_map(|d| d.annotations().get(DNS_NAME_ANNOTATION).cloned()).collect();
        Conditions::of(&mut status.conditions, generation, now).set(
            SERVICE_REGISTRIES,
            true,
            "Registered",
            format!("tasks are registered under {}", names.join(", ")),
        );
        return Ok(Some(REGISTERED_RECHECK));
    }
    Ok(None)
}

/// Deletes those of `candidates` that `service` owns (never another service's of the same label).
async fn delete_owned<'a>(
    api: &Api<KubeService>,
    service: &Service,
    candidates: impl Iterator<Item = &'a KubeService>,
) -> Result<()> {
    let owned = |k: &&KubeService| k.owner_references().iter().any(|o| Some(&o.uid) == service.metadata.uid.as_ref());
    for stale in candidates.filter(owned) {
        match api.delete(&stale.name_any(), &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
