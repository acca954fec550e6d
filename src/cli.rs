//! Command-line interface: parsed once into typed options, then dispatched.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::local_cluster::{LocalCluster, LocalClusterOptions};

/// The Amazon ECS experience on any Kubernetes cluster.
#[derive(Parser, Debug)]
#[command(name = "kube-ecs", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the operator: reconcile EcsClusters, TaskDefinitions, Tasks and Services.
    Run(Box<RunArgs>),
    /// The demo: start a local control plane, install the CRDs, run the operator, apply the example
    /// ECS manifests and show their live status until Ctrl-C.
    Demo {
        /// Directory with the control-plane binaries (`make tools` prints it).
        #[arg(long, env = "KUBE_ECS_TOOLS_BIN")]
        tools_bin: PathBuf,
        /// Manifests to apply.
        #[arg(long, default_value = "examples")]
        examples: PathBuf,
        /// Stop after this many seconds instead of waiting for Ctrl-C.
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Write the CustomResourceDefinitions generated from the Rust types.
    Crdgen {
        /// Directories to write `*.yaml` into (e.g. `crds` and `charts/kube-ecs/crds`); stdout if none.
        #[arg(long = "out")]
        out: Vec<PathBuf>,
    },
    /// Turn ECS JSON (AWS CLI output or input) into kube-ecs manifests on stdout; what is not imported
    /// is listed on stderr.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Start a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) and keep
    /// it up until Ctrl-C.
    LocalCluster {
        /// Directory with the control-plane binaries (`make tools` prints it).
        #[arg(long, env = "KUBE_ECS_TOOLS_BIN")]
        tools_bin: PathBuf,
        /// Generic simulated nodes to create.
        #[arg(long, default_value_t = 3)]
        nodes: u32,
        /// Real container instances to start (a kubelet with containerd each; root), with the local
        /// registries (anonymous public names, and the ECR stand-in).
        #[arg(long, default_value_t = 0)]
        real_nodes: u32,
        /// Also write the admin kubeconfig here (stays after the cluster stops).
        #[arg(long)]
        kubeconfig_out: Option<PathBuf>,
    },
    /// A task's or service's container logs (their awslogs streams), as the CloudWatch Logs API reads them.
    Logs(crate::logs::LogsArgs),
    /// The web console on 127.0.0.1, as your kubeconfig's identity: prints a one-time sign-in URL.
    Console(crate::console::ConsoleArgs),
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// `aws ecs describe-task-definition` output or `register-task-definition --cli-input-json` input.
    TaskDefinition {
        /// The JSON file (`-` for stdin).
        file: PathBuf,
    },
    /// `aws ecs describe-services` output or `create-service --cli-input-json` input.
    Service {
        /// The JSON file (`-` for stdin).
        file: PathBuf,
    },
}

/// Options of the operator.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// How long a STOPPED task stays visible before it is deleted, in seconds (ECS keeps them an hour).
    #[arg(long, env = "KUBE_ECS_STOPPED_TASK_RETENTION", default_value_t = 3600)]
    pub stopped_task_retention_seconds: u64,
    /// Client-side limit on requests per second to the API server (0: unlimited).
    #[arg(long, env = "KUBE_ECS_KUBE_API_QPS", default_value_t = 50.0)]
    pub kube_api_qps: f64,
    /// Requests allowed in a burst above the QPS limit.
    #[arg(long, env = "KUBE_ECS_KUBE_API_BURST", default_value_t = 100)]
    pub kube_api_burst: u32,
    /// Log format: `text` or `json`.
    #[arg(long, env = "KUBE_ECS_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
    /// Address of the /metrics, /healthz and /readyz endpoint (empty: off).
    #[arg(long, env = "KUBE_ECS_METRICS_BIND_ADDRESS", default_value = "0.0.0.0:8080")]
    pub metrics_bind_address: String,
    /// Run the controllers only while holding the leader Lease (for several replicas).
    #[arg(long, env = "KUBE_ECS_LEADER_ELECTION")]
    pub leader_election: bool,
    /// Namespace of the leader Lease (defaults to the pod's namespace, else `default`).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub leader_election_namespace: String,
    /// Name of the leader Lease.
    #[arg(long, default_value = "kube-ecs-leader")]
    pub leader_election_lease_name: String,
    /// Seconds a lease is valid without renewal; a standby takes over within this after the leader dies.
    #[arg(long, default_value_t = 15)]
    pub leader_election_lease_seconds: u64,
    /// This instance's identity (the pod name in a cluster).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    #[command(flatten)]
    pub ecs_api: EcsApiArgs,
    #[command(flatten)]
    pub ecr: crate::ecr::EcrArgs,
    #[command(flatten)]
    pub console: crate::console_in_operator::OperatorConsoleArgs,
}

