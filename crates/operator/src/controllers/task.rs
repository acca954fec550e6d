//! Task controller: runs each Task as one Pod and keeps the Task's ECS status.
//!
//! Pipeline per reconcile: observe the Pod and its Node's facts (read model) -> plan (pure,
//! `task_plan::plan`: the status, the Pod action, when to write, the Event) -> act on the Pod -> apply
//! the status if it changed. Creating the Pod observes the revision, the EcsCluster and the
//! namespace's Pod Security level, and builds the Pod purely (`task_plan::pod::build`); that work
//! happens once, and what later reconciles need is recorded on the Pod itself.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;

use super::admission::{self, Refusal};
use super::task_plan::{self, NodeFacts, PodAction};
use crate::api::conditions;
use crate::api::{EcsCluster, Task, TaskDefinition, TaskStatus};
use crate::apply;
use crate::caches::Changes;
use crate::cluster::pools;
use crate::context::Context;
use crate::error::Result;
use crate::labels;

/// How long the Task controller lets a task's changes settle before it reconciles.
const TASK_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(700);

pub use task_plan::pod::TASK_GROUP_LABEL;

/// Annotation on a Node: a spot interruption notice was received for it.
pub const SPOT_INTERRUPTION_ANNOTATION: &str = pools::keys::INTERRUPT;

/// The shared watches the Task controller reacts to.
pub struct Triggers {
    pub tasks: Changes<DeserializeGuard<Task>>,
    pub definitions: Changes<DeserializeGuard<TaskDefinition>>,
    pub clusters: Changes<DeserializeGuard<EcsCluster>>,
    pub nodes: Changes<Node>,
    pub pods: Changes<crate::caches::CachedPod>,
    pub namespaces: Changes<Namespace>,
    pub snapshots: Changes<ControllerRevision>,
}

pub async fn run(
    ctx: Arc<Context>,
    shared: Triggers,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    // A Pod goes from created to scheduled to running within a moment on a healthy cluster: the
    // debounce folds those events into one reconcile, so a task usually costs one Pod create and one
    // status write on its way to RUNNING (client-side QPS is the bottleneck of a burst).
    let controller = Controller::for_shared_stream(shared.tasks, ctx.caches().tasks.clone())
        .with_config(super::runner::config().debounce(TASK_DEBOUNCE));
    // The mappers look Tasks up by index (cluster, namespace, family, node), never walking them all.
    let caches = ctx.caches();
    let (by_cluster, by_namespace, by_family, by_node) =
        (caches.clone(), caches.clone(), caches.clone(), caches.clone());
    let by_definition = caches.clone();
    let controller = controller
        // The shared watch of every Pod kube-ecs made (Tasks' and Services'): a Task's own Pod
        // triggers it through the owner reference.
        .owns_shared_stream(shared.pods)
        // A Task waiting for its cluster or task definition starts as soon as that appears.
        .watches_shared_stream(shared.clusters, move |cluster| {
            waiting_tasks(by_cluster.tasks_of_cluster(&cluster.name_any()))
        })
        .watches_shared_stream(shared.definitions, move |td| {
            waiting_tasks(td.namespace().map(|ns| by_definition.tasks_in(&ns)).unwrap_or_default())
        })
        // The snapshot of a revision the TaskDefinition's status already records may reach the cache
        // after the status does: a Task refused while it was missing starts when it arrives.
        .watches_shared_stream(shared.snapshots, move |snapshot| {
            let family = snapshot.annotations().get(labels::FAMILY_ANNOTATION).cloned();
            let tasks = snapshot.namespace().zip(family).map(|(ns, family)| by_family.tasks_of_family(&ns, &family));
            waiting_tasks(tasks.unwrap_or_default())
        })
        // A namespace's Pod Security label may now admit a refused task.
        .watches_shared_stream(shared.namespaces, move |ns| waiting_tasks(by_namespace.tasks_in(&ns.name_any())))
        // A spot interruption notice or a node going away stops the tasks on it.
        .watches_shared_stream(shared.nodes, move |node| {
            let name = node.name_any();
            let disrupted = node.metadata.deletion_timestamp.is_some()
                || node.annotations().contains_key(SPOT_INTERRUPTION_ANNOTATION)
                || node
                    .spec
                    .as_ref()
                    .and_then(|s| s.taints.as_ref())
                    .is_some_and(|ts| ts.iter().any(|t| t.key == pools::keys::DRAINING_TAINT));
            // Node heartbeats arrive constantly; only a disrupted node is worth looking its Tasks up for.
            if !disrupted {
                return Vec::new();
            }
            by_node
                .tasks_on_node(&name)
                .iter()
                .filter(|t| t.status.as_ref().is_some_and(|s| s.stopped_at.is_none()))
                .map(|t| ObjectRef::new(&t.name_any()).within(&t.namespace().unwrap_or_default()))
                .collect::<Vec<_>>()
        });
    super::runner::run(controller, ctx, shutdown, reconcile).await;
}

