//! `make bench`: kube-ecs against Kubernetes' own controllers on the same local control plane, in two
//! modes — matched (operator and kube-controller-manager both at 20 QPS / burst 30) and open (both
//! unthrottled). Prints tables; never asserts speed (CI runs `--quick` only to prove it runs).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Parser;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube_ecs::api::ecs::TaskLifecycle;
use kube_ecs::api::{Service, Task, TaskDefinition};
use kube_ecs::local_cluster::{LocalCluster, LocalClusterOptions};

#[path = "bench/api_phase.rs"]
mod api_phase;
#[path = "bench/console_phase.rs"]
mod console_phase;
#[path = "bench/ecr_phase.rs"]
mod ecr_phase;

#[derive(Parser, Debug)]
#[command(about = "kube-ecs benchmarks against Kubernetes' own controllers")]
struct Args {
    /// Directory with the control-plane binaries.
    #[arg(long, env = "KUBE_ECS_TOOLS_BIN")]
    tools_bin: PathBuf,
    /// Tasks / Jobs / Pods per comparison.
    #[arg(long, default_value_t = 1000)]
    n: usize,
    /// Services (and Deployments) in the rollout comparison, and tasks per service.
    #[arg(long, default_value_t = 20)]
    services: usize,
    #[arg(long, default_value_t = 50)]
    tasks_per_service: usize,
    /// Simulated nodes.
    #[arg(long, default_value_t = 100)]
    nodes: usize,
    /// Small sizes, for CI: proves the benchmark runs.
    #[arg(long)]
    quick: bool,
    /// Modes to run: matched, open.
    #[arg(long, value_delimiter = ',', default_value = "matched,open")]
    modes: Vec<String>,
    /// Comparisons to run: tasks (with the ceiling), services, api (RunTask through the ECS API vs
    /// applied Tasks; matched mode only, the budget), ecr (a 10 MiB image pushed and pulled
    /// through the registry front vs the registry alone; matched mode only), console (the web console's
    /// Tasks tab with --console-tasks tasks and 20 live viewers; open mode only), steady, cold (cold start).
    #[arg(long, value_delimiter = ',', default_value = "tasks,services,api,ecr,console,steady,cold")]
    phases: Vec<String>,
    /// Tasks on the cluster whose Tasks tab the console phase measures.
    #[arg(long, default_value_t = 10_000)]
    console_tasks: usize,
    /// Seconds of task churn the console phase measures the operator over, with and without viewers.
    #[arg(long, default_value_t = 30)]
    console_churn_seconds: u64,
    /// Rounds of the ecr phase (each pushes and pulls one fresh image per side).
    #[arg(long, default_value_t = 5)]
    ecr_rounds: usize,
}

const CLUSTER: &str = "bench";
const OPERATOR_AGENT: &str = "kube-ecs/";
const KCM_AGENT: &str = "kube-controller-manager/";
/// How long any one wait may take before the benchmark gives up with an error instead of hanging.
const UNTIL_LIMIT: Duration = Duration::from_secs(30 * 60);

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.n = 30;
        args.services = 2;
        args.tasks_per_service = 5;
        args.nodes = 5;
        args.ecr_rounds = 2;
        args.console_tasks = 150;
        args.console_churn_seconds = 5;
    }
    let operator_bin = std::env::current_exe()?.parent().context("bench binary directory")?.join("kube-ecs");
    anyhow::ensure!(operator_bin.is_file(), "{} not built (cargo build --release --bins)", operator_bin.display());
    let mut rows = Vec::new();
    for mode in args.modes.clone() {
        rows.extend(run_mode(&args, &mode, &operator_bin).await.with_context(|| format!("{mode} mode"))?);
    }
    println!("\n{:<8} {:<58} {:>12} {:>12} {:>10}", "MODE", "MEASURE", "KUBE-ECS", "PEER", "RATIO");
    for r in &rows {
        let ratio = match (r.ours, r.peer) {
            (Some(o), Some(p)) if p > 0.0 => format!("{:.2}", o / p),
            _ => "-".into(),
        };
        println!("{:<8} {:<58} {:>12} {:>12} {:>10}", r.mode, r.measure, fmt(r.ours), fmt(r.peer), ratio);
    }
    println!(
        "\nRATIO = kube-ecs / peer (time: lower is better). Peer: bare pods (ceiling), Jobs, Deployments,\n\
         applied Tasks (api), the registry alone (ecr)."
    );
    Ok(())
}