/// Options of the ECS API endpoint (docs/ecs-api.md).
#[derive(clap::Args, Debug, Clone)]
pub struct EcsApiArgs {
    /// Serve the ECS API (AWS JSON 1.1, SigV4) on this address; empty: off. Plain HTTP only on a
    /// loopback address: elsewhere give --ecs-api-tls-cert and --ecs-api-tls-key.
    #[arg(long, env = "KUBE_ECS_ECS_API_BIND_ADDRESS", default_value = "")]
    pub ecs_api_bind_address: String,
    /// The region in ARNs and in the requests' credential scope.
    #[arg(long, env = "KUBE_ECS_ECS_API_REGION", default_value = "us-east-1")]
    pub ecs_api_region: String,
    /// The 12-digit account ID in ARNs.
    #[arg(long, env = "KUBE_ECS_ECS_API_ACCOUNT", default_value = "000000000000")]
    pub ecs_api_account: String,
    /// Namespace of the access-key Secrets: the pod's namespace, else `kube-ecs-system`. Never a
    /// namespace where others may write Secrets: a key names whom the endpoint impersonates.
    #[arg(long, env = "POD_NAMESPACE", default_value = "kube-ecs-system")]
    pub ecs_api_keys_namespace: String,
    /// PEM certificate chain to serve the ECS API over HTTPS.
    #[arg(long, env = "KUBE_ECS_ECS_API_TLS_CERT", requires = "ecs_api_tls_key")]
    pub ecs_api_tls_cert: Option<PathBuf>,
    /// PEM private key of --ecs-api-tls-cert.
    #[arg(long, env = "KUBE_ECS_ECS_API_TLS_KEY", requires = "ecs_api_tls_cert")]
    pub ecs_api_tls_key: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "KUBE_ECS_ECS_API_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub ecs_api_max_body_bytes: usize,
    /// Check every response against botocore's model (tests): a mismatch answers ServerException.
    #[arg(long, env = "KUBE_ECS_ECS_API_CHECK_RESPONSES")]
    pub ecs_api_check_responses: bool,
    /// How long clusters and services deleted through the API stay visible as INACTIVE (ECS keeps
    /// them about an hour).
    #[arg(long, env = "KUBE_ECS_ECS_API_INACTIVE_RETENTION_SECONDS", default_value_t = 3600)]
    pub ecs_api_inactive_retention_seconds: u64,
}

impl EcsApiArgs {
    /// The endpoint's configuration, when it is on.
    pub fn config(&self) -> anyhow::Result<Option<kube_ecs_endpoint::EndpointConfig>> {
        if self.ecs_api_bind_address.is_empty() {
            return Ok(None);
        }
        let listen = self.ecs_api_bind_address.parse().context("--ecs-api-bind-address must be host:port")?;
        let mut config = kube_ecs_endpoint::EndpointConfig::new(listen, self.ecs_api_keys_namespace.clone());
        config.region = self.ecs_api_region.clone();
        config.account = self.ecs_api_account.clone();
        config.max_body_bytes = self.ecs_api_max_body_bytes;
        config.check_responses = self.ecs_api_check_responses;
        config.inactive_retention = std::time::Duration::from_secs(self.ecs_api_inactive_retention_seconds);
        if let (Some(certificate), Some(private_key)) = (&self.ecs_api_tls_cert, &self.ecs_api_tls_key) {
            config.tls = Some(kube_ecs_endpoint::TlsFiles {
                certificate: certificate.clone(),
                private_key: private_key.clone(),
            });
        }
        config.validate().map_err(|e| anyhow::anyhow!(e))?;
        Ok(Some(config))
    }
}

