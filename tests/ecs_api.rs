//! The ECS API with real clients: the AWS CLI (from the project's virtualenv) against the endpoint
//! on the real control plane, every response checked against botocore's model by the endpoint, and
//! kubectl showing what each call did.

mod support;

use kube::api::Api;
use kube_ecs::api::{ContainerInstance, Service, Task, TaskDefinition};
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
    for i in 0..2 {
        kube_ecs::local_cluster::create_simulated_node(
            &client,
            &format!("{cluster}-node-{i}"),
            &[("ecs.kube-ecs.dev/cluster", &cluster)],
            "4",
            "8Gi",
        )
        .await
        .expect("node");
    }
    let instances: Api<ContainerInstance> = Api::all(client.clone());
    support::wait_for_list(&instances, "the cluster's two container instances", |all| {
        all.iter()
            .filter(|i| {
                i.spec.cluster == cluster
                    && i.status.as_ref().is_some_and(|s| s.agent_connected && s.remaining_resources.is_some())
            })
            .count()
            == 2
    })
    .await;
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
