//! The ECS API as ECS clients expect it (issue 33), with the AWS CLI: any name ECS accepts, a new
//! revision per registration, and task definitions that read back member for member as registered.

mod support;

use std::path::PathBuf;

use kube::api::Api;
use kube_ecs::api::ecs_names::cluster_object_name;
use kube_ecs::api::{EcsCluster, Service};
use support::ecs_api::{self, aws, aws_ok};

/// The cluster `name` (an ECS name) made through the API, with `nodes` simulated container
/// instances labelled for its object; returns the object's name.
async fn api_cluster(
    client: &kube::Client,
    api: &ecs_api::EcsApi,
    key: &ecs_api::Key,
    name: &str,
    nodes: usize,
) -> String {
    let created = aws_ok(api, key, &["create-cluster", "--cluster-name", name]);
    assert_eq!(created["cluster"]["clusterName"], name, "{created}");
    let object = cluster_object_name(name);
    ecs_api::instances_for(client, &object, nodes).await;
    object
}

#[tokio::test]
async fn any_name_ecs_accepts_works_and_answers_with_that_name() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = ecs_api::team(&client, api, "ecs-names", true).await;
    let arn = |kind: &str, rest: &str| format!("arn:aws:ecs:us-east-1:000000000000:{kind}/{rest}");

    // A cluster name with capitals and underscores, as moto's and many real pipelines' are.
    let cluster = format!("Test_ECS_{}", ns.replace('-', "_"));
    let object = api_cluster(&client, api, &key, &cluster, 1).await;
    assert_ne!(object, cluster, "the object is named by the mapping");
    let clusters: Api<EcsCluster> = Api::all(client.clone());
    let held = clusters.get(&object).await.expect("kubectl sees the EcsCluster");
    assert_eq!(held.spec.cluster_name.as_deref(), Some(cluster.as_str()));
    let described = aws_ok(api, &key, &["describe-clusters", "--clusters", &cluster, &arn("cluster", &cluster)]);
    assert_eq!(described["clusters"][0]["clusterName"], cluster.as_str(), "{described}");
    assert_eq!(described["clusters"][0]["clusterArn"], arn("cluster", &cluster));
    assert_eq!(described["clusters"][1]["clusterName"], cluster.as_str(), "by ARN too: {described}");
    let listed = aws_ok(api, &key, &["list-clusters"]);
    assert!(listed["clusterArns"].as_array().expect("arns").iter().any(|a| *a == arn("cluster", &cluster)), "{listed}");
    // Again: ECS returns the existing cluster.
    let again = aws_ok(api, &key, &["create-cluster", "--cluster-name", &cluster]);
    assert_eq!(again["cluster"]["clusterArn"], arn("cluster", &cluster), "{again}");
    let (ok, _, stderr) = aws(api, &key, &["create-cluster", "--cluster-name", "no.dots"]);
    assert!(
        !ok && stderr.contains("InvalidParameterException") && stderr.contains("hyphens and underscores"),
        "{stderr}"
    );

    // A family and a service with ECS names; the task's and service's ARNs carry the cluster's name.
    let family = "test_ecs_Task";
    let definition = serde_json::json!({"family": family,
        "containerDefinitions": [{"name": "sleep_1", "image": "busybox", "memory": 16, "command": ["sleep", "3600"]}]});
    let file = support::scratch("files").join(format!("{ns}-td.json"));
    std::fs::write(&file, definition.to_string()).expect("definition file");
    let input = format!("file://{}", file.display());
    let registered = aws_ok(api, &key, &["register-task-definition", "--cli-input-json", &input]);
    assert_eq!(registered["taskDefinition"]["taskDefinitionArn"], arn("task-definition", &format!("{family}:1")));
    let run = aws_ok(api, &key, &["run-task", "--cluster", &cluster, "--task-definition", family]);
    let task_arn = run["tasks"][0]["taskArn"].as_str().expect("task ARN").to_string();
    assert!(task_arn.starts_with(&arn("task", &format!("{cluster}/"))), "{run}");
    assert_eq!(run["tasks"][0]["clusterArn"], arn("cluster", &cluster));
    let tasks = aws_ok(api, &key, &["list-tasks", "--cluster", &cluster]);
    assert_eq!(tasks["taskArns"], serde_json::json!([task_arn]), "{tasks}");
    let described =
        aws_ok(api, &key, &["describe-tasks", "--cluster", &arn("cluster", &cluster), "--tasks", &task_arn]);
    assert_eq!(described["tasks"][0]["taskArn"], task_arn.as_str(), "{described}");

    let service = "test_ecs_Service";
    let created = aws_ok(
        api,
        &key,
        &[
            "create-service",
            "--cluster",
            &cluster,
            "--service-name",
            service,
            "--task-definition",
            family,
            "--desired-count",
            "1",
        ],
    );
    assert_eq!(created["service"]["serviceArn"], arn("service", &format!("{cluster}/{service}")), "{created}");
    aws_ok(api, &key, &["wait", "services-stable", "--cluster", &cluster, "--services", service]);

    // The same service name in another cluster is another service, as in ECS.
    let other = format!("{cluster}_2");
    api_cluster(&client, api, &key, &other, 1).await;
    let second = aws_ok(
        api,
        &key,
        &[
            "create-service",
            "--cluster",
            &other,
            "--service-name",
            service,
            "--task-definition",
            family,
            "--desired-count",
            "0",
        ],
    );
    assert_eq!(second["service"]["serviceArn"], arn("service", &format!("{other}/{service}")), "{second}");
    let (ok, _, stderr) = aws(
        api,
        &key,
        &["create-service", "--cluster", &other, "--service-name", service, "--task-definition", family],
    );
    assert!(!ok && stderr.contains("Creation of service was not idempotent"), "{stderr}");
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    assert_eq!(services.list(&Default::default()).await.expect("services").items.len(), 2);
    for (c, desired) in [(&cluster, 1), (&other, 0)] {
        let d = aws_ok(api, &key, &["describe-services", "--cluster", c, "--services", service]);
        assert_eq!(d["services"][0]["desiredCount"], desired, "{d}");
        assert_eq!(d["services"][0]["clusterArn"], arn("cluster", c), "{d}");
        let listed = aws_ok(api, &key, &["list-services", "--cluster", c]);
        assert_eq!(listed["serviceArns"], serde_json::json!([arn("service", &format!("{c}/{service}"))]), "{listed}");
    }
    let tagged = arn("service", &format!("{other}/{service}"));
    aws_ok(api, &key, &["tag-resource", "--resource-arn", &tagged, "--tags", "key=team,value=a"]);
    let tags = aws_ok(api, &key, &["list-tags-for-resource", "--resource-arn", &tagged]);
    assert_eq!(tags["tags"], serde_json::json!([{"key": "team", "value": "a"}]), "{tags}");
    let first = aws_ok(
        api,
        &key,
        &["list-tags-for-resource", "--resource-arn", &arn("service", &format!("{cluster}/{service}"))],
    );
    assert_eq!(first["tags"], serde_json::json!([]), "the other cluster's service is untouched: {first}");
}