impl RunArgs {
    /// The operator configuration these options describe.
    pub fn operator_config(&self) -> crate::context::OperatorConfig {
        let mut config = crate::context::OperatorConfig {
            stopped_task_retention: std::time::Duration::from_secs(self.stopped_task_retention_seconds),
            ..Default::default()
        };
        if let Some(identity) = &self.identity {
            config.instance = identity.clone();
        }
        config
    }

    fn lease_settings(&self, identity: String) -> crate::leader::LeaseSettings {
        let duration = std::time::Duration::from_secs(self.leader_election_lease_seconds.max(3));
        crate::leader::LeaseSettings {
            namespace: self.leader_election_namespace.clone(),
            name: self.leader_election_lease_name.clone(),
            identity,
            lease_duration: duration,
            // client-go's proportions: renew deadline 2/3 and retry period 2/15 of the lease.
            renew_deadline: duration * 2 / 3,
            retry_period: duration * 2 / 15,
        }
    }
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run_operator(*args).await,
        Command::Crdgen { out } => crdgen(&out),
        Command::Import(what) => import(what),
        Command::Logs(args) => args.run().await,
        Command::Console(args) => {
            // A watch the identity may not make is expected (the page shows the refusal): the
            // watcher's retries are not worth a warning each.
            init_logging_with("text", "warn,kube_client::client::tls=error,kube_runtime::watcher=error");
            args.run().await
        }
        Command::Demo { tools_bin, examples, seconds } => {
            // The local cluster's self-signed certificate is skipped on purpose (see local_cluster);
            // kube warns about that for every client it builds.
            init_logging_with("text", "warn,kube_client::client::tls=error");
            crate::demo::run(tools_bin, &examples, seconds.map(std::time::Duration::from_secs)).await
        }
        Command::LocalCluster { tools_bin, nodes, real_nodes, kubeconfig_out } => {
            local_cluster(tools_bin, nodes, real_nodes, kubeconfig_out).await
        }
    }
}

/// How long the controllers get to finish their reconciles after a termination request.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

