//! Capacity providers as ECS's wire shape (pure): ECS's own FARGATE and FARGATE_SPOT, the records
//! CreateCapacityProvider keeps, and the node pools of clusters.

use kube_ecs_api::cluster::NodePool;
use kube_ecs_wire as wire;
use serde::{Deserialize, Serialize};

/// ECS's own providers, present in every account.
pub const FARGATE: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// A provider CreateCapacityProvider made: what ECS keeps of the request.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling_group_provider: Option<wire::AutoScalingGroupProvider>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<wire::Tag>,
}

/// `arn:aws:ecs:<region>:<account>:capacity-provider/` (ARNs are `<prefix><name>`).
pub struct ArnPrefix(pub String);

impl ArnPrefix {
    pub fn new(region: &str, account: &str) -> Self {
        Self(format!("arn:aws:ecs:{region}:{account}:capacity-provider/"))
    }

    pub fn arn(&self, name: &str) -> String {
        format!("{}{name}", self.0)
    }
}

fn base(arn: String, name: &str, kind: &str) -> wire::CapacityProvider {
    wire::CapacityProvider {
        capacity_provider_arn: Some(arn),
        name: Some(name.into()),
        status: Some("ACTIVE".into()),
        r#type: Some(kind.into()),
        ..Default::default()
    }
}

/// FARGATE or FARGATE_SPOT, as ECS describes them (no Auto Scaling group, no tags).
pub fn fargate(arns: &ArnPrefix, name: &str) -> wire::CapacityProvider {
    base(arns.arn(name), name, name)
}

pub fn record(arns: &ArnPrefix, name: &str, record: &Record, with_tags: bool) -> wire::CapacityProvider {
    wire::CapacityProvider {
        auto_scaling_group_provider: record.auto_scaling_group_provider.clone(),
        tags: if with_tags { record.tags.clone() } else { Vec::new() },
        ..base(arns.arn(name), name, "EC2_AUTOSCALING")
    }
}

/// A node pool of the cluster `cluster` (its ECS name), named as the provider it is. Pools are the
/// cluster's own, so the ARN names the cluster too (two clusters may both have a pool `spot`). A `karpenter` pool is capacity
/// the provider launches and manages, as ECS's managed instances are; the others are groups of
/// instances, as an Auto Scaling group's. They have no Auto Scaling group to describe.
pub fn pool(arns: &ArnPrefix, cluster: &str, pool: &NodePool) -> wire::CapacityProvider {
    let name = super::plan::provider_name(pool);
    let kind = match pool.provider.as_deref() {
        _ if FARGATE.contains(&name) => name,
        Some("karpenter") => "MANAGED_INSTANCES",
        _ => "EC2_AUTOSCALING",
    };
    wire::CapacityProvider { cluster: Some(cluster.into()), ..base(arns.arn(&format!("{cluster}/{name}")), name, kind) }
}

/// ECS's defaults filled into a new Auto Scaling group provider (what DescribeCapacityProviders
/// then shows): managed scaling off at 100% target with steps 1..10000 and 300 s warm-up,
/// termination protection off, managed draining on.
pub fn with_defaults(mut provider: wire::AutoScalingGroupProvider) -> wire::AutoScalingGroupProvider {
    let scaling = provider.managed_scaling.get_or_insert_with(Default::default);
    scaling.status.get_or_insert_with(|| "DISABLED".into());
    scaling.target_capacity.get_or_insert(100);
    scaling.minimum_scaling_step_size.get_or_insert(1);
    scaling.maximum_scaling_step_size.get_or_insert(10000);
    scaling.instance_warmup_period.get_or_insert(300);
    provider.managed_termination_protection.get_or_insert_with(|| "DISABLED".into());
    provider.managed_draining.get_or_insert_with(|| "ENABLED".into());
    provider
}

