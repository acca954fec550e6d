//! The ECS API with real clients: the AWS CLI (from the project's virtualenv) against the endpoint
//! on the real control plane, every response checked against botocore's model by the endpoint, and
//! kubectl showing what each call did.

mod support;

use kube::api::Api;
use kube_ecs::api::{Service, Task, TaskDefinition};
use support::ecs_api::{self, aws, aws_ok};

fn arn_tail(arn: &serde_json::Value) -> String {
    arn.as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string()
}

fn fixture(name: &str) -> String {
    format!("file://tests/fixtures/ecs-api/{name}")
}

#[tokio::test]
async fn aws_cli_runs_tasks_and_services_that_kubectl_sees() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-cli").await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, true).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let cluster = format!("{ns}-cluster");

    // create-cluster, with two container instances labelled for it.
    let created = aws_ok(api, &key, &["create-cluster", "--cluster-name", &cluster]);
    assert_eq!(created["cluster"]["clusterName"], cluster.as_str(), "{created}");
    assert_eq!(created["cluster"]["status"], "ACTIVE");
    ecs_api::instances_for(&client, &cluster, 2).await;
    let listed = aws_ok(api, &key, &["list-container-instances", "--cluster", &cluster]);
    assert_eq!(listed["containerInstanceArns"].as_array().map(Vec::len), Some(2), "{listed}");
    let (ok, out, _) = support::kubectl(&["get", "ecsclusters", &cluster], None);
    assert!(ok && out.contains(&cluster), "{out}");

    // register-task-definition of the AWS CLI reference's own example.
    let registered = aws_ok(api, &key, &["register-task-definition", "--cli-input-json", &fixture("sleep360.json")]);
    let definition = &registered["taskDefinition"];
    assert_eq!(definition["family"], "sleep360", "{registered}");
    assert_eq!(definition["revision"], 1);
    assert_eq!(definition["status"], "ACTIVE");
    assert_eq!(definition["containerDefinitions"][0]["command"], serde_json::json!(["sleep", "360"]));
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let td = definitions.get("sleep360").await.expect("kubectl sees the TaskDefinition");
    assert_eq!(td.status.and_then(|s| s.revision), Some(1));

    // run-task --count 3, wait tasks-running, describe-tasks.
    let run = aws_ok(
        api,
        &key,
        &["run-task", "--cluster", &cluster, "--task-definition", "sleep360", "--count", "3", "--started-by", "ci"],
    );
    let task_arns: Vec<String> = run["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["taskArn"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(task_arns.len(), 3, "{run}");
    assert_eq!(run["failures"], serde_json::json!([]));
    assert_eq!(run["tasks"][0]["taskDefinitionArn"], "arn:aws:ecs:us-east-1:000000000000:task-definition/sleep360:1");
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    for arn in &task_arns {
        let id = arn.rsplit('/').next().expect("id");
        assert_eq!(id.len(), 32, "ECS task IDs are 32 hex digits: {id}");
        tasks.get(id).await.unwrap_or_else(|e| panic!("kubectl sees task {id}: {e}"));
    }
    let mut wait_running = vec!["wait", "tasks-running", "--cluster", &cluster, "--tasks"];
    wait_running.extend(task_arns.iter().map(String::as_str));
    aws_ok(api, &key, &wait_running);
    let mut describe = vec!["describe-tasks", "--cluster", &cluster, "--tasks"];
    describe.extend(task_arns.iter().map(String::as_str));
    let described = aws_ok(api, &key, &describe);
    for task in described["tasks"].as_array().expect("tasks") {
        assert_eq!(task["lastStatus"], "RUNNING", "{task}");
        assert_eq!(task["containers"][0]["name"], "sleep");
        assert_eq!(task["startedBy"], "ci");
    }
    let listed = aws_ok(api, &key, &["list-tasks", "--cluster", &cluster, "--started-by", "ci"]);
    assert_eq!(listed["taskArns"].as_array().map(Vec::len), Some(3), "{listed}");

    // stop-task, wait tasks-stopped.
    let first = task_arns[0].as_str();
    let stopped = aws_ok(api, &key, &["stop-task", "--cluster", &cluster, "--task", first, "--reason", "done with it"]);
    assert_eq!(stopped["task"]["desiredStatus"], "STOPPED", "{stopped}");
    aws_ok(api, &key, &["wait", "tasks-stopped", "--cluster", &cluster, "--tasks", first]);
    let record = tasks.get(first.rsplit('/').next().expect("id")).await.expect("the stopped Task");
    let status = record.status.expect("status");
    assert_eq!(status.stop_code.map(|c| c.as_str()), Some("UserInitiated"));
    assert_eq!(status.stopped_reason.as_deref(), Some("done with it"));

    // create-service, wait services-stable.
    let service = aws_ok(
        api,
        &key,
        &[
            "create-service",
            "--cluster",
            &cluster,
            "--service-name",
            "sleepers",
            "--task-definition",
            "sleep360",
            "--desired-count",
            "2",
        ],
    );
    assert_eq!(service["service"]["serviceName"], "sleepers", "{service}");
    aws_ok(api, &key, &["wait", "services-stable", "--cluster", &cluster, "--services", "sleepers"]);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let object = services.get("sleepers").await.expect("kubectl sees the Service");
    assert_eq!(object.status.and_then(|s| s.running_count), Some(2));
    let service_tasks = aws_ok(api, &key, &["list-tasks", "--cluster", &cluster, "--service-name", "sleepers"]);
    assert_eq!(service_tasks["taskArns"].as_array().map(Vec::len), Some(2), "{service_tasks}");

    // A new revision; update-service to it; wait services-stable.
    let second = aws_ok(api, &key, &["register-task-definition", "--cli-input-json", &fixture("sleep360-v2.json")]);
    assert_eq!(second["taskDefinition"]["revision"], 2, "{second}");
    let updated = aws_ok(
        api,
        &key,
        &["update-service", "--cluster", &cluster, "--service", "sleepers", "--task-definition", "sleep360:2"],
    );
    assert_eq!(
        updated["service"]["taskDefinition"], "arn:aws:ecs:us-east-1:000000000000:task-definition/sleep360:2",
        "{updated}"
    );
    aws_ok(api, &key, &["wait", "services-stable", "--cluster", &cluster, "--services", "sleepers"]);
    let stable = aws_ok(api, &key, &["describe-services", "--cluster", &cluster, "--services", "sleepers"]);
    let deployments = stable["services"][0]["deployments"].as_array().expect("deployments").clone();
    assert_eq!(deployments.len(), 1, "{stable}");
    assert_eq!(deployments[0]["taskDefinition"], "arn:aws:ecs:us-east-1:000000000000:task-definition/sleep360:2");
    let (_, out, _) = support::kubectl(&["get", "ecs", "-n", &ns], None);
    assert!(
        out.contains("sleep360:2") && out.contains("sleepers"),
        "kubectl get ecs shows the service on revision 2:\n{out}"
    );

    // delete-service (scaled above 0: ECS wants --force), deregister-task-definition.
    let (ok, _, stderr) = aws(api, &key, &["delete-service", "--cluster", &cluster, "--service", "sleepers"]);
    assert!(!ok && stderr.contains("InvalidParameterException") && stderr.contains("scaled above 0"), "{stderr}");
    let deleted = aws_ok(api, &key, &["delete-service", "--cluster", &cluster, "--service", "sleepers", "--force"]);
    assert_eq!(deleted["service"]["status"], "DRAINING", "{deleted}");
    support::wait_for_list(&services, "the Service gone", |all| all.is_empty()).await;
    let deregistered = aws_ok(api, &key, &["deregister-task-definition", "--task-definition", "sleep360:1"]);
    assert_eq!(deregistered["taskDefinition"]["status"], "INACTIVE", "{deregistered}");
    support::wait_for(&definitions, "sleep360", "revision 1 INACTIVE", |td| {
        td.status
            .as_ref()
            .is_some_and(|s| s.revisions.iter().any(|r| r.revision == 1 && r.status.as_str() == "INACTIVE"))
    })
    .await;
    let active = aws_ok(api, &key, &["list-task-definitions", "--family-prefix", "sleep360"]);
    assert_eq!(
        active["taskDefinitionArns"],
        serde_json::json!(["arn:aws:ecs:us-east-1:000000000000:task-definition/sleep360:2"]),
        "{active}"
    );
    let missing = aws_ok(api, &key, &["describe-clusters", "--clusters", &cluster, "nope"]);
    assert_eq!(missing["failures"][0]["reason"], "MISSING", "{missing}");
    assert_eq!(arn_tail(&missing["clusters"][0]["clusterArn"]), cluster);
}

