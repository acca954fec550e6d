//! Shared test harness: one local control plane per test binary, a fresh namespace per test, and
//! waits on conditions with a timeout and a clear failure message (never sleeps).
//!
//! The cluster must start: if it cannot, every test fails with the reason (tests never skip).
#![allow(dead_code)]

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use kube::runtime::wait::await_condition;
use kube::{Client, Resource};
use kube_ecs::local_cluster::{LocalCluster, LocalClusterOptions};
use serde::de::DeserializeOwned;

pub mod diagnose;
pub mod ecr;
pub mod ecs_api;
pub mod gitops;
pub mod operator;
pub mod operator_process;
pub mod tls;

/// Generic simulated nodes in every test cluster.
pub const GENERIC_NODES: u32 = 3;
/// Default time a wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(60);

/// The directory with the built control-plane tools: `KUBE_ECS_TOOLS_BIN`, or what `make tools`
/// (hack/build-tools.sh) builds or finds in its cache.
pub fn tools_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("KUBE_ECS_TOOLS_BIN") {
        return PathBuf::from(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("hack/build-tools.sh");
    let output = Command::new("bash").arg(&script).output().expect("running hack/build-tools.sh");
    assert!(output.status.success(), "hack/build-tools.sh failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    PathBuf::from(stdout.lines().last().expect("build-tools.sh prints the bin directory").trim())
}

/// Real container instances (a kubelet with containerd and runc each) the test binary's cluster
/// starts with: a test binary that needs them calls [`with_real_nodes`] before anything else.
static REAL_NODES: AtomicU32 = AtomicU32::new(0);

/// Asks for `n` real nodes in this test binary's cluster (call before the cluster first starts).
pub fn with_real_nodes(n: u32) {
    REAL_NODES.fetch_max(n, Ordering::SeqCst);
}

/// The test binary's cluster, started on first use and stopped when the test binary exits.
pub fn cluster() -> &'static LocalCluster {
    static CLUSTER: OnceLock<LocalCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        // Started on its own runtime: each #[tokio::test] has a runtime that ends with the test.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
            let mut options = LocalClusterOptions::new(tools_bin());
            options.generic_nodes = GENERIC_NODES;
            options.real_nodes = REAL_NODES.load(Ordering::SeqCst);
            runtime.block_on(LocalCluster::start(options))
        })
        .join()
        .expect("cluster start thread")
        .unwrap_or_else(|e| panic!("the local control plane must start for integration tests: {e}"))
    })
}

/// A directory for a test's files (credentials, kubeconfigs, certificates, layers, CLI homes) inside
/// the test binary's cluster directory: it goes with the cluster when the test binary exits, so no
/// secret or file of a run is left in /tmp.
pub fn scratch(name: &str) -> PathBuf {
    let dir = cluster().dir().join("test-files").join(name);
    std::fs::create_dir_all(&dir).expect("a scratch directory in the cluster's directory");
    dir
}

/// A client of the test cluster, bound to the calling test's runtime.
pub async fn client() -> Client {
    cluster().client().await.expect("client for the local cluster")
}

/// Creates a fresh namespace named after `prefix` and returns its name.
pub async fn namespace(client: &Client, prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!("{prefix}-{}-{}", std::process::id() % 100_000, COUNTER.fetch_add(1, Ordering::SeqCst));
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).expect("namespace");
    api.create(&PostParams::default(), &ns).await.expect("creating the test namespace");
    name
}

/// Waits until `condition` holds for the named object, or fails the test saying what was awaited and
/// what the object last looked like.
pub async fn wait_for<K>(api: &Api<K>, name: &str, what: &str, condition: impl Fn(&K) -> bool) -> K
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + 'static + serde::Serialize,
{
    wait_for_within(api, name, what, WAIT, condition).await
}

/// `wait_for` with an explicit timeout.
pub async fn wait_for_within<K>(
    api: &Api<K>,
    name: &str,
    what: &str,
    timeout: Duration,
    condition: impl Fn(&K) -> bool,
) -> K
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + 'static + serde::Serialize,
{
    let cond = move |obj: Option<&K>| obj.is_some_and(&condition);
    match tokio::time::timeout(timeout, await_condition(api.clone(), name, cond)).await {
        Ok(Ok(Some(obj))) => obj,
        outcome => {
            let last = api.get_opt(name).await.ok().flatten();
            let mut story = String::new();
            for ns in last.as_ref().map(diagnose::namespaces_of).unwrap_or_default() {
                story.push_str(&diagnose::namespace_story(&api.clone().into_client(), &ns).await);
            }
            let shown = last.map(|o| diagnose::concise(&o)).unwrap_or_else(|| "<absent>".into());
            panic!("timed out after {timeout:?} waiting for {name}: {what} ({outcome:?}); last seen:\n{shown}{story}");
        }
    }
}

/// Waits until `check` over a fresh list returns true, failing with `what` and the last list seen.
pub async fn wait_for_list<K>(api: &Api<K>, what: &str, check: impl Fn(&[K]) -> bool) -> Vec<K>
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + 'static + serde::Serialize,
{
    wait_for_list_within(api, what, WAIT, check).await
}

