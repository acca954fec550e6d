//! The chart running the operator for real: the operator's OCI image (hack/build-image.sh) pushed to
//! the local public registry, `helm install` of charts/kube-ecs onto real nodes (kubelet + containerd)
//! in a namespace enforcing the `restricted` Pod Security level, two replicas Running and Ready
//! (probes /healthz and /readyz), reaching the API server in-cluster through the local cluster's
//! forwarder on their node's IP. The in-cluster operator — no operator process of the test — runs a
//! busybox Task to STOPPED (exit 0) and a Service to steady state; deleting the leader Pod hands over to
//! the standby; `helm uninstall` leaves the ECS objects and their workloads.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube_ecs::api::{EcsCluster, Service, Task, TaskDefinition};
use kube_ecs::local_cluster::REAL_NODE_LABEL;
use support::apply;

const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/kube-ecs");
const RELEASE_NAMESPACE: &str = "kube-ecs-system";
/// Where the image is pushed: the chart's default repository, served by the local public registry.
const REPOSITORY: &str = "ghcr.io/kube-ecs/kube-ecs";
const TAG: &str = "chart-real-nodes";
const LEASE: &str = "kube-ecs-leader";
/// The chart's default `leaderElection.leaseSeconds`.
const LEASE_SECONDS: Duration = Duration::from_secs(15);
/// Pulling, starting and two probe rounds on 2 busy cores.
const OPERATOR_READY: Duration = Duration::from_secs(180);

/// The operator image's OCI layout: `KUBE_ECS_IMAGE_LAYOUT` if set (a layout `make image` built), else
/// hack/build-image.sh builds one into target/image-chart-real-nodes (the release build it runs is
/// incremental).
fn image_layout() -> PathBuf {
    if let Some(dir) = std::env::var_os("KUBE_ECS_IMAGE_LAYOUT") {
        return PathBuf::from(dir);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("target/image-chart-real-nodes");
    let started = Instant::now();
    let output = std::process::Command::new("bash")
        .arg(root.join("hack/build-image.sh"))
        .env("OUT", &out)
        .env("TAG", TAG)
        .output()
        .expect("running hack/build-image.sh");
    assert!(output.status.success(), "hack/build-image.sh failed:\n{}", String::from_utf8_lossy(&output.stderr));
    eprintln!(
        "operator image built in {:?}: {}",
        started.elapsed(),
        std::fs::read_to_string(out.join("image.txt")).unwrap_or_default().trim()
    );
    out.join("oci")
}

fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        && pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

fn name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

async fn operator_pods(client: &Client) -> Vec<Pod> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), RELEASE_NAMESPACE);
    let selector = "app.kubernetes.io/name=kube-ecs";
    pods.list(&ListParams::default().labels(selector))
        .await
        .expect("listing the operator pods")
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

