//! EcsCluster controller: provisions each pool's nodes through its provider, keeps one
//! ContainerInstance per node, reports DescribeClusters-style status, and refuses to let a cluster
//! with running tasks or active services go (ECS's ClusterContainsTasks/ServicesException).
//!
//! Pipeline: validate (pure) -> providers (simulated: create/drain/delete KWOK nodes; karpenter:
//! apply NodePool + EC2NodeClass; nodes: read only) -> container instances -> status, each write
//! skipped when nothing changed. Triggers: the cluster, nodes, tasks and services (debounced).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Resource, ResourceExt};

use crate::api::container_instance::ContainerInstance;
use crate::api::{EcsCluster, EcsClusterStatus, Service, Task};
use crate::apply;
use crate::caches::Changes;
use crate::caches::index::Index;
use crate::cluster::pools::{self, Provider, keys};
use crate::cluster::{karpenter, plan, status};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::labels;

/// Annotation on a draining simulated node: when the drain began.
const DRAINING_SINCE: &str = "ecs.kube-ecs.dev/draining-since";
/// A draining node is removed at the latest this long after the drain began.
const DRAIN_TIMEOUT_SECONDS: i64 = 120;

/// Held on every EcsCluster until no task runs and no service is active on it.
pub const PROTECTION_FINALIZER: &str = "ecs.kube-ecs.dev/cluster-protection";

pub use crate::cluster::plan::reasons;

/// The shared watches the cluster controller reacts to.
pub struct Triggers {
    pub clusters: Changes<DeserializeGuard<EcsCluster>>,
    pub nodes: Changes<Node>,
    pub tasks: Changes<DeserializeGuard<Task>>,
    pub services: Changes<DeserializeGuard<Service>>,
}

/// Reconcile context: the shared one plus this controller's ContainerInstance cache.
struct ClusterContext {
    ctx: Arc<Context>,
    instances: Store<ContainerInstance>,
    /// The ContainerInstances by the cluster they belong to (`spec.cluster`), fed by their watch.
    instances_by_cluster: Arc<Index<ContainerInstance, String>>,
    /// When each cluster's status (or its instances') was last written.
    last_write: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// When each cluster's container-instance counts were last refreshed.
    last_instance_refresh: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// When each cluster was last reconciled in full.
    last_pass: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

/// A cluster's status and container instances are written at most this often: during a burst of
/// tasks the counts change constantly, and one write a second shows them without costing a write each.
const STATUS_WRITE_INTERVAL: Duration = Duration::from_secs(1);

impl ClusterContext {
    /// At most one full pass per cluster per [`STATUS_WRITE_INTERVAL`]: every change of one of its
    /// tasks triggers the cluster, and a pass reads all of them (a burst of N tasks made N passes of N:
    /// the largest cost of a burst in a profile). A trigger inside the interval comes back at its end.
    fn wait_before_passing(&self, cluster: &str) -> Option<Duration> {
        let mut last = self.last_pass.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        if let Some(at) = last.get(cluster) {
            let wait = STATUS_WRITE_INTERVAL.saturating_sub(now.duration_since(*at));
            if !wait.is_zero() {
                return Some(wait);
            }
        }
        last.insert(cluster.to_string(), now);
        None
    }

    fn wait_before_writing(&self, cluster: &str) -> Option<Duration> {
        let last = self.last_write.lock().unwrap_or_else(|p| p.into_inner()).get(cluster).copied()?;
        Some(STATUS_WRITE_INTERVAL.saturating_sub(last.elapsed())).filter(|d| !d.is_zero())
    }

    /// Whether the instances' counts may be rewritten now: at most every half second per instance
    /// (5 s at least), so a cluster of any size costs at most two such writes a second.
    fn may_refresh_instances(&self, cluster: &str, instances: usize) -> bool {
        let interval = Duration::from_millis(500 * instances as u64).max(Duration::from_secs(5));
        let mut last = self.last_instance_refresh.lock().unwrap_or_else(|p| p.into_inner());
        match last.get(cluster) {
            Some(at) if at.elapsed() < interval => false,
            _ => {
                last.insert(cluster.to_string(), std::time::Instant::now());
                true
            }
        }
    }

