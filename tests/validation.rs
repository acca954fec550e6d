//! Apply-time validation on the real control plane: a corpus of invalid ECS manifests, each rejected by
//! the API server with a message naming the rule; the examples apply; the CRDs install with client-side
//! and server-side apply, match the Rust types, and document their fields for `kubectl explain`.

mod support;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;
use kube_ecs::api::{EcsCluster, Service, Task, TaskDefinition};

fn containers(extra: serde_json::Value) -> serde_json::Value {
    let mut app = serde_json::json!({"name": "app", "image": "nginx:1.27", "memory": 128});
    if let (Some(app), Some(extra)) = (app.as_object_mut(), extra.as_object()) {
        app.extend(extra.clone());
    }
    serde_json::json!([app])
}

fn td(spec: serde_json::Value) -> (&'static str, serde_json::Value) {
    ("TaskDefinition", spec)
}

/// (kind, spec, text the rejection must contain).
fn corpus() -> Vec<((&'static str, serde_json::Value), &'static str)> {
    let eleven: Vec<serde_json::Value> =
        (0..11).map(|i| serde_json::json!({"name": format!("c{i}"), "image": "busybox", "memory": 16})).collect();
    let two = |a: serde_json::Value, b: serde_json::Value| serde_json::json!({"containerDefinitions": [a, b]});
    let app = |extra: serde_json::Value| serde_json::json!({"containerDefinitions": containers(extra)});
    let health = |h: serde_json::Value| app(serde_json::json!({"healthCheck": h}));
    let fargate = |cpu: &str, memory: &str| {
        serde_json::json!({"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": cpu, "memory": memory,
            "containerDefinitions": containers(serde_json::json!({}))})
    };
    let task = |spec: serde_json::Value| ("Task", spec);
    let service = |spec: serde_json::Value| ("Service", spec);
    let cluster = |spec: serde_json::Value| ("EcsCluster", spec);
    let cpu = |name: &str| serde_json::json!({"policyName": name, "predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 50});
    let scaled =
        |scaling: serde_json::Value| service(serde_json::json!({"taskDefinition": "web", "autoScaling": scaling}));
    let policy = |extra: serde_json::Value| {
        let mut p = cpu("cpu50");
        if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(extra.clone());
        }
        serde_json::json!({"minCapacity": 1, "maxCapacity": 3, "policies": [p]})
    };
    let policies = |n: usize| serde_json::json!({"minCapacity": 1, "maxCapacity": 3, "policies": (0..n).map(|i| cpu(&format!("p{i}"))).collect::<Vec<_>>()});
    vec![
        (td(serde_json::json!({"containerDefinitions": eleven})), "must have at most 10 items"),
        (td(serde_json::json!({"containerDefinitions": []})), "should have at least 1 items"),
        (td(app(serde_json::json!({"essential": false}))), "at least one container must be essential"),
        (
            td(two(serde_json::json!({"name": "a", "image": "i"}), serde_json::json!({"name": "a", "image": "j"}))),
            "container names must be unique",
        ),
        (td(app(serde_json::json!({"name": "bad name!"}))), "should match '^[a-zA-Z0-9_-]{1,255}$'"),
        (
            td(app(serde_json::json!({"dependsOn": [{"containerName": "app", "condition": "START"}]}))),
            "cannot depend on itself",
        ),
        (
            td(app(serde_json::json!({"dependsOn": [{"containerName": "ghost", "condition": "START"}]}))),
            "must name a container of this task definition",
        ),
        (
            td(app(serde_json::json!({"dependsOn": [{"containerName": "x", "condition": "READY"}]}))),
            "supported values: \"START\", \"COMPLETE\", \"SUCCESS\", \"HEALTHY\"",
        ),
        (
            td(two(
                serde_json::json!({"name": "a", "image": "i", "dependsOn": [{"containerName": "b", "condition": "SUCCESS"}]}),
                serde_json::json!({"name": "b", "image": "i"}),
            )),
            "must target a non-essential container",
        ),
        (
            td(two(
                serde_json::json!({"name": "a", "image": "i", "dependsOn": [{"containerName": "b", "condition": "HEALTHY"}]}),
                serde_json::json!({"name": "b", "image": "i", "essential": false}),
            )),
            "must target a container with a healthCheck",
        ),
        (td(app(serde_json::json!({"memory": 4}))), "memory: a container needs at least 6 MiB"),
        (td(app(serde_json::json!({"memoryReservation": 2}))), "memoryReservation: a container needs at least 6 MiB"),
        (
            td(app(serde_json::json!({"memory": 128, "memoryReservation": 256}))),
            "memory must be greater than memoryReservation",
        ),
        (td(app(serde_json::json!({"cpu": -1}))), "container CPU units must be between 0 and 196608"),
        (td(app(serde_json::json!({"stopTimeout": 300}))), "stopTimeout must be between 0 and 120 seconds"),
        (
            td(app(serde_json::json!({"portMappings": [{"containerPort": 70000}]}))),
            "containerPort must be between 0 and 65535",
        ),
        (
            td(app(
                serde_json::json!({"portMappings": [{"containerPort": 80}, {"containerPort": 80, "protocol": "tcp"}]}),
            )),
            "a containerPort may appear once per protocol",
        ),
        (
            td(app(serde_json::json!({"portMappings": [{"containerPort": 80, "protocol": "sctp"}]}))),
            "supported values: \"tcp\", \"udp\"",
        ),
        (
            td(health(serde_json::json!({"command": ["curl", "-f", "localhost"]}))),
            "healthCheck.command must start with CMD or CMD-SHELL",
        ),
        (td(health(serde_json::json!({"command": ["CMD-SHELL"]}))), "needs the command after CMD or CMD-SHELL"),
        (
            td(health(serde_json::json!({"command": ["CMD", "true"], "interval": 1}))),
            "healthCheck.interval must be between 5 and 300 seconds",
        ),
        (
            td(health(serde_json::json!({"command": ["CMD", "true"], "timeout": 90}))),
            "healthCheck.timeout must be between 2 and 60 seconds",
        ),
        (
            td(health(serde_json::json!({"command": ["CMD", "true"], "retries": 11}))),
            "healthCheck.retries must be between 1 and 10",
        ),
        (
            td(health(serde_json::json!({"command": ["CMD", "true"], "startPeriod": 301}))),
            "healthCheck.startPeriod must be between 0 and 300 seconds",
        ),
        (
            td(app(serde_json::json!({"ulimits": [{"name": "nofile", "softLimit": 2048, "hardLimit": 1024}]}))),
            "softLimit must not exceed hardLimit",
        ),
        (td(fargate("256", "4096")), "No Fargate configuration exists for the given cpu and memory"),
        (
            td(
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "containerDefinitions": containers(serde_json::json!({}))}),
            ),
            "task-level cpu and memory are required",
        ),
        (
            td(
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "networkMode": "bridge", "cpu": "256", "memory": "512",
            "containerDefinitions": containers(serde_json::json!({}))}),
            ),
            "networkMode must be awsvpc",
        ),
        (
            td(
                serde_json::json!({"networkMode": "overlay", "containerDefinitions": containers(serde_json::json!({}))}),
            ),
            "supported values: \"bridge\"",
        ),
        (
            td(
                serde_json::json!({"requiresCompatibilities": ["LAMBDA"], "containerDefinitions": containers(serde_json::json!({}))}),
            ),
            "supported values: \"EC2\", \"FARGATE\"",
        ),
        (
            td(
                serde_json::json!({"placementConstraints": [{"type": "memberOf"}], "containerDefinitions": containers(serde_json::json!({}))}),
            ),
            "memberOf needs an expression",
        ),
        (td(app(serde_json::json!({"notAnEcsField": true}))), "notAnEcsField"),
        (
            task(serde_json::json!({"taskDefinition": "web:latest"})),
            "taskDefinition must be `family` or `family:revision`",
        ),
        (
            task(serde_json::json!({"taskDefinition": "web", "desiredStatus": "PAUSED"})),
            "supported values: \"RUNNING\", \"STOPPED\"",
        ),
        (
            task(serde_json::json!({"taskDefinition": "web", "capacityProviderStrategy": [
            {"capacityProvider": "a", "base": 1}, {"capacityProvider": "b", "base": 2}]})),
            "only one capacity provider can have a base defined",
        ),
        (
            task(
                serde_json::json!({"taskDefinition": "web", "capacityProviderStrategy": [{"capacityProvider": "a", "weight": 1001}]}),
            ),
            "weight must be between 0 and 1000",
        ),
        (
            task(serde_json::json!({"taskDefinition": "web", "placementConstraints": [{"type": "sameZone"}]})),
            "supported values: \"memberOf\", \"distinctInstance\"",
        ),
        (
            service(serde_json::json!({"taskDefinition": "web", "desiredCount": -1})),
            "desiredCount must not be negative",
        ),
        (
            service(
                serde_json::json!({"taskDefinition": "web", "schedulingStrategy": "DAEMON", "placementStrategy": [{"type": "spread", "field": "instanceId"}]}),
            ),
            "placementStrategy is not supported with the DAEMON scheduling strategy",
        ),
        (
            service(
                serde_json::json!({"taskDefinition": "web", "deploymentConfiguration": {"minimumHealthyPercent": 150}}),
            ),
            "minimumHealthyPercent must be between 0 and 100",
        ),
        (
            service(serde_json::json!({"taskDefinition": "web", "deploymentConfiguration": {"maximumPercent": 50}})),
            "maximumPercent must be at least 100",
        ),
        (
            service(
                serde_json::json!({"taskDefinition": "web", "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:x"}]}),
            ),
            "containerName and containerPort are required",
        ),
        (
            service(serde_json::json!({"taskDefinition": "web", "schedulingStrategy": "BATCH"})),
            "supported values: \"REPLICA\", \"DAEMON\"",
        ),
        // Auto scaling (issue 37): a scalable target and its target-tracking policies.
        (
            scaled(serde_json::json!({"minCapacity": 3, "maxCapacity": 2})),
            "minCapacity must not be greater than maxCapacity",
        ),
        (scaled(serde_json::json!({"minCapacity": 0, "maxCapacity": 2})), "autoScaling.minCapacity must be at least 1"),
        (scaled(policy(serde_json::json!({"targetValue": 0}))), "targetValue must be greater than 0 and at most 100"),
        (
            scaled(policy(serde_json::json!({"targetValue": 150.5}))),
            "targetValue must be greater than 0 and at most 100",
        ),
        (
            scaled(policy(serde_json::json!({"predefinedMetricType": "ALBRequestCountPerTarget"}))),
            "supported values: \"ECSServiceAverageCPUUtilization\", \"ECSServiceAverageMemoryUtilization\"",
        ),
        (
            scaled(policy(serde_json::json!({"scaleInCooldown": 7200}))),
            "scaleInCooldown must be between 0 and 3600 seconds",
        ),
        (
            scaled(policy(serde_json::json!({"scaleOutCooldown": -1}))),
            "scaleOutCooldown must be between 0 and 3600 seconds",
        ),
        (scaled(policy(serde_json::json!({"policyName": "a/b"}))), "should match '^[^:/]+$'"),
        (scaled(policies(11)), "spec.autoScaling.policies: Too many: 11: must have at most 10 items"),
        (
            scaled(serde_json::json!({"minCapacity": 1, "maxCapacity": 2, "policies": [cpu("a"), cpu("a")]})),
            "policyName must be unique",
        ),
        (
            service(serde_json::json!({"taskDefinition": "web", "schedulingStrategy": "DAEMON",
                "autoScaling": {"minCapacity": 1, "maxCapacity": 2}})),
            "a DAEMON service runs one task per container instance and cannot scale",
        ),
        (
            cluster(serde_json::json!({"nodePools": [{"name": "a", "provider": "simulated"}]})),
            "instanceType is required for simulated and karpenter pools",
        ),
        (
            cluster(serde_json::json!({"nodePools": [{"name": "a", "capacityType": "RESERVED"}]})),
            "supported values: \"ON_DEMAND\", \"SPOT\"",
        ),
        (cluster(serde_json::json!({"nodePools": [{"name": "a"}, {"name": "a"}]})), "pool names must be unique"),
        (cluster(serde_json::json!({"containerInsights": "maybe"})), "supported values: \"enabled\", \"disabled\""),
        // Security: what Fargate never runs, and a cluster policy that cannot mean anything.
        (
            td(
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                "containerDefinitions": containers(serde_json::json!({"privileged": true}))}),
            ),
            "privileged containers are not supported on Fargate",
        ),
        (
            td(
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                "pidMode": "host", "containerDefinitions": containers(serde_json::json!({}))}),
            ),
            "pidMode must be task or omitted",
        ),
        (
            td(
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                "volumes": [{"name": "root", "host": {"sourcePath": "/"}}],
                "containerDefinitions": containers(serde_json::json!({}))}),
            ),
            "host volumes with a sourcePath are not supported on Fargate",
        ),
        (td(fargate("1 vCPU", "1 GB")), "No Fargate configuration exists for the given cpu and memory"),
        (td(fargate("3 vCPU", "8 GB")), "No Fargate configuration exists for the given cpu and memory"),
        (
            cluster(serde_json::json!({"taskSecurity": {"allowedHostPaths": ["var/log"]}})),
            "allowedHostPaths: each entry must be an absolute path",
        ),
        (
            cluster(serde_json::json!({"taskSecurity": {"level": "open"}})),
            "supported values: \"privileged\", \"baseline\", \"restricted\"",
        ),
        (
            cluster(serde_json::json!({"taskSecurity": {"allowedCapabilities": ["sys_admin"]}})),
            "should match '^(CAP_)?[A-Z_]+$'",
        ),
    ]
}