fn definition(family: &str, containers: usize) -> serde_json::Value {
    let containers: Vec<serde_json::Value> = (0..containers)
        .map(|i| serde_json::json!({"name": format!("c{i}"), "image": "busybox", "memory": 16, "essential": i == 0}))
        .collect();
    serde_json::json!({"family": family, "containerDefinitions": containers})
}

#[tokio::test]
async fn bad_requests_get_ecs_errors_and_write_nothing() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-bad").await;
    let cluster = format!("{ns}-c");
    ecs_api::cluster_with_nodes(&client, &cluster).await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, false).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let (status, body) = ecs_api::call(api, &key, "RegisterTaskDefinition", &definition("web", 1)).await;
    assert_eq!(status, 200, "{body}");

    let run = |body: serde_json::Value| serde_json::to_vec(&body).expect("json");
    let now = jiff::Timestamp::now();
    let run_task = Some("AmazonEC2ContainerServiceV20141113.RunTask");
    let good = run(serde_json::json!({"cluster": cluster, "taskDefinition": "web"}));
    let wrong_secret = ecs_api::Key { secret: "not-the-secret-at-all".into(), ..key.clone() };
    let unknown_key = ecs_api::Key { id: "AKIAUNKNOWNKEY000000".into(), ..key.clone() };
    let oversize =
        run(serde_json::json!({"cluster": cluster, "taskDefinition": "web", "startedBy": "x".repeat(300 * 1024)}));
    // (what, signer, target, body, signing time, status, error type, message contains)
    type Case<'a> =
        (&'a str, Option<&'a ecs_api::Key>, Option<&'a str>, Vec<u8>, jiff::Timestamp, u16, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "unknown action",
            Some(&key),
            Some("AmazonEC2ContainerServiceV20141113.Frobnicate"),
            b"{}".to_vec(),
            now,
            400,
            "UnknownOperationException",
            "Frobnicate",
        ),
        (
            "unsupported action",
            Some(&key),
            Some("AmazonEC2ContainerServiceV20141113.StartTask"),
            b"{}".to_vec(),
            now,
            400,
            "UnknownOperationException",
            "StartTask",
        ),
        (
            "malformed JSON",
            Some(&key),
            run_task,
            b"{\"cluster\":".to_vec(),
            now,
            400,
            "SerializationException",
            "not valid JSON",
        ),
        (
            "missing member",
            Some(&key),
            run_task,
            b"{}".to_vec(),
            now,
            400,
            "InvalidParameterException",
            "taskDefinition",
        ),
        (
            "mistyped member",
            Some(&key),
            run_task,
            run(serde_json::json!({"taskDefinition": "web", "count": "3"})),
            now,
            400,
            "SerializationException",
            "count",
        ),
        (
            "enum out of range",
            Some(&key),
            run_task,
            run(serde_json::json!({"taskDefinition": "web", "launchType": "SPOT"})),
            now,
            400,
            "InvalidParameterException",
            "launchType",
        ),
        (
            "count over 10",
            Some(&key),
            run_task,
            run(serde_json::json!({"cluster": cluster, "taskDefinition": "web", "count": 11})),
            now,
            400,
            "InvalidParameterException",
            "between 1 and 10",
        ),
        (
            "oversize body",
            Some(&key),
            run_task,
            oversize,
            now,
            413,
            "RequestEntityTooLargeException",
            "larger than this endpoint accepts",
        ),
        (
            "unsigned",
            None,
            run_task,
            good.clone(),
            now,
            400,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
        (
            "bad signature",
            Some(&wrong_secret),
            run_task,
            good.clone(),
            now,
            400,
            "InvalidSignatureException",
            "does not match",
        ),
        (
            "expired date",
            Some(&key),
            run_task,
            good.clone(),
            now - jiff::SignedDuration::from_mins(20),
            400,
            "InvalidSignatureException",
            "Signature expired",
        ),
        (
            "unknown key",
            Some(&unknown_key),
            run_task,
            good.clone(),
            now,
            400,
            "UnrecognizedClientException",
            "security token included in the request is invalid",
        ),
    ];
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    for (what, signer, target, body, time, status, code, message) in cases {
        let (got, answer) = ecs_api::raw(api, signer, target, &body, time, &[]).await;
        assert_eq!((got, answer["__type"].as_str()), (status, Some(code)), "{what}: {answer}");
        let text = answer["message"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{what}: {text:?} should mention {message:?}");
        let written = tasks.list(&Default::default()).await.expect("tasks").items;
        assert!(written.is_empty(), "{what} wrote {} task(s)", written.len());
    }

    // A tampered body after signing: the signature no longer matches.
    let (status, answer) = ecs_api::raw(
        api,
        Some(&key),
        run_task,
        &good,
        now,
        &[("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.StopTask")],
    )
    .await;
    assert_eq!((status, answer["__type"].as_str()), (400, Some("InvalidSignatureException")), "{answer}");

    // A definition the CRD's rules refuse: ClientException with the text kubectl gets.
    let (status, answer) = ecs_api::call(api, &key, "RegisterTaskDefinition", &definition("too-many", 11)).await;
    assert_eq!((status, answer["__type"].as_str()), (400, Some("ClientException")), "{answer}");
    let api_text = answer["message"].as_str().unwrap_or_default().to_string();
    let manifest = serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "too-many", "namespace": ns}, "spec": definition("too-many", 11),
    });
    let (ok, _, kubectl_text) = support::kubectl(&["apply", "-f", "-"], Some(&manifest.to_string()));
    assert!(!ok, "kubectl must refuse it too");
    // kubectl lists the causes as bullets where the API server's message joins them: each of kubectl's
    // is in the API's answer word for word.
    let causes: Vec<&str> = kubectl_text.lines().filter_map(|l| l.trim().strip_prefix("* ")).collect();
    assert!(causes.iter().any(|c| c.contains("Too many: 11")), "kubectl: {kubectl_text}");
    for cause in causes {
        assert!(api_text.contains(cause), "same rule text for both paths:\nAPI: {api_text}\nkubectl: {kubectl_text}");
    }
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    assert!(definitions.get_opt("too-many").await.expect("get").is_none(), "nothing half-applied");
}

