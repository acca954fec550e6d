//! A real Kubernetes control plane on 127.0.0.1, started as plain processes: etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler and kwok (which plays the kubelets of simulated nodes), and
//! optionally real nodes (containerd and a kubelet each, see [`real_node`]) with the add-ons that need
//! them (metrics-server, kube-proxy and CoreDNS, see [`AddOns`]).
//!
//! The one implementation behind both the integration tests and `kube-ecs dev up`. Every start uses
//! fresh free ports and a fresh data directory; stopping (drop, normal exit, or the parent's death)
//! leaves no process and no data behind.

mod addons;
mod forwarder;
pub mod gitops;
mod pki;
mod ports;
pub use ports::accepts_connections;
mod process;
pub mod real_node;
pub mod registry;
mod stages;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tracing::instrument::WithSubscriber as _;

pub use addons::AddOns;
pub use addons::metrics_server::{API_SERVICE as METRICS_API_SERVICE, METRIC_RESOLUTION};
pub use forwarder::ApiForwarder;
pub use process::ManagedProcess;
pub use real_node::service_network::ServiceNetwork;
pub use real_node::{LOCAL_INSTANCE_LABEL, REAL_NODE_LABEL, RealNode};
pub use registry::LocalRegistry;

/// Why a local cluster could not be started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("local control plane failed to start: {0}")]
    Startup(String),
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}

/// How to start a local cluster.
#[derive(Debug, Clone)]
pub struct LocalClusterOptions {
    /// Directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok.
    pub tools_bin: PathBuf,
    /// Generic simulated nodes to create (besides any the operator creates for EcsCluster pools).
    pub generic_nodes: u32,
    /// Allocatable CPU of each generic node (Kubernetes quantity).
    pub generic_node_cpu: String,
    /// Allocatable memory of each generic node (Kubernetes quantity).
    pub generic_node_memory: String,
    /// Where data directories are created (default: the system temp dir).
    pub data_root: Option<PathBuf>,
    /// How long to wait for the API and the controllers to be ready.
    pub ready_timeout: Duration,
    /// Write an audit log of every write request (`<dir>/audit.log`, JSON lines): the benchmarks count
    /// writes per client from it.
    pub audit_writes: bool,
    /// QPS and burst of kube-controller-manager and kube-scheduler (default: high enough never to be a
    /// bottleneck; the benchmarks' matched mode uses KCM's own defaults, 20/30).
    pub controller_qps: (u32, u32),
    /// Real nodes to start (`real-0`, `real-1`, ...): containerd and a kubelet each, running real
    /// containers. Needs root and the tools and images of `make tools`.
    pub real_nodes: u32,
    /// Offline images imported into every real node (default: `<tools_bin>/../images`).
    pub images_dir: Option<PathBuf>,
    /// ECR registry hosts the private local registry stands in for (with real nodes).
    pub ecr_hosts: Vec<String>,
    /// Add-ons started beside the real nodes (with real nodes only; default: metrics-server).
    pub addons: AddOns,
}

impl LocalClusterOptions {
    pub fn new(tools_bin: impl Into<PathBuf>) -> Self {
        Self {
            tools_bin: tools_bin.into(),
            generic_nodes: 0,
            generic_node_cpu: "8".into(),
            generic_node_memory: "32Gi".into(),
            data_root: None,
            ready_timeout: Duration::from_secs(90),
            audit_writes: false,
            controller_qps: (5000, 10000),
            real_nodes: 0,
            images_dir: None,
            ecr_hosts: vec![registry::DEFAULT_ECR_HOST.to_string()],
            addons: AddOns::default(),
        }
    }
}

