//! Real nodes leave the host as they found it: after an orderly stop, and after the owner of a real
//! node is SIGKILLed (its janitor cleans up). Both compare the host's footprint (processes, mounts,
//! cgroups, interfaces, kernel settings, host paths, nftables) before and after. The tests of this
//! binary run one at a time: each compares the whole host.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, LogParams, PostParams};
use kube_ecs::local_cluster::real_node::host_footprint;
use kube_ecs::local_cluster::{LocalCluster, LocalClusterOptions, registry};

mod support;

/// One test at a time: a second cluster's nodes would show in the first one's footprint.
static HOST: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn tools() -> String {
    support::tools_bin().display().to_string()
}

/// Two real nodes run a failing busybox pod with its real exit code and log, and dropping the
/// cluster leaves the host as it was. `KUBE_ECS_TOOLS_BIN=$(make tools | tail -n1) cargo test --lib
/// real_node -- --ignored` (root).
#[test]
fn real_nodes_run_pods_and_leave_nothing_behind() {
    // Held outside the runtime: the footprint comparison needs the host to itself.
    let _host = HOST.lock().unwrap_or_else(|p| p.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run_pods_and_stop());
}

async fn run_pods_and_stop() {
    let tools = tools();
    let before = host_footprint();
    let mut options = LocalClusterOptions::new(tools);
    options.real_nodes = 2;
    let started = Instant::now();
    let cluster = LocalCluster::start(options).await.expect("cluster with real nodes");
    eprintln!("cluster with 2 real nodes ready in {:?}", started.elapsed());
    let client = cluster.client().await.expect("client");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    for node in cluster.real_nodes() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": format!("exit7-{}", node.name()) },
            "spec": {
                "nodeName": node.name(), "restartPolicy": "Never",
                "containers": [{ "name": "main", "image": "public.ecr.aws/docker/library/busybox:1.36",
                                 "command": ["sh", "-c", "echo hi; exit 7"] }],
            },
        }))
        .expect("pod");
        pods.create(&PostParams::default(), &pod).await.expect("create pod");
    }
    for node in cluster.real_nodes() {
        let name = format!("exit7-{}", node.name());
        let deadline = Instant::now() + Duration::from_secs(60);
        let exit_code = loop {
            let pod = pods.get(&name).await.expect("get pod");
            let status = pod.status.unwrap_or_default();
            let code = status
                .container_statuses
                .unwrap_or_default()
                .first()
                .and_then(|c| c.state.as_ref()?.terminated.as_ref().map(|t| t.exit_code));
            if status.phase.as_deref() == Some("Failed") && code.is_some() {
                break code;
            }
            assert!(Instant::now() < deadline, "{name} did not fail in time");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(exit_code, Some(7));
        assert_eq!(pods.logs(&name, &LogParams::default()).await.expect("logs"), "hi\n");
    }
    // Pulls through the local registries: anonymous from the public one (a short Docker Hub name
    // with no tag is pulled every time), from a private registry with and without credentials, and
    // from ECR with the node's own credentials (an instance role: no pull secret).
    let ecr = cluster.ecr().expect("ecr registry");
    let secrets: Api<Secret> = Api::namespaced(pods.clone().into_client(), "default");
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "ecr" },
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": { ".dockerconfigjson": ecr.docker_config_json(registry::PRIVATE_HOST).expect("credentials") },
    }))
    .expect("secret");
    secrets.create(&PostParams::default(), &secret).await.expect("create secret");
    let private_image = format!("{}/busybox:1.36", registry::PRIVATE_HOST);
    let ecr_image = format!("{}/busybox:1.36", registry::DEFAULT_ECR_HOST);
    for (name, image, secret) in [
        ("hub", "busybox", None),
        ("private", private_image.as_str(), Some("ecr")),
        ("private-anonymous", private_image.as_str(), None),
        ("ecr", ecr_image.as_str(), None),
    ] {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name },
            "spec": {
                "nodeName": "real-0", "restartPolicy": "Never",
                "imagePullSecrets": secret.map(|s| vec![serde_json::json!({ "name": s })]).unwrap_or_default(),
                "containers": [{ "name": "main", "image": image, "imagePullPolicy": "Always",
                                 "command": ["sh", "-c", format!("echo pulled-{name}")] }],
            },
        }))
        .expect("pod");
        pods.create(&PostParams::default(), &pod).await.expect("create pod");
    }
    for (name, expected) in
        [("hub", "Succeeded"), ("private", "Succeeded"), ("private-anonymous", "ErrImagePull"), ("ecr", "Succeeded")]
    {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = pods.get(name).await.expect("get pod").status.unwrap_or_default();
            let waiting = status
                .container_statuses
                .unwrap_or_default()
                .first()
                .and_then(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
            if status.phase.as_deref() == Some(expected) || waiting.as_deref() == Some(expected) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: not {expected} (phase {:?}, waiting {waiting:?})",
                status.phase
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(pods.logs("private", &LogParams::default()).await.expect("logs"), "pulled-private\n");
    assert_eq!(pods.logs("ecr", &LogParams::default()).await.expect("logs"), "pulled-ecr\n");
    assert_ne!(host_footprint(), before, "real nodes changed nothing on the host?");
    let stopping = Instant::now();
    drop(cluster);
    eprintln!("stopped in {:?}", stopping.elapsed());
    pretty_assertions::assert_eq!(host_footprint(), before);
}

const CHILD_ENV: &str = "KUBE_ECS_REAL_NODE_CHILD";
const SIGKILL_TEST: &str = "real_node_cleanup_survives_sigkill_of_its_owner";

/// The owner of a real node running a pod with a hostPort is SIGKILLed: its janitor still removes
/// everything. Runs itself as the child (same test binary, `KUBE_ECS_REAL_NODE_CHILD=1`).
#[test]
fn real_node_cleanup_survives_sigkill_of_its_owner() {
    if std::env::var_os(CHILD_ENV).is_some() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let tools = tools();
            let mut options = LocalClusterOptions::new(tools);
            options.real_nodes = 1;
            let cluster = LocalCluster::start(options).await.expect("cluster with a real node");
            let pods: Api<Pod> = Api::namespaced(cluster.client().await.expect("client"), "default");
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "web" },
                "spec": { "nodeName": "real-0", "containers": [{
                    "name": "web", "image": "docker.io/library/busybox:1.36",
                    "command": ["httpd", "-f", "-p", "8080"],
                    "ports": [{ "containerPort": 8080, "hostPort": 18089 }],
                }]},
            }))
            .expect("pod");
            pods.create(&PostParams::default(), &pod).await.expect("create pod");
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let phase = pods.get("web").await.map(|p| p.status.and_then(|s| s.phase));
                if matches!(&phase, Ok(Some(p)) if p == "Running") {
                    break;
                }
                assert!(Instant::now() < deadline, "pod web not Running: {phase:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            println!("READY {}", cluster.dir().display());
            std::future::pending::<()>().await;
        });
        return;
    }
    use std::io::BufRead as _;
    let _host = HOST.lock().unwrap_or_else(|p| p.into_inner());
    let before = host_footprint();
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--exact", SIGKILL_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("child test");
    let stdout = child.stdout.take().expect("child stdout");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            eprintln!("child: {line}");
            // libtest prints "test <name> ... " on the same line first.
            if let Some((_, dir)) = line.split_once("READY ") {
                let _ = ready_tx.send(PathBuf::from(dir));
            }
        }
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(120));
    if ready.is_err() {
        let _ = child.kill();
    }
    let cluster_dir = ready.expect("child never got ready");
    assert_ne!(host_footprint(), before);
    let killed = Instant::now();
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(30);
    while host_footprint() != before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("host clean {:?} after SIGKILL", killed.elapsed());
    // The control plane's own data directory is only removed on a normal exit.
    let _ = std::fs::remove_dir_all(cluster_dir);
    pretty_assertions::assert_eq!(host_footprint(), before);
}
