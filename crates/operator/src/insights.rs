//! Container Insights: per-cluster and per-service gauges for clusters with
//! `containerInsights: enabled`, computed at scrape time from the caches.

use std::fmt::Write as _;

use crate::api::EcsCluster;
use crate::caches::Caches;
use crate::cluster::{pools, status};
use crate::controllers::{WellFormed, well_formed};

/// The gauges of every cluster that enables Container Insights.
pub fn render(caches: &Caches) -> String {
    let clusters: Vec<WellFormed<EcsCluster>> = well_formed(&caches.clusters)
        .into_iter()
        // kube-ecs has one level of metrics: `enhanced` (ECS's observability level) exports the same.
        .filter(|c| matches!(c.spec.container_insights.as_deref(), Some("enabled" | "enhanced")))
        .collect();
    if clusters.is_empty() {
        return String::new();
    }
    let nodes = caches.all_nodes();
    let mut out = String::new();
    let gauge = |out: &mut String, name: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    };
    let mut lines: Vec<(String, &str, String)> = Vec::new();
    for cluster in &clusters {
        let name = cluster.metadata.name.clone().unwrap_or_default();
        let tasks = caches.tasks_of_cluster(&name);
        let services = caches.services_of_cluster(&name);
        let members: Vec<_> = nodes.iter().map(AsRef::as_ref).filter(|n| pools::node_in_cluster(cluster, n)).collect();
        let observed = status::Observed {
            cluster,
            nodes: members.clone(),
            tasks: tasks.iter().map(|t| &**t).collect(),
            services: services.iter().map(|s| &**s).collect(),
        };
        let counts = status::counts(&observed);
        let (mut registered_cpu, mut registered_memory, mut reserved_cpu, mut reserved_memory) = (0, 0, 0, 0);
        for node in &members {
            let node_pods = caches.cached_pods_on_node(node.metadata.name.as_deref().unwrap_or_default());
            let (_, instance) = status::container_instance(cluster, node, &node_pods);
            let registered = instance.registered_resources.unwrap_or_default();
            let remaining = instance.remaining_resources.unwrap_or_default();
            registered_cpu += registered.cpu;
            registered_memory += registered.memory;
            reserved_cpu += registered.cpu - remaining.cpu;
            reserved_memory += registered.memory - remaining.memory;
        }
        let label = format!("cluster=\"{name}\"");
        for (metric, value) in [
            ("ecs_cluster_container_instances", counts.registered_instances as i64),
            ("ecs_cluster_running_tasks", counts.running_tasks as i64),
            ("ecs_cluster_pending_tasks", counts.pending_tasks as i64),
            ("ecs_cluster_active_services", counts.active_services as i64),
            ("ecs_cluster_cpu_registered_units", registered_cpu),
            ("ecs_cluster_cpu_reserved_units", reserved_cpu),
            ("ecs_cluster_memory_registered_mib", registered_memory),
            ("ecs_cluster_memory_reserved_mib", reserved_memory),
        ] {
            lines.push((label.clone(), metric, value.to_string()));
        }
        for service in &services {
            let s = service.status.clone().unwrap_or_default();
            let label = format!(
                "cluster=\"{name}\",namespace=\"{}\",service=\"{}\"",
                service.metadata.namespace.clone().unwrap_or_default(),
                service.metadata.name.clone().unwrap_or_default()
            );
            lines.push((label.clone(), "ecs_service_desired_tasks", s.desired_count.unwrap_or(0).to_string()));
            lines.push((label.clone(), "ecs_service_running_tasks", s.running_count.unwrap_or(0).to_string()));
            lines.push((label, "ecs_service_pending_tasks", s.pending_count.unwrap_or(0).to_string()));
        }
    }
    let mut metrics: Vec<&str> = Vec::new();
    for (_, metric, _) in &lines {
        if !metrics.contains(metric) {
            metrics.push(metric);
        }
    }
    for metric in metrics {
        gauge(&mut out, metric, "Container Insights (kube-ecs).");
        for (label, _, value) in lines.iter().filter(|(_, m, _)| *m == metric) {
            let _ = writeln!(out, "{metric}{{{label}}} {value}");
        }
    }
    out
}