struct Row {
    mode: String,
    measure: String,
    ours: Option<f64>,
    peer: Option<f64>,
}

fn fmt(v: Option<f64>) -> String {
    v.map(|v| if v.fract() == 0.0 && v.abs() < 1e9 { format!("{v:.0}") } else { format!("{v:.2}") })
        .unwrap_or_else(|| "-".into())
}

async fn run_mode(args: &Args, mode: &str, operator_bin: &Path) -> Result<Vec<Row>> {
    let matched = mode == "matched";
    eprintln!("[bench] {mode}: starting a control plane ({} nodes)", args.nodes);
    let mut options = LocalClusterOptions::new(&args.tools_bin);
    options.audit_writes = true;
    options.controller_qps = if matched { (20, 30) } else { (5000, 10000) };
    let cluster = LocalCluster::start(options).await?;
    let client = cluster.client().await?;
    kube_ecs::crd_install::install_crds(&client, "kube-ecs-bench").await?;
    setup_cluster(&client, args.nodes, pods_per_node(args)).await?;
    api_phase::keys_namespace(&client).await?;
    let phase = |name: &str| args.phases.iter().any(|p| p == name);
    let mut operator_args: Vec<String> = if matched {
        vec!["--kube-api-qps=20".into(), "--kube-api-burst=30".into()]
    } else {
        vec!["--kube-api-qps=0".into()]
    };
    // ECR is on only when its phase runs (and for the whole mode, so the cold restart is the same
    // operator): the registry under must be up before the operator starts.
    let ecr_upstream = if phase("ecr") && matched {
        let upstream = ecr_phase::Upstream::start(&args.tools_bin, &cluster.dir().join("bench-ecr"))?;
        operator_args.extend(upstream.operator_args());
        Some(upstream)
    } else {
        None
    };
    // The console likewise, in open mode (its reads are the signed-in user's, not the operator's
    // budget): on for the whole mode, so the cold restart is the same operator.
    if phase("console") && !matched {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        operator_args.push(format!("--console-bind-address=127.0.0.1:{port}"));
    }
    let mut operator = Operator::start(operator_bin, &cluster, &operator_args)?;
    // An operator that stopped at startup (a bad flag, ECR's token key) fails the run here, not as a
    // phase that waits its whole limit for a reconcile.
    let mut listening = vec![format!("127.0.0.1:{}", operator.api_port)];
    listening.extend(ecr_upstream.as_ref().map(|u| u.front().to_string()));
    operator.wait_listening(&listening, Duration::from_secs(60)).await?;
    let mut rows = Vec::new();
    let row = |measure: &str, ours: Option<f64>, peer: Option<f64>| mode_row(mode, measure, ours, peer);

    if phase("tasks") {
        rows.extend(tasks_phase(args, mode, &cluster, &client, &mut operator).await?);
    }
    if phase("services") {
        rows.extend(services_phase(args, mode, &cluster, &client).await?);
    }
    if phase("api") && matched {
        rows.extend(api_phase::run(args.n, mode, &client, operator.api_port).await?);
    }
    if let Some(upstream) = &ecr_upstream {
        let ecr = ecr_phase::run(args.ecr_rounds, mode, &client, operator.api_port, &args.tools_bin, upstream);
        rows.extend(ecr.await.context("ecr phase")?);
    }
    if phase("console") && !matched {
        let console = console_phase::run(args.console_tasks, args.console_churn_seconds, mode, &client, &mut operator);
        rows.extend(console.await.context("console phase")?);
    }
    if phase("steady") {
        // 4. Steady state and a forced full resync, once the operator has settled: the services
        // phase ends when the last Services report their new revision, while their old pods are
        // still going (their counts and the container instances' change for a while after).
        operator.wait_until_idle(Duration::from_secs(120)).await;
        let before = count_writes(&cluster.audit_log(), OPERATOR_AGENT)?;
        let cpu_before = operator.cpu_seconds();
        tokio::time::sleep(Duration::from_secs(10)).await;
        operator.signal(libc::SIGHUP);
        tokio::time::sleep(Duration::from_secs(10)).await;
        let idle_writes = writes_since(&cluster.audit_log(), OPERATOR_AGENT, before)?;
        rows.push(row("steady state + full resync: operator writes", Some(idle_writes as f64), None));
        rows.push(row("steady state 20s: operator CPU seconds", Some(operator.cpu_seconds() - cpu_before), None));
    }
    if phase("cold") {
        // 5./6. Cold start with everything present: time until every Task, Service and EcsCluster
        // has been reconciled once (the operator's own reconcile counters), then writes once idle.
        let tasks = Api::<Task>::all(client.clone()).list_metadata(&ListParams::default()).await?.items.len() as u64;
        let services =
            Api::<Service>::all(client.clone()).list_metadata(&ListParams::default()).await?.items.len() as u64;
        operator.kill();
        let before = count_writes(&cluster.audit_log(), OPERATOR_AGENT)?;
        operator = Operator::start(operator_bin, &cluster, &operator_args)?;
        let expected = [("Task", tasks), ("Service", services), ("EcsCluster", 1)];
        let pass = operator.wait_for_full_pass(&expected, Duration::from_secs(300)).await;
        operator.wait_until_idle(Duration::from_secs(60)).await;
        let cold_writes = writes_since(&cluster.audit_log(), OPERATOR_AGENT, before)?;
        rows.push(row(&format!("cold start with {tasks} tasks: first full pass (s)"), pass, None));
        rows.push(row("cold start: operator writes", Some(cold_writes as f64), None));
    }
    rows.push(row("operator peak RSS MiB (whole run)", Some(operator.peak_rss_mib()), None));
    operator.kill();
    Ok(rows)
}