/// Waits until `n` operator pods are Running and Ready, and returns them.
async fn ready_operator_pods(client: &Client, n: usize, timeout: Duration) -> Vec<Pod> {
    let deadline = Instant::now() + timeout;
    loop {
        let pods = operator_pods(client).await;
        if pods.iter().filter(|p| pod_ready(p)).count() == n && pods.len() == n {
            return pods;
        }
        if Instant::now() > deadline {
            let (_, describe, _) = support::kubectl(&["describe", "pods", "-n", RELEASE_NAMESPACE], None);
            let (_, logs, _) = support::kubectl(
                &["logs", "-n", RELEASE_NAMESPACE, "-l", "app.kubernetes.io/name=kube-ecs", "--tail=30", "--prefix"],
                None,
            );
            panic!("{n} operator pods not Running and Ready after {timeout:?}:\n{describe}\nlogs:\n{logs}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn lease_holder(client: &Client) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), RELEASE_NAMESPACE);
    leases.get_opt(LEASE).await.ok().flatten().and_then(|l| l.spec).and_then(|s| s.holder_identity)
}

async fn wait_for_holder(client: &Client, among: &[String], not: Option<&str>, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(holder) = lease_holder(client).await
            && among.contains(&holder)
            && Some(holder.as_str()) != not
        {
            return holder;
        }
        if Instant::now() > deadline {
            let (_, lease, _) = support::kubectl(&["get", "lease", LEASE, "-n", RELEASE_NAMESPACE, "-o", "yaml"], None);
            let (_, pods, _) = support::kubectl(&["get", "pods", "-n", RELEASE_NAMESPACE, "-o", "wide"], None);
            let (_, logs, _) = support::kubectl(
                &["logs", "-n", RELEASE_NAMESPACE, "-l", "app.kubernetes.io/name=kube-ecs", "--tail=40", "--prefix"],
                None,
            );
            panic!("no leader among {among:?} (other than {not:?}) after {timeout:?}\n{lease}\n{pods}\n{logs}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn run_task(client: &Client, ns: &str, task: &str) -> Task {
    let tasks: Api<Task> = Api::namespaced(client.clone(), ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": task},
            "spec": {"taskDefinition": "batch", "cluster": ns}}),
    )
    .await;
    let stopped = support::wait_for_within(&tasks, task, "STOPPED with exit code 0", Duration::from_secs(120), |t| {
        t.status.as_ref().is_some_and(|s| {
            s.last_status.map(|v| v.as_str()) == Some("STOPPED") && s.containers.iter().any(|c| c.exit_code.is_some())
        })
    })
    .await;
    let status = stopped.status.as_ref().expect("status");
    assert_eq!(status.containers.iter().map(|c| c.exit_code).collect::<Vec<_>>(), vec![Some(0)], "{status:?}");
    stopped
}

/// Every Pod (by UID) the operator created for each Task in `ns`, seen by a watch from now on
/// (a STOPPED task's Pod is deleted once its final state is recorded, so a later list shows none).
fn watch_task_pods(client: &Client, ns: &str) -> Arc<Mutex<BTreeMap<String, BTreeSet<String>>>> {
    use futures::StreamExt;
    use kube::runtime::{WatchStreamExt, watcher};
    let seen: Arc<Mutex<BTreeMap<String, BTreeSet<String>>>> = Arc::default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let config = watcher::Config::default().labels(kube_ecs::labels::TASK_NAME);
    let record = seen.clone();
    tokio::spawn(async move {
        let stream = watcher(pods, config).default_backoff().applied_objects();
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            let Ok(pod) = event else { continue };
            let task = pod.metadata.labels.as_ref().and_then(|l| l.get(kube_ecs::labels::TASK_NAME)).cloned();
            if let (Some(task), Some(uid)) = (task, pod.metadata.uid.clone()) {
                record.lock().unwrap_or_else(|p| p.into_inner()).entry(task).or_default().insert(uid);
            }
        }
    });
    seen
}

fn running_and_steady(s: &Service) -> bool {
    s.status.as_ref().is_some_and(|st| {
        st.running_count == Some(2) && st.events.iter().any(|e| e.message.contains("has reached a steady state"))
    })
}

#[tokio::test]
async fn the_chart_runs_the_operator_on_real_nodes() {
    support::with_real_nodes(2);
    let started = Instant::now();
    let cluster = support::cluster();
    let client = support::client().await;
    eprintln!("cluster with 2 real nodes up in {:?}", started.elapsed());

    // The image, in the registry real nodes pull ghcr.io from.
    let layout = image_layout();
    let pushed = Instant::now();
    cluster
        .public_registry()
        .expect("the public registry (real nodes)")
        .push(&layout, &format!("{REPOSITORY}:{TAG}"))
        .expect("pushing the operator image");
    eprintln!("image pushed in {:?}", pushed.elapsed());

    // The release namespace enforces the restricted Pod Security level.
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": RELEASE_NAMESPACE,
        "labels": {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"}}}))
    .expect("namespace");
    namespaces.create(&PostParams::default(), &ns).await.expect("creating the release namespace");

    let installed = Instant::now();
    let port = cluster.apiserver_port().to_string();
    let node_selector = format!("nodeSelector.{}=true", REAL_NODE_LABEL.replace('.', "\\."));
    let (ok, out, err) = support::helm(&[
        "install",
        "kube-ecs",
        CHART,
        "--namespace",
        RELEASE_NAMESPACE,
        "--set",
        &format!("image.repository={REPOSITORY}"),
        "--set",
        &format!("image.tag={TAG}"),
        "--set-string",
        &node_selector,
        "--set",
        "apiServer.hostFromNode=true",
        "--set-string",
        &format!("apiServer.port={port}"),
    ]);
    assert!(ok, "helm install:\n{out}\n{err}");

    let pods = ready_operator_pods(&client, 2, OPERATOR_READY).await;
    eprintln!("2 operator replicas Running and Ready {:?} after helm install", installed.elapsed());
    let real: Vec<String> = cluster.real_nodes().iter().map(|n| n.name().to_string()).collect();
    for pod in &pods {
        let spec = pod.spec.as_ref().expect("spec");
        assert!(real.contains(spec.node_name.as_ref().expect("scheduled")), "{} runs on a real node", name(pod));
        let image = &spec.containers[0].image;
        assert_eq!(image.as_deref(), Some(format!("{REPOSITORY}:{TAG}").as_str()));
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), RELEASE_NAMESPACE);
    // The Deployment's status follows its Pods' readiness a moment later (the deployment controller's
    // next sync): waited for, not read once.
    support::wait_for(&deployments, "kube-ecs", "the chart's Deployment with 2 ready replicas", |d| {
        d.status.as_ref().and_then(|s| s.ready_replicas) == Some(2)
    })
    .await;
    let names: Vec<String> = pods.iter().map(name).collect();
    let leader = wait_for_holder(&client, &names, None, Duration::from_secs(60)).await;

    // The in-cluster operator reconciles a real pool, a Task and a Service.
    let ns = support::namespace(&client, "chart-real").await;
    apply(
        &Api::<EcsCluster>::all(client.clone()),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": ns},
            "spec": {"nodePools": [{"name": "real", "provider": "nodes", "labels": {REAL_NODE_LABEL: "true"}}]}}),
    )
    .await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "batch"},
            "spec": {"containerDefinitions": [{"name": "main", "image": "busybox:1.36", "memory": 64,
                "entryPoint": ["sh", "-c"], "command": ["exit 0"]}]}}),
    )
    .await;
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "worker"},
            "spec": {"containerDefinitions": [{"name": "main", "image": "busybox:1.36", "memory": 64,
                "entryPoint": ["sh", "-c"], "command": ["trap 'exit 0' TERM; while true; do sleep 1; done"]}]}}),
    )
    .await;
    let task_pods = watch_task_pods(&client, &ns);
    let flow = Instant::now();
    run_task(&client, &ns, "first").await;
    eprintln!("task STOPPED (exit 0) {:?} after creation", flow.elapsed());
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "workers"},
            "spec": {"taskDefinition": "worker", "cluster": ns, "desiredCount": 2}}),
    )
    .await;
    let flow = Instant::now();
    support::wait_for_within(
        &services,
        "workers",
        "2 running, steady state",
        Duration::from_secs(120),
        running_and_steady,
    )
    .await;
    eprintln!("service steady {:?} after creation", flow.elapsed());

    // Delete the leader Pod: it releases the lease on SIGTERM and another replica takes over within the
    // lease duration. Which one is a race: the standby retries on its retry period, while the
    // Deployment's replacement Pod tries as soon as it starts (a few seconds here) and often wins.
    let standby = names.iter().find(|n| **n != leader).expect("a standby").clone();
    let failover = Instant::now();
    Api::<Pod>::namespaced(client.clone(), RELEASE_NAMESPACE)
        .delete(&leader, &DeleteParams::default())
        .await
        .expect("deleting the leader pod");
    let new_leader = loop {
        let live: Vec<String> = operator_pods(&client).await.iter().map(name).filter(|n| *n != leader).collect();
        if let Some(holder) = lease_holder(&client).await
            && live.contains(&holder)
        {
            break holder;
        }
        if failover.elapsed() > LEASE_SECONDS + Duration::from_secs(15) {
            wait_for_holder(&client, &live, Some(&leader), Duration::ZERO).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let took = failover.elapsed();
    eprintln!(
        "{new_leader} ({}) leads {took:?} after the leader pod {leader} was deleted",
        if new_leader == standby { "the standby" } else { "the replacement pod" }
    );
    assert!(took < LEASE_SECONDS + Duration::from_secs(5), "handover within the lease: {took:?}");
    run_task(&client, &ns, "after-failover").await;
    {
        let seen = task_pods.lock().unwrap_or_else(|p| p.into_inner());
        for task in ["first", "after-failover"] {
            let uids = seen.get(&kube_ecs::labels::value(task)).cloned().unwrap_or_default();
            assert_eq!(uids.len(), 1, "exactly one Pod for task {task}: {seen:?}");
        }
    }
    // The Deployment replaces the deleted Pod: two Ready replicas again, the new one standing by.
    ready_operator_pods(&client, 2, OPERATOR_READY).await;
    assert_eq!(lease_holder(&client).await.as_deref(), Some(new_leader.as_str()), "the new leader keeps the lease");
    let service = services.get("workers").await.expect("service");
    assert!(running_and_steady(&service), "the service stays steady through the failover: {:?}", service.status);
    let workload: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let selector = format!("{}={}", kube_ecs::labels::SERVICE_NAME, kube_ecs::labels::value("workers"));
    let service_pods = workload.list(&ListParams::default().labels(&selector)).await.expect("service pods").items;
    assert_eq!(
        service_pods.len(),
        2,
        "no duplicate service pods: {:?}",
        service_pods.iter().map(name).collect::<Vec<_>>()
    );

    // helm upgrade to a new image tag while a burst of Tasks is in flight: the operator rolls one
    // replica at a time (leader election hands over) and every Task ends STOPPED with exactly one Pod.
    const UPGRADED: &str = "chart-real-nodes-upgraded";
    cluster
        .public_registry()
        .expect("the public registry (real nodes)")
        .push(&layout, &format!("{REPOSITORY}:{UPGRADED}"))
        .expect("pushing the upgrade's tag");
    let task_api: Api<Task> = Api::namespaced(client.clone(), &ns);
    let burst: Vec<String> = (0..8).map(|i| format!("burst-{i}")).collect();
    for task in &burst {
        apply(
            &task_api,
            serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": task},
                "spec": {"taskDefinition": "batch", "cluster": ns}}),
        )
        .await;
    }
    let upgraded = Instant::now();
    let (ok, out, err) = support::helm(&[
        "upgrade",
        "kube-ecs",
        CHART,
        "--namespace",
        RELEASE_NAMESPACE,
        "--reuse-values",
        "--set",
        &format!("image.tag={UPGRADED}"),
        "--wait",
        "--timeout",
        "180s",
    ]);
    assert!(ok, "helm upgrade:\n{out}\n{err}");
    eprintln!("helm upgrade rolled the operator in {:?}", upgraded.elapsed());
    for task in &burst {
        let stopped =
            support::wait_for_within(&task_api, task, "STOPPED with exit code 0", Duration::from_secs(180), |t| {
                t.status.as_ref().is_some_and(|s| s.last_status.map(|v| v.as_str()) == Some("STOPPED"))
            })
            .await;
        let codes: Vec<Option<i32>> =
            stopped.status.iter().flat_map(|s| s.containers.iter().map(|c| c.exit_code)).collect();
        assert_eq!(codes, vec![Some(0)], "task {task} through the upgrade: {:?}", stopped.status);
    }
    {
        let seen = task_pods.lock().unwrap_or_else(|p| p.into_inner());
        for task in &burst {
            let uids = seen.get(&kube_ecs::labels::value(task)).cloned().unwrap_or_default();
            assert_eq!(uids.len(), 1, "exactly one Pod for task {task} through the upgrade: {seen:?}");
        }
    }
    for pod in ready_operator_pods(&client, 2, OPERATOR_READY).await {
        let image = pod.spec.as_ref().and_then(|s| s.containers[0].image.clone());
        assert_eq!(
            image.as_deref(),
            Some(format!("{REPOSITORY}:{UPGRADED}").as_str()),
            "{} runs the new tag",
            name(&pod)
        );
    }

    // helm uninstall removes the operator, not the ECS objects nor their workloads.
    let (ok, out, err) = support::helm(&["uninstall", "kube-ecs", "--namespace", RELEASE_NAMESPACE, "--wait"]);
    assert!(ok, "helm uninstall:\n{out}\n{err}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !operator_pods(&client).await.is_empty() {
        assert!(Instant::now() < deadline, "operator pods still there after helm uninstall");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    for task in ["first", "after-failover"] {
        assert!(tasks.get_opt(task).await.expect("get task").is_some(), "task {task} survives helm uninstall");
    }
    assert!(services.get_opt("workers").await.expect("get service").is_some(), "the Service survives");
    let service_pods = workload.list(&ListParams::default().labels(&selector)).await.expect("service pods").items;
    assert_eq!(service_pods.iter().filter(|p| pod_ready(p)).count(), 2, "the service's pods keep running");
    eprintln!("total {:?}", started.elapsed());
}
