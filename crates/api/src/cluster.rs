//! EcsCluster: an ECS cluster whose node pools stand in for EC2 container instances.
//!
//! Cluster-scoped, like an ECS cluster in an account. Tasks and Services name it (or use `default`);
//! their pods are placed only on the nodes of its pools and only from namespaces it admits.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ECS cluster: node pools (capacity providers) and the namespaces allowed to run tasks on them.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "EcsCluster",
    status = "EcsClusterStatus",
    shortname = "ecsc",
    category = "ecs",
    doc = "An ECS cluster: node pools standing in for EC2 container instances.",
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Instances", type_ = "integer", json_path = ".status.registeredContainerInstancesCount"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.runningTasksCount"),
    printcolumn(name = "Pending", type_ = "integer", json_path = ".status.pendingTasksCount"),
    printcolumn(name = "Services", type_ = "integer", json_path = ".status.activeServicesCount"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct EcsClusterSpec {
    /// ECS's cluster name; informational (the object's name is the cluster's name here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Node pools: groups of container instances of one instance type and capacity type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_pools: Vec<NodePool>,
    /// The capacity-provider strategy of tasks and services that give none (ECS's
    /// `defaultCapacityProviderStrategy`): pool or provider names with base and weight. Empty: such
    /// tasks may run on any of the cluster's pools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_capacity_provider_strategy: Vec<super::common::CapacityProviderStrategyItem>,
    /// CloudWatch Container Insights: `enabled` (or `enhanced`, the same here) exports per-cluster
    /// metrics on the operator's /metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_insights: Option<String>,
    /// Namespaces whose Tasks and Services may run on this cluster. Omitted or empty: every namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_namespaces: Vec<String>,
    /// What the Pods of this cluster's Tasks and Services may do: a Pod Security level (default
    /// `baseline`) and the exceptions this cluster grants (privileged containers, host networking,
    /// host paths, ...). See docs/security.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_security: Option<super::task_security::TaskSecurityPolicy>,
    /// Metadata tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<super::common::Tag>,
}

/// A node pool: a group of container instances, and a capacity provider of the cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    /// Pool name, unique in the cluster; also the capacity provider's name.
    pub name: String,
    /// How the pool's nodes come to be: `nodes` (default: existing Ready nodes matching the pool's
    /// instance type, capacity type and labels), `simulated` (the operator creates KWOK nodes; local
    /// development, demos, tests) or `karpenter` (the operator writes a Karpenter NodePool and EC2NodeClass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// EC2 instance type, e.g. `t3.medium`, `m5.large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// `ON_DEMAND` (default) or `SPOT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_type: Option<String>,
    /// Number of container instances (simulated: created; karpenter: the limit; nodes: informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<i32>,
    /// Root EBS volume size in GiB (default 30); the simulated nodes' ephemeral storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_volume_size_gi_b: Option<i32>,
    /// `AmazonLinux1`, `AmazonLinux2` (default), `AmazonLinux2023` or `Bottlerocket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ami_family: Option<String>,
    /// IAM role (instance profile) of the container instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_role: Option<String>,
    /// EC2 key pair for SSH access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// Extra node labels: required on matching nodes (`nodes`), set on created nodes otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Extra taints on the pool's nodes (tasks of this cluster tolerate them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<NodePoolTaint>,
}

/// The node label that puts a Node in the pool a capacity provider became (ECS's provider names,
/// `FARGATE` or `my_asg_provider`, are not pool names: pools are DNS labels).
pub const CAPACITY_PROVIDER_LABEL: &str = "ecs.kube-ecs.dev/capacity-provider";

impl NodePool {
    /// The capacity provider this pool is: the name its capacity-provider label gives, else its own.
    pub fn capacity_provider(&self) -> &str {
        self.labels.get(CAPACITY_PROVIDER_LABEL).map_or(self.name.as_str(), String::as_str)
    }

    /// Whether a capacity-provider strategy item's name (the provider's or the pool's) is this pool.
    pub fn is_provider(&self, name: &str) -> bool {
        self.name == name || self.capacity_provider() == name
    }
}

/// A taint on a pool's nodes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolTaint {
    /// Taint key.
    pub key: String,
    /// Taint value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// Observed state of a cluster, as ECS `DescribeClusters` reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EcsClusterStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::ecs::ClusterState>,
    /// Container instances registered (Ready pool nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_container_instances_count: Option<i32>,
    /// Tasks in RUNNING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_tasks_count: Option<i32>,
    /// Tasks in PENDING (or earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_tasks_count: Option<i32>,
    /// Services in ACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_services_count: Option<i32>,
    /// Per-pool counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<NodePoolStatus>,
    /// `Ready`, `Reconciling`, `Valid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
}

/// Observed state of one node pool.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolStatus {
    /// Pool name.
    pub name: String,
    /// The provider in effect.
    pub provider: String,
    /// Instances the pool wants.
    #[serde(default)]
    pub desired_instances: i32,
    /// Instances registered (Ready).
    #[serde(default)]
    pub registered_instances: i32,
}
