//! The one-command demo: a local control plane, the CRDs, the operator, the example ECS manifests,
//! and a live view of clusters, container instances, services, tasks and ECR repositories until
//! Ctrl-C.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};

use k8s_openapi::api::core::v1::Pod;

use crate::api::repository::Repository;
use crate::api::{ContainerInstance, EcsCluster, ScheduledTask, Service, Task};
use crate::context::{Context, OperatorConfig};
use crate::local_cluster::{LOCAL_INSTANCE_LABEL, LocalCluster, LocalClusterOptions};

/// Real container instances the demo starts (each a kubelet with containerd on this machine).
const REAL_NODES: u32 = 2;

/// Starts the local cluster with real container instances, or, where this host cannot run
/// containers, says exactly why and starts simulated stand-ins for the `local` pool instead.
/// Returns the cluster and whether its instances are real.
async fn start_cluster(tools_bin: &Path) -> anyhow::Result<(LocalCluster, bool)> {
    let mut options = LocalClusterOptions::new(tools_bin);
    options.real_nodes = REAL_NODES;
    match LocalCluster::start(options).await {
        Ok(cluster) => Ok((cluster, true)),
        Err(e) => {
            eprintln!("[demo] this host cannot run real container instances: {e}");
            eprintln!(
                "[demo] falling back to simulated (KWOK) instances for the `local` pool: they run no process, so the \
                 batch task will not finish and the web service will not answer"
            );
            let cluster = LocalCluster::start(LocalClusterOptions::new(tools_bin)).await?;
            let client = cluster.client().await?;
            for i in 0..REAL_NODES {
                crate::local_cluster::create_simulated_node(
                    &client,
                    &format!("local-{i}"),
                    &[(LOCAL_INSTANCE_LABEL, "true")],
                    "2",
                    "8Gi",
                )
                .await?;
            }
            Ok((cluster, false))
        }
    }
}

/// Runs the demo until Ctrl-C (or for `duration`, when given: used by tests and CI).
pub async fn run(tools_bin: PathBuf, examples: &Path, duration: Option<Duration>) -> anyhow::Result<()> {
    // Registered before anything else: a Ctrl-C during start-up or while a frame is drawn is kept.
    let termination = crate::signals::Termination::install().context("installing the signal handlers")?;
    eprintln!(
        "[demo] starting the local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) and {REAL_NODES} real container instances (kubelet, containerd) ..."
    );
    let (cluster, real) = tokio::select! {
        started = start_cluster(&tools_bin) => started?,
        // Dropping the start future stops whatever it had started.
        () = termination.requested() => return Ok(()),
    };
    eprintln!(
        "[demo] control plane ready in {:.1}s; kubeconfig: {}",
        cluster.started_in().as_secs_f64(),
        cluster.kubeconfig().display()
    );
    let client = cluster.client().await?;
    eprintln!("[demo] installing the CRDs ...");
    crate::crd_install::install_crds(&client, "kube-ecs-demo").await?;
    eprintln!("[demo] starting the operator ...");
    let ctx = Arc::new(Context::new(client.clone(), OperatorConfig::default()));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = futures::FutureExt::shared(Box::pin(async move {
        let _ = stop_rx.await;
    }));
    let operator = tokio::spawn(crate::controllers::run(ctx.clone(), stop.clone()));
    let ecr = start_ecr(&cluster, &client).await?;
    if let Some(ecr) = &ecr {
        tokio::spawn(crate::controllers::repository::run(ctx, ecr.settings.clone(), stop));
    }
    let ecs_api = start_ecs_api(&cluster, &client, ecr.as_ref()).await?;
    eprintln!("[demo] applying {} ...", examples.display());
    let kubectl = cluster.tools_bin().join("kubectl");
    let output = std::process::Command::new(&kubectl)
        .arg(format!("--kubeconfig={}", cluster.kubeconfig().display()))
        .args(["apply", "--server-side", "--field-manager=kube-ecs-demo", "-f"])
        .arg(examples)
        .output()
        .context("running kubectl apply")?;
    eprint!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    anyhow::ensure!(output.status.success(), "kubectl apply of the examples failed");
    eprintln!("[demo] try: {} --kubeconfig={} get ecs -A", kubectl.display(), cluster.kubeconfig().display());
    eprintln!("[demo] ECS API: {}", ecs_api.ecs);
    if let Some(ecr) = &ecs_api.ecr {
        eprintln!("[demo] ECR API: {ecr}");
    }
    if let Some(push) = &ecs_api.push {
        eprintln!("[demo] push an image: {push}");
    }
    let console = start_console(&client).await?;
    eprintln!("[demo] console (the link signs one browser in, once): {}", console.login_url());
    tokio::spawn(async move {
        if let Err(e) = console.serve().await {
            eprintln!("[demo] the console stopped: {e}");
        }
    });

    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    let mut ticker = tokio::time::interval(Duration::from_secs(2));
    while !termination.is_requested() {
        // A frame is drawn inside the select too: a Ctrl-C while the view is fetched stops at once.
        let frame = async {
            ticker.tick().await;
            let mut view = render(&client).await.unwrap_or_else(|e| format!("(view unavailable: {e})\n"));
            if real {
                view.push_str(&web_hint(&client).await);
            }
            view
        };
        tokio::select! {
            () = termination.requested() => break,
            view = frame => {
                if duration.is_none() {
                    print!("\x1b[2J\x1b[H");
                }
                print!("{view}");
                if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                    break;
                }
            }
        }
    }
    eprintln!("[demo] stopping ...");
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), operator).await;
    drop(cluster);
    Ok(())
}

