//! The Helm chart on the real control plane: lint, install with helm and with
//! `helm template | kubectl apply`, and the operator running with nothing but the chart's RBAC (a
//! kubeconfig impersonating the chart's ServiceAccount) through the full task and service flow; and
//! what the optional ECS API and ECR add to the rendering (`helm template` only; ECR's generated
//! registry passwords, the operator's and the nodes', also across `helm upgrade` and a reinstall).

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
    helm_offline(&["template", "kube-ecs", CHART, "--namespace", NAMESPACE], values)
}

/// `helm <args>` with `--set` values, without a cluster.
fn helm_offline(args: &[&str], values: &[&str]) -> (bool, String, String) {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chart-helm-template");
    let mut command = std::process::Command::new(support::tools_bin().join("helm"));
    command
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .args(args);
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

/// ECR on, with the values it requires (the ECS API on, the front's push URL and plain-HTTP acknowledgement).
const ECR_ON: [&str; 5] = [
    "ecsApi.enabled=true",
    "ecsApi.tls.secretName=ecs-api-tls",
    "ecr.enabled=true",
    "ecr.proxyEndpoint=https://ecr.example.com",
    "ecr.front.allowPlainHttp=true",
];

/// The console: off by default; on, the operator serves it on the pod network behind a Service with
/// ClientIP affinity (sessions live in one replica), over HTTPS with its certificate, or over plain
/// HTTP only once TLS in front is acknowledged.
#[test]
fn the_chart_serves_the_console_only_when_enabled_with_tls_or_acknowledged() {
    let (ok, default, err) = helm_template(&[]);
    assert!(ok, "helm template: {err}");
    assert!(!default.contains("console"), "no console in the default rendering:\n{default}");

    let (ok, _, err) = helm_template(&["console.enabled=true"]);
    assert!(
        !ok && err.contains("console.tls.secretName or console.allowPlainHttp=true is required"),
        "refused without a certificate or TLS in front acknowledged: {err}"
    );
    let (ok, _, err) = helm_template(&["console.enabled=true", "console.allowPlainHttp=true", "console.port=8080"]);
    assert!(!ok && err.contains("console.port must be"), "refused on the metrics port: {err}");

    let on = ["console.enabled=true", "console.allowPlainHttp=true", "console.hosts={ecs.example.com}"];
    let objects = rendered_objects(&on);
    let args = operator_args(&objects);
    for flag in ["--console-bind-address=0.0.0.0:8446", "--console-allow-plain-http", "--console-host=ecs.example.com"]
    {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }
    let service = object(&objects, "Service", "kube-ecs-console").expect("the console Service");
    assert_eq!(service["spec"]["sessionAffinity"], "ClientIP");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "console");
    assert_eq!(service["spec"]["ports"][0]["appProtocol"], "http");

    // With a certificate: HTTPS from the operator itself, its Secret mounted read-only.
    let objects = rendered_objects(&["console.enabled=true", "console.tls.secretName=console-tls"]);
    let args = operator_args(&objects);
    for flag in
        ["--console-tls-cert=/etc/kube-ecs/console-tls/tls.crt", "--console-tls-key=/etc/kube-ecs/console-tls/tls.key"]
    {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }
    assert!(!args.iter().any(|a| a == "--console-allow-plain-http"), "{args:?}");
    let pod =
        &object(&objects, "Deployment", "kube-ecs").expect("the operator's Deployment")["spec"]["template"]["spec"];
    let volume = pod["volumes"].as_array().and_then(|v| v.iter().find(|v| v["name"] == "console-tls")).expect("volume");
    assert_eq!(volume["secret"]["secretName"], "console-tls");
    let mount =
        pod["containers"][0]["volumeMounts"].as_array().and_then(|m| m.iter().find(|m| m["name"] == "console-tls"));
    assert_eq!(mount.expect("mount")["readOnly"], true);
    let service = object(&objects, "Service", "kube-ecs-console").expect("the console Service");
    assert_eq!(service["spec"]["ports"][0]["appProtocol"], "https");
}

