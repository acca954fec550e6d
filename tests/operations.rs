//! Operating kube-ecs on the real control plane: leader election failover between two operator
//! processes, and the /metrics, /healthz and /readyz endpoint (with Container Insights gauges).

mod support;

use support::apply;

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, PostParams};
use kube_ecs::api::{EcsCluster, Task, TaskDefinition};
use support::operator_process::OperatorProcess;

/// Operator processes of different tests would reconcile each other's objects.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn cluster_and_definition(client: &Client, ns: &str, insights: bool) {
    kube_ecs::crd_install::install_crds(client, "kube-ecs-tests").await.expect("CRDs");
    apply(
        &Api::<EcsCluster>::all(client.clone()),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": ns},
            "spec": {"containerInsights": if insights { "enabled" } else { "disabled" },
                "nodePools": [{"name": "od", "provider": "simulated", "instanceType": "m5.4xlarge", "instances": 2}]}}),
    )
    .await;
    apply(
        &Api::<TaskDefinition>::namespaced(client.clone(), ns),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "app"},
            "spec": {"containerDefinitions": [{"name": "app", "image": "nginx:1.27", "cpu": 256, "memory": 128}]}}),
    )
    .await;
}

async fn create_tasks(tasks: &Api<Task>, ns: &str, prefix: &str, n: usize) {
    futures::stream::iter(0..n)
        .map(|i| {
            let task: Task = serde_json::from_value(serde_json::json!({
                "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": format!("{prefix}-{i}")},
                "spec": {"taskDefinition": "app", "cluster": ns}
            }))
            .expect("task");
            let tasks = tasks.clone();
            async move { tasks.create(&PostParams::default(), &task).await.map(|_| ()) }
        })
        .buffer_unordered(8)
        .try_collect::<Vec<()>>()
        .await
        .expect("creating tasks");
}

fn running(t: &Task) -> bool {
    t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("RUNNING")
}

fn holder(lease: &Lease) -> Option<String> {
    lease.spec.as_ref().and_then(|s| s.holder_identity.clone())
}

#[tokio::test]
async fn the_standby_takes_over_when_the_leader_dies_without_duplicating_pods() {
    let _serial = SERIAL.lock().await;
    let client = support::client().await;
    let ns = support::namespace(&client, "ops-leader").await;
    cluster_and_definition(&client, &ns, false).await;
    const LEASE_SECONDS: u64 = 6;
    let args = |identity: &'static str| {
        vec![
            "--leader-election".to_string(),
            "--leader-election-namespace".into(),
            ns.clone(),
            "--leader-election-lease-seconds".into(),
            LEASE_SECONDS.to_string(),
            "--identity".into(),
            identity.into(),
        ]
    };
    let a_args = args("operator-a");
    let mut a = OperatorProcess::start("leader-a", &a_args.iter().map(String::as_str).collect::<Vec<_>>());
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
    support::wait_for(&leases, "kube-ecs-leader", "operator-a leads", |l| holder(l).as_deref() == Some("operator-a"))
        .await;
    let b_args = args("operator-b");
    let mut b = OperatorProcess::start("leader-b", &b_args.iter().map(String::as_str).collect::<Vec<_>>());

    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    create_tasks(&tasks, &ns, "before", 20).await;
    support::wait_for_list(&tasks, "20 tasks RUNNING under operator-a", |l| l.len() == 20 && l.iter().all(running))
        .await;
    assert!(b.is_running(), "the standby waits");
    assert!(b.log_text().contains("standing by"), "the standby says it stands by:\n{}", b.log_text());

    a.kill();
    let killed = Instant::now();
    create_tasks(&tasks, &ns, "after", 20).await;
    support::wait_for_within(
        &leases,
        "kube-ecs-leader",
        "operator-b takes over",
        Duration::from_secs(3 * LEASE_SECONDS),
        |l| holder(l).as_deref() == Some("operator-b"),
    )
    .await;
    let takeover = killed.elapsed();
    eprintln!("standby took over {takeover:?} after the leader was killed (lease {LEASE_SECONDS}s)");
    let all =
        support::wait_for_list(&tasks, "40 tasks RUNNING under operator-b", |l| l.len() == 40 && l.iter().all(running))
            .await;
    let pods = Api::<Pod>::namespaced(client.clone(), &ns).list(&Default::default()).await.expect("pods").items;
    assert_eq!(pods.len(), 40, "one pod per task, none duplicated");
    for t in &all {
        let owned = pods
            .iter()
            .filter(|p| p.metadata.owner_references.iter().flatten().any(|o| Some(&o.uid) == t.metadata.uid.as_ref()))
            .count();
        assert_eq!(owned, 1, "task {:?} owns exactly one pod", t.metadata.name);
    }
    drop(b);
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

#[tokio::test]
async fn metrics_health_and_container_insights_are_served() {
    let _serial = SERIAL.lock().await;
    let client = support::client().await;
    let ns = support::namespace(&client, "ops-metrics").await;
    cluster_and_definition(&client, &ns, true).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let address = format!("127.0.0.1:{port}");
    let _operator = OperatorProcess::start("metrics", &["--metrics-bind-address", &address]);
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    create_tasks(&tasks, &ns, "m", 3).await;
    support::wait_for_list(&tasks, "3 tasks RUNNING", |l| l.len() == 3 && l.iter().all(running)).await;
    let clusters: Api<EcsCluster> = Api::all(client.clone());
    support::wait_for(&clusters, &ns, "3 running tasks counted", |c| {
        c.status.as_ref().and_then(|s| s.running_tasks_count) == Some(3)
    })
    .await;

    assert_eq!(http_get(port, "/healthz").0, 200);
    assert_eq!(http_get(port, "/readyz").0, 200);
    let (status, body) = http_get(port, "/metrics");
    assert_eq!(status, 200);
    assert!(body.contains("kube_ecs_reconciles_total{controller=\"Task\"}"), "{body}");
    assert!(body.contains("kube_ecs_reconcile_duration_seconds_bucket{controller=\"EcsCluster\""), "{body}");
    assert!(body.contains(&format!("ecs_cluster_running_tasks{{cluster=\"{ns}\"}} 3")), "{body}");
    assert!(body.contains(&format!("ecs_cluster_container_instances{{cluster=\"{ns}\"}} 2")), "{body}");
    // 3 tasks x 256 CPU units reserved out of 2 x 16 vCPUs.
    assert!(body.contains(&format!("ecs_cluster_cpu_reserved_units{{cluster=\"{ns}\"}} 768")), "{body}");
    assert!(body.contains(&format!("ecs_cluster_cpu_registered_units{{cluster=\"{ns}\"}} 32768")), "{body}");
}
