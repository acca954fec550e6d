//! Task controller: runs each Task as one Pod and keeps the Task's ECS status.
//!
//! Pipeline per reconcile: read the Pod (and, when it is going away, its Node) -> plan (pure, in
//! `task_plan`) -> act on the Pod -> apply the status if it changed. Creating the Pod resolves the
//! task definition, checks the EcsCluster, computes placement and translates the revision; that work
//! happens once, and what later reconciles need is recorded on the Pod itself.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};

use super::admission::{self, Refusal};
use super::task_plan::{self, NodeFacts, PodAction, PodRecord};
use crate::api::conditions::{self, DesiredCondition};
use crate::api::{EcsCluster, Task, TaskDefinition, TaskStatus};
use crate::apply;
use crate::caches::Changes;
use crate::cluster::pools;
use crate::context::Context;
use crate::error::Result;
use crate::labels;
use crate::translate::{self, PodInputs, PodPurpose};

/// How long the Task controller lets a task's changes settle before it reconciles.
const TASK_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(700);

/// Label on a Task's Pod: its ECS task group (`distinctInstance` keeps a group's pods apart).
pub const TASK_GROUP_LABEL: &str = "ecs.kube-ecs.dev/group";

/// Annotation on a Node: a spot interruption notice was received for it.
pub const SPOT_INTERRUPTION_ANNOTATION: &str = pools::keys::INTERRUPT;

/// The shared watches the Task controller reacts to.
pub struct Triggers {
    pub tasks: Changes<DeserializeGuard<Task>>,
    pub definitions: Changes<DeserializeGuard<TaskDefinition>>,
    pub clusters: Changes<DeserializeGuard<EcsCluster>>,
    pub nodes: Changes<Node>,
    pub pods: Changes<Pod>,
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
        .with_config(kube::runtime::controller::Config::default().debounce(TASK_DEBOUNCE));
    // The mappers look Tasks up by index (cluster, namespace, family, node), never walking them all.
    let caches = ctx.caches();
    let (by_cluster, by_namespace, by_family, by_node) =
        (caches.clone(), caches.clone(), caches.clone(), caches.clone());
    let by_definition = caches.clone();
    controller
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
        })
        .trigger_backoff(super::WatchBackoff::default())
        .reconcile_all_on(ctx.resync_requests())
        .graceful_shutdown_on(shutdown)
        .run(|guard, ctx| super::unguarded(guard, ctx, reconcile), super::error_policy, ctx)
        .for_each(|_| futures::future::ready(()))
        .await;
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
    let node = node_facts(&ctx, &task, pod.as_ref()).await?;
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
        if let Some((warning, reason, message)) = &plan.event {
            ctx.event(task.as_ref(), *warning, reason, "Reconcile", message).await;
        }
    }
    match plan.action {
        PodAction::Delete { grace } => {
            let params =
                DeleteParams { grace_period_seconds: grace.map(|g| g.max(0) as u32), ..DeleteParams::background() };
            pods.delete(&name, &params).await.map(|_| ()).or_else(ignore_not_found)?;
        }
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
        Err(Refusal { condition, reason, message, retry }) => {
            status.last_status = Some(crate::task_status::TaskLifecycle::Provisioning.as_str().into());
            let generation = task.metadata.generation;
            conditions::set(
                &mut status.conditions,
                DesiredCondition::new(condition, false, reason, &message),
                generation,
                now,
            );
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
            if status != previous {
                apply::apply_status(tasks, &task.name_any(), serde_json::to_value(&status)?).await?;
                ctx.event(task, true, reason, "RunTask", &message).await;
            }
            match retry {
                Some(error) => Err(error),
                None => Ok(Action::await_change()),
            }
        }
    }
}

