//! Node pools (pure): which provider a pool uses, which nodes belong to it, and the Nodes a simulated
//! pool consists of.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, NodeSelectorTerm};

use super::catalog::{self, InstanceType};
use crate::api::EcsCluster;
use crate::api::cluster::NodePool;

/// Labels kube-ecs reads (and sets on the nodes it creates).
pub mod keys {
    pub const CLUSTER: &str = "ecs.kube-ecs.dev/cluster";
    pub const POOL: &str = "ecs.kube-ecs.dev/pool";
    pub const AMI_FAMILY: &str = "ecs.kube-ecs.dev/ami-family";
    pub const INSTANCE_TYPE: &str = "node.kubernetes.io/instance-type";
    pub const ZONE: &str = "topology.kubernetes.io/zone";
    pub const HOSTNAME: &str = "kubernetes.io/hostname";
    /// Karpenter's capacity-type label (`on-demand`, `spot`).
    pub const KARPENTER_CAPACITY_TYPE: &str = "karpenter.sh/capacity-type";
    /// EKS managed node groups' capacity-type label (`ON_DEMAND`, `SPOT`).
    pub const EKS_CAPACITY_TYPE: &str = "eks.amazonaws.com/capacityType";
    pub const KARPENTER_NODE_POOL: &str = "karpenter.sh/nodepool";
    /// Taint key on simulated nodes: only the cluster's tasks tolerate it.
    pub const CLUSTER_TAINT: &str = "ecs.kube-ecs.dev/cluster";
    /// Annotation on a Node: a spot interruption notice arrived (value: any, e.g. the notice time).
    pub const INTERRUPT: &str = "ecs.kube-ecs.dev/interrupt";
    /// Taint the operator sets on a node it drains (spot interruption, scale-in).
    pub const DRAINING_TAINT: &str = "ecs.kube-ecs.dev/draining";
    /// Annotation that hands a Node to KWOK, which plays its kubelet (simulated nodes).
    pub const KWOK_NODE: &str = "kwok.x-k8s.io/node";
}

/// How a pool's nodes come to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Existing nodes that match the pool; never mutated.
    Nodes,
    /// KWOK nodes the operator creates and deletes.
    Simulated,
    /// A Karpenter NodePool + EC2NodeClass the operator writes.
    Karpenter,
}