    fn wrote(&self, cluster: &str) {
        self.last_write
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(cluster.to_string(), std::time::Instant::now());
    }
}

pub async fn run(
    ctx: Arc<Context>,
    shared: Triggers,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let (instances, writer) = reflector::store();
    let instances_by_cluster = Arc::new(Index::new(|ci: &ContainerInstance| vec![ci.spec.cluster.clone()]));
    let managed = format!("{}={}", labels::MANAGED_BY, labels::MANAGED_BY_VALUE);
    let instance_events = watcher::watcher(
        Api::<ContainerInstance>::all(ctx.client.clone()),
        watcher::Config::default().labels(&managed),
    )
    .backoff(super::WatchBackoff::default())
    .modify(crate::caches::strip)
    .reflect(writer)
    .inspect({
        let index = instances_by_cluster.clone();
        move |event| {
            if let Ok(event) = event {
                index.observe(event);
            }
        }
    })
    .touched_objects();
    let clusters = ctx.caches().clusters.clone();
    let by_node = clusters.clone();
    let cluster_of_task = |cluster: Option<&str>| ObjectRef::new(&crate::api::ecs_names::cluster_reference(cluster));
    let reconcile_context = Arc::new(ClusterContext {
        ctx: ctx.clone(),
        instances,
        instances_by_cluster,
        last_write: Default::default(),
        last_instance_refresh: Default::default(),
        last_pass: Default::default(),
    });
    // No debounce: kube-runtime's debounce restarts with every trigger, and a busy cluster triggers
    // its controller continuously. Status writes are spaced out in the reconcile instead.
    let controller = Controller::for_shared_stream(shared.clusters, clusters)
        .with_config(super::runner::config())
        .owns_stream(instance_events)
        .watches_shared_stream(shared.nodes, move |node| {
            super::well_formed(&by_node)
                .iter()
                .filter(|c| pools::node_in_cluster(c, &node) || node_labelled_for(&node, c))
                .map(|c| ObjectRef::new(&c.name_any()))
                .collect::<Vec<_>>()
        })
        .watches_shared_stream(shared.tasks, move |task| {
            task.0.as_ref().ok().map(|t| cluster_of_task(t.spec.cluster.as_deref()))
        })
        .watches_shared_stream(shared.services, move |service| {
            service.0.as_ref().ok().map(|s| cluster_of_task(s.spec.cluster.as_deref()))
        });
    super::runner::run(controller, reconcile_context, shutdown, reconcile).await;
}

impl super::runner::HasContext for ClusterContext {
    fn context(&self) -> &Context {
        &self.ctx
    }
}

/// Simulated nodes keep their cluster label even after their pool is removed from the spec.
fn node_labelled_for(node: &Node, cluster: &EcsCluster) -> bool {
    pools::labelled_for_cluster(&cluster.name_any(), node)
}

#[tracing::instrument(skip_all, fields(name = %cluster.name_any()))]
async fn reconcile(cluster: Arc<EcsCluster>, rc: Arc<ClusterContext>) -> Result<Action> {
    let ctx = &rc.ctx;
    ctx.caches().ready().await;
    let name = cluster.name_any();
    if let Some(wait) = rc.wait_before_passing(&name) {
        return Ok(Action::requeue(wait));
    }
    let clusters: Api<EcsCluster> = Api::all(ctx.client.clone());
    let now = Time(jiff::Timestamp::now());
    let previous = cluster.status.clone().unwrap_or_default();
    let tasks = ctx.caches().tasks_of_cluster(&name);
    let services = ctx.caches().services_of_cluster(&name);

    if cluster.metadata.deletion_timestamp.is_some() {
        return finalize(&cluster, ctx, &clusters, &tasks, &services, previous, &now).await;
    }
    super::finalizers::ensure(&clusters, &cluster, PROTECTION_FINALIZER).await?;

    let problems = pools::validate(&cluster);
    let mut provider_problems = Vec::new();
    let mut provisioning = false;
    if problems.is_empty() {
        provisioning |= provision_simulated(&cluster, ctx).await?;
        for pool in &cluster.spec.node_pools {
            if Provider::of(pool) == Ok(Provider::Karpenter)
                && let Err(e) = apply_karpenter(&cluster, pool, ctx).await
            {
                provider_problems.push(format!("spec.nodePools[{}] (karpenter): {e}", pool.name));
            }
        }
    }

    let all_nodes = ctx.caches().all_nodes();
    let nodes: Vec<&Node> =
        all_nodes.iter().map(AsRef::as_ref).filter(|n| pools::node_in_cluster(&cluster, n)).collect();
    if let Some(wait) = rc.wait_before_writing(&name) {
        return Ok(Action::requeue(wait));
    }
    let refresh = rc.may_refresh_instances(&name, nodes.len());
    let synced = sync_container_instances(&cluster, &nodes, &rc, refresh).await?;
    if synced.wrote {
        rc.wrote(&name);
    }

    let observed = status::Observed {
        cluster: &cluster,
        nodes: nodes.clone(),
        tasks: tasks.iter().map(|t| &**t).collect(),
        services: services.iter().map(|s| &**s).collect(),
    };
    let planned = plan::plan(&plan::Observed {
        cluster: &cluster,
        previous: &previous,
        counts: status::counts(&observed),
        pools: status::pool_statuses(&cluster, &nodes),
        problems: &problems,
        provider_problems: &provider_problems,
        provisioning,
        now: &now,
    });
    let provisioning = planned.provisioning;
    if planned.status != previous {
        if let Some(event) = &planned.event {
            ctx.event(cluster.as_ref(), "Reconcile", event).await;
        }
        apply::apply_status(&clusters, &name, serde_json::to_value(&planned.status)?).await?;
        rc.wrote(&name);
    }
    Ok(Action::requeue(if provisioning || synced.deferred { Duration::from_secs(2) } else { Duration::from_secs(60) }))
}

/// Deletion: wait until no task runs and no service is active on the cluster, then remove what the
/// providers made and release the finalizer.
async fn finalize(
    cluster: &EcsCluster,
    ctx: &Context,
    clusters: &Api<EcsCluster>,
    tasks: &[super::WellFormed<Task>],
    services: &[super::WellFormed<Service>],
    previous: EcsClusterStatus,
    now: &Time,
) -> Result<Action> {
    let name = cluster.name_any();
    let tasks: Vec<&Task> = tasks.iter().map(|t| &**t).collect();
    let services: Vec<&Service> = services.iter().map(|s| &**s).collect();
    if let Some((next, message)) = plan::deletion_blocked(cluster, &previous, &tasks, &services, now) {
        if next != previous {
            ctx.event(cluster, "Delete", &crate::event::EcsEvent::warning(reasons::DELETION_BLOCKED, message)).await;
            apply::apply_status(clusters, &name, serde_json::to_value(&next)?).await?;
        }
        return Ok(Action::requeue(Duration::from_secs(10)));
    }
    let nodes: Api<Node> = Api::all(ctx.client.clone());
    for node in ctx.caches().all_nodes() {
        if is_simulated_node_of(&node, &name) && node.metadata.deletion_timestamp.is_none() {
            nodes.delete(&node.name_any(), &DeleteParams::background()).await.map(|_| ()).or_else(ignore_not_found)?;
        }
    }
    // Karpenter objects and ContainerInstances are owned by the cluster: garbage collection removes them.
    super::finalizers::release(clusters, cluster, PROTECTION_FINALIZER).await?;
    Ok(Action::await_change())
}

fn is_simulated_node_of(node: &Node, cluster: &str) -> bool {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    labels.get(keys::CLUSTER).is_some_and(|c| *c == crate::labels::value(cluster))
        && labels.contains_key(keys::POOL)
        && node.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kwok.x-k8s.io/node"))
        && labels.get(labels::MANAGED_BY).is_some_and(|m| m == labels::MANAGED_BY_VALUE)
}

/// Simulated pools: creates missing nodes; drains (NoSchedule taint) and then deletes nodes beyond the
/// pool's count, of removed pools, and spot-interrupted ones (which are then replaced, as an
/// Auto Scaling group would). Returns whether nodes are still coming or going.
async fn provision_simulated(cluster: &EcsCluster, ctx: &Context) -> Result<bool> {
    let name = cluster.name_any();
    let nodes: Api<Node> = Api::all(ctx.client.clone());
    let cached = ctx.caches().all_nodes();
    let ours: Vec<&Node> = cached.iter().map(AsRef::as_ref).filter(|n| is_simulated_node_of(n, &name)).collect();
    let mut busy = false;
    for pool in cluster.spec.node_pools.iter().filter(|p| Provider::of(p) == Ok(Provider::Simulated)) {
        let Some(instance) = pools::simulated_instance(pool) else { continue };
        for index in 0..pools::desired_instances(pool) {
            let node_name = pools::simulated_node_name(&name, &pool.name, index);
            if ours.iter().any(|n| n.name_any() == node_name) {
                continue;
            }
            let mut node = pools::simulated_node(&name, pool, index, instance);
            node.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert(labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into());
            match nodes
                .create(&PostParams { field_manager: Some(apply::FIELD_MANAGER.into()), ..Default::default() }, &node)
                .await
            {
                Ok(_) => busy = true,
                Err(kube::Error::Api(e)) if e.code == 409 => busy = true,
                Err(e) => return Err(e.into()),
            }
        }
    }
    for node in ours {
        let node_name = node.name_any();
        let labels_of = node.metadata.labels.clone().unwrap_or_default();
        let pool = labels_of.get(keys::POOL).and_then(|p| cluster.spec.node_pools.iter().find(|x| &x.name == p));
        let index: Option<u32> = node_name.rsplit('-').next().and_then(|i| i.parse().ok());
        let surplus = match (pool, index) {
            (Some(pool), Some(index)) => {
                Provider::of(pool) != Ok(Provider::Simulated) || index >= pools::desired_instances(pool)
            }
            _ => true,
        };
        let interrupted = node.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(keys::INTERRUPT));
        if !(surplus || interrupted) || node.metadata.deletion_timestamp.is_some() {
            continue;
        }
        busy = true;
        if !has_draining_taint(node) {
            // NoSchedule: nothing new lands here. The Task and Service controllers stop the tasks on it
            // themselves, so each stop is recorded with its reason (SpotInterruption, TerminationNotice)
            // and services start replacements elsewhere.
            let mut taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
            taints.push(Taint {
                key: keys::DRAINING_TAINT.into(),
                value: Some(if interrupted { "spot-interruption" } else { "scale-in" }.into()),
                effect: "NoSchedule".into(),
                time_added: None,
            });
            let patch = serde_json::json!({
                "metadata": {"annotations": {DRAINING_SINCE: jiff::Timestamp::now().to_string()}},
                "spec": {"taints": taints},
            });
            nodes
                .patch(&node_name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(|_| ())
                .or_else(ignore_not_found)?;
            continue;
        }
        // Terminating pods count too: a task's pod is held (finalizer) until the Task records why it
        // stopped, and that record needs the node and its interruption notice. Past the drain timeout
        // the node goes anyway (pods of other owners, a stuck finalizer).
        let draining_since = node
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DRAINING_SINCE))
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let timed_out = draining_since
            .is_none_or(|since| jiff::Timestamp::now().duration_since(since).as_secs() > DRAIN_TIMEOUT_SECONDS);
        let remaining = ctx.caches().cached_pods_on_node(&node_name);
        let remaining = remaining.iter().filter(|p| {
            p.metadata.deletion_timestamp.is_some() || p.phase().is_none_or(|ph| !matches!(ph, "Succeeded" | "Failed"))
        });
        if remaining.count() == 0 || timed_out {
            nodes.delete(&node_name, &DeleteParams::background()).await.map(|_| ()).or_else(ignore_not_found)?;
        }
    }
    Ok(busy)
}

