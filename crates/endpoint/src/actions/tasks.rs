//! RunTask, DescribeTasks, ListTasks, StopTask over Task (standalone tasks) and the Pods of
//! Services (service tasks, whose ID is the Pod's name).

use k8s_openapi::api::core::v1::Pod;
use kube_ecs_api::ecs::DesiredStatus;
use kube_ecs_api::labels::SERVICE_NAME;
use kube_ecs_api::{EcsCluster, Task};
use kube_ecs_domain::revisions::{Reference, ResolvedRevision};
use kube_ecs_domain::run_task::{self, Room};
use kube_ecs_wire as wire;

use super::task_definitions::resolve;
use super::{existing_cluster, wants_tags};
use crate::arn;
use crate::call::{Call, convert, manifest, members_except, refuse_gitops};
use crate::error::{EcsError, ErrorCode};
use crate::lookup::ClusterRef;
use crate::pagination::page;
use crate::{idempotency, ids, render};

/// Members of RunTask that are the call's, not the Task's. placementStrategy has no effect on one
/// task's Pod (the scheduler spreads), so it is not kept.
const RUN_ONLY: &[&str] =
    &["count", "clientToken", "cluster", "taskDefinition", "placementStrategy", "volumeConfigurations"];

/// The free room of the cluster's instances, when the cluster's capacity is fixed (no pool that
/// grows) and the caller may read its instances; None: let the tasks wait for capacity, as ECS
/// does with capacity providers.
async fn fixed_rooms(call: &Call<'_>, cluster: &EcsCluster) -> Option<Vec<Room>> {
    let grows = cluster.spec.node_pools.iter().any(|p| p.provider.as_deref() == Some("karpenter"));
    if grows {
        return None;
    }
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let instances = call.list(&call.instances(), None).await.ok()?;
    Some(
        instances
            .iter()
            .filter(|i| i.spec.cluster == name)
            .filter(|i| i.status.as_ref().is_some_and(|s| s.agent_connected))
            .filter_map(|i| {
                let free = i.status.as_ref()?.remaining_resources.clone()?;
                Some(Room { instance: i.metadata.name.clone()?, cpu: free.cpu, memory: free.memory })
            })
            .collect(),
    )
}

/// Containers of a task that has no status yet, from its revision (ECS answers RunTask with them).
fn pending_containers(arns: &arn::Arns, task: &mut wire::Task, cluster: &str, id: &str, resolved: &ResolvedRevision) {
    if !task.containers.is_empty() {
        return;
    }
    task.containers = resolved
        .spec
        .container_definitions
        .iter()
        .map(|c| wire::Container {
            container_arn: Some(arns.container(cluster, id, &c.name)),
            task_arn: task.task_arn.clone(),
            name: Some(c.name.clone()),
            image: Some(c.image.clone()),
            last_status: Some("PENDING".into()),
            ..Default::default()
        })
        .collect();
}

/// Refuses a RunTask whose placement could never be satisfied on the cluster (an expression that
/// does not parse, a capacity provider the cluster does not have), as ECS refuses the call, rather
/// than leaving its tasks waiting: the same placement the Task controller computes.
fn placeable_at_all(
    call: &Call<'_>,
    cluster: &EcsCluster,
    input: &wire::RunTaskRequest,
    resolved: &ResolvedRevision,
) -> Result<(), EcsError> {
    let mut constraints: Vec<kube_ecs_api::common::PlacementConstraint> = convert(&input.placement_constraints)?;
    constraints.extend(resolved.spec.placement_constraints.iter().filter_map(|c| convert(c).ok()));
    let strategy: Vec<kube_ecs_api::common::CapacityProviderStrategyItem> = convert(&input.capacity_provider_strategy)?;
    kube_ecs_domain::cluster::placement::placement_for(cluster, call.namespace(), &strategy, &constraints, None)
        .map(drop)
        .map_err(|e| EcsError::invalid_parameter(e.to_string()))
}