fn mode_row(mode: &str, measure: &str, ours: Option<f64>, peer: Option<f64>) -> Row {
    Row { mode: mode.into(), measure: measure.into(), ours, peer }
}

/// 1. the bare-pod ceiling, 2. Tasks vs Jobs.
async fn tasks_phase(
    args: &Args,
    mode: &str,
    cluster: &LocalCluster,
    client: &Client,
    operator: &mut Operator,
) -> Result<Vec<Row>> {
    let client = client.clone();
    let mut rows = Vec::new();
    let row = |measure: &str, ours: Option<f64>, peer: Option<f64>| mode_row(mode, measure, ours, peer);
    // 1. Ceiling: bare pods bound to nodes directly.
    let ceiling = bare_pods(&client, args.n, args.nodes).await?;
    rows.push(row(&format!("ceiling: {} bare pods Running (s)", args.n), None, Some(ceiling)));

    // 2. Tasks vs Jobs.
    let before = count_writes(&cluster.audit_log(), OPERATOR_AGENT)?;
    let events_before = count_events(&cluster.audit_log(), OPERATOR_AGENT)?;
    let cpu_before = operator.cpu_seconds();
    let tasks = tasks_to_running(&client, args.n).await?;
    let task_writes = writes_since(&cluster.audit_log(), OPERATOR_AGENT, before)?;
    let task_events = count_events(&cluster.audit_log(), OPERATOR_AGENT)? - events_before;
    let task_cpu = operator.cpu_seconds() - cpu_before;
    // The high-water mark so far: the tasks phase runs first, so this is the burst's peak.
    let rss = operator.rss_mib();
    let burst_peak = operator.peak_rss_mib();
    eprintln!(
        "[bench] {mode}: operator writes while starting the tasks, by resource: {:?}",
        writes_by_resource(&cluster.audit_log(), OPERATOR_AGENT)?
    );
    let kcm_before = count_writes(&cluster.audit_log(), KCM_AGENT)?;
    let kcm_events_before = count_events(&cluster.audit_log(), KCM_AGENT)?;
    let kcm_pid = cluster.pid_of("kube-controller-manager");
    let kcm_cpu_before = kcm_pid.map(cpu_seconds_of);
    let jobs = jobs_to_running(&client, args.n).await?;
    let kcm_cpu = kcm_pid.map(cpu_seconds_of).zip(kcm_cpu_before).map(|(after, before)| after - before);
    let job_writes = writes_since(&cluster.audit_log(), KCM_AGENT, kcm_before)?;
    let job_events = count_events(&cluster.audit_log(), KCM_AGENT)? - kcm_events_before;
    rows.push(row(&format!("{} Tasks vs Jobs to Running (s)", args.n), Some(tasks), Some(jobs)));
    rows.push(row("tasks vs ceiling (s)", Some(tasks), Some(ceiling)));
    rows.push(row(
        "writes per Task vs per Job (controller)",
        Some(task_writes as f64 / args.n as f64),
        Some(job_writes as f64 / args.n as f64),
    ));
    // Events written by the operator vs by kube-controller-manager (the scheduler's and the
    // kubelets' are the same for both sides and not counted).
    let per = |count: u64| Some(count as f64 / args.n as f64);
    rows.push(row("Events per Task (operator) vs per Job (KCM)", per(task_events), per(job_events)));
    // The peer is all of kube-controller-manager (the Job controller shares it with every other one).
    rows.push(row("CPU seconds: Tasks (operator) vs Jobs (KCM)", Some(task_cpu), kcm_cpu));
    rows.push(row("operator CPU ms per task", Some(task_cpu * 1000.0 / args.n as f64), None));
    rows.push(row(&format!("operator RSS MiB with {} tasks", args.n), Some(rss), None));
    rows.push(row("operator peak RSS MiB during the tasks burst", Some(burst_peak), None));
    Ok(rows)
}

