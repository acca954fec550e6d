//! Where a task of an EcsCluster may run (pure): the cluster's pools, narrowed by the capacity
//! provider strategy and `memberOf` constraints, as node affinity and tolerations.
//!
//! ECS spreads a service's tasks over the strategy's providers by base and weight. One Kubernetes
//! workload has one pod template, so kube-ecs restricts pods to the strategy's pools and expresses the
//! weights as preferred node affinity; `base` is accepted and reported as approximate (see docs).

use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorTerm, PodAffinityTerm, PodAntiAffinity, PreferredSchedulingTerm,
    Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::constraints;
use super::pools::{self, keys};
use crate::api::EcsCluster;
use crate::api::cluster::NodePool;
use crate::api::common::{CapacityProviderStrategyItem, PlacementConstraint};
pub use crate::translate::Placement;

#[derive(Debug, thiserror::Error)]
pub enum PlacementError {
    #[error("{0}")]
    Invalid(String),
}

/// Pods of one group (a service's tasks, a task group) that `distinctInstance` keeps apart.
pub type GroupLabel<'a> = Option<(&'a str, &'a str)>;

pub fn placement_for(
    cluster: &EcsCluster,
    _namespace: &str,
    strategy: &[CapacityProviderStrategyItem],
    constraints: &[PlacementConstraint],
    group: GroupLabel<'_>,
) -> Result<Placement, PlacementError> {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let invalid = PlacementError::Invalid;
    let mut placement = Placement::default();
    placement.tolerations.push(toleration(keys::CLUSTER_TAINT, Some(&crate::labels::value(&name)), "NoSchedule"));

    // Which pools, with their strategy weights: the task's strategy, else the cluster's default.
    let strategy =
        if strategy.is_empty() { cluster.spec.default_capacity_provider_strategy.as_slice() } else { strategy };
    let chosen: Vec<(&NodePool, i32)> = if strategy.is_empty() {
        cluster.spec.node_pools.iter().map(|p| (p, 0)).collect()
    } else {
        strategy
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let pool =
                    cluster.spec.node_pools.iter().find(|p| p.is_provider(&item.capacity_provider)).ok_or_else(|| {
                        invalid(format!(
                            "capacityProviderStrategy[{i}].capacityProvider: {:?} is not a node pool of cluster {name:?} (pools: {})",
                            item.capacity_provider,
                            pool_names(cluster)
                        ))
                    })?;
                Ok((pool, item.weight.unwrap_or(0), item.base.unwrap_or(0)))
            })
            .collect::<Result<Vec<_>, PlacementError>>()?
            .into_iter()
            // ECS places nothing beyond `base` on a weight-0 provider (unless every weight is 0).
            .filter(|(_, weight, base)| *weight > 0 || *base > 0 || strategy.iter().all(|s| s.weight.unwrap_or(0) == 0))
            .map(|(pool, weight, _)| (pool, weight))
            .collect()
    };
    if !strategy.is_empty() && chosen.is_empty() {
        return Err(invalid("capacityProviderStrategy: at least one provider needs a weight above 0".into()));
    }

    let known_types: Vec<String> = cluster.spec.node_pools.iter().filter_map(|p| p.instance_type.clone()).collect();
    let mut extra = Vec::new();
    for (i, constraint) in constraints.iter().enumerate() {
        match constraint.type_.as_deref() {
            Some("memberOf") => {
                let expression = constraint.expression.as_deref().unwrap_or_default();
                let requirements = constraints::requirements(expression, &known_types)
                    .map_err(|e| invalid(format!("placementConstraints[{i}]: {e}")))?;
                extra.extend(requirements);
            }
            Some("distinctInstance") => {
                if let Some((key, value)) = group {
                    placement.affinity.get_or_insert_with(Default::default).pod_anti_affinity = Some(PodAntiAffinity {
                        required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                            label_selector: Some(LabelSelector {
                                match_labels: Some([(key.to_string(), value.to_string())].into()),
                                ..Default::default()
                            }),
                            topology_key: keys::HOSTNAME.into(),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    });
                }
            }
            other => {
                return Err(invalid(format!(
                    "placementConstraints[{i}].type: {other:?} is not one of memberOf, distinctInstance"
                )));
            }
        }
    }

    let terms: Vec<NodeSelectorTerm> = if cluster.spec.node_pools.is_empty() {
        // A cluster without pools runs on the nodes labelled with its name (bring your own nodes).
        vec![NodeSelectorTerm {
            match_expressions: Some(vec![k8s_openapi::api::core::v1::NodeSelectorRequirement {
                key: keys::CLUSTER.into(),
                operator: "In".into(),
                values: Some(vec![crate::labels::value(&name)]),
            }]),
            match_fields: None,
        }]
    } else {
        chosen.iter().flat_map(|(pool, _)| pools::node_selector_terms(&name, pool)).collect()
    };
    let terms: Vec<NodeSelectorTerm> = terms
        .into_iter()
        .map(|mut t| {
            t.match_expressions.get_or_insert_with(Vec::new).extend(extra.iter().cloned());
            t
        })
        .collect();

    let total_weight: i32 = chosen.iter().map(|(_, w)| *w).sum();
    let preferred: Vec<PreferredSchedulingTerm> = if chosen.len() > 1 && total_weight > 0 {
        chosen
            .iter()
            .filter(|(_, w)| *w > 0)
            .flat_map(|(pool, w)| {
                let weight = ((*w * 100) / total_weight).clamp(1, 100);
                pools::node_selector_terms(&name, pool)
                    .into_iter()
                    .map(move |preference| PreferredSchedulingTerm { preference, weight })
            })
            .collect()
    } else {
        Vec::new()
    };
    for (pool, _) in &chosen {
        for taint in &pool.taints {
            placement.tolerations.push(toleration(&taint.key, taint.value.as_deref(), &taint.effect));
        }
    }
    let affinity = placement.affinity.get_or_insert_with(Affinity::default);
    affinity.node_affinity = Some(NodeAffinity {
        required_during_scheduling_ignored_during_execution: Some(NodeSelector { node_selector_terms: terms }),
        preferred_during_scheduling_ignored_during_execution: (!preferred.is_empty()).then_some(preferred),
    });
    Ok(placement)
}

