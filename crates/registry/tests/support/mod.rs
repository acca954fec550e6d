//! What the front's tests run: the real CNCF registry under (from `KUBE_ECS_TOOLS_BIN`), the front
//! in the test's runtime, the real `crane` as the client, and a plain HTTP client for what crane
//! does not show (status codes, headers).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kube_ecs_registry::authorize::Authorizer;
use kube_ecs_registry::directory::{RepositoryEntry, StaticDirectory};
use kube_ecs_registry::front::{self, FrontConfig, PushObserver};
use kube_ecs_registry::token::{self, TokenIdentity};
use tokio::process::{Child, Command};
use tokio_rustls::rustls::ServerConfig;

pub const REGISTRY_HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
pub const REGISTRY_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const KEY: &[u8] = b"test key of the front, 32 bytes!";
/// How long anything a test waits for may take.
const WAIT: Duration = Duration::from_secs(30);

/// The directory of the built tools; the tests cannot run without them, so its absence fails.
pub fn tools_bin() -> PathBuf {
    let Some(dir) = std::env::var_os("KUBE_ECS_TOOLS_BIN") else {
        panic!(
            "KUBE_ECS_TOOLS_BIN is not set: these tests run the real registry and crane; \
             run them with `make test`, or KUBE_ECS_TOOLS_BIN=$(hack/build-tools.sh | tail -n1)"
        );
    };
    let dir = PathBuf::from(dir);
    for tool in ["registry", "crane"] {
        assert!(dir.join(tool).is_file(), "{tool} not found in KUBE_ECS_TOOLS_BIN={}", dir.display());
    }
    dir
}

/// The busybox OCI layout the tools build ships.
pub fn busybox_layout() -> PathBuf {
    let layout = tools_bin().join("../images/busybox");
    assert!(layout.join("index.json").is_file(), "no OCI layout at {}", layout.display());
    layout
}

/// A directory removed when the test ends.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "kube-ecs-registry-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating a temporary directory");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The registry under: CNCF distribution with htpasswd authentication (user `AWS`).
pub struct UpstreamRegistry {
    pub address: String,
    pub password: String,
    child: Child,
    _dir: TempDir,
}

impl UpstreamRegistry {
    pub async fn start() -> Self {
        let tools = tools_bin();
        let dir = TempDir::new("upstream");
        let password = format!("pw-{}", std::process::id());
        let htpasswd = std::process::Command::new("htpasswd")
            .args(["-nbB", "AWS", &password])
            .output()
            .expect("running htpasswd (apache2-utils)");
        assert!(htpasswd.status.success(), "htpasswd: {}", String::from_utf8_lossy(&htpasswd.stderr));
        std::fs::write(dir.path().join("htpasswd"), &htpasswd.stdout).expect("writing htpasswd");
        // A port picked free can be taken before the registry binds it: then try another.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let address = format!("127.0.0.1:{port}");
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    \
                     rootdirectory: {data}\n  delete:\n    enabled: true\nhttp:\n  addr: {address}\n  secret: test-secret\n\
                     auth:\n  htpasswd:\n    realm: kube-ecs-test-upstream\n    path: {htpasswd}\n",
                    data = dir.path().join("data").display(),
                    htpasswd = dir.path().join("htpasswd").display(),
                ),
            )
            .expect("writing the registry config");
            let log = std::fs::File::create(dir.path().join("registry.log")).expect("creating the registry log");
            let mut child = Command::new(tools.join("registry"))
                .arg("serve")
                .arg(&config)
                // Otherwise it tries to export traces to localhost:4318.
                .env("OTEL_TRACES_EXPORTER", "none")
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .expect("starting the registry");
            if wait_serving(&address, &mut child).await {
                return Self { address, password, child, _dir: dir };
            }
            let _ = child.kill().await;
            failures.push(std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default());
        }
        panic!("the registry did not start:\n{}", failures.join("\n---\n"));
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for UpstreamRegistry {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("local address").port()
}

/// Whether the registry answers HTTP on `address` before it exits or [`WAIT`] passes.
async fn wait_serving(address: &str, child: &mut Child) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(2), get_status(address)).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn get_status(address: &str) -> Result<u16, String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let uri: http::Uri = format!("http://{address}/v2/").parse().map_err(|e| format!("{e}"))?;
    client.get(uri).await.map(|r| r.status().as_u16()).map_err(|e| e.to_string())
}

/// Every push the front reported.
#[derive(Default)]
pub struct Pushes(Mutex<Vec<(String, String, Option<String>)>>);

impl Pushes {
    pub fn seen(&self) -> Vec<(String, String, Option<String>)> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl PushObserver for Pushes {
    fn pushed(&self, repository_name: &str, digest: &str, tag: Option<&str>, _at: jiff::Timestamp) {
        self.0.lock().expect("not poisoned").push((repository_name.into(), digest.into(), tag.map(Into::into)));
    }
}

/// The front under test, serving on a loopback port until dropped.
pub struct RunningFront {
    pub address: String,
    pub pushes: Arc<Pushes>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<Result<(), front::FrontError>>>,
}

impl RunningFront {
    /// A front over `upstream` (with `upstream_password` as its credentials) serving `team-a/web`
    /// (MUTABLE) and `team-a/frozen` (IMMUTABLE), decided by `authorizer`.
    pub async fn start(upstream: &UpstreamRegistry, upstream_password: &str, authorizer: Arc<dyn Authorizer>) -> Self {
        Self::start_tls(upstream, upstream_password, authorizer, None).await
    }

