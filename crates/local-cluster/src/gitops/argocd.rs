//! Argo CD beside a local cluster: application-controller and repo-server (the one `argocd` binary,
//! named by `ARGOCD_BINARY_NAME`), Redis (Debian's `redis-server`, their cache), the Application and
//! AppProject CRDs, `argocd-cm` / `argocd-secret` and the AppProject `default`. No API server, UI or
//! Dex: Applications are written with kubectl or a client, as a GitOps repository would.
//!
//! How it runs outside a Pod: `ARGOCD_FAKE_IN_CLUSTER=true` with `KUBECONFIG` makes the in-cluster
//! destination (`https://kubernetes.default.svc`) the admin kubeconfig; the repo-server serves plain
//! gRPC (`--disable-tls`) on 127.0.0.1 and runs `git` and `helm` from PATH (the tools' helm, Debian's
//! git, and Argo CD's `git-verify-wrapper.sh`). Git sources are `file://` URLs of bare repositories.
//!
//! Listening: Redis, the repo-server and its metrics on 127.0.0.1 only; the application-controller's
//! metrics and health server binds `0.0.0.0:<--metrics-port>` (Argo CD hard-codes the host,
//! controller/appcontroller.go), at a port picked at start: the one listener not on loopback.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Error, LocalCluster};

/// The CRDs the controller needs (ApplicationSets are not run).
const CRDS: [&str; 2] = ["application-crd.yaml", "appproject-crd.yaml"];
const CRD_NAMES: [&str; 2] = ["applications.argoproj.io", "appprojects.argoproj.io"];

/// How to start Argo CD.
#[derive(Debug, Clone)]
pub struct ArgoCdOptions {
    /// What `hack/build-tools.sh argocd` printed: `argocd` and `git-verify-wrapper.sh` in it, the
    /// CRDs in `../crds`.
    pub bin: PathBuf,
    /// Where Argo CD's objects live (Applications, AppProjects, settings).
    pub namespace: String,
    /// Extra `argocd-cm` entries: health checks (`resource.customizations.health.<group>_<Kind>`), ...
    pub settings: BTreeMap<String, String>,
    /// `timeout.reconciliation`: how often an Application is compared with Git and its resources'
    /// health recomputed without a change Argo CD acts on (its default is 120 s plus up to 60 s of
    /// jitter; a refresh annotation asks for one at once). Argo CD refreshes at once on a resource
    /// change only if its health status or its manifest without `status` changed.
    pub reconciliation: Duration,
    /// How long the processes may take to listen.
    pub ready_timeout: Duration,
}

impl ArgoCdOptions {
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Self {
            bin: bin.into(),
            namespace: "argocd".into(),
            settings: BTreeMap::new(),
            reconciliation: Duration::from_secs(30),
            ready_timeout: Duration::from_secs(60),
        }
    }
}

/// A running Argo CD (its processes belong to the cluster and stop with it).
#[derive(Debug, Clone)]
pub struct ArgoCd {
    namespace: String,
    repo_server: String,
}

