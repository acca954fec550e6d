//! A service's task in ECS terms, read off its Pod. A service runs its tasks as the Pods of its
//! workload (no Task object), yet ECS lists them with the cluster's other tasks, with the group
//! `service:<name>` and startedBy `ecs-svc/...`; this is that task as a [`Task`] value, so what
//! shows a standalone task's status shows a service's the same way. Pure: the caller says when
//! "now" is (a health check's grace period is counted from it).

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::ecs::{DesiredStatus, TaskLifecycle};
use crate::api::{Task, TaskSpec, TaskStatus};
use crate::labels::{SERVICE_NAME, SERVICE_NAME_ANNOTATION};
use crate::{task_plan, task_status};

/// The Service object whose task `pod` is (its object name), if it is a service's Pod.
pub fn service_object(pod: &Pod) -> Option<&str> {
    let meta = &pod.metadata;
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(SERVICE_NAME_ANNOTATION))
        .or_else(|| meta.labels.as_ref().and_then(|l| l.get(SERVICE_NAME)))
        .map(String::as_str)
}

/// `pod`, a task of the service named `service` (its ECS name) on cluster `cluster`, as ECS shows
/// it: lastStatus and containers observed as a standalone task's are, desired STOPPED once the Pod
/// is being deleted (a scale-in or a rollout stops it).
pub fn as_task(pod: &Pod, service: &str, cluster: &str, now: &Time) -> Task {
    let id = pod.metadata.name.clone().unwrap_or_default();
    let record = task_plan::pod_record(pod);
    let observed = task_status::observe_pod(pod, &record.container_mappings(), now);
    let stopping = pod.metadata.deletion_timestamp.clone();
    let last = observed.last_status.unwrap_or(TaskLifecycle::Provisioning);
    let desired = if stopping.is_some() || last == TaskLifecycle::Stopped {
        DesiredStatus::Stopped
    } else {
        DesiredStatus::Running
    };
    let spec = TaskSpec {
        task_definition: record.task_definition.clone(),
        cluster: Some(cluster.to_string()),
        started_by: Some(format!("ecs-svc/{service}")),
        group: Some(format!("service:{service}")),
        ..Default::default()
    };
    let mut task = Task::new(&id, spec);
    task.metadata.namespace = pod.metadata.namespace.clone();
    task.metadata.creation_timestamp = pod.metadata.creation_timestamp.clone();
    task.status = Some(TaskStatus {
        last_status: Some(last),
        desired_status: Some(desired),
        task_definition: Some(record.task_definition),
        cluster: Some(cluster.to_string()),
        capacity_provider_name: record.capacity_provider,
        container_instance: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        pod: Some(id),
        health_status: Some(observed.health_status),
        containers: observed.containers,
        created_at: pod.metadata.creation_timestamp.clone(),
        pull_started_at: observed.pull_started_at,
        pull_stopped_at: observed.pull_stopped_at,
        started_at: observed.started_at,
        stopping_at: stopping,
        execution_stopped_at: observed.execution_stopped_at,
        ..Default::default()
    });
    task
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task_plan::{POD_RECORD_ANNOTATION, PodRecord};
    use crate::translate::{ContainerKind, ContainerMapping};

    fn pod(extra_meta: serde_json::Value, state: serde_json::Value) -> Pod {
        let record = PodRecord::from_mappings(
            "web:2",
            &[ContainerMapping {
                ecs_name: "app".into(),
                kubernetes_name: "app".into(),
                essential: true,
                image: "nginx".into(),
                has_health_check: false,
                unhealthy_after: None,
                kind: ContainerKind::Main,
            }],
            vec![],
            Some("od".into()),
        );
        let mut meta = serde_json::json!({"name": "web-7d9f-abcde", "namespace": "team",
            "creationTimestamp": "2026-12-07T10:00:00Z",
            "labels": {SERVICE_NAME: "web"},
            "annotations": {POD_RECORD_ANNOTATION: serde_json::to_string(&record).expect("record"),
                SERVICE_NAME_ANNOTATION: "web"}});
        if let (Some(meta), Some(extra)) = (meta.as_object_mut(), extra_meta.as_object()) {
            meta.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({
            "metadata": meta,
            "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "image": "nginx", "imageID": "", "ready": true, "restartCount": 0, "state": state}]}
        }))
        .expect("pod")
    }

    fn now() -> Time {
        Time("2026-12-07T10:05:00Z".parse().expect("time"))
    }

    #[test]
    fn a_running_service_pod_is_a_running_task_of_its_service() {
        let running = serde_json::json!({"running": {"startedAt": "2026-12-07T10:00:05Z"}});
        let pod = pod(serde_json::json!({}), running);
        assert_eq!(service_object(&pod), Some("web"));
        let task = as_task(&pod, "web", "prod", &now());
        assert_eq!(task.metadata.name.as_deref(), Some("web-7d9f-abcde"));
        assert_eq!(task.spec.task_definition, "web:2");
        assert_eq!(task.spec.group.as_deref(), Some("service:web"));
        assert_eq!(task.spec.started_by.as_deref(), Some("ecs-svc/web"));
        let status = task.status.expect("status");
        assert_eq!(status.last_status, Some(TaskLifecycle::Running));
        assert_eq!(status.desired_status, Some(DesiredStatus::Running));
        assert_eq!(status.container_instance.as_deref(), Some("n1"));
        assert_eq!(status.capacity_provider_name.as_deref(), Some("od"));
        assert_eq!(status.pod.as_deref(), Some("web-7d9f-abcde"));
        assert_eq!(status.containers.len(), 1);
        assert!(status.started_at.is_some());
    }

    #[test]
    fn a_pod_being_deleted_is_a_task_desired_stopped() {
        let running = serde_json::json!({"running": {"startedAt": "2026-12-07T10:00:05Z"}});
        let pod = pod(serde_json::json!({"deletionTimestamp": "2026-12-07T10:04:00Z"}), running);
        let status = as_task(&pod, "web", "prod", &now()).status.expect("status");
        assert_eq!(status.desired_status, Some(DesiredStatus::Stopped));
        assert!(status.stopping_at.is_some());
    }

    #[test]
    fn a_pod_of_no_service_names_none() {
        let mut pod = pod(serde_json::json!({}), serde_json::json!({"waiting": {}}));
        pod.metadata.labels = None;
        pod.metadata.annotations = None;
        assert_eq!(service_object(&pod), None);
    }
}
