//! kube-ecs's ECR under test: the local cluster's private registry as the registry under, the
//! operator's ECR parts (front, Repository controller) and an ECS API endpoint serving ECR's API,
//! in-process, once per test binary; and the real clients: the AWS CLI (`aws ecr`) and crane.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use kube_ecs::ecs_api::EndpointConfig;
use kube_ecs::local_cluster::registry::DEFAULT_ECR_HOST;

use super::ecs_api::{EcsApi, Key};

/// The account of [`DEFAULT_ECR_HOST`].
pub const ACCOUNT: &str = "123456789012";

/// ECR under test.
pub struct Ecr {
    /// The endpoint serving ECS's and ECR's APIs.
    pub api: EcsApi,
    /// `127.0.0.1:<port>` of the registry front (push and pull here).
    pub front: String,
    /// The registry host in repository URIs and task definitions.
    pub host: String,
    /// `127.0.0.1:<port>` of the registry under (for "the registry alone" and to look behind the front).
    pub upstream: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts ECR once per test binary; the lifecycle runs at once on a changed policy, and a
/// repository's status is refreshed every 2 s besides after each push.
pub fn start() -> &'static Ecr {
    static ECR: OnceLock<Ecr> = OnceLock::new();
    ECR.get_or_init(|| {
        let ctx = super::operator::context();
        let cluster = super::cluster();
        let registry = cluster.ecr().expect("the local cluster runs its private registry (with real nodes)");
        let (user, password) = registry.credentials().expect("the private registry requires credentials");
        let dir = super::scratch("ecr");
        let credentials = dir.join("upstream-credentials");
        std::fs::write(&credentials, format!("{user}:{password}")).expect("credentials file");
        let upstream = registry.address().to_string();
        let port = free_port();
        let keys_namespace = "kube-ecs-api-keys".to_string();
        let kubeconfig = cluster.kubeconfig().to_path_buf();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let args = kube_ecs::ecr::EcrArgs {
            ecr_registry_upstream: format!("http://{upstream}"),
            ecr_registry_upstream_credentials_file: Some(credentials),
            ecr_registry_host: DEFAULT_ECR_HOST.to_string(),
            ecr_front_bind_address: "127.0.0.1:0".into(),
            ecr_front_allow_plain_http: false,
            ecr_front_tls_cert: None,
            ecr_front_tls_key: None,
            ecr_proxy_endpoint: String::new(),
            ecr_lifecycle_period_seconds: 3600,
            ecr_refresh_period_seconds: 2,
        };
        let namespace = keys_namespace.clone();
        std::thread::Builder::new()
            .name("ecr-under-test".into())
            .spawn(move || {
                let runtime = tokio::runtime::Runtime::new().expect("ecr runtime");
                runtime.block_on(async move {
                    let kubeconfig = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
                    let config =
                        kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config");
                    let client = Client::try_from(config.clone()).expect("client");
                    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
                    let ns =
                        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
                    namespaces
                        .patch(&namespace, &PatchParams::apply("test-user"), &Patch::Apply(&ns))
                        .await
                        .expect("keys namespace");
                    let ecr = args
                        .start("us-east-1", ACCOUNT, &namespace, client.clone())
                        .await
                        .expect("ECR starts")
                        .expect("ECR is on");
                    let mut endpoint =
                        EndpointConfig::new(format!("127.0.0.1:{port}").parse().expect("address"), namespace);
                    endpoint.check_responses = true;
                    endpoint.account = ACCOUNT.into();
                    let _ = ready_tx.send(ecr.front_address.to_string());
                    let controller =
                        kube_ecs::controllers::repository::run(ctx, ecr.settings.clone(), futures::future::pending());
                    let serving = kube_ecs::ecs_api::run(endpoint, config, client, Some(ecr.endpoint_parts()));
                    let (_, served) = futures::join!(controller, serving);
                    if let Err(e) = served {
                        panic!("the ECS/ECR API endpoint stopped: {e}");
                    }
                });
            })
            .expect("ecr thread");
        let front = ready_rx.recv_timeout(Duration::from_secs(60)).expect("ECR started");
        super::ecs_api::wait_listening(port, "the ECS/ECR API endpoint");
        Ecr {
            api: EcsApi { url: format!("http://127.0.0.1:{port}"), port, keys_namespace, region: "us-east-1".into() },
            front,
            host: DEFAULT_ECR_HOST.to_string(),
            upstream,
        }
    })
}

/// `aws ecr <args>` with `key`: (success, stdout as JSON or a JSON string, stderr).
pub fn aws(ecr: &Ecr, key: &Key, args: &[&str]) -> (bool, serde_json::Value, String) {
    super::ecs_api::aws_service("ecr", &ecr.api.url, &ecr.api.region, key, args, &[])
}

/// `aws ecr <args>` that must succeed.
pub fn aws_ok(ecr: &Ecr, key: &Key, args: &[&str]) -> serde_json::Value {
    let (ok, json, stderr) = aws(ecr, key, args);
    assert!(ok, "aws ecr {} failed: {stderr}", args.join(" "));
    json
}

/// crane with its own login state (`DOCKER_CONFIG`), as one user's machine.
pub struct Crane {
    config: PathBuf,
}

impl Crane {
    pub fn new(name: &str) -> Self {
        let config = super::scratch(&format!("crane-{name}"));
        let _ = std::fs::remove_dir_all(&config);
        std::fs::create_dir_all(&config).expect("crane config dir");
        Self { config }
    }

    /// Runs crane; (success, stdout, stderr).
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        use std::io::Write as _;
        let mut child = Command::new(super::tools_bin().join("crane"))
            .args(args)
            .env("DOCKER_CONFIG", &self.config)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("running crane (make tools builds it)");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.unwrap_or_default().as_bytes());
        }
        let output = child.wait_with_output().expect("crane");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).trim().to_string(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// crane that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(args, None);
        assert!(ok, "crane {} failed: {stderr}", args.join(" "));
        stdout
    }

    /// `aws ecr get-login-password | crane auth login <front> -u AWS --password-stdin`.
    pub fn login(&self, ecr: &Ecr, key: &Key) {
        let (ok, password, stderr) = aws(ecr, key, &["get-login-password"]);
        assert!(ok, "aws ecr get-login-password failed: {stderr}");
        let password = password.as_str().expect("get-login-password prints the password").trim().to_string();
        let (ok, _, stderr) =
            self.run(&["auth", "login", &ecr.front, "-u", "AWS", "--password-stdin"], Some(&password));
        assert!(ok, "crane auth login failed: {stderr}");
    }
}

/// The busybox OCI layout the tools build (the base of the images the tests push).
pub fn busybox_layout() -> String {
    super::tools_bin().join("../images/busybox").display().to_string()
}