fn resource(kind: &str) -> ApiResource {
    match kind {
        "TaskDefinition" => ApiResource::erase::<TaskDefinition>(&()),
        "Task" => ApiResource::erase::<Task>(&()),
        "Service" => ApiResource::erase::<Service>(&()),
        _ => ApiResource::erase::<EcsCluster>(&()),
    }
}

#[tokio::test]
async fn every_invalid_manifest_is_rejected_naming_the_rule() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "invalid").await;
    let cases = corpus();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for (i, ((kind, spec), expected)) in cases.into_iter().enumerate() {
        let resource = resource(kind);
        let api: Api<DynamicObject> = if kind == "EcsCluster" {
            Api::all_with(client.clone(), &resource)
        } else {
            Api::namespaced_with(client.clone(), &ns, &resource)
        };
        let name = format!("case-{i}");
        let manifest = serde_json::json!({"apiVersion": resource.api_version, "kind": kind, "metadata": {"name": name}, "spec": spec});
        match api.patch(&name, &PatchParams::apply("test-user").force(), &Patch::Apply(&manifest)).await {
            Ok(_) => failures.push(format!("case {i} ({kind}) was accepted; expected: {expected}")),
            Err(kube::Error::Api(e)) if e.message.contains(expected) => {}
            Err(e) => failures.push(format!("case {i} ({kind}): expected {expected:?} in: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_task_is_immutable_except_for_stopping_it() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "immutable").await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let manifest = |spec: serde_json::Value| serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "t"}, "spec": spec});
    let apply = |m: serde_json::Value| {
        let tasks = tasks.clone();
        async move { tasks.patch("t", &PatchParams::apply("test-user").force(), &Patch::Apply(&m)).await }
    };
    apply(manifest(serde_json::json!({"taskDefinition": "web", "cluster": "nowhere"}))).await.expect("create");
    let err = apply(manifest(serde_json::json!({"taskDefinition": "web:2", "cluster": "nowhere"})))
        .await
        .expect_err("immutable");
    assert!(err.to_string().contains("spec.taskDefinition is immutable"), "{err}");
    apply(manifest(serde_json::json!({"taskDefinition": "web", "cluster": "nowhere", "desiredStatus": "STOPPED"})))
        .await
        .expect("stop");
    let err =
        apply(manifest(serde_json::json!({"taskDefinition": "web", "cluster": "nowhere", "desiredStatus": "RUNNING"})))
            .await
            .expect_err("no restart");
    assert!(err.to_string().contains("a stopped task cannot be started again"), "{err}");
}

#[tokio::test]
async fn every_example_applies() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "examples").await;
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    for args in [
        vec!["apply", "-n", &ns, "-f", examples],
        vec!["apply", "--server-side", "--field-manager=examples", "-n", &ns, "-f", examples],
    ] {
        let (ok, out, err) = support::kubectl(&args, None);
        assert!(ok, "kubectl {args:?} failed:\n{out}\n{err}");
    }
    let (ok, out, _) = support::kubectl(&["get", "ecs", "-n", &ns, "-o", "name"], None);
    assert!(ok);
    for expected in
        ["taskdefinition.ecs.kube-ecs.dev/web", "service.ecs.kube-ecs.dev/web", "task.ecs.kube-ecs.dev/nightly-report"]
    {
        assert!(out.contains(expected), "`kubectl get ecs` lists {expected}:\n{out}");
    }
}

#[tokio::test]
async fn crds_install_with_client_and_server_side_apply_and_explain_their_fields() {
    support::operator::start();
    let crds = concat!(env!("CARGO_MANIFEST_DIR"), "/crds");
    for args in [vec!["apply", "-f", crds], vec!["apply", "--server-side", "--force-conflicts", "-f", crds]] {
        let (ok, out, err) = support::kubectl(&args, None);
        assert!(ok, "kubectl {args:?}:\n{out}\n{err}");
    }
    // The API server republishes its OpenAPI document after a CRD update: retry until it serves it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let (out, err) = loop {
        let (ok, out, err) = support::kubectl(&["explain", "taskdefinition.spec.containerDefinitions.essential"], None);
        if ok || std::time::Instant::now() > deadline {
            break (out, err);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert!(out.contains("essential") && out.contains("boolean"), "{out}{err}");
    // The field's doc comment in crates/api/src/task_definition.rs.
    assert!(out.contains("the task stops when this container stops"), "explain shows the doc comment:\n{out}");
}

#[test]
fn committed_crds_match_the_rust_types() {
    for dir in ["crds", "charts/kube-ecs/crds"] {
        for (file, crd) in kube_ecs::crdgen::all() {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(file);
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            let generated = kube_ecs::crdgen::render(&crd).expect("render");
            assert!(committed == generated, "{} is out of date: run `make crds`", path.display());
        }
    }
}
