//! `kube-ecs import`: ECS JSON (as the AWS CLI prints or takes it) to kube-ecs manifests.
//!
//! Accepted shapes: `describe-task-definition` output (the `taskDefinition` wrapper with read-only
//! fields), `register-task-definition --cli-input-json` input, `describe-services` output (every
//! service in `services`) and `create-service --cli-input-json` input. Nothing is dropped silently:
//! read-only fields, fields without meaning here and fields kube-ecs does not know are warnings.
//! A `null` member (the ECS console's exports are full of them) is an absent member, as ECS reads it;
//! the members dropped so are reported too.

use serde_json::{Map, Value};

use crate::api::ecs_names::{family_object_name, service_object_name};
use crate::api::{ServiceSpec, TaskDefinitionSpec};

/// Manifests and what was left out.
#[derive(Debug, Default, PartialEq)]
pub struct Imported {
    pub manifests: Vec<Value>,
    pub warnings: Vec<String>,
}

/// Fields AWS fills in on registration: reported, not imported.
const TASK_DEFINITION_READ_ONLY: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

const SERVICE_READ_ONLY: &[&str] = &[
    "serviceArn",
    "clusterArn",
    "status",
    "runningCount",
    "pendingCount",
    "deployments",
    "events",
    "createdAt",
    "createdBy",
    "taskSets",
    "roleArn",
    "platformFamily",
    "currentServiceDeployment",
    "currentServiceRevisions",
    "resourceManagementType",
];

/// Options of a CLI call that are not part of the resource.
const CLI_ONLY: &[&str] = &["clientToken", "cli-input-json", "generateCliSkeleton"];

/// `value` without its null members (recursively), each dropped member's path added to `dropped`.
fn drop_nulls(value: &mut Value, path: &str, dropped: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let nulls: Vec<String> = map.iter().filter(|(_, v)| v.is_null()).map(|(k, _)| k.clone()).collect();
            for key in nulls {
                map.remove(&key);
                dropped.push(join(path, &key));
            }
            for (key, member) in map.iter_mut() {
                drop_nulls(member, &join(path, key), dropped);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                drop_nulls(item, &format!("{path}[{i}]"), dropped);
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// The input without null members, and a warning naming them.
fn without_nulls(input: &Value, what: &str, warnings: &mut Vec<String>) -> Value {
    let mut input = input.clone();
    let mut dropped = Vec::new();
    drop_nulls(&mut input, "", &mut dropped);
    if !dropped.is_empty() {
        warnings.push(format!("{what}: null members dropped (a null is an absent member): {}", dropped.join(", ")));
    }
    input
}

/// `body` read as `T`; a member of the wrong type is named with its path (ECS refuses the same
/// document: `"memory": "256"` is not a number).
fn parse<T: serde::de::DeserializeOwned>(body: Map<String, Value>, what: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(body))
        .map_err(|e| format!("{what}: member {}: {}", e.path(), e.inner()))
}

pub fn task_definition(input: &Value) -> Result<Imported, String> {
    let mut out = Imported::default();
    let input = &without_nulls(input, "task definition", &mut out.warnings);
    let (body, tags) = match input.get("taskDefinition") {
        Some(Value::Object(inner)) => (inner.clone(), input.get("tags").cloned()),
        _ => (input.as_object().cloned().ok_or("expected a JSON object")?, None),
    };
    let mut body = body;
    take_read_only(&mut body, TASK_DEFINITION_READ_ONLY, "task definition", &mut out.warnings);
    if let Some(tags) = tags.filter(|t| t.as_array().is_some_and(|a| !a.is_empty())) {
        body.entry("tags").or_insert(tags);
    }
    let family = body.get("family").and_then(Value::as_str).ok_or("the task definition has no family")?.to_string();
    let spec: TaskDefinitionSpec = parse(body.clone(), &format!("task definition {family}"))?;
    let kept = serde_json::to_value(&spec).map_err(|e| e.to_string())?;
    unknown_fields("", &Value::Object(body), &kept, &mut out.warnings);
    out.manifests.push(serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1",
        "kind": "TaskDefinition",
        "metadata": {"name": family_object_name(&family)},
        "spec": kept,
    }));
    Ok(out)
}