fn has_draining_taint(node: &Node) -> bool {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.key == keys::DRAINING_TAINT))
}

async fn apply_karpenter(
    cluster: &EcsCluster,
    pool: &crate::api::cluster::NodePool,
    ctx: &Context,
) -> std::result::Result<(), String> {
    let owner = cluster.controller_owner_ref(&());
    let (node_pool, node_class) = karpenter::objects(&cluster.name_any(), pool, owner)?;
    for (object, resource) in
        [(node_class, karpenter::node_class_resource()), (node_pool, karpenter::node_pool_resource())]
    {
        let api: Api<kube::core::DynamicObject> = Api::all_with(ctx.client.clone(), &resource);
        let name = object.metadata.name.clone().unwrap_or_default();
        api.patch(&name, &PatchParams::apply(apply::FIELD_MANAGER).force(), &Patch::Apply(&object)).await.map_err(
            |e| match e {
                kube::Error::Api(ae) if ae.code == 404 => {
                    format!(
                        "the {} API ({}) is not installed: install Karpenter first",
                        resource.kind, resource.api_version
                    )
                }
                e => e.to_string(),
            },
        )?;
    }
    Ok(())
}

/// One ContainerInstance per node of the cluster, written only when it differs from the cache.
/// Returns whether it wrote anything.
/// Instances are created, updated and deleted at once; their changing counts only when `refresh`.
async fn sync_container_instances(
    cluster: &EcsCluster,
    nodes: &[&Node],
    rc: &ClusterContext,
    refresh: bool,
) -> Result<Synced> {
    let api: Api<ContainerInstance> = Api::all(rc.ctx.client.clone());
    let name = cluster.name_any();
    let owner = cluster.controller_owner_ref(&());
    let mut wrote = false;
    let mut deferred = false;
    for node in nodes {
        let node_pods = rc.ctx.caches().cached_pods_on_node(&node.name_any());
        let (spec, instance_status) = status::container_instance(cluster, node, &node_pods);
        let node_name = node.name_any();
        let current = rc.instances.get(&ObjectRef::new(&node_name));
        // A container instance belongs to one cluster, as in ECS: a node that the pools of several
        // clusters select stays with the cluster that registered it while that cluster exists (else
        // each cluster would take the ContainerInstance over in turn).
        let claimed_by_other = current.as_ref().is_some_and(|c| {
            c.spec.cluster != name && rc.ctx.caches().cluster(&c.spec.cluster).ok().flatten().is_some()
        });
        if claimed_by_other {
            continue;
        }
        if current.as_ref().map(|c| &c.spec) != Some(&spec) {
            let mut desired = ContainerInstance::new(&node_name, spec);
            desired.metadata.owner_references = owner.clone().map(|o| vec![o]);
            desired.metadata.labels = Some(
                [
                    (labels::MANAGED_BY.to_string(), labels::MANAGED_BY_VALUE.to_string()),
                    (keys::CLUSTER.to_string(), labels::value(&name)),
                ]
                .into(),
            );
            apply::apply(&api, &node_name, &desired).await?;
            wrote = true;
        }
        let current_status = current.as_ref().and_then(|c| c.status.as_ref());
        // Status and agent changes show at once; counts and free resources at the refresh pace.
        let state_changed = current_status
            .is_none_or(|c| c.status != instance_status.status || c.agent_connected != instance_status.agent_connected);
        deferred |= current_status != Some(&instance_status) && !(refresh || state_changed);
        if current_status != Some(&instance_status) && (refresh || state_changed) {
            apply::apply_status(&api, &node_name, serde_json::to_value(&instance_status)?).await?;
            wrote = true;
        }
    }
    for stale in rc.instances_by_cluster.lookup(&rc.instances, &name) {
        if !nodes.iter().any(|n| n.name_any() == stale.name_any()) {
            api.delete(&stale.name_any(), &DeleteParams::background()).await.map(|_| ()).or_else(ignore_not_found)?;
            wrote = true;
        }
    }
    Ok(Synced { wrote, deferred })
}

/// What syncing the container instances did.
struct Synced {
    wrote: bool,
    /// Count changes waiting for the next refresh.
    deferred: bool,
}

fn ignore_not_found(e: kube::Error) -> Result<()> {
    match e {
        kube::Error::Api(ae) if ae.code == 404 => Ok(()),
        e => Err(Error::from(e)),
    }
}
