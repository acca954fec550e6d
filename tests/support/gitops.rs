//! The GitOps harness: Argo CD and Flux (an optional tool group each, built on demand by
//! `hack/build-tools.sh <group>` when the test binary's environment does not name a built one, then
//! started once per test binary beside its cluster) and Git repositories the tests push to.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kube::api::{Api, ApiResource, DynamicObject};
use kube_ecs::local_cluster::gitops::{ArgoCd, ArgoCdOptions, Flux, FluxOptions};

/// The bin directory of an optional tool group (`argocd`, `flux`): `$KUBE_ECS_<GROUP>_BIN` if set,
/// else what `hack/build-tools.sh <group>` builds or finds in its cache. CI starts cold, so this
/// may build for several minutes; it never skips: a tool that cannot be built fails the test.
pub fn tools(group: &str) -> PathBuf {
    let variable = format!("KUBE_ECS_{}_BIN", group.to_uppercase());
    if let Some(dir) = std::env::var_os(&variable) {
        return PathBuf::from(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("hack/build-tools.sh");
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(&script)
        .arg(group)
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("running hack/build-tools.sh {group}: {e}"));
    assert!(
        output.status.success(),
        "hack/build-tools.sh {group} could not build the {group} tools the GitOps tests need (its log is above; \
         set {variable} to a directory with them to use a build of your own)"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let bin = PathBuf::from(stdout.lines().last().expect("build-tools.sh prints the bin directory").trim());
    eprintln!("{group} tools ready in {:.0?}: {}", started.elapsed(), bin.display());
    bin
}

/// Argo CD beside this test binary's cluster, with the project's health checks (deploy/argocd) in
/// `argocd-cm`; started once.
pub fn argocd() -> &'static ArgoCd {
    static ARGOCD: OnceLock<ArgoCd> = OnceLock::new();
    ARGOCD.get_or_init(|| {
        let cluster = super::cluster();
        let mut options = ArgoCdOptions::new(tools("argocd"));
        options.settings = shipped_health_checks();
        // Pushes are followed by a refresh request (what Git's webhook does); the periodic
        // comparison is the fallback.
        options.reconciliation = Duration::from_secs(10);
        let started = Instant::now();
        let argocd = ArgoCd::start(cluster, &options).unwrap_or_else(|e| panic!("starting Argo CD: {e}"));
        eprintln!("Argo CD started in {:.1?}", started.elapsed());
        argocd
    })
}

/// Flux beside this test binary's cluster; started once.
pub fn flux() -> &'static Flux {
    static FLUX: OnceLock<Flux> = OnceLock::new();
    FLUX.get_or_init(|| {
        let cluster = super::cluster();
        let started = Instant::now();
        let flux =
            Flux::start(cluster, &FluxOptions::new(tools("flux"))).unwrap_or_else(|e| panic!("starting Flux: {e}"));
        eprintln!("Flux started in {:.1?}", started.elapsed());
        flux
    })
}

/// The `argocd-cm` entries of deploy/argocd/argocd-cm-patch.yaml: what a user installs.
fn shipped_health_checks() -> std::collections::BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/argocd/argocd-cm-patch.yaml");
    let text = std::fs::read_to_string(path).expect("reading deploy/argocd/argocd-cm-patch.yaml");
    #[derive(serde::Deserialize)]
    struct Patch {
        data: std::collections::BTreeMap<String, String>,
    }
    serde_yaml::from_str::<Patch>(&text).expect("argocd-cm-patch.yaml has data").data
}

/// Argo CD's Application kind.
pub fn application_resource() -> ApiResource {
    ApiResource {
        group: "argoproj.io".into(),
        version: "v1alpha1".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: "Application".into(),
        plural: "applications".into(),
    }
}

/// Applications in Argo CD's namespace.
pub fn applications(client: &kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), argocd().namespace(), &application_resource())
}

