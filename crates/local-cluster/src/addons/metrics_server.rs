//! metrics-server beside the real nodes: scrapes every real node's kubelet (`/metrics/resource`) and
//! serves `metrics.k8s.io/v1beta1` (PodMetrics, NodeMetrics), registered with kube-apiserver as the
//! aggregated API `v1beta1.metrics.k8s.io`.
//!
//! How the apiserver reaches it: an APIService names a Service; kube-apiserver runs with
//! `--enable-aggregator-routing=true`, so it dials the Service's endpoint (from its EndpointSlice)
//! instead of the ClusterIP, which nothing routes on a local cluster without kube-proxy. An endpoint
//! cannot be a loopback address (the apiserver refuses it), so metrics-server listens on the first real
//! node's IP (its bridge's gateway address, unique on the host: see `real_node/lease.rs`), a host address
//! the apiserver dials locally. Only there, not on every interface: the metrics API is for this cluster
//! alone, and 0.0.0.0 would offer it on the host's external interfaces and to other clusters' bridges.
//! The Service has no selector; the local cluster writes its EndpointSlice itself.
//!
//! Who trusts whom: the apiserver verifies metrics-server's serving certificate (signed by the local CA,
//! `caBundle` of the APIService, name `metrics-server.kube-system.svc`); metrics-server trusts the user
//! the apiserver names only from the front proxy's client certificate (the requestheader settings it
//! reads from `kube-system/extension-apiserver-authentication`) and asks the apiserver for the rest
//! (TokenReview, SubjectAccessReview). It scrapes kubelets with its own token (user
//! [`METRICS_SERVER_USER`], RBAC below), and does not verify their serving certificates: each kubelet
//! makes a self-signed one at start (the same trust `kubectl logs` has through the apiserver here).

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, RoleBinding};
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kube::Client;
use kube::api::Api;

use super::super::pki::{Credentials, METRICS_SERVER_USER};
use super::super::real_node::REAL_NODE_LABEL;
use super::super::{Error, ManagedProcess};
use super::{POLL, apply};

/// The APIService's name.
pub const API_SERVICE: &str = "v1beta1.metrics.k8s.io";
/// How often metrics-server scrapes the kubelets (its minimum is 10 s): PodMetrics appear this long
/// after a pod starts, at most, and an HPA sees a change within one resolution plus its sync period.
pub const METRIC_RESOLUTION: Duration = Duration::from_secs(15);
const NAMESPACE: &str = "kube-system";
const NAME: &str = "metrics-server";

/// The process's arguments: listening on `address:port`, scraping only real nodes.
pub(crate) fn args(credentials: &Credentials, kubeconfig: &Path, address: &str, port: u16) -> Vec<String> {
    let kubeconfig = kubeconfig.display();
    vec![
        format!("--kubeconfig={kubeconfig}"),
        // Delegated authentication and authorization (TokenReview, SubjectAccessReview, the requestheader
        // settings) ask the same apiserver as the same user: outside a pod there is no in-cluster config.
        format!("--authentication-kubeconfig={kubeconfig}"),
        format!("--authorization-kubeconfig={kubeconfig}"),
        format!("--bind-address={address}"),
        format!("--secure-port={port}"),
        format!("--tls-cert-file={}", credentials.metrics_server_cert.display()),
        format!("--tls-private-key-file={}", credentials.metrics_server_key.display()),
        // Kubelets here serve a certificate they signed themselves at start (see the module header).
        "--kubelet-insecure-tls".into(),
        // Each kubelet listens on its node's IP at a port picked at start (two clusters share the host):
        // the Node's status has both.
        "--kubelet-use-node-status-port".into(),
        "--kubelet-preferred-address-types=InternalIP".into(),
        // KWOK's nodes have no kubelet: scraping them would only time out.
        format!("--node-selector={REAL_NODE_LABEL}=true"),
        format!("--metric-resolution={}s", METRIC_RESOLUTION.as_secs()),
        "--v=1".into(),
    ]
}

/// Starts metrics-server as a process of the cluster (`<cluster dir>/metrics-server.log`).
pub(crate) fn spawn(tools_bin: &Path, cluster_dir: &Path, args: &[String]) -> Result<ManagedProcess, Error> {
    ManagedProcess::spawn(NAME, &tools_bin.join(NAME), args, &cluster_dir.join("metrics-server.log"))
}