/// Of `tasks`, those refused for want of something (a cluster, a task definition, an admitting
/// namespace): a task still starting needs no extra reconcile (and one before its new Pod reaches the
/// cache would try to create it again).
fn waiting_tasks(tasks: Vec<super::WellFormed<Task>>) -> Vec<ObjectRef<DeserializeGuard<Task>>> {
    tasks
        .iter()
        .filter(|t| {
            t.status.as_ref().is_some_and(|s| {
                s.pod.is_none()
                    && s.conditions
                        .iter()
                        .any(|c| c.status == "False" && (c.type_ == admission::PLACED || c.type_ == conditions::VALID))
            })
        })
        .map(|t| ObjectRef::new(&t.name_any()).within(&t.namespace().unwrap_or_default()))
        .collect()
}

#[tracing::instrument(skip_all, fields(name = %task.name_any(), namespace = task.namespace().unwrap_or_default()))]
async fn reconcile(task: Arc<Task>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = task.namespace().unwrap_or_default();
    let name = task.name_any();
    let tasks: Api<Task> = Api::namespaced(ctx.client.clone(), &namespace);
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let now = Time(jiff::Timestamp::now());

    ctx.caches().ready().await;
    let pod = ctx.caches().task_pod(&namespace, &name);
    if let Some(pod) = &pod {
        let owner_uid = pod.owner_references().iter().find(|o| o.controller == Some(true)).map(|o| o.uid.clone());
        if owner_uid != task.metadata.uid {
            // A Pod of an earlier Task with the same name is still being garbage-collected.
            return Ok(Action::requeue(std::time::Duration::from_secs(1)));
        }
    }
    let node = node_facts(&ctx, &task, pod.as_ref());
    let plan = task_plan::plan(&task, pod.as_ref(), &node, &now, ctx.config.stopped_task_retention);
    let previous = task.status.clone().unwrap_or_default();

    match &plan.action {
        PodAction::Create => return start(&task, &ctx, &pods, &tasks, previous, plan.status, &now).await,
        PodAction::DeleteTask => {
            ctx.task_status_writes.forget(&format!("{namespace}/{name}"));
            tasks.delete(&name, &DeleteParams::background()).await.map(|_| ()).or_else(ignore_not_found)?;
            return Ok(Action::await_change());
        }
        _ => {}
    }
    // In a burst the watch brings our own status writes back seconds late; until it does, what we
    // wrote is the status (else a reconcile in between repeats the write, and PROVISIONING,
    // PENDING and RUNNING each look like the first write, so none is held back).
    let key = format!("{namespace}/{name}");
    let unseen = ctx.task_status_writes.unseen_write(&key, task.metadata.resource_version.as_deref());
    if unseen.is_none() {
        ctx.task_status_writes.forget(&key);
    }
    let written = unseen.as_ref().unwrap_or(&previous);
    if plan.status != *written {
        let pod_created = pod.as_ref().and_then(|p| p.metadata.creation_timestamp.as_ref());
        if let Some(wait) = task_plan::startup_write_delay(written, &plan, pod_created, &now) {
            return Ok(Action::requeue(wait));
        }
        tracing::debug!(changed = ?apply::changed_fields(written, &plan.status), "writing task status");
        let updated = apply::apply_status(&tasks, &name, serde_json::to_value(&plan.status)?).await?;
        let produced = updated.metadata.resource_version;
        ctx.task_status_writes.wrote(&key, task.metadata.resource_version.clone(), produced, plan.status.clone());
        // The Event goes with the write that records its transition: a reconcile on a cache that has
        // not caught up with that write plans the same transition again, and must not repeat it.
        if let Some(event) = &plan.event {
            ctx.event(task.as_ref(), "Reconcile", event).await;
        }
    }
    match plan.action {
        PodAction::Delete { grace } => {
            let params =
                DeleteParams { grace_period_seconds: grace.map(|g| g.max(0) as u32), ..DeleteParams::background() };
            pods.delete(&name, &params).await.map(|_| ()).or_else(ignore_not_found)?;
        }
        PodAction::Halt { deadline_seconds } => halt(&pods, pod.as_ref(), deadline_seconds).await?,
        PodAction::ReleaseFinalizer => release_finalizer(&pods, pod.as_ref()).await?,
        PodAction::None | PodAction::Create | PodAction::DeleteTask => {}
    }
    Ok(plan.requeue_after.map_or_else(Action::await_change, Action::requeue))
}

