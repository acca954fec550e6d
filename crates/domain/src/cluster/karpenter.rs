//! The `karpenter` pool provider (pure): a Karpenter NodePool and EC2NodeClass per pool, so that real
//! AWS capacity of the pool's instance type and capacity type appears as the pool's nodes.

use kube::core::{ApiResource, DynamicObject, GroupVersionKind};

use super::catalog;
use super::pools::{self, keys};
use crate::api::cluster::NodePool;

pub fn node_pool_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("karpenter.sh", "v1", "NodePool"), "nodepools")
}

pub fn node_class_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("karpenter.k8s.aws", "v1", "EC2NodeClass"),
        "ec2nodeclasses",
    )
}

/// Karpenter's AMI alias for an ECS AMI family.
pub fn ami_alias(family: &str) -> Result<&'static str, String> {
    match family {
        "AmazonLinux2" => Ok("al2@latest"),
        "AmazonLinux2023" => Ok("al2023@latest"),
        "Bottlerocket" => Ok("bottlerocket@latest"),
        other => Err(format!(
            "amiFamily {other:?} has no Karpenter AMI alias (use AmazonLinux2, AmazonLinux2023 or Bottlerocket)"
        )),
    }
}

/// The NodePool and EC2NodeClass of `pool`, owned by `owner` (the EcsCluster).
pub fn objects(
    cluster: &str,
    pool: &NodePool,
    owner: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>,
) -> Result<(DynamicObject, DynamicObject), String> {
    let name = pools::karpenter_name(cluster, &pool.name);
    let capacity_type = pools::capacity_type(pool);
    let instance_type = pool.instance_type.clone().ok_or("instanceType is required for karpenter pools")?;
    let alias = ami_alias(pool.ami_family.as_deref().unwrap_or("AmazonLinux2"))?;
    let mut labels = pool.labels.clone();
    labels.insert(keys::CLUSTER.into(), crate::labels::value(cluster));
    labels.insert(keys::POOL.into(), pool.name.clone());
    let mut taints = vec![
        serde_json::json!({"key": keys::CLUSTER_TAINT, "value": crate::labels::value(cluster), "effect": "NoSchedule"}),
    ];
    taints.extend(pool.taints.iter().map(|t| serde_json::json!({"key": t.key, "value": t.value, "effect": t.effect})));
    // `instances` is the pool's ceiling: Karpenter limits are resources, so it is converted with the
    // instance type's size when the type is known.
    let limits = catalog::lookup(&instance_type).map(|t| {
        let n = u64::from(pools::desired_instances(pool));
        serde_json::json!({"cpu": (u64::from(t.vcpus) * n).to_string(), "memory": format!("{}Mi", t.memory_mib * n)})
    });
    let metadata = |kind_labels: serde_json::Value| {
        serde_json::json!({
            "name": name,
            "labels": kind_labels,
            "ownerReferences": owner.iter().collect::<Vec<_>>(),
        })
    };
    let managed = serde_json::json!({crate::labels::MANAGED_BY: crate::labels::MANAGED_BY_VALUE, keys::CLUSTER: crate::labels::value(cluster), keys::POOL: pool.name});
    let mut node_pool = serde_json::json!({
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": metadata(managed.clone()),
        "spec": {
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": name},
                    "requirements": [
                        {"key": keys::INSTANCE_TYPE, "operator": "In", "values": [instance_type]},
                        {"key": keys::KARPENTER_CAPACITY_TYPE, "operator": "In", "values": [pools::karpenter_capacity_type(capacity_type)]},
                    ],
                    "taints": taints,
                }
            },
            "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m"},
        }
    });
    if let Some(limits) = limits {
        node_pool["spec"]["limits"] = limits;
    }
    let mut node_class = serde_json::json!({
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": metadata(managed),
        "spec": {
            "amiSelectorTerms": [{"alias": alias}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster}}],
            "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster}}],
            "blockDeviceMappings": [{
                "deviceName": if alias.starts_with("bottlerocket") { "/dev/xvdb" } else { "/dev/xvda" },
                "ebs": {"volumeSize": format!("{}Gi", pool.ebs_volume_size_gi_b.unwrap_or(30)), "volumeType": "gp3", "encrypted": true}
            }],
            "tags": {"ecs.kube-ecs.dev/cluster": cluster, "ecs.kube-ecs.dev/pool": pool.name},
        }
    });
    if let Some(role) = &pool.iam_role {
        node_class["spec"]["role"] = role.clone().into();
    }
    let parse = |v: serde_json::Value| serde_json::from_value::<DynamicObject>(v).map_err(|e| e.to_string());
    Ok((parse(node_pool)?, parse(node_class)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_pool_and_class_carry_the_pool() {
        let pool: NodePool = serde_json::from_value(serde_json::json!({
            "name": "spot", "provider": "karpenter", "instanceType": "m5.large", "capacityType": "SPOT",
            "instances": 4, "ebsVolumeSizeGiB": 100, "amiFamily": "AmazonLinux2023", "iamRole": "KarpenterNodeRole"
        }))
        .expect("pool");
        let (np, nc) = objects("prod", &pool, None).expect("objects");
        assert_eq!(np.metadata.name.as_deref(), Some("ecs-prod-spot"));
        let spec = &np.data["spec"];
        assert_eq!(spec["template"]["spec"]["requirements"][1]["values"][0], "spot");
        assert_eq!(spec["template"]["spec"]["requirements"][0]["values"][0], "m5.large");
        assert_eq!(spec["limits"]["cpu"], "8");
        assert_eq!(spec["limits"]["memory"], "32768Mi");
        assert_eq!(spec["template"]["metadata"]["labels"][keys::POOL], "spot");
        assert_eq!(nc.data["spec"]["amiSelectorTerms"][0]["alias"], "al2023@latest");
        assert_eq!(nc.data["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"], "100Gi");
        assert_eq!(nc.data["spec"]["role"], "KarpenterNodeRole");
    }

    #[test]
    fn amazon_linux_1_has_no_karpenter_ami() {
        assert!(ami_alias("AmazonLinux1").expect_err("AL1").contains("no Karpenter AMI alias"));
    }
}