#[tokio::test]
async fn rbac_decides_what_each_key_may_touch() {
    let api = ecs_api::start();
    let client = support::client().await;
    let team_a = support::namespace(&client, "ecs-team-a").await;
    let team_b = support::namespace(&client, "ecs-team-b").await;
    let cluster = format!("{team_a}-shared");
    ecs_api::cluster_with_nodes(&client, &cluster).await;
    let (user_a, user_b) = (format!("{team_a}-dev"), format!("{team_b}-dev"));
    ecs_api::grant(&client, &user_a, &team_a, false).await;
    ecs_api::grant(&client, &user_b, &team_b, false).await;
    let key_a = ecs_api::key(&client, api, &user_a, &team_a).await;
    let key_b = ecs_api::key(&client, api, &user_b, &team_b).await;
    // A key that names team-a's namespace but stands for team-b's user: RBAC, not the key, decides.
    let key_b_into_a = ecs_api::key(&client, api, &user_b, &team_a).await;

    let (status, body) = ecs_api::call(api, &key_a, "RegisterTaskDefinition", &definition("job", 1)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        ecs_api::call(api, &key_a, "RunTask", &serde_json::json!({"cluster": cluster, "taskDefinition": "job"})).await;
    assert_eq!(status, 200, "{body}");
    let task_arn = body["tasks"][0]["taskArn"].as_str().expect("task arn").to_string();

    let (status, body) = ecs_api::call(api, &key_b, "ListTasks", &serde_json::json!({"cluster": cluster})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["taskArns"], serde_json::json!([]), "team-b sees none of team-a's tasks");
    let (_, body) =
        ecs_api::call(api, &key_b, "DescribeTasks", &serde_json::json!({"cluster": cluster, "tasks": [task_arn]}))
            .await;
    assert_eq!(body["failures"][0]["reason"], "MISSING", "{body}");

    for (operation, input) in [
        ("ListTasks", serde_json::json!({"cluster": cluster})),
        ("StopTask", serde_json::json!({"cluster": cluster, "task": task_arn})),
        ("RunTask", serde_json::json!({"cluster": cluster, "taskDefinition": "job"})),
        ("DescribeTaskDefinition", serde_json::json!({"taskDefinition": "job"})),
    ] {
        let (status, body) = ecs_api::call(api, &key_b_into_a, operation, &input).await;
        assert_eq!((status, body["__type"].as_str()), (400, Some("AccessDeniedException")), "{operation}: {body}");
        assert!(
            body["message"].as_str().unwrap_or_default().contains(&user_b),
            "{operation}: the message names the identity: {body}"
        );
    }
    let tasks: Api<Task> = Api::namespaced(client.clone(), &team_a);
    let all = tasks.list(&Default::default()).await.expect("tasks").items;
    assert_eq!(all.len(), 1, "the refused RunTask wrote nothing");
    assert_ne!(all[0].spec.desired_status.map(|d| d.as_str()), Some("STOPPED"), "the refused StopTask changed nothing");
}

#[tokio::test]
async fn the_api_does_not_write_what_a_gitops_tool_owns() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-gitops").await;
    let cluster = format!("{ns}-c");
    ecs_api::cluster_with_nodes(&client, &cluster).await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, false).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let (status, body) = ecs_api::call(api, &key, "RegisterTaskDefinition", &definition("web", 1)).await;
    assert_eq!(status, 200, "{body}");
    // The Service as Argo CD applies it: its tracking annotation and its field manager.
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let manifest = serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
        "metadata": {"name": "web", "namespace": ns, "annotations": {"argocd.argoproj.io/tracking-id": format!("apps:ecs.kube-ecs.dev/Service:{ns}/web")}},
        "spec": {"taskDefinition": "web", "cluster": cluster, "desiredCount": 1},
    });
    services
        .patch("web", &kube::api::PatchParams::apply("argocd-controller").force(), &kube::api::Patch::Apply(&manifest))
        .await
        .expect("Argo CD's apply");
    let (status, body) = ecs_api::call(
        api,
        &key,
        "UpdateService",
        &serde_json::json!({"cluster": cluster, "service": "web", "desiredCount": 5}),
    )
    .await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("AccessDeniedException")), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("Argo CD") && message.contains("change it in Git"), "{message}");
    assert_eq!(services.get("web").await.expect("service").spec.desired_count, Some(1), "unchanged");
    // Reading it is fine.
    let (status, body) =
        ecs_api::call(api, &key, "DescribeServices", &serde_json::json!({"cluster": cluster, "services": ["web"]}))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["services"][0]["desiredCount"], 1);
    // A Task marked with kube-ecs's own annotation.
    let (status, body) =
        ecs_api::call(api, &key, "RunTask", &serde_json::json!({"cluster": cluster, "taskDefinition": "web"})).await;
    assert_eq!(status, 200, "{body}");
    let id = arn_tail(&body["tasks"][0]["taskArn"]);
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let mark = serde_json::json!({"metadata": {"annotations": {"ecs.kube-ecs.dev/gitops": "Flux"}}});
    tasks.patch(&id, &Default::default(), &kube::api::Patch::Merge(&mark)).await.expect("marking the task");
    let (status, body) =
        ecs_api::call(api, &key, "StopTask", &serde_json::json!({"cluster": cluster, "task": id})).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("AccessDeniedException")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("Flux"), "{body}");
}

