//! CoreDNS, the cluster DNS: the kubernetes plugin answers `cluster.local` (Services, and pods by IP)
//! from the cluster's API; nothing else is answered or forwarded (the host has no network beyond its
//! registries, and tasks here need no outside names).
//!
//! It runs on the host, listening only on the first real node's IP, port 53 (that address is the
//! cluster's own, so two clusters never share a port). Pods reach it at the `kube-dns` Service's
//! ClusterIP (the kubelets' `clusterDNS`), which kube-proxy sends to that address.

use std::path::Path;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::Client;

use super::super::pki::COREDNS_USER;
use super::super::real_node::service_network::CLUSTER_DOMAIN;
use super::super::{Error, ManagedProcess};
use super::apply;
use super::coredns_rules::Rule;

const NAMESPACE: &str = "kube-system";
/// The Service's name, as kubeadm names it (some tools look for it).
const SERVICE: &str = "kube-dns";

/// The Corefile: `cluster.local` and the reverse zones, from the API through `kubeconfig`, and the
/// Cloud Map namespaces of `rules` (`coredns_rules`), whose names are rewritten into `cluster.local`
/// ones. `reload` picks up a rewritten Corefile (it checks the file's own checksum).
pub(crate) fn corefile(address: &str, kubeconfig: &Path, rules: &[Rule]) -> String {
    let zones: String = rules.iter().map(|r| format!(" {}", r.zone)).collect();
    let rewrites: String = rules.iter().map(|r| format!("    {}\n", r.directive())).collect();
    format!(
        "{CLUSTER_DOMAIN} in-addr.arpa ip6.arpa{zones} {{
    bind {address}
    errors
    reload 2s 1s
{rewrites}    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {kubeconfig} local
        pods insecure
        ttl 5
    }}
    cache 5
}}
",
        kubeconfig = kubeconfig.display()
    )
}

/// Starts CoreDNS with `corefile` (`<cluster dir>/coredns.log`).
pub(crate) fn spawn(tools_bin: &Path, cluster_dir: &Path, corefile: &Path) -> Result<ManagedProcess, Error> {
    let args = vec!["-conf".to_string(), corefile.display().to_string()];
    ManagedProcess::spawn("coredns", &tools_bin.join("coredns"), &args, &cluster_dir.join("coredns.log"))
}

/// Applies CoreDNS's RBAC (what upstream's `system:coredns` grants) and the `kube-dns` Service at
/// `cluster_ip` with its EndpointSlice at `address:53`.
pub(crate) async fn register(client: &Client, cluster_ip: &str, address: &str) -> Result<(), Error> {
    apply::<ClusterRole>(
        client,
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": { "name": COREDNS_USER },
            "rules": [
                { "apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"], "verbs": ["list", "watch"] },
                { "apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"] },
            ],
        }),
    )
    .await?;
    apply::<ClusterRoleBinding>(
        client,
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": { "name": COREDNS_USER },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": COREDNS_USER },
            "subjects": [{ "kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": COREDNS_USER }],
        }),
    )
    .await?;
    apply::<Service>(
        client,
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": SERVICE, "namespace": NAMESPACE, "labels": { "k8s-app": "kube-dns" } },
            "spec": {
                "clusterIP": cluster_ip,
                "ports": [
                    { "name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53 },
                    { "name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53 },
                ],
            },
        }),
    )
    .await?;
    apply::<EndpointSlice>(
        client,
        serde_json::json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": { "name": SERVICE, "namespace": NAMESPACE, "labels": {
                "kubernetes.io/service-name": SERVICE,
                "endpointslice.kubernetes.io/managed-by": "local-cluster.kube-ecs.dev",
            } },
            "addressType": "IPv4",
            "endpoints": [{ "addresses": [address], "conditions": { "ready": true } }],
            "ports": [
                { "name": "dns", "port": 53, "protocol": "UDP" },
                { "name": "dns-tcp", "port": 53, "protocol": "TCP" },
            ],
        }),
    )
    .await
}

/// Whether the DNS server at `server` (UDP) answers `name` with at least one A record: a plain query
/// built by hand (no resolver library for one probe).
pub(crate) async fn resolves(server: std::net::SocketAddr, name: &str) -> bool {
    let Ok(socket) = tokio::net::UdpSocket::bind(("0.0.0.0", 0)).await else { return false };
    let query = a_query(0x6b65, name);
    if socket.send_to(&query, server).await.is_err() {
        return false;
    }
    let mut answer = [0u8; 512];
    let received = tokio::time::timeout(std::time::Duration::from_millis(500), socket.recv(&mut answer)).await;
    // Header: id, flags (QR set, RCODE 0), then the answer count at bytes 6..8.
    matches!(received, Ok(Ok(n)) if n >= 12
        && answer[..2] == query[..2]
        && answer[2] & 0x80 != 0
        && answer[3] & 0x0f == 0
        && u16::from_be_bytes([answer[6], answer[7]]) > 0)
}

/// A recursive-desired query for `name`'s A record (RFC 1035 4.1).
fn a_query(id: u16, name: &str) -> Vec<u8> {
    let mut query = Vec::with_capacity(12 + name.len() + 6);
    query.extend_from_slice(&id.to_be_bytes());
    query.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        query.push(label.len().min(63) as u8);
        query.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_a_query_is_laid_out_as_rfc_1035_says() {
        assert_eq!(
            a_query(0x1234, "a.bc."),
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 2, b'b', b'c', 0, 0, 1, 0, 1]
        );
    }

    #[test]
    fn the_corefile_binds_one_address_and_forwards_nothing() {
        let corefile = corefile("10.233.4.1", Path::new("/tmp/c/coredns.kubeconfig"), &[]);
        assert!(corefile.contains("bind 10.233.4.1\n"));
        assert!(corefile.contains("kubeconfig /tmp/c/coredns.kubeconfig local"));
        assert!(!corefile.contains("forward"));
        assert!(!corefile.contains("rewrite"));
    }

    #[test]
    fn cloud_map_namespaces_are_served_zones_with_their_rewrite() {
        let rule = Rule { zone: "corp.local".into(), replacement: "-ns-1.shop.svc.cluster.local.".into() };
        let corefile = corefile("10.233.4.1", Path::new("/k"), &[rule]);
        assert!(corefile.starts_with("cluster.local in-addr.arpa ip6.arpa corp.local {\n"), "{corefile}");
        assert!(
            corefile.contains("\n    rewrite name suffix .corp.local. -ns-1.shop.svc.cluster.local. answer auto\n"),
            "{corefile}"
        );
    }
}