/// Resolves, places and translates the task, then creates its Pod. Problems become conditions.
async fn start(
    task: &Task,
    ctx: &Context,
    pods: &Api<Pod>,
    tasks: &Api<Task>,
    previous: TaskStatus,
    mut status: TaskStatus,
    now: &Time,
) -> Result<Action> {
    let namespace = task.namespace().unwrap_or_default();
    match build_pod(task, ctx, &namespace).await {
        Ok((pod, service_account)) => {
            if let Some(account) = service_account {
                let accounts: Api<ServiceAccount> = Api::namespaced(ctx.client.clone(), &namespace);
                let account_name = account.name_any();
                apply::apply(&accounts, &account_name, &account).await?;
            }
            match pods
                .create(&PostParams { field_manager: Some(apply::FIELD_MANAGER.into()), ..Default::default() }, &pod)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 409 => {}
                Err(e) => return Err(e.into()),
            }
            // No status write here: the Pod's own events bring the next reconcile, which records it.
            Ok(Action::await_change())
        }
        Err(refusal) => {
            let Refusal { condition, reason, message, .. } = &refusal;
            task_plan::refuse(&mut status, task.metadata.generation, condition, reason, message, now);
            if status != previous {
                apply::apply_status(tasks, &task.name_any(), serde_json::to_value(&status)?).await?;
                ctx.event(task, "RunTask", &crate::event::EcsEvent::warning(*reason, message.as_str())).await;
            }
            admission::outcome(&refusal)
        }
    }
}

/// observe (the revision, the cluster, the namespace's Pod Security level) -> the Pod and its service
/// account, built purely by `task_plan::pod::build`.
async fn build_pod(task: &Task, ctx: &Context, namespace: &str) -> Result<(Pod, Option<ServiceAccount>), Refusal> {
    let resolved = admission::resolve(ctx, namespace, &task.spec.task_definition, false).await?;
    let group = task.spec.group.as_deref().filter(|g| !g.is_empty()).map(labels::value);
    let cluster_name = crate::api::ecs_names::cluster_reference(task.spec.cluster.as_deref());
    let mut constraints = resolved.spec.placement_constraints.clone();
    constraints.extend(task.spec.placement_constraints.iter().cloned());
    let (cluster, placement) = admission::admit(
        ctx,
        &cluster_name,
        namespace,
        &task.spec.capacity_provider_strategy,
        &constraints,
        group.as_deref().map(|g| (task_plan::pod::TASK_GROUP_LABEL, g)),
    )
    .await?;
    let level = ctx.caches().namespace_pod_security(namespace);
    task_plan::pod::build(task, &resolved, &cluster, &placement, level)
}

/// Facts about the Pod's node, from the cache.
fn node_facts(ctx: &Context, task: &Task, pod: Option<&Pod>) -> NodeFacts {
    let node_name = pod
        .and_then(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
        .or_else(|| task.status.as_ref().and_then(|s| s.container_instance.clone()));
    let node = node_name.as_deref().and_then(|n| ctx.caches().node(n));
    task_plan::node_facts(task, pod, node.as_deref())
}

/// Has the kubelet stop the Pod's containers and keep the Pod: an `activeDeadlineSeconds` already
/// past (the field may be set, or lowered, on a running Pod). Set once: a lower value later would
/// change nothing.
async fn halt(pods: &Api<Pod>, pod: Option<&Pod>, deadline_seconds: i64) -> Result<()> {
    let Some(pod) = pod else { return Ok(()) };
    if pod.spec.as_ref().and_then(|s| s.active_deadline_seconds).is_some_and(|d| d <= deadline_seconds) {
        return Ok(());
    }
    let patch = serde_json::json!({"spec": {"activeDeadlineSeconds": deadline_seconds}});
    pods.patch(&pod.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
        .or_else(ignore_not_found)
}

async fn release_finalizer(pods: &Api<Pod>, pod: Option<&Pod>) -> Result<()> {
    match pod {
        Some(pod) => super::finalizers::release(pods, pod, labels::TASK_RECORD_FINALIZER).await,
        None => Ok(()),
    }
}

fn ignore_not_found(e: kube::Error) -> Result<()> {
    match e {
        kube::Error::Api(ae) if ae.code == 404 => Ok(()),
        e => Err(e.into()),
    }
}