async fn run_operator(args: RunArgs) -> anyhow::Result<()> {
    let termination = crate::signals::Termination::install().context("installing the signal handlers")?;
    init_logging(&args.log_format);
    let ecs_api = args.ecs_api.config()?;
    let (kube_config, client) = build_client(args.kube_api_qps, args.kube_api_burst).await?;
    let ecs = &args.ecs_api;
    let ecr =
        args.ecr.start(&ecs.ecs_api_region, &ecs.ecs_api_account, &ecs.ecs_api_keys_namespace, client.clone()).await?;
    // With the ECS API on, its access keys sign in to the console too (the same Secrets, watched here
    // as well); the ECR pages' push commands name the registry's proxy endpoint (where users push).
    if !args.console.console_bind_address.is_empty() {
        let keys = ecs_api.is_some().then(|| {
            let (store, feed) =
                kube_ecs_endpoint::keys::KeyStore::watch(client.clone(), &args.ecs_api.ecs_api_keys_namespace);
            tokio::spawn(feed);
            Arc::new(crate::console::EndpointKeys(store)) as Arc<dyn kube_ecs_console::sign_in::AccessKeys>
        });
        let registry = ecr.as_ref().map(|ecr| ecr.proxy_endpoint.clone());
        args.console.start(&kube_config, keys, registry).await?;
    }
    if let Some(config) = ecs_api {
        // Every replica serves the API: it keeps no state of its own, the apiserver has it all.
        let client = client.clone();
        let registry = ecr.as_ref().map(crate::ecr::Ecr::endpoint_parts);
        tokio::spawn(async move {
            if let Err(e) = kube_ecs_endpoint::run(config, kube_config, client, registry).await {
                // Asked for and not served: fail loudly (the pod restarts, its logs say why)
                // rather than run on with an endpoint that callers cannot reach.
                tracing::error!(error = %e, "the ECS API endpoint stopped");
                std::process::exit(1);
            }
        });
    }
    let ctx = std::sync::Arc::new(crate::context::Context::new(client, args.operator_config()));
    tracing::info!("kube-ecs operator starting");
    let resync = ctx.resync.clone();
    tokio::spawn(async move {
        // SIGHUP: reconcile everything once (a forced full resync).
        if let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            while hangups.recv().await.is_some() {
                tracing::info!("SIGHUP: full resync");
                let _ = resync.send(());
            }
        }
    });
    let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if !args.metrics_bind_address.is_empty() {
        let addr: std::net::SocketAddr =
            args.metrics_bind_address.parse().context("--metrics-bind-address must be host:port")?;
        let (ctx, started) = (ctx.clone(), started.clone());
        tokio::spawn(async move {
            if let Err(e) = crate::http_server::serve(addr, ctx, started).await {
                tracing::error!(error = %e, %addr, "the metrics endpoint stopped");
            }
        });
    }
    let metrics = crate::metrics::Metrics::global();
    let elector = args.leader_election.then(|| {
        crate::leader::LeaderElector::new(ctx.client.clone(), args.lease_settings(ctx.config.instance.clone()))
    });
    if let Some(elector) = &elector {
        // A standby is ready: it serves its endpoints and waits for the lease.
        started.store(true, std::sync::atomic::Ordering::Relaxed);
        tokio::select! {
            () = elector.acquire() => {}
            () = termination.requested() => return Ok(()),
        }
    }
    // The controllers stop on SIGTERM/Ctrl-C or when the lease is lost. The watcher runs as its own
    // task: the shutdown future must be shareable between the controllers.
    let elector = std::sync::Arc::new(elector);
    let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    {
        let (elector, lost, termination) = (elector.clone(), lost.clone(), termination.clone());
        tokio::spawn(async move {
            match elector.as_ref() {
                Some(elector) => tokio::select! {
                    () = termination.requested() => {}
                    () = elector.hold() => lost.store(true, std::sync::atomic::Ordering::Relaxed),
                },
                None => termination.requested().await,
            }
            let _ = stop_tx.send(());
        });
    }
    let shutdown = async move {
        let _ = stop_rx.await;
    };
    let caches = ctx.caches().clone();
    let ready_flag = started.clone();
    tokio::spawn(async move {
        caches.ready().await;
        ready_flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    metrics.ready.store(true, std::sync::atomic::Ordering::Relaxed);
    // A reconcile stuck on a slow API call must not keep a terminating operator alive: after a
    // termination request the controllers get SHUTDOWN_GRACE to finish, then the process goes on.
    let bounded = {
        let termination = termination.clone();
        async move {
            termination.requested().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        }
    };
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    let repositories = {
        let (ctx, shutdown) = (ctx.clone(), shutdown.clone());
        let settings = ecr.as_ref().map(|e| e.settings.clone());
        async move {
            match settings {
                Some(settings) => crate::controllers::repository::run(ctx, settings, shutdown).await,
                None => shutdown.await,
            }
        }
    };
    let controllers = async { futures::join!(crate::controllers::run(ctx, shutdown), repositories) };
    tokio::select! {
        _ = controllers => {}
        () = bounded => tracing::warn!("controllers did not stop within {SHUTDOWN_GRACE:?}; exiting"),
    }
    metrics.ready.store(false, std::sync::atomic::Ordering::Relaxed);
    if lost.load(std::sync::atomic::Ordering::Relaxed) {
        anyhow::bail!("lost the leader lease: stopped reconciling (a restart makes this instance a standby)");
    }
    if let Some(elector) = elector.as_ref() {
        elector.release().await;
    }
    tracing::info!("kube-ecs operator stopped");
    Ok(())
}

/// A client from the environment (in-cluster or KUBECONFIG), rate limited when `qps` > 0, and the
/// configuration it was built from (the ECS API builds its impersonating clients from it).
async fn build_client(qps: f64, burst: u32) -> anyhow::Result<(kube::Config, kube::Client)> {
    let config = kube::Config::infer().await.context("loading the Kubernetes client configuration")?;
    let builder = kube::client::ClientBuilder::try_from(config.clone())?
        .with_layer(&crate::user_agent::UserAgentLayer(crate::user_agent::operator_user_agent()));
    if qps <= 0.0 {
        return Ok((config, builder.build()));
    }
    let layer = crate::rate_limit::RateLimitLayer::new(qps, burst);
    Ok((config, builder.with_layer(&layer).build()))
}

fn import(what: ImportCommand) -> anyhow::Result<()> {
    type Convert = fn(&serde_json::Value) -> Result<crate::import::Imported, String>;
    let (file, convert): (PathBuf, Convert) = match what {
        ImportCommand::TaskDefinition { file } => (file, crate::import::task_definition),
        ImportCommand::Service { file } => (file, crate::import::service),
    };
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?
    };
    let input: serde_json::Value = serde_json::from_str(&text).context("the input is not JSON")?;
    let imported = convert(&input).map_err(|e| anyhow::anyhow!(e))?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    print!("{}", crate::import::to_yaml(&imported.manifests)?);
    Ok(())
}