/// UpdateCapacityProvider's members merged into a provider: each managed-scaling member given
/// replaces the current one, the others stay.
pub fn updated(
    mut provider: wire::AutoScalingGroupProvider,
    update: &wire::AutoScalingGroupProviderUpdate,
) -> wire::AutoScalingGroupProvider {
    if let Some(change) = &update.managed_scaling {
        let scaling = provider.managed_scaling.get_or_insert_with(Default::default);
        let merge = |current: &mut Option<i32>, new: Option<i32>| {
            if new.is_some() {
                *current = new;
            }
        };
        if change.status.is_some() {
            scaling.status.clone_from(&change.status);
        }
        merge(&mut scaling.target_capacity, change.target_capacity);
        merge(&mut scaling.minimum_scaling_step_size, change.minimum_scaling_step_size);
        merge(&mut scaling.maximum_scaling_step_size, change.maximum_scaling_step_size);
        merge(&mut scaling.instance_warmup_period, change.instance_warmup_period);
    }
    if update.managed_termination_protection.is_some() {
        provider.managed_termination_protection.clone_from(&update.managed_termination_protection);
    }
    if update.managed_draining.is_some() {
        provider.managed_draining.clone_from(&update.managed_draining);
    }
    provider
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn asg(value: serde_json::Value) -> wire::AutoScalingGroupProvider {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn defaults_and_updates() {
        let created = with_defaults(asg(json!({
            "autoScalingGroupArn": "asg:arn",
            "managedScaling": {"status": "ENABLED", "targetCapacity": 5, "maximumScalingStepSize": 2},
        })));
        assert_eq!(
            serde_json::to_value(&created).unwrap(),
            json!({
                "autoScalingGroupArn": "asg:arn",
                "managedScaling": {"status": "ENABLED", "targetCapacity": 5, "minimumScalingStepSize": 1,
                                   "maximumScalingStepSize": 2, "instanceWarmupPeriod": 300},
                "managedTerminationProtection": "DISABLED",
                "managedDraining": "ENABLED",
            })
        );
        let update: wire::AutoScalingGroupProviderUpdate = serde_json::from_value(
            json!({"managedScaling": {"status": "DISABLED", "instanceWarmupPeriod": 0}, "managedDraining": "DISABLED"}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(updated(created, &update)).unwrap(),
            json!({
                "autoScalingGroupArn": "asg:arn",
                "managedScaling": {"status": "DISABLED", "targetCapacity": 5, "minimumScalingStepSize": 1,
                                   "maximumScalingStepSize": 2, "instanceWarmupPeriod": 0},
                "managedTerminationProtection": "DISABLED",
                "managedDraining": "DISABLED",
            })
        );
    }

    #[test]
    fn providers_rendered() {
        let arns = ArnPrefix::new("us-east-1", "000000000000");
        let pool_of = |value: serde_json::Value| -> NodePool { serde_json::from_value(value).unwrap() };
        let cases = [
            (
                fargate(&arns, "FARGATE_SPOT"),
                json!({"capacityProviderArn": "arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE_SPOT",
                       "name": "FARGATE_SPOT", "status": "ACTIVE", "type": "FARGATE_SPOT", "tags": []}),
            ),
            (
                pool(
                    &arns,
                    "prod",
                    &pool_of(json!({"name": "spot", "provider": "simulated", "instanceType": "t3.small"})),
                ),
                json!({"capacityProviderArn": "arn:aws:ecs:us-east-1:000000000000:capacity-provider/prod/spot",
                       "name": "spot", "cluster": "prod", "status": "ACTIVE", "type": "EC2_AUTOSCALING", "tags": []}),
            ),
            (
                pool(
                    &arns,
                    "prod",
                    &pool_of(json!({"name": "burst", "provider": "karpenter", "instanceType": "m5.large"})),
                ),
                json!({"capacityProviderArn": "arn:aws:ecs:us-east-1:000000000000:capacity-provider/prod/burst",
                       "name": "burst", "cluster": "prod", "status": "ACTIVE", "type": "MANAGED_INSTANCES", "tags": []}),
            ),
            (
                pool(
                    &arns,
                    "prod",
                    &pool_of(json!({"name": "fargate-1", "labels": {"ecs.kube-ecs.dev/capacity-provider": "FARGATE"}})),
                ),
                json!({"capacityProviderArn": "arn:aws:ecs:us-east-1:000000000000:capacity-provider/prod/FARGATE",
                       "name": "FARGATE", "cluster": "prod", "status": "ACTIVE", "type": "FARGATE", "tags": []}),
            ),
            (
                record(
                    &arns,
                    "asg-cp",
                    &Record {
                        auto_scaling_group_provider: Some(asg(json!({"autoScalingGroupArn": "asg:arn"}))),
                        tags: vec![wire::Tag { key: Some("k".into()), value: Some("v".into()) }],
                    },
                    true,
                ),
                json!({"capacityProviderArn": "arn:aws:ecs:us-east-1:000000000000:capacity-provider/asg-cp",
                       "name": "asg-cp", "status": "ACTIVE", "type": "EC2_AUTOSCALING",
                       "autoScalingGroupProvider": {"autoScalingGroupArn": "asg:arn"}, "tags": [{"key": "k", "value": "v"}]}),
            ),
        ];
        for (got, want) in cases {
            assert_eq!(serde_json::to_value(&got).unwrap(), want);
        }
    }
}