async fn build_pod(task: &Task, ctx: &Context, namespace: &str) -> Result<(Pod, Option<ServiceAccount>), Refusal> {
    let resolved = admission::resolve(ctx, namespace, &task.spec.task_definition, false).await?;
    let group = task.spec.group.as_deref().filter(|g| !g.is_empty()).map(labels::value);
    let cluster_name = task.spec.cluster.clone().unwrap_or_else(|| crate::api::DEFAULT_CLUSTER.into());
    let mut constraints = resolved.spec.placement_constraints.clone();
    constraints.extend(task.spec.placement_constraints.iter().cloned());
    let (cluster, placement) = admission::admit(
        ctx,
        &cluster_name,
        namespace,
        &task.spec.capacity_provider_strategy,
        &constraints,
        group.as_deref().map(|g| (TASK_GROUP_LABEL, g)),
    )
    .await?;
    let inputs = PodInputs {
        task_definition: &resolved.spec,
        task_definition_ref: &resolved.reference,
        overrides: task.spec.overrides.as_ref(),
        placement: &placement,
        purpose: PodPurpose::Task,
    };
    let mut translated = translate::pod_template(&inputs)
        .map_err(|e| Refusal::new(conditions::VALID, admission::reasons::TRANSLATION, e.to_string(), false))?;
    admission::secure(ctx, &cluster, namespace, &resolved.spec, &mut translated)?;
    let record =
        PodRecord::from_mappings(&resolved.reference, &translated.containers, translated.unsupported.clone(), None);
    let pod = assemble_pod(task, translated.template, &record)
        .map_err(|e| Refusal::new(conditions::VALID, admission::reasons::TRANSLATION, e.to_string(), false))?;
    let task_role = task
        .spec
        .overrides
        .as_ref()
        .and_then(|o| o.task_role_arn.clone())
        .or_else(|| resolved.spec.task_role_arn.clone());
    let service_account =
        task_role.as_deref().and_then(translate::task_role_service_account).map(|(name, annotations)| ServiceAccount {
            metadata: kube::api::ObjectMeta {
                name: Some(name),
                namespace: Some(namespace.to_string()),
                annotations: Some(annotations),
                labels: Some([(labels::MANAGED_BY.to_string(), labels::MANAGED_BY_VALUE.to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        });
    Ok((pod, service_account))
}

/// The Task's Pod: named after the Task (so there is never a second one), owned by it, carrying the
/// record later reconciles read, and held by a finalizer until its final state is recorded.
fn assemble_pod(
    task: &Task,
    template: k8s_openapi::api::core::v1::PodTemplateSpec,
    record: &PodRecord,
) -> Result<Pod, serde_json::Error> {
    let mut metadata = template.metadata.unwrap_or_default();
    metadata.name = Some(task.name_any());
    metadata.namespace = task.namespace();
    let labels = metadata.labels.get_or_insert_with(Default::default);
    labels.insert(labels::TASK_NAME.into(), labels::value(&task.name_any()));
    labels.insert(labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into());
    if let Some(group) = task.spec.group.as_deref().filter(|g| !g.is_empty()) {
        labels.insert(TASK_GROUP_LABEL.into(), labels::value(group));
    }
    metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(task_plan::POD_RECORD_ANNOTATION.into(), serde_json::to_string(record)?);
    metadata.owner_references = task.controller_owner_ref(&()).map(|o| vec![o]);
    metadata.finalizers = Some(vec![labels::TASK_RECORD_FINALIZER.into()]);
    Ok(Pod { metadata, spec: template.spec, status: None })
}

/// Facts about the Pod's node (from the cache): whether it is gone, interrupted or being drained.
async fn node_facts(ctx: &Context, task: &Task, pod: Option<&Pod>) -> Result<NodeFacts> {
    let node_name = pod
        .and_then(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
        .or_else(|| task.status.as_ref().and_then(|s| s.container_instance.clone()));
    let Some(node_name) = node_name else {
        return Ok(NodeFacts { name: None, ..Default::default() });
    };
    // A node of the same name created after the pod is a replacement: the pod's node is gone.
    let pod_created = pod.and_then(|p| p.metadata.creation_timestamp.clone());
    let node = ctx.caches().node(&node_name).filter(|n| match (&n.metadata.creation_timestamp, &pod_created) {
        (Some(node_created), Some(pod_created)) => node_created.0 <= pod_created.0,
        _ => true,
    });
    let annotations = node.as_ref().and_then(|n| n.metadata.annotations.clone()).unwrap_or_default();
    let disrupted_by_gc = pod.is_some_and(|p| {
        p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "DisruptionTarget" && c.status == "True" && c.reason.as_deref() == Some("DeletionByPodGC")
            })
        })
    });
    let draining = node.as_ref().is_some_and(|n| {
        n.spec
            .as_ref()
            .and_then(|s| s.taints.as_ref())
            .is_some_and(|ts| ts.iter().any(|t| t.key == pools::keys::DRAINING_TAINT))
    });
    Ok(NodeFacts {
        name: Some(node_name),
        gone: node.is_none() || disrupted_by_gc,
        spot_interrupted: annotations.contains_key(SPOT_INTERRUPTION_ANNOTATION),
        terminating: draining || node.as_ref().is_some_and(|n| n.metadata.deletion_timestamp.is_some()),
        simulated: annotations.contains_key(pools::keys::KWOK_NODE),
    })
}

async fn release_finalizer(pods: &Api<Pod>, pod: Option<&Pod>) -> Result<()> {
    let Some(pod) = pod else { return Ok(()) };
    let remaining: Vec<String> =
        pod.finalizers().iter().filter(|f| *f != labels::TASK_RECORD_FINALIZER).cloned().collect();
    if remaining.len() == pod.finalizers().len() {
        return Ok(());
    }
    // The resourceVersion makes this a compare-and-swap on the finalizer list.
    let patch = serde_json::json!({
        "metadata": { "finalizers": remaining, "resourceVersion": pod.resource_version() }
    });
    pods.patch(&pod.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .or_else(ignore_not_found)
}

fn ignore_not_found(e: kube::Error) -> Result<()> {
    match e {
        kube::Error::Api(ae) if ae.code == 404 => Ok(()),
        e => Err(e.into()),
    }
}