/// 3. Service rollout vs Deployment rollout.
async fn services_phase(args: &Args, mode: &str, cluster: &LocalCluster, client: &Client) -> Result<Vec<Row>> {
    let client = client.clone();
    let mut rows = Vec::new();
    let row = |measure: &str, ours: Option<f64>, peer: Option<f64>| mode_row(mode, measure, ours, peer);
    let (count, per) = (args.services, args.tasks_per_service);
    // Both orders, so neither side always gets the quieter cluster: the side that goes second
    // shares the machine with the first side's pods (kwok and the scheduler keep working on them).
    let before = count_writes(&cluster.audit_log(), OPERATOR_AGENT)?;
    let (svc_up_a, svc_roll_a) = services_rollout(&client, "services-a", count, per).await?;
    let service_writes = writes_since(&cluster.audit_log(), OPERATOR_AGENT, before)?;
    eprintln!(
        "[bench] {mode}: operator writes so far, by resource: {:?}",
        writes_by_resource(&cluster.audit_log(), OPERATOR_AGENT)?
    );
    let (dep_up_a, dep_roll_a) = deployments_rollout(&client, "deployments-a", count, per).await?;
    let (dep_up_b, dep_roll_b) = deployments_rollout(&client, "deployments-b", count, per).await?;
    let (svc_up_b, svc_roll_b) = services_rollout(&client, "services-b", count, per).await?;
    let label = format!("{count}x{per}");
    for (order, svc_up, dep_up, svc_roll, dep_roll) in [
        ("Services first", svc_up_a, dep_up_a, svc_roll_a, dep_roll_a),
        ("Deployments first", svc_up_b, dep_up_b, svc_roll_b, dep_roll_b),
    ] {
        rows.push(row(&format!("{label} Services vs Deployments up (s), {order}"), Some(svc_up), Some(dep_up)));
        rows.push(row(&format!("{label} rollout to a new revision (s), {order}"), Some(svc_roll), Some(dep_roll)));
    }
    rows.push(row(
        "operator writes per service (create+rollout)",
        Some(service_writes as f64 / args.services as f64),
        None,
    ));
    Ok(rows)
}

/// Room for everything the phases leave running side by side (ceiling pods, task pods, Job pods,
/// the API phase's two sets of task pods, the services phase's two rounds of service tasks and
/// Deployment pods with their rollout surge), with a margin: at N = 5,000 the default 110 pods per
/// node would fill 100 nodes before the services' rollout could surge.
fn pods_per_node(args: &Args) -> usize {
    let console = if args.phases.iter().any(|p| p == "console") { args.console_tasks + 200 } else { 0 };
    let pods = 5 * args.n + 8 * args.services * args.tasks_per_service + console;
    (pods * 5 / 4).div_ceil(args.nodes.max(1)).max(110)
}

