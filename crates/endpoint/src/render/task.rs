//! Task (or a service's Pod) -> ECS Task.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube_ecs_api::Task;
use kube_ecs_api::ecs::{DesiredStatus, TaskLifecycle};
use kube_ecs_api::task::ContainerStatus;
use kube_ecs_domain::revisions::Reference;
use kube_ecs_wire as wire;

use super::timestamp;
use crate::arn::Arns;

/// The ARN of `family:revision` (or of a bare family, before a task has resolved it).
pub fn definition_arn(arns: &Arns, reference: &str) -> String {
    match Reference::parse(reference) {
        Ok(Reference { family, revision: Some(revision) }) => arns.task_definition(&family, revision),
        Ok(Reference { family, revision: None }) => arns.task_definition(&family, 0).trim_end_matches(":0").to_string(),
        Err(_) => reference.to_string(),
    }
}

fn containers(
    arns: &Arns,
    cluster: &str,
    id: &str,
    task_arn: &str,
    statuses: &[ContainerStatus],
) -> Vec<wire::Container> {
    statuses
        .iter()
        .map(|c| wire::Container {
            container_arn: Some(arns.container(cluster, id, &c.name)),
            task_arn: Some(task_arn.to_string()),
            name: Some(c.name.clone()),
            image: c.image.clone(),
            last_status: Some(c.last_status.unwrap_or(kube_ecs_api::ecs::ContainerLifecycle::Pending).as_str().into()),
            exit_code: c.exit_code,
            reason: c.reason.clone(),
            health_status: c.health_status.map(|h| h.as_str().into()),
            ..Default::default()
        })
        .collect()
}

/// A Task custom resource as DescribeTasks reports it, in the cluster whose ECS name is `cluster`.
pub fn task(arns: &Arns, cluster: &str, task: &Task, with_tags: bool) -> wire::Task {
    let id = task.metadata.name.clone().unwrap_or_default();
    let status = task.status.clone().unwrap_or_default();
    let task_arn = arns.task(cluster, &id);
    let reference = status.task_definition.clone().unwrap_or_else(|| task.spec.task_definition.clone());
    // A stop asked for is the desired status at once, before the controller has recorded it.
    let asked = task.spec.desired_status.filter(|d| *d == DesiredStatus::Stopped);
    let desired = asked.or(status.desired_status).or(task.spec.desired_status).unwrap_or(DesiredStatus::Running);
    wire::Task {
        containers: containers(arns, cluster, &id, &task_arn, &status.containers),
        task_arn: Some(task_arn),
        cluster_arn: Some(arns.cluster(cluster)),
        task_definition_arn: Some(definition_arn(arns, &reference)),
        last_status: Some(status.last_status.unwrap_or(TaskLifecycle::Provisioning).as_str().into()),
        desired_status: Some(desired.as_str().into()),
        container_instance_arn: status.container_instance.as_ref().map(|node| arns.container_instance(cluster, node)),
        capacity_provider_name: status.capacity_provider_name.clone(),
        health_status: status.health_status.map(|h| h.as_str().into()),
        stop_code: status.stop_code.map(|c| c.as_str().into()),
        stopped_reason: status.stopped_reason.clone(),
        cpu: status.cpu.clone(),
        memory: status.memory.clone(),
        created_at: timestamp(status.created_at.as_ref().or(task.metadata.creation_timestamp.as_ref())),
        pull_started_at: timestamp(status.pull_started_at.as_ref()),
        pull_stopped_at: timestamp(status.pull_stopped_at.as_ref()),
        started_at: timestamp(status.started_at.as_ref()),
        stopping_at: timestamp(status.stopping_at.as_ref()),
        execution_stopped_at: timestamp(status.execution_stopped_at.as_ref()),
        stopped_at: timestamp(status.stopped_at.as_ref()),
        started_by: task.spec.started_by.clone(),
        group: task.spec.group.clone(),
        launch_type: Some(task.spec.launch_type.unwrap_or(kube_ecs_api::ecs::LaunchType::Ec2).as_str().into()),
        overrides: Some(task.spec.overrides.as_ref().and_then(|o| crate::call::convert(o).ok()).unwrap_or_default()),
        enable_execute_command: Some(task.spec.enable_execute_command.unwrap_or(false)),
        version: task.metadata.generation,
        tags: if with_tags { super::tags(&task.spec.tags) } else { Vec::new() },
        ..Default::default()
    }
}

/// A service's Pod as an ECS task (service tasks are Pods of the service's Deployment or
/// DaemonSet; their ID is the Pod's name).
pub fn service_pod(arns: &Arns, cluster: &str, service: &str, pod: &Pod) -> wire::Task {
    // The domain reads the Pod as the task it is (the console shows the same value); rendered as any
    // Task is.
    let now = Time(jiff::Timestamp::now());
    task(arns, cluster, &kube_ecs_domain::service_task::as_task(pod, service, cluster, &now), false)
}
