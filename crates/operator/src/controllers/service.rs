//! Service controller: an ECS service as a Deployment (REPLICA) or DaemonSet (DAEMON) plus a
//! Kubernetes Service for its load-balanced ports, with ECS deployments, circuit breaker and events.
//!
//! Pipeline per reconcile: observe (the revisions, admission, the service's pods and workload, all from
//! the read model) -> plan (pure, `service_plan::reconcile`: the status, the workload, the Kubernetes
//! Service, the failed tasks to replace, the Events) -> apply the workload only when its desired
//! content changed (hash annotation) -> replace failed tasks -> one status apply.
//! Essential semantics: a pod whose essential container exited is deleted, so the workload replaces
//! the whole task, and the stop is recorded on the service.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Pod, Service as KubeService};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, ObjectMeta, Preconditions};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use sha2::{Digest, Sha256};

use super::admission::{self, Refusal};
use super::finalizers;
use crate::api::ecs::ServiceState;
use crate::api::service::{Service, ServiceStatus};
use crate::api::task_security::PodSecurityLevel;
use crate::api::{EcsCluster, TaskDefinition};
use crate::apply;
use crate::caches::Changes;
use crate::cluster::placement::Placement;
use crate::context::Context;
use crate::error::Result;
use crate::labels;
use crate::revisions::ResolvedRevision;
use crate::service_plan::observe::{self, WorkloadState};
use crate::service_plan::reconcile::{self, Planned, Workload, is_daemon};
use crate::service_plan::rollout::PodView;
use crate::service_plan::{autoscaling, counts, workload};

/// Finalizer that lets a deleted service drain (status DRAINING) before its workload goes.
pub const DRAIN_FINALIZER: &str = "ecs.kube-ecs.dev/service-drain";
/// Status changes that only move task counts are written at most this often per service; anything
/// else (a deployment, rollout state, events, conditions) is written at once.
const COUNTS_WRITE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
/// Annotation on owned objects: hash of the desired content last applied (skip no-op applies).
pub const APPLIED_HASH: &str = "ecs.kube-ecs.dev/applied-hash";

/// The shared watches the Service controller reacts to.
pub struct Triggers {
    pub services: Changes<DeserializeGuard<Service>>,
    pub definitions: Changes<DeserializeGuard<TaskDefinition>>,
    pub clusters: Changes<DeserializeGuard<EcsCluster>>,
    pub nodes: Changes<k8s_openapi::api::core::v1::Node>,
    pub pods: Changes<crate::caches::CachedPod>,
    pub deployments: Changes<Deployment>,
    pub daemon_sets: Changes<DaemonSet>,
    pub kube_services: Changes<KubeService>,
    /// The same watch again: a Service Connect endpoint concerns every Service Connect service of
    /// its namespace.
    pub connect_endpoints: Changes<KubeService>,
    pub namespaces: Changes<k8s_openapi::api::core::v1::Namespace>,
    pub snapshots: Changes<k8s_openapi::api::apps::v1::ControllerRevision>,
}