#[tokio::test]
async fn every_registration_makes_the_next_revision() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = ecs_api::team(&client, api, "ecs-revisions", false).await;
    let definition = serde_json::json!({"family": "test_ecs_task",
        "containerDefinitions": [{"name": "c", "image": "busybox", "memory": 16}]});
    let file = support::scratch("files").join(format!("{ns}-td.json"));
    std::fs::write(&file, definition.to_string()).expect("definition file");
    let input = format!("file://{}", file.display());
    let register = || aws_ok(api, &key, &["register-task-definition", "--cli-input-json", &input]);
    // The same definition twice: two revisions, as a pipeline that registers on every deploy gets.
    assert_eq!(register()["taskDefinition"]["revision"], 1);
    assert_eq!(register()["taskDefinition"]["revision"], 2);
    // Deregister the latest, register the same again: the next number, never a reused one.
    let gone = aws_ok(api, &key, &["deregister-task-definition", "--task-definition", "test_ecs_task:2"]);
    assert_eq!(gone["taskDefinition"]["status"], "INACTIVE", "{gone}");
    let third = register();
    assert_eq!(third["taskDefinition"]["revision"], 3, "{third}");
    assert_eq!(third["taskDefinition"]["status"], "ACTIVE");
    let inactive =
        aws_ok(api, &key, &["list-task-definitions", "--family-prefix", "test_ecs_task", "--status", "INACTIVE"]);
    assert_eq!(inactive["taskDefinitionArns"].as_array().map(Vec::len), Some(1), "{inactive}");
    let active = aws_ok(api, &key, &["list-task-definitions", "--family-prefix", "test_ecs_task"]);
    assert_eq!(active["taskDefinitionArns"].as_array().map(Vec::len), Some(2), "{active}");
    // kubectl's model is unchanged: a revision per distinct spec (re-applying the same spec is not one).
    let (_, out, _) =
        support::kubectl(&["get", "taskdefinitions", "-n", &ns, "-o", "jsonpath={.items[0].status.revision}"], None);
    assert_eq!(out.trim(), "3");
}