async fn setup_cluster(client: &Client, nodes: usize, pods_per_node: usize) -> Result<()> {
    let clusters: Api<kube_ecs::api::EcsCluster> = Api::all(client.clone());
    let manifest = serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": CLUSTER}, "spec": {}});
    clusters.patch(CLUSTER, &PatchParams::apply("bench").force(), &Patch::Apply(&manifest)).await?;
    futures::stream::iter(0..nodes)
        .map(|i| {
            let client = client.clone();
            async move {
                kube_ecs::local_cluster::create_simulated_node_with_pods(
                    &client,
                    &format!("bench-{i:03}"),
                    &[("ecs.kube-ecs.dev/cluster", CLUSTER)],
                    "64",
                    "256Gi",
                    pods_per_node,
                )
                .await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

async fn namespace(client: &Client, name: &str) -> Result<()> {
    let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))?;
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    // The default ServiceAccount must exist before pods can be created.
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(client.clone(), name);
    while accounts.get_opt("default").await?.is_none() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

fn pod_template() -> serde_json::Value {
    serde_json::json!({
        "metadata": {"labels": {"bench": "true"}},
        "spec": {
            "restartPolicy": "Never",
            "nodeSelector": {"ecs.kube-ecs.dev/cluster": CLUSTER},
            "containers": [{"name": "app", "image": "busybox:1.36"}]
        }
    })
}

async fn create_all<K>(api: &Api<K>, n: usize, make: impl Fn(usize) -> K) -> Result<()>
where
    K: kube::Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let objects: Vec<K> = (0..n).map(make).collect();
    futures::stream::iter(objects)
        .map(|o| {
            let api = api.clone();
            async move { api.create(&PostParams::default(), &o).await.map(|_| ()) }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// Waits (by polling lists; a benchmark, not a test) until `done` holds over `api`'s objects.
async fn until<K>(api: &Api<K>, params: &ListParams, done: impl Fn(&[K]) -> bool) -> Result<()>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let deadline = Instant::now() + UNTIL_LIMIT;
    loop {
        let items = api.list(params).await?.items;
        if done(&items) {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{} objects did not reach the expected state within {} s",
                K::kind(&Default::default()),
                UNTIL_LIMIT.as_secs()
            );
        }
        // Every 200 ms, less often for large lists (10,000 Tasks are 25 MB of JSON a list): the
        // polls must not be what loads the API server.
        tokio::time::sleep(Duration::from_millis(200).max(Duration::from_micros(100 * items.len() as u64))).await;
    }
}

/// Waits until at least `n` Pods of `api` are Running or Succeeded. Counts with field selectors and
/// metadata-only lists: a full list of 10,000 Pods every poll would load the API server more than
/// what is measured.
async fn until_pods_started(api: &Api<Pod>, n: usize) -> Result<()> {
    let deadline = Instant::now() + UNTIL_LIMIT;
    loop {
        let mut started = 0;
        for phase in ["Running", "Succeeded"] {
            let params = ListParams::default().fields(&format!("status.phase={phase}"));
            started += api.list_metadata(&params).await?.items.len();
        }
        if started >= n {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{started} of {n} Pods started within {} s", UNTIL_LIMIT.as_secs());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn bare_pods(client: &Client, n: usize, nodes: usize) -> Result<f64> {
    namespace(client, "ceiling").await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ceiling");
    let start = Instant::now();
    create_all(&pods, n, |i| {
        let mut t = pod_template();
        t["metadata"]["name"] = format!("p-{i:05}").into();
        t["spec"]["nodeName"] = format!("bench-{:03}", i % nodes).into();
        serde_json::from_value(t).expect("pod")
    })
    .await?;
    until_pods_started(&pods, n).await?;
    Ok(start.elapsed().as_secs_f64())
}

async fn tasks_to_running(client: &Client, n: usize) -> Result<f64> {
    namespace(client, "tasks").await?;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), "tasks");
    let td = serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "bench"},
        "spec": {"containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 32}]}});
    definitions.patch("bench", &PatchParams::apply("bench"), &Patch::Apply(&td)).await?;
    until(&definitions, &ListParams::default(), |l| {
        l.iter().any(|t| t.status.as_ref().and_then(|s| s.revision).is_some())
    })
    .await?;
    let tasks: Api<Task> = Api::namespaced(client.clone(), "tasks");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "tasks");
    let start = Instant::now();
    create_all(&tasks, n, |i| {
        serde_json::from_value(serde_json::json!({"metadata": {"name": format!("t-{i:05}")}, "spec": {"taskDefinition": "bench", "cluster": CLUSTER}}))
            .expect("task")
    })
    .await?;
    until_pods_started(&pods, n).await?;
    until(&tasks, &ListParams::default(), |l| {
        l.iter().filter(|t| t.status.as_ref().and_then(|s| s.last_status) == Some(TaskLifecycle::Running)).count() == n
    })
    .await?;
    Ok(start.elapsed().as_secs_f64())
}

async fn jobs_to_running(client: &Client, n: usize) -> Result<f64> {
    namespace(client, "jobs").await?;
    let jobs: Api<Job> = Api::namespaced(client.clone(), "jobs");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "jobs");
    let start = Instant::now();
    create_all(&jobs, n, |i| {
        serde_json::from_value(serde_json::json!({"metadata": {"name": format!("j-{i:05}")}, "spec": {"backoffLimit": 0, "template": pod_template()}}))
            .expect("job")
    })
    .await?;
    until_pods_started(&pods, n).await?;
    Ok(start.elapsed().as_secs_f64())
}

async fn services_rollout(client: &Client, ns: &str, services: usize, per: usize) -> Result<(f64, f64)> {
    namespace(client, ns).await?;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    let td = |image: &str| {
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "web"},
        "spec": {"containerDefinitions": [{"name": "app", "image": image, "memory": 32}]}})
    };
    definitions.patch("web", &PatchParams::apply("bench"), &Patch::Apply(&td("nginx:1.27"))).await?;
    until(&definitions, &ListParams::default(), |l| {
        l.iter().any(|t| t.status.as_ref().and_then(|s| s.revision) == Some(1))
    })
    .await?;
    let api: Api<Service> = Api::namespaced(client.clone(), ns);
    let steady = |reference: &'static str| {
        move |l: &[Service]| {
            l.len() == services
                && l.iter().all(|s| {
                    s.status.as_ref().is_some_and(|st| {
                        st.task_definition.as_deref() == Some(reference)
                            && st.rollout_state == Some(kube_ecs::api::ecs::RolloutState::Completed)
                            && st.running_count == Some(per as i32)
                    })
                })
        }
    };
    let start = Instant::now();
    create_all(&api, services, |i| {
        serde_json::from_value(serde_json::json!({"metadata": {"name": format!("s-{i:03}")},
            "spec": {"taskDefinition": "web", "cluster": CLUSTER, "desiredCount": per}}))
        .expect("service")
    })
    .await?;
    until(&api, &ListParams::default(), steady("web:1")).await?;
    let up = start.elapsed().as_secs_f64();
    let start = Instant::now();
    definitions.patch("web", &PatchParams::apply("bench"), &Patch::Apply(&td("nginx:1.28"))).await?;
    until(&api, &ListParams::default(), steady("web:2")).await?;
    Ok((up, start.elapsed().as_secs_f64()))
}

