//! A stopped task's log stream lasts as long as the stopped task: readable through CloudWatch Logs'
//! API after the task stopped, gone once its retention ends (this binary's operator keeps stopped
//! tasks 20 seconds instead of an hour).

mod support;

use std::time::Duration;

use kube::api::Api;
use kube_ecs::api::{Task, TaskDefinition};
use support::apply;
use support::ecs_api;

#[tokio::test]
async fn a_stopped_task_s_stream_goes_when_its_retention_ends() {
    support::operator::retain_stopped_tasks_for(Duration::from_secs(20));
    support::with_real_nodes(1);
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = ecs_api::team(&client, api, "logs-retention", false).await;
    ecs_api::grant_pod_logs(&client, &key.user, &ns).await;
    support::real_nodes_cluster(&client, &ns).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "once"},
            "spec": {"containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 32,
                "entryPoint": ["sh", "-c"], "command": ["echo done here"],
                "logConfiguration": {"logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/once", "awslogs-stream-prefix": "job"}}}]}}),
    )
    .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "once"},
            "spec": {"taskDefinition": "once", "cluster": ns}}),
    )
    .await;
    support::wait_for_within(&tasks, "once", "STOPPED", Duration::from_secs(120), |t| {
        t.status.as_ref().and_then(|s| s.last_status).map(|l| l.as_str()) == Some("STOPPED")
    })
    .await;
    let read = || {
        ecs_api::aws_service(
            "logs",
            &api.url,
            &api.region,
            &key,
            &[
                "get-log-events",
                "--log-group-name",
                "/ecs/once",
                "--log-stream-name",
                "job/app/once",
                "--start-from-head",
            ],
            &[],
        )
    };
    let (ok, events, stderr) = read();
    assert!(ok, "readable while the stopped task is retained: {stderr}");
    assert_eq!(events["events"][0]["message"], "done here", "{events}");
    // Retention over: the Task goes, its Pod with it, and so does the stream.
    support::wait_for_list_within(&tasks, "the stopped Task deleted", Duration::from_secs(120), |all| all.is_empty())
        .await;
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list_within(&pods, "its Pod gone with it", Duration::from_secs(120), |all| all.is_empty()).await;
    let (ok, _, stderr) = read();
    assert!(!ok && stderr.contains("(ResourceNotFoundException)"), "the stream is gone: {stderr}");
}