/// The web console as the demo's own identity (the kubeconfig's cluster-admin), as `kube-ecs
/// console` would serve it: 127.0.0.1:8090 when free, another free port otherwise.
async fn start_console(client: &Client) -> anyhow::Result<kube_ecs_console::Console> {
    use kube_ecs_console::identity::{Identity, SignedInWith};
    let at = |port: u16| kube_ecs_console::ConsoleConfig { listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)) };
    let identity = || async {
        Identity::of(client.clone(), SignedInWith::Kubeconfig)
            .await
            .context("asking the apiserver who the demo's identity is (SelfSubjectReview)")
    };
    match kube_ecs_console::Console::bind(at(8090), identity().await?).await {
        Ok(console) => Ok(console),
        Err(_) => kube_ecs_console::Console::bind(at(0), identity().await?).await.context("binding the console"),
    }
}

/// The user every demo access key stands for. The demo binds it to cluster-admin; a real key gets a
/// team's Role (docs/ecs-api.md).
const DEMO_API_USER: &str = "kube-ecs-demo-user";

/// The account of the local registry's ECR host (`123456789012.dkr.ecr.us-east-1.amazonaws.com`):
/// the ECS API's ARNs and the repositories' URIs name the same account.
const DEMO_ACCOUNT: &str = "123456789012";

/// Commands that work against the demo's APIs, as printed.
struct ApiCommands {
    ecs: String,
    ecr: Option<String>,
    push: Option<String>,
}

/// ECR on the local cluster's registry (with real instances only: the registry comes with them):
/// the front on loopback (port 8445 when free), a status refresh every 5 s.
async fn start_ecr(cluster: &LocalCluster, client: &Client) -> anyhow::Result<Option<crate::ecr::Ecr>> {
    let Some(registry) = cluster.ecr() else { return Ok(None) };
    let Some((user, password)) = registry.credentials() else { return Ok(None) };
    let credentials = cluster.dir().join("ecr-upstream-credentials");
    std::fs::write(&credentials, format!("{user}:{password}"))?;
    ensure_keys_namespace(client).await?;
    // 8445 when free; another demo (or a test's) may take it between this check and the front's
    // own bind, and then a free port does.
    let preferred = std::net::TcpListener::bind("127.0.0.1:8445").ok().map(|l| l.local_addr()).transpose()?;
    if let Some(front) = preferred {
        match start_ecr_front(&registry_args(cluster, &credentials, front)?, client).await {
            Err(e)
                if e.chain().any(|c| {
                    c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
                }) => {}
            started => return started,
        }
    }
    let front = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    start_ecr_front(&registry_args(cluster, &credentials, front)?, client).await
}

async fn start_ecr_front(args: &crate::ecr::EcrArgs, client: &Client) -> anyhow::Result<Option<crate::ecr::Ecr>> {
    args.start("us-east-1", DEMO_ACCOUNT, KEYS_NAMESPACE, client.clone()).await
}

