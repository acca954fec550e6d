//! Command-line interface: parsed once into typed options, then dispatched.

use std::path::PathBuf;

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
    Run(RunArgs),
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
    /// Start a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) and keep
    /// it up until Ctrl-C.
    LocalCluster {
        /// Directory with the control-plane binaries (`make tools` prints it).
        #[arg(long, env = "KUBE_ECS_TOOLS_BIN")]
        tools_bin: PathBuf,
        /// Generic simulated nodes to create.
        #[arg(long, default_value_t = 3)]
        nodes: u32,
        /// Also write the admin kubeconfig here (stays after the cluster stops).
        #[arg(long)]
        kubeconfig_out: Option<PathBuf>,
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
}

impl RunArgs {
    /// The operator configuration these options describe.
    pub fn operator_config(&self) -> crate::context::OperatorConfig {
        crate::context::OperatorConfig {
            stopped_task_retention: std::time::Duration::from_secs(self.stopped_task_retention_seconds),
            ..Default::default()
        }
    }
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run_operator(args).await,
        Command::Crdgen { out } => crdgen(&out),
        Command::Demo { tools_bin, examples, seconds } => {
            init_logging_with("text", "warn");
            crate::demo::run(tools_bin, &examples, seconds.map(std::time::Duration::from_secs)).await
        }
        Command::LocalCluster { tools_bin, nodes, kubeconfig_out } => {
            local_cluster(tools_bin, nodes, kubeconfig_out).await
        }
    }
}

async fn run_operator(args: RunArgs) -> anyhow::Result<()> {
    init_logging(&args.log_format);
    let client = build_client(args.kube_api_qps, args.kube_api_burst).await?;
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
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    crate::controllers::run(ctx, shutdown).await;
    tracing::info!("kube-ecs operator stopped");
    Ok(())
}

/// A client from the environment (in-cluster or KUBECONFIG), rate limited when `qps` > 0.
async fn build_client(qps: f64, burst: u32) -> anyhow::Result<kube::Client> {
    let config = kube::Config::infer().await.context("loading the Kubernetes client configuration")?;
    let builder = kube::client::ClientBuilder::try_from(config)?
        .with_layer(&crate::user_agent::UserAgentLayer(crate::user_agent::operator_user_agent()));
    if qps <= 0.0 {
        return Ok(builder.build());
    }
    let layer = crate::rate_limit::RateLimitLayer::new(qps, burst);
    Ok(builder.with_layer(&layer).build())
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

async fn local_cluster(tools_bin: PathBuf, nodes: u32, kubeconfig_out: Option<PathBuf>) -> anyhow::Result<()> {
    let mut options = LocalClusterOptions::new(tools_bin);
    options.generic_nodes = nodes;
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
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    eprintln!("stopping ...");
    drop(cluster);
    Ok(())
}
