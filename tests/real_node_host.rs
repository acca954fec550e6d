//! Real nodes leave the host as they found it: after an orderly stop, after the owner of a real node is
//! SIGKILLed (its janitor cleans up), and while another cluster with real nodes runs beside it (the
//! demo, or a second cluster of the test), whose hostPorts keep answering. Each compares the host's
//! footprint (processes, mounts, cgroups, interfaces, nftables, CNI results, log links and, while no
//! other cluster is live, kernel settings and host paths) before and after, scoped to the cluster under
//! test: another live cluster's nodes are left out, so the tests pass with `make run` going. The tests
//! of this binary still run one at a time: the host-wide state is compared only with no other cluster.

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, LogParams, PostParams};
use kube_ecs::local_cluster::real_node::host_footprint;
use kube_ecs::local_cluster::{LocalCluster, LocalClusterOptions, registry};

mod support;

/// One test at a time: each compares the host-wide state, which another test's cluster would hold.
static HOST: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn tools() -> String {
    support::tools_bin().display().to_string()
}

/// Two real nodes run a failing busybox pod with its real exit code and log, and dropping the
/// cluster leaves the host as it was. `KUBE_ECS_TOOLS_BIN=$(make tools | tail -n1) cargo test --test
/// real_node_host -- --test-threads=1` (root).
#[test]
fn real_nodes_run_pods_and_leave_nothing_behind() {
    // Held outside the runtime: the footprint comparison needs the host-wide state to itself.
    let _host = HOST.lock().unwrap_or_else(|p| p.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(run_pods_and_stop());
}

async fn run_pods_and_stop() {
    let tools = tools();
    let before = host_footprint(None);
    let mut options = LocalClusterOptions::new(tools);
    options.real_nodes = 2;
    let started = Instant::now();
    let cluster = LocalCluster::start(options).await.expect("cluster with real nodes");
    let dir = cluster.dir().to_path_buf();
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
    let during = host_footprint(Some(&dir));
    assert_ne!(during, before, "real nodes changed nothing on the host?");
    // The add-ons' host state is in the comparison too: the Service network's namespace and veth, and
    // the add-on processes.
    for expected in ["mount /run/netns/kecs-svc-", "link kecsv", "/metrics-server ", "/kube-proxy ", "/coredns "] {
        assert!(during.contains(expected), "{expected:?} not in the footprint:\n{during}");
    }
    let stopping = Instant::now();
    drop(cluster);
    eprintln!("stopped in {:?}", stopping.elapsed());
    pretty_assertions::assert_eq!(host_footprint(Some(&dir)), before);
}

/// Set in a child test process: the hostPort of the web pod its cluster runs.
const CHILD_ENV: &str = "KUBE_ECS_REAL_NODE_CHILD";
const SIGKILL_TEST: &str = "real_node_cleanup_survives_sigkill_of_its_owner";
const TWO_CLUSTERS_TEST: &str = "two_clusters_with_real_nodes_keep_each_others_host_ports";

/// The owner of a real node running a pod with a hostPort is SIGKILLed: its janitor still removes
/// everything. Runs itself as the child (same test binary, `KUBE_ECS_REAL_NODE_CHILD=<hostPort>`).
#[test]
fn real_node_cleanup_survives_sigkill_of_its_owner() {
    if run_as_child() {
        return;
    }
    let _host = HOST.lock().unwrap_or_else(|p| p.into_inner());
    let before = host_footprint(None);
    let child = ChildCluster::spawn(SIGKILL_TEST, 18089);
    assert_ne!(host_footprint(Some(&child.dir)), before);
    child.sigkill_and_wait_for(&before);
}

/// Two clusters with real nodes at once, each with an httpd on a hostPort. Stopping one (orderly, then
/// another one SIGKILLed in a child process) removes what that one made and nothing of the other: the
/// other's hostPort still answers (the shared `ip cni_hostport` table stays), and the footprint of the
/// stopped cluster is back to what it was beside the other, although the other changed meanwhile (its
/// web pod started after that snapshot, as the demo's tasks come and go). The table is first created
/// by the cluster under test, beside one without hostPorts (the demo): issue 38. After both stop the
/// host is as before.
#[test]
fn two_clusters_with_real_nodes_keep_each_others_host_ports() {
    if run_as_child() {
        return;
    }
    let _host = HOST.lock().unwrap_or_else(|p| p.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let before = host_footprint(None);
        let first = start_cluster().await;
        let first_dir = first.dir().to_path_buf();
        // The host as the other clusters find it: the first one's nodes are another cluster's.
        let beside_first = host_footprint(None);

        let second = start_cluster().await;
        let second_dir = second.dir().to_path_buf();
        let second_web = run_web(&second, 18092).await;
        let first_web = run_web(&first, 18091).await;
        wait_for_answer(&second_web, "18092");
        wait_for_answer(&first_web, "18091");
        assert_ne!(host_footprint(Some(&second_dir)), beside_first, "the second cluster changed nothing?");
        drop(second);
        pretty_assertions::assert_eq!(host_footprint(Some(&second_dir)), beside_first);
        wait_for_answer(&first_web, "18091");

        let child = ChildCluster::spawn(TWO_CLUSTERS_TEST, 18093);
        wait_for_answer(&child.web, "18093");
        wait_for_answer(&first_web, "18091");
        child.sigkill_and_wait_for(&beside_first);
        wait_for_answer(&first_web, "18091");

        drop(first);
        pretty_assertions::assert_eq!(host_footprint(Some(&first_dir)), before);
    });
}