impl Provider {
    pub fn of(pool: &NodePool) -> Result<Self, String> {
        match pool.provider.as_deref().unwrap_or("nodes") {
            "nodes" => Ok(Self::Nodes),
            "simulated" => Ok(Self::Simulated),
            "karpenter" => Ok(Self::Karpenter),
            other => Err(format!(
                "spec.nodePools[{}].provider: {other:?} is not one of nodes, simulated, karpenter",
                pool.name
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nodes => "nodes",
            Self::Simulated => "simulated",
            Self::Karpenter => "karpenter",
        }
    }
}

/// ECS's capacity type of a pool: `ON_DEMAND` (default) or `SPOT`.
pub fn capacity_type(pool: &NodePool) -> &str {
    pool.capacity_type.as_deref().unwrap_or("ON_DEMAND")
}

/// Karpenter's spelling of a capacity type.
pub fn karpenter_capacity_type(ecs: &str) -> &'static str {
    if ecs == "SPOT" { "spot" } else { "on-demand" }
}

/// Spec problems of a cluster's pools the schema cannot express, each naming the field.
pub fn validate(cluster: &EcsCluster) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, pool) in cluster.spec.node_pools.iter().enumerate() {
        if !seen.insert(pool.name.as_str()) {
            problems.push(format!("spec.nodePools[{i}].name: {:?} is used by more than one pool", pool.name));
        }
        let provider = match Provider::of(pool) {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if provider != Provider::Nodes {
            match pool.instance_type.as_deref() {
                None => problems
                    .push(format!("spec.nodePools[{i}].instanceType: required for the {} provider", provider.as_str())),
                Some(t) if provider == Provider::Simulated && catalog::lookup(t).is_none() => problems.push(format!(
                    "spec.nodePools[{i}].instanceType: {t:?} is not in the simulated instance catalog ({})",
                    catalog::names()
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

/// The node-affinity terms (ORed) selecting a pool's nodes.
pub fn node_selector_terms(cluster: &str, pool: &NodePool) -> Vec<NodeSelectorTerm> {
    let is = |key: &str, value: &str| NodeSelectorRequirement {
        key: key.into(),
        operator: "In".into(),
        values: Some(vec![value.into()]),
    };
    let term = |requirements: Vec<NodeSelectorRequirement>| NodeSelectorTerm {
        match_expressions: Some(requirements),
        match_fields: None,
    };
    match Provider::of(pool).unwrap_or(Provider::Nodes) {
        Provider::Simulated => {
            vec![term(vec![is(keys::CLUSTER, &crate::labels::value(cluster)), is(keys::POOL, &pool.name)])]
        }
        Provider::Karpenter => vec![term(vec![is(keys::KARPENTER_NODE_POOL, &karpenter_name(cluster, &pool.name))])],
        Provider::Nodes => {
            let mut common = Vec::new();
            if let Some(t) = &pool.instance_type {
                common.push(is(keys::INSTANCE_TYPE, t));
            }
            common.extend(pool.labels.iter().map(|(k, v)| is(k, v)));
            match &pool.capacity_type {
                // Karpenter and EKS managed node groups spell the capacity type differently.
                Some(ct) => {
                    [(keys::KARPENTER_CAPACITY_TYPE, karpenter_capacity_type(ct)), (keys::EKS_CAPACITY_TYPE, ct)]
                        .into_iter()
                        .map(|(key, value)| {
                            let mut requirements = common.clone();
                            requirements.push(is(key, value));
                            term(requirements)
                        })
                        .collect()
                }
                None => vec![term(common)],
            }
        }
    }
}

/// Whether `node` belongs to `pool` (the same rule as [`node_selector_terms`]).
pub fn node_in_pool(cluster: &str, pool: &NodePool, node: &Node) -> bool {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    node_selector_terms(cluster, pool).iter().any(|term| {
        term.match_expressions
            .iter()
            .flatten()
            .all(|r| labels.get(&r.key).is_some_and(|v| r.values.iter().flatten().any(|w| w == v)))
    })
}

/// The pool of `cluster` that `node` belongs to.
pub fn pool_of<'a>(cluster: &'a EcsCluster, node: &Node) -> Option<&'a NodePool> {
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    cluster.spec.node_pools.iter().find(|p| node_in_pool(name, p, node))
}

/// Whether `node` is a container instance of `cluster`: in one of its pools, or, for a cluster
/// without pools, labelled with its name.
pub fn node_in_cluster(cluster: &EcsCluster, node: &Node) -> bool {
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    if cluster.spec.node_pools.is_empty() { labelled_for_cluster(name, node) } else { pool_of(cluster, node).is_some() }
}

/// Nodes of a cluster without pools: those labelled with the cluster's name (bring your own nodes).
pub fn labelled_for_cluster(cluster: &str, node: &Node) -> bool {
    node.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(keys::CLUSTER))
        .is_some_and(|c| *c == crate::labels::value(cluster))
}

/// Name of the Karpenter NodePool / EC2NodeClass for a pool.
pub fn karpenter_name(cluster: &str, pool: &str) -> String {
    // Karpenter labels its nodes with the NodePool's name, so it must be a label value (63).
    crate::labels::child_name(&format!("ecs-{cluster}-{pool}"), "", 63)
}

/// Name of a simulated pool's `index`th node.
pub fn simulated_node_name(cluster: &str, pool: &str, index: u32) -> String {
    // A node's name is also its `kubernetes.io/hostname` label (63), as a kubelet's hostname would be;
    // a long cluster name is shortened with a hash.
    crate::labels::child_name(&format!("{cluster}-{pool}"), &format!("-{index}"), 63)
}

/// Availability zones simulated nodes are spread over, round robin.
pub const SIMULATED_ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// The Node the simulated provider creates for index `index` of `pool`.
pub fn simulated_node(cluster: &str, pool: &NodePool, index: u32, instance: InstanceType) -> Node {
    let name = simulated_node_name(cluster, &pool.name, index);
    let capacity_type = capacity_type(pool);
    let mut labels: BTreeMap<String, String> = pool.labels.clone();
    let cluster_value = crate::labels::value(cluster);
    for (k, v) in [
        (keys::HOSTNAME, name.as_str()),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", instance.architecture()),
        ("type", "kwok"),
        (keys::CLUSTER, cluster_value.as_str()),
        (keys::POOL, pool.name.as_str()),
        (keys::INSTANCE_TYPE, instance.name),
        (keys::KARPENTER_CAPACITY_TYPE, karpenter_capacity_type(capacity_type)),
        (keys::EKS_CAPACITY_TYPE, capacity_type),
        (keys::AMI_FAMILY, pool.ami_family.as_deref().unwrap_or("AmazonLinux2")),
        (keys::ZONE, SIMULATED_ZONES[index as usize % SIMULATED_ZONES.len()]),
        ("topology.kubernetes.io/region", "us-east-1"),
    ] {
        labels.insert(k.into(), v.into());
    }
    let mut taints =
        vec![serde_json::json!({"key": keys::CLUSTER_TAINT, "value": cluster_value, "effect": "NoSchedule"})];
    taints.extend(pool.taints.iter().map(|t| serde_json::json!({"key": t.key, "value": t.value, "effect": t.effect})));
    let capacity = serde_json::json!({
        "cpu": instance.vcpus.to_string(),
        "memory": format!("{}Mi", instance.memory_mib),
        "ephemeral-storage": format!("{}Gi", pool.ebs_volume_size_gi_b.unwrap_or(30)),
        "pods": "110",
    });
    // What ECS would register: CPU units map 1:1 onto millicores x 1.024, memory minus the agent's share.
    let allocatable = serde_json::json!({
        "cpu": instance.vcpus.to_string(),
        "memory": format!("{}Mi", instance.registered_memory_mib()),
        "ephemeral-storage": format!("{}Gi", pool.ebs_volume_size_gi_b.unwrap_or(30)),
        "pods": "110",
    });
    let mut annotations = serde_json::json!({
        "kwok.x-k8s.io/node": "fake",
        "node.alpha.kubernetes.io/ttl": "0",
        "ecs.kube-ecs.dev/ami-family": pool.ami_family.as_deref().unwrap_or("AmazonLinux2"),
    });
    if let Some(role) = &pool.iam_role {
        annotations["ecs.kube-ecs.dev/iam-role"] = role.clone().into();
    }
    if let Some(key) = &pool.key_name {
        annotations["ecs.kube-ecs.dev/key-name"] = key.clone().into();
    }
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": name, "labels": labels, "annotations": annotations },
        "spec": { "taints": taints, "providerID": format!("kwok://{name}") },
        "status": { "capacity": capacity, "allocatable": allocatable },
    }))
    .unwrap_or_default()
}