/// The corpus of real task definitions beside the repository (shared/ecs-corpus).
fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ecs-corpus/task-definitions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!("the ECS corpus must be beside the repository at {} to run this test: {e}", dir.display())
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus at {} has {} files", dir.display(), files.len());
    files
}

/// Files ECS itself refuses: 35 gives numbers as strings (the corpus README); 07, a documentation
/// fragment, sizes neither the task nor its containers' memory, which ECS requires of a definition
/// valid for EC2 ("At least one of 'memory' or 'memoryReservation' must be specified"). 12, listed
/// in the README as invalid for a boolean log option, has only string options as found: ECS takes it.
const ECS_REFUSES: &[&str] = &["07-", "35-"];

/// Members ECS adds to every description (read-only), and what it answers for members not sent.
const ECS_ADDS: &[&str] =
    &["taskDefinitionArn", "revision", "status", "registeredAt", "registeredBy", "compatibilities"];

/// A corpus file as register-task-definition input: the describe wrapper's body, without the
/// members ECS sets, without nulls (a null is an absent member).
fn registration_input(document: &serde_json::Value) -> serde_json::Value {
    let mut body = document.get("taskDefinition").cloned().unwrap_or_else(|| document.clone());
    let object = body.as_object_mut().expect("a task definition is an object");
    for member in ECS_ADDS.iter().chain(&["requiresAttributes", "deregisteredAt"]) {
        object.remove(*member);
    }
    if let Some(tags) = document.get("tags").filter(|t| t.as_array().is_some_and(|a| !a.is_empty())) {
        object.insert("tags".into(), tags.clone());
    }
    drop_nulls(&mut body);
    body
}

fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Differences between what was sent and what was described, member by member: a member sent must
/// come back equal; a member not sent may only be one ECS adds, or one of ECS's documented defaults.
fn differences(path: &str, sent: &serde_json::Value, described: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (sent, described) {
        (Value::Object(s), Value::Object(d)) => {
            for (key, value) in s {
                let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match d.get(key) {
                    Some(back) => differences(&here, value, back, out),
                    None if value.as_array().is_some_and(Vec::is_empty) => {}
                    None => out.push(format!("{here}: sent {value}, not described")),
                }
            }
            for (key, value) in d {
                let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                let ecs_default = path.is_empty() && ECS_ADDS.contains(&key.as_str())
                    || (key == "rootDirectory" && path.ends_with("efsVolumeConfiguration") && value == "/")
                    || value.as_array().is_some_and(Vec::is_empty);
                if !s.contains_key(key) && !ecs_default {
                    out.push(format!("{here}: described as {value}, never sent"));
                }
            }
        }
        (Value::Array(s), Value::Array(d)) if s.len() == d.len() => {
            for (i, (a, b)) in s.iter().zip(d).enumerate() {
                differences(&format!("{path}[{i}]"), a, b, out);
            }
        }
        // Task-level cpu/memory may be sent as numbers; ECS describes them as strings.
        (Value::Number(n), Value::String(t)) if (path == "cpu" || path == "memory") && n.to_string() == *t => {}
        _ if sent == described => {}
        _ => out.push(format!("{path}: sent {sent}, described as {described}")),
    }
}

