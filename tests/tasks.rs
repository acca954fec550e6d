//! Tasks on the real control plane: ECS's lifecycle and essential-container semantics.

mod support;

use support::apply;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use kube_ecs::api::{Task, TaskDefinition};

/// An EcsCluster for one test with `nodes` simulated container instances labelled for it.
async fn test_cluster(client: &Client, name: &str, nodes: u32) {
    support::ecs_cluster(client, name, serde_json::json!({}), nodes, ("2", "4Gi")).await;
}

fn last_status(task: &Task) -> Option<&str> {
    task.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str()))
}

fn container<'a>(task: &'a Task, name: &str) -> Option<&'a kube_ecs::api::task::ContainerStatus> {
    task.status.as_ref().and_then(|s| s.containers.iter().find(|c| c.name == name))
}

async fn simulate_exit(pods: &Api<Pod>, pod: &str, container: &str, code: i32) {
    let patch = serde_json::json!({"metadata": {"annotations": {
        format!("sim.kube-ecs.dev/exit.{container}"): code.to_string(),
        "sim.kube-ecs.dev/exit-request": format!("{container}-{code}"),
    }}});
    pods.patch(pod, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("annotating the pod to simulate an exit");
}

async fn setup(prefix: &str) -> (Client, String, Api<Task>, Api<Pod>) {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    test_cluster(&client, &ns, 2).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": "app-with-sidecar"},
            "spec": {"containerDefinitions": [
                {"name": "app", "image": "nginx:1.27", "memory": 256, "essential": true},
                {"name": "log_router", "image": "fluent/fluent-bit:3", "memory": 64, "essential": false}
            ]}
        }),
    )
    .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    (client, ns, tasks, pods)
}

fn task_manifest(name: &str, cluster: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
        "metadata": {"name": name},
        "spec": {"taskDefinition": "app-with-sidecar", "cluster": cluster, "startedBy": "tests"}
    })
}

#[tokio::test]
async fn essential_container_exit_stops_the_task_and_records_every_exit_code() {
    let (_client, ns, tasks, pods) = setup("task-essential").await;
    apply(&tasks, task_manifest("job-1", &ns)).await;
    let task = support::wait_for(&tasks, "job-1", "task RUNNING", |t| last_status(t) == Some("RUNNING")).await;
    let status = task.status.expect("status");
    assert_eq!(status.task_definition.as_deref(), Some("app-with-sidecar:1"));
    assert_eq!(status.pod.as_deref(), Some("job-1"));
    assert!(status.started_at.is_some() && status.created_at.is_some());

    // The non-essential sidecar exits 3: the task keeps running.
    let kube_sidecar = container(&tasks.get("job-1").await.expect("task"), "log_router")
        .and_then(|c| c.kubernetes_name.clone())
        .unwrap_or_else(|| "log-router".into());
    simulate_exit(&pods, "job-1", &kube_sidecar, 3).await;
    let task = support::wait_for(&tasks, "job-1", "sidecar exit code 3 recorded", |t| {
        container(t, "log_router").and_then(|c| c.exit_code) == Some(3)
    })
    .await;
    assert_eq!(last_status(&task), Some("RUNNING"), "a non-essential exit leaves the task RUNNING");

    // The essential app exits 137: the task stops.
    simulate_exit(&pods, "job-1", "app", 137).await;
    let task = support::wait_for(&tasks, "job-1", "task STOPPED", |t| last_status(t) == Some("STOPPED")).await;
    let status = task.status.clone().expect("status");
    assert_eq!(status.stop_code.map(|v| v.as_str()), Some("EssentialContainerExited"));
    assert_eq!(status.stopped_reason.as_deref(), Some("Essential container in task exited"));
    assert_eq!(container(&task, "app").and_then(|c| c.exit_code), Some(137));
    assert_eq!(container(&task, "log_router").and_then(|c| c.exit_code), Some(3));
    assert!(status.stopped_at.is_some() && status.execution_stopped_at.is_some());
    support::wait_for_list(&pods, "the task's pod is gone", |list| list.is_empty()).await;
    let _ = ns;
}

