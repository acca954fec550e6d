//! The Helm chart on the real control plane: lint, install with helm and with
//! `helm template | kubectl apply`, and the operator running with nothing but the chart's RBAC (a
//! kubeconfig impersonating the chart's ServiceAccount) through the full task and service flow.

mod support;

use support::apply;

use std::path::PathBuf;

use kube::api::Api;
use kube_ecs::api::{EcsCluster, Service, Task, TaskDefinition};
use support::operator_process::OperatorProcess;

const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/kube-ecs");
const NAMESPACE: &str = "kube-ecs-system";
const SERVICE_ACCOUNT: &str = "system:serviceaccount:kube-ecs-system:kube-ecs";

/// The chart rendered as release `kube-ecs` in kube-ecs-system, applied with kubectl (once per binary).
async fn chart_applied_with_kubectl() {
    static APPLIED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    APPLIED
        .get_or_init(|| async {
            support::operator::start(); // CRDs
            let (ok, out, err) = support::kubectl(&["create", "namespace", NAMESPACE], None);
            assert!(ok || err.contains("AlreadyExists"), "{out}{err}");
            let (ok, rendered, err) = support::helm(&["template", "kube-ecs", CHART, "--namespace", NAMESPACE]);
            assert!(ok, "helm template: {err}");
            let (ok, out, err) = support::kubectl(&["apply", "-f", "-"], Some(&rendered));
            assert!(ok, "kubectl apply of the rendered chart:\n{out}\n{err}");
        })
        .await;
}

/// A kubeconfig that acts as the chart's ServiceAccount (impersonation by the admin).
fn impersonating_kubeconfig() -> PathBuf {
    let cluster = support::cluster();
    let admin: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(cluster.kubeconfig()).expect("kubeconfig")).expect("yaml");
    let mut config = admin.clone();
    for user in config["users"].as_sequence_mut().expect("users") {
        user["user"]["as"] = SERVICE_ACCOUNT.into();
        user["user"]["as-groups"] = serde_yaml::to_value([
            "system:serviceaccounts",
            "system:serviceaccounts:kube-ecs-system",
            "system:authenticated",
        ])
        .expect("groups");
    }
    let path = cluster.dir().join("kubeconfig-chart-serviceaccount");
    std::fs::write(&path, serde_yaml::to_string(&config).expect("yaml")).expect("writing the kubeconfig");
    path
}

fn can_i(verb: &str, resource: &str) -> bool {
    let (_, out, _) = support::kubectl(&["auth", "can-i", verb, resource, "--as", SERVICE_ACCOUNT], None);
    out.trim() == "yes"
}

#[tokio::test]
async fn the_chart_lints_and_installs_with_helm() {
    let (ok, out, err) = support::helm(&["lint", CHART]);
    assert!(ok, "helm lint:\n{out}\n{err}");
    support::operator::start();
    let (ok, out, err) = support::helm(&[
        "install",
        "ecs",
        CHART,
        "--namespace",
        "chart-helm",
        "--create-namespace",
        "--set",
        "replicaCount=1",
        "--wait=false",
    ]);
    assert!(ok, "helm install:\n{out}\n{err}");
    let (ok, out, _) =
        support::kubectl(&["get", "deployment,serviceaccount,service", "-n", "chart-helm", "-o", "name"], None);
    assert!(ok && out.contains("deployment.apps/ecs-kube-ecs") && out.contains("serviceaccount/ecs-kube-ecs"), "{out}");
    let (ok, pod_spec, _) = support::kubectl(
        &["get", "deployment", "ecs-kube-ecs", "-n", "chart-helm", "-o", "jsonpath={.spec.template.spec}"],
        None,
    );
    assert!(ok);
    for restricted in
        ["\"runAsNonRoot\":true", "\"readOnlyRootFilesystem\":true", "\"drop\":[\"ALL\"]", "RuntimeDefault"]
    {
        assert!(pod_spec.contains(restricted), "pod security: {restricted} in {pod_spec}");
    }
}

#[tokio::test]
async fn the_chart_rbac_is_least_privilege() {
    chart_applied_with_kubectl().await;
    let (ok, roles, _) = support::kubectl(&["get", "clusterrole", "kube-ecs", "-o", "json"], None);
    assert!(ok);
    assert!(!roles.contains("\"*\""), "no wildcards in the ClusterRole:\n{roles}");
    assert!(
        can_i("create", "pods")
            && can_i("watch", "tasks.ecs.kube-ecs.dev")
            && can_i("patch", "tasks.ecs.kube-ecs.dev/status")
    );
    assert!(!can_i("patch", "customresourcedefinitions.apiextensions.k8s.io"), "the operator cannot modify CRDs");
    assert!(!can_i("get", "secrets"), "the operator does not read Secrets");
    assert!(!can_i("create", "leases.coordination.k8s.io"), "leases only in its own namespace");
    let (_, out, _) = support::kubectl(
        &["auth", "can-i", "create", "leases.coordination.k8s.io", "-n", NAMESPACE, "--as", SERVICE_ACCOUNT],
        None,
    );
    assert_eq!(out.trim(), "yes");
}

#[tokio::test]
async fn the_operator_runs_the_full_flow_with_only_the_chart_rbac() {
    chart_applied_with_kubectl().await;
    let client = support::client().await;
    let ns = support::namespace(&client, "chart-rbac").await;
    let kubeconfig = impersonating_kubeconfig();
    // The kubeconfig really acts as the ServiceAccount (kube-rs honours `as`/`as-groups`).
    let impersonated = {
        let file = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(file, &Default::default()).await.expect("config");
        kube::Client::try_from(config).expect("client")
    };
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(impersonated, &ns);
    match secrets.list(&Default::default()).await {
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 403, "{e}"),
        other => panic!("the chart's identity must not list Secrets: {other:?}"),
    }
    let operator = OperatorProcess::start_with_kubeconfig(
        "chart-rbac",
        &["--leader-election", "--leader-election-namespace", NAMESPACE, "--identity", "chart-rbac"],
        &kubeconfig,
    );
    apply(
        &Api::<EcsCluster>::all(client.clone()),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": ns},
            "spec": {"nodePools": [{"name": "od", "provider": "simulated", "instanceType": "m5.large", "instances": 2}]}}),
    )
    .await;
    apply(
        &Api::<TaskDefinition>::namespaced(client.clone(), &ns),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "web"},
            "spec": {"taskRoleArn": "arn:aws:iam::111122223333:role/web", "containerDefinitions": [
                {"name": "web", "image": "nginx:1.27", "memory": 128, "portMappings": [{"containerPort": 80}]}]}}),
    )
    .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "one"},
            "spec": {"taskDefinition": "web", "cluster": ns}}),
    )
    .await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"taskDefinition": "web", "cluster": ns, "desiredCount": 2,
                "loadBalancers": [{"containerName": "web", "containerPort": 80}]}}),
    )
    .await;
    support::wait_for(&tasks, "one", "task RUNNING", |t| {
        t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("RUNNING")
    })
    .await;
    support::wait_for(&services, "web", "2 tasks running", |s| {
        s.status.as_ref().is_some_and(|st| st.running_count == Some(2))
    })
    .await;
    // Stop the task: the record finalizer is released and the pod goes.
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "one"},
            "spec": {"taskDefinition": "web", "cluster": ns, "desiredStatus": "STOPPED"}}),
    )
    .await;
    support::wait_for(&tasks, "one", "task STOPPED", |t| {
        t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("STOPPED")
    })
    .await;
    let log = operator.log_text();
    assert!(!log.to_lowercase().contains("forbidden"), "the chart's RBAC was not enough:\n{log}");
}