impl ArgoCd {
    /// Applies the CRDs and settings, starts Redis, the repo-server and the application-controller,
    /// and waits until they listen.
    pub fn start(cluster: &LocalCluster, options: &ArgoCdOptions) -> Result<Self, Error> {
        let argocd = options.bin.join("argocd");
        if !argocd.is_file() {
            return Err(Error::Startup(format!(
                "{} not found (build it with `hack/build-tools.sh argocd`)",
                argocd.display()
            )));
        }
        let redis = which("redis-server").ok_or_else(|| {
            Error::Startup("redis-server not found on PATH (hack/install-deps.sh installs Debian's)".into())
        })?;
        let dir = super::data_dir(cluster, "argocd")?;
        let crds = options.bin.join("../crds");
        for crd in CRDS {
            super::kubectl_apply(cluster, &crds.join(crd))?;
        }
        super::wait_established(cluster, &CRD_NAMES, options.ready_timeout)?;
        super::apply_objects(cluster, &dir.join("settings.json"), settings(options)?)?;

        let [redis_port, repo_port, repo_metrics, controller_metrics] = super::free_ports::<4>()?;
        super::spawn(
            cluster,
            "argocd-redis",
            &redis,
            &[
                "--bind".into(),
                "127.0.0.1".into(),
                "--port".into(),
                redis_port.to_string(),
                // A cache: nothing to persist.
                "--save".into(),
                String::new(),
                "--appendonly".into(),
                "no".into(),
                "--dir".into(),
                dir.display().to_string(),
            ],
            &[],
        )?;
        super::wait_listening(cluster, "argocd-redis", redis_port, options.ready_timeout)?;

        let env = environment(cluster, options, &dir)?;
        let redis_address = format!("127.0.0.1:{redis_port}");
        let with_name = |name: &str| {
            let mut env = env.clone();
            env.push(("ARGOCD_BINARY_NAME", name.to_string()));
            env
        };
        super::spawn(
            cluster,
            "argocd-repo-server",
            &argocd,
            &[
                "--address=127.0.0.1".into(),
                format!("--port={repo_port}"),
                "--metrics-address=127.0.0.1".into(),
                format!("--metrics-port={repo_metrics}"),
                "--disable-tls".into(),
                // Its default (a file under /app) is refused together with --disable-tls.
                "--client-ca-path=".into(),
                format!("--redis={redis_address}"),
                "--logformat=text".into(),
            ],
            &with_name("argocd-repo-server"),
        )?;
        super::wait_listening(cluster, "argocd-repo-server", repo_port, options.ready_timeout)?;
        let repo_server = format!("127.0.0.1:{repo_port}");
        // Upstream's StatefulSet passes argocd-cm's timeout.reconciliation to the controller in these
        // variables (the controller does not read that key itself); no jitter, so a test knows when the
        // next comparison comes.
        let mut controller_env = with_name("argocd-application-controller");
        controller_env.push(("ARGOCD_RECONCILIATION_TIMEOUT", format!("{}s", options.reconciliation.as_secs())));
        controller_env.push(("ARGOCD_RECONCILIATION_JITTER", "0s".into()));
        super::spawn(
            cluster,
            "argocd-application-controller",
            &argocd,
            &[
                format!("--namespace={}", options.namespace),
                format!("--repo-server={repo_server}"),
                "--repo-server-plaintext".into(),
                format!("--redis={redis_address}"),
                format!("--metrics-port={controller_metrics}"),
                "--logformat=text".into(),
                // A test cluster has a handful of Applications; upstream's 20/10 only cost memory.
                "--status-processors=4".into(),
                "--operation-processors=4".into(),
                // Each resource's health in the Application's status (off by default since v3, where
                // only the resource tree in Redis has it): what `kubectl get application -o yaml`
                // and the tests read.
                "--persist-resource-health".into(),
            ],
            &controller_env,
        )?;
        super::wait_listening(cluster, "argocd-application-controller", controller_metrics, options.ready_timeout)?;
        Ok(Self { namespace: options.namespace.clone(), repo_server })
    }

    /// The namespace of Applications and AppProjects.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The repo-server's address (plain gRPC).
    pub fn repo_server(&self) -> &str {
        &self.repo_server
    }
}

/// The namespace, `argocd-cm`, `argocd-secret` and the AppProject `default`.
fn settings(options: &ArgoCdOptions) -> Result<Vec<serde_json::Value>, Error> {
    let ns = &options.namespace;
    // Argo CD's settings informers only see objects with this label.
    let labels = serde_json::json!({"app.kubernetes.io/part-of": "argocd"});
    let mut cm = options.settings.clone();
    cm.insert("timeout.reconciliation".into(), format!("{}s", options.reconciliation.as_secs()));
    Ok(vec![
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": ns, "labels": labels}, "data": cm}),
        serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "argocd-secret", "namespace": ns, "labels": labels},
            "stringData": {"server.secretkey": random_hex(32)?}}),
        serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
            "metadata": {"name": "default", "namespace": ns},
            "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}}),
    ])
}

/// The processes' environment: the fake in-cluster config, PATH with the wrapper, helm and git, and a
/// HOME and TMPDIR of their own (git and helm write there).
fn environment(
    cluster: &LocalCluster,
    options: &ArgoCdOptions,
    dir: &Path,
) -> Result<Vec<(&'static str, String)>, Error> {
    let home = dir.join("home");
    let tmp = dir.join("tmp");
    for d in [&home, &tmp] {
        std::fs::create_dir_all(d).map_err(|e| Error::io(format!("creating {}", d.display()), e))?;
    }
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    Ok(vec![
        ("ARGOCD_FAKE_IN_CLUSTER", "true".into()),
        ("KUBECONFIG", cluster.kubeconfig().display().to_string()),
        ("PATH", format!("{}:{}:{path}", options.bin.display(), cluster.tools_bin().display())),
        ("HOME", home.display().to_string()),
        ("TMPDIR", tmp.display().to_string()),
        // No GnuPG keyring here: commit signatures are not verified.
        ("ARGOCD_GPG_ENABLED", "false".into()),
    ])
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

fn random_hex(bytes: usize) -> Result<String, Error> {
    use std::io::Read as _;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| Error::io("reading /dev/urandom", e))?;
    Ok(hex::encode(buf))
}
