//! The Create cluster form: the ECS console's nine steps as one form, each field written into the
//! EcsCluster spec (one node pool standing in for the Auto Scaling group of EC2 instances), and
//! what each becomes on Kubernetes ([`STEPS`], shown under each field and in docs/console.md).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use kube_ecs_api::ecs_names::cluster_object_name;

crate::extract::csrf_form!(ClusterForm);

/// The form as posted.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ClusterForm {
    #[serde(rename = "_csrf")]
    pub csrf: String,
    /// `create`, `manifest` or `download`.
    #[serde(rename = "_action")]
    pub action: String,
    pub name: String,
    /// `nodes`, `simulated` or `karpenter`: how the pool's instances come to be.
    pub provider: String,
    /// The pool's (capacity provider's) name.
    pub pool: String,
    /// `ON_DEMAND` or `SPOT`.
    pub capacity_type: String,
    pub instance_type: String,
    pub instances: String,
    pub ebs: String,
    pub ami: String,
    pub iam_role: String,
    /// `enabled`, `enhanced` or `disabled`.
    pub insights: String,
    pub key_name: String,
}

impl Default for ClusterForm {
    /// ECS's console's defaults: on-demand t3.medium, one instance, 30 GiB, Amazon Linux 2023.
    fn default() -> Self {
        Self {
            csrf: String::new(),
            action: String::new(),
            name: String::new(),
            provider: "simulated".into(),
            pool: "ec2".into(),
            capacity_type: "ON_DEMAND".into(),
            instance_type: "t3.medium".into(),
            instances: "1".into(),
            ebs: "30".into(),
            ami: "AmazonLinux2023".into(),
            iam_role: String::new(),
            insights: "disabled".into(),
            key_name: String::new(),
        }
    }
}

/// One step of the form: its input, the ECS console's label, the spec field it writes, and what it
/// becomes on Kubernetes.
pub struct Step {
    pub input: &'static str,
    pub label: &'static str,
    pub spec: &'static str,
    pub kubernetes: &'static str,
}

/// The nine steps, in the ECS console's order, then the pool's two kube-ecs settings.
pub const STEPS: [Step; 11] = [
    Step {
        input: "name",
        label: "Cluster name",
        spec: "metadata.name (spec.clusterName when the ECS name is no DNS name)",
        kubernetes: "The EcsCluster object (cluster-scoped). A name with capitals or underscores keeps its ECS spelling in clusterName; the object gets a DNS name with a short hash.",
    },
    Step {
        input: "capacity_type",
        label: "Provisioning model (On-Demand or Spot)",
        spec: "spec.nodePools[0].capacityType",
        kubernetes: "The nodes' karpenter.sh/capacity-type (on-demand, spot) and eks.amazonaws.com/capacityType labels; Karpenter buys that capacity type. A spot interruption drains the node as ECS drains an instance.",
    },
    Step {
        input: "instance_type",
        label: "EC2 instance type",
        spec: "spec.nodePools[0].instanceType",
        kubernetes: "The node.kubernetes.io/instance-type label; a simulated node gets that type's vCPUs and memory (what ECS would register), Karpenter's NodePool requires it.",
    },
    Step {
        input: "instances",
        label: "Desired capacity (number of instances)",
        spec: "spec.nodePools[0].instances",
        kubernetes: "Simulated: that many KWOK nodes, each registered as a ContainerInstance. Karpenter: the pool's limit. Existing nodes: informational.",
    },
    Step {
        input: "ebs",
        label: "Root EBS volume size (GiB)",
        spec: "spec.nodePools[0].ebsVolumeSizeGiB",
        kubernetes: "The node's ephemeral-storage (simulated), the EC2NodeClass's root volume (Karpenter, gp3, encrypted).",
    },
    Step {
        input: "ami",
        label: "Operating system (Amazon Linux version)",
        spec: "spec.nodePools[0].amiFamily",
        kubernetes: "The ecs.kube-ecs.dev/ami-family label and annotation; Karpenter's EC2NodeClass AMI alias (al2, al2023, bottlerocket).",
    },
    Step {
        input: "iam_role",
        label: "EC2 instance role (IAM role)",
        spec: "spec.nodePools[0].iamRole",
        kubernetes: "The EC2NodeClass's role (Karpenter); an ecs.kube-ecs.dev/iam-role annotation on simulated nodes. Tasks' own rights come from the task role (a ServiceAccount), not the instance's.",
    },
    Step {
        input: "insights",
        label: "CloudWatch Container Insights",
        spec: "spec.containerInsights",
        kubernetes: "Per-cluster figures (CPU, memory, task and service counts) on the operator's /metrics, and the cluster page's Metrics.",
    },
    Step {
        input: "key_name",
        label: "SSH key pair",
        spec: "spec.nodePools[0].keyName",
        kubernetes: "Recorded only (an annotation): a node runs no SSH daemon for it. Reach an instance with kubectl debug node/<name> -it --image=busybox (a shell in the node's namespaces, as you, audited by the apiserver).",
    },
    Step {
        input: "provider",
        label: "Instances from (kube-ecs)",
        spec: "spec.nodePools[0].provider",
        kubernetes: "simulated: the operator creates KWOK nodes (no containers run; demos, tests). karpenter: the operator writes a Karpenter NodePool and EC2NodeClass. nodes: existing Ready nodes with the instance type and capacity type.",
    },
    Step {
        input: "pool",
        label: "Capacity provider name (kube-ecs)",
        spec: "spec.nodePools[0].name",
        kubernetes: "The node pool and capacity provider's name (a DNS label): the ecs.kube-ecs.dev/pool label of its nodes, and what a capacityProviderStrategy names.",
    },
];

