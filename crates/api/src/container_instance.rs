//! ContainerInstance: a read-only view of one pool node as an ECS container instance.
//!
//! The operator creates one per node of an EcsCluster (named after the node, owned by the cluster)
//! and keeps its status; `kubectl get containerinstances` lists them like ECS's
//! ListContainerInstances/DescribeContainerInstances. Users never write them: edits are overwritten.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Identity of the container instance (set once, from the node).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "ContainerInstance",
    status = "ContainerInstanceStatus",
    shortname = "eci",
    category = "ecs",
    doc = "An ECS container instance: a node of an EcsCluster's pool (read-only, kept by the operator).",
    printcolumn(name = "Cluster", type_ = "string", json_path = ".spec.cluster"),
    printcolumn(name = "Pool", type_ = "string", json_path = ".spec.pool"),
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.instanceType"),
    printcolumn(name = "Capacity", type_ = "string", json_path = ".spec.capacityType"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Agent", type_ = "boolean", json_path = ".status.agentConnected"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.runningTasksCount"),
    printcolumn(name = "Pending", type_ = "integer", json_path = ".status.pendingTasksCount"),
    printcolumn(name = "CPU-Free", type_ = "integer", json_path = ".status.remainingResources.cpu"),
    printcolumn(name = "Mem-Free", type_ = "integer", json_path = ".status.remainingResources.memory")
)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInstanceSpec {
    /// The EcsCluster the instance is registered to.
    pub cluster: String,
    /// The node pool (capacity provider) it belongs to; empty for a cluster without pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// The Node standing in for the EC2 instance (ECS: ec2InstanceId).
    pub ec2_instance_id: String,
    /// EC2 instance type (node label node.kubernetes.io/instance-type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// ON_DEMAND or SPOT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_type: Option<String>,
    /// Availability zone (node label topology.kubernetes.io/zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// CPU units (1024 per vCPU) and memory (MiB), as ECS reports resources.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct InstanceResources {
    /// CPU units.
    pub cpu: i64,
    /// Memory in MiB.
    pub memory: i64,
}

/// Observed state, as DescribeContainerInstances reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInstanceStatus {
    /// ACTIVE, DRAINING (spot interruption or scale-in) or INACTIVE (node not Ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::ecs::InstanceState>,
    /// Whether the agent is connected: the Node is Ready.
    #[serde(default)]
    pub agent_connected: bool,
    /// Resources registered (the Node's allocatable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_resources: Option<InstanceResources>,
    /// Registered minus what the instance's tasks reserve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_resources: Option<InstanceResources>,
    /// Tasks RUNNING on the instance.
    #[serde(default)]
    pub running_tasks_count: i32,
    /// Tasks placed on the instance and not yet RUNNING.
    #[serde(default)]
    pub pending_tasks_count: i32,
}
