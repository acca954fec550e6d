//! Types shared by several kinds: key/value pairs, placement, capacity provider strategy.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A name/value pair, as ECS's `KeyValuePair` (environment variables, proxy properties).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyValuePair {
    /// The name of the pair, e.g. the environment variable's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value of the pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A resource tag, as ECS's `Tag`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// Tag key (1-128 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Tag value (0-256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A placement constraint: `memberOf` with a cluster query language expression, or `distinctInstance`
/// (one task per container instance; services and standalone tasks only).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementConstraint {
    /// `memberOf` or `distinctInstance`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Cluster query language expression for `memberOf`, e.g.
    /// `attribute:ecs.instance-type =~ t3.*` or `attribute:ecs.capacity-type == SPOT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// A placement strategy: `random`, `spread` (field `instanceId`, `host` or an attribute such as
/// `attribute:ecs.availability-zone`) or `binpack` (field `cpu` or `memory`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementStrategy {
    /// `random`, `spread` or `binpack`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The field the strategy applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// One item of a capacity provider strategy: here a capacity provider is a node pool of the task's
/// EcsCluster, named by the pool's name.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    /// Name of the capacity provider: a node pool of the EcsCluster.
    pub capacity_provider: String,
    /// Minimum number of tasks on this provider (0-100000). Only one item may set a base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<i32>,
    /// Relative share of tasks placed on this provider (0-1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

/// awsvpc network configuration. Accepted so that pasted definitions validate; pods use the cluster's
/// own pod network, so subnets and security groups are reported as not applied.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    /// The VPC subnets and security groups of the task's elastic network interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

/// Subnets, security groups and public IP setting of an awsvpc task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// Subnet IDs (up to 16).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    /// Security group IDs (up to 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<String>,
}