/// The operator container's args.
fn operator_args(objects: &[serde_json::Value]) -> Vec<String> {
    let deployment = object(objects, "Deployment", "kube-ecs").expect("the operator's Deployment");
    let args = deployment["spec"]["template"]["spec"]["containers"][0]["args"].as_array().expect("args");
    args.iter().filter_map(|a| a.as_str()).map(str::to_string).collect()
}

/// The rules of a rendered (Cluster)Role that name `resource`.
fn rules_on<'a>(role: &'a serde_json::Value, resource: &str) -> Vec<&'a serde_json::Value> {
    role["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|rule| rule["resources"].as_array().is_some_and(|r| r.iter().any(|r| r == resource)))
        .collect()
}

/// A rendered Secret's data, decoded.
fn secret_data(secret: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(secret.clone()).expect("a Secret");
    secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, String::from_utf8(value.0).expect("UTF-8")))
        .collect()
}

#[test]
fn the_chart_deploys_ecr_only_when_enabled() {
    // Off by default, and with only the ECS API on: nothing of ECR.
    for values in [&[][..], &ECR_ON[..2]] {
        let objects = rendered_objects(values);
        let rendering = serde_json::to_string(&objects).expect("json");
        for absent in ["ecr-", "--ecr", "subjectaccessreviews", "PersistentVolumeClaim", "kube-ecs-ecr-token-key"] {
            assert!(!rendering.contains(absent), "{absent:?} in the rendering of {values:?}:\n{rendering}");
        }
        let role = object(&objects, "ClusterRole", "kube-ecs").expect("ClusterRole");
        assert!(rules_on(role, "repositories").is_empty(), "{role}");
    }

    let objects = rendered_objects(&ECR_ON);
    // The registry's user: AWS with a generated password, and its htpasswd (bcrypt).
    let secret = object(&objects, "Secret", "kube-ecs-ecr-registry-auth").expect("the registry's Secret");
    assert_eq!(secret["metadata"]["namespace"], NAMESPACE);
    assert_eq!(secret["metadata"]["annotations"]["helm.sh/resource-policy"], "keep");
    let data = secret_data(secret);
    let password = data["credentials"].strip_prefix("AWS:").expect("credentials are AWS:<password>");
    assert!(password.len() == 40 && password.chars().all(|c| c.is_ascii_alphanumeric()), "{password}");
    assert!(data["htpasswd"].starts_with("AWS:$2a$"), "a bcrypt htpasswd line: {}", data["htpasswd"]);
    // Another render (no cluster to look the Secret up in) generates another password.
    let again =
        secret_data(object(&rendered_objects(&ECR_ON), "Secret", "kube-ecs-ecr-registry-auth").expect("Secret"));
    assert_ne!(again["credentials"], data["credentials"]);
    // The nodes' user: node, its own password and Secret (what hands it to the nodes sees only that one).
    let nodes = object(&objects, "Secret", "kube-ecs-ecr-registry-nodes").expect("the nodes' Secret");
    assert_eq!(nodes["metadata"]["namespace"], NAMESPACE);
    assert_eq!(nodes["metadata"]["annotations"]["helm.sh/resource-policy"], "keep");
    let node_data = secret_data(nodes);
    // `node:<password>`, so the stored (base64) value is the nodes' Basic Authorization as is.
    let node_password = node_data["credentials"].strip_prefix("node:").expect("credentials are node:<password>");
    assert!(node_password.len() == 40 && node_password.chars().all(|c| c.is_ascii_alphanumeric()), "{node_password}");
    assert_ne!(node_password, password, "the nodes' password is not the operator's");
    assert!(node_data["htpasswd"].starts_with("node:$2a$"), "a bcrypt htpasswd line: {}", node_data["htpasswd"]);

    let config_map = object(&objects, "ConfigMap", "kube-ecs-ecr-registry").expect("the registry's ConfigMap");
    let config_file = |key: &str| -> serde_json::Value {
        serde_yaml::from_str(config_map["data"][key].as_str().expect(key)).expect("YAML")
    };
    let config = config_file("config.yml");
    assert_eq!(config["storage"]["filesystem"]["rootdirectory"], "/var/lib/registry");
    assert_eq!(config["storage"]["delete"]["enabled"], true);
    assert_eq!(config["storage"]["maintenance"], serde_json::Value::Null, "the registry writes");
    assert_eq!(config["http"]["addr"], ":5000");
    assert_eq!(config["http"]["relativeurls"], true);
    assert_eq!(config["auth"]["htpasswd"]["path"], "/etc/distribution/auth/htpasswd");
    // The reader: the same storage, read-only, no deletes, no upload purging (the registry owns uploads).
    let reader_config = config_file("reader.yml");
    assert_eq!(
        reader_config["storage"],
        serde_json::json!({"filesystem": {"rootdirectory": "/var/lib/registry"}, "delete": {"enabled": false},
            "maintenance": {"readonly": {"enabled": true}, "uploadpurging": {"enabled": false}}})
    );
    assert_eq!(reader_config["http"]["addr"], ":5001");
    assert_eq!(reader_config["auth"]["htpasswd"]["path"], "/etc/distribution/auth/htpasswd");

    let claim = object(&objects, "PersistentVolumeClaim", "kube-ecs-ecr-registry").expect("the registry's PVC");
    assert_eq!(claim["metadata"]["annotations"]["helm.sh/resource-policy"], "keep");
    assert_eq!(
        claim["spec"],
        serde_json::json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}})
    );

    let registry = object(&objects, "Deployment", "kube-ecs-ecr-registry").expect("the registry's Deployment");
    assert_eq!(registry["spec"]["replicas"], 1);
    assert_eq!(registry["spec"]["strategy"]["type"], "Recreate");
    let pod = &registry["spec"]["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["fsGroup"], 65532);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "docker.io/library/registry:3");
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
    assert_eq!(container["args"], serde_json::json!(["serve", "/etc/distribution/config.yml"]));
    assert_eq!(container["env"], serde_json::json!([{"name": "OTEL_TRACES_EXPORTER", "value": "none"}]));
    assert_eq!(
        container["securityContext"],
        serde_json::json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(container["readinessProbe"]["httpGet"], serde_json::json!({"path": "/", "port": "registry"}));
    assert_eq!(
        container["volumeMounts"],
        serde_json::json!([
            {"name": "config", "mountPath": "/etc/distribution/config.yml", "subPath": "config.yml", "readOnly": true},
            {"name": "auth", "mountPath": "/etc/distribution/auth", "readOnly": true},
            {"name": "data", "mountPath": "/var/lib/registry"}])
    );
    // The reader: the same image and restrictions, its config, the nodes' htpasswd, the data read-only.
    let reader = &pod["containers"][1];
    assert_eq!(reader["name"], "reader");
    for same in ["image", "imagePullPolicy", "command", "args", "env", "resources", "securityContext"] {
        assert_eq!(reader[same], container[same], "the reader's {same}");
    }
    assert_eq!(reader["ports"], serde_json::json!([{"name": "nodes", "containerPort": 5001, "protocol": "TCP"}]));
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(reader[probe]["httpGet"], serde_json::json!({"path": "/", "port": "nodes"}), "{probe}");
    }
    assert_eq!(
        reader["volumeMounts"],
        serde_json::json!([
            {"name": "config", "mountPath": "/etc/distribution/config.yml", "subPath": "reader.yml", "readOnly": true},
            {"name": "node-auth", "mountPath": "/etc/distribution/auth", "readOnly": true},
            {"name": "data", "mountPath": "/var/lib/registry", "readOnly": true}])
    );
    assert_eq!(
        pod["volumes"],
        serde_json::json!([
            {"name": "config", "configMap": {"name": "kube-ecs-ecr-registry"}},
            {"name": "auth", "secret": {"secretName": "kube-ecs-ecr-registry-auth",
                "items": [{"key": "htpasswd", "path": "htpasswd"}]}},
            {"name": "node-auth", "secret": {"secretName": "kube-ecs-ecr-registry-nodes",
                "items": [{"key": "htpasswd", "path": "htpasswd"}]}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "kube-ecs-ecr-registry"}}])
    );
    let annotations = &registry["spec"]["template"]["metadata"]["annotations"];
    assert!(annotations["checksum/reader-config"].is_string(), "a changed reader config restarts it: {annotations}");
    // The operator's Services and PodDisruptionBudget must not select the registry's Pod.
    let registry_labels = &registry["spec"]["template"]["metadata"]["labels"];
    let operator_selector = &object(&objects, "Deployment", "kube-ecs").expect("Deployment")["spec"]["selector"];
    let selects_registry = operator_selector["matchLabels"]
        .as_object()
        .expect("matchLabels")
        .iter()
        .all(|(key, value)| &registry_labels[key] == value);
    assert!(!selects_registry, "{operator_selector} selects {registry_labels}");
    let service = object(&objects, "Service", "kube-ecs-ecr-registry").expect("the registry's Service");
    assert_eq!(service["spec"]["type"], "ClusterIP");
    assert_eq!(service["spec"]["selector"], registry["spec"]["selector"]["matchLabels"]);
    // The operator's port, and the nodes' (the reader).
    assert_eq!(
        service["spec"]["ports"],
        serde_json::json!([
            {"name": "registry", "port": 5000, "targetPort": "registry", "protocol": "TCP", "appProtocol": "http"},
            {"name": "nodes", "port": 5001, "targetPort": "nodes", "protocol": "TCP", "appProtocol": "http"}])
    );

    // The operator: the flags, the credentials file from the Secret, the front's port and Service.
    let args = operator_args(&objects);
    for flag in [
        "--ecr-registry-upstream=http://kube-ecs-ecr-registry.kube-ecs-system.svc:5000",
        "--ecr-registry-upstream-credentials-file=/etc/kube-ecs/ecr-registry/credentials",
        "--ecr-registry-host=000000000000.dkr.ecr.us-east-1.amazonaws.com",
        "--ecr-front-bind-address=0.0.0.0:8445",
        "--ecr-front-allow-plain-http",
        "--ecr-proxy-endpoint=https://ecr.example.com",
        "--ecr-lifecycle-period-seconds=3600",
        "--ecr-refresh-period-seconds=30",
        // The token key lives in the ECS API's keys namespace.
        "--ecs-api-keys-namespace=kube-ecs-system",
    ] {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }
    let deployment = object(&objects, "Deployment", "kube-ecs").expect("Deployment");
    let operator = &deployment["spec"]["template"]["spec"];
    let container = &operator["containers"][0];
    assert!(
        container["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .any(|p| p["name"] == "ecr-front" && p["containerPort"] == 8445),
        "{}",
        container["ports"]
    );
    assert_eq!(
        container["volumeMounts"],
        serde_json::json!([
            {"name": "ecs-api-tls", "mountPath": "/etc/kube-ecs/ecs-api-tls", "readOnly": true},
            {"name": "ecr-registry-credentials", "mountPath": "/etc/kube-ecs/ecr-registry", "readOnly": true}])
    );
    assert_eq!(
        operator["volumes"][1],
        serde_json::json!({"name": "ecr-registry-credentials", "secret": {"secretName": "kube-ecs-ecr-registry-auth",
            "items": [{"key": "credentials", "path": "credentials"}]}})
    );
    let front = object(&objects, "Service", "kube-ecs-ecr-front").expect("the front's Service");
    assert_eq!(front["spec"]["type"], "ClusterIP");
    assert_eq!(front["spec"]["selector"], deployment["spec"]["selector"]["matchLabels"]);
    assert_eq!(front["spec"]["ports"][0]["port"], 8445);
    assert_eq!(front["spec"]["ports"][0]["targetPort"], "ecr-front");

    // RBAC: Repositories and their status, SubjectAccessReviews; the token key's Secret only by name
    // for get (create cannot be narrowed by name), in the release namespace.
    let role = object(&objects, "ClusterRole", "kube-ecs").expect("ClusterRole");
    assert_eq!(
        rules_on(role, "repositories"),
        [&serde_json::json!({"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["repositories"],
            "verbs": ["get", "list", "watch", "patch"]})]
    );
    assert_eq!(
        rules_on(role, "repositories/status"),
        [&serde_json::json!({"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["repositories/status"],
            "verbs": ["get", "patch"]})]
    );
    assert_eq!(
        rules_on(role, "subjectaccessreviews"),
        [&serde_json::json!({"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"],
            "verbs": ["create"]})]
    );
    assert!(rules_on(role, "secrets").is_empty(), "no Secrets cluster-wide: {role}");
    let token_role = object(&objects, "Role", "kube-ecs-ecr-token-key").expect("the token key's Role");
    assert_eq!(token_role["metadata"]["namespace"], NAMESPACE);
    assert_eq!(
        token_role["rules"],
        serde_json::json!([
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["kube-ecs-ecr-token-key"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}])
    );
    let binding = object(&objects, "RoleBinding", "kube-ecs-ecr-token-key").expect("the token key's RoleBinding");
    assert_eq!(binding["roleRef"]["name"], "kube-ecs-ecr-token-key");
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": "kube-ecs", "namespace": NAMESPACE}])
    );

    let (ok, out, err) = helm_offline(&["lint", CHART], &ECR_ON);
    assert!(ok, "helm lint with ECR on:\n{out}\n{err}");
}

