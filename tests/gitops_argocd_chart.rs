//! Argo CD installs kube-ecs itself (issue 39): one Application syncs the chart (charts/kube-ecs, a Helm
//! source in a Git repository: its CRDs, RBAC and the operator's Deployment) to a real node, a second
//! one syncs an EcsCluster, TaskDefinitions, a Service and a batch Task that the operator it installed
//! runs. No operator runs in the test process: the chart's, in its Pods, does the work. Its image is
//! this build's `kube-ecs` (the test binary's debug build), packaged by hack/build-image.sh.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject};
use kube_ecs::api::Service;
use kube_ecs::local_cluster::REAL_NODE_LABEL;
use support::gitops::{GitRepo, app_state, applications, primary, seed};

const RELEASE_NAMESPACE: &str = "kube-ecs-system";
/// The chart's default repository, which the local public registry serves.
const REPOSITORY: &str = "ghcr.io/kube-ecs/kube-ecs";
const TAG: &str = "gitops";
/// Pulling the image, two operator replicas passing their probes, on 2 busy cores.
const INSTALL: Duration = Duration::from_secs(240);

/// The operator image: this build's binary packaged without Docker (hack/build-image.sh), in
/// target/image-gitops.
fn image_layout() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("target/image-gitops");
    let output = std::process::Command::new("bash")
        .arg(root.join("hack/build-image.sh"))
        .env("BINARY", env!("CARGO_BIN_EXE_kube-ecs"))
        .env("OUT", &out)
        .env("TAG", TAG)
        .output()
        .expect("running hack/build-image.sh");
    assert!(output.status.success(), "hack/build-image.sh failed:\n{}", String::from_utf8_lossy(&output.stderr));
    out.join("oci")
}

/// Copies the directory `from` into the repository at `to`.
fn copy_tree(repo: &GitRepo, from: &Path, to: &str) {
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display())) {
        let path = entry.expect("an entry").path();
        let name = format!("{to}/{}", path.file_name().expect("a name").to_string_lossy());
        if path.is_dir() {
            copy_tree(repo, &path, &name);
        } else {
            repo.write(&name, &std::fs::read_to_string(&path).expect("reading a chart file"));
        }
    }
}

fn chart_application(repo: &GitRepo) -> serde_json::Value {
    let port = support::cluster().apiserver_port().to_string();
    serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "kube-ecs", "namespace": support::gitops::argocd().namespace()},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.file_url(), "targetRevision": "main", "path": "charts/kube-ecs",
                "helm": {"releaseName": "kube-ecs", "valuesObject": {
                    "image": {"repository": REPOSITORY, "tag": TAG},
                    "nodeSelector": {REAL_NODE_LABEL: "true"},
                    // Pods reach the apiserver at their node's IP here (no Service network).
                    "apiServer": {"hostFromNode": true, "port": port}}}},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": RELEASE_NAMESPACE},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true},
                "syncOptions": ["CreateNamespace=true"],
                // The chart's Pods meet the restricted level: the namespace enforces it.
                "managedNamespaceMetadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
        },
    })
}

fn objects_application(repo: &GitRepo, ns: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": ns, "namespace": support::gitops::argocd().namespace()},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.file_url(), "targetRevision": "main", "path": "ecs"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": ns},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
        },
    })
}

fn synced_healthy(app: &DynamicObject) -> bool {
    app_state(app) == ("Synced".to_string(), "Healthy".to_string())
}

#[tokio::test]
async fn argocd_installs_the_chart_from_git_and_its_operator_runs_the_objects_a_second_application_syncs() {
    support::with_real_nodes(1);
    let client = support::client().await;
    let cluster = support::cluster();
    let packaged = Instant::now();
    let layout = image_layout();
    cluster
        .public_registry()
        .expect("the public registry (real nodes)")
        .push(&layout, &format!("{REPOSITORY}:{TAG}"))
        .expect("pushing the operator image");
    eprintln!("operator image packaged and pushed in {:.1?}", packaged.elapsed());

    let ns = support::namespace(&client, "argocd-chart").await;
    let repo = GitRepo::new(&ns);
    copy_tree(&repo, &Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/kube-ecs"), "charts/kube-ecs");
    seed(&repo, &ns);
    repo.push("the kube-ecs chart and ECS objects");

    // 1. The chart: CRDs, RBAC, the operator's Deployment, Healthy once both replicas are Ready.
    let apps = applications(&client);
    let installed = Instant::now();
    support::apply(&apps, chart_application(&repo)).await;
    support::wait_for_within(&apps, "kube-ecs", "the chart Synced and Healthy", INSTALL, synced_healthy).await;
    eprintln!("chart Synced and Healthy {:.1?} after its Application was created", installed.elapsed());
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), RELEASE_NAMESPACE);
    let operator = deployments.get("kube-ecs").await.expect("the chart's Deployment");
    assert_eq!(operator.status.as_ref().and_then(|s| s.ready_replicas), Some(2), "{:?}", operator.status);

    // 2. The ECS objects, run by the operator the chart installed.
    let synced = Instant::now();
    support::apply(&apps, objects_application(&repo, &ns)).await;
    support::wait_for_within(&apps, &ns, "the ECS objects Synced and Healthy", INSTALL, synced_healthy).await;
    eprintln!("ECS objects Synced and Healthy {:.1?} after their Application was created", synced.elapsed());
    let web = Api::<Service>::namespaced(client.clone(), &ns).get("web").await.expect("the service");
    assert_eq!(primary(&web)["rolloutState"], "COMPLETED", "{:?}", web.status);

    // The chart's Application is still in sync with the operator running in it.
    let chart = apps.get("kube-ecs").await.expect("the chart's Application");
    assert!(synced_healthy(&chart), "{:#}", chart.data["status"]);
}
