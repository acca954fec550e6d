//! The ECS API under test: the endpoint in-process on a loopback port, checking every response
//! against botocore's model, with access keys (Secrets) and RBAC made per test; and the real
//! clients: the AWS CLI from the project's virtualenv (hack/aws-venv.sh), and raw signed requests
//! for what no well-behaved client sends.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use kube_ecs::ecs_api::EndpointConfig;

/// Where the test binary's endpoint listens and keeps its keys.
pub struct EcsApi {
    pub url: String,
    pub port: u16,
    pub keys_namespace: String,
    pub region: String,
}

/// An access key and the identity it stands for.
#[derive(Clone, Debug)]
pub struct Key {
    pub id: String,
    pub secret: String,
    pub user: String,
    pub namespace: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts the endpoint once per test binary (on a runtime of its own, like the operator).
pub fn start() -> &'static EcsApi {
    static API: OnceLock<EcsApi> = OnceLock::new();
    API.get_or_init(|| {
        super::operator::start();
        let cluster = super::cluster();
        let port = free_port();
        let keys_namespace = "kube-ecs-api-keys".to_string();
        let api = EcsApi { url: format!("http://127.0.0.1:{port}"), port, keys_namespace: keys_namespace.clone(), region: "us-east-1".into() };
        let kubeconfig = cluster.kubeconfig().to_path_buf();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("ecs-api-under-test".into())
            .spawn(move || {
                let runtime = tokio::runtime::Runtime::new().expect("endpoint runtime");
                runtime.block_on(async move {
                    let kubeconfig = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
                    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config");
                    let client = Client::try_from(config.clone()).expect("client");
                    let namespaces: Api<Namespace> = Api::all(client.clone());
                    let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": keys_namespace}});
                    namespaces.patch(&keys_namespace, &PatchParams::apply("test-user"), &Patch::Apply(&ns)).await.expect("keys namespace");
                    let mut endpoint = EndpointConfig::new(format!("127.0.0.1:{port}").parse().expect("address"), keys_namespace);
                    endpoint.check_responses = true;
                    endpoint.max_body_bytes = 256 * 1024;
                    let _ = ready_tx.send(());
                    if let Err(e) = kube_ecs::ecs_api::run(endpoint, config, client, None).await {
                        panic!("the ECS API endpoint stopped: {e}");
                    }
                });
            })
            .expect("endpoint thread");
        ready_rx.recv_timeout(Duration::from_secs(60)).expect("endpoint started");
        wait_listening(port, "the ECS API endpoint");
        api
    })
}