pub fn service(input: &Value) -> Result<Imported, String> {
    let mut out = Imported::default();
    let input = &without_nulls(input, "service", &mut out.warnings);
    let services: Vec<Map<String, Value>> = match input.get("services") {
        Some(Value::Array(list)) => list.iter().filter_map(|s| s.as_object().cloned()).collect(),
        _ => vec![input.as_object().cloned().ok_or("expected a JSON object")?],
    };
    for mut body in services {
        let cluster_arn = body.get("clusterArn").and_then(Value::as_str).map(str::to_string);
        take_read_only(&mut body, SERVICE_READ_ONLY, "service", &mut out.warnings);
        for key in CLI_ONLY {
            body.remove(*key);
        }
        let name = body.get("serviceName").and_then(Value::as_str).ok_or("the service has no serviceName")?.to_string();
        // ARNs become names: task-definition/web:3 -> web:3, cluster/prod -> prod.
        for (key, resource) in [("taskDefinition", "task-definition/"), ("cluster", "cluster/")] {
            if let Some(Value::String(v)) = body.get(key) {
                let short = arn_resource(v, resource).to_string();
                if short != *v {
                    out.warnings.push(format!("service {name}: {key} {v:?} imported as {short:?}"));
                    body.insert(key.into(), Value::String(short));
                }
            }
        }
        if let Some(cluster) = cluster_arn {
            body.entry("cluster").or_insert(Value::String(arn_resource(&cluster, "cluster/").into()));
        }
        let spec: ServiceSpec = parse(body.clone(), &format!("service {name}"))?;
        let kept = serde_json::to_value(&spec).map_err(|e| e.to_string())?;
        unknown_fields("", &Value::Object(body), &kept, &mut out.warnings);
        out.manifests.push(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1",
            "kind": "Service",
            "metadata": {"name": service_object_name(&name)},
            "spec": kept,
        }));
    }
    Ok(out)
}

/// `arn:aws:ecs:region:account:task-definition/web:3` -> `web:3`; anything else unchanged.
fn arn_resource<'a>(value: &'a str, resource: &str) -> &'a str {
    match value.strip_prefix("arn:") {
        Some(_) => value.split_once(resource).map_or(value, |(_, rest)| rest),
        None => value,
    }
}

fn take_read_only(body: &mut Map<String, Value>, fields: &[&str], what: &str, warnings: &mut Vec<String>) {
    for field in fields {
        if body.remove(*field).is_some() {
            warnings.push(format!("{what}: {field} is set by AWS (read-only); not imported"));
        }
    }
}