/// The instance type of a simulated pool (validated beforehand).
pub fn simulated_instance(pool: &NodePool) -> Option<InstanceType> {
    pool.instance_type.as_deref().and_then(catalog::lookup)
}

/// Desired instance count of a pool.
pub fn desired_instances(pool: &NodePool) -> u32 {
    pool.instances.unwrap_or(1).max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(json: serde_json::Value) -> NodePool {
        serde_json::from_value(json).expect("pool")
    }

    fn cluster(pools: serde_json::Value) -> EcsCluster {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": "prod"},
            "spec": {"nodePools": pools}
        }))
        .expect("cluster")
    }

    #[test]
    fn validation_names_the_field_and_rule() {
        let c = cluster(serde_json::json!([
            {"name": "a", "provider": "simulated", "instanceType": "t3.medium"},
            {"name": "a", "provider": "simulated", "instanceType": "x9.huge"},
            {"name": "b", "provider": "karpenter"},
            {"name": "c", "provider": "magic"},
            {"name": "d"}
        ]));
        let problems = validate(&c);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].starts_with("spec.nodePools[1].name: \"a\" is used by more than one pool"));
        assert!(problems[1].starts_with("spec.nodePools[1].instanceType: \"x9.huge\" is not in the simulated"));
        assert_eq!(problems[2], "spec.nodePools[2].instanceType: required for the karpenter provider");
        assert!(problems[3].contains("\"magic\" is not one of nodes, simulated, karpenter"));
    }

    #[test]
    fn simulated_nodes_carry_the_pool_identity_and_size() {
        let p = pool(serde_json::json!({"name": "spot", "provider": "simulated", "instanceType": "t3.small",
            "capacityType": "SPOT", "ebsVolumeSizeGiB": 50, "amiFamily": "Bottlerocket"}));
        let node = simulated_node("prod", &p, 4, catalog::lookup("t3.small").expect("t3.small"));
        let labels = node.metadata.labels.clone().expect("labels");
        assert_eq!(node.metadata.name.as_deref(), Some("prod-spot-4"));
        assert_eq!(labels[keys::INSTANCE_TYPE], "t3.small");
        assert_eq!(labels[keys::KARPENTER_CAPACITY_TYPE], "spot");
        assert_eq!(labels[keys::EKS_CAPACITY_TYPE], "SPOT");
        assert_eq!(labels[keys::ZONE], "us-east-1b");
        assert_eq!(labels[keys::AMI_FAMILY], "Bottlerocket");
        let status = node.status.clone().expect("status");
        let capacity = status.capacity.expect("capacity");
        assert_eq!(capacity["memory"].0, "2048Mi");
        assert_eq!(capacity["ephemeral-storage"].0, "50Gi");
        assert_eq!(status.allocatable.expect("allocatable")["memory"].0, "1792Mi");
        let taints = node.spec.clone().and_then(|s| s.taints).expect("taints");
        assert_eq!((taints[0].key.as_str(), taints[0].value.as_deref()), (keys::CLUSTER_TAINT, Some("prod")));
        assert!(node_in_pool("prod", &p, &node));
        assert!(!node_in_pool("other", &p, &node));
    }

    #[test]
    fn nodes_pools_match_well_known_labels_including_eks_capacity_type() {
        let p = pool(serde_json::json!({"name": "od", "instanceType": "m5.large", "capacityType": "SPOT",
            "labels": {"team": "a"}}));
        let node = |labels: serde_json::Value| -> Node {
            serde_json::from_value(serde_json::json!({"metadata": {"name": "n", "labels": labels}})).expect("node")
        };
        let eks =
            node(serde_json::json!({keys::INSTANCE_TYPE: "m5.large", keys::EKS_CAPACITY_TYPE: "SPOT", "team": "a"}));
        let karpenter = node(
            serde_json::json!({keys::INSTANCE_TYPE: "m5.large", keys::KARPENTER_CAPACITY_TYPE: "spot", "team": "a"}),
        );
        let wrong_type = node(serde_json::json!({keys::INSTANCE_TYPE: "m5.xlarge", keys::EKS_CAPACITY_TYPE: "SPOT"}));
        let on_demand = node(
            serde_json::json!({keys::INSTANCE_TYPE: "m5.large", keys::EKS_CAPACITY_TYPE: "ON_DEMAND", "team": "a"}),
        );
        assert!(node_in_pool("c", &p, &eks));
        assert!(node_in_pool("c", &p, &karpenter));
        assert!(!node_in_pool("c", &p, &wrong_type));
        assert!(!node_in_pool("c", &p, &on_demand));
    }
}