async fn deployments_rollout(client: &Client, ns: &str, count: usize, per: usize) -> Result<(f64, f64)> {
    namespace(client, ns).await?;
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let make = |i: usize, image: &str| -> Deployment {
        let mut template = pod_template();
        template["spec"]["restartPolicy"] = "Always".into();
        template["metadata"]["labels"]["app"] = format!("d-{i:03}").into();
        template["spec"]["containers"][0]["image"] = image.into();
        serde_json::from_value(serde_json::json!({"metadata": {"name": format!("d-{i:03}")},
            "spec": {"replicas": per, "selector": {"matchLabels": {"app": format!("d-{i:03}")}}, "template": template,
                "strategy": {"rollingUpdate": {"maxSurge": per, "maxUnavailable": 0}}}}))
        .expect("deployment")
    };
    let settled = |image: &'static str| {
        move |l: &[Deployment]| {
            l.len() == count
                && l.iter().all(|d| {
                    let st = d.status.clone().unwrap_or_default();
                    let spec_image = d
                        .spec
                        .as_ref()
                        .and_then(|s| s.template.spec.as_ref())
                        .and_then(|p| p.containers[0].image.clone());
                    spec_image.as_deref() == Some(image)
                        && st.observed_generation == d.metadata.generation
                        && st.updated_replicas == Some(per as i32)
                        && st.available_replicas == Some(per as i32)
                        && st.replicas == Some(per as i32)
                })
        }
    };
    let start = Instant::now();
    create_all(&api, count, |i| make(i, "nginx:1.27")).await?;
    until(&api, &ListParams::default(), settled("nginx:1.27")).await?;
    let up = start.elapsed().as_secs_f64();
    let start = Instant::now();
    futures::stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            async move {
                let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}});
                api.patch(&format!("d-{i:03}"), &PatchParams::default(), &Patch::Strategic(&patch)).await.map(|_| ())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    until(&api, &ListParams::default(), settled("nginx:1.28")).await?;
    Ok((up, start.elapsed().as_secs_f64()))
}

