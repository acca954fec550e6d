//! PutClusterCapacityProviders as a change of the cluster's node pools (pure).
//!
//! The cluster's capacity providers are its pools, so the request's list becomes the pool list: a
//! pool named in it stays as it is, a pool not named is removed, and a provider that is not a pool
//! yet — FARGATE, FARGATE_SPOT or one CreateCapacityProvider made — becomes a `nodes` pool of the
//! Nodes labelled `ecs.kube-ecs.dev/capacity-provider=<name>`: the instances of an Auto Scaling group
//! (or a Fargate-like node group) join the cluster by carrying that label.

use std::collections::BTreeMap;

use kube_ecs_api::cluster::NodePool;
use kube_ecs_wire as wire;

use crate::arn::short_name;
use crate::error::EcsError;

/// The node label that puts a Node in the pool a capacity provider became.
pub const PROVIDER_LABEL: &str = "ecs.kube-ecs.dev/capacity-provider";

/// The cluster's pools after the request, and the names of the pools it removes.
#[derive(Debug, PartialEq)]
pub struct PoolChange {
    pub pools: Vec<NodePool>,
    pub removed: Vec<String>,
}

/// `requested` (names or ARNs) as the new pool list of a cluster with `current` pools;
/// `is_provider` tells whether a name is a provider that may become a pool.
pub fn pools_for(
    current: &[NodePool],
    requested: &[String],
    is_provider: impl Fn(&str) -> bool,
) -> Result<PoolChange, EcsError> {
    let mut wanted: Vec<&str> = Vec::new();
    for name in requested.iter().map(|r| short_name(r)) {
        if !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    let mut pools: Vec<NodePool> = current.iter().filter(|p| wanted.contains(&p.name.as_str())).cloned().collect();
    for name in wanted {
        if current.iter().any(|p| p.name == name) {
            continue;
        }
        if !is_provider(name) {
            return Err(EcsError::invalid_parameter(format!(
                "The specified capacity provider '{name}' does not exist. Specify a valid capacity provider and try again."
            )));
        }
        if !is_label_value(name) {
            return Err(EcsError::invalid_parameter(format!(
                "The capacity provider '{name}' cannot become a node pool: kube-ecs selects its Nodes by the label \
                 {PROVIDER_LABEL}={name}, and a label value is at most 63 letters, digits, '-', '_' or '.', starting \
                 and ending with a letter or digit."
            )));
        }
        pools.push(NodePool {
            name: name.to_string(),
            provider: Some("nodes".into()),
            labels: BTreeMap::from([(PROVIDER_LABEL.to_string(), name.to_string())]),
            ..Default::default()
        });
    }
    let removed = current.iter().filter(|p| !pools.iter().any(|k| k.name == p.name)).map(|p| p.name.clone()).collect();
    Ok(PoolChange { pools, removed })
}

/// Checks a default strategy against the new provider list as ECS does. kube-ecs's EcsCluster has
/// no default strategy yet (a task or service without one may use any of the cluster's pools), so
/// a non-empty strategy is refused rather than dropped.
pub fn check_strategy(strategy: &[wire::CapacityProviderStrategyItem], pools: &[NodePool]) -> Result<(), EcsError> {
    for item in strategy {
        if !pools.iter().any(|p| p.name == short_name(&item.capacity_provider)) {
            return Err(EcsError::invalid_parameter(
                "The specified capacity provider strategy cannot contain a capacity provider that is not associated \
                 with the cluster. Associate the capacity provider with the cluster or specify a valid capacity \
                 provider and try again.",
            ));
        }
    }
    if strategy.iter().filter(|i| i.base.unwrap_or(0) > 0).count() > 1 {
        return Err(EcsError::invalid_parameter("Only one capacity provider in a strategy can have a base defined."));
    }
    if !strategy.is_empty() {
        return Err(EcsError::invalid_parameter(
            "kube-ecs clusters have no default capacity provider strategy yet: a task or service without a strategy \
             may run on any of the cluster's node pools. Give capacityProviderStrategy on RunTask, CreateService or \
             UpdateService instead, and call PutClusterCapacityProviders with an empty defaultCapacityProviderStrategy.",
        ));
    }
    Ok(())
}

fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    !value.is_empty()
        && value.len() <= 63
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pool(name: &str) -> NodePool {
        NodePool { name: name.into(), provider: Some("simulated".into()), ..Default::default() }
    }

    fn nodes_pool(name: &str) -> NodePool {
        serde_json::from_value(json!({"name": name, "provider": "nodes", "labels": {PROVIDER_LABEL: name}})).unwrap()
    }

    #[test]
    fn requested_lists_become_pools() {
        let current = [pool("od"), pool("spot")];
        let known = |n: &str| ["FARGATE", "FARGATE_SPOT", "asg-cp", "_x"].contains(&n);
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases: &[(&[&str], Result<PoolChange, &str>)] = &[
            (&["od", "spot"], Ok(PoolChange { pools: vec![pool("od"), pool("spot")], removed: vec![] })),
            (&["spot", "spot"], Ok(PoolChange { pools: vec![pool("spot")], removed: vec!["od".into()] })),
            (
                &["od", "FARGATE", "arn:aws:ecs:us-east-1:0:capacity-provider/asg-cp"],
                Ok(PoolChange {
                    pools: vec![pool("od"), nodes_pool("FARGATE"), nodes_pool("asg-cp")],
                    removed: vec!["spot".into()],
                }),
            ),
            (&[], Ok(PoolChange { pools: vec![], removed: vec!["od".into(), "spot".into()] })),
            (
                &["od", "nope"],
                Err(
                    "The specified capacity provider 'nope' does not exist. Specify a valid capacity provider and try again.",
                ),
            ),
        ];
        for (requested, want) in cases {
            let got = pools_for(&current, &names(requested), known).map_err(|e| e.message);
            assert_eq!(
                got,
                want.as_ref()
                    .map(|c| PoolChange { pools: c.pools.clone(), removed: c.removed.clone() })
                    .map_err(|m| m.to_string()),
                "{requested:?}"
            );
        }
        let e = pools_for(&current, &names(&["_x"]), known).unwrap_err();
        assert!(e.message.contains("cannot become a node pool"), "{}", e.message);
    }

    #[test]
    fn strategies_are_checked() {
        let pools = [pool("od"), pool("spot")];
        let item = |p: &str, base: Option<i32>| wire::CapacityProviderStrategyItem {
            capacity_provider: p.into(),
            weight: Some(1),
            base,
        };
        assert_eq!(check_strategy(&[], &pools), Ok(()));
        let cases: &[(&[wire::CapacityProviderStrategyItem], &str)] = &[
            (&[item("fargate", None)], "not associated with the cluster"),
            (&[item("od", Some(1)), item("spot", Some(2))], "Only one capacity provider"),
            (&[item("od", None)], "no default capacity provider strategy yet"),
        ];
        for (strategy, want) in cases {
            let e = check_strategy(strategy, &pools).unwrap_err();
            assert!(e.message.contains(want), "{}", e.message);
            assert_eq!(e.code, crate::ErrorCode::InvalidParameterException);
        }
    }
}