/// [`wait_for_list`] with a budget of its own (a burst of hundreds of objects on a loaded machine).
pub async fn wait_for_list_within<K>(api: &Api<K>, what: &str, budget: Duration, check: impl Fn(&[K]) -> bool) -> Vec<K>
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + 'static + serde::Serialize,
{
    use futures::StreamExt;
    use kube::runtime::{WatchStreamExt, watcher};
    // Driven by a watch, so the check re-runs on every change instead of polling.
    let stream = watcher(api.clone(), watcher::Config::default()).default_backoff();
    let mut store_items: Vec<K> = Vec::new();
    let wait = async {
        let stream = stream;
        futures::pin_mut!(stream);
        let mut items: std::collections::BTreeMap<String, K> = Default::default();
        let mut init: std::collections::BTreeMap<String, K> = Default::default();
        // Until the first full list arrives, "nothing seen" is not "nothing there".
        let mut listed = false;
        while let Some(event) = stream.next().await {
            match event {
                Ok(watcher::Event::Apply(o)) => {
                    items.insert(key(&o), o);
                }
                Ok(watcher::Event::Delete(o)) => {
                    items.remove(&key(&o));
                }
                Ok(watcher::Event::Init) => init.clear(),
                Ok(watcher::Event::InitApply(o)) => {
                    init.insert(key(&o), o);
                }
                Ok(watcher::Event::InitDone) => {
                    items = std::mem::take(&mut init);
                    listed = true;
                }
                Err(_) => continue,
            }
            if !listed {
                continue;
            }
            let list: Vec<K> = items.values().cloned().collect();
            if check(&list) {
                return list;
            }
        }
        Vec::new()
    };
    match tokio::time::timeout(budget, wait).await {
        Ok(list) => list,
        Err(_) => {
            store_items.extend(api.list(&Default::default()).await.map(|l| l.items).unwrap_or_default());
            let shown: Vec<String> = store_items.iter().map(diagnose::concise).collect();
            let mut story = String::new();
            for ns in store_items.first().map(diagnose::namespaces_of).unwrap_or_default() {
                story.push_str(&diagnose::namespace_story(&api.clone().into_client(), &ns).await);
            }
            panic!("timed out after {budget:?} waiting for: {what}; last list:\n{}\n{story}", shown.join("---\n"));
        }
    }
}

fn key<K: Resource>(o: &K) -> String {
    format!("{}/{}", o.meta().namespace.clone().unwrap_or_default(), o.meta().name.clone().unwrap_or_default())
}

/// Server-side applies `manifest` as the test user (what `kubectl apply --server-side` does).
pub async fn apply<K>(api: &Api<K>, manifest: serde_json::Value)
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let name = manifest["metadata"]["name"].as_str().expect("manifest name").to_string();
    api.patch(&name, &kube::api::PatchParams::apply("test-user").force(), &kube::api::Patch::Apply(&manifest))
        .await
        .unwrap_or_else(|e| panic!("applying {name}: {e}"));
}

/// Runs the built kubectl against the test cluster; returns (success, stdout, stderr).
pub fn kubectl(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    run_tool("kubectl", args, stdin)
}

/// Runs the built helm against the test cluster.
pub fn helm(args: &[&str]) -> (bool, String, String) {
    run_tool("helm", args, None)
}

fn run_tool(tool: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let cluster = cluster();
    let mut command = Command::new(cluster.tools_bin().join(tool));
    command
        .env("KUBECONFIG", cluster.kubeconfig())
        .env("HELM_CACHE_HOME", cluster.dir().join("helm-cache"))
        .env("HELM_CONFIG_HOME", cluster.dir().join("helm-config"))
        .env("HELM_DATA_HOME", cluster.dir().join("helm-data"))
        .args(args)
        .stdin(if stdin.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("running {tool}: {e}"));
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("writing stdin");
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("waiting for {tool}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An EcsCluster `name` with `spec` (server-side applied as the test user) and `nodes` simulated
/// container instances labelled for it, each with `cpu` and `memory` allocatable: the cluster most
/// tests run their tasks on (a cluster without pools uses the nodes labelled with its name).
pub async fn ecs_cluster(
    client: &Client,
    name: &str,
    spec: serde_json::Value,
    nodes: u32,
    (cpu, memory): (&str, &str),
) {
    let clusters: Api<kube_ecs::api::EcsCluster> = Api::all(client.clone());
    apply(
        &clusters,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": name}, "spec": spec}),
    )
    .await;
    for i in 0..nodes {
        kube_ecs::local_cluster::create_simulated_node(
            client,
            &format!("{name}-node-{i}"),
            &[("ecs.kube-ecs.dev/cluster", name)],
            cpu,
            memory,
        )
        .await
        .expect("creating a simulated node");
    }
}

/// An EcsCluster named `name` whose one pool is the real container instances: its tasks land only there.
pub async fn real_nodes_cluster(client: &Client, name: &str) {
    let clusters: Api<kube_ecs::api::EcsCluster> = Api::all(client.clone());
    apply(
        &clusters,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": name},
            "spec": {"nodePools": [{"name": "real", "provider": "nodes",
                "labels": {kube_ecs::local_cluster::REAL_NODE_LABEL: "true"}}]}}),
    )
    .await;
}

/// Waits until `container` of `pod` has logged `text` (kubectl, as the admin; the process writes it
/// when it gets there); returns the log.
#[allow(dead_code)]
pub async fn wait_log(ns: &str, pod: &str, container: &str, text: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    loop {
        ticker.tick().await;
        let (ok, out, err) = kubectl(&["logs", "-n", ns, pod, "-c", container], None);
        if ok && out.contains(text) {
            return out;
        }
        if tokio::time::Instant::now() >= deadline {
            let story = diagnose::namespace_story(&client().await, ns).await;
            panic!("{pod}/{container} never logged {text:?}; last log:\n{out}{err}\n{story}");
        }
    }
}
