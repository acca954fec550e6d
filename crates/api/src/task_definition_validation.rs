//! Task-definition rules the API server's schema and CEL cannot express: dependsOn cycles and
//! container names that collide once mapped to Kubernetes names. The TaskDefinition controller reports
//! them as `Valid=False` (with an Event) and registers no revision, so nothing starts from them.
//!
//! The basic rules CEL enforces at apply time are checked here too: a CRD older than the operator, or
//! an object stored before a rule existed, must not reach translation.

use std::collections::BTreeMap;

use super::task_definition::TaskDefinitionSpec;
use crate::names::kubernetes_container_name;

/// One problem found in a task definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationIssue {
    pub field: String,
    pub message: String,
}

fn issue(field: impl Into<String>, message: impl Into<String>) -> ValidationIssue {
    ValidationIssue { field: field.into(), message: message.into() }
}

/// Every problem, in definition order.
pub fn validate_task_definition(spec: &TaskDefinitionSpec) -> Vec<ValidationIssue> {
    let containers = &spec.container_definitions;
    let mut issues = Vec::new();
    if containers.is_empty() || containers.len() > 10 {
        issues.push(issue(
            "spec.containerDefinitions",
            format!("a task definition has 1 to 10 containers, this one has {}", containers.len()),
        ));
    }
    if !containers.is_empty() && !containers.iter().any(|c| c.essential.unwrap_or(true)) {
        issues.push(issue("spec.containerDefinitions", "at least one container must be essential"));
    }
    let mut by_kubernetes_name: BTreeMap<String, &str> = BTreeMap::new();
    for (i, c) in containers.iter().enumerate() {
        let mapped = kubernetes_container_name(&c.name);
        match by_kubernetes_name.get(&mapped) {
            Some(other) if *other == c.name => {
                issues.push(issue(format!("spec.containerDefinitions[{i}].name"), format!("duplicate container name {:?}", c.name)));
            }
            Some(other) => issues.push(issue(
                format!("spec.containerDefinitions[{i}].name"),
                format!("container names {other:?} and {:?} both map to the Kubernetes container name {mapped:?}; rename one", c.name),
            )),
            None => {
                by_kubernetes_name.insert(mapped, &c.name);
            }
        }
        for (j, d) in c.depends_on.iter().enumerate() {
            if d.container_name == c.name {
                issues.push(issue(
                    format!("spec.containerDefinitions[{i}].dependsOn[{j}]"),
                    "a container cannot depend on itself",
                ));
            } else if !containers.iter().any(|t| t.name == d.container_name) {
                issues.push(issue(
                    format!("spec.containerDefinitions[{i}].dependsOn[{j}].containerName"),
                    format!("{:?} is not a container of this task definition", d.container_name),
                ));
            }
        }
    }
    if let Some(cycle) = dependency_cycle(spec) {
        issues.push(issue(
            "spec.containerDefinitions.dependsOn",
            format!("dependsOn forms a cycle: {}", cycle.join(" -> ")),
        ));
    }
    issues
}

/// A dependsOn cycle, as container names from a container back to itself.
fn dependency_cycle(spec: &TaskDefinitionSpec) -> Option<Vec<String>> {
    let containers = &spec.container_definitions;
    let index: BTreeMap<&str, usize> = containers.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; containers.len()];
    let mut path: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        spec: &TaskDefinitionSpec,
        index: &BTreeMap<&str, usize>,
        state: &mut Vec<u8>,
        path: &mut Vec<usize>,
    ) -> Option<Vec<String>> {
        state[i] = 1;
        path.push(i);
        for d in &spec.container_definitions[i].depends_on {
            let Some(&j) = index.get(d.container_name.as_str()) else { continue };
            if j == i {
                continue; // reported as self-dependency
            }
            if state[j] == 1 {
                let start = path.iter().position(|p| *p == j).unwrap_or(0);
                let mut cycle: Vec<String> =
                    path[start..].iter().map(|p| spec.container_definitions[*p].name.clone()).collect();
                cycle.push(spec.container_definitions[j].name.clone());
                return Some(cycle);
            }
            if state[j] == 0
                && let Some(cycle) = visit(j, spec, index, state, path)
            {
                return Some(cycle);
            }
        }
        path.pop();
        state[i] = 2;
        None
    }
    (0..containers.len()).find_map(|i| if state[i] == 0 { visit(i, spec, &index, &mut state, &mut path) } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(containers: serde_json::Value) -> TaskDefinitionSpec {
        serde_json::from_value(serde_json::json!({"containerDefinitions": containers})).expect("spec")
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
            (
                "valid",
                serde_json::json!([{"name": "app", "image": "a"}, {"name": "db", "image": "b", "essential": false}]),
                vec![],
            ),
            (
                "cycle",
                serde_json::json!([
                    {"name": "a", "image": "i", "dependsOn": [{"containerName": "b", "condition": "START"}]},
                    {"name": "b", "image": "i", "dependsOn": [{"containerName": "c", "condition": "START"}]},
                    {"name": "c", "image": "i", "dependsOn": [{"containerName": "a", "condition": "START"}]}
                ]),
                vec!["spec.containerDefinitions.dependsOn: dependsOn forms a cycle: a -> b -> c -> a"],
            ),
            // The mapping adds a hash when it loses information, so look-alike names stay distinct.
            (
                "look-alikes",
                serde_json::json!([{"name": "log_router", "image": "i"}, {"name": "log-router", "image": "i"}]),
                vec![],
            ),
            (
                "self and missing",
                serde_json::json!([{"name": "a", "image": "i", "dependsOn": [
                    {"containerName": "a", "condition": "START"}, {"containerName": "x", "condition": "START"}]}]),
                vec![
                    "spec.containerDefinitions[0].dependsOn[0]: a container cannot depend on itself",
                    "spec.containerDefinitions[0].dependsOn[1].containerName: \"x\" is not a container of this task definition",
                ],
            ),
            (
                "no essential",
                serde_json::json!([{"name": "a", "image": "i", "essential": false}]),
                vec!["spec.containerDefinitions: at least one container must be essential"],
            ),
        ];
        for (name, containers, expected) in cases {
            let got: Vec<String> = validate_task_definition(&spec(containers))
                .into_iter()
                .map(|i| format!("{}: {}", i.field, i.message))
                .collect();
            assert_eq!(got, expected, "{name}");
        }
    }
}
