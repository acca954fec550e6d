//! Cluster and container-instance status (pure): what ECS's DescribeClusters and
//! DescribeContainerInstances report, computed from the cluster's nodes, pods, tasks and services.

use k8s_openapi::api::core::v1::{Node, Pod};

use super::pools::{self, Provider, keys};
use crate::api::cluster::NodePoolStatus;
use crate::api::container_instance::{ContainerInstanceSpec, ContainerInstanceStatus, InstanceResources};
use crate::api::ecs::{InstanceState, ServiceState, TaskLifecycle};
use crate::api::{EcsCluster, Service, Task};

/// Everything the status is computed from.
pub struct Observed<'a> {
    pub cluster: &'a EcsCluster,
    /// The cluster's container instances.
    pub nodes: Vec<&'a Node>,
    pub tasks: Vec<&'a Task>,
    pub services: Vec<&'a Service>,
}

/// Counts as ECS reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub registered_instances: i32,
    pub running_tasks: i32,
    pub pending_tasks: i32,
    pub active_services: i32,
}

pub fn counts(observed: &Observed<'_>) -> Counts {
    let mut counts = Counts {
        registered_instances: observed.nodes.iter().filter(|n| node_ready(n)).count() as i32,
        ..Default::default()
    };
    for task in &observed.tasks {
        match task.status.as_ref().and_then(|s| s.last_status) {
            Some(TaskLifecycle::Running) => counts.running_tasks += 1,
            Some(TaskLifecycle::Stopped) => {}
            _ => counts.pending_tasks += 1,
        }
    }
    for service in &observed.services {
        let Some(status) = service.status.as_ref() else { continue };
        // A service's tasks are pods of its workload, counted from its status.
        counts.running_tasks += status.running_count.unwrap_or(0);
        counts.pending_tasks += status.pending_count.unwrap_or(0);
        if status.status.unwrap_or(ServiceState::Active) == ServiceState::Active
            && service.metadata.deletion_timestamp.is_none()
        {
            counts.active_services += 1;
        }
    }
    counts
}

/// The node's Ready condition is True (its kubelet, or KWOK, reports in).
pub fn node_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// A node being drained: spot interruption notice, scale-in, or deletion.
pub fn node_draining(node: &Node) -> bool {
    node.metadata.deletion_timestamp.is_some()
        || node.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(keys::INTERRUPT))
        || node
            .spec
            .as_ref()
            .and_then(|s| s.taints.as_ref())
            .is_some_and(|ts| ts.iter().any(|t| t.key == keys::DRAINING_TAINT))
}

/// Per-pool counts.
pub fn pool_statuses(cluster: &EcsCluster, nodes: &[&Node]) -> Vec<NodePoolStatus> {
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    cluster
        .spec
        .node_pools
        .iter()
        .map(|pool| {
            let members: Vec<&&Node> = nodes.iter().filter(|n| pools::node_in_pool(name, pool, n)).collect();
            let provider = Provider::of(pool).unwrap_or(Provider::Nodes);
            NodePoolStatus {
                name: pool.name.clone(),
                provider: provider.as_str().into(),
                desired_instances: match provider {
                    Provider::Nodes => pool.instances.unwrap_or(members.len() as i32),
                    _ => pools::desired_instances(pool) as i32,
                },
                registered_instances: members.iter().filter(|n| node_ready(n)).count() as i32,
            }
        })
        .collect()
}

/// What a container instance's counts and free room read of a Pod: the read model's compact
/// cached Pods answer it without being rebuilt into Pods (the cluster controller computes every
/// container instance on every pass).
pub trait PodUsage {
    /// `spec.nodeName`.
    fn node_name(&self) -> Option<&str>;
    /// `status.phase`.
    fn phase(&self) -> Option<&str>;
    /// Every container's resource requests, as (resource name, quantity) pairs.
    fn container_requests(&self) -> Vec<(&str, &str)>;
}

impl PodUsage for Pod {
    fn node_name(&self) -> Option<&str> {
        self.spec.as_ref().and_then(|s| s.node_name.as_deref())
    }
    fn phase(&self) -> Option<&str> {
        self.status.as_ref().and_then(|s| s.phase.as_deref())
    }
    fn container_requests(&self) -> Vec<(&str, &str)> {
        let containers = self.spec.iter().flat_map(|s| s.containers.iter());
        let requests = containers.filter_map(|c| c.resources.as_ref().and_then(|r| r.requests.as_ref()));
        requests.flatten().map(|(name, q)| (name.as_str(), q.0.as_str())).collect()
    }
}

impl<P: PodUsage> PodUsage for std::sync::Arc<P> {
    fn node_name(&self) -> Option<&str> {
        (**self).node_name()
    }
    fn phase(&self) -> Option<&str> {
        (**self).phase()
    }
    fn container_requests(&self) -> Vec<(&str, &str)> {
        (**self).container_requests()
    }
}