#[tokio::test]
async fn boto3_paginators_and_waiters_work() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-boto3").await;
    let cluster = format!("{ns}-c");
    ecs_api::cluster_with_nodes(&client, &cluster).await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, false).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecs-api/boto3_walkthrough.py");
    let output = tokio::process::Command::new(ecs_api::aws_bin().join("python"))
        .arg(&script)
        .env("ECS_ENDPOINT", &api.url)
        .env("ECS_CLUSTER", &cluster)
        .env("AWS_ACCESS_KEY_ID", &key.id)
        .env("AWS_SECRET_ACCESS_KEY", &key.secret)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .expect("running python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "boto3 walkthrough failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).expect("summary");
    assert_eq!(summary["botocore"], "1.44.8", "boto3 uses the pinned botocore: {summary}");
    assert_eq!(summary["tasks"], 4);
}

// Multi-threaded: the endpoint runs on this test's runtime while the AWS CLI blocks a thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_https_with_a_configured_certificate() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-tls").await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, false).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let dir = support::scratch(&format!("tls-{ns}"));
    let (cert, private_key) = support::tls::self_signed_for_loopback(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut config = kube_ecs::ecs_api::EndpointConfig::new(
        format!("127.0.0.1:{port}").parse().expect("addr"),
        api.keys_namespace.clone(),
    );
    config.tls = Some(kube_ecs::ecs_api::TlsFiles { certificate: cert.clone(), private_key });
    config.check_responses = true;
    let served = tokio::spawn(kube_ecs::ecs_api::run(config, ecs_api::kube_config().await, client.clone(), None));
    let url = format!("https://127.0.0.1:{port}");
    let ca = cert.display().to_string();
    let deadline = std::time::Instant::now() + support::WAIT;
    let listed = loop {
        let (ok, json, stderr) =
            ecs_api::aws_at(&url, &api.region, &key, &["list-clusters"], &[("AWS_CA_BUNDLE", &ca)]);
        if ok {
            break json;
        }
        assert!(!served.is_finished(), "the TLS endpoint stopped: {stderr}");
        assert!(std::time::Instant::now() < deadline, "aws ecs list-clusters over TLS: {stderr}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(listed["clusterArns"].is_array(), "{listed}");
    // A client that does not trust the certificate is refused by TLS itself, before any ECS answer.
    let (ok, _, stderr) = ecs_api::aws_at(&url, &api.region, &key, &["list-clusters"], &[]);
    assert!(!ok && stderr.to_lowercase().contains("certificate"), "{stderr}");
    served.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