pub async fn run(
    ctx: Arc<Context>,
    shared: Triggers,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let controller = Controller::for_shared_stream(shared.services, ctx.caches().services.clone())
        .with_config(super::runner::config());
    // The mappers look Services and Pods up by index (namespace, family, node, cluster).
    let caches = ctx.caches();
    let (by_namespace, by_labels, by_family, by_node, by_cluster) =
        (caches.clone(), caches.clone(), caches.clone(), caches.clone(), caches.clone());
    let controller = controller
        // Workloads, Kubernetes Services and Pods come from the shared caches' watches: reconciles
        // read them from those caches, never from the API server.
        .owns_shared_stream(shared.deployments)
        .owns_shared_stream(shared.daemon_sets)
        .owns_shared_stream(shared.kube_services)
        .watches_shared_stream(shared.connect_endpoints, {
            let ctx = ctx.clone();
            move |endpoint| super::service_connect::concerned(&ctx, &endpoint)
        })
        .watches_shared_stream(shared.pods, |pod| {
            service_of(&pod).zip(pod.namespace()).map(|(n, ns)| ObjectRef::new(&n).within(&ns))
        })
        .watches_shared_stream(shared.definitions, move |td| {
            let services = td.namespace().map(|ns| by_namespace.services_in(&ns)).unwrap_or_default();
            services.iter().map(|s| service_ref(s)).collect::<Vec<_>>()
        })
        // A revision's snapshot may reach the cache after the TaskDefinition's status that records it:
        // a service waiting for it goes on when it arrives.
        .watches_shared_stream(shared.snapshots, move |snapshot| {
            let family = snapshot.annotations().get(labels::FAMILY_ANNOTATION).cloned();
            let services =
                snapshot.namespace().zip(family).map(|(ns, family)| by_family.services_of_family(&ns, &family));
            services.unwrap_or_default().iter().map(|s| service_ref(s)).collect::<Vec<_>>()
        })
        // A namespace's Pod Security label decides what its services' pods may do.
        .watches_shared_stream(shared.namespaces, move |ns| {
            by_labels.services_in(&ns.name_any()).iter().map(|s| service_ref(s)).collect::<Vec<_>>()
        })
        // An interruption notice or drain on a node stops the service tasks on it (they are replaced).
        .watches_shared_stream(shared.nodes, move |node| {
            // Node heartbeats arrive constantly; only a disrupted node's Pods are looked up.
            if !crate::cluster::status::node_draining(&node) {
                return Vec::new();
            }
            let mut services: Vec<ObjectRef<DeserializeGuard<Service>>> = by_node
                .cached_pods_on_node(&node.name_any())
                .iter()
                .filter_map(|p| service_of(p).zip(p.namespace()))
                .map(|(service, ns)| ObjectRef::new(&service).within(&ns))
                .collect();
            services.dedup();
            services
        })
        .watches_shared_stream(shared.clusters, move |cluster| {
            by_cluster.services_of_cluster(&cluster.name_any()).iter().map(|s| service_ref(s)).collect::<Vec<_>>()
        });
    super::runner::run(controller, ctx, shutdown, reconcile).await;
}

/// The ECS service a pod belongs to: the whole name from the annotation (the label may be shortened),
/// or the label of a pod made before the annotation existed.
fn service_of(pod: &crate::caches::CachedPod) -> Option<String> {
    pod.annotation(labels::SERVICE_NAME_ANNOTATION).or_else(|| pod.label(labels::SERVICE_NAME)).map(str::to_string)
}

fn service_ref(service: &Service) -> ObjectRef<DeserializeGuard<Service>> {
    ObjectRef::new(&service.name_any()).within(&service.namespace().unwrap_or_default())
}

#[tracing::instrument(skip_all, fields(name = %service.name_any(), namespace = service.namespace().unwrap_or_default()))]
async fn reconcile(service: Arc<Service>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = service.namespace().unwrap_or_default();
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &namespace);
    if service.metadata.deletion_timestamp.is_some() {
        return drain(&service, &ctx, &services).await;
    }
    finalizers::ensure(&services, service.as_ref(), DRAIN_FINALIZER).await?;
    apply_service(&service, &ctx).await
}