#[test]
fn the_chart_ecr_values_shape_what_it_deploys() {
    let with = |extra: &[&str]| rendered_objects(&[&ECR_ON[..], extra].concat());

    // The other values reach the flags and the Services.
    let objects = with(&[
        "ecr.registryHost=123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "ecr.proxyEndpoint=https://ecr.example.com/",
        "ecr.lifecyclePeriodSeconds=600",
        "ecr.refreshPeriodSeconds=5",
        "ecr.front.port=9445",
        "ecr.front.service.type=LoadBalancer",
        "ecr.registry.port=5002",
        "ecr.registry.readerPort=5003",
        "ecr.registry.service.clusterIP=10.96.0.50",
        "ecr.registry.image.repository=registry.example.com/mirror/registry",
        "ecr.registry.image.tag=3.0.0",
    ]);
    let args = operator_args(&objects);
    for flag in [
        "--ecr-registry-upstream=http://kube-ecs-ecr-registry.kube-ecs-system.svc:5002",
        "--ecr-registry-host=123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "--ecr-front-bind-address=0.0.0.0:9445",
        "--ecr-proxy-endpoint=https://ecr.example.com",
        "--ecr-lifecycle-period-seconds=600",
        "--ecr-refresh-period-seconds=5",
    ] {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }
    let front = object(&objects, "Service", "kube-ecs-ecr-front").expect("front Service");
    assert_eq!(front["spec"]["type"], "LoadBalancer");
    assert_eq!(front["spec"]["ports"][0]["port"], 9445);
    let service = object(&objects, "Service", "kube-ecs-ecr-registry").expect("registry Service");
    assert_eq!(service["spec"]["clusterIP"], "10.96.0.50");
    assert_eq!(service["spec"]["ports"][0]["port"], 5002);
    assert_eq!(service["spec"]["ports"][1]["port"], 5003);
    let registry = object(&objects, "Deployment", "kube-ecs-ecr-registry").expect("registry Deployment");
    let containers = &registry["spec"]["template"]["spec"]["containers"];
    for container in [&containers[0], &containers[1]] {
        assert_eq!(container["image"], "registry.example.com/mirror/registry:3.0.0", "{}", container["name"]);
    }
    assert_eq!(containers[0]["ports"][0]["containerPort"], 5002);
    assert_eq!(containers[1]["ports"][0]["containerPort"], 5003);
    let config_map = object(&objects, "ConfigMap", "kube-ecs-ecr-registry").expect("registry ConfigMap");
    for (key, addr) in [("config.yml", ":5002"), ("reader.yml", ":5003")] {
        let config: serde_json::Value =
            serde_yaml::from_str(config_map["data"][key].as_str().expect(key)).expect("YAML");
        assert_eq!(config["http"]["addr"], addr, "{key}");
    }

    // Storage: a StorageClass, none ("-"), an existing claim, or an emptyDir.
    let claim =
        |objects: &[serde_json::Value]| object(objects, "PersistentVolumeClaim", "kube-ecs-ecr-registry").cloned();
    let data_volume = |objects: &[serde_json::Value]| {
        let pod =
            &object(objects, "Deployment", "kube-ecs-ecr-registry").expect("registry")["spec"]["template"]["spec"];
        pod["volumes"].as_array().expect("volumes").iter().find(|v| v["name"] == "data").expect("data").clone()
    };
    let objects = with(&["ecr.registry.persistence.storageClass=fast", "ecr.registry.persistence.size=100Gi"]);
    let pvc = claim(&objects).expect("PVC");
    assert_eq!(pvc["spec"]["storageClassName"], "fast");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "100Gi");
    assert_eq!(
        claim(&with(&["ecr.registry.persistence.storageClass=-"])).expect("PVC")["spec"]["storageClassName"],
        ""
    );
    let objects = with(&["ecr.registry.persistence.existingClaim=images"]);
    assert!(claim(&objects).is_none());
    assert_eq!(
        data_volume(&objects),
        serde_json::json!({"name": "data", "persistentVolumeClaim": {"claimName": "images"}})
    );
    let objects = with(&["ecr.registry.persistence.enabled=false"]);
    assert!(claim(&objects).is_none());
    assert_eq!(data_volume(&objects), serde_json::json!({"name": "data", "emptyDir": {}}));

    // The registry's passwords from existing Secrets: the chart makes none, each side reads its own.
    let objects = with(&[
        "ecr.registry.auth.existingSecret=registry-auth",
        "ecr.registry.auth.existingNodeSecret=registry-nodes",
    ]);
    assert!(object(&objects, "Secret", "kube-ecs-ecr-registry-auth").is_none());
    assert!(object(&objects, "Secret", "kube-ecs-ecr-registry-nodes").is_none());
    let pod = &object(&objects, "Deployment", "kube-ecs-ecr-registry").expect("registry")["spec"]["template"]["spec"];
    assert_eq!(pod["volumes"][1]["secret"]["secretName"], "registry-auth");
    assert_eq!(pod["volumes"][2]["secret"]["secretName"], "registry-nodes");
    let operator = &object(&objects, "Deployment", "kube-ecs").expect("operator")["spec"]["template"]["spec"];
    assert_eq!(operator["volumes"][1]["secret"]["secretName"], "registry-auth");
    // Only the nodes' from an existing Secret: the operator's is still generated.
    let objects = with(&["ecr.registry.auth.existingNodeSecret=registry-nodes"]);
    assert!(object(&objects, "Secret", "kube-ecs-ecr-registry-auth").is_some());
    assert!(object(&objects, "Secret", "kube-ecs-ecr-registry-nodes").is_none());

    // An existing registry: nothing of the chart's own, the operator pointed at it.
    for (extra, credentials) in [
        (&["ecr.registry.external.url=http://registry.infra.svc:5000/"][..], None),
        (
            &[
                "ecr.registry.external.url=http://registry.infra.svc:5000",
                "ecr.registry.external.credentialsSecret=infra-registry",
            ][..],
            Some("infra-registry"),
        ),
    ] {
        let objects = with(extra);
        let rendering = serde_json::to_string(&objects).expect("json");
        assert!(!rendering.contains("kube-ecs-ecr-registry"), "the chart's registry is not deployed:\n{rendering}");
        assert!(claim(&objects).is_none());
        let args = operator_args(&objects);
        assert!(args.iter().any(|a| a == "--ecr-registry-upstream=http://registry.infra.svc:5000"), "{args:?}");
        let has_file = args.iter().any(|a| a.starts_with("--ecr-registry-upstream-credentials-file="));
        assert_eq!(has_file, credentials.is_some(), "{args:?}");
        let operator = &object(&objects, "Deployment", "kube-ecs").expect("operator")["spec"]["template"]["spec"];
        let volumes = operator["volumes"].as_array().expect("volumes");
        let secret =
            volumes.iter().find(|v| v["name"] == "ecr-registry-credentials").map(|v| &v["secret"]["secretName"]);
        assert_eq!(secret.and_then(|s| s.as_str()), credentials);
        assert!(object(&objects, "Service", "kube-ecs-ecr-front").is_some(), "the front is the operator's");
    }
}