/// (sync status, health status) of an Application.
pub fn app_state(app: &DynamicObject) -> (String, String) {
    let status = &app.data["status"];
    (
        status["sync"]["status"].as_str().unwrap_or_default().to_string(),
        status["health"]["status"].as_str().unwrap_or_default().to_string(),
    )
}

/// A Git repository the tests push to: a bare repository (what Argo CD and Flux read) and a work
/// tree, in the cluster's data directory.
pub struct GitRepo {
    bare: PathBuf,
    work: PathBuf,
}

impl GitRepo {
    /// An empty repository named `name` with the branch `main`.
    pub fn new(name: &str) -> Self {
        let root = super::cluster().dir().join("git").join(name);
        let (bare, work) = (root.join("repo.git"), root.join("work"));
        std::fs::create_dir_all(&work).expect("creating the git work tree");
        git(&root, &["init", "--quiet", "--bare", "--initial-branch=main", "repo.git"]);
        git(&work, &["init", "--quiet", "--initial-branch=main"]);
        git(&work, &["remote", "add", "origin", &bare.display().to_string()]);
        Self { bare, work }
    }

    /// The URL Argo CD clones (`file://`).
    pub fn file_url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    /// The bare repository.
    pub fn bare(&self) -> &Path {
        &self.bare
    }

    /// The work tree.
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// Writes `content` to `path` in the work tree.
    pub fn write(&self, path: &str, content: &str) {
        let file = self.work.join(path);
        std::fs::create_dir_all(file.parent().expect("a file in a directory")).expect("creating a directory");
        std::fs::write(&file, content).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
    }