/// observe (read model) -> plan (`service_plan::reconcile`, pure) -> apply.
async fn apply_service(service: &Service, ctx: &Context) -> Result<Action> {
    let namespace = service.namespace().unwrap_or_default();
    let name = service.name_any();
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &namespace);
    let now = Time(jiff::Timestamp::now());
    let key = format!("{namespace}/{name}");
    // Our last write, when the cache has not caught up with it yet.
    let previous = ctx
        .service_status_pacer
        .unseen_write(&key, service.metadata.resource_version.as_deref())
        .unwrap_or_else(|| service.status.clone().unwrap_or_default());

    let mut observed = match observe(service, ctx, &previous, &now).await {
        Ok(observed) => observed,
        Err(refusal) => return refuse(service, ctx, &services, previous, refusal, &now).await,
    };
    if autoscaling::auto_scaling(service).is_some() {
        observed.hpa = read_hpa(ctx, service).await?;
    }
    let planned = match reconcile::plan(&observed.view(service, &previous, &now)) {
        Ok(planned) => planned,
        Err(refusal) => return refuse(service, ctx, &services, previous, refusal, &now).await,
    };

    let Planned {
        mut status,
        workload,
        kube_service,
        delete_pods,
        events,
        replicas_handover,
        hpa,
        delete_hpa,
        connect_services,
    } = planned;
    // The HPA goes before the workload takes `replicas` back; it comes after the Deployment exists.
    if delete_hpa {
        delete_hpa_of(ctx, service).await?;
    }
    if let Some(replicas) = replicas_handover {
        hand_over_replicas(ctx, service, replicas).await?;
    }
    status.workload_generation = apply_workload(ctx, service, workload, previous.workload_generation).await?;
    if let Some(hpa) = hpa {
        apply_hpa(ctx, service, observed.hpa.as_deref(), hpa).await?;
    }
    apply_kube_service(ctx, service, kube_service).await?;
    super::service_connect::apply_endpoints(ctx, service, connect_services).await?;
    let recheck = super::target_groups::bind(ctx, service, &mut status, &now).await?;
    let registries = super::service_discovery::register(ctx, service, &observed.target.spec, &mut status, &now).await?;
    let recheck = recheck.into_iter().chain(registries).min();
    delete_failed_pods(ctx, &namespace, &observed.pods, &delete_pods).await?;
    if status != previous {
        if counts::counts_only(&previous, &status)
            && let Some(wait) = ctx.service_status_pacer.wait(&key, COUNTS_WRITE_INTERVAL)
        {
            return Ok(Action::requeue(wait));
        }
        tracing::debug!(changed = ?apply::changed_fields(&previous, &status), "writing service status");
        let updated = apply::apply_status(&services, &name, serde_json::to_value(&status)?).await?;
        let produced = updated.metadata.resource_version;
        ctx.service_status_pacer.wrote(&key, service.metadata.resource_version.clone(), produced, status);
    }
    for event in &events {
        ctx.event(service, "Deploy", event).await;
    }
    Ok(recheck.map_or_else(Action::await_change, Action::requeue))
}

/// What a Service reconcile reads, owned (the plan borrows it through [`ObservedService::view`]).
struct ObservedService {
    target: ResolvedRevision,
    running: Vec<(String, std::result::Result<ResolvedRevision, Refusal>)>,
    cluster: EcsCluster,
    placement: Placement,
    namespace_level: Option<PodSecurityLevel>,
    pods: Vec<Arc<Pod>>,
    views: Vec<PodView>,
    placement_failure: Option<String>,
    workload: WorkloadState,
    hpa: Option<Arc<HorizontalPodAutoscaler>>,
    connect_peers: Vec<Arc<KubeService>>,
}

impl ObservedService {
    fn view<'a>(&'a self, service: &'a Service, previous: &'a ServiceStatus, now: &'a Time) -> reconcile::Observed<'a> {
        reconcile::Observed {
            service,
            previous,
            target: &self.target,
            running: &self.running,
            cluster: &self.cluster,
            placement: &self.placement,
            namespace_level: self.namespace_level,
            pods: &self.views,
            placement_failure: self.placement_failure.as_deref(),
            workload: &self.workload,
            hpa: self.hpa.as_deref(),
            connect_peers: &self.connect_peers,
            now,
        }
    }
}