#[test]
fn the_chart_refuses_ecr_values_that_cannot_work() {
    let without = |key: &str| ECR_ON.iter().copied().filter(|v| !v.starts_with(key)).collect::<Vec<_>>();
    fn with(extra: &str) -> Vec<&str> {
        [&ECR_ON[..], &[extra]].concat()
    }
    for (values, message) in [
        // ECR's tokens and API are ECS API endpoint calls.
        (
            vec!["ecr.enabled=true", "ecr.proxyEndpoint=https://ecr.example.com", "ecr.front.allowPlainHttp=true"],
            "ecr.enabled needs ecsApi.enabled=true",
        ),
        (without("ecr.proxyEndpoint"), "ecr.proxyEndpoint is required when ecr.enabled is true"),
        (with("ecr.proxyEndpoint=http://ecr.example.com"), "ecr.proxyEndpoint must be an https:// URL"),
        (with("ecr.proxyEndpoint=https://ecr.example.com/v2"), "ecr.proxyEndpoint must be an https:// URL"),
        (without("ecr.front.allowPlainHttp"), "ecr.front.allowPlainHttp=true is required when ecr.enabled is true"),
        (
            with("ecr.front.allowPlainHttp=false"),
            "so TLS must be terminated in front of the Service kube-ecs-ecr-front",
        ),
        (with("ecr.front.port=8443"), "ecr.front.port must be a TCP port other than metrics.port and ecsApi.port"),
        (with("ecr.front.port=8080"), "ecr.front.port must be a TCP port other than metrics.port and ecsApi.port"),
        (
            with("ecr.registry.readerPort=5000"),
            "ecr.registry.readerPort must be a TCP port other than ecr.registry.port",
        ),
        (with("ecr.registry.readerPort=0"), "ecr.registry.readerPort must be a TCP port other than ecr.registry.port"),
        // Without the nodes' Secret, a render that cannot look up would make a new node password each time.
        (
            with("ecr.registry.auth.existingSecret=registry-auth"),
            "ecr.registry.auth.existingNodeSecret is required with ecr.registry.auth.existingSecret",
        ),
        (with("ecr.registryHost=https://ecr.example.com"), "ecr.registryHost must be a host name"),
        (
            with("ecr.registry.external.url=https://registry.example.com"),
            "ecr.registry.external.url must be http://host:port",
        ),
        (with("ecr.lifecyclePeriodSeconds=0"), "ecr.lifecyclePeriodSeconds must be a number of seconds, at least 1"),
        (with("ecr.refreshPeriodSeconds=0"), "ecr.refreshPeriodSeconds must be a number of seconds, at least 1"),
    ] {
        let (ok, _, err) = helm_template(&values);
        assert!(!ok && err.contains(message), "{values:?}: want {message:?}, got:\n{err}");
    }
}

