//! The Helm chart on the real control plane: lint, install with helm and with
//! `helm template | kubectl apply`, and the operator running with nothing but the chart's RBAC (a
//! kubeconfig impersonating the chart's ServiceAccount) through the full task and service flow; and
//! what the optional ECS API adds to the rendering (`helm template` only).

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

/// `helm template` of the chart as release `kube-ecs` in kube-ecs-system with `--set` values: only
/// helm, no cluster (helm's own directories under the test target's tmp dir).
fn helm_template(values: &[&str]) -> (bool, String, String) {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chart-helm-template");
    let mut command = std::process::Command::new(support::tools_bin().join("helm"));
    command
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .args(["template", "kube-ecs", CHART, "--namespace", NAMESPACE]);
    for value in values {
        command.args(["--set", value]);
    }
    let output = command.output().expect("running helm");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The rendered objects, as JSON.
fn rendered_objects(values: &[&str]) -> Vec<serde_json::Value> {
    let (ok, rendered, err) = helm_template(values);
    assert!(ok, "helm template {values:?}:\n{err}");
    rendered
        .split("\n---")
        .map(|doc| serde_yaml::from_str::<serde_json::Value>(doc).expect("a rendered YAML document"))
        .filter(|object| !object.is_null())
        .collect()
}

fn object<'a>(objects: &'a [serde_json::Value], kind: &str, name: &str) -> Option<&'a serde_json::Value> {
    objects.iter().find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// The ClusterRole's `impersonate` rule on `resource`, if any.
fn impersonate_rule<'a>(objects: &'a [serde_json::Value], resource: &str) -> Option<&'a serde_json::Value> {
    let role = object(objects, "ClusterRole", "kube-ecs").expect("the operator's ClusterRole");
    role["rules"].as_array().expect("rules").iter().find(|rule| {
        rule["verbs"].as_array().is_some_and(|v| v.iter().any(|v| v == "impersonate"))
            && rule["resources"].as_array().is_some_and(|r| r.iter().any(|r| r == resource))
    })
}