pub async fn run(
    call: &Call<'_>,
    input: wire::RunTaskRequest,
    raw: &serde_json::Value,
) -> Result<wire::RunTaskResponse, EcsError> {
    let count = input.count.unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(EcsError::invalid_parameter(format!("count must be between 1 and 10, not {count}.")));
    }
    if input.launch_type.is_some() && !input.capacity_provider_strategy.is_empty() {
        return Err(EcsError::invalid_parameter(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    let cluster = existing_cluster(call, input.cluster.as_deref()).await?;
    let cluster_ref = ClusterRef::of(&cluster);
    if let Some(token) = input.client_token.as_deref() {
        // A retry of a call that made its tasks: those tasks, not new ones.
        let made = call.list(&call.tasks(), Some(&idempotency::selector(token))).await?;
        if !made.is_empty() {
            let tasks = made.iter().map(|t| render::task::task(call.arns(), &cluster_ref.name, t, true)).collect();
            return Ok(wire::RunTaskResponse { tasks, failures: Vec::new() });
        }
    }
    let resolved = resolve(call, &input.task_definition, false).await?;
    placeable_at_all(call, &cluster, &input, &resolved)?;
    let mut placeable = count as usize;
    let mut response = wire::RunTaskResponse::default();
    if let Some(rooms) = fixed_rooms(call, &cluster).await {
        if rooms.is_empty() {
            return Err(EcsError::invalid_parameter("No Container Instances were found in your cluster."));
        }
        let (fits, unplaced) = run_task::fit(&rooms, run_task::reservation(&resolved.spec), placeable);
        placeable = fits;
        response.failures = unplaced
            .iter()
            .map(|u| wire::Failure {
                arn: Some(call.arns().container_instance(&cluster_ref.name, &u.instance)),
                reason: Some(u.reason.into()),
                ..Default::default()
            })
            .collect();
    }
    let mut spec = members_except(raw, RUN_ONLY);
    spec["taskDefinition"] = resolved.reference.clone().into();
    spec["cluster"] = cluster_ref.reference().into();
    if input.group.is_none() {
        spec["group"] = format!("family:{}", resolved.family).into();
    }
    let api = call.tasks();
    // The tasks are created side by side: a RunTask of 10 takes about one create's time, not ten.
    let creates = (0..placeable).map(|_| {
        let id = ids::task_id();
        let mut manifest = manifest::<Task>(&id, Some(call.namespace()), spec.clone());
        if let Some(token) = input.client_token.as_deref() {
            manifest["metadata"]["labels"] =
                serde_json::json!({idempotency::CLIENT_TOKEN_LABEL: idempotency::label_value(token)});
        }
        let api = api.clone();
        async move { call.apply(&api, &id, &manifest).await.map(|task| (id, task)) }
    });
    for (id, task) in futures::future::try_join_all(creates).await? {
        let mut rendered = render::task::task(call.arns(), &cluster_ref.name, &task, true);
        pending_containers(call.arns(), &mut rendered, &cluster_ref.name, &id, &resolved);
        response.tasks.push(rendered);
    }
    Ok(response)
}

/// The service Pods of the caller's namespace, with the ECS name of the service each belongs to.
async fn service_pods(call: &Call<'_>, service_label: Option<&str>) -> Result<Vec<(String, Pod)>, EcsError> {
    let selector = match service_label {
        Some(value) => format!("{SERVICE_NAME}={value}"),
        None => SERVICE_NAME.to_string(),
    };
    let pods = call.list(&call.pods(), Some(&selector)).await?;
    Ok(pods
        .into_iter()
        .filter_map(|pod| Some((kube_ecs_domain::service_task::service_object(&pod)?.to_string(), pod)))
        .collect())
}

/// Every task of the cluster in the caller's namespace: standalone Tasks and service Pods.
async fn cluster_tasks(
    call: &Call<'_>,
    cluster: &ClusterRef,
    service: Option<&str>,
) -> Result<Vec<wire::Task>, EcsError> {
    let mut tasks = Vec::new();
    let services = call.list(&call.services(), None).await?;
    let in_cluster = |s: &&kube_ecs_api::Service| cluster.holds(s.spec.cluster.as_deref());
    match service {
        Some(wanted) => {
            let Some(service) = services
                .iter()
                .filter(in_cluster)
                .find(|s| render::service::service_name(s) == arn::short_name(wanted))
            else {
                return Err(EcsError::service_not_found());
            };
            let object = service.metadata.name.clone().unwrap_or_default();
            let name = render::service::service_name(service);
            let label = kube_ecs_api::labels::value(&object);
            for (_, pod) in service_pods(call, Some(&label)).await? {
                tasks.push(render::task::service_pod(call.arns(), &cluster.name, &name, &pod));
            }
        }
        None => {
            for task in call.list(&call.tasks(), None).await? {
                if cluster.holds(task_cluster(&task)) {
                    tasks.push(render::task::task(call.arns(), &cluster.name, &task, false));
                }
            }
            for (object, pod) in service_pods(call, None).await? {
                if let Some(service) =
                    services.iter().filter(in_cluster).find(|s| s.metadata.name.as_deref() == Some(&object))
                {
                    let name = render::service::service_name(service);
                    tasks.push(render::task::service_pod(call.arns(), &cluster.name, &name, &pod));
                }
            }
        }
    }
    Ok(tasks)
}

/// The cluster a Task runs on: what its status recorded, else its spec.
fn task_cluster(task: &Task) -> Option<&str> {
    task.status.as_ref().and_then(|s| s.cluster.as_deref()).or(task.spec.cluster.as_deref())
}

pub async fn list(
    call: &Call<'_>,
    input: wire::ListTasksRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListTasksResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    let desired = input.desired_status.clone().unwrap_or_else(|| DesiredStatus::Running.as_str().into());
    let instance = input.container_instance.as_deref().map(arn::short_name);
    let tasks = cluster_tasks(call, &cluster, input.service_name.as_deref()).await?;
    let family_of = |t: &wire::Task| {
        let arn = t.task_definition_arn.clone().unwrap_or_default();
        Reference::parse(&arn).map(|r| r.family).unwrap_or_default()
    };
    let arns = tasks
        .iter()
        .filter(|t| t.desired_status.as_deref() == Some(desired.as_str()))
        .filter(|t| input.family.as_ref().is_none_or(|f| family_of(t) == *f))
        .filter(|t| input.started_by.as_ref().is_none_or(|s| t.started_by.as_ref() == Some(s)))
        .filter(|t| input.launch_type.as_ref().is_none_or(|l| t.launch_type.as_ref() == Some(l)))
        .filter(|t| instance.is_none_or(|i| t.container_instance_arn.as_deref().map(arn::short_name) == Some(i)))
        .filter_map(|t| t.task_arn.clone())
        .collect();
    let (task_arns, next_token) = page(arns, input.max_results, input.next_token.as_deref(), 100, 100)?;
    Ok(wire::ListTasksResponse { task_arns, next_token })
}

/// The task `reference` (ID or ARN) names in the cluster: a Task, or a service's Pod.
async fn find(call: &Call<'_>, cluster: &ClusterRef, reference: &str) -> Result<Option<Found>, EcsError> {
    let id = arn::short_name(reference);
    if let Some(task) = call.get(&call.tasks(), id).await? {
        return Ok(cluster.holds(task_cluster(&task)).then_some(Found::Task(Box::new(task))));
    }
    let Some(pod) = call.get(&call.pods(), id).await? else { return Ok(None) };
    let Some(object) = pod.metadata.labels.as_ref().and_then(|l| l.get(SERVICE_NAME)).cloned() else { return Ok(None) };
    let services = call.list(&call.services(), None).await?;
    let service = services.into_iter().find(|s| {
        s.metadata.name.as_deref().map(kube_ecs_api::labels::value).as_deref() == Some(object.as_str())
            && cluster.holds(s.spec.cluster.as_deref())
    });
    Ok(service.map(|s| Found::ServicePod(render::service::service_name(&s), Box::new(pod))))
}

enum Found {
    Task(Box<Task>),
    ServicePod(String, Box<Pod>),
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeTasksRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DescribeTasksResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    if input.tasks.is_empty() {
        return Err(EcsError::invalid_parameter("Tasks cannot be empty."));
    }
    if input.tasks.len() > 100 {
        return Err(EcsError::invalid_parameter("tasks can have at most 100 items."));
    }
    let with_tags = wants_tags(&input.include);
    let mut response = wire::DescribeTasksResponse::default();
    for requested in &input.tasks {
        match find(call, &cluster, requested).await? {
            Some(Found::Task(task)) => {
                response.tasks.push(render::task::task(call.arns(), &cluster.name, &task, with_tags))
            }
            Some(Found::ServicePod(service, pod)) => {
                response.tasks.push(render::task::service_pod(call.arns(), &cluster.name, &service, &pod));
            }
            None => response.failures.push(wire::Failure {
                arn: Some(if requested.starts_with("arn:") {
                    requested.clone()
                } else {
                    call.arns().task(&cluster.name, requested)
                }),
                reason: Some("MISSING".into()),
                ..Default::default()
            }),
        }
    }
    Ok(response)
}

pub async fn stop(
    call: &Call<'_>,
    input: wire::StopTaskRequest,
    _raw: &serde_json::Value,
) -> Result<wire::StopTaskResponse, EcsError> {
    let cluster = ClusterRef::of(&existing_cluster(call, input.cluster.as_deref()).await?);
    let not_found = || EcsError::new(ErrorCode::InvalidParameterException, "The referenced task was not found.");
    match find(call, &cluster, &input.task).await?.ok_or_else(not_found)? {
        Found::Task(task) => {
            let id = task.metadata.name.clone().unwrap_or_default();
            refuse_gitops(&task.metadata, &format!("The task {id}"))?;
            let reason = input.reason.clone().unwrap_or_else(|| "Task stopped by user".into());
            let mut spec = serde_json::json!({"desiredStatus": "STOPPED"});
            if task.spec.stopped_reason.is_none() {
                spec["stoppedReason"] = reason.into();
            }
            let stopped = if task.spec.desired_status == Some(DesiredStatus::Stopped) {
                *task
            } else {
                call.merge(&call.tasks(), &id, &serde_json::json!({"spec": spec})).await?
            };
            Ok(wire::StopTaskResponse { task: Some(render::task::task(call.arns(), &cluster.name, &stopped, true)) })
        }
        Found::ServicePod(service, pod) => {
            // A service task stops as ECS's do: its Pod goes, and the service replaces it.
            let name = pod.metadata.name.clone().unwrap_or_default();
            call.delete(&call.pods(), &name).await?;
            let mut rendered = render::task::service_pod(call.arns(), &cluster.name, &service, &pod);
            rendered.desired_status = Some(DesiredStatus::Stopped.as_str().into());
            rendered.stopped_reason = input.reason.clone();
            Ok(wire::StopTaskResponse { task: Some(rendered) })
        }
    }
}