fn init_logging(format: &str) {
    init_logging_with(format, "info,kube_runtime=warn");
}

/// Logs go to stderr (stdout carries command output, e.g. the demo's live view).
fn init_logging_with(format: &str, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}

fn crdgen(out: &[PathBuf]) -> anyhow::Result<()> {
    let crds = crate::crdgen::all();
    if out.is_empty() {
        for (_, crd) in &crds {
            print!("---\n{}", crate::crdgen::render(crd)?);
        }
        return Ok(());
    }
    for dir in out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (file, crd) in &crds {
            let path = dir.join(file);
            std::fs::write(&path, crate::crdgen::render(crd)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

async fn local_cluster(
    tools_bin: PathBuf,
    nodes: u32,
    real_nodes: u32,
    kubeconfig_out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let termination = crate::signals::Termination::install().context("installing the signal handlers")?;
    let mut options = LocalClusterOptions::new(tools_bin);
    options.generic_nodes = nodes;
    options.real_nodes = real_nodes;
    eprintln!("starting the local control plane ...");
    let cluster = LocalCluster::start(options).await?;
    let kubeconfig = match &kubeconfig_out {
        Some(path) => {
            std::fs::copy(cluster.kubeconfig(), path).with_context(|| format!("writing {}", path.display()))?;
            path.clone()
        }
        None => cluster.kubeconfig().to_path_buf(),
    };
    eprintln!("control plane ready in {:.1}s at {}", cluster.started_in().as_secs_f64(), cluster.server());
    let kubectl = cluster.tools_bin().join("kubectl");
    let _ = std::process::Command::new(&kubectl)
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .args(["get", "nodes", "-o", "wide"])
        .status();
    println!("\nkubeconfig: {}", kubeconfig.display());
    println!("try:        {} --kubeconfig={} get nodes", kubectl.display(), kubeconfig.display());
    println!("logs:       {}", cluster.dir().display());
    println!("apiserver:  127.0.0.1:{} (real nodes reach it at their node IP, same port)", cluster.apiserver_port());
    if let Some(dns) = cluster.dns_service_ip() {
        println!(
            "services:   {} routed from this host (curl a ClusterIP); cluster DNS {dns} (dig @{dns} <svc>.<ns>.svc.cluster.local)",
            cluster.service_cidr()
        );
    }
    if let Some(public) = cluster.public_registry() {
        println!("registry:   {} (anonymous; serves {})", public.address(), public.hosts().join(", "));
    }
    if let Some(ecr) = cluster.ecr() {
        let user = ecr.credentials().map(|(u, _)| u).unwrap_or_default();
        println!(
            "ecr:        {} (user {user}; the registry under ECR, and serves {} to nodes)",
            ecr.address(),
            ecr.hosts().join(", ")
        );
    }
    if let Some(reader) = cluster.ecr_for_nodes() {
        println!("ecr nodes:  {} (read-only; serves {} to nodes)", reader.address(), reader.hosts().join(", "));
    }
    println!("press Ctrl-C to stop");
    termination.requested().await;
    eprintln!("stopping ...");
    drop(cluster);
    Ok(())
}
