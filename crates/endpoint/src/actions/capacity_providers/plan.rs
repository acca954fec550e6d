//! PutClusterCapacityProviders as a change of the cluster's node pools (pure).
//!
//! The cluster's capacity providers are its pools, so the request's list becomes the pool list: a
//! pool named in it stays as it is, a pool not named is removed, and a provider that is not a pool
//! yet — FARGATE, FARGATE_SPOT or one CreateCapacityProvider made — becomes a `nodes` pool of the
//! Nodes labelled `ecs.kube-ecs.dev/capacity-provider=<name>`: the instances of an Auto Scaling group
//! (or a Fargate-like node group) join the cluster by carrying that label.
//!
//! Pool names are DNS labels (at most 40 characters) and provider names are ECS's (`FARGATE`,
//! `my_provider`): a pool made for a provider is named after it as a DNS label (hashed when lossy,
//! as object names are), and the provider's own name is its label's value ([`provider_name`]).

use std::collections::BTreeMap;

use kube_ecs_api::cluster::NodePool;
use kube_ecs_api::names::dns_label;
use kube_ecs_wire as wire;

use crate::arn::short_name;
use crate::error::EcsError;

pub use kube_ecs_api::cluster::CAPACITY_PROVIDER_LABEL as PROVIDER_LABEL;

/// Longest pool name (the EcsCluster's schema).
const POOL_NAME_MAX: usize = 40;

/// The capacity provider a pool is: the name its `nodes` selection label gives, else its own name.
pub fn provider_name(pool: &NodePool) -> &str {
    pool.capacity_provider()
}

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
    let mut pools: Vec<NodePool> = current.iter().filter(|p| wanted.contains(&provider_name(p))).cloned().collect();
    for name in wanted {
        if current.iter().any(|p| provider_name(p) == name) {
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
        let pool_name = dns_label(name, POOL_NAME_MAX);
        if current.iter().any(|p| p.name == pool_name) {
            return Err(EcsError::invalid_parameter(format!(
                "The capacity provider '{name}' cannot become a node pool: the cluster has another pool named \
                 {pool_name}. Rename that pool first."
            )));
        }
        pools.push(NodePool {
            name: pool_name,
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
        if !pools.iter().any(|p| provider_name(p) == short_name(&item.capacity_provider)) {
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

    fn nodes_pool(pool: &str, provider: &str) -> NodePool {
        serde_json::from_value(json!({"name": pool, "provider": "nodes", "labels": {PROVIDER_LABEL: provider}}))
            .unwrap()
    }

    #[test]
    fn requested_lists_become_pools() {
        let fargate = nodes_pool(&dns_label("FARGATE", 40), "FARGATE");
        let current = [pool("od"), pool("spot"), fargate.clone()];
        let known = |n: &str| ["FARGATE", "FARGATE_SPOT", "asg-cp", "my_cp", "_x", "spot"].contains(&n);
        let change = |pools: Vec<NodePool>, removed: &[&str]| PoolChange {
            pools,
            removed: removed.iter().map(|r| r.to_string()).collect(),
        };
        let cases: Vec<(&[&str], Result<PoolChange, &str>)> = vec![
            (&["od", "spot", "FARGATE"], Ok(change(current.to_vec(), &[]))),
            (&["spot", "spot"], Ok(change(vec![pool("spot")], &["od", fargate.name.as_str()]))),
            (
                &["od", "FARGATE_SPOT", "arn:aws:ecs:us-east-1:0:capacity-provider/asg-cp", "my_cp"],
                Ok(change(
                    vec![
                        pool("od"),
                        nodes_pool(&dns_label("FARGATE_SPOT", 40), "FARGATE_SPOT"),
                        nodes_pool("asg-cp", "asg-cp"),
                        nodes_pool(&dns_label("my_cp", 40), "my_cp"),
                    ],
                    &["spot", fargate.name.as_str()],
                )),
            ),
            (&[], Ok(change(vec![], &["od", "spot", fargate.name.as_str()]))),
            (
                &["od", "nope"],
                Err(
                    "The specified capacity provider 'nope' does not exist. Specify a valid capacity provider and try again.",
                ),
            ),
        ];
        for (requested, want) in cases {
            let requested: Vec<String> = requested.iter().map(|s| s.to_string()).collect();
            let got = pools_for(&current, &requested, known).map_err(|e| e.message);
            assert_eq!(got, want.map_err(String::from), "{requested:?}");
        }
        assert!(dns_label("FARGATE", 40).starts_with("fargate-"));
        assert_eq!(provider_name(&fargate), "FARGATE");
        assert_eq!(provider_name(&pool("od")), "od");
        let e = pools_for(&current, &["_x".to_string()], known).unwrap_err();
        assert!(e.message.contains("cannot become a node pool"), "{}", e.message);
        // A pool of that name selecting another provider's nodes is in the way.
        let taken = [nodes_pool("spot", "other")];
        let e = pools_for(&taken, &["spot".to_string()], known).unwrap_err();
        assert!(e.message.contains("another pool named spot"), "{}", e.message);
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
        assert_eq!(check_strategy(&[item("od", None)], &pools), Ok(()));
        let cases: &[(&[wire::CapacityProviderStrategyItem], &str)] = &[
            (&[item("fargate", None)], "not associated with the cluster"),
            (&[item("od", Some(1)), item("spot", Some(2))], "Only one capacity provider"),
        ];
        for (strategy, want) in cases {
            let e = check_strategy(strategy, &pools).unwrap_err();
            assert!(e.message.contains(want), "{}", e.message);
            assert_eq!(e.code, crate::ErrorCode::InvalidParameterException);
        }
    }
}