/// Applies metrics-server's RBAC, its selector-less Service with the EndpointSlice pointing at
/// `address:port`, and the APIService (whose `caBundle` is the local CA, `ca_pem`).
pub(crate) async fn register(client: &Client, address: &str, port: u16, ca_pem: &[u8]) -> Result<(), Error> {
    // What upstream's manifest grants its ServiceAccount: read nodes and pods, scrape kubelets...
    apply::<ClusterRole>(
        client,
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": { "name": METRICS_SERVER_USER },
            "rules": [
                { "apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"] },
                { "apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"] },
            ],
        }),
    )
    .await?;
    let user =
        serde_json::json!([{ "kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": METRICS_SERVER_USER }]);
    for (name, role) in [
        (METRICS_SERVER_USER.to_string(), METRICS_SERVER_USER),
        (format!("{METRICS_SERVER_USER}:auth-delegator"), "system:auth-delegator"),
    ] {
        apply::<ClusterRoleBinding>(
            client,
            serde_json::json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": { "name": name },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role },
                "subjects": user,
            }),
        )
        .await?;
    }
    // ... and read the requestheader settings the apiserver publishes.
    apply::<RoleBinding>(
        client,
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": { "name": format!("{METRICS_SERVER_USER}:auth-reader"), "namespace": NAMESPACE },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "extension-apiserver-authentication-reader" },
            "subjects": user,
        }),
    )
    .await?;
    // As upstream: whoever may view, edit or administer a namespace may read its metrics.
    apply::<ClusterRole>(
        client,
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": { "name": "system:aggregated-metrics-reader", "labels": {
                "rbac.authorization.k8s.io/aggregate-to-view": "true",
                "rbac.authorization.k8s.io/aggregate-to-edit": "true",
                "rbac.authorization.k8s.io/aggregate-to-admin": "true",
            } },
            "rules": [{ "apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"] }],
        }),
    )
    .await?;
    apply::<Service>(
        client,
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": NAME, "namespace": NAMESPACE, "labels": { "k8s-app": NAME } },
            "spec": { "ports": [{ "name": "https", "port": 443, "protocol": "TCP", "targetPort": port }] },
        }),
    )
    .await?;
    apply::<EndpointSlice>(
        client,
        serde_json::json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": { "name": NAME, "namespace": NAMESPACE, "labels": {
                "kubernetes.io/service-name": NAME,
                // Not the EndpointSlice controller's: it leaves slices of selector-less Services alone.
                "endpointslice.kubernetes.io/managed-by": "local-cluster.kube-ecs.dev",
            } },
            "addressType": "IPv4",
            "endpoints": [{ "addresses": [address], "conditions": { "ready": true } }],
            "ports": [{ "name": "https", "port": port, "protocol": "TCP" }],
        }),
    )
    .await?;
    let ca_bundle = serde_json::to_value(k8s_openapi::ByteString(ca_pem.to_vec()))
        .map_err(|e| Error::Startup(format!("encoding the CA bundle: {e}")))?;
    apply::<APIService>(
        client,
        serde_json::json!({
            "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": { "name": API_SERVICE, "labels": { "k8s-app": NAME } },
            "spec": {
                "service": { "name": NAME, "namespace": NAMESPACE, "port": 443 },
                "group": "metrics.k8s.io", "version": "v1beta1",
                "caBundle": ca_bundle,
                "groupPriorityMinimum": 100, "versionPriority": 100,
            },
        }),
    )
    .await
}

/// Waits until the APIService is Available (the apiserver reached metrics-server's discovery), so that
/// discovery (kubectl, helm, the namespace controller) never sees an unavailable group.
/// `check_alive` fails the wait when a process died.
pub(crate) async fn wait_available(
    client: &Client,
    timeout: Duration,
    mut check_alive: impl FnMut() -> Result<(), Error>,
) -> Result<(), Error> {
    let api: Api<APIService> = Api::all(client.clone());
    let deadline = Instant::now() + timeout;
    loop {
        check_alive()?;
        let service = api.get_opt(API_SERVICE).await?;
        let available = service.as_ref().and_then(|s| s.status.as_ref()).and_then(|s| s.conditions.as_ref()).and_then(
            |conditions| {
                conditions.iter().find(|c| c.type_ == "Available").map(|c| (c.status.clone(), c.message.clone()))
            },
        );
        if available.as_ref().is_some_and(|(status, _)| status == "True") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::Startup(format!(
                "APIService {API_SERVICE} not Available after {timeout:?}: {available:?} (see metrics-server.log)"
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}
