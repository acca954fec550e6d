//! The cluster's Metrics tab (the ECS console's, fed by CloudWatch Container Insights there): the
//! figures Container Insights exports on the operator's /metrics (`ecs_cluster_*`, `ecs_service_*`),
//! computed here from what the identity can read — the cluster's status, its ContainerInstances'
//! registered and remaining CPU and memory, its services' counts — and, when the cluster runs
//! metrics-server (`metrics.k8s.io`), each service's CPU and memory in use, summed over its tasks'
//! Pods. Nothing is stored: the tab is a reading of now, refreshed with the page.

use std::collections::BTreeMap;

use kube::api::{Api, ListParams};
use kube_ecs_api::ecs_names::{cluster_reference, service_name};
use kube_ecs_api::labels::SERVICE_NAME;
use kube_ecs_api::{ContainerInstance, EcsCluster, Service};
use maud::{Markup, html};

use super::{fmt, layout};
use crate::error::{ConsoleError, Result};

/// CPU and memory in use by a set of Pods (metrics-server's reading).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// CPU units (1024 a vCPU, as ECS counts).
    pub cpu_units: f64,
    pub memory_mib: f64,
}

/// A Kubernetes CPU quantity (`250m`, `1`, `12345n`, `5u`) as ECS CPU units.
pub fn cpu_units(quantity: &str) -> Option<f64> {
    let (number, scale) = match quantity.trim() {
        q if q.ends_with('n') => (&q[..q.len() - 1], 1e-9),
        q if q.ends_with('u') => (&q[..q.len() - 1], 1e-6),
        q if q.ends_with('m') => (&q[..q.len() - 1], 1e-3),
        q => (q, 1.0),
    };
    number.parse::<f64>().ok().map(|cores| cores * scale * 1024.0)
}

/// A Kubernetes memory quantity (`64Mi`, `1234Ki`, `1Gi`, `1000000`, `5M`) in MiB.
pub fn memory_mib(quantity: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    let q = quantity.trim();
    let (number, scale) = SUFFIXES.iter().find_map(|(s, f)| q.strip_suffix(s).map(|n| (n, *f))).unwrap_or((q, 1.0));
    number.parse::<f64>().ok().map(|n| n * scale / 1048576.0)
}

/// Usage per service (the Pods' `ecs.kube-ecs.dev/service` label) from a PodMetricsList.
pub fn usage_by_service(pod_metrics: &serde_json::Value) -> BTreeMap<String, Usage> {
    let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
    for pod in pod_metrics["items"].as_array().into_iter().flatten() {
        let Some(service) = pod["metadata"]["labels"][SERVICE_NAME].as_str() else { continue };
        let entry = usage.entry(service.to_string()).or_default();
        for container in pod["containers"].as_array().into_iter().flatten() {
            entry.cpu_units += container["usage"]["cpu"].as_str().and_then(cpu_units).unwrap_or(0.0);
            entry.memory_mib += container["usage"]["memory"].as_str().and_then(memory_mib).unwrap_or(0.0);
        }
    }
    usage
}

/// The namespace's PodMetrics as the identity reads them; why not, when metrics-server is absent or
/// RBAC refuses.
async fn pod_metrics(client: &kube::Client, ns: &str) -> Result<serde_json::Value> {
    let request = http::Request::get(format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"))
        .body(Vec::new())
        .map_err(|e| ConsoleError::Invalid(e.to_string()))?;
    Ok(client.request::<serde_json::Value>(request).await?)
}

fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 { fmt::NONE.to_string() } else { format!("{:.0}%", part as f64 * 100.0 / whole as f64) }
}