/// The ECR settings of the demo's registry, its front on `front`.
fn registry_args(
    cluster: &LocalCluster,
    credentials: &std::path::Path,
    front: std::net::SocketAddr,
) -> anyhow::Result<crate::ecr::EcrArgs> {
    let Some(registry) = cluster.ecr() else { anyhow::bail!("the local cluster has no registry") };
    Ok(crate::ecr::EcrArgs {
        ecr_registry_upstream: format!("http://{}", registry.address()),
        ecr_registry_upstream_credentials_file: Some(credentials.to_path_buf()),
        ecr_registry_host: crate::local_cluster::registry::DEFAULT_ECR_HOST.to_string(),
        ecr_front_bind_address: front.to_string(),
        ecr_front_allow_plain_http: false,
        ecr_front_tls_cert: None,
        ecr_front_tls_key: None,
        ecr_proxy_endpoint: String::new(),
        ecr_lifecycle_period_seconds: 3600,
        ecr_refresh_period_seconds: 5,
    })
}

/// Where the demo's access keys (and ECR's token key) live.
const KEYS_NAMESPACE: &str = "kube-ecs-system";

async fn ensure_keys_namespace(client: &Client) -> anyhow::Result<()> {
    use kube::api::{Patch, PatchParams};
    let namespace = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": KEYS_NAMESPACE}});
    Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
        .patch(KEYS_NAMESPACE, &PatchParams::apply("kube-ecs-demo").force(), &Patch::Apply(&namespace))
        .await?;
    Ok(())
}

/// Serves the ECS API (and ECR's, when `ecr` runs) on loopback (port 8443 when free) with one
/// access key whose objects live in `default`, where the examples are; returns commands that work
/// against it.
async fn start_ecs_api(
    cluster: &LocalCluster,
    client: &Client,
    ecr: Option<&crate::ecr::Ecr>,
) -> anyhow::Result<ApiCommands> {
    use kube::api::{Patch, PatchParams};
    let params = PatchParams::apply("kube-ecs-demo").force();
    let keys_namespace = KEYS_NAMESPACE;
    ensure_keys_namespace(client).await?;
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": DEMO_API_USER},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": DEMO_API_USER}],
    });
    Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(client.clone())
        .patch(DEMO_API_USER, &params, &Patch::Apply(&binding))
        .await?;
    let id = format!("AKIA{}", kube_ecs_endpoint::ids::task_id()[..16].to_uppercase());
    let secret = kube_ecs_endpoint::ids::task_id();
    let key = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "demo-access-key", "namespace": keys_namespace},
        "type": kube_ecs_endpoint::keys::SECRET_TYPE,
        "stringData": {"accessKeyId": id, "secretAccessKey": secret, "username": DEMO_API_USER, "namespace": "default"},
    });
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), keys_namespace)
        .patch("demo-access-key", &params, &Patch::Apply(&key))
        .await?;
    let port = match std::net::TcpListener::bind("127.0.0.1:8443") {
        Ok(listener) => listener.local_addr()?.port(),
        Err(_) => std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
    };
    let listen: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut config = kube_ecs_endpoint::EndpointConfig::new(listen, keys_namespace);
    config.account = DEMO_ACCOUNT.into();
    let registry = ecr.map(crate::ecr::Ecr::endpoint_parts);
    let kubeconfig = kube::config::Kubeconfig::read_from(cluster.kubeconfig())?;
    let kube_config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    let client = client.clone();
    tokio::spawn(async move {
        if let Err(e) = kube_ecs_endpoint::run(config, kube_config, client, registry).await {
            eprintln!("[demo] the ECS API stopped: {e}");
        }
    });
    let aws = std::env::var_os("KUBE_ECS_AWS_BIN")
        .map(|bin| PathBuf::from(bin).join("aws").display().to_string())
        .unwrap_or_else(|| "aws".into());
    let credentials = format!("AWS_ACCESS_KEY_ID={id} AWS_SECRET_ACCESS_KEY={secret}");
    let endpoint = format!("--endpoint-url http://127.0.0.1:{port} --region us-east-1");
    let crane = cluster.tools_bin().join("crane").display().to_string();
    let images = cluster.tools_bin().join("../images/busybox").display().to_string();
    Ok(ApiCommands {
        ecs: format!("{credentials} {aws} ecs list-services --cluster default {endpoint}"),
        ecr: ecr.map(|_| format!("{credentials} {aws} ecr describe-repositories {endpoint}")),
        push: ecr.map(|ecr| {
            let front = ecr.front_address;
            format!(
                "{credentials} {aws} ecr get-login-password {endpoint} | {crane} auth login {front} -u AWS \
                 --password-stdin && {crane} push {images} {front}/demo/web:1"
            )
        }),
    })
}