#[tokio::test]
async fn the_chart_keeps_the_registry_password_across_upgrades() {
    support::operator::start(); // CRDs
    let namespace = "chart-ecr";
    let release = |verb: &str| {
        let mut args = vec![verb, "ecr", CHART, "--namespace", namespace, "--wait=false", "--set", "replicaCount=1"];
        if verb == "install" {
            args.push("--create-namespace");
        }
        for value in ECR_ON {
            args.extend(["--set", value]);
        }
        let (ok, out, err) = support::helm(&args);
        assert!(ok, "helm {verb}:\n{out}\n{err}");
    };
    // Both users' Secrets: the operator's and the nodes'.
    let credentials = || {
        ["ecr-kube-ecs-ecr-registry-auth", "ecr-kube-ecs-ecr-registry-nodes"].map(|secret| {
            let (ok, out, err) =
                support::kubectl(&["get", "secret", secret, "-n", namespace, "-o", "jsonpath={.data}"], None);
            assert!(ok, "{secret}: {err}");
            out
        })
    };
    release("install");
    let first = credentials();
    for data in &first {
        assert!(data.contains("\"credentials\"") && data.contains("\"htpasswd\""), "{data}");
    }
    // helm's lookup finds the Secret: the same password, and the same htpasswd (bcrypt salts differ
    // per hash, so an unchanged line means it was not regenerated).
    release("upgrade");
    assert_eq!(credentials(), first, "helm upgrade changed the registry's passwords");
    // Kept on uninstall (the nodes' hosts.toml holds it), and reused by the next install.
    let (ok, out, err) = support::helm(&["uninstall", "ecr", "--namespace", namespace]);
    assert!(ok, "helm uninstall:\n{out}\n{err}");
    assert_eq!(credentials(), first, "the Secret outlives the release");
    release("install");
    assert_eq!(credentials(), first, "a reinstall reuses the kept Secret");
}
