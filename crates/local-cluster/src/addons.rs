//! Add-ons the local cluster starts beside its real nodes: the cluster services a real EKS/ECS host
//! has and the tests of features built on them need.
//!
//! - **metrics-server** (`addons/metrics_server.rs`): `metrics.k8s.io/v1beta1` as an aggregated API,
//!   from the real nodes' kubelets (`kubectl top`, HPAs with Resource metrics).
//! - **Services**: kube-proxy (`addons/kube_proxy.rs`, nftables mode, in the cluster's own network
//!   namespace: `real_node/service_network.rs`) and CoreDNS (`addons/coredns.rs`, `cluster.local`), so
//!   ClusterIPs and `<service>.<namespace>.svc.cluster.local` work from pods on real nodes and from
//!   the host.
//!
//! Add-ons run only with real nodes: KWOK's simulated nodes have no kubelet to scrape and no network to
//! serve. Each add-on is a host process of its own cluster (its ports, addresses and files are the
//! cluster's), stopped before the real nodes it depends on.

pub(crate) mod coredns;
pub(crate) mod coredns_rules;
pub(crate) mod kube_proxy;
pub(crate) mod metrics_server;

use std::time::Duration;

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};

use super::Error;

/// Which add-ons a cluster with real nodes starts (ignored without real nodes).
#[derive(Debug, Clone)]
pub struct AddOns {
    /// metrics-server, registered as `v1beta1.metrics.k8s.io`. On by default: it costs start time (both
    /// add-ons together about 2 s, measured with one real node on a loaded 2-core machine) and one
    /// scrape of each kubelet per resolution (15 s), and makes `kubectl top` and HPAs work. Off for a
    /// test that wants no aggregated API in discovery.
    pub metrics_server: bool,
    /// kube-proxy and CoreDNS, with a Service CIDR of the cluster's own routed from the host (see
    /// `real_node/service_network.rs`). On by default.
    pub services: bool,
}

impl Default for AddOns {
    fn default() -> Self {
        Self { metrics_server: true, services: true }
    }
}

impl AddOns {
    /// No add-ons.
    pub fn none() -> Self {
        Self { metrics_server: false, services: false }
    }
}

/// The field manager the local cluster applies its add-ons' objects with.
const FIELD_MANAGER: &str = "kube-ecs-local-cluster";

/// Server-side applies `manifest`, an object of kind `K` (cluster-scoped when it has no namespace).
pub(crate) async fn apply<K>(client: &Client, manifest: serde_json::Value) -> Result<(), Error>
where
    K: kube::Resource<DynamicType = ()>,
{
    let name = manifest["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let resource = ApiResource::erase::<K>(&());
    let api: Api<DynamicObject> = match manifest["metadata"]["namespace"].as_str() {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&manifest))
        .await
        .map_err(|e| Error::Startup(format!("applying {} {name}: {e}", K::kind(&()))))?;
    Ok(())
}

/// How often a wait for an add-on re-checks.
pub(crate) const POLL: Duration = Duration::from_millis(200);
