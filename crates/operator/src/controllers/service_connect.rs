//! The Service connect endpoints of a Service (`service_plan::service_connect`): the peers a
//! reconcile reads (from the shared cache of kube-ecs's Kubernetes Services), the endpoint Services
//! it applies, the stale ones it deletes, and which services a changed endpoint concerns.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Service as KubeService;
use kube::api::{Api, DeleteParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use kube_ecs_domain::service_plan::service_connect::NAMESPACE_LABEL;

use super::service::{APPLIED_HASH, content_hash};
use crate::api::service::Service;
use crate::apply;
use crate::context::Context;
use crate::error::Result;
use crate::labels;

fn is_endpoint(k: &KubeService) -> bool {
    k.labels().contains_key(NAMESPACE_LABEL)
}

/// The Service Connect endpoints in `namespace` (every service's), from the cache.
pub fn peers(ctx: &Context, namespace: &str) -> Vec<Arc<KubeService>> {
    ctx.caches()
        .kube_services
        .state()
        .into_iter()
        .filter(|k| k.namespace().as_deref() == Some(namespace) && is_endpoint(k))
        .collect()
}

/// The Service Connect services of the namespace a changed endpoint Service concerns: every service
/// of its namespace with Service Connect on (their tasks' `/etc/hosts` list the endpoints).
pub fn concerned(ctx: &Context, changed: &KubeService) -> Vec<ObjectRef<kube::core::DeserializeGuard<Service>>> {
    if !is_endpoint(changed) {
        return Vec::new();
    }
    let Some(namespace) = changed.namespace() else { return Vec::new() };
    ctx.caches()
        .services_in(&namespace)
        .iter()
        .filter(|s| s.spec.service_connect_configuration.is_some())
        .map(|s| ObjectRef::new(&s.name_any()).within(&namespace))
        .collect()
}

/// Applies `desired` (skipping unchanged ones) and deletes the service's other endpoints.
pub async fn apply_endpoints(ctx: &Context, service: &Service, desired: Vec<KubeService>) -> Result<()> {
    let namespace = service.namespace().unwrap_or_default();
    let api: Api<KubeService> = Api::namespaced(ctx.client.clone(), &namespace);
    let own = labels::value(&service.name_any());
    let current: Vec<Arc<KubeService>> = peers(ctx, &namespace)
        .into_iter()
        .filter(|k| k.labels().get(labels::SERVICE_NAME) == Some(&own))
        .filter(|k| k.owner_references().iter().any(|o| Some(&o.uid) == service.meta().uid.as_ref()))
        .collect();
    for mut endpoint in desired.iter().cloned() {
        let name = endpoint.name_any();
        let hash = content_hash(&endpoint)?;
        let existing = current.iter().find(|c| c.name_any() == name);
        if existing.and_then(|c| c.annotations().get(APPLIED_HASH)) != Some(&hash) {
            endpoint.annotations_mut().insert(APPLIED_HASH.into(), hash);
            apply::apply(&api, &name, &endpoint).await?;
        }
    }
    for stale in current.iter().filter(|c| desired.iter().all(|d| d.name_any() != c.name_any())) {
        match api.delete(&stale.name_any(), &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
