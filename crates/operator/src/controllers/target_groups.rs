//! `loadBalancers[].targetGroupArn` -> TargetGroupBinding (elbv2.k8s.aws), for clusters that run the
//! AWS Load Balancer Controller (EKS): it registers the Service's Pod IPs in the existing target
//! group, as ECS registers its tasks. Without that kind in the cluster, the Kubernetes Service alone
//! serves the traffic, and the condition `TargetGroupsBound` says what is missing.
//!
//! The kind is looked up with API discovery, remembered for a minute (an install of the controller
//! is noticed within that time); a binding is applied only when its content changed since this
//! process last applied it (the operator keeps no cache of a kind that may not exist).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube_ecs_domain::service_plan::load_balancing::{
    TARGET_GROUP_BINDING_GROUP, TARGET_GROUP_BINDING_KIND, TARGET_GROUP_BINDING_VERSION, target_group_bindings,
};
use kube_ecs_domain::service_plan::workload;

use crate::api::conditions::Conditions;
use crate::api::service::{Service, ServiceStatus};
use crate::apply::FIELD_MANAGER;
use crate::context::Context;
use crate::error::Result;

/// The condition type this module sets.
pub const TARGET_GROUPS_BOUND: &str = "TargetGroupsBound";
/// How long a discovery answer is trusted.
const DISCOVERY_TTL: Duration = Duration::from_secs(60);

/// Applies the service's TargetGroupBindings when the cluster has the kind, and records the outcome
/// in `status` (no condition when the service names no target group). Returns when to look again:
/// while the kind is missing, once the discovery answer expires (an install of the controller
/// changes no object this controller watches).
pub async fn bind(
    ctx: &Context,
    service: &Service,
    status: &mut ServiceStatus,
    now: &Time,
) -> Result<Option<Duration>> {
    let kube_service = workload::kube_service_name(&service.name_any());
    let bindings = target_group_bindings(service, &kube_service);
    let generation = service.metadata.generation;
    if bindings.is_empty() {
        Conditions::of(&mut status.conditions, generation, now).remove(TARGET_GROUPS_BOUND);
        return Ok(None);
    }
    let Some(resource) = binding_kind(ctx).await? else {
        let message = format!(
            "the cluster has no {TARGET_GROUP_BINDING_KIND} kind ({TARGET_GROUP_BINDING_GROUP}, the AWS Load Balancer \
             Controller's): the Kubernetes Service {kube_service} serves the traffic; install the controller to \
             register the tasks in {} target group(s)",
            bindings.len()
        );
        Conditions::of(&mut status.conditions, generation, now).set(
            TARGET_GROUPS_BOUND,
            false,
            "TargetGroupBindingUnavailable",
            message,
        );
        return Ok(Some(DISCOVERY_TTL));
    };
    let namespace = service.namespace().unwrap_or_default();
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), &namespace, &resource);
    for (name, binding) in &bindings {
        let key = format!("{namespace}/{name}");
        let content = binding.to_string();
        if applied().lock().map(|m| m.get(&key) == Some(&content)).unwrap_or(false) {
            continue;
        }
        api.patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(binding)).await?;
        if let Ok(mut memo) = applied().lock() {
            memo.insert(key, content);
        }
    }
    let names: Vec<&str> = bindings.iter().map(|(n, _)| n.as_str()).collect();
    Conditions::of(&mut status.conditions, generation, now).set(
        TARGET_GROUPS_BOUND,
        true,
        "TargetGroupBindingsApplied",
        format!("{} bound to Service {kube_service}", names.join(", ")),
    );
    Ok(None)
}

/// What this process last applied, by `namespace/name`.
fn applied() -> &'static Mutex<HashMap<String, String>> {
    static APPLIED: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    APPLIED.get_or_init(Default::default)
}

/// A discovery answer and when it was had.
type Discovered = Option<(Instant, Option<kube::api::ApiResource>)>;

/// The TargetGroupBinding API resource, if the cluster serves it (remembered for DISCOVERY_TTL).
async fn binding_kind(ctx: &Context) -> Result<Option<kube::api::ApiResource>> {
    static SEEN: OnceLock<Mutex<Discovered>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Ok(guard) = seen.lock()
        && let Some((at, found)) = guard.as_ref()
        && at.elapsed() < DISCOVERY_TTL
    {
        return Ok(found.clone());
    }
    let gvk =
        GroupVersionKind::gvk(TARGET_GROUP_BINDING_GROUP, TARGET_GROUP_BINDING_VERSION, TARGET_GROUP_BINDING_KIND);
    let found = match kube::discovery::pinned_kind(&ctx.client, &gvk).await {
        Ok((resource, _)) => Some(resource),
        Err(kube::Error::Api(e)) if e.code == 404 => None,
        // A group the apiserver does not serve at all is not found by name either.
        Err(kube::Error::Discovery(_)) => None,
        Err(e) => return Err(e.into()),
    };
    if let Ok(mut guard) = seen.lock() {
        *guard = Some((Instant::now(), found.clone()));
    }
    Ok(found)
}