#[test]
fn the_chart_serves_the_ecs_api_only_when_enabled_and_over_tls() {
    // Off by default: nothing of the ECS API, and no impersonation or Secret access.
    let (ok, default, err) = helm_template(&[]);
    assert!(ok, "helm template: {err}");
    for absent in ["ecs-api", "impersonate", "\"secrets\""] {
        assert!(!default.contains(absent), "{absent:?} in the default rendering:\n{default}");
    }

    let on = ["ecsApi.enabled=true", "ecsApi.tls.secretName=ecs-api-tls"];
    let objects = rendered_objects(&on);
    let deployment = object(&objects, "Deployment", "kube-ecs").expect("the Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<&str> = container["args"].as_array().expect("args").iter().filter_map(|a| a.as_str()).collect();
    for flag in [
        "--ecs-api-bind-address=0.0.0.0:8443",
        "--ecs-api-region=us-east-1",
        "--ecs-api-account=000000000000",
        "--ecs-api-keys-namespace=kube-ecs-system",
        "--ecs-api-tls-cert=/etc/kube-ecs/ecs-api-tls/tls.crt",
        "--ecs-api-tls-key=/etc/kube-ecs/ecs-api-tls/tls.key",
        "--ecs-api-max-body-bytes=1048576",
    ] {
        assert!(args.contains(&flag), "{flag} in {args:?}");
    }
    let env = container["env"].as_array().expect("env");
    assert!(
        env.iter()
            .any(|e| e["name"] == "POD_NAMESPACE" && e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"),
        "POD_NAMESPACE: {env:?}"
    );
    assert_eq!(
        container["volumeMounts"],
        serde_json::json!([{"name": "ecs-api-tls", "mountPath": "/etc/kube-ecs/ecs-api-tls", "readOnly": true}])
    );
    assert_eq!(pod["volumes"], serde_json::json!([{"name": "ecs-api-tls", "secret": {"secretName": "ecs-api-tls"}}]));
    let ports = container["ports"].as_array().expect("ports");
    assert!(ports.iter().any(|p| p["name"] == "ecs-api" && p["containerPort"] == 8443), "{ports:?}");
    // The operator's probes stay; the ECS API's port gates start-up.
    assert_eq!(container["readinessProbe"]["httpGet"], serde_json::json!({"path": "/readyz", "port": "metrics"}));
    assert_eq!(container["livenessProbe"]["httpGet"], serde_json::json!({"path": "/healthz", "port": "metrics"}));
    assert_eq!(container["startupProbe"]["tcpSocket"]["port"], "ecs-api");

    let service = object(&objects, "Service", "kube-ecs-ecs-api").expect("the ECS API Service");
    assert_eq!(service["metadata"]["namespace"], NAMESPACE);
    assert_eq!(service["spec"]["type"], "ClusterIP");
    assert_eq!(service["spec"]["selector"], deployment["spec"]["selector"]["matchLabels"]);
    assert_eq!(service["spec"]["ports"][0]["port"], 8443);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "ecs-api");

    // Impersonation of any user and group by default, no ServiceAccounts.
    for resource in ["users", "groups"] {
        let rule = impersonate_rule(&objects, resource).unwrap_or_else(|| panic!("impersonate {resource}"));
        assert_eq!(rule["apiGroups"], serde_json::json!([""]));
        assert_eq!(rule["verbs"], serde_json::json!(["impersonate"]));
        assert!(rule.get("resourceNames").is_none(), "{rule}");
    }
    assert!(impersonate_rule(&objects, "serviceaccounts").is_none());
    // Secrets: read in the release namespace only, through a Role.
    let role = object(&objects, "Role", "kube-ecs-ecs-api-keys").expect("the keys Role");
    assert_eq!(role["metadata"]["namespace"], NAMESPACE);
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}])
    );
    let binding = object(&objects, "RoleBinding", "kube-ecs-ecs-api-keys").expect("the keys RoleBinding");
    assert_eq!(binding["roleRef"]["name"], "kube-ecs-ecs-api-keys");
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": "kube-ecs", "namespace": NAMESPACE}])
    );
    let cluster_role = object(&objects, "ClusterRole", "kube-ecs").expect("ClusterRole").to_string();
    assert!(!cluster_role.contains("\"secrets\""), "no Secrets cluster-wide: {cluster_role}");

    // Restricted impersonation, ServiceAccounts, and the other values.
    let objects = rendered_objects(&[
        on[0],
        on[1],
        "ecsApi.impersonate.users={team-a-ci,team-b-ci}",
        "ecsApi.impersonate.groups={team-a}",
        "ecsApi.impersonate.serviceAccounts=true",
        "ecsApi.port=9443",
        "ecsApi.region=eu-west-1",
        "ecsApi.account=111122223333",
        "ecsApi.maxBodyBytes=4194304",
        "ecsApi.service.type=LoadBalancer",
    ]);
    assert_eq!(
        impersonate_rule(&objects, "users").expect("users")["resourceNames"],
        serde_json::json!(["team-a-ci", "team-b-ci"])
    );
    assert_eq!(impersonate_rule(&objects, "groups").expect("groups")["resourceNames"], serde_json::json!(["team-a"]));
    assert!(impersonate_rule(&objects, "serviceaccounts").is_some());
    let container =
        &object(&objects, "Deployment", "kube-ecs").expect("Deployment")["spec"]["template"]["spec"]["containers"][0];
    let args = container["args"].to_string();
    for flag in [
        "--ecs-api-bind-address=0.0.0.0:9443",
        "--ecs-api-region=eu-west-1",
        "--ecs-api-account=111122223333",
        "--ecs-api-max-body-bytes=4194304",
    ] {
        assert!(args.contains(flag), "{flag} in {args}");
    }
    let service = object(&objects, "Service", "kube-ecs-ecs-api").expect("Service");
    assert_eq!(service["spec"]["type"], "LoadBalancer");
    assert_eq!(service["spec"]["ports"][0]["port"], 9443);

    // Without a certificate the operator would refuse to start (plain HTTP beyond loopback): the chart
    // refuses first, saying what to set. So do values it would refuse.
    for (values, message) in [
        (&["ecsApi.enabled=true"][..], "ecsApi.tls.secretName is required when ecsApi.enabled is true"),
        (&[on[0], on[1], "ecsApi.account=12345"][..], "ecsApi.account must be a 12-digit AWS account ID"),
        (&[on[0], on[1], "ecsApi.region=US East"][..], "ecsApi.region must look like an AWS region"),
        (&[on[0], on[1], "ecsApi.port=8080"][..], "ecsApi.port must be a TCP port other than metrics.port"),
    ] {
        let (ok, _, err) = helm_template(values);
        assert!(!ok && err.contains(message), "{values:?}: want {message:?}, got:\n{err}");
    }
}
