//! Flux beside a local cluster: source-controller (fetches GitRepository / OCIRepository sources into
//! artifacts it serves over HTTP) and kustomize-controller (builds and applies them, waits on kstatus),
//! with their CRDs, in the namespace `flux-system`. Outside a Pod they read `KUBECONFIG` (the admin
//! kubeconfig) and `RUNTIME_NAMESPACE`; every listener (metrics, health, the artifact storage) is on
//! 127.0.0.1 at a port picked at start, and the storage advertises that address, where
//! kustomize-controller downloads the artifacts.

use std::path::PathBuf;
use std::time::Duration;

use super::{Error, LocalCluster};

/// The Flux controllers' namespace (their `RUNTIME_NAMESPACE`).
pub const NAMESPACE: &str = "flux-system";

/// How to start Flux.
#[derive(Debug, Clone)]
pub struct FluxOptions {
    /// What `hack/build-tools.sh flux` printed: `source-controller`, `kustomize-controller`, and the
    /// CRDs in `../crds`.
    pub bin: PathBuf,
    /// How long the processes may take to listen.
    pub ready_timeout: Duration,
}

impl FluxOptions {
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Self { bin: bin.into(), ready_timeout: Duration::from_secs(60) }
    }
}

/// A running Flux (its processes belong to the cluster and stop with it).
#[derive(Debug, Clone)]
pub struct Flux {
    storage: String,
}

impl Flux {
    /// Applies the CRDs and the namespace, starts both controllers and waits until they serve health.
    pub fn start(cluster: &LocalCluster, options: &FluxOptions) -> Result<Self, Error> {
        for controller in ["source-controller", "kustomize-controller"] {
            if !options.bin.join(controller).is_file() {
                return Err(Error::Startup(format!(
                    "{controller} not found in {} (build it with `hack/build-tools.sh flux`)",
                    options.bin.display()
                )));
            }
        }
        let dir = super::data_dir(cluster, "flux")?;
        let crds = options.bin.join("../crds");
        super::kubectl_apply(cluster, &crds)?;
        super::wait_established(
            cluster,
            &[
                "gitrepositories.source.toolkit.fluxcd.io",
                "ocirepositories.source.toolkit.fluxcd.io",
                "kustomizations.kustomize.toolkit.fluxcd.io",
            ],
            options.ready_timeout,
        )?;
        super::apply_objects(
            cluster,
            &dir.join("namespace.json"),
            vec![serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})],
        )?;

        let [storage, source_metrics, source_health, kustomize_metrics, kustomize_health] = super::free_ports::<5>()?;
        let tmp = dir.join("tmp");
        let storage_path = dir.join("storage");
        for d in [&tmp, &storage_path] {
            std::fs::create_dir_all(d).map_err(|e| Error::io(format!("creating {}", d.display()), e))?;
        }
        let env = [
            ("KUBECONFIG", cluster.kubeconfig().display().to_string()),
            ("RUNTIME_NAMESPACE", NAMESPACE.to_string()),
            ("TMPDIR", tmp.display().to_string()),
        ];
        let common = |metrics: u16, health: u16| {
            vec![
                format!("--metrics-addr=127.0.0.1:{metrics}"),
                format!("--health-addr=127.0.0.1:{health}"),
                // One instance per cluster: no Lease to hold.
                "--enable-leader-election=false".into(),
                // No notification-controller to send events to.
                "--events-addr=".into(),
                "--log-encoding=console".into(),
            ]
        };
        let storage_address = format!("127.0.0.1:{storage}");
        let mut source_args = common(source_metrics, source_health);
        source_args.extend([
            format!("--storage-path={}", storage_path.display()),
            format!("--storage-addr={storage_address}"),
            format!("--storage-adv-addr={storage_address}"),
        ]);
        super::spawn(cluster, "flux-source-controller", &options.bin.join("source-controller"), &source_args, &env)?;
        super::spawn(
            cluster,
            "flux-kustomize-controller",
            &options.bin.join("kustomize-controller"),
            &common(kustomize_metrics, kustomize_health),
            &env,
        )?;
        super::wait_listening(cluster, "flux-source-controller", source_health, options.ready_timeout)?;
        super::wait_listening(cluster, "flux-kustomize-controller", kustomize_health, options.ready_timeout)?;
        Ok(Self { storage: storage_address })
    }

    /// The address source-controller serves its artifacts on.
    pub fn storage(&self) -> &str {
        &self.storage
    }
}