/// The container-instance view of one node.
/// `pods`: every kube-ecs pod, or (cheaper, see [`pods_by_node`]) just the node's.
pub fn container_instance(
    cluster: &EcsCluster,
    node: &Node,
    pods: &[impl PodUsage],
) -> (ContainerInstanceSpec, ContainerInstanceStatus) {
    let cluster_name = cluster.metadata.name.clone().unwrap_or_default();
    let node_name = node.metadata.name.clone().unwrap_or_default();
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let capacity_type = labels.get(keys::EKS_CAPACITY_TYPE).cloned().or_else(|| {
        labels.get(keys::KARPENTER_CAPACITY_TYPE).map(|v| if v == "spot" { "SPOT".into() } else { "ON_DEMAND".into() })
    });
    let spec = ContainerInstanceSpec {
        cluster: cluster_name,
        pool: pools::pool_of(cluster, node).map(|p| p.name.clone()),
        ec2_instance_id: node_name.clone(),
        instance_type: labels.get(keys::INSTANCE_TYPE).cloned(),
        capacity_type,
        availability_zone: labels.get(keys::ZONE).cloned(),
    };
    let allocatable = node.status.as_ref().and_then(|s| s.allocatable.clone()).unwrap_or_default();
    let registered = InstanceResources {
        cpu: allocatable.get("cpu").map_or(0, |q| cpu_units(&q.0)),
        memory: allocatable.get("memory").map_or(0, |q| memory_mib(&q.0)),
    };
    let mut reserved = InstanceResources::default();
    let (mut running, mut pending) = (0, 0);
    for pod in pods.iter().filter(|p| p.node_name() == Some(node_name.as_str())) {
        let phase = pod.phase().unwrap_or("Pending");
        if matches!(phase, "Succeeded" | "Failed") {
            continue;
        }
        if phase == "Running" {
            running += 1
        } else {
            pending += 1
        }
        for (resource, quantity) in pod.container_requests() {
            match resource {
                "cpu" => reserved.cpu += cpu_units(quantity),
                "memory" => reserved.memory += memory_mib(quantity),
                _ => {}
            }
        }
    }
    let status = ContainerInstanceStatus {
        status: Some(if node_draining(node) {
            InstanceState::Draining
        } else if node_ready(node) {
            InstanceState::Active
        } else {
            InstanceState::Inactive
        }),
        agent_connected: node_ready(node),
        remaining_resources: Some(InstanceResources {
            cpu: registered.cpu - reserved.cpu,
            memory: registered.memory - reserved.memory,
        }),
        registered_resources: Some(registered),
        running_tasks_count: running,
        pending_tasks_count: pending,
    };
    (spec, status)
}

/// kube-ecs pods grouped by the node they are bound to: one pass, instead of one per node.
pub fn pods_by_node(pods: &[std::sync::Arc<Pod>]) -> std::collections::HashMap<String, Vec<std::sync::Arc<Pod>>> {
    let mut by_node: std::collections::HashMap<String, Vec<std::sync::Arc<Pod>>> = Default::default();
    for pod in pods {
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
            by_node.entry(node).or_default().push(pod.clone());
        }
    }
    by_node
}

/// CPU units (1024 per core) of a Kubernetes CPU quantity.
pub fn cpu_units(quantity: &str) -> i64 {
    let s = quantity.trim();
    let millis = match s.strip_suffix('m') {
        Some(m) => m.parse::<f64>().unwrap_or(0.0),
        None => s.parse::<f64>().unwrap_or(0.0) * 1000.0,
    };
    (millis * 1024.0 / 1000.0).round() as i64
}

/// MiB of a Kubernetes memory quantity.
pub fn memory_mib(quantity: &str) -> i64 {
    let s = quantity.trim();
    let units: [(&str, f64); 10] = [
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024f64.powi(4)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("m", 1e-3),
        ("", 1.0),
    ];
    for (suffix, factor) in units {
        if let Some(number) = s.strip_suffix(suffix)
            && let Ok(n) = number.parse::<f64>()
        {
            return (n * factor / (1024.0 * 1024.0)).floor() as i64;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_ecs_units() {
        assert_eq!(cpu_units("2"), 2048);
        assert_eq!(cpu_units("250m"), 256);
        assert_eq!(cpu_units("1500m"), 1536);
        assert_eq!(memory_mib("1792Mi"), 1792);
        assert_eq!(memory_mib("4Gi"), 4096);
        assert_eq!(memory_mib("134217728"), 128);
        assert_eq!(memory_mib("1G"), 953);
    }

    #[test]
    fn container_instance_subtracts_what_its_pods_reserve() {
        let cluster: EcsCluster = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": "prod"},
            "spec": {"nodePools": [{"name": "od", "provider": "simulated", "instanceType": "t3.medium"}]}
        }))
        .expect("cluster");
        let pool = cluster.spec.node_pools[0].clone();
        let mut node = pools::simulated_node("prod", &pool, 0, super::super::catalog::lookup("t3.medium").expect("t3"));
        node.status.get_or_insert_with(Default::default).conditions =
            Some(vec![k8s_openapi::api::core::v1::NodeCondition {
                type_: "Ready".into(),
                status: "True".into(),
                ..Default::default()
            }]);
        let pod = |name: &str, phase: &str| -> std::sync::Arc<Pod> {
            std::sync::Arc::new(
                serde_json::from_value(serde_json::json!({
                    "metadata": {"name": name},
                    "spec": {"nodeName": "prod-od-0", "containers": [{"name": "app", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}}]},
                    "status": {"phase": phase}
                }))
                .expect("pod"),
            )
        };
        let pods = vec![pod("a", "Running"), pod("b", "Pending"), pod("c", "Succeeded")];
        let (spec, status) = container_instance(&cluster, &node, &pods);
        assert_eq!(spec.pool.as_deref(), Some("od"));
        assert_eq!(spec.capacity_type.as_deref(), Some("ON_DEMAND"));
        assert_eq!(status.status, Some(InstanceState::Active));
        assert!(status.agent_connected);
        assert_eq!(status.registered_resources, Some(InstanceResources { cpu: 2048, memory: 3840 }));
        assert_eq!(status.remaining_resources, Some(InstanceResources { cpu: 2048 - 512, memory: 3840 - 1024 }));
        assert_eq!((status.running_tasks_count, status.pending_tasks_count), (1, 1));
    }
}
