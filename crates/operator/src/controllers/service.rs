//! Service controller: an ECS service as a Deployment (REPLICA) or DaemonSet (DAEMON) plus a
//! Kubernetes Service for its load-balanced ports, with ECS deployments, circuit breaker and events.
//!
//! Pipeline per reconcile: resolve the target revision and admission (client) -> observe the service's
//! pods (pure mapping) -> plan deployments (pure, `service_plan::rollout`) -> apply the workload only
//! when its desired content changed (hash annotation) -> replace failed tasks -> one status apply.
//! Essential semantics: a pod whose essential container exited is deleted, so the workload replaces
//! the whole task, and the stop is recorded on the service.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Pod, Service as KubeService};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, ObjectMeta, Preconditions};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use sha2::{Digest, Sha256};

use super::admission::{self, Refusal};
use super::task_plan::{self, PodRecord};
use crate::api::conditions::{self, DesiredCondition};
use crate::api::service::{Service, ServiceStatus};
use crate::api::{EcsCluster, TaskDefinition};
use crate::apply;
use crate::caches::Changes;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::labels;
use crate::service_plan::rollout::{self, PodFailure, PodView, RolloutInputs};
use crate::service_plan::workload::{self, WorkloadInputs};
use crate::service_plan::{counts, rolling};
use crate::task_status::{self, TaskLifecycle};
use crate::translate::{self, PodInputs, PodPurpose};

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
    pub pods: Changes<Pod>,
    pub deployments: Changes<Deployment>,
    pub daemon_sets: Changes<DaemonSet>,
    pub kube_services: Changes<KubeService>,
    pub namespaces: Changes<k8s_openapi::api::core::v1::Namespace>,
    pub snapshots: Changes<k8s_openapi::api::apps::v1::ControllerRevision>,
}

pub async fn run(
    ctx: Arc<Context>,
    shared: Triggers,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let controller = Controller::for_shared_stream(shared.services, ctx.caches().services.clone());
    // The mappers look Services and Pods up by index (namespace, family, node, cluster).
    let caches = ctx.caches();
    let (by_namespace, by_labels, by_family, by_node, by_cluster) =
        (caches.clone(), caches.clone(), caches.clone(), caches.clone(), caches.clone());
    controller
        // Workloads, Kubernetes Services and Pods come from the shared caches' watches: reconciles
        // read them from those caches, never from the API server.
        .owns_shared_stream(shared.deployments)
        .owns_shared_stream(shared.daemon_sets)
        .owns_shared_stream(shared.kube_services)
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
                .pods_on_node(&node.name_any())
                .iter()
                .filter_map(|p| service_of(p).zip(p.namespace()))
                .map(|(service, ns)| ObjectRef::new(&service).within(&ns))
                .collect();
            services.dedup();
            services
        })
        .watches_shared_stream(shared.clusters, move |cluster| {
            by_cluster.services_of_cluster(&cluster.name_any()).iter().map(|s| service_ref(s)).collect::<Vec<_>>()
        })
        .trigger_backoff(super::WatchBackoff::default())
        .reconcile_all_on(ctx.resync_requests())
        .graceful_shutdown_on(shutdown)
        .run(|guard, ctx| super::unguarded(guard, ctx, reconcile), super::error_policy, ctx)
        .for_each(|_| futures::future::ready(()))
        .await;
}

/// The ECS service a pod belongs to: the whole name from the annotation (the label may be shortened),
/// or the label of a pod made before the annotation existed.
fn service_of(pod: &Pod) -> Option<String> {
    pod.annotations().get(labels::SERVICE_NAME_ANNOTATION).or_else(|| pod.labels().get(labels::SERVICE_NAME)).cloned()
}

fn service_ref(service: &Service) -> ObjectRef<DeserializeGuard<Service>> {
    ObjectRef::new(&service.name_any()).within(&service.namespace().unwrap_or_default())
}

#[tracing::instrument(skip_all, fields(name = %service.name_any(), namespace = service.namespace().unwrap_or_default()))]
async fn reconcile(service: Arc<Service>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = service.namespace().unwrap_or_default();
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&services, DRAIN_FINALIZER, service, |event| async {
        match event {
            FinalizerEvent::Apply(service) => apply_service(&service, &ctx).await,
            FinalizerEvent::Cleanup(service) => drain(&service, &ctx).await,
        }
    })
    .await;
    result.map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e) | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        kube::runtime::finalizer::Error::AddFinalizer(e) | kube::runtime::finalizer::Error::RemoveFinalizer(e) => {
            Error::Kube(e)
        }
        other => Error::InvalidSpec(other.to_string()),
    })
}

