//! ECS behaviour proven with real processes: tasks on real container instances (a real kubelet with
//! containerd and runc, started by the local control plane), busybox commands, no simulation hooks.
//! Exit codes, essential containers, dependsOn order, health checks, stop signals, memory limits,
//! environment and secrets, a load-balanced service rolling out, and pulls from the local ECR.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use kube_ecs::api::{Service, Task, TaskDefinition};
use support::apply;

/// Real container instances in this test binary's cluster.
const REAL_NODES: u32 = 2;

async fn setup(prefix: &str) -> (Client, String) {
    support::with_real_nodes(REAL_NODES);
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    support::real_nodes_cluster(&client, &ns).await;
    (client, ns)
}

async fn definition(client: &Client, ns: &str, name: &str, containers: serde_json::Value, extra: serde_json::Value) {
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    let mut spec = serde_json::json!({"containerDefinitions": containers});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    apply(
        &api,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name}, "spec": spec}),
    )
    .await;
}

/// A busybox container running `script` with `sh -c`.
fn sh(name: &str, script: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut c = serde_json::json!({"name": name, "image": "busybox:1.36", "memory": 64,
        "entryPoint": ["sh", "-c"], "command": [script]});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    c
}

async fn run_task(client: &Client, ns: &str, name: &str, family: &str, extra: serde_json::Value) -> Api<Task> {
    let api: Api<Task> = Api::namespaced(client.clone(), ns);
    let mut spec = serde_json::json!({"taskDefinition": family, "cluster": ns});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    apply(&api, serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": name}, "spec": spec}))
        .await;
    api
}

fn last_status(task: &Task) -> Option<&str> {
    task.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str()))
}

fn container<'a>(task: &'a Task, name: &str) -> &'a kube_ecs::api::task::ContainerStatus {
    task.status
        .as_ref()
        .and_then(|s| s.containers.iter().find(|c| c.name == name))
        .unwrap_or_else(|| panic!("container {name} in the task's status: {:?}", task.status))
}

async fn wait_status(tasks: &Api<Task>, name: &str, wanted: &str) -> Task {
    support::wait_for_within(tasks, name, &format!("lastStatus {wanted}"), Duration::from_secs(120), |t| {
        last_status(t) == Some(wanted)
    })
    .await
}

#[tokio::test]
async fn an_essential_container_exiting_stops_the_task_with_its_real_exit_code() {
    let (client, ns) = setup("real-essential").await;
    definition(
        &client,
        &ns,
        "exits",
        serde_json::json!([
            sh("app", "sleep 4; exit 3", serde_json::json!({})),
            sh("sidecar", "exit 5", serde_json::json!({"essential": false}))
        ]),
        serde_json::json!({}),
    )
    .await;
    let tasks = run_task(&client, &ns, "exits", "exits", serde_json::json!({})).await;
    // The non-essential sidecar exits first: the task keeps RUNNING, with the sidecar's code recorded.
    let running =
        support::wait_for_within(&tasks, "exits", "RUNNING with the sidecar's exit 5", Duration::from_secs(60), |t| {
            last_status(t) == Some("RUNNING")
                && t.status
                    .as_ref()
                    .is_some_and(|s| s.containers.iter().any(|c| c.name == "sidecar" && c.exit_code == Some(5)))
        })
        .await;
    assert_eq!(container(&running, "app").last_status.map(|v| v.as_str()), Some("RUNNING"));
    let stopped = wait_status(&tasks, "exits", "STOPPED").await;
    let status = stopped.status.clone().expect("status");
    assert_eq!(status.stop_code.map(|v| v.as_str()), Some("EssentialContainerExited"));
    assert_eq!(container(&stopped, "app").exit_code, Some(3));
    assert_eq!(container(&stopped, "sidecar").exit_code, Some(5));
}

#[tokio::test]
async fn a_batch_task_finishes_with_exit_code_zero() {
    let (client, ns) = setup("real-batch").await;
    definition(
        &client,
        &ns,
        "batch",
        serde_json::json!([sh("report", "echo done", serde_json::json!({}))]),
        serde_json::json!({}),
    )
    .await;
    let tasks = run_task(&client, &ns, "batch", "batch", serde_json::json!({})).await;
    let stopped = wait_status(&tasks, "batch", "STOPPED").await;
    assert_eq!(container(&stopped, "report").exit_code, Some(0));
    assert_eq!(stopped.status.and_then(|s| s.stop_code).map(|v| v.as_str()), Some("EssentialContainerExited"));
}