/// The completed requests of the audit log, one JSON value each.
fn audit_events(audit_log: &Path) -> Result<impl Iterator<Item = serde_json::Value>> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(audit_log).with_context(|| format!("reading {}", audit_log.display()))?;
    Ok(std::io::BufReader::new(file)
        .split(b'\n')
        .map_while(|line| line.ok())
        .filter_map(|line| serde_json::from_slice::<serde_json::Value>(&line).ok())
        .filter(|event| event["stage"] == "ResponseComplete"))
}

/// Object writes (not Events) in the audit log whose User-Agent starts with `agent`.
fn count_writes(audit_log: &Path, agent: &str) -> Result<u64> {
    let mut count = 0;
    for event in audit_events(audit_log)? {
        // Events are reported, not counted: they are advisory records, not object writes.
        if event["objectRef"]["resource"] != "events"
            && event["userAgent"].as_str().is_some_and(|ua| ua.starts_with(agent))
        {
            count += 1;
        }
    }
    Ok(count)
}

/// Events (creates and patches) in the audit log whose User-Agent starts with `agent`.
fn count_events(audit_log: &Path, agent: &str) -> Result<u64> {
    Ok(audit_events(audit_log)?
        .filter(|event| {
            event["objectRef"]["resource"] == "events"
                && event["userAgent"].as_str().is_some_and(|ua| ua.starts_with(agent))
        })
        .count() as u64)
}

/// Writes by `agent` since an earlier [`count_writes`]; an audit log that shrank is an error, not a
/// wrapped-around count.
fn writes_since(audit_log: &Path, agent: &str, before: u64) -> Result<u64> {
    let now = count_writes(audit_log, agent)?;
    now.checked_sub(before)
        .with_context(|| format!("the audit log lost entries ({before} {agent} writes before, {now} now)"))
}

/// Operator writes in the whole audit log so far, by verb and resource (events included).
fn writes_by_resource(audit_log: &Path, agent: &str) -> Result<std::collections::BTreeMap<String, u64>> {
    let mut by = std::collections::BTreeMap::new();
    for event in audit_events(audit_log)? {
        if event["userAgent"].as_str().is_some_and(|ua| ua.starts_with(agent)) {
            let key = format!(
                "{} {}{}",
                event["verb"].as_str().unwrap_or_default(),
                event["objectRef"]["resource"].as_str().unwrap_or_default(),
                event["objectRef"]["subresource"].as_str().map(|s| format!("/{s}")).unwrap_or_default()
            );
            *by.entry(key).or_insert(0) += 1;
        }
    }
    Ok(by)
}

/// The operator under measurement, as a process.
struct Operator {
    child: Child,
    peak_rss_kib: u64,
    metrics_port: u16,
    /// The operator's ECS API (loopback, plain HTTP).
    api_port: u16,
    /// The operator's web console (`host:port`), when it was started with one.
    console: Option<String>,
    log: PathBuf,
}