async fn start_cluster() -> LocalCluster {
    let mut options = LocalClusterOptions::new(tools());
    options.real_nodes = 1;
    LocalCluster::start(options).await.expect("cluster with a real node")
}

/// Runs busybox httpd on `host_port` of the cluster's real node, answering with the port number.
/// Returns the address its hostPort answers on (the node's IP: a local address).
async fn run_web(cluster: &LocalCluster, host_port: u16) -> String {
    let pods: Api<Pod> = Api::namespaced(cluster.client().await.expect("client"), "default");
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "web" },
        "spec": { "nodeName": "real-0", "containers": [{
            "name": "web", "image": "docker.io/library/busybox:1.36",
            "command": ["sh", "-c", format!("mkdir -p /www && echo {host_port} > /www/index.html && exec httpd -f -p 8080 -h /www")],
            "ports": [{ "containerPort": 8080, "hostPort": host_port }],
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
    let node_ip = cluster.real_nodes().first().expect("a real node").node_ip();
    format!("{node_ip}:{host_port}")
}

/// Waits until `GET http://<address>/` answers with a body containing `expected`.
fn wait_for_answer(address: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = http_get(address);
        match &answer {
            Ok(body) if body.contains(expected) => return,
            _ => assert!(Instant::now() < deadline, "http://{address}/ did not answer {expected}: {answer:?}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn http_get(address: &str) -> std::io::Result<String> {
    let socket = address.parse().map_err(std::io::Error::other)?;
    let mut stream = std::net::TcpStream::connect_timeout(&socket, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(format!("GET / HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// In a child process (`CHILD_ENV` set): starts a cluster with one real node and a web pod on the
/// given hostPort, prints `READY <cluster dir> <address>` and waits to be killed. False in the parent.
fn run_as_child() -> bool {
    let Some(port) = std::env::var_os(CHILD_ENV) else { return false };
    let port: u16 = port.to_string_lossy().parse().expect("hostPort in the child's environment");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let cluster = start_cluster().await;
        let web = run_web(&cluster, port).await;
        println!("READY {} {web}", cluster.dir().display());
        std::future::pending::<()>().await;
    });
    true
}

/// A cluster owned by a child test process, to be SIGKILLed.
struct ChildCluster {
    process: std::process::Child,
    dir: PathBuf,
    web: String,
}

impl ChildCluster {
    /// Re-runs this test binary's `test` as the child and waits until its cluster is ready.
    fn spawn(test: &str, host_port: u16) -> Self {
        let exe = std::env::current_exe().expect("test binary");
        let mut process = Command::new(exe)
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, host_port.to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("child test");
        let stdout = process.stdout.take().expect("child stdout");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("child: {line}");
                // libtest prints "test <name> ... " on the same line first.
                if let Some((_, ready)) = line.split_once("READY ") {
                    let _ = ready_tx.send(ready.to_string());
                }
            }
        });
        let ready = ready_rx.recv_timeout(Duration::from_secs(120));
        if ready.is_err() {
            let _ = process.kill();
        }
        let ready = ready.expect("child never got ready");
        let (dir, web) = ready.split_once(' ').expect("READY <dir> <address>");
        Self { process, dir: PathBuf::from(dir), web: web.to_string() }
    }

    /// SIGKILLs the child and waits until the host's footprint of its cluster is `expected` again.
    fn sigkill_and_wait_for(mut self, expected: &str) {
        let killed = Instant::now();
        self.process.kill().expect("SIGKILL");
        let _ = self.process.wait();
        let deadline = Instant::now() + Duration::from_secs(30);
        while host_footprint(Some(&self.dir)) != expected && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("host clean {:?} after SIGKILL", killed.elapsed());
        // The control plane's own data directory is only removed on a normal exit.
        let _ = std::fs::remove_dir_all(&self.dir);
        pretty_assertions::assert_eq!(host_footprint(Some(&self.dir)), expected);
    }
}