/// Waits until `what` listens on 127.0.0.1:`port`: an endpoint binds its port once it runs, after
/// its thread said it started, and the first call must not come before.
pub fn wait_listening(port: u16, what: &str) {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !kube_ecs::local_cluster::accepts_connections(address, Duration::from_millis(200)) {
        assert!(std::time::Instant::now() < deadline, "{what} never listened on {address}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A cluster (applied as the test user) with one simulated container instance, once the operator
/// reports that instance connected with its free room (RunTask's placement answer reads it).
pub async fn cluster_with_nodes(client: &Client, name: &str) {
    super::ecs_cluster(client, name, serde_json::json!({}), 1, ("4", "8Gi")).await;
    let instances: Api<kube_ecs::api::ContainerInstance> = Api::all(client.clone());
    super::wait_for_list(&instances, "the cluster's container instance", |all| {
        all.iter().any(|i| {
            i.spec.cluster == name
                && i.status.as_ref().is_some_and(|s| s.agent_connected && s.remaining_resources.is_some())
        })
    })
    .await;
}

/// The bin directory of the project's AWS CLI / boto3 virtualenv (made by hack/aws-venv.sh).
pub fn aws_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(dir) = std::env::var_os("KUBE_ECS_AWS_BIN") {
            return PathBuf::from(dir);
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("hack/aws-venv.sh");
        let output = Command::new("bash").arg(&script).output().expect("running hack/aws-venv.sh");
        assert!(
            output.status.success(),
            "hack/aws-venv.sh must make the AWS CLI's virtualenv for the ECS API tests:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        PathBuf::from(stdout.lines().last().expect("aws-venv.sh prints the bin directory").trim())
    })
    .clone()
}

/// The RBAC a team member has in their namespace (what the chart's aggregated `edit` grants) and
/// read access to clusters; `clusters_admin` also lets them create and delete clusters.
pub async fn grant(client: &Client, user: &str, namespace: &str, clusters_admin: bool) {
    let params = PatchParams::apply("test-user").force();
    let role_name = format!("ecs-team-{user}");
    let role = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": role_name, "namespace": namespace},
        "rules": [
            {"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["tasks", "services", "taskdefinitions", "repositories", "scheduledtasks"], "verbs": ["*"]},
            {"apiGroups": ["apps"], "resources": ["controllerrevisions"], "verbs": ["get", "list", "watch", "delete"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "delete"]},
        ],
    });
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": role_name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    });
    Api::<Role>::namespaced(client.clone(), namespace)
        .patch(&role_name, &params, &Patch::Apply(&role))
        .await
        .expect("role");
    Api::<RoleBinding>::namespaced(client.clone(), namespace)
        .patch(&role_name, &params, &Patch::Apply(&binding))
        .await
        .expect("binding");
    let verbs: &[&str] = if clusters_admin { &["*"] } else { &["get", "list", "watch"] };
    let cluster_role = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": role_name},
        "rules": [
            {"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["ecsclusters"], "verbs": verbs},
            {"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["containerinstances"], "verbs": ["get", "list", "watch"]},
        ],
    });
    let cluster_binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": role_name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    });
    Api::<ClusterRole>::all(client.clone())
        .patch(&role_name, &params, &Patch::Apply(&cluster_role))
        .await
        .expect("cluster role");
    Api::<ClusterRoleBinding>::all(client.clone())
        .patch(&role_name, &params, &Patch::Apply(&cluster_binding))
        .await
        .expect("cluster binding");
}

/// Creates an access key for `user` whose objects live in `namespace`, and waits until the
/// endpoint knows it.
pub async fn key(client: &Client, api: &EcsApi, user: &str, namespace: &str) -> Key {
    let id = format!("AKIA{}", kube_ecs::ecs_api::ids::task_id()[..16].to_uppercase());
    let key = Key { id, secret: kube_ecs::ecs_api::ids::task_id(), user: user.into(), namespace: namespace.into() };
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": format!("key-{}", key.id.to_lowercase()), "namespace": api.keys_namespace},
        "type": kube_ecs::ecs_api::keys::SECRET_TYPE,
        "stringData": {"accessKeyId": key.id, "secretAccessKey": key.secret, "username": user, "namespace": namespace},
    });
    let name = secret["metadata"]["name"].as_str().expect("name").to_string();
    Api::<Secret>::namespaced(client.clone(), &api.keys_namespace)
        .patch(&name, &PatchParams::apply("test-user"), &Patch::Apply(&secret))
        .await
        .expect("key secret");
    let deadline = std::time::Instant::now() + super::WAIT;
    loop {
        let (status, body) = call(api, &key, "ListClusters", &serde_json::json!({})).await;
        if body["__type"] != "UnrecognizedClientException" {
            let _ = status;
            return key;
        }
        assert!(std::time::Instant::now() < deadline, "the endpoint never learned key {}", key.id);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The test cluster's client configuration (for endpoints a test starts itself).
pub async fn kube_config() -> kube::Config {
    let kubeconfig = kube::config::Kubeconfig::read_from(super::cluster().kubeconfig()).expect("kubeconfig");
    kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config")
}

/// Runs `aws ecs <args>` with `key` against the endpoint; returns (success, stdout as JSON or
/// Null, stderr).
pub fn aws(api: &EcsApi, key: &Key, args: &[&str]) -> (bool, serde_json::Value, String) {
    aws_at(&api.url, &api.region, key, args, &[])
}

/// `aws ecs <args>` against the endpoint at `url`, with `env` added.
pub fn aws_at(
    url: &str,
    region: &str,
    key: &Key,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, serde_json::Value, String) {
    aws_service("ecs", url, region, key, args, env)
}

/// `aws <service> <args>` against the endpoint at `url`, with `env` added; (success, stdout as
/// JSON, else as a JSON string, else Null, stderr).
pub fn aws_service(
    service: &str,
    url: &str,
    region: &str,
    key: &Key,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, serde_json::Value, String) {
    let output = Command::new(aws_bin().join("aws"))
        .arg(service)
        .args(args)
        .args(["--endpoint-url", url, "--region", region, "--output", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", super::scratch("aws-home"))
        .env("AWS_ACCESS_KEY_ID", &key.id)
        .env("AWS_SECRET_ACCESS_KEY", &key.secret)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running the AWS CLI");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = if stdout.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&stdout).unwrap_or(serde_json::Value::String(stdout))
    };
    (output.status.success(), json, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// `aws ecs <args>` that must succeed; its JSON output.
pub fn aws_ok(api: &EcsApi, key: &Key, args: &[&str]) -> serde_json::Value {
    let (ok, json, stderr) = aws(api, key, args);
    assert!(ok, "aws ecs {} failed: {stderr}", args.join(" "));
    json
}

/// A signed request as botocore sends it (`extra` headers override or add to the usual ones);
/// returns the HTTP status and the JSON body.
pub async fn raw(
    api: &EcsApi,
    key: Option<&Key>,
    target: Option<&str>,
    body: &[u8],
    time: jiff::Timestamp,
    extra: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    use kube_ecs::ecs_api::client;
    let host = format!("127.0.0.1:{}", api.port);
    let signer =
        key.map(|k| client::Signer { access_key_id: &k.id, secret_access_key: &k.secret, region: &api.region });
    let mut headers = client::headers(&host, target, body, signer, time);
    for (name, value) in extra {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push(((*name).into(), (*value).into()));
    }
    client::post(&host, &headers, body).await.expect("reaching the endpoint")
}

/// A signed call of `operation` with `input`.
pub async fn call(api: &EcsApi, key: &Key, operation: &str, input: &serde_json::Value) -> (u16, serde_json::Value) {
    let target = format!("AmazonEC2ContainerServiceV20141113.{operation}");
    let body = serde_json::to_vec(input).expect("json");
    raw(api, Some(key), Some(&target), &body, jiff::Timestamp::now(), &[]).await
}

/// A Role with `rules` in `namespace`, bound to `user` (server-side applied as the test user).
pub async fn grant_role(client: &Client, user: &str, namespace: &str, name: &str, rules: serde_json::Value) {
    let params = PatchParams::apply("test-user").force();
    let name = format!("{name}-{user}");
    let role = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": name, "namespace": namespace}, "rules": rules,
    });
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    });
    Api::<Role>::namespaced(client.clone(), namespace).patch(&name, &params, &Patch::Apply(&role)).await.expect("role");
    Api::<RoleBinding>::namespaced(client.clone(), namespace)
        .patch(&name, &params, &Patch::Apply(&binding))
        .await
        .expect("binding");
}