fn is_daemon(service: &Service) -> bool {
    service.spec.scheduling_strategy.as_deref() == Some("DAEMON")
}

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

    // A revision the service already runs stays usable after deregistration.
    let running_refs: Vec<&str> = previous.deployments.iter().map(|d| d.task_definition.as_str()).collect();
    let pinned_and_running = running_refs.iter().any(|r| *r == service.spec.task_definition);
    let target = match admission::resolve(ctx, &namespace, &service.spec.task_definition, pinned_and_running).await {
        Ok(target) => target,
        Err(refusal) => return refuse(service, ctx, &services, previous, refusal, &now).await,
    };
    let cluster_name = service.spec.cluster.clone().unwrap_or_else(|| crate::api::DEFAULT_CLUSTER.into());
    let mut constraints = target.spec.placement_constraints.clone();
    constraints.extend(service.spec.placement_constraints.iter().cloned());
    let (cluster, placement) = match admission::admit(
        ctx,
        &cluster_name,
        &namespace,
        &service.spec.capacity_provider_strategy,
        &constraints,
        Some((labels::SERVICE_NAME, &labels::value(&name))),
    )
    .await
    {
        Ok(admitted) => admitted,
        Err(refusal) => return refuse(service, ctx, &services, previous, refusal, &now).await,
    };

    let pods = ctx.caches().pods_of_service(&namespace, &name);
    let views: Vec<PodView> = pods.iter().map(|pod| pod_view(pod, ctx)).collect();
    let placement_failure = placement_failure(ctx, &cluster, &name, &pods);
    let (workload_ref, settled, daemon_desired) = workload_state(ctx, service);
    let desired_count = if is_daemon(service) { daemon_desired } else { service.spec.desired_count.unwrap_or(1) };
    let plan = rollout::plan(&RolloutInputs {
        service,
        previous: &previous,
        target: &target.reference,
        desired_count,
        pods: &views,
        workload_settled: settled && workload_ref.as_deref() == previous.task_definition.as_deref(),
        now: &now,
        placement_failure: placement_failure.as_deref(),
    });

    let deployed = if plan.deploy == target.reference {
        target.clone()
    } else {
        match admission::resolve(ctx, &namespace, &plan.deploy, true).await {
            Ok(r) => r,
            Err(refusal) => return refuse(service, ctx, &services, previous, refusal, &now).await,
        }
    };
    let mut translated = match translate::pod_template(&PodInputs {
        task_definition: &deployed.spec,
        task_definition_ref: &deployed.reference,
        overrides: None,
        placement: &placement,
        purpose: PodPurpose::Service,
    }) {
        Ok(t) => t,
        Err(e) => {
            let refusal = Refusal::new(conditions::VALID, admission::reasons::TRANSLATION, e.to_string(), false);
            return refuse(service, ctx, &services, previous, refusal, &now).await;
        }
    };
    if let Err(refusal) = admission::secure(ctx, &cluster, &namespace, &deployed.spec, &mut translated) {
        return refuse(service, ctx, &services, previous, refusal, &now).await;
    }
    let record =
        PodRecord::from_mappings(&deployed.reference, &translated.containers, translated.unsupported.clone(), None);
    let (max_percent, min_percent) = percentages(service);
    let bounds = rolling::replica_bounds(desired_count, max_percent, min_percent);
    let inputs = WorkloadInputs {
        service,
        template: translated.template,
        record: &record,
        desired_count,
        bounds,
        paused: plan.paused,
    };
    let workload_generation = apply_workload(ctx, service, &inputs, min_percent, previous.workload_generation).await?;
    apply_kube_service(ctx, service, workload::kube_service(service, &deployed.spec, &deployed.reference)).await?;

    let pod_api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    for pod_name in &plan.delete_pods {
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

    let mut status = plan.status;
    status.observed_generation = service.metadata.generation;
    status.status = Some("ACTIVE".into());
    status.selector = Some(workload::selector_string(service));
    status.unsupported_fields = translated.unsupported;
    status.workload_generation = workload_generation;
    if bounds.adjusted {
        status.unsupported_fields.push(
            "deploymentConfiguration: maximumPercent and minimumHealthyPercent leave no room to deploy; maxUnavailable raised to 1".into(),
        );
    }
    // Placed is the plan's: False while tasks cannot be placed, gone otherwise (also clearing an
    // admission refusal that no longer holds).
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
    for (warning, reason, message) in plan.events {
        ctx.event(service, warning, &reason, "Deploy", message).await;
    }
    Ok(Action::await_change())
}

fn percentages(service: &Service) -> (i32, i32) {
    let config = service.spec.deployment_configuration.clone().unwrap_or_default();
    if is_daemon(service) {
        (
            config.maximum_percent.unwrap_or(rolling::DAEMON_MAXIMUM_PERCENT),
            config.minimum_healthy_percent.unwrap_or(rolling::DAEMON_MINIMUM_HEALTHY_PERCENT),
        )
    } else {
        (
            config.maximum_percent.unwrap_or(rolling::DEFAULT_MAXIMUM_PERCENT),
            config.minimum_healthy_percent.unwrap_or(rolling::DEFAULT_MINIMUM_HEALTHY_PERCENT),
        )
    }
}