/// Reads everything the plan needs from the read model: the revisions, the cluster and placement,
/// the namespace's Pod Security level, the service's pods, their nodes, and its workload.
async fn observe(
    service: &Service,
    ctx: &Context,
    previous: &ServiceStatus,
    now: &Time,
) -> std::result::Result<ObservedService, Refusal> {
    let namespace = service.namespace().unwrap_or_default();
    let name = service.name_any();
    // A revision the service already runs stays usable after deregistration.
    let pinned_and_running = previous.deployments.iter().any(|d| d.task_definition == service.spec.task_definition);
    let target = admission::resolve(ctx, &namespace, &service.spec.task_definition, pinned_and_running).await?;
    let mut running = Vec::new();
    let others =
        previous.deployments.iter().map(|d| &d.task_definition).chain(&previous.last_completed_task_definition);
    for reference in others {
        if *reference != target.reference && running.iter().all(|(r, _)| r != reference) {
            running.push((reference.clone(), admission::resolve(ctx, &namespace, reference, true).await));
        }
    }
    let cluster_name = crate::api::ecs_names::cluster_reference(service.spec.cluster.as_deref());
    let mut constraints = target.spec.placement_constraints.clone();
    constraints.extend(service.spec.placement_constraints.iter().cloned());
    let (cluster, placement) = admission::admit(
        ctx,
        &cluster_name,
        &namespace,
        &service.spec.capacity_provider_strategy,
        &constraints,
        Some((labels::SERVICE_NAME, &labels::value(&name))),
    )
    .await?;
    let caches = ctx.caches();
    let pods = caches.pods_of_service(&namespace, &name);
    let views = pods
        .iter()
        .map(|pod| {
            let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).and_then(|n| caches.node(n));
            observe::pod_view(pod, node.as_deref(), now)
        })
        .collect();
    let placement_failure = observe::placement_failure(&cluster, &name, &pods, || {
        caches
            .all_nodes()
            .into_iter()
            .map(|n| {
                let on = caches.pods_on_node(&n.name_any());
                (n, on)
            })
            .collect()
    });
    let workload_name = workload::workload_name(&name);
    let workload = if is_daemon(service) {
        observe::daemon_set_state(caches.daemon_set(&namespace, &workload_name).as_deref())
    } else {
        observe::deployment_state(caches.deployment(&namespace, &workload_name).as_deref(), apply::FIELD_MANAGER)
    };

    Ok(ObservedService {
        target,
        running,
        cluster,
        placement,
        namespace_level: caches.namespace_pod_security(&namespace),
        pods,
        views,
        placement_failure,
        workload,
        hpa: None,
        connect_peers: super::service_connect::peers(ctx, &namespace),
    })
}

/// The service's HPA, read from the API server: only autoscaled services read it, and its status
/// (the metrics, the last scale) is what the scaling activities are made of. Not cached: a watch of
/// every HPA in the cluster for the few kube-ecs makes would cost more than these reads.
async fn read_hpa(ctx: &Context, service: &Service) -> Result<Option<Arc<HorizontalPodAutoscaler>>> {
    let api: Api<HorizontalPodAutoscaler> =
        Api::namespaced(ctx.client.clone(), &service.namespace().unwrap_or_default());
    Ok(api.get_opt(&autoscaling::hpa_name(service)).await?.map(Arc::new))
}