/// What the API's records in a namespace need besides [`grant`] (account settings, capacity
/// providers, log groups, INACTIVE clusters and services: ConfigMaps of the key's namespace), as
/// `edit` grants.
pub async fn grant_config_maps(client: &Client, user: &str, namespace: &str) {
    let rules =
        serde_json::json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "patch"]}]);
    grant_role(client, user, namespace, "ecs-records", rules).await;
}

/// `get` on `pods/log`: what reading a task's log through CloudWatch Logs' API takes, beyond [`grant`].
pub async fn grant_pod_logs(client: &Client, user: &str, namespace: &str) {
    let rules = serde_json::json!([{"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}]);
    grant_role(client, user, namespace, "pod-logs", rules).await;
}

/// A team's namespace (named from `prefix`), its user's RBAC ([`grant`]) and an access key for it.
pub async fn team(client: &Client, api: &EcsApi, prefix: &str, clusters_admin: bool) -> (String, Key) {
    let ns = super::namespace(client, prefix).await;
    let user = format!("{ns}-ci");
    grant(client, &user, &ns, clusters_admin).await;
    let key = key(client, api, &user, &ns).await;
    (ns, key)
}

/// `count` simulated container instances labelled for the EcsCluster object `object` (a cluster
/// without pools), once the operator reports each connected with its free room.
pub async fn instances_for(client: &Client, object: &str, count: usize) {
    for i in 0..count {
        kube_ecs::local_cluster::create_simulated_node(
            client,
            &format!("{object}-node-{i}"),
            &[("ecs.kube-ecs.dev/cluster", object)],
            "4",
            "8Gi",
        )
        .await
        .expect("node");
    }
    let instances: Api<kube_ecs::api::ContainerInstance> = Api::all(client.clone());
    super::wait_for_list(&instances, "the cluster's container instances", |all| {
        all.iter()
            .filter(|i| {
                i.spec.cluster == object
                    && i.status.as_ref().is_some_and(|s| s.agent_connected && s.remaining_resources.is_some())
            })
            .count()
            == count
    })
    .await;
}