/// A `curl` command that reaches one of the web service's tasks from this machine (its pod IP on
/// the real instances' bridge), once one is ready.
async fn web_hint(client: &Client) -> String {
    // The load balancer's address: the ClusterIP Service in front of the tasks (the host reaches the
    // local cluster's Service network), once a task is ready behind it.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let any_ready = pods
        .list(&ListParams::default().labels(&format!("{}=web", crate::labels::SERVICE_NAME)))
        .await
        .ok()
        .into_iter()
        .flat_map(|l| l.items)
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .any(|p| {
            p.status
                .and_then(|s| s.conditions)
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        });
    let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client.clone(), "default");
    let name = crate::service_plan::workload::kube_service_name("web");
    let address = services.get_opt(&name).await.ok().flatten().and_then(|s| s.spec?.cluster_ip);
    // Printed once it answers: kube-proxy's rules follow the endpoints by a moment.
    let answering = match address.as_deref().filter(|_| any_ready) {
        Some(ip) => {
            let connect = tokio::net::TcpStream::connect((ip, 80));
            matches!(tokio::time::timeout(Duration::from_millis(500), connect).await, Ok(Ok(_)))
        }
        None => false,
    };
    match address.filter(|_| answering) {
        Some(ip) => format!(
            "\nWEB SERVICE (real containers, through its load balancer, spread over its tasks): curl http://{ip}/\n"
        ),
        None => "\nWEB SERVICE: waiting for a task to pass its health check ...\n".into(),
    }
}