/// Makes the handover manager a co-owner of the Deployment's `replicas` at its current value, so the
/// apply that follows can leave the field out without it being reset (see `service_plan::autoscaling`).
/// Not forced: a conflict means the HPA has already written `replicas` (and kube-ecs no longer owns
/// it), which is what the handover is for.
async fn hand_over_replicas(ctx: &Context, service: &Service, replicas: i32) -> Result<()> {
    let name = workload::workload_name(&service.name_any());
    let api: Api<Deployment> = Api::namespaced(ctx.client.clone(), &service.namespace().unwrap_or_default());
    let patch = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": {"replicas": replicas},
    });
    let params = kube::api::PatchParams::apply(autoscaling::HANDOVER_FIELD_MANAGER);
    match api.patch(&name, &params, &kube::api::Patch::Apply(&patch)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Applies the HPA when its desired content differs from what was last applied (hash annotation).
async fn apply_hpa(
    ctx: &Context,
    service: &Service,
    current: Option<&HorizontalPodAutoscaler>,
    mut desired: HorizontalPodAutoscaler,
) -> Result<()> {
    let api: Api<HorizontalPodAutoscaler> =
        Api::namespaced(ctx.client.clone(), &service.namespace().unwrap_or_default());
    let hash = content_hash(&desired)?;
    if current.and_then(|c| applied_hash(&c.metadata)) != Some(hash.as_str()) {
        stamp(&mut desired.metadata, &hash);
        apply::apply(&api, &autoscaling::hpa_name(service), &desired).await?;
    }
    Ok(())
}

/// Deletes the service's HPA (one kube-ecs made: it carries the service label), if present.
async fn delete_hpa_of(ctx: &Context, service: &Service) -> Result<()> {
    let api: Api<HorizontalPodAutoscaler> =
        Api::namespaced(ctx.client.clone(), &service.namespace().unwrap_or_default());
    let current = api.get_opt(&autoscaling::hpa_name(service)).await?;
    delete_if_present(&api, current.as_ref()).await
}

/// Stops the pods of failed tasks (ECS replaces them); a pod already gone or replaced is fine.
async fn delete_failed_pods(ctx: &Context, namespace: &str, pods: &[Arc<Pod>], names: &[String]) -> Result<()> {
    let pod_api: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    for pod_name in names {
        let uid = pods
            .iter()
            .find(|p| p.metadata.name.as_deref() == Some(pod_name.as_str()))
            .and_then(|p| p.metadata.uid.clone());
        let params = DeleteParams {
            preconditions: Some(Preconditions { uid, resource_version: None }),
            ..DeleteParams::background()
        };
        match pod_api.delete(pod_name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

pub(super) fn content_hash<T: serde::Serialize>(object: &T) -> Result<String> {
    Ok(hex::encode(&Sha256::digest(serde_json::to_vec(object)?)[..8]))
}

fn stamp(meta: &mut ObjectMeta, hash: &str) {
    meta.annotations.get_or_insert_with(Default::default).insert(APPLIED_HASH.into(), hash.into());
}

fn applied_hash(meta: &ObjectMeta) -> Option<&str> {
    meta.annotations.as_ref().and_then(|a| a.get(APPLIED_HASH)).map(String::as_str)
}

/// Applies the Deployment or DaemonSet when its desired content changed or someone else changed its
/// spec (its generation moved past the one recorded after our last apply); removes the other kind.
/// Returns the workload's generation after this reconcile. The current objects come from the cache:
/// one a moment stale only costs a no-op apply.
async fn apply_workload(
    ctx: &Context,
    service: &Service,
    desired: Workload,
    recorded_generation: Option<i64>,
) -> Result<Option<i64>> {
    let namespace = service.namespace().unwrap_or_default();
    let name = workload::workload_name(&service.name_any());
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), &namespace);
    let daemon_sets: Api<DaemonSet> = Api::namespaced(ctx.client.clone(), &namespace);
    let cached_deployment = ctx.caches().deployment(&namespace, &name);
    let cached_daemon_set = ctx.caches().daemon_set(&namespace, &name);
    match desired {
        Workload::DaemonSet(desired) => {
            let generation =
                apply_if_changed(&daemon_sets, cached_daemon_set.as_deref(), *desired, recorded_generation).await?;
            delete_if_present(&deployments, cached_deployment.as_deref()).await?;
            Ok(generation)
        }
        Workload::Deployment(desired) => {
            let generation =
                apply_if_changed(&deployments, cached_deployment.as_deref(), *desired, recorded_generation).await?;
            delete_if_present(&daemon_sets, cached_daemon_set.as_deref()).await?;
            Ok(generation)
        }
    }
}

async fn apply_if_changed<K>(
    api: &Api<K>,
    current: Option<&K>,
    mut desired: K,
    recorded_generation: Option<i64>,
) -> Result<Option<i64>>
where
    K: Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let hash = content_hash(&desired)?;
    // A generation above the recorded one is someone else's spec change; below it, a cache that has
    // not seen our last apply yet.
    let unchanged = current.is_some_and(|c| {
        applied_hash(c.meta()) == Some(hash.as_str())
            && (recorded_generation.is_none() || c.meta().generation <= recorded_generation)
    });
    if unchanged {
        return Ok(recorded_generation.max(current.and_then(|c| c.meta().generation)));
    }
    let name = desired.meta().name.clone().unwrap_or_default();
    stamp(desired.meta_mut(), &hash);
    let applied = apply::apply(api, &name, &desired).await?;
    Ok(applied.meta().generation)
}

async fn apply_kube_service(ctx: &Context, service: &Service, desired: Option<KubeService>) -> Result<()> {
    let namespace = service.namespace().unwrap_or_default();
    let api: Api<KubeService> = Api::namespaced(ctx.client.clone(), &namespace);
    let name = workload::kube_service_name(&service.name_any());
    // A Service Connect endpoint of the same name is service_connect's to keep or delete.
    let current = ctx
        .caches()
        .kube_service(&namespace, &name)
        .filter(|c| !c.labels().contains_key(kube_ecs_domain::service_plan::service_connect::NAMESPACE_LABEL));
    let Some(mut desired) = desired else {
        return delete_if_present(&api, current.as_deref()).await;
    };
    let hash = content_hash(&desired)?;
    if current.as_ref().and_then(|c| applied_hash(&c.metadata)) != Some(hash.as_str()) {
        stamp(&mut desired.metadata, &hash);
        apply::apply(&api, &name, &desired).await?;
    }
    Ok(())
}

/// Deletes an object this service owns, if present (never someone else's of the same name).
async fn delete_if_present<K>(api: &Api<K>, current: Option<&K>) -> Result<()>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let Some(existing) = current else { return Ok(()) };
    let ours = existing.meta().labels.as_ref().is_some_and(|l| l.contains_key(labels::SERVICE_NAME));
    if ours {
        let name = existing.meta().name.clone().unwrap_or_default();
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Records why the service cannot run (conditions + Event); transient causes retry with backoff.
async fn refuse(
    service: &Service,
    ctx: &Context,
    services: &Api<Service>,
    previous: ServiceStatus,
    refusal: Refusal,
    now: &Time,
) -> Result<Action> {
    let mut status = previous.clone();
    let Refusal { condition, reason, message, .. } = &refusal;
    crate::service_plan::refuse(&mut status, service.metadata.generation, condition, reason, message, now);
    if status != previous {
        apply::apply_status(services, &service.name_any(), serde_json::to_value(&status)?).await?;
        ctx.event(service, "CreateService", &crate::event::EcsEvent::warning(*reason, message.as_str())).await;
    }
    admission::outcome(&refusal)
}

/// A deleted service drains: DRAINING, its workload scaled to zero, then the finalizer goes and
/// garbage collection removes the workload and the Kubernetes Service.
async fn drain(service: &Service, ctx: &Context, services: &Api<Service>) -> Result<Action> {
    let namespace = service.namespace().unwrap_or_default();
    let name = service.name_any();
    if !service.finalizers().iter().any(|f| f == DRAIN_FINALIZER) {
        return Ok(Action::await_change());
    }
    let previous = service.status.clone().unwrap_or_default();
    if previous.status != Some(ServiceState::Draining) {
        let mut status = previous.clone();
        status.status = Some(ServiceState::Draining);
        status.desired_count = Some(0);
        apply::apply_status(services, &name, serde_json::to_value(&status)?).await?;
        ctx.event(
            service,
            "DeleteService",
            &crate::event::EcsEvent::normal("Draining", format!("service {name} is DRAINING")),
        )
        .await;
    }
    // An autoscaler would scale the draining Deployment up again.
    if service.spec.auto_scaling.is_some() || previous.auto_scaling.is_some() {
        delete_hpa_of(ctx, service).await?;
    }
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), &namespace);
    let workload_name = workload::workload_name(&name);
    if let Some(d) = ctx.caches().deployment(&namespace, &workload_name)
        && d.spec.as_ref().and_then(|s| s.replicas) != Some(0)
    {
        let patch = serde_json::json!({"spec": {"replicas": 0}});
        deployments.patch(&workload_name, &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&patch)).await?;
    }
    let remaining = ctx.caches().pods_of_service(&namespace, &name).len();
    if remaining > 0 && !is_daemon(service) {
        // Waiting for the tasks to stop; each pod's deletion triggers a look before this requeue.
        tracing::debug!(remaining, "service draining");
        return Ok(Action::requeue(admission::WAIT_RETRY));
    }
    finalizers::release(services, service, DRAIN_FINALIZER).await?;
    ctx.service_status_pacer.forget(&format!("{namespace}/{name}"));
    Ok(Action::await_change())
}