/// The service's pod in planner terms.
fn pod_view(pod: &Pod, ctx: &Context) -> PodView {
    let record = task_plan::pod_record(pod);
    let observation = task_status::observe_pod(pod, &record.container_mappings(), &Time(jiff::Timestamp::now()));
    let exit_codes: Vec<String> =
        observation.containers.iter().filter_map(|c| c.exit_code.map(|code| format!("{}={code}", c.name))).collect();
    let failure = if let Some(start) = &observation.start_failure {
        Some(PodFailure {
            stop_code: task_status::TASK_FAILED_TO_START.into(),
            reason: format!("{}: {}", start.reason, start.message),
            exit_codes,
            failed_to_start: true,
            essential_exit: false,
        })
    } else if observation.essential_exit.is_some() {
        Some(PodFailure {
            stop_code: task_status::ESSENTIAL_CONTAINER_EXITED.into(),
            reason: task_status::ESSENTIAL_CONTAINER_EXITED_REASON.into(),
            exit_codes,
            failed_to_start: false,
            essential_exit: true,
        })
    } else if let Some((stop_code, reason)) = node_disruption(pod, ctx) {
        // Its container instance is going (spot interruption, drain): the task is stopped and replaced
        // elsewhere, recorded with ECS's stop code.
        Some(PodFailure {
            stop_code: stop_code.into(),
            reason,
            exit_codes,
            failed_to_start: false,
            essential_exit: false,
        })
    } else {
        None
    };
    PodView {
        name: pod.name_any(),
        task_definition: record.task_definition,
        lifecycle: observation.last_status.unwrap_or(TaskLifecycle::Provisioning),
        failure,
        deleting: pod.metadata.deletion_timestamp.is_some(),
        unplaceable: observation.unschedulable.is_some(),
    }
}

/// ECS's "unable to place a task" event when some of the service's pods are unschedulable, naming the
/// cluster's container instance with the most room of what the task lacks. Reads the caches only
/// while a pod is unplaceable.
fn placement_failure(ctx: &Context, cluster: &EcsCluster, service: &str, pods: &[Arc<Pod>]) -> Option<String> {
    use crate::service_plan::placement_failure::{self, InstanceRoom};
    let reason = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .find_map(|p| crate::task_status::placement::unschedulable_reason(p))?;
    let rooms: Vec<InstanceRoom> = ctx
        .caches()
        .all_nodes()
        .iter()
        .filter(|n| crate::cluster::pools::node_in_cluster(cluster, n) && crate::cluster::status::node_ready(n))
        .map(|node| {
            let name = node.name_any();
            let on_node = ctx.caches().pods_on_node(&name);
            let (_, status) = crate::cluster::status::container_instance(cluster, node, &on_node);
            let room = status.remaining_resources.unwrap_or_default();
            InstanceRoom { name, cpu: room.cpu, memory: room.memory }
        })
        .collect();
    Some(placement_failure::message(service, &reason, &rooms))
}

/// Why the pod's node is going, in ECS terms: a spot interruption notice, or a drain / removal.
fn node_disruption(pod: &Pod, ctx: &Context) -> Option<(&'static str, String)> {
    let node_name = pod.spec.as_ref()?.node_name.clone()?;
    match ctx.caches().node(&node_name) {
        // Only once nothing new can land there (our drain taint, or cordoned by a termination
        // handler): a replacement must not be scheduled onto the same node.
        Some(node) if !unschedulable(&node) => None,
        Some(node) if node.annotations().contains_key(crate::cluster::pools::keys::INTERRUPT) => {
            Some((task_status::SPOT_INTERRUPTION, "Your Spot Task was interrupted.".into()))
        }
        Some(node) if crate::cluster::status::node_draining(&node) => {
            Some((task_status::TERMINATION_NOTICE, format!("Host EC2 (instance {node_name}) is being terminated.")))
        }
        // A node not (yet) in the cache is no evidence; a pod already going whose node is gone is.
        None if pod.metadata.deletion_timestamp.is_some() => {
            Some((task_status::TERMINATION_NOTICE, format!("Host EC2 (instance {node_name}) terminated.")))
        }
        _ => None,
    }
}

fn unschedulable(node: &k8s_openapi::api::core::v1::Node) -> bool {
    let spec = node.spec.as_ref();
    spec.and_then(|s| s.unschedulable).unwrap_or(false)
        || spec.and_then(|s| s.taints.as_ref()).is_some_and(|ts| {
            ts.iter().any(|t| {
                t.key == crate::cluster::pools::keys::DRAINING_TAINT || t.key == "node.kubernetes.io/unschedulable"
            })
        })
}

