//! `kube-ecs import` round trips on real-shaped ECS JSON: the manifests it prints apply to the real
//! API server (strict field validation), keep every field of the input's definitions, and what was
//! not imported is listed on stderr.

mod support;

use kube::api::Api;
use kube_ecs::api::{Service, TaskDefinition};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/ecs/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `kube-ecs import <what> <path>`: (success, stdout, stderr).
fn try_import(what: &str, path: &str) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kube-ecs"))
        .args(["import", what, path])
        .output()
        .expect("running kube-ecs import");
    let (out, err) =
        (String::from_utf8_lossy(&output.stdout).to_string(), String::from_utf8_lossy(&output.stderr).to_string());
    (output.status.success(), out, err)
}

/// Runs `kube-ecs import <what> <fixture>`: (stdout, stderr).
fn import(what: &str, file: &str) -> (String, String) {
    let (ok, out, err) = try_import(what, &fixture(file));
    assert!(ok, "kube-ecs import {what} {file} failed:\n{err}");
    (out, err)
}

fn apply(ns: &str, yaml: &str) {
    let (ok, out, err) =
        support::kubectl(&["apply", "--server-side", "--field-manager=import-test", "-n", ns, "-f", "-"], Some(yaml));
    assert!(ok, "applying the imported manifests failed:\n{out}\n{err}\n---\n{yaml}");
}

/// Every non-empty value of `input` is in `kept` (objects compared key by key, arrays item by item).
fn assert_kept(path: &str, input: &serde_json::Value, kept: &serde_json::Value) {
    use serde_json::Value;
    match (input, kept) {
        (Value::Object(i), Value::Object(k)) => {
            for (key, value) in i {
                let empty = matches!(value, Value::Array(a) if a.is_empty()) || value.is_null();
                if !empty {
                    assert_kept(&format!("{path}.{key}"), value, k.get(key).unwrap_or(&Value::Null));
                }
            }
        }
        (Value::Array(i), Value::Array(k)) => {
            assert_eq!(i.len(), k.len(), "{path}: length");
            for (n, (a, b)) in i.iter().zip(k).enumerate() {
                assert_kept(&format!("{path}[{n}]"), a, b);
            }
        }
        _ => assert_eq!(input, kept, "{path}"),
    }
}

#[tokio::test]
async fn describe_task_definition_output_round_trips() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "import-td").await;
    let (yaml, warnings) = import("task-definition", "describe-task-definition-wordpress.json");
    for field in ["taskDefinitionArn", "revision", "status", "compatibilities", "registeredAt", "registeredBy"] {
        assert!(warnings.contains(&format!("{field} is set by AWS (read-only); not imported")), "{warnings}");
    }
    apply(&ns, &yaml);
    let name = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("name: hello-world"))
        .map(|rest| format!("hello-world{rest}"))
        .expect("name");
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let td =
        support::wait_for(&api, &name, "revision 1", |td| td.status.as_ref().and_then(|s| s.revision) == Some(1)).await;
    assert_eq!(td.status.and_then(|s| s.task_definition).as_deref(), Some("hello_world:1"));
    let input: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("describe-task-definition-wordpress.json")).expect("fixture"),
    )
    .expect("json");
    let kept = serde_json::to_value(&td.spec).expect("spec");
    assert_kept(
        "containerDefinitions",
        &input["taskDefinition"]["containerDefinitions"],
        &kept["containerDefinitions"],
    );
}

#[tokio::test]
async fn register_task_definition_input_round_trips_without_warnings() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "import-fargate").await;
    let (yaml, warnings) = import("task-definition", "register-task-definition-fargate.json");
    assert_eq!(warnings.trim(), "", "nothing to report for a complete register-task-definition input");
    apply(&ns, &yaml);
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let td =
        support::wait_for(&api, "webapp", "revision 1", |td| td.status.as_ref().and_then(|s| s.revision) == Some(1))
            .await;
    let input: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("register-task-definition-fargate.json")).expect("fixture"),
    )
    .expect("json");
    assert_kept("spec", &input, &serde_json::to_value(&td.spec).expect("spec"));
}

#[tokio::test]
async fn describe_services_and_create_service_inputs_import() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "import-svc").await;
    let (yaml, warnings) = import("service", "describe-services-web.json");
    assert!(warnings.contains("deployments is set by AWS (read-only)"), "{warnings}");
    assert!(warnings.contains("imported as \"webapp:7\""), "{warnings}");
    apply(&ns, &yaml);
    let (yaml, warnings) = import("service", "create-service-worker.json");
    assert_eq!(warnings.trim(), "", "clientToken is a CLI option, not a field");
    apply(&ns, &yaml);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let web = services.get("web").await.expect("web");
    assert_eq!(web.spec.task_definition, "webapp:7");
    assert_eq!(web.spec.cluster.as_deref(), Some("prod"));
    assert_eq!(web.spec.enable_ecs_managed_tags, Some(true));
    let worker = services.get("worker").await.expect("worker");
    assert_eq!(worker.spec.capacity_provider_strategy.len(), 2);
}

/// Every task definition of the public corpus beside the repository (shared/ecs-corpus) imports and
/// applies, the console's export full of nulls too (a null is an absent member, reported); the one
/// ECS refuses for numbers given as strings is refused naming the member.
#[tokio::test]
async fn the_corpus_imports_and_applies() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "import-corpus").await;
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ecs-corpus/task-definitions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the ECS corpus must be beside the repository at {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{} corpus files", files.len());
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let (ok, yaml, err) = try_import("task-definition", &path.display().to_string());
        if name.starts_with("35-") {
            assert!(!ok && err.contains("containerDefinitions[0].cpu") && err.contains("expected"), "{name}: {err}");
            continue;
        }
        assert!(ok, "{name}: {err}");
        if name.starts_with("24-") {
            assert!(err.contains("null members dropped"), "{name} reports its nulls: {err}");
        }
        apply(&ns, &yaml);
    }
}