pub async fn fragment(client: &kube::Client, cluster: Option<&EcsCluster>, ns: &str, object: &str) -> Result<Markup> {
    let instances_api = Api::<ContainerInstance>::all(client.clone());
    let services_api = Api::<Service>::namespaced(client.clone(), ns);
    let params = ListParams::default();
    let (instances, services, metrics) =
        futures::join!(instances_api.list(&params), services_api.list(&params), pod_metrics(client, ns));
    let insights = cluster.and_then(|c| c.spec.container_insights.clone()).unwrap_or_else(|| "disabled".into());
    let status = cluster.and_then(|c| c.status.clone()).unwrap_or_default();
    let (mut registered_cpu, mut registered_memory, mut reserved_cpu, mut reserved_memory) = (0i64, 0i64, 0i64, 0i64);
    let instances = instances.map_err(ConsoleError::from);
    if let Ok(list) = &instances {
        for instance in list.items.iter().filter(|i| i.spec.cluster == object) {
            let s = instance.status.clone().unwrap_or_default();
            let (registered, remaining) =
                (s.registered_resources.unwrap_or_default(), s.remaining_resources.unwrap_or_default());
            registered_cpu += registered.cpu;
            registered_memory += registered.memory;
            reserved_cpu += registered.cpu - remaining.cpu;
            reserved_memory += registered.memory - remaining.memory;
        }
    }
    let mut services: Vec<Service> =
        services?.items.into_iter().filter(|s| cluster_reference(s.spec.cluster.as_deref()) == object).collect();
    services.sort_by_key(service_name);
    let usage = metrics.as_ref().map(usage_by_service);
    Ok(html! {
        p.muted #insights {
            "Container Insights: " strong { (insights) } ". "
            @if matches!(insights.as_str(), "enabled" | "enhanced") {
                "The operator exports these figures as the ecs_cluster_* and ecs_service_* gauges on its /metrics."
            } @else {
                "Turn it on (containerInsights: enabled on the EcsCluster) to have the operator export these figures on its /metrics; this tab reads them live either way."
            }
        }
        h2 { "Cluster" }
        dl.summary #cluster-metrics {
            div { dt { "Container instances" } dd #metric-instances { (status.registered_container_instances_count.unwrap_or(0)) } }
            div { dt { "Running tasks" } dd { (status.running_tasks_count.unwrap_or(0)) } }
            div { dt { "Pending tasks" } dd { (status.pending_tasks_count.unwrap_or(0)) } }
            div { dt { "Active services" } dd { (status.active_services_count.unwrap_or(0)) } }
            @match &instances {
                Ok(_) => {
                    div { dt { "CPU reserved" } dd #metric-cpu-reserved { (reserved_cpu) " / " (registered_cpu) " units (" (percent(reserved_cpu, registered_cpu)) ")" } }
                    div { dt { "Memory reserved" } dd #metric-memory-reserved { (reserved_memory) " / " (registered_memory) " MiB (" (percent(reserved_memory, registered_memory)) ")" } }
                }
                Err(e) => { div.wide { dt { "CPU and memory reserved" } dd { (layout::error_box(e)) } } }
            }
        }
        h2 { "Services" }
        @if let Err(e) = &usage {
            p.muted #no-pod-metrics { "CPU and memory in use need metrics-server (metrics.k8s.io): " (e.to_string()) }
        }
        table.list #service-metrics {
            thead { tr {
                th { "Service" } th { "Desired" } th { "Running" } th { "Pending" }
                th { "CPU in use (units)" } th { "Memory in use (MiB)" }
            } }
            tbody {
                @for service in &services {
                    @let s = service.status.clone().unwrap_or_default();
                    @let object_name = service.metadata.name.clone().unwrap_or_default();
                    @let used = usage.as_ref().ok().map(|u| u.get(&kube_ecs_api::labels::value(&object_name)).copied().unwrap_or_default());
                    tr data-service=(object_name) {
                        td { a href={ "/ns/" (ns) "/services/" (object_name) } { (service_name(service)) } }
                        td.num { (fmt::opt(s.desired_count.or(service.spec.desired_count))) }
                        td.num { (s.running_count.unwrap_or(0)) }
                        td.num { (s.pending_count.unwrap_or(0)) }
                        td.num.cpu-used { (used.map_or_else(|| fmt::NONE.to_string(), |u| format!("{:.1}", u.cpu_units))) }
                        td.num.memory-used { (used.map_or_else(|| fmt::NONE.to_string(), |u| format!("{:.1}", u.memory_mib))) }
                    }
                }
                @if services.is_empty() { tr { td colspan="6" { "No services of this cluster in namespace " (ns) "." } } }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn quantities_become_ecs_units_and_mib() {
        assert_eq!(cpu_units("250m"), Some(256.0));
        assert_eq!(cpu_units("1"), Some(1024.0));
        assert_eq!(cpu_units("500000000n"), Some(512.0));
        assert_eq!(memory_mib("64Mi"), Some(64.0));
        assert_eq!(memory_mib("2048Ki"), Some(2.0));
        assert_eq!(memory_mib("1048576"), Some(1.0));
        assert_eq!(cpu_units("x"), None);
    }

    #[test]
    fn usage_is_summed_per_service() {
        let list = serde_json::json!({"items": [
            {"metadata": {"labels": {"ecs.kube-ecs.dev/service": "web"}},
             "containers": [{"usage": {"cpu": "100m", "memory": "10Mi"}}, {"usage": {"cpu": "50m", "memory": "6Mi"}}]},
            {"metadata": {"labels": {"ecs.kube-ecs.dev/service": "web"}}, "containers": [{"usage": {"cpu": "100m", "memory": "16Mi"}}]},
            {"metadata": {"labels": {"ecs.kube-ecs.dev/task": "x"}}, "containers": [{"usage": {"cpu": "1", "memory": "1Gi"}}]},
        ]});
        let usage = usage_by_service(&list);
        assert_eq!(usage.len(), 1);
        let web = usage["web"];
        assert!((web.cpu_units - 256.0).abs() < 1e-9 && (web.memory_mib - 32.0).abs() < 1e-9, "{web:?}");
    }
}