/// botocore's documented RegisterTaskDefinition example: its input, registered, describes as its
/// documented output does (what ECS adds, such as empty lists, may be left out; nothing may be added).
#[tokio::test]
async fn botocore_s_documented_example_describes_as_documented() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = ecs_api::team(&client, api, "ecs-example", false).await;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/ecs-wire/model/ecs-2014-11-13.examples.json");
    let examples: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("botocore's examples")).expect("examples JSON");
    let example = &examples["examples"]["RegisterTaskDefinition"][0];
    let file = support::scratch("files").join(format!("{ns}-example.json"));
    std::fs::write(&file, example["input"].to_string()).expect("input file");
    let registered =
        aws_ok(api, &key, &["register-task-definition", "--cli-input-json", &format!("file://{}", file.display())]);
    let mut documented = example["output"]["taskDefinition"].clone();
    let mut ours = registered["taskDefinition"].clone();
    for member in ["taskDefinitionArn", "revision", "registeredAt", "registeredBy"] {
        documented.as_object_mut().expect("object").remove(member);
        ours.as_object_mut().expect("object").remove(member);
    }
    let mut found = Vec::new();
    differences("", &documented, &ours, &mut found);
    assert!(found.is_empty(), "as documented:\n{documented:#}\nours:\n{ours:#}\n{}", found.join("\n"));
}

#[tokio::test]
async fn the_corpus_round_trips_member_for_member() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = ecs_api::team(&client, api, "ecs-corpus", false).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in corpus() {
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let document: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("corpus file")).expect("corpus JSON");
        let input = registration_input(&document);
        let file = support::scratch("files").join(format!("{ns}-{file_name}"));
        std::fs::write(&file, input.to_string()).expect("input file");
        let (ok, registered, stderr) =
            aws(api, &key, &["register-task-definition", "--cli-input-json", &format!("file://{}", file.display())]);
        if ECS_REFUSES.iter().any(|p| file_name.starts_with(p)) {
            // ECS refuses these; so does kube-ecs, naming the member (before anything is written).
            if ok {
                failures.push(format!("{file_name}: registered, but ECS refuses it"));
            }
            continue;
        }
        if !ok {
            failures.push(format!("{file_name}: refused: {}", stderr.trim()));
            continue;
        }
        let arn = registered["taskDefinition"]["taskDefinitionArn"].as_str().unwrap_or_default().to_string();
        let described =
            aws_ok(api, &key, &["describe-task-definition", "--task-definition", &arn, "--include", "TAGS"]);
        let mut found = Vec::new();
        let mut sent = input.clone();
        let tags = sent.as_object_mut().and_then(|o| o.remove("tags"));
        differences("", &sent, &described["taskDefinition"], &mut found);
        if let Some(tags) = tags {
            differences("tags", &tags, &described["tags"], &mut found);
        }
        if !found.is_empty() {
            failures.push(format!("{file_name}:\n  {}", found.join("\n  ")));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{checked} round-tripped; these did not:\n{}", failures.join("\n"));
}

/// `aws ecs <args>` that must fail with ECS's error type and a message containing `message`.
fn refused(api: &ecs_api::EcsApi, key: &ecs_api::Key, args: &[&str], error_type: &str, message: &str) {
    let (ok, out, stderr) = aws(api, key, args);
    assert!(!ok, "{args:?} succeeded: {out}");
    assert!(stderr.contains(&format!("({error_type})")), "{args:?}: wanted {error_type}: {stderr}");
    assert!(stderr.contains(message), "{args:?}: wanted {message:?}: {stderr}");
}