fn toleration(key: &str, value: Option<&str>, effect: &str) -> Toleration {
    Toleration {
        key: Some(key.into()),
        operator: Some(if value.is_some() { "Equal" } else { "Exists" }.into()),
        value: value.map(Into::into),
        effect: Some(effect.into()),
        ..Default::default()
    }
}

fn pool_names(cluster: &EcsCluster) -> String {
    let names: Vec<&str> = cluster.spec.node_pools.iter().map(|p| p.name.as_str()).collect();
    if names.is_empty() { "none".into() } else { names.join(", ") }
}

pub fn namespace_allowed(cluster: &EcsCluster, namespace: &str) -> bool {
    cluster.spec.allowed_namespaces.is_empty() || cluster.spec.allowed_namespaces.iter().any(|n| n == namespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> EcsCluster {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": "prod"},
            "spec": {"nodePools": [
                {"name": "od", "provider": "simulated", "instanceType": "t3.medium"},
                {"name": "spot", "provider": "simulated", "instanceType": "t3.small", "capacityType": "SPOT",
                 "taints": [{"key": "spot", "effect": "NoSchedule"}]}
            ]}
        }))
        .expect("cluster")
    }

    fn strategy(items: serde_json::Value) -> Vec<CapacityProviderStrategyItem> {
        serde_json::from_value(items).expect("strategy")
    }

    fn pools_required(p: &Placement) -> Vec<String> {
        p.affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref())
            .map(|s| {
                s.node_selector_terms
                    .iter()
                    .flat_map(|t| t.match_expressions.iter().flatten())
                    .filter(|r| r.key == keys::POOL)
                    .flat_map(|r| r.values.clone().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn every_pool_without_a_strategy() {
        let p = placement_for(&cluster(), "ns", &[], &[], None).expect("placement");
        assert_eq!(pools_required(&p), vec!["od", "spot"]);
        assert_eq!(p.tolerations.len(), 2, "cluster taint and the spot pool's taint");
    }

    #[test]
    fn strategy_restricts_pools_and_weights_prefer() {
        let p = placement_for(
            &cluster(),
            "ns",
            &strategy(serde_json::json!([{"capacityProvider": "spot", "weight": 3}, {"capacityProvider": "od", "weight": 1, "base": 1}])),
            &[],
            None,
        )
        .expect("placement");
        assert_eq!(pools_required(&p), vec!["spot", "od"]);
        let preferred = p
            .affinity
            .and_then(|a| a.node_affinity)
            .and_then(|n| n.preferred_during_scheduling_ignored_during_execution);
        assert_eq!(preferred.expect("preferred").iter().map(|t| t.weight).collect::<Vec<_>>(), vec![75, 25]);

        let only_spot =
            placement_for(&cluster(), "ns", &strategy(serde_json::json!([{"capacityProvider": "spot"}])), &[], None)
                .expect("placement");
        assert_eq!(pools_required(&only_spot), vec!["spot"]);
    }

    #[test]
    fn unknown_provider_and_bad_constraints_name_the_field() {
        let err =
            placement_for(&cluster(), "ns", &strategy(serde_json::json!([{"capacityProvider": "FARGATE"}])), &[], None)
                .expect_err("unknown provider");
        assert_eq!(
            err.to_string(),
            "capacityProviderStrategy[0].capacityProvider: \"FARGATE\" is not a node pool of cluster \"prod\" (pools: od, spot)"
        );
        let constraint: Vec<PlacementConstraint> =
            serde_json::from_value(serde_json::json!([{"type": "memberOf", "expression": "task:group == x"}]))
                .expect("c");
        let err = placement_for(&cluster(), "ns", &[], &constraint, None).expect_err("bad expression");
        assert!(err.to_string().starts_with("placementConstraints[0]: memberOf"), "{err}");
    }

    #[test]
    fn member_of_and_distinct_instance() {
        let constraints: Vec<PlacementConstraint> = serde_json::from_value(serde_json::json!([
            {"type": "memberOf", "expression": "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"},
            {"type": "distinctInstance"}
        ]))
        .expect("constraints");
        let p = placement_for(&cluster(), "ns", &[], &constraints, Some(("ecs.kube-ecs.dev/service", "web")))
            .expect("placement");
        let affinity = p.affinity.expect("affinity");
        let terms = affinity
            .node_affinity
            .and_then(|n| n.required_during_scheduling_ignored_during_execution)
            .expect("required");
        assert!(
            terms.node_selector_terms.iter().all(|t| t.match_expressions.iter().flatten().any(|r| r.key == keys::ZONE))
        );
        let anti = affinity
            .pod_anti_affinity
            .and_then(|a| a.required_during_scheduling_ignored_during_execution)
            .expect("anti");
        assert_eq!(anti[0].topology_key, keys::HOSTNAME);
    }

    #[test]
    fn a_cluster_without_pools_uses_its_labelled_nodes() {
        let c: EcsCluster = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": "byo"}, "spec": {}
        }))
        .expect("cluster");
        let p = placement_for(&c, "ns", &[], &[], None).expect("placement");
        let terms = p
            .affinity
            .and_then(|a| a.node_affinity)
            .and_then(|n| n.required_during_scheduling_ignored_during_execution)
            .expect("required");
        let r = &terms.node_selector_terms[0].match_expressions.as_ref().expect("expressions")[0];
        assert_eq!((r.key.as_str(), r.values.clone()), (keys::CLUSTER, Some(vec!["byo".to_string()])));
    }
}