/// One frame of the live view.
pub async fn render(client: &Client) -> anyhow::Result<String> {
    let clusters = Api::<EcsCluster>::all(client.clone()).list(&ListParams::default()).await?.items;
    let instances = Api::<ContainerInstance>::all(client.clone()).list(&ListParams::default()).await?.items;
    let services = Api::<Service>::all(client.clone()).list(&ListParams::default()).await?.items;
    let tasks = Api::<Task>::all(client.clone()).list(&ListParams::default()).await?.items;
    let repositories = Api::<Repository>::all(client.clone()).list(&ListParams::default()).await?.items;
    let schedules = Api::<ScheduledTask>::all(client.clone()).list(&ListParams::default()).await?.items;
    let mut out = String::new();
    let now = jiff::Timestamp::now().strftime("%H:%M:%S");
    let _ = writeln!(out, "kube-ecs demo — {now} — Ctrl-C to stop\n");
    let _ = writeln!(
        out,
        "CLUSTERS\n{:<20} {:<12} {:>9} {:>8} {:>8} {:>9}",
        "NAME", "STATUS", "INSTANCES", "RUNNING", "PENDING", "SERVICES"
    );
    for c in &clusters {
        let s = c.status.clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<20} {:<12} {:>9} {:>8} {:>8} {:>9}",
            c.name_any(),
            s.status.map_or("-", |v| v.as_str()),
            s.registered_container_instances_count.unwrap_or(0),
            s.running_tasks_count.unwrap_or(0),
            s.pending_tasks_count.unwrap_or(0),
            s.active_services_count.unwrap_or(0)
        );
    }
    let _ = writeln!(
        out,
        "\nCONTAINER INSTANCES\n{:<26} {:<10} {:<11} {:<10} {:<9} {:>7} {:>7} {:>9} {:>9}",
        "NAME", "POOL", "TYPE", "CAPACITY", "STATUS", "RUNNING", "PENDING", "CPU FREE", "MEM FREE"
    );
    for i in &instances {
        let st = i.status.clone().unwrap_or_default();
        let free = st.remaining_resources.unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<26} {:<10} {:<11} {:<10} {:<9} {:>7} {:>7} {:>9} {:>9}",
            i.name_any(),
            i.spec.pool.clone().unwrap_or_else(|| "-".into()),
            i.spec.instance_type.clone().unwrap_or_else(|| "-".into()),
            i.spec.capacity_type.clone().unwrap_or_else(|| "-".into()),
            st.status.map_or("-", |v| v.as_str()),
            st.running_tasks_count,
            st.pending_tasks_count,
            free.cpu,
            format!("{}Mi", free.memory)
        );
    }
    let _ = writeln!(
        out,
        "\nSERVICES\n{:<28} {:>7} {:>7} {:>7} {:<16} {:<12}",
        "NAMESPACE/NAME", "DESIRED", "RUNNING", "PENDING", "TASKDEF", "ROLLOUT"
    );
    for s in &services {
        let st = s.status.clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<28} {:>7} {:>7} {:>7} {:<16} {:<12}",
            format!("{}/{}", s.namespace().unwrap_or_default(), s.name_any()),
            st.desired_count.or(s.spec.desired_count).unwrap_or(0),
            st.running_count.unwrap_or(0),
            st.pending_count.unwrap_or(0),
            st.task_definition.unwrap_or_else(|| "-".into()),
            st.rollout_state.map_or("-", |v| v.as_str())
        );
        if let Some(event) = st.events.first() {
            let _ = writeln!(out, "    latest event: {}", event.message);
        }
    }
    let _ = writeln!(
        out,
        "\nREPOSITORIES (ECR)\n{:<28} {:<16} {:>6} {:<10} {:<58}",
        "NAMESPACE/NAME", "REPOSITORY", "IMAGES", "READY", "URI"
    );
    for r in &repositories {
        let st = r.status.clone().unwrap_or_default();
        let ready = crate::api::conditions::find(&st.conditions, crate::api::conditions::READY)
            .map_or("-".to_string(), |c| if c.status == "True" { "True".into() } else { c.reason.clone() });
        let _ = writeln!(
            out,
            "{:<28} {:<16} {:>6} {:<10} {:<58}",
            format!("{}/{}", r.namespace().unwrap_or_default(), r.name_any()),
            r.spec.repository_name,
            st.image_count.unwrap_or(0),
            ready,
            st.repository_uri.unwrap_or_else(|| "-".into())
        );
    }
    let _ = writeln!(
        out,
        "\nSCHEDULED TASKS\n{:<28} {:<20} {:<9} {:>4} {:<21} {:<9} {:<26} {:>4}",
        "NAMESPACE/NAME", "SCHEDULE", "STATE", "RUNS", "NEXT RUN", "LAST RUN", "STOP CODE", "EXIT"
    );
    for schedule in &schedules {
        let st = schedule.status.clone().unwrap_or_default();
        // The latest run's (first) Task, as the TASKS table below shows it.
        let last = st
            .runs
            .first()
            .and_then(|run| run.tasks.first())
            .and_then(|name| tasks.iter().find(|t| t.name_any() == *name && t.namespace() == schedule.namespace()));
        let last = last.and_then(|t| t.status.clone()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<28} {:<20} {:<9} {:>4} {:<21} {:<9} {:<26} {:>4}",
            format!("{}/{}", schedule.namespace().unwrap_or_default(), schedule.name_any()),
            schedule.spec.schedule_expression,
            st.state.clone().unwrap_or_else(|| "-".into()),
            st.runs.len(),
            st.next_run_time.clone().unwrap_or_else(|| "-".into()),
            last.last_status.map_or("-", |v| v.as_str()),
            last.stop_code.map_or("", |v| v.as_str()),
            essential_exit(&last)
        );
    }
    let _ = writeln!(
        out,
        "\nTASKS\n{:<28} {:<14} {:<20} {:<10} {:<26} {:>4}",
        "NAMESPACE/NAME", "STATUS", "TASKDEF", "HEALTH", "STOP CODE", "EXIT"
    );
    for t in &tasks {
        let st = t.status.clone().unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<28} {:<14} {:<20} {:<10} {:<26} {:>4}",
            format!("{}/{}", t.namespace().unwrap_or_default(), t.name_any()),
            st.last_status.map_or("-", |v| v.as_str()),
            st.task_definition.clone().unwrap_or_else(|| "-".into()),
            st.health_status.map_or("-", |v| v.as_str()),
            st.stop_code.map_or("", |v| v.as_str()),
            essential_exit(&st)
        );
    }
    Ok(out)
}

/// The essential container's exit code, once it has one.
fn essential_exit(status: &crate::api::TaskStatus) -> String {
    status
        .containers
        .iter()
        .find(|c| c.essential != Some(false))
        .and_then(|c| c.exit_code)
        .map_or_else(|| "-".to_string(), |code| code.to_string())
}
