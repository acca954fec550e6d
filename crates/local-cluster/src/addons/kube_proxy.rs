//! kube-proxy in nftables mode, one per cluster, in the cluster's Service network namespace (see
//! `real_node/service_network.rs` for why a namespace and how packets reach it).
//!
//! Nothing it sets may reach the host: its tables live in the namespace; the conntrack limits (the table
//! size is host-wide) are left alone; its health and metrics ports are the namespace's loopback.

use std::path::Path;

use super::super::{Error, ManagedProcess};

/// The configuration: the Node it proxies for (`real-0`, for topology), the pods' CIDR, and `masqueradeAll`,
/// so that an endpoint answers to the namespace, which undoes the DNAT (the endpoint would otherwise
/// answer a pod on its own bridge directly, from the wrong address).
pub(crate) fn config(kubeconfig: &Path, node: &str, pod_cidr: &str) -> String {
    format!(
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clientConnection:
  kubeconfig: {kubeconfig}
hostnameOverride: {node}
clusterCIDR: {pod_cidr}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# No CAP_SYS_RESOURCE in every VM: lowering its own OOM score would fail.
oomScoreAdj: 0
nftables:
  masqueradeAll: true
  syncPeriod: 30s
  minSyncPeriod: 0s
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
  udpTimeout: 0s
  udpStreamTimeout: 0s
",
        kubeconfig = kubeconfig.display(),
    )
}

/// Starts kube-proxy in the namespace `netns` (`ip netns exec` execs it: the process is kube-proxy).
pub(crate) fn spawn(tools_bin: &Path, cluster_dir: &Path, netns: &str, config: &Path) -> Result<ManagedProcess, Error> {
    let args = vec![
        "netns".to_string(),
        "exec".into(),
        netns.into(),
        tools_bin.join("kube-proxy").display().to_string(),
        format!("--config={}", config.display()),
        "--v=1".into(),
    ];
    ManagedProcess::spawn("kube-proxy", Path::new("ip"), &args, &cluster_dir.join("kube-proxy.log"))
}