impl Operator {
    fn start(bin: &Path, cluster: &LocalCluster, extra: &[String]) -> Result<Self> {
        // KUBE_ECS_BENCH_OPERATOR_LOG_FILE keeps the operator's log after the run (the cluster's
        // directory is removed).
        let path = std::env::var_os("KUBE_ECS_BENCH_OPERATOR_LOG_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| cluster.dir().join("bench-operator.log"));
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
        let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let api_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(bin)
            .arg("run")
            .arg(format!("--metrics-bind-address=127.0.0.1:{metrics_port}"))
            .arg(format!("--ecs-api-bind-address=127.0.0.1:{api_port}"))
            .arg(format!("--ecs-api-keys-namespace={}", api_phase::KEYS_NAMESPACE))
            .args(extra)
            .env("KUBECONFIG", cluster.kubeconfig())
            .env("RUST_LOG", std::env::var("KUBE_ECS_BENCH_OPERATOR_LOG").unwrap_or_else(|_| "warn".into()))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let console = extra.iter().find_map(|a| a.strip_prefix("--console-bind-address=")).map(str::to_string);
        Ok(Self { child, peak_rss_kib: 0, metrics_port, api_port, console, log: path })
    }

    /// Waits until every one of `addresses` accepts connections; an error if the operator exits
    /// first or `limit` passes.
    async fn wait_listening(&mut self, addresses: &[String], limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        for address in addresses {
            while !accepts(address) {
                if let Some(status) = self.child.try_wait()? {
                    let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                    let last = log.lines().last().unwrap_or_default();
                    anyhow::bail!("the operator exited ({status}) before serving {address}: {last}");
                }
                anyhow::ensure!(Instant::now() < deadline, "the operator did not serve {address} within {limit:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Reconciles finished so far, by controller (from the operator's /metrics).
    fn reconciles(&self) -> std::collections::BTreeMap<String, u64> {
        use std::io::{Read, Write};
        let mut text = String::new();
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.metrics_port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let _ = stream.read_to_string(&mut text);
        }
        text.lines()
            .filter_map(|l| l.strip_prefix("kube_ecs_reconciles_total{controller=\""))
            .filter_map(|l| l.split_once("\"} "))
            .filter_map(|(kind, n)| Some((kind.to_string(), n.trim().parse().ok()?)))
            .collect()
    }

    /// Waits until every controller has reconciled at least as many objects as `expected` says (the
    /// first full pass after a start); the seconds it took, or `None` past `limit`.
    async fn wait_for_full_pass(&self, expected: &[(&str, u64)], limit: Duration) -> Option<f64> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let done = self.reconciles();
            if expected.iter().all(|(kind, n)| done.get(*kind).copied().unwrap_or(0) >= *n) {
                return Some(start.elapsed().as_secs_f64());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    fn status_field(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }

    fn rss_mib(&mut self) -> f64 {
        let rss = self.status_field("VmRSS:");
        self.peak_rss_kib = self.peak_rss_kib.max(self.status_field("VmHWM:"));
        rss as f64 / 1024.0
    }

    fn peak_rss_mib(&mut self) -> f64 {
        self.peak_rss_kib = self.peak_rss_kib.max(self.status_field("VmHWM:"));
        self.peak_rss_kib as f64 / 1024.0
    }

    fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(self.child.id() as i32)
    }

    fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Waits until the operator has been idle (under 5% of a core over a sliding 2 s window); returns
    /// how long ago the idle window began (0 if it never settled within `limit`).
    /// A sliding window, not "no tick in any 100 ms": the kernel counts CPU in 10 ms ticks, and one
    /// timer tick every couple of seconds is idle.
    async fn wait_until_idle(&mut self, limit: Duration) -> f64 {
        const WINDOW: Duration = Duration::from_secs(2);
        let start = Instant::now();
        let mut samples: std::collections::VecDeque<(Instant, f64)> = Default::default();
        while start.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (at, cpu) = (Instant::now(), self.cpu_seconds());
            let _ = self.rss_mib();
            samples.push_back((at, cpu));
            while samples.len() > 1 && at.duration_since(samples[1].0) >= WINDOW {
                samples.pop_front();
            }
            let Some(&(oldest_at, oldest_cpu)) = samples.front() else { continue };
            if at.duration_since(oldest_at) < WINDOW {
                continue;
            }
            if cpu - oldest_cpu <= 0.05 * WINDOW.as_secs_f64() {
                return at.duration_since(oldest_at).as_secs_f64();
            }
        }
        0.0
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// User + system CPU seconds of process `pid` so far (0 if it is gone).
fn cpu_seconds_of(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf is always safe to call.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / hz
}

/// Whether `address` (`127.0.0.1:<port>`) is served; a TCP self-connect does not count
/// (`local_cluster::accepts_connections`).
fn accepts(address: &str) -> bool {
    address.parse().is_ok_and(|a| kube_ecs::local_cluster::accepts_connections(a, Duration::from_millis(200)))
}