impl ClusterForm {
    /// The EcsCluster object's name for the typed cluster name.
    pub fn object_name(&self) -> String {
        cluster_object_name(self.name.trim())
    }

    /// The EcsCluster manifest the form describes (numbers that are none go as typed, for the
    /// apiserver to refuse by field).
    pub fn manifest(&self) -> Value {
        let name = self.name.trim();
        let object = self.object_name();
        let mut pool = Map::new();
        let mut put = |key: &str, value: &str| {
            if !value.trim().is_empty() {
                pool.insert(key.into(), json!(value.trim()));
            }
        };
        put("name", &self.pool);
        put("provider", &self.provider);
        put("instanceType", &self.instance_type);
        put("capacityType", &self.capacity_type);
        put("amiFamily", &self.ami);
        put("iamRole", &self.iam_role);
        put("keyName", &self.key_name);
        for (key, value) in [("instances", &self.instances), ("ebsVolumeSizeGiB", &self.ebs)] {
            let value = value.trim();
            if !value.is_empty() {
                pool.insert(key.into(), value.parse::<i64>().map_or_else(|_| json!(value), |n| json!(n)));
            }
        }
        let mut spec = Map::new();
        if !name.is_empty() && name != object {
            spec.insert("clusterName".into(), json!(name));
        }
        spec.insert("nodePools".into(), json!([Value::Object(pool)]));
        if !self.insights.is_empty() {
            spec.insert("containerInsights".into(), json!(self.insights));
        }
        json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1",
            "kind": "EcsCluster",
            "metadata": {"name": object},
            "spec": Value::Object(spec),
        })
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn the_nine_steps_become_one_pool() {
        let form = ClusterForm {
            name: "prod_cluster".into(),
            capacity_type: "SPOT".into(),
            instance_type: "m5.large".into(),
            instances: "3".into(),
            ebs: "50".into(),
            ami: "AmazonLinux2".into(),
            iam_role: "ecsInstanceRole".into(),
            insights: "enabled".into(),
            key_name: "ops".into(),
            ..Default::default()
        };
        let manifest = form.manifest();
        assert_eq!(manifest["metadata"]["name"], json!(cluster_object_name("prod_cluster")));
        assert_eq!(
            manifest["spec"],
            json!({"clusterName": "prod_cluster", "containerInsights": "enabled", "nodePools": [{
                "name": "ec2", "provider": "simulated", "instanceType": "m5.large", "capacityType": "SPOT",
                "instances": 3, "ebsVolumeSizeGiB": 50, "amiFamily": "AmazonLinux2", "iamRole": "ecsInstanceRole", "keyName": "ops"}]})
        );
        let typed: kube_ecs_api::EcsCluster = serde_json::from_value(manifest).expect("an EcsCluster");
        assert_eq!(typed.spec.node_pools[0].ebs_volume_size_gi_b, Some(50));
    }

    #[test]
    fn a_dns_name_is_the_object_name_alone() {
        let form = ClusterForm { name: "web".into(), instances: "many".into(), ..Default::default() };
        let manifest = form.manifest();
        assert_eq!(manifest["metadata"]["name"], json!("web"));
        assert!(manifest["spec"].get("clusterName").is_none());
        assert_eq!(manifest["spec"]["nodePools"][0]["instances"], json!("many"), "left for the apiserver to refuse");
    }
}