#[tokio::test]
async fn depends_on_orders_the_containers_as_their_writes_show() {
    let (client, ns) = setup("real-order").await;
    let shared = serde_json::json!({"mountPoints": [{"sourceVolume": "shared", "containerPath": "/shared"}]});
    let with = |extra: serde_json::Value| {
        let mut merged = shared.clone();
        if let (Some(m), Some(e)) = (merged.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        merged
    };
    definition(
        &client,
        &ns,
        "ordered",
        serde_json::json!([
            sh("migrate", "echo migrate >> /shared/order", with(serde_json::json!({"essential": false}))),
            sh("check", "echo check >> /shared/order; exit 0", with(serde_json::json!({"essential": false,
                "dependsOn": [{"containerName": "migrate", "condition": "COMPLETE"}]}))),
            sh("proxy", "echo proxy >> /shared/order; touch /shared/proxy-up; sleep 3600", with(serde_json::json!({"essential": false,
                "dependsOn": [{"containerName": "check", "condition": "SUCCESS"}]}))),
            sh("db", "sleep 3; echo db >> /shared/order; touch /shared/db-healthy; sleep 3600", with(serde_json::json!({"essential": false,
                "dependsOn": [{"containerName": "proxy", "condition": "START"}],
                "healthCheck": {"command": ["CMD-SHELL", "test -f /shared/db-healthy"], "interval": 5, "timeout": 2, "retries": 3}}))),
            sh("app", "echo app >> /shared/order; cat /shared/order; sleep 3600", with(serde_json::json!({
                "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}]})))
        ]),
        serde_json::json!({"volumes": [{"name": "shared"}]}),
    )
    .await;
    let tasks = run_task(&client, &ns, "ordered", "ordered", serde_json::json!({})).await;
    let running = wait_status(&tasks, "ordered", "RUNNING").await;
    let pod = running.status.and_then(|s| s.pod).expect("pod");
    let log = support::wait_log(&ns, &pod, "app", "app").await;
    let order: Vec<&str> = log.lines().collect();
    assert_eq!(order, ["migrate", "check", "proxy", "db", "app"], "the order the containers wrote in");
}

#[tokio::test]
async fn health_checks_run_for_real() {
    let (client, ns) = setup("real-health").await;
    let check = |command: &str| serde_json::json!({"healthCheck": {"command": ["CMD-SHELL", command], "interval": 5, "timeout": 2, "retries": 2}});
    definition(
        &client,
        &ns,
        "healthy",
        serde_json::json!([sh("app", "touch /tmp/ok; sleep 3600", check("test -f /tmp/ok"))]),
        serde_json::json!({}),
    )
    .await;
    definition(
        &client,
        &ns,
        "unhealthy",
        serde_json::json!([sh("app", "sleep 3600", check("exit 1"))]),
        serde_json::json!({}),
    )
    .await;
    let tasks = run_task(&client, &ns, "healthy", "healthy", serde_json::json!({})).await;
    run_task(&client, &ns, "unhealthy", "unhealthy", serde_json::json!({})).await;
    let health = |t: &Task| t.status.as_ref().and_then(|s| s.health_status);
    support::wait_for_within(&tasks, "healthy", "HEALTHY", Duration::from_secs(60), |t| {
        health(t).map(|v| v.as_str()) == Some("HEALTHY")
    })
    .await;
    let unhealthy = support::wait_for_within(&tasks, "unhealthy", "UNHEALTHY", Duration::from_secs(60), |t| {
        health(t).map(|v| v.as_str()) == Some("UNHEALTHY")
    })
    .await;
    assert_eq!(last_status(&unhealthy), Some("RUNNING"), "a standalone task only reports its health");
    assert_eq!(container(&unhealthy, "app").health_status.map(|v| v.as_str()), Some("UNHEALTHY"));
}

/// A stopped task's Pod stays (its containers stopped in place) until the task's retention ends, so
/// the lines of the essential container whose exit stopped it, and of the sidecar it stopped, stay
/// readable (`kubectl logs`, and the API's logs through `pods/log`).
#[tokio::test]
async fn a_stopped_task_keeps_its_containers_logs() {
    let (client, ns) = setup("real-logs").await;
    definition(
        &client,
        &ns,
        "says",
        serde_json::json!([
            sh("app", "echo app first line; sleep 3; echo app last line; exit 7", serde_json::json!({})),
            sh(
                "sidecar",
                "trap 'echo sidecar got TERM; exit 0' TERM; echo sidecar up; while true; do sleep 1; done",
                serde_json::json!({"essential": false, "stopTimeout": 5})
            )
        ]),
        serde_json::json!({}),
    )
    .await;
    let tasks = run_task(&client, &ns, "says", "says", serde_json::json!({})).await;
    let stopped = wait_status(&tasks, "says", "STOPPED").await;
    assert_eq!(container(&stopped, "app").exit_code, Some(7));
    assert_eq!(container(&stopped, "sidecar").exit_code, Some(0), "the sidecar was stopped with SIGTERM");
    let pod = stopped.status.and_then(|s| s.pod).expect("pod");
    let app = support::wait_log(&ns, &pod, "app", "app last line").await;
    assert!(app.contains("app first line"), "{app}");
    support::wait_log(&ns, &pod, "sidecar", "sidecar got TERM").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let kept = pods.get(&pod).await.expect("the stopped task's Pod is kept");
    assert!(kept.metadata.deletion_timestamp.is_none());
    assert!(kept.finalizers().is_empty(), "its finalizer is released: it goes with the Task");
    // What a kept Pod costs the API server (the figure docs/mapping.md quotes).
    eprintln!("a stopped task's kept Pod: {} bytes of JSON", serde_json::to_vec(&kept).map_or(0, |v| v.len()));
}

#[tokio::test]
async fn stopping_a_task_sends_sigterm_then_sigkill_after_stop_timeout() {
    let (client, ns) = setup("real-stop").await;
    definition(
        &client,
        &ns,
        "stoppable",
        serde_json::json!([
            sh(
                "graceful",
                "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 1; done",
                serde_json::json!({"stopTimeout": 3})
            ),
            sh(
                "stubborn",
                "trap '' TERM; echo ready; while true; do sleep 1; done",
                serde_json::json!({"stopTimeout": 3})
            )
        ]),
        serde_json::json!({}),
    )
    .await;
    let tasks = run_task(&client, &ns, "stoppable", "stoppable", serde_json::json!({})).await;
    let running = wait_status(&tasks, "stoppable", "RUNNING").await;
    let pod = running.status.and_then(|s| s.pod).expect("pod");
    support::wait_log(&ns, &pod, "graceful", "ready").await;
    support::wait_log(&ns, &pod, "stubborn", "ready").await;
    tasks
        .patch(
            "stoppable",
            &PatchParams::apply("test-user"),
            &Patch::Apply(serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
                "metadata": {"name": "stoppable"}, "spec": {"taskDefinition": "stoppable", "cluster": ns,
                "desiredStatus": "STOPPED", "stoppedReason": "test stop"}})),
        )
        .await
        .expect("StopTask");
    let stopped = wait_status(&tasks, "stoppable", "STOPPED").await;
    assert_eq!(stopped.status.as_ref().and_then(|s| s.stop_code.map(|v| v.as_str())), Some("UserInitiated"));
    assert_eq!(container(&stopped, "graceful").exit_code, Some(0), "SIGTERM handled: exit 0");
    assert_eq!(container(&stopped, "stubborn").exit_code, Some(137), "SIGTERM ignored: SIGKILL after stopTimeout");
}

#[tokio::test]
async fn a_container_over_its_memory_limit_is_killed_with_out_of_memory_error() {
    let (client, ns) = setup("real-oom").await;
    definition(
        &client,
        &ns,
        "hog",
        serde_json::json!([sh("hog", "tail /dev/zero", serde_json::json!({"memory": 32}))]),
        serde_json::json!({}),
    )
    .await;
    let tasks = run_task(&client, &ns, "hog", "hog", serde_json::json!({})).await;
    let stopped = wait_status(&tasks, "hog", "STOPPED").await;
    let hog = container(&stopped, "hog");
    assert_eq!(hog.exit_code, Some(137));
    assert!(hog.reason.as_deref().is_some_and(|r| r.starts_with("OutOfMemoryError")), "{:?}", hog.reason);
}

#[tokio::test]
async fn environment_overrides_and_secrets_reach_the_process() {
    let (client, ns) = setup("real-env").await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let secret: Secret =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "db"}, "stringData": {"password": "s3cr3t"}}))
            .expect("secret");
    secrets.create(&PostParams::default(), &secret).await.expect("creating the secret");
    let app = sh(
        "app",
        "echo \"GREETING=$GREETING MODE=$MODE DB_PASSWORD=$DB_PASSWORD\"; sleep 3600",
        serde_json::json!({"environment": [{"name": "GREETING", "value": "hello"}, {"name": "MODE", "value": "default"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": "db:password"}]}),
    );
    definition(&client, &ns, "env", serde_json::json!([app]), serde_json::json!({})).await;
    let tasks = run_task(
        &client,
        &ns,
        "env",
        "env",
        serde_json::json!({"overrides": {"containerOverrides": [{"name": "app", "environment": [{"name": "MODE", "value": "override"}]}]}}),
    )
    .await;
    let running = wait_status(&tasks, "env", "RUNNING").await;
    let pod = running.status.and_then(|s| s.pod).expect("pod");
    let log = support::wait_log(&ns, &pod, "app", "GREETING=").await;
    assert!(log.contains("GREETING=hello MODE=override DB_PASSWORD=s3cr3t"), "{log}");

    // A secret that does not exist stops the task before it starts, as ECS does.
    let missing =
        sh("app", "sleep 3600", serde_json::json!({"secrets": [{"name": "TOKEN", "valueFrom": "nope:token"}]}));
    definition(&client, &ns, "missing-secret", serde_json::json!([missing]), serde_json::json!({})).await;
    run_task(&client, &ns, "missing-secret", "missing-secret", serde_json::json!({})).await;
    let stopped = wait_status(&tasks, "missing-secret", "STOPPED").await;
    let status = stopped.status.expect("status");
    assert_eq!(status.stop_code.map(|v| v.as_str()), Some("TaskFailedToStart"));
    let reason = status.stopped_reason.unwrap_or_default();
    assert!(reason.starts_with("ResourceInitializationError: ") && reason.contains("nope"), "{reason}");
}

/// One HTTP GET of `/` from the host; the body, or why not.
async fn http_get(ip: &str, port: u16) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let connect = tokio::net::TcpStream::connect((ip, port));
    let mut stream = tokio::time::timeout(Duration::from_secs(2), connect)
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: task\r\n\r\n").await.map_err(|e| e.to_string())?;
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(2), stream.read_to_string(&mut response))
        .await
        .map_err(|_| "read timed out".to_string())?
        .map_err(|e| e.to_string())?;
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.") && head.contains(" 200 ") => Ok(body.trim().to_string()),
        _ => Err(format!("unexpected response: {response:?}")),
    }
}