/// Warns about every field of `input` that did not survive into `kept` (unknown to kube-ecs).
fn unknown_fields(path: &str, input: &Value, kept: &Value, warnings: &mut Vec<String>) {
    match (input, kept) {
        (Value::Object(i), Value::Object(k)) => {
            for (key, value) in i {
                let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match k.get(key) {
                    Some(kept_value) => unknown_fields(&here, value, kept_value, warnings),
                    // Empty values are omitted on output; nothing is lost.
                    None if is_empty(value) => {}
                    None => warnings.push(format!("{here}: not a field kube-ecs knows; not imported")),
                }
            }
        }
        (Value::Array(i), Value::Array(k)) => {
            for (n, (a, b)) in i.iter().zip(k.iter()).enumerate() {
                unknown_fields(&format!("{path}[{n}]"), a, b, warnings);
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Multi-document YAML of the manifests, read the same by YAML 1.1 readers such as kubectl.
pub fn to_yaml(manifests: &[Value]) -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&crate::yaml11::quote_yaml11_booleans(&serde_yaml::to_string(m)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_task_definition_output_loses_only_read_only_and_unknown_fields() {
        let input = serde_json::json!({
            "taskDefinition": {
                "taskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/hello_world:8",
                "family": "hello_world", "revision": 8, "status": "ACTIVE",
                "containerDefinitions": [{"name": "wordpress", "image": "wordpress", "cpu": 10, "memory": 500,
                    "essential": true, "links": ["mysql"], "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                    "futureField": {"x": 1}}],
                "volumes": [], "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}],
                "compatibilities": ["EXTERNAL", "EC2"], "registeredAt": "2024-01-01T00:00:00Z"
            },
            "tags": []
        });
        let imported = task_definition(&input).expect("import");
        // `_` is not allowed in Kubernetes names: the mapping keeps distinct families distinct.
        assert!(imported.manifests[0]["metadata"]["name"].as_str().is_some_and(|n| n.starts_with("hello-world-")));
        assert_eq!(imported.manifests[0]["spec"]["family"], "hello_world");
        assert_eq!(imported.manifests[0]["spec"]["containerDefinitions"][0]["links"][0], "mysql");
        assert_eq!(
            imported.warnings,
            vec![
                "task definition: taskDefinitionArn is set by AWS (read-only); not imported",
                "task definition: revision is set by AWS (read-only); not imported",
                "task definition: status is set by AWS (read-only); not imported",
                "task definition: requiresAttributes is set by AWS (read-only); not imported",
                "task definition: compatibilities is set by AWS (read-only); not imported",
                "task definition: registeredAt is set by AWS (read-only); not imported",
                "containerDefinitions[0].futureField: not a field kube-ecs knows; not imported",
            ]
        );
    }

    #[test]
    fn nulls_are_absent_members_and_are_reported() {
        let input = serde_json::json!({
            "family": "agent", "taskRoleArn": null, "memory": "200",
            "containerDefinitions": [{"name": "agent", "image": "quay.io/signalfx/signalfx-agent:5",
                "memory": null, "cpu": null, "logConfiguration": null, "links": null, "essential": true}],
            "volumes": [{"name": "root", "host": {"sourcePath": "/"}, "dockerVolumeConfiguration": null}]
        });
        let imported = task_definition(&input).expect("a console export imports");
        let spec = &imported.manifests[0]["spec"];
        assert_eq!(spec["memory"], "200");
        assert!(spec["containerDefinitions"][0].get("memory").is_none(), "{spec}");
        assert_eq!(
            imported.warnings,
            vec![
                "task definition: null members dropped (a null is an absent member): taskRoleArn, \
                 containerDefinitions[0].cpu, containerDefinitions[0].links, containerDefinitions[0].logConfiguration, \
                 containerDefinitions[0].memory, volumes[0].dockerVolumeConfiguration"
            ]
        );
    }

    #[test]
    fn members_of_the_wrong_type_are_named() {
        let cases = [
            (
                serde_json::json!({"family": "proxy", "containerDefinitions": [{"name": "nginx", "image": "nginx",
                    "memory": "256", "essential": true}]}),
                "containerDefinitions[0].memory",
            ),
            (
                serde_json::json!({"family": "dd", "containerDefinitions": [{"name": "log", "image": "fluent-bit",
                    "logConfiguration": {"logDriver": "awsfirelens", "options": {"TLS": true}}}]}),
                "containerDefinitions[0].logConfiguration.options.TLS",
            ),
        ];
        for (input, member) in cases {
            let error = task_definition(&input).expect_err("ECS refuses it too");
            assert!(error.contains(member), "{error}");
        }
    }

    #[test]
    fn describe_services_output_becomes_one_service_each_with_arns_shortened() {
        let input = serde_json::json!({"services": [{
            "serviceArn": "arn:aws:ecs:us-east-1:111122223333:service/prod/web", "serviceName": "web",
            "clusterArn": "arn:aws:ecs:us-east-1:111122223333:cluster/prod",
            "taskDefinition": "arn:aws:ecs:us-east-1:111122223333:task-definition/web:3",
            "desiredCount": 2, "runningCount": 2, "pendingCount": 0, "status": "ACTIVE", "launchType": "EC2",
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "deployments": [{"id": "ecs-svc/1"}], "events": [], "schedulingStrategy": "REPLICA"
        }], "failures": []});
        let imported = service(&input).expect("import");
        let spec = &imported.manifests[0]["spec"];
        assert_eq!(spec["taskDefinition"], "web:3");
        assert_eq!(spec["cluster"], "prod");
        assert_eq!(spec["desiredCount"], 2);
        assert!(imported.warnings.iter().any(|w| w == "service web: taskDefinition \"arn:aws:ecs:us-east-1:111122223333:task-definition/web:3\" imported as \"web:3\""));
        assert!(imported.warnings.iter().any(|w| w.starts_with("service: deployments is set by AWS")));
    }
}