#[tokio::test]
async fn desired_status_stopped_stops_the_task_user_initiated() {
    let (_client, ns, tasks, pods) = setup("task-stop").await;
    apply(&tasks, task_manifest("svc-1", &ns)).await;
    support::wait_for(&tasks, "svc-1", "task RUNNING", |t| last_status(t) == Some("RUNNING")).await;

    let mut stop = task_manifest("svc-1", &ns);
    stop["spec"]["desiredStatus"] = "STOPPED".into();
    stop["spec"]["stoppedReason"] = "maintenance window".into();
    apply(&tasks, stop).await;
    let task = support::wait_for(&tasks, "svc-1", "task STOPPED", |t| last_status(t) == Some("STOPPED")).await;
    let status = task.status.expect("status");
    assert_eq!(status.stop_code.map(|v| v.as_str()), Some("UserInitiated"));
    assert_eq!(status.stopped_reason.as_deref(), Some("maintenance window"));
    assert_eq!(status.desired_status.map(|v| v.as_str()), Some("STOPPED"));
    support::wait_for_list(&pods, "the task's pod is gone", |list| list.is_empty()).await;
}

async fn definition(client: &Client, ns: &str, name: &str, containers: serde_json::Value) {
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    apply(
        &definitions,
        serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name}, "spec": {"containerDefinitions": containers}
        }),
    )
    .await;
}

fn task_of(name: &str, definition: &str, cluster: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
        "metadata": {"name": name}, "spec": {"taskDefinition": definition, "cluster": cluster}
    })
}

fn condition<'a>(task: &'a Task, type_: &str) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    task.status.as_ref().and_then(|s| s.conditions.iter().find(|c| c.type_ == type_))
}

#[tokio::test]
async fn a_task_too_big_for_any_instance_stays_provisioning_with_resource_memory() {
    let (client, ns, tasks, _pods) = setup("task-unplaceable").await;
    definition(&client, &ns, "huge", serde_json::json!([{"name": "app", "image": "nginx:1.27", "memory": 65536}]))
        .await;
    apply(&tasks, task_of("huge-1", "huge", &ns)).await;
    let task = support::wait_for(&tasks, "huge-1", "Placed=False with RESOURCE:MEMORY", |t| {
        condition(t, "Placed").is_some_and(|c| c.status == "False" && c.message.contains("RESOURCE:MEMORY"))
    })
    .await;
    assert_eq!(last_status(&task), Some("PROVISIONING"));
    let events = support::kubectl(
        &["get", "events", "-n", &ns, "--field-selector", "involvedObject.name=huge-1", "-o", "name"],
        None,
    );
    assert!(events.0, "listing events: {}", events.2);
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_fails_the_task_to_start() {
    let (client, ns, tasks, pods) = setup("task-pull").await;
    definition(
        &client,
        &ns,
        "broken",
        serde_json::json!([{"name": "app", "image": "unreachable.invalid/app:1", "memory": 64}]),
    )
    .await;
    apply(&tasks, task_of("broken-1", "broken", &ns)).await;
    let task = support::wait_for(&tasks, "broken-1", "task STOPPED", |t| last_status(t) == Some("STOPPED")).await;
    let status = task.status.clone().expect("status");
    assert_eq!(status.stop_code.map(|v| v.as_str()), Some("TaskFailedToStart"));
    assert!(status.stopped_reason.as_deref().is_some_and(|r| r.starts_with("CannotPullContainerError")), "{status:?}");
    assert!(
        container(&task, "app")
            .and_then(|c| c.reason.clone())
            .is_some_and(|r| r.starts_with("CannotPullContainerError"))
    );
    support::wait_for_list(&pods, "the task's pod is gone", |list| list.is_empty()).await;
}

#[tokio::test]
async fn depends_on_orders_startup_with_init_and_sidecar_containers() {
    let (client, ns, tasks, pods) = setup("task-depends").await;
    definition(
        &client,
        &ns,
        "ordered",
        serde_json::json!([
            {"name": "app", "image": "app:1", "memory": 128, "dependsOn": [
                {"containerName": "migrate", "condition": "SUCCESS"},
                {"containerName": "envoy", "condition": "HEALTHY"}]},
            {"name": "envoy", "image": "envoy:1", "memory": 64, "essential": false,
             "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost:9901/ready"], "interval": 10}},
            {"name": "migrate", "image": "migrate:1", "memory": 64, "essential": false}
        ]),
    )
    .await;
    apply(&tasks, task_of("ordered-1", "ordered", &ns)).await;
    support::wait_for(&tasks, "ordered-1", "task RUNNING", |t| last_status(t) == Some("RUNNING")).await;
    let pod = pods.get("ordered-1").await.expect("pod");
    let spec = pod.spec.expect("spec");
    let init: Vec<(String, Option<String>, bool)> = spec
        .init_containers
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.name, c.restart_policy, c.startup_probe.is_some()))
        .collect();
    assert_eq!(
        init,
        vec![("envoy".to_string(), Some("Always".to_string()), true), ("migrate".to_string(), None, false)],
        "HEALTHY dependency -> gated native sidecar; SUCCESS dependency -> init container"
    );
    assert_eq!(spec.containers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["app"]);
}