#[tokio::test]
async fn refusals_are_ecs_s_and_retries_with_a_client_token_make_nothing_twice() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = ecs_api::team(&client, api, "ecs-refusals", true).await;
    let cluster = format!("{ns}_C");
    api_cluster(&client, api, &key, &cluster, 1).await;
    let write = |name: &str, value: serde_json::Value| {
        let file = support::scratch("files").join(format!("{ns}-{name}.json"));
        std::fs::write(&file, value.to_string()).expect("input file");
        format!("file://{}", file.display())
    };
    let register = |input: &str| ["register-task-definition".to_string(), "--cli-input-json".into(), input.to_string()];

    // RegisterTaskDefinition: ECS's checks and words.
    let cases = [
        (
            serde_json::json!({"family": "nomem", "containerDefinitions": [{"name": "app", "image": "busybox"}]}),
            "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
        ),
        (
            serde_json::json!({"family": "noname", "containerDefinitions": [{"name": "", "image": "busybox", "memory": 8}]}),
            "Container.name should not be null or empty.",
        ),
        (
            serde_json::json!({"family": "noimage", "containerDefinitions": [{"name": "a", "image": "", "memory": 8}]}),
            "Container.image should not be null or empty.",
        ),
        (
            serde_json::json!({"family": "nonamemember", "containerDefinitions": [{"image": "busybox", "memory": 8}]}),
            "Container.name should not be null or empty.",
        ),
        (
            serde_json::json!({"family": "pidhost", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
                "cpu": "256", "memory": "512", "pidMode": "host",
                "containerDefinitions": [{"name": "a", "image": "busybox"}]}),
            "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
        ),
    ];
    for (i, (definition, message)) in cases.into_iter().enumerate() {
        let input = write(&format!("bad-{i}"), definition);
        let args = register(&input);
        refused(api, &key, &args.iter().map(String::as_str).collect::<Vec<_>>(), "ClientException", message);
    }
    let (_, out, _) = support::kubectl(&["get", "taskdefinitions", "-n", &ns, "-o", "name"], None);
    assert!(out.trim().is_empty(), "nothing was written: {out}");

    let good = write(
        "good",
        serde_json::json!({"family": "good",
        "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 8, "command": ["sleep", "3600"]}]}),
    );
    aws_ok(api, &key, &register(&good).iter().map(String::as_str).collect::<Vec<_>>());
    refused(
        api,
        &key,
        &[
            "run-task",
            "--cluster",
            &cluster,
            "--task-definition",
            "good",
            "--placement-constraints",
            "type=memberOf,expression=attribute:ecs.instance-type or attribute:ecs.os-type == linux",
        ],
        "InvalidParameterException",
        "placementConstraints[0]",
    );
    refused(
        api,
        &key,
        &["describe-tasks", "--cluster", &cluster, "--tasks"],
        "InvalidParameterException",
        "Tasks cannot be empty.",
    );
    refused(
        api,
        &key,
        &["describe-container-instances", "--cluster", "no_such_cluster", "--container-instances", "x"],
        "ClusterNotFoundException",
        "Cluster not found.",
    );
    refused(
        api,
        &key,
        &["update-cluster", "--cluster", &cluster, "--settings", "name=containerInsights,value=X"],
        "InvalidParameterException",
        "Invalid value 'X' for the cluster setting containerInsights",
    );

    // clientToken: a retried RunTask or CreateService answers with what the first call made.
    let run = |token: &str| {
        aws_ok(
            api,
            &key,
            &["run-task", "--cluster", &cluster, "--task-definition", "good", "--count", "2", "--client-token", token],
        )
    };
    let arns = |v: &serde_json::Value| {
        let mut a: Vec<String> =
            v["tasks"].as_array().expect("tasks").iter().map(|t| t["taskArn"].to_string()).collect();
        a.sort();
        a
    };
    let first = arns(&run("retry-1"));
    assert_eq!(first.len(), 2);
    assert_eq!(arns(&run("retry-1")), first, "the same token: the same tasks");
    assert_ne!(arns(&run("retry-2")), first, "another token: new tasks");
    let listed = aws_ok(api, &key, &["list-tasks", "--cluster", &cluster]);
    assert_eq!(listed["taskArns"].as_array().map(Vec::len), Some(4), "{listed}");
    let create = |token: &str| {
        aws(
            api,
            &key,
            &[
                "create-service",
                "--cluster",
                &cluster,
                "--service-name",
                "svc",
                "--task-definition",
                "good",
                "--desired-count",
                "0",
                "--client-token",
                token,
            ],
        )
    };
    let (ok, made, stderr) = create("svc-1");
    assert!(ok, "{stderr}");
    let (ok, again, stderr) = create("svc-1");
    assert!(ok, "a retry with the same token is answered: {stderr}");
    assert_eq!(again["service"]["serviceArn"], made["service"]["serviceArn"]);
    let (ok, _, stderr) = create("svc-2");
    assert!(!ok && stderr.contains("Creation of service was not idempotent"), "{stderr}");
}

#[tokio::test]
async fn deleted_clusters_and_services_stay_inactive_for_a_while() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = ecs_api::team(&client, api, "ecs-inactive", true).await;
    ecs_api::grant_config_maps(&client, &key.user, &ns).await;
    let cluster = format!("{ns}_Gone");
    aws_ok(api, &key, &["create-cluster", "--cluster-name", &cluster]);
    let file = support::scratch("files").join(format!("{ns}-td.json"));
    std::fs::write(
        &file,
        r#"{"family": "idle", "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 8}]}"#,
    )
    .expect("definition file");
    aws_ok(api, &key, &["register-task-definition", "--cli-input-json", &format!("file://{}", file.display())]);
    let create = || {
        aws_ok(
            api,
            &key,
            &[
                "create-service",
                "--cluster",
                &cluster,
                "--service-name",
                "web_1",
                "--task-definition",
                "idle",
                "--desired-count",
                "0",
            ],
        )
    };
    create();
    let deleted = aws_ok(api, &key, &["delete-service", "--cluster", &cluster, "--service", "web_1"]);
    assert_eq!(deleted["service"]["status"], "DRAINING", "{deleted}");
    // The AWS CLI's waiter fails on MISSING: it needs INACTIVE.
    aws_ok(api, &key, &["wait", "services-inactive", "--cluster", &cluster, "--services", "web_1"]);
    let described = aws_ok(api, &key, &["describe-services", "--cluster", &cluster, "--services", "web_1"]);
    assert_eq!(described["services"][0]["status"], "INACTIVE", "{described}");
    assert_eq!(described["failures"], serde_json::json!([]));
    refused(
        api,
        &key,
        &["update-service", "--cluster", &cluster, "--service", "web_1", "--desired-count", "1"],
        "ServiceNotActiveException",
        "Service was not ACTIVE.",
    );
    let listed = aws_ok(api, &key, &["list-services", "--cluster", &cluster]);
    assert_eq!(listed["serviceArns"], serde_json::json!([]), "INACTIVE services are not listed: {listed}");
    // The name can be used again at once.
    assert_eq!(create()["service"]["status"], "ACTIVE");
    let again = aws_ok(api, &key, &["describe-services", "--cluster", &cluster, "--services", "web_1"]);
    assert_eq!(again["services"][0]["status"], "ACTIVE", "{again}");
    aws_ok(api, &key, &["delete-service", "--cluster", &cluster, "--service", "web_1"]);

    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&services, "the services gone", |all| all.is_empty()).await;
    let clusters: Api<EcsCluster> = Api::all(client.clone());
    let object = cluster_object_name(&cluster);
    // DeleteCluster goes by the cluster's counts, which follow the services' deletion.
    support::wait_for(&clusters, &object, "no active services", |c| {
        c.status.as_ref().is_some_and(|s| s.active_services_count.unwrap_or(0) == 0)
    })
    .await;
    let gone = aws_ok(api, &key, &["delete-cluster", "--cluster", &cluster]);
    assert_eq!(gone["cluster"]["status"], "INACTIVE", "{gone}");
    support::wait_for_list(&clusters, "the EcsCluster gone", |all| {
        all.iter().all(|c| c.metadata.name.as_deref() != Some(object.as_str()))
    })
    .await;
    let described = aws_ok(api, &key, &["describe-clusters", "--clusters", &cluster]);
    assert_eq!(described["clusters"][0]["status"], "INACTIVE", "{described}");
    assert_eq!(described["clusters"][0]["clusterName"], cluster.as_str());
}