/// A running local control plane. Dropping it stops every process and removes its data.
#[derive(Debug)]
pub struct LocalCluster {
    dir: PathBuf,
    kubeconfig: PathBuf,
    server: String,
    tools_bin: PathBuf,
    /// In start order; stopped in reverse. Behind a lock so a shared (`&'static`) cluster can still
    /// restart a component in a fault test.
    processes: std::sync::Mutex<Vec<ManagedProcess>>,
    apiserver_args: Vec<String>,
    /// Stopped before the control plane.
    real_nodes: Vec<RealNode>,
    /// The Service network kube-proxy serves (with real nodes and `AddOns::services`); removed after the
    /// real nodes.
    service_network: Option<ServiceNetwork>,
    /// Add-on processes (metrics-server, kube-proxy, CoreDNS); stopped before the real nodes they run
    /// beside.
    addons: std::sync::Mutex<Vec<ManagedProcess>>,
    /// The public registry, the private (ECR) one, its read-only reader for nodes; with real nodes only.
    registries: Vec<LocalRegistry>,
    /// One per real node: its IP at the apiserver's port -> the apiserver (see [`forwarder`]).
    forwarders: Vec<ApiForwarder>,
    /// Keeps CoreDNS's Corefile in step with the Cloud Map namespaces' rules; stopped before CoreDNS.
    dns_rules: Option<addons::coredns_rules::RuleWatcher>,
    apiserver_port: u16,
    started_in: Duration,
}

/// The host part of the cluster DNS Service's ClusterIP (`10.<n>.0.10`, as kubeadm's).
const DNS_SERVICE_HOST: u8 = 10;

/// Label every generic simulated node carries.
pub const GENERIC_NODE_LABEL: &str = "local-cluster.kube-ecs.dev/generic";
/// Annotation that hands a Node to kwok (it plays the kubelet for it).
pub const KWOK_NODE_ANNOTATION: &str = "kwok.x-k8s.io/node";