/// The revision the current workload runs, whether it has fully rolled out, and (DAEMON) how many
/// tasks it wants (from the cache).
fn workload_state(ctx: &Context, service: &Service) -> (Option<String>, bool, i32) {
    let namespace = service.namespace().unwrap_or_default();
    let name = workload::workload_name(&service.name_any());
    let annotation = |meta: &ObjectMeta| {
        meta.annotations.as_ref().and_then(|a| a.get(workload::TASK_DEFINITION_ANNOTATION).cloned())
    };
    if is_daemon(service) {
        let Some(ds) = ctx.caches().daemon_set(&namespace, &name) else {
            return (None, false, 0);
        };
        let status = ds.status.clone().unwrap_or_default();
        let settled = status.observed_generation >= ds.metadata.generation
            && status.updated_number_scheduled.unwrap_or(0) == status.desired_number_scheduled
            && status.number_available.unwrap_or(0) == status.desired_number_scheduled;
        return (annotation(&ds.metadata), settled, status.desired_number_scheduled);
    }
    let Some(deployment) = ctx.caches().deployment(&namespace, &name) else {
        return (None, false, 0);
    };
    let replicas = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let status = deployment.status.clone().unwrap_or_default();
    let settled = status.observed_generation >= deployment.metadata.generation
        && status.updated_replicas.unwrap_or(0) == replicas
        && status.available_replicas.unwrap_or(0) == replicas
        && status.replicas.unwrap_or(0) == replicas;
    (annotation(&deployment.metadata), settled, replicas)
}

fn content_hash<T: serde::Serialize>(object: &T) -> Result<String> {
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
    inputs: &WorkloadInputs<'_>,
    min_percent: i32,
    recorded_generation: Option<i64>,
) -> Result<Option<i64>> {
    let namespace = service.namespace().unwrap_or_default();
    let name = workload::workload_name(&service.name_any());
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), &namespace);
    let daemon_sets: Api<DaemonSet> = Api::namespaced(ctx.client.clone(), &namespace);
    let cached_deployment = ctx.caches().deployment(&namespace, &name);
    let cached_daemon_set = ctx.caches().daemon_set(&namespace, &name);
    if is_daemon(service) {
        let desired = workload::daemon_set(inputs, min_percent)?;
        let generation =
            apply_if_changed(&daemon_sets, cached_daemon_set.as_deref(), desired, recorded_generation).await?;
        delete_if_present(&deployments, cached_deployment.as_deref()).await?;
        Ok(generation)
    } else {
        let desired = workload::deployment(inputs)?;
        let generation =
            apply_if_changed(&deployments, cached_deployment.as_deref(), desired, recorded_generation).await?;
        delete_if_present(&daemon_sets, cached_daemon_set.as_deref()).await?;
        Ok(generation)
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
    let current = ctx.caches().kube_service(&namespace, &name);
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
    let generation = service.metadata.generation;
    status.observed_generation = generation;
    status.status.get_or_insert_with(|| "ACTIVE".into());
    let Refusal { condition, reason, message, retry } = refusal;
    conditions::set(&mut status.conditions, DesiredCondition::new(condition, false, reason, &message), generation, now);
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::READY, false, reason, &message),
        generation,
        now,
    );
    conditions::set(
        &mut status.conditions,
        DesiredCondition::new(conditions::STALLED, true, reason, &message),
        generation,
        now,
    );
    conditions::remove(&mut status.conditions, conditions::RECONCILING);
    if status != previous {
        apply::apply_status(services, &service.name_any(), serde_json::to_value(&status)?).await?;
        ctx.event(service, true, reason, "CreateService", &message).await;
    }
    match retry {
        Some(error) => Err(error),
        None => Ok(Action::await_change()),
    }
}

/// A deleted service drains: DRAINING, its workload scaled to zero, then the finalizer goes and
/// garbage collection removes the workload and the Kubernetes Service.
async fn drain(service: &Service, ctx: &Context) -> Result<Action> {
    let namespace = service.namespace().unwrap_or_default();
    let name = service.name_any();
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &namespace);
    let previous = service.status.clone().unwrap_or_default();
    if previous.status.as_deref() != Some("DRAINING") {
        let mut status = previous.clone();
        status.status = Some("DRAINING".into());
        status.desired_count = Some(0);
        apply::apply_status(&services, &name, serde_json::to_value(&status)?).await?;
        ctx.event(service, false, "Draining", "DeleteService", format!("service {name} is DRAINING")).await;
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
        return Err(Error::MissingDependency(format!("service {name} draining: {remaining} tasks left")));
    }
    ctx.service_status_pacer.forget(&format!("{namespace}/{name}"));
    Ok(Action::await_change())
}