    /// As [`RunningFront::start`], with TLS when `tls` is given.
    pub async fn start_tls(
        upstream: &UpstreamRegistry,
        upstream_password: &str,
        authorizer: Arc<dyn Authorizer>,
        tls: Option<Arc<ServerConfig>>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding the front");
        let address = listener.local_addr().expect("local address").to_string();
        let config = FrontConfig {
            upstream: upstream.url(),
            upstream_credentials: Some(("AWS".into(), upstream_password.into())),
            registry_host: REGISTRY_HOST.into(),
            registry_id: REGISTRY_ID.into(),
            region: REGION.into(),
            token_key: KEY.to_vec(),
        };
        let entry = |object_name: &str, repository_name: &str, immutable| RepositoryEntry {
            namespace: "team-a".into(),
            object_name: object_name.into(),
            repository_name: repository_name.into(),
            immutable,
        };
        let directory =
            StaticDirectory::new([entry("web", "team-a/web", false), entry("frozen", "team-a/frozen", true)]);
        let pushes = Arc::new(Pushes::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(front::serve_tls(
            listener,
            tls,
            config,
            Arc::new(directory),
            authorizer,
            pushes.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Self { address, pushes, stop: Some(stop), served: Some(served) }
    }

    /// Stops the front and says whether it ended without an error.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            let ended = tokio::time::timeout(WAIT, served).await.expect("the front stops on shutdown");
            ended.expect("the front's task").expect("the front serves without an error");
        }
    }
}

impl Drop for RunningFront {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A token password for alice of team-a, issued at `now`.
pub fn password_at(now: jiff::Timestamp) -> String {
    let identity = TokenIdentity {
        username: "alice".into(),
        groups: vec!["team-a".into(), "system:authenticated".into()],
        access_key_id: "AKIAEXAMPLE".into(),
    };
    token::issue(KEY, &identity, now).0
}

pub fn password() -> String {
    password_at(jiff::Timestamp::now())
}

/// crane with its own Docker config (its credentials).
pub struct Crane {
    config: TempDir,
    env: Vec<(String, String)>,
}

/// What a crane run printed.
pub struct Ran {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Crane {
    pub fn new() -> Self {
        Self { config: TempDir::new("crane"), env: Vec::new() }
    }

    /// A crane that also has `name`=`value` in its environment.
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// `crane auth login <registry> -u <user> --password-stdin`.
    pub async fn login(&self, registry: &str, user: &str, password: &str) {
        let ran = self.run_with_stdin(&["auth", "login", registry, "-u", user, "--password-stdin"], password).await;
        assert!(ran.ok, "crane auth login failed: {}", ran.stderr);
    }

    pub async fn run(&self, args: &[&str]) -> Ran {
        self.run_with_stdin(args, "").await
    }

    async fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Ran {
        use tokio::io::AsyncWriteExt as _;
        let mut child = Command::new(tools_bin().join("crane"))
            .args(args)
            .env("DOCKER_CONFIG", self.config.path())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("starting crane");
        let mut input = child.stdin.take().expect("crane's stdin");
        input.write_all(stdin.as_bytes()).await.expect("writing crane's stdin");
        drop(input);
        let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("crane {args:?} did not finish within 120 s"))
            .expect("running crane");
        Ran {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).trim().to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        }
    }

    /// The digest of `image`, which must exist.
    pub async fn digest(&self, image: &str) -> String {
        let ran = self.run(&["digest", image]).await;
        assert!(ran.ok, "crane digest {image}: {}", ran.stderr);
        ran.stdout
    }
}

/// An answer of the plain HTTP client.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

/// `method` `url` with `headers` and `body`, answered in full.
pub async fn request(method: &str, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request.body(Full::new(Bytes::from(body))).expect("a request");
    let response = tokio::time::timeout(WAIT, client.request(request))
        .await
        .unwrap_or_else(|_| panic!("{method} {url} not answered within {WAIT:?}"))
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("the answer's body").to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&body).to_string() }
}

/// The Basic header of `password` as user AWS.
pub fn basic(password: &str) -> (&'static str, String) {
    ("authorization", format!("Basic {}", STANDARD.encode(format!("AWS:{password}"))))
}

/// A self-signed certificate for 127.0.0.1 (openssl, as the local cluster's PKI makes them): the
/// server configuration and the certificate's PEM file, for clients to trust.
pub fn self_signed_tls(dir: &Path) -> (Arc<ServerConfig>, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let output = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("running openssl");
    assert!(output.status.success(), "openssl: {}", String::from_utf8_lossy(&output.stderr));
    // The loader the operator's --ecr-front-tls-cert uses.
    let config = kube_ecs_registry::front::server_config(&cert, &key).expect("a TLS configuration");
    (config, cert)
}