/// The pod IPs of the service's tasks that a load balancer would send to: Ready and not terminating.
async fn serving(pods: &Api<Pod>, service: &str) -> Vec<String> {
    let list = pods.list(&ListParams::default().labels(&format!("ecs.kube-ecs.dev/service={service}"))).await;
    list.map(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .filter_map(|p| p.status.and_then(|s| s.pod_ip))
        .collect()
}

fn web(content: &str) -> serde_json::Value {
    serde_json::json!([sh(
        "web",
        &format!("mkdir -p /www && echo {content} > /www/index.html && exec httpd -f -p 8080 -h /www"),
        serde_json::json!({"portMappings": [{"containerPort": 8080}],
            "healthCheck": {"command": ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/ >/dev/null"], "interval": 5, "timeout": 2, "retries": 2}}),
    )])
}

#[tokio::test]
async fn a_service_serves_http_and_rolls_out_without_a_failed_request() {
    let (client, ns) = setup("real-web").await;
    definition(&client, &ns, "web", web("v1"), serde_json::json!({})).await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let manifest = |family: &str| {
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"taskDefinition": family, "cluster": ns, "desiredCount": 2,
                "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200}}})
    };
    apply(&services, manifest("web:1")).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut ticker = tokio::time::interval(Duration::from_millis(300));
    loop {
        ticker.tick().await;
        let ips = serving(&pods, "web").await;
        if ips.len() == 2 {
            for ip in &ips {
                assert_eq!(http_get(ip, 8080).await.as_deref(), Ok("v1"), "task {ip} answers from the host");
            }
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "two tasks never served: {ips:?}");
    }

    // Roll out v2 while requests keep coming: every request to a serving task succeeds.
    definition(&client, &ns, "web", web("v2"), serde_json::json!({})).await;
    support::wait_for(&client_tds(&client, &ns), "web", "revision 2", |td| {
        td.status.as_ref().and_then(|s| s.revision) == Some(2)
    })
    .await;
    apply(&services, manifest("web:2")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let (mut requests, mut failures) = (0, Vec::new());
    loop {
        ticker.tick().await;
        let ips = serving(&pods, "web").await;
        let mut bodies = Vec::new();
        for ip in &ips {
            requests += 1;
            match http_get(ip, 8080).await {
                Ok(body) => bodies.push(body),
                Err(e) => failures.push(format!("{ip}: {e}")),
            }
        }
        if bodies.len() == 2 && bodies.iter().all(|b| b == "v2") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rollout to v2 never completed; serving {ips:?}: {bodies:?}"
        );
    }
    assert!(failures.is_empty(), "{} of {requests} requests failed during the rollout: {failures:?}", failures.len());
}

fn client_tds(client: &Client, ns: &str) -> Api<TaskDefinition> {
    Api::namespaced(client.clone(), ns)
}

#[tokio::test]
async fn images_pull_from_a_private_registry_with_the_task_s_repository_credentials() {
    let (client, ns) = setup("real-private").await;
    let cluster = support::cluster();
    let ecr = cluster.ecr().expect("the local cluster runs a private registry with its real nodes");
    // Not ECR: nodes have no credentials of their own for it (ECR names pull with the node's, see
    // tests/ecr.rs), so only the task's repositoryCredentials get the image.
    let host = kube_ecs::local_cluster::registry::PRIVATE_HOST;
    // One tag per case: an image already on the node would be used without pulling it again.
    let image = |tag: &str| format!("{host}/reports:{tag}");
    let busybox = cluster.tools_bin().join("../images/busybox");
    for tag in ["with-credentials", "without-credentials", "wrong-password"] {
        ecr.push(&busybox, &image(tag)).expect("pushing busybox under its ECR name");
    }
    let (username, password) = ecr.credentials().expect("the ECR stand-in requires credentials");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    for (name, password) in [("ecr", password.to_string()), ("wrong", "not-the-password".to_string())] {
        let auth = serde_json::json!({"auths": {host: {"username": username, "password": password}}});
        let secret: Secret = serde_json::from_value(serde_json::json!({"metadata": {"name": name},
            "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": auth.to_string()}}))
        .expect("pull secret");
        secrets.create(&PostParams::default(), &secret).await.expect("creating the pull secret");
    }
    let pulled = |tag: &str, credentials: Option<&str>| {
        let mut c = serde_json::json!({"name": "app", "image": image(tag), "memory": 64, "entryPoint": ["sh", "-c"], "command": ["exit 4"]});
        if let Some(secret) = credentials {
            c["repositoryCredentials"] = serde_json::json!({"credentialsParameter": format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{secret}")});
        }
        serde_json::json!([c])
    };
    definition(&client, &ns, "with-credentials", pulled("with-credentials", Some("ecr")), serde_json::json!({})).await;
    definition(&client, &ns, "without-credentials", pulled("without-credentials", None), serde_json::json!({})).await;
    definition(&client, &ns, "wrong-password", pulled("wrong-password", Some("wrong")), serde_json::json!({})).await;
    let tasks = run_task(&client, &ns, "with-credentials", "with-credentials", serde_json::json!({})).await;
    run_task(&client, &ns, "without-credentials", "without-credentials", serde_json::json!({})).await;
    run_task(&client, &ns, "wrong-password", "wrong-password", serde_json::json!({})).await;

    let ran = wait_status(&tasks, "with-credentials", "STOPPED").await;
    assert_eq!(container(&ran, "app").exit_code, Some(4), "the pulled image ran the task's command");
    for name in ["without-credentials", "wrong-password"] {
        let stopped = wait_status(&tasks, name, "STOPPED").await;
        let status = stopped.status.expect("status");
        assert_eq!(status.stop_code.map(|v| v.as_str()), Some("TaskFailedToStart"), "{name}");
        let reason = status.stopped_reason.unwrap_or_default();
        assert!(reason.starts_with("CannotPullContainerError: "), "{name}: {reason}");
    }
}

#[tokio::test]
async fn a_service_replaces_a_task_whose_health_check_fails() {
    let (client, ns) = setup("real-unhealthy").await;
    let app = sh(
        "app",
        "touch /tmp/ok; sleep 12; rm /tmp/ok; sleep 3600",
        serde_json::json!({"healthCheck": {"command": ["CMD-SHELL", "test -f /tmp/ok"], "interval": 5, "timeout": 2, "retries": 2}}),
    );
    definition(&client, &ns, "flaky", serde_json::json!([app]), serde_json::json!({})).await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "flaky"},
            "spec": {"taskDefinition": "flaky", "cluster": ns, "desiredCount": 1}}),
    )
    .await;
    // Healthy first, then its check fails for real: the service stops it and starts a replacement.
    let replaced =
        support::wait_for_within(&services, "flaky", "an unhealthy task replaced", Duration::from_secs(150), |s| {
            s.status.as_ref().is_some_and(|st| !st.stopped_tasks.is_empty() && st.running_count == Some(1))
        })
        .await;
    let stopped = &replaced.status.expect("status").stopped_tasks[0];
    assert_eq!(stopped.stop_code.as_str(), "EssentialContainerExited", "{stopped:?}");
}

#[tokio::test]
async fn real_container_instances_show_their_real_capacity() {
    let (client, _ns) = setup("real-eci").await;
    let instances: Api<kube_ecs::api::ContainerInstance> = Api::all(client.clone());
    let cores = std::thread::available_parallelism().map(|n| n.get() as i64).unwrap_or(1);
    let eci = support::wait_for(&instances, "real-0", "the real node as an ACTIVE container instance", |i| {
        i.status
            .as_ref()
            .is_some_and(|s| s.status.map(|v| v.as_str()) == Some("ACTIVE") && s.registered_resources.is_some())
    })
    .await;
    let registered = eci.status.and_then(|s| s.registered_resources).expect("registered resources");
    assert_eq!(registered.cpu, cores * 1024, "the host's CPUs, in ECS CPU units");
    assert!(registered.memory > 1024, "the host's memory in MiB: {}", registered.memory);
}

#[tokio::test]
async fn a_restricted_namespace_runs_tasks_hardened_and_refuses_root_images_at_start() {
    let (client, ns) = setup("real-restricted").await;
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let label = serde_json::json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
    namespaces.patch(&ns, &PatchParams::default(), &Patch::Merge(&label)).await.expect("labelling the namespace");
    // busybox runs as root unless told otherwise: with runAsNonRoot (the restricted hardening) the
    // kubelet refuses to start it; as uid 1000 it runs, with every capability dropped.
    definition(
        &client,
        &ns,
        "as-image-user",
        serde_json::json!([sh("app", "exit 0", serde_json::json!({}))]),
        serde_json::json!({}),
    )
    .await;
    definition(
        &client,
        &ns,
        "as-1000",
        serde_json::json!([sh(
            "app",
            "id -u; grep CapEff /proc/self/status; exit 0",
            serde_json::json!({"user": "1000"})
        )]),
        serde_json::json!({}),
    )
    .await;
    let tasks = run_task(&client, &ns, "as-image-user", "as-image-user", serde_json::json!({})).await;
    run_task(&client, &ns, "as-1000", "as-1000", serde_json::json!({})).await;
    let refused = wait_status(&tasks, "as-image-user", "STOPPED").await;
    let status = refused.status.expect("status");
    assert_eq!(status.stop_code.map(|v| v.as_str()), Some("TaskFailedToStart"));
    let reason = status.stopped_reason.unwrap_or_default();
    assert!(reason.contains("runAsNonRoot"), "{reason}");
    let ran = wait_status(&tasks, "as-1000", "STOPPED").await;
    assert_eq!(container(&ran, "app").exit_code, Some(0));
}
