//! dependsOn as startup order. Kubernetes starts init containers one after another, then the main
//! containers together, so:
//! - a container others wait on with COMPLETE or SUCCESS runs as an init container to completion
//!   (an init container must exit 0, so COMPLETE is enforced as strictly as SUCCESS: documented);
//! - a container others wait on with START or HEALTHY runs as a native sidecar (init container with
//!   restartPolicy Always), gated by a startup probe for HEALTHY, and keeps running;
//! - every other container is a main container.
//!
//! Init and sidecar containers are ordered so each comes after what it depends on.

use crate::api::ecs::DependencyCondition;
use std::collections::BTreeSet;

use super::ContainerKind;
use crate::api::task_definition::ContainerDefinition;

/// Where each container goes and, for sidecars, whether a HEALTHY dependency gates on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub index: usize,
    pub kind: ContainerKind,
    pub healthy_gate: bool,
}

/// Kinds and the order of the init/sidecar containers, or the containers on a dependency cycle.
pub fn plan(containers: &[ContainerDefinition]) -> Result<Vec<Placement>, Vec<String>> {
    let targets = |conditions: &[DependencyCondition], name: &str| {
        containers
            .iter()
            .any(|c| c.depends_on.iter().any(|d| d.container_name == name && conditions.contains(&d.condition)))
    };
    let kinds: Vec<(ContainerKind, bool)> = containers
        .iter()
        .map(|c| {
            if targets(&[DependencyCondition::Complete, DependencyCondition::Success], &c.name) {
                (ContainerKind::InitRunToCompletion, false)
            } else if targets(&[DependencyCondition::Start, DependencyCondition::Healthy], &c.name) {
                (ContainerKind::Sidecar, targets(&[DependencyCondition::Healthy], &c.name))
            } else {
                (ContainerKind::Main, false)
            }
        })
        .collect();

    // Topological order of the init/sidecar containers, stable in definition order.
    let early: Vec<usize> = (0..containers.len()).filter(|i| kinds[*i].0 != ContainerKind::Main).collect();
    let mut placed: BTreeSet<usize> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < early.len() {
        let next = early.iter().copied().find(|i| {
            !placed.contains(i)
                && containers[*i].depends_on.iter().all(|d| {
                    match containers.iter().position(|c| c.name == d.container_name) {
                        Some(j) if kinds[j].0 != ContainerKind::Main => placed.contains(&j),
                        _ => true,
                    }
                })
        });
        match next {
            Some(i) => {
                placed.insert(i);
                order.push(i);
            }
            None => {
                let stuck = early.iter().filter(|i| !placed.contains(i)).map(|i| containers[*i].name.clone()).collect();
                return Err(stuck);
            }
        }
    }
    let mut result: Vec<Placement> =
        order.into_iter().map(|i| Placement { index: i, kind: kinds[i].0, healthy_gate: kinds[i].1 }).collect();
    result.extend((0..containers.len()).filter(|i| kinds[*i].0 == ContainerKind::Main).map(|i| Placement {
        index: i,
        kind: ContainerKind::Main,
        healthy_gate: false,
    }));
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(yaml: &str) -> Vec<ContainerDefinition> {
        serde_yaml::from_str(yaml).expect("containers")
    }

    #[test]
    fn dependencies_become_init_and_sidecar_containers_in_order() {
        let containers = defs(
            "- {name: app, image: a, dependsOn: [{containerName: migrate, condition: SUCCESS}, {containerName: proxy, condition: HEALTHY}]}\n\
             - {name: proxy, image: p, essential: false, healthCheck: {command: [CMD, 'true']}, dependsOn: [{containerName: config, condition: COMPLETE}]}\n\
             - {name: migrate, image: m, essential: false}\n\
             - {name: config, image: c, essential: false}\n\
             - {name: logs, image: l, essential: false}\n",
        );
        let plan = plan(&containers).expect("no cycle");
        let shown: Vec<(&str, ContainerKind, bool)> =
            plan.iter().map(|p| (containers[p.index].name.as_str(), p.kind, p.healthy_gate)).collect();
        // proxy depends on config, so config comes before it; main containers come last.
        assert_eq!(
            shown,
            vec![
                ("migrate", ContainerKind::InitRunToCompletion, false),
                ("config", ContainerKind::InitRunToCompletion, false),
                ("proxy", ContainerKind::Sidecar, true),
                ("app", ContainerKind::Main, false),
                ("logs", ContainerKind::Main, false),
            ]
        );
    }

    #[test]
    fn cycles_are_reported() {
        let containers = defs(
            "- {name: a, image: a, essential: false, dependsOn: [{containerName: b, condition: START}]}\n\
             - {name: b, image: b, essential: false, dependsOn: [{containerName: a, condition: START}]}\n\
             - {name: c, image: c, dependsOn: [{containerName: a, condition: START}]}\n",
        );
        assert_eq!(plan(&containers).expect_err("cycle"), vec!["a".to_string(), "b".to_string()]);
    }
}