impl LocalCluster {
    /// Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, waits until the API
    /// serves and the controllers work, and creates the generic nodes.
    pub async fn start(options: LocalClusterOptions) -> Result<Self, Error> {
        let started = Instant::now();
        let root = options.data_root.clone().unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&root).map_err(|e| Error::io(format!("creating {}", root.display()), e))?;
        let dir = make_unique_dir(&root)?;
        process::remove_at_exit(&dir);
        let mut cluster = LocalCluster {
            kubeconfig: dir.join("kubeconfig"),
            server: String::new(),
            tools_bin: options.tools_bin.clone(),
            dir,
            processes: std::sync::Mutex::new(Vec::new()),
            apiserver_args: Vec::new(),
            real_nodes: Vec::new(),
            addons: std::sync::Mutex::new(Vec::new()),
            service_network: None,
            registries: Vec::new(),
            forwarders: Vec::new(),
            dns_rules: None,
            apiserver_port: 0,
            started_in: Duration::ZERO,
        };
        cluster.launch(&options).await?;
        cluster.started_in = started.elapsed();
        Ok(cluster)
    }

    async fn launch(&mut self, options: &LocalClusterOptions) -> Result<(), Error> {
        for tool in ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"] {
            if !self.tools_bin.join(tool).is_file() {
                return Err(Error::Startup(format!(
                    "{} not found in {} (run `make tools`)",
                    tool,
                    self.tools_bin.display()
                )));
            }
        }
        // Leased before the apiserver starts: its Service CIDR is a flag, its first IP a certificate name.
        if options.real_nodes > 0 && options.addons.services {
            self.service_network = Some(ServiceNetwork::create(&self.dir)?);
        }
        let (service_cidr, kubernetes_ip) = match &self.service_network {
            Some(network) => (network.cidr(), network.service_ip(1)),
            // Nothing routes it: every cluster without a Service network may use the same.
            None => ("10.96.0.0/16".to_string(), "10.96.0.1".to_string()),
        };
        let credentials = pki::generate(&self.dir, &kubernetes_ip)?;
        let [etcd_client, etcd_peer, apiserver, kcm, scheduler, kwok]: [u16; 6] =
            ports::pick_free_ports(6)?.try_into().map_err(|_| Error::Startup("could not pick 6 free ports".into()))?;
        self.server = format!("https://127.0.0.1:{apiserver}");
        self.apiserver_port = apiserver;
        write_kubeconfig(&self.kubeconfig, &self.server, &credentials.admin_token)?;

        let etcd_dir = self.dir.join("etcd");
        self.spawn(
            "etcd",
            &[
                "--name=local".into(),
                format!("--data-dir={}", etcd_dir.display()),
                format!("--listen-client-urls=http://127.0.0.1:{etcd_client}"),
                format!("--advertise-client-urls=http://127.0.0.1:{etcd_client}"),
                format!("--listen-peer-urls=http://127.0.0.1:{etcd_peer}"),
                format!("--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}"),
                format!("--initial-cluster=local=http://127.0.0.1:{etcd_peer}"),
                // Throwaway data: durability only costs time here.
                "--unsafe-no-fsync".into(),
                "--quota-backend-bytes=8589934592".into(),
                // As kubeadm and kind do: lets the apiserver's watch caches advance when their type is
                // idle, so watches resume (instead of expiring) after a kube-apiserver restart.
                "--watch-progress-notify-interval=5s".into(),
                "--log-level=warn".into(),
            ],
        )?;

        self.apiserver_args = vec![
            format!("--etcd-servers=http://127.0.0.1:{etcd_client}"),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={apiserver}"),
            format!("--cert-dir={}", self.dir.join("apiserver-certs").display()),
            // Signed by the local CA, naming loopback, the `kubernetes` Service and every real node's IP
            // (pods reach the apiserver there through the forwarders): in-cluster clients verify it.
            format!("--tls-cert-file={}", credentials.serving_cert.display()),
            format!("--tls-private-key-file={}", credentials.serving_key.display()),
            format!("--token-auth-file={}", credentials.token_file.display()),
            "--authorization-mode=RBAC".into(),
            format!("--service-cluster-ip-range={service_cidr}"),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
            format!("--service-account-key-file={}", credentials.service_account_pub.display()),
            format!("--service-account-signing-key-file={}", credentials.service_account_key.display()),
            "--allow-privileged=true".into(),
            // Real nodes' kubelets listen on their node's InternalIP (the gateway address of the node's
            // bridge); their Hostname (the node name) resolves nowhere. `kubectl logs` and `exec` need it.
            "--kubelet-preferred-address-types=InternalIP,Hostname".into(),
            format!("--kubelet-client-certificate={}", credentials.kubelet_client_cert.display()),
            format!("--kubelet-client-key={}", credentials.kubelet_client_key.display()),
            // Tests and benchmarks drive thousands of objects; fairness queues would be the bottleneck.
            "--enable-priority-and-fairness=false".into(),
            "--max-requests-inflight=3000".into(),
            "--max-mutating-requests-inflight=1500".into(),
            // Aggregated APIs (metrics-server): the apiserver proxies with the front proxy's client
            // certificate and names the user in these headers; it publishes the settings in
            // kube-system/extension-apiserver-authentication, where the add-ons read them.
            format!("--requestheader-client-ca-file={}", credentials.front_proxy_ca.display()),
            format!("--requestheader-allowed-names={}", pki::FRONT_PROXY_CLIENT),
            "--requestheader-username-headers=X-Remote-User".into(),
            "--requestheader-group-headers=X-Remote-Group".into(),
            "--requestheader-extra-headers-prefix=X-Remote-Extra-".into(),
            format!("--proxy-client-cert-file={}", credentials.front_proxy_client_cert.display()),
            format!("--proxy-client-key-file={}", credentials.front_proxy_client_key.display()),
            // Dial an APIService's endpoint, not its ClusterIP: nothing routes ClusterIPs to the host.
            "--enable-aggregator-routing=true".into(),
        ];
        if options.audit_writes {
            let policy = self.dir.join("audit-policy.yaml");
            std::fs::write(
                &policy,
                "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n\
                 - level: Metadata\n  verbs: [create, update, patch, delete, deletecollection]\n- level: None\n",
            )
            .map_err(|e| Error::io("writing the audit policy", e))?;
            self.apiserver_args.push(format!("--audit-policy-file={}", policy.display()));
            self.apiserver_args.push(format!("--audit-log-path={}", self.audit_log().display()));
            self.apiserver_args.push("--audit-log-format=json".into());
            self.apiserver_args.push("--audit-log-mode=blocking".into());
            // The log writer rotates at 100 MB unless told otherwise, and a rotated log loses
            // the counts the benchmarks take (N=5000 writes well over 100 MB).
            self.apiserver_args.push("--audit-log-maxsize=1000000".into());
        }
        let apiserver_args = self.apiserver_args.clone();
        self.spawn("kube-apiserver", &apiserver_args)?;
        let client = self.wait_for_api(options.ready_timeout).await?;

        let kcm_kubeconfig = self.kubeconfig.display().to_string();
        self.spawn("kube-controller-manager", &[
            format!("--kubeconfig={kcm_kubeconfig}"),
            format!("--authentication-kubeconfig={kcm_kubeconfig}"),
            format!("--authorization-kubeconfig={kcm_kubeconfig}"),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={kcm}"),
            format!("--cert-dir={}", self.dir.join("kcm-certs").display()),
            "--leader-elect=false".into(),
            format!("--service-account-private-key-file={}", credentials.service_account_key.display()),
            // Published in every namespace's `kube-root-ca.crt`: the CA of the apiserver's serving certificate.
            format!("--root-ca-file={}", credentials.ca_cert.display()),
            "--use-service-account-credentials=false".into(),
            // Never the bottleneck of a test or benchmark.
            format!("--kube-api-qps={}", options.controller_qps.0),
            format!("--kube-api-burst={}", options.controller_qps.1),
            "--concurrent-deployment-syncs=20".into(),
            "--concurrent-replicaset-syncs=20".into(),
            "--concurrent-job-syncs=20".into(),
            "--concurrent-gc-syncs=50".into(),
            "--concurrent-daemonset-syncs=10".into(),
            // HPAs read metrics.k8s.io every sync (default 15 s); 5 s keeps scaling tests short while
            // metrics themselves change only once per METRIC_RESOLUTION.
            "--horizontal-pod-autoscaler-sync-period=5s".into(),
            "--controllers=*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle-controller,-node-route-controller".into(),
        ])?;

        let scheduler_config = self.dir.join("scheduler.yaml");
        std::fs::write(
            &scheduler_config,
            format!(
                "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n\
                 clientConnection:\n  kubeconfig: {kcm_kubeconfig}\n  qps: {qps}\n  burst: {burst}\n\
                 leaderElection:\n  leaderElect: false\n",
                qps = options.controller_qps.0,
                burst = options.controller_qps.1,
            ),
        )
        .map_err(|e| Error::io("writing the scheduler configuration", e))?;
        self.spawn(
            "kube-scheduler",
            &[
                format!("--config={}", scheduler_config.display()),
                format!("--authentication-kubeconfig={kcm_kubeconfig}"),
                format!("--authorization-kubeconfig={kcm_kubeconfig}"),
                "--bind-address=127.0.0.1".into(),
                format!("--secure-port={scheduler}"),
                format!("--cert-dir={}", self.dir.join("scheduler-certs").display()),
            ],
        )?;

        let kwok_config = self.dir.join("kwok.yaml");
        std::fs::write(&kwok_config, stages::KWOK_CONFIG)
            .map_err(|e| Error::io("writing the kwok configuration", e))?;
        self.spawn(
            "kwok",
            &[
                format!("--kubeconfig={kcm_kubeconfig}"),
                format!("--config={}", kwok_config.display()),
                "--manage-all-nodes=false".into(),
                format!("--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake"),
                format!("--server-address=127.0.0.1:{kwok}"),
                "--cidr=10.0.0.0/16".into(),
                "--node-ip=10.250.0.1".into(),
                "--node-lease-duration-seconds=40".into(),
            ],
        )?;

        self.wait_for_controllers(&client, options.ready_timeout).await?;
        for i in 0..options.generic_nodes {
            create_simulated_node(
                &client,
                &format!("generic-{i}"),
                &[(GENERIC_NODE_LABEL, "true")],
                &options.generic_node_cpu,
                &options.generic_node_memory,
            )
            .await?;
        }
        self.wait_for_ready_nodes(&client, options.generic_nodes as usize, options.ready_timeout).await?;
        if options.real_nodes > 0 {
            let images_dir = options.images_dir.clone().unwrap_or_else(|| self.tools_bin.join("../images"));
            self.start_registries(&images_dir, &options.ecr_hosts)?;
            let context = real_node::NodeContext {
                tools_bin: self.tools_bin.clone(),
                images_dir,
                cluster_dir: self.dir.clone(),
                kubeconfig: self.kubeconfig.clone(),
                client_ca: credentials.ca_cert.clone(),
                mirrors: self.registries.iter().flat_map(LocalRegistry::mirrors).collect(),
                labels: Vec::new(),
                cluster_dns: self.service_network.as_ref().map(|n| n.service_ip(DNS_SERVICE_HOST)),
            };
            for i in 0..options.real_nodes {
                // Blocks for about half a second (containerd start, image import).
                let node = RealNode::start(&context, &format!("real-{i}"))?;
                let listen = format!("{}:{apiserver}", node.node_ip());
                self.real_nodes.push(node);
                let listen = listen.parse().map_err(|e| Error::Startup(format!("forwarder address {listen}: {e}")))?;
                let target = std::net::SocketAddr::from(([127, 0, 0, 1], apiserver));
                self.forwarders.push(ApiForwarder::start(listen, target)?);
            }
            self.wait_for_real_nodes(&client, options.ready_timeout).await?;
            if options.addons.metrics_server {
                self.start_metrics_server(&client, &credentials, options.ready_timeout).await?;
            }
            if self.service_network.is_some() {
                self.start_services(&client, &credentials, options.ready_timeout).await?;
            }
        }
        Ok(())
    }

    /// kube-proxy in the Service network's namespace and CoreDNS on the first real node's IP; returns once
    /// the DNS Service's ClusterIP answers from the host (kube-proxy programmed it, CoreDNS serves).
    async fn start_services(
        &mut self,
        client: &Client,
        credentials: &pki::Credentials,
        timeout: Duration,
    ) -> Result<(), Error> {
        let (Some(network), Some(node)) = (&self.service_network, self.real_nodes.first()) else { return Ok(()) };
        let (netns, dns_ip) = (network.netns(), network.service_ip(DNS_SERVICE_HOST));
        let (node_name, address) = (node.name().to_string(), node.node_ip().to_string());
        // kube-proxy reaches the apiserver as pods do, at a node's IP (its namespace's loopback is its own).
        let kubeconfig = self.dir.join("kube-proxy.kubeconfig");
        let through_node = format!("https://{address}:{}", self.apiserver_port);
        write_kubeconfig(&kubeconfig, &through_node, &credentials.kube_proxy_token)?;
        let config = self.dir.join("kube-proxy.yaml");
        std::fs::write(&config, addons::kube_proxy::config(&kubeconfig, &node_name, real_node::POD_CIDR))
            .map_err(|e| Error::io("writing the kube-proxy configuration", e))?;
        let proxy = addons::kube_proxy::spawn(&self.tools_bin, &self.dir, &netns, &config)?;
        self.addons.lock().unwrap_or_else(|p| p.into_inner()).push(proxy);

        let kubeconfig = self.dir.join("coredns.kubeconfig");
        write_kubeconfig(&kubeconfig, &self.server, &credentials.coredns_token)?;
        let corefile = self.dir.join("Corefile");
        std::fs::write(&corefile, addons::coredns::corefile(&address, &kubeconfig, &[]))
            .map_err(|e| Error::io("writing the Corefile", e))?;
        // The Cloud Map namespaces' rules (kube-ecs's ConfigMaps) join the Corefile as they come.
        let render = {
            let (address, kubeconfig) = (address.clone(), kubeconfig.clone());
            move |rules: &[addons::coredns_rules::Rule]| addons::coredns::corefile(&address, &kubeconfig, rules)
        };
        self.dns_rules =
            Some(addons::coredns_rules::RuleWatcher::start(self.kubeconfig.clone(), corefile.clone(), render)?);
        let coredns = addons::coredns::spawn(&self.tools_bin, &self.dir, &corefile)?;
        self.addons.lock().unwrap_or_else(|p| p.into_inner()).push(coredns);
        addons::coredns::register(client, &dns_ip, &address).await?;

        let server: std::net::SocketAddr =
            format!("{dns_ip}:53").parse().map_err(|e| Error::Startup(format!("DNS address {dns_ip}: {e}")))?;
        let deadline = Instant::now() + timeout;
        while !addons::coredns::resolves(server, "kubernetes.default.svc.cluster.local").await {
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(Error::Startup(format!(
                    "cluster DNS at {server} did not answer after {timeout:?} (see kube-proxy.log, coredns.log)"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// The cluster's Service CIDR (`10.96.0.0/16` unless it has a Service network of its own).
    pub fn service_cidr(&self) -> String {
        self.service_network.as_ref().map(ServiceNetwork::cidr).unwrap_or_else(|| "10.96.0.0/16".into())
    }

    /// The cluster DNS Service's ClusterIP, with a Service network.
    pub fn dns_service_ip(&self) -> Option<String> {
        self.service_network.as_ref().map(|n| n.service_ip(DNS_SERVICE_HOST))
    }

    /// metrics-server on the first real node's IP (see `addons/metrics_server.rs`), registered and
    /// Available before `start` returns.
    async fn start_metrics_server(
        &mut self,
        client: &Client,
        credentials: &pki::Credentials,
        timeout: Duration,
    ) -> Result<(), Error> {
        let address = match self.real_nodes.first() {
            Some(node) => node.node_ip().to_string(),
            None => return Ok(()),
        };
        let port = ports::pick_free_ports(1)?
            .first()
            .copied()
            .ok_or_else(|| Error::Startup("no free port for metrics-server".into()))?;
        let kubeconfig = self.dir.join("metrics-server.kubeconfig");
        write_kubeconfig(&kubeconfig, &self.server, &credentials.metrics_server_token)?;
        let args = addons::metrics_server::args(credentials, &kubeconfig, &address, port);
        let process = addons::metrics_server::spawn(&self.tools_bin, &self.dir, &args)?;
        self.addons.lock().unwrap_or_else(|p| p.into_inner()).push(process);
        let ca = std::fs::read(&credentials.ca_cert).map_err(|e| Error::io("reading the local CA", e))?;
        addons::metrics_server::register(client, &address, port, &ca).await?;
        addons::metrics_server::wait_available(client, timeout, || self.check_alive()).await
    }

    /// The public registry (anonymous pulls) and the private one standing in for ECR, seeded with busybox.
    fn start_registries(&mut self, images_dir: &Path, ecr_hosts: &[String]) -> Result<(), Error> {
        let public_hosts = registry::PUBLIC_HOSTS.iter().map(|h| h.to_string()).collect();
        let public =
            LocalRegistry::start(&self.tools_bin, &self.dir.join("registry-public"), "public", public_hosts, false)?;
        let busybox = images_dir.join("busybox");
        for image in [
            "docker.io/library/busybox:1.36",
            "docker.io/library/busybox:latest",
            "public.ecr.aws/docker/library/busybox:1.36",
        ] {
            public.push(&busybox, image)?;
        }
        self.registries.push(public);
        // One store for ECR and a private registry: nodes pull the private host with the task's
        // credentials, and the ECR hosts through a read-only reader with credentials of their own.
        let ecr = LocalRegistry::start(
            &self.tools_bin,
            &self.dir.join("registry-ecr"),
            "ecr",
            vec![registry::PRIVATE_HOST.to_string()],
            true,
        )?;
        for host in ecr_hosts.iter().map(String::as_str).chain([registry::PRIVATE_HOST]) {
            ecr.push(&busybox, &format!("{host}/busybox:1.36"))?;
        }
        let reader =
            ecr.start_reader(&self.tools_bin, &self.dir.join("registry-ecr-nodes"), "ecr-nodes", ecr_hosts.to_vec())?;
        self.registries.push(ecr);
        self.registries.push(reader);
        Ok(())
    }

    async fn wait_for_real_nodes(&mut self, client: &Client, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let nodes: Api<Node> = Api::all(client.clone());
        loop {
            self.check_alive()?;
            let mut waiting = Vec::new();
            for node in &mut self.real_nodes {
                node.check_alive()?;
                if !nodes.get_opt(node.name()).await?.as_ref().is_some_and(node_is_ready) {
                    waiting.push(node.name().to_string());
                }
            }
            if waiting.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Startup(format!(
                    "real nodes not Ready after {timeout:?}: {} (logs in {}/nodes/)",
                    waiting.join(", "),
                    self.dir.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn spawn(&self, name: &str, args: &[String]) -> Result<(), Error> {
        let program = self.tools_bin.join(name);
        let log = self.dir.join(format!("{name}.log"));
        let process = ManagedProcess::spawn(name, &program, args, &log)?;
        self.lock_processes().push(process);
        Ok(())
    }

    /// The pid of the control-plane process `name` (`kube-controller-manager`, ...), if it runs.
    pub fn pid_of(&self, name: &str) -> Option<i32> {
        self.lock_processes().iter().find(|p| p.name() == name).map(ManagedProcess::pid)
    }

    fn lock_processes(&self) -> std::sync::MutexGuard<'_, Vec<ManagedProcess>> {
        self.processes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails with the tail of the process's log if a control-plane process has exited.
    fn check_alive(&self) -> Result<(), Error> {
        let mut processes = self.lock_processes();
        let mut addons = self.addons.lock().unwrap_or_else(|p| p.into_inner());
        for p in processes.iter_mut().chain(addons.iter_mut()) {
            if let Some(status) = p.exited() {
                let log = self.dir.join(format!("{}.log", p.name()));
                let tail = std::fs::read_to_string(&log)
                    .map(|s| {
                        s.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
                    })
                    .unwrap_or_default();
                return Err(Error::Startup(format!("{} exited ({status}); last log lines:\n{tail}", p.name())));
            }
        }
        Ok(())
    }

    async fn wait_for_api(&self, timeout: Duration) -> Result<Client, Error> {
        let deadline = Instant::now() + timeout;
        let client = self.client().await?;
        loop {
            self.check_alive()?;
            // Refused connections and 500s are expected while the apiserver starts; kube's client
            // logs each one as an ERROR, which would greet every demo with a wall of red.
            let ready =
                http_get(&client, "/readyz").with_subscriber(tracing::subscriber::NoSubscriber::default()).await;
            if ready.as_deref() == Ok("ok") {
                return Ok(client);
            }
            if Instant::now() > deadline {
                return Err(Error::Startup(format!("kube-apiserver not ready after {timeout:?}: {ready:?}")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The controller-manager creates every namespace's `default` ServiceAccount: once it exists, KCM
    /// is running and talking to the API.
    async fn wait_for_controllers(&self, client: &Client, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
        loop {
            self.check_alive()?;
            if accounts.get_opt("default").await?.is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Startup("kube-controller-manager did not create the default ServiceAccount".into()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_for_ready_nodes(&self, client: &Client, count: usize, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let nodes: Api<Node> = Api::all(client.clone());
        loop {
            self.check_alive()?;
            let ready = nodes.list(&Default::default()).await?.items.iter().filter(|n| node_is_ready(n)).count();
            if ready >= count {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Startup(format!("only {ready} of {count} nodes became Ready (kwok)")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A client authenticated as the cluster admin.
    pub async fn client(&self) -> Result<Client, Error> {
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig).map_err(|e| Error::Startup(e.to_string()))?;
        let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| Error::Startup(e.to_string()))?;
        Ok(Client::try_from(config)?)
    }

    /// Path of the admin kubeconfig.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The API server's URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The directory with the tools the cluster runs.
    pub fn tools_bin(&self) -> &Path {
        &self.tools_bin
    }

    /// The audit log (when started with `audit_writes`).
    pub fn audit_log(&self) -> PathBuf {
        self.dir.join("audit.log")
    }

    /// The cluster's data and log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How long `start` took.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Kills kube-apiserver and starts it again with the same flags (fault tests).
    pub async fn restart_apiserver(&self, timeout: Duration) -> Result<(), Error> {
        {
            let mut processes = self.lock_processes();
            if let Some(p) = processes.iter_mut().find(|p| p.name() == "kube-apiserver") {
                p.kill();
            }
            processes.retain(|p| p.name() != "kube-apiserver");
        }
        let args = self.apiserver_args.clone();
        self.spawn("kube-apiserver", &args)?;
        self.wait_for_api(timeout).await.map(|_| ())
    }

    /// The apiserver's port, on 127.0.0.1 and, through the forwarders, on every real node's IP: pods on
    /// real nodes reach the API at `https://<their node's IP>:<this port>` (`KUBERNETES_SERVICE_HOST` =
    /// `status.hostIP`, `KUBERNETES_SERVICE_PORT` = this port).
    pub fn apiserver_port(&self) -> u16 {
        self.apiserver_port
    }

    /// The real nodes, in start order.
    pub fn real_nodes(&self) -> &[RealNode] {
        &self.real_nodes
    }

    /// The registry real nodes pull public images from (Docker Hub, `public.ecr.aws`, ...), anonymously.
    pub fn public_registry(&self) -> Option<&LocalRegistry> {
        self.registries.first()
    }

    /// The registry under ECR (`LocalClusterOptions::ecr_hosts`, stored under `<host>/`) and a
    /// private registry (`registry::PRIVATE_HOST`); pulls need its credentials.
    pub fn ecr(&self) -> Option<&LocalRegistry> {
        self.registries.get(1)
    }

    /// The read-only registry over [`Self::ecr`]'s storage that real nodes pull the ECR hosts from,
    /// with credentials only they have (an instance role's read-only access).
    pub fn ecr_for_nodes(&self) -> Option<&LocalRegistry> {
        self.registries.get(2)
    }

    /// Stops every process (real nodes first, then the control plane in reverse start order) and
    /// removes the data directory.
    pub fn stop(&mut self) {
        self.dns_rules = None;
        let mut addons = std::mem::take(&mut *self.addons.lock().unwrap_or_else(|p| p.into_inner()));
        while let Some(mut addon) = addons.pop() {
            addon.stop(Duration::from_secs(5));
        }
        self.forwarders.clear();
        while let Some(mut node) = self.real_nodes.pop() {
            node.stop();
        }
        if let Some(mut network) = self.service_network.take() {
            network.stop();
        }
        self.registries.clear();
        let mut processes = std::mem::take(&mut *self.lock_processes());
        while let Some(mut p) = processes.pop() {
            p.stop(Duration::from_secs(5));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        process::forget_exit_dir(&self.dir);
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates a Node that kwok manages, with the given labels and allocatable capacity.
pub async fn create_simulated_node(
    client: &Client,
    name: &str,
    labels: &[(&str, &str)],
    cpu: &str,
    memory: &str,
) -> Result<(), Error> {
    create_simulated_node_with_pods(client, name, labels, cpu, memory, DEFAULT_MAX_PODS).await
}

/// Kubernetes' default pod limit per node, which the simulated nodes keep unless told otherwise.
const DEFAULT_MAX_PODS: usize = 110;

/// [`create_simulated_node`] with room for `pods` pods (benchmarks pack thousands onto 100 nodes).
pub async fn create_simulated_node_with_pods(
    client: &Client,
    name: &str,
    labels: &[(&str, &str)],
    cpu: &str,
    memory: &str,
    pods: usize,
) -> Result<(), Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node: Node = serde_json::from_value(simulated_node_manifest(name, labels, cpu, memory, pods))
        .map_err(|e| Error::Startup(format!("building node {name}: {e}")))?;
    match nodes.create(&PostParams::default(), &node).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn simulated_node_manifest(
    name: &str,
    labels: &[(&str, &str)],
    cpu: &str,
    memory: &str,
    pods: usize,
) -> serde_json::Value {
    let mut label_map = serde_json::Map::new();
    label_map.insert("kubernetes.io/hostname".into(), name.into());
    label_map.insert("kubernetes.io/os".into(), "linux".into());
    label_map.insert("kubernetes.io/arch".into(), "amd64".into());
    label_map.insert("type".into(), "kwok".into());
    for (k, v) in labels {
        label_map.insert((*k).into(), (*v).into());
    }
    let capacity = serde_json::json!({ "cpu": cpu, "memory": memory, "pods": pods.to_string() });
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": label_map,
            "annotations": { KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0" },
        },
        "spec": {},
        "status": { "allocatable": capacity, "capacity": capacity },
    })
}

/// Whether the Node's Ready condition is True.
pub fn node_is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

async fn http_get(client: &Client, path: &str) -> Result<String, String> {
    let request = http_request(path).map_err(|e| e.to_string())?;
    client.request_text(request).await.map_err(|e| e.to_string())
}

fn http_request(path: &str) -> Result<http::Request<Vec<u8>>, http::Error> {
    http::Request::get(path).body(Vec::new())
}

fn write_kubeconfig(path: &Path, server: &str, token: &str) -> Result<(), Error> {
    // The apiserver serves a self-signed certificate it made at start; the cluster lives on loopback
    // for one run, so the client skips verification rather than juggling a CA.
    let content = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: {server}\n    \
         insecure-skip-tls-verify: true\nusers:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n\
         - name: local\n  context:\n    cluster: local\n    user: admin\n    namespace: default\n\
         current-context: local\n"
    );
    std::fs::write(path, content).map_err(|e| Error::io("writing the kubeconfig", e))
}

fn make_unique_dir(root: &Path) -> Result<PathBuf, Error> {
    for attempt in 0..100u32 {
        let dir = root.join(format!("kube-ecs-cluster-{}-{}", std::process::id(), attempt));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(format!("creating {}", dir.display()), e)),
        }
    }
    Err(Error::Startup(format!("no free data directory under {}", root.display())))
}