    /// Removes `path` from the work tree.
    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.work.join(path)).unwrap_or_else(|e| panic!("removing {path}: {e}"));
    }

    /// Commits everything in the work tree and pushes it to `main`; returns the commit.
    pub fn push(&self, message: &str) -> String {
        git(&self.work, &["add", "--all"]);
        git(
            &self.work,
            &[
                "-c",
                "user.name=kube-ecs tests",
                "-c",
                "user.email=tests@kube-ecs.dev",
                "commit",
                "--quiet",
                "-m",
                message,
            ],
        );
        git(&self.work, &["push", "--quiet", "origin", "main"]);
        git(&self.work, &["rev-parse", "HEAD"]).trim().to_string()
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running git {}: {e}", args.join(" ")));
    assert!(output.status.success(), "git {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The repository both tools sync: kube-ecs's CRDs, an EcsCluster on the real nodes, TaskDefinitions,
/// a Service with the circuit breaker and a batch Task. The `argocd.argoproj.io/sync-wave` annotations
/// order Argo CD's sync (Flux ignores them: it applies CRDs first and the rest in one pass, and its
/// `wait` covers the order in which things become ready).
pub fn cluster_yaml(ns: &str) -> String {
    format!(
        "apiVersion: ecs.kube-ecs.dev/v1alpha1\nkind: EcsCluster\nmetadata:\n  name: {ns}\n  annotations:\n    \
         argocd.argoproj.io/sync-wave: \"1\"\nspec:\n  nodePools:\n    - name: real\n      provider: nodes\n      \
         labels:\n        {label}: \"true\"\n",
        label = kube_ecs::local_cluster::REAL_NODE_LABEL
    )
}

/// A TaskDefinition `name` running `script` in busybox (wave 1: registered before what uses it).
pub fn definition_yaml(name: &str, script: &str) -> String {
    definition_with_image(name, "busybox:1.36", script)
}

pub fn definition_with_image(name: &str, image: &str, script: &str) -> String {
    format!(
        "apiVersion: ecs.kube-ecs.dev/v1alpha1\nkind: TaskDefinition\nmetadata:\n  name: {name}\n  annotations:\n    \
         argocd.argoproj.io/sync-wave: \"1\"\nspec:\n  containerDefinitions:\n    - name: main\n      \
         image: {image}\n      memory: 64\n      entryPoint: [\"sh\", \"-c\"]\n      command: [{script:?}]\n"
    )
}

/// The long-running service's script; `version` makes a new revision.
pub fn worker_script(version: u32) -> String {
    format!("echo version {version}; trap 'exit 0' TERM; while true; do sleep 1; done")
}

pub fn service_yaml(ns: &str) -> String {
    format!(
        "apiVersion: ecs.kube-ecs.dev/v1alpha1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    \
         argocd.argoproj.io/sync-wave: \"2\"\nspec:\n  cluster: {ns}\n  taskDefinition: web\n  desiredCount: 2\n  \
         deploymentConfiguration:\n    minimumHealthyPercent: 50\n    maximumPercent: 200\n    \
         deploymentCircuitBreaker: {{enable: true, rollback: false}}\n"
    )
}

pub fn task_yaml(ns: &str) -> String {
    format!(
        "apiVersion: ecs.kube-ecs.dev/v1alpha1\nkind: Task\nmetadata:\n  name: report\n  annotations:\n    \
         argocd.argoproj.io/sync-wave: \"2\"\nspec:\n  cluster: {ns}\n  taskDefinition: report\n"
    )
}

/// The repository: kube-ecs's CRDs (crds/, as generated) and the ECS objects (ecs/).
pub fn seed(repo: &GitRepo, ns: &str) {
    let crds = concat!(env!("CARGO_MANIFEST_DIR"), "/crds");
    for entry in std::fs::read_dir(crds).expect("reading crds/") {
        let path = entry.expect("a CRD file").path();
        let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
        repo.write(&format!("crds/{name}"), &std::fs::read_to_string(&path).expect("reading a CRD"));
    }
    repo.write("ecs/cluster.yaml", &cluster_yaml(ns));
    repo.write("ecs/web-definition.yaml", &definition_yaml("web", &worker_script(1)));
    repo.write("ecs/report-definition.yaml", &definition_yaml("report", "echo report done"));
    repo.write("ecs/web-service.yaml", &service_yaml(ns));
    repo.write("ecs/report-task.yaml", &task_yaml(ns));
}

/// The PRIMARY deployment of a Service's status (as JSON; null if none yet).
pub fn primary(service: &kube_ecs::api::Service) -> serde_json::Value {
    let status = serde_json::to_value(service.status.as_ref()).unwrap_or_default();
    status["deployments"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["status"] == "PRIMARY")
        .cloned()
        .unwrap_or_default()
}

/// A Flux kind's resource (`kustomize.toolkit.fluxcd.io/v1` Kustomization, `source.toolkit.fluxcd.io/v1`
/// OCIRepository).
pub fn flux_resource(group: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: "v1".into(),
        api_version: format!("{group}/v1"),
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// The status of condition `type` of a Flux object ("True", "False", "Unknown" or "").
pub fn condition(object: &DynamicObject, type_: &str) -> (String, String, String) {
    object.data["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == type_)
        .map(|c| {
            let field = |name: &str| c[name].as_str().unwrap_or_default().to_string();
            (field("status"), field("reason"), field("message"))
        })
        .unwrap_or_default()
}

impl GitRepo {
    /// Commits the work tree and pushes it as an OCI artifact (one gzipped tar layer of the tree, as
    /// `flux push artifact` makes) to `reference` in a local registry; returns the commit.
    pub fn push_oci(&self, message: &str, reference: &str) -> String {
        let commit = self.push(message);
        let layer = self.work.with_extension("tar.gz");
        let tar = Command::new("tar")
            .args(["--exclude=.git", "-czf"])
            .arg(&layer)
            .arg("-C")
            .arg(&self.work)
            .arg(".")
            .output()
            .expect("running tar");
        assert!(tar.status.success(), "tar: {}", String::from_utf8_lossy(&tar.stderr));
        let crane = super::cluster().tools_bin().join("crane");
        let output = Command::new(crane)
            .args(["append", "--oci-empty-base", "-f"])
            .arg(&layer)
            .args(["-t", reference])
            .output()
            .expect("running crane");
        assert!(output.status.success(), "crane append: {}", String::from_utf8_lossy(&output.stderr));
        commit
    }
}
