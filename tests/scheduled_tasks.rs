//! Scheduled tasks (docs/scheduled-tasks.md): a ScheduledTask starts Tasks on its schedule, on a real
//! node, once per run; EventBridge Scheduler's API (the AWS CLI's `aws scheduler`) writes and reads
//! the same objects kubectl does; bad input is refused at apply time (CEL), by a condition, or with
//! Scheduler's own error types.

mod support;

use std::time::Duration;

use kube::Client;
use kube::api::{Api, ListParams};
use kube_ecs::api::{ScheduledTask, Task, TaskDefinition};
use support::apply;
use support::ecs_api::{EcsApi, Key};

const SCHEDULED_TASK_LABEL: &str = "ecs.kube-ecs.dev/scheduled-task";

async fn setup(prefix: &str) -> (Client, String, &'static EcsApi) {
    support::with_real_nodes(1);
    let api = support::ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    (client, ns, api)
}

fn scheduler(api: &EcsApi, key: &Key, args: &[&str]) -> (bool, serde_json::Value, String) {
    support::ecs_api::aws_service("scheduler", &api.url, &api.region, key, args, &[])
}

fn ok(what: &str, (ok, json, stderr): (bool, serde_json::Value, String)) -> serde_json::Value {
    assert!(ok, "{what} failed: {stderr}");
    json
}

/// The call fails with the error type `code` (the CLI prints `An error occurred (<code>) ...`).
fn refused(what: &str, (ok, _, stderr): (bool, serde_json::Value, String), code: &str, text: &str) {
    assert!(!ok, "{what} succeeded");
    assert!(
        stderr.contains(&format!("({code})")) && stderr.contains(text),
        "{what}: wanted {code} {text:?}, got {stderr}"
    );
}

/// A one-shot busybox task definition that says hello and exits 0.
async fn hello_definition(client: &Client, ns: &str) {
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "report"},
            "spec": {"containerDefinitions": [{"name": "report", "image": "busybox:1.36", "memory": 32,
                "command": ["sh", "-c", "echo nightly report done"]}]}}),
    )
    .await;
}

fn target(api: &EcsApi, cluster: &str, family: &str) -> String {
    serde_json::json!({
        "Arn": format!("arn:aws:ecs:{}:000000000000:cluster/{cluster}", api.region),
        "RoleArn": "arn:aws:iam::000000000000:role/scheduler",
        "EcsParameters": {"TaskDefinitionArn": format!("arn:aws:ecs:{}:000000000000:task-definition/{family}", api.region), "TaskCount": 1},
    })
    .to_string()
}

fn tasks_of(tasks: &[Task], schedule: &str) -> Vec<String> {
    tasks
        .iter()
        .filter(|t| {
            t.metadata.labels.as_ref().and_then(|l| l.get(SCHEDULED_TASK_LABEL)).map(String::as_str) == Some(schedule)
        })
        .filter_map(|t| t.metadata.name.clone())
        .collect()
}

#[tokio::test]
async fn a_schedule_made_through_the_api_runs_a_task_on_a_real_node_until_disabled() {
    let (client, ns, api) = setup("sched-run").await;
    support::real_nodes_cluster(&client, &ns).await;
    hello_definition(&client, &ns).await;
    support::ecs_api::grant(&client, "sched-run", &ns, false).await;
    let key = support::ecs_api::key(&client, api, "sched-run", &ns).await;

    let created = ok(
        "create-schedule",
        scheduler(
            api,
            &key,
            &[
                "create-schedule",
                "--name",
                "Nightly.Report",
                "--schedule-expression",
                "rate(1 minute)",
                "--flexible-time-window",
                "Mode=OFF",
                "--target",
                &target(api, &ns, "report"),
            ],
        ),
    );
    assert_eq!(
        created["ScheduleArn"],
        format!("arn:aws:scheduler:{}:000000000000:schedule/default/Nightly.Report", api.region)
    );

    // The same object kubectl sees, under the mapped name, with the run it started at once (a rate
    // schedule runs at its start).
    let schedules: Api<ScheduledTask> = Api::namespaced(client.clone(), &ns);
    let object = kube_ecs::api::ecs_names::schedule_object_name("Nightly.Report");
    let ran = support::wait_for_within(&schedules, &object, "a run", Duration::from_secs(60), |s| {
        s.status.as_ref().is_some_and(|st| !st.runs.is_empty())
    })
    .await;
    let status = ran.status.expect("status");
    assert_eq!(status.state.as_deref(), Some("ENABLED"));
    assert!(status.next_run_time.is_some(), "{status:?}");
    let task_name = status.runs[0].tasks[0].clone();
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let stopped =
        support::wait_for_within(&tasks, &task_name, "the run's task STOPPED", Duration::from_secs(120), |t| {
            t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("STOPPED")
        })
        .await;
    assert_eq!(stopped.spec.started_by.as_deref(), Some("chronos-schedule/Nightly-Report"));
    assert_eq!(stopped.spec.group.as_deref(), Some("family:report"));
    let stopped_status = stopped.status.expect("status");
    let exit = stopped_status.containers.iter().find(|c| c.name == "report").and_then(|c| c.exit_code);
    assert_eq!(exit, Some(0), "{stopped_status:?}");
    // DescribeTasks shows who started it, as ECS does for a scheduled run.
    let described = support::ecs_api::aws_ok(api, &key, &["describe-tasks", "--cluster", &ns, "--tasks", &task_name]);
    assert_eq!(described["tasks"][0]["startedBy"], "chronos-schedule/Nightly-Report");

    // GetSchedule and ListSchedules show it as Scheduler does.
    let got = ok("get-schedule", scheduler(api, &key, &["get-schedule", "--name", "Nightly.Report"]));
    assert_eq!(got["ScheduleExpression"], "rate(1 minute)");
    assert_eq!(got["State"], "ENABLED");
    assert_eq!(got["GroupName"], "default");
    assert_eq!(got["Target"]["Arn"], format!("arn:aws:ecs:{}:000000000000:cluster/{ns}", api.region));
    assert_eq!(got["Target"]["EcsParameters"]["TaskCount"], 1);
    let listed = ok("list-schedules", scheduler(api, &key, &["list-schedules", "--name-prefix", "Nightly"]));
    assert_eq!(listed["Schedules"].as_array().map(Vec::len), Some(1), "{listed}");

    // DISABLED: no new run, even past the time the next one was due.
    let next: jiff::Timestamp = status.next_run_time.as_deref().expect("next").parse().expect("next run time");
    ok(
        "update-schedule",
        scheduler(
            api,
            &key,
            &[
                "update-schedule",
                "--name",
                "Nightly.Report",
                "--schedule-expression",
                "rate(1 minute)",
                "--state",
                "DISABLED",
                "--flexible-time-window",
                "Mode=OFF",
                "--target",
                &target(api, &ns, "report"),
            ],
        ),
    );
    support::wait_for(&schedules, &object, "DISABLED", |s| {
        s.status.as_ref().and_then(|st| st.state.as_deref()) == Some("DISABLED")
    })
    .await;
    let runs_when_disabled = schedules.get(&object).await.expect("schedule").status.map_or(0, |s| s.runs.len());
    // The time the next run would have started, and a margin for a late reconcile.
    let past_due = next.checked_add(jiff::SignedDuration::from_secs(10)).expect("time");
    while jiff::Timestamp::now() < past_due {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let after = schedules.get(&object).await.expect("schedule");
    assert_eq!(after.status.map_or(0, |s| s.runs.len()), runs_when_disabled, "a DISABLED schedule started a run");
    let all = tasks.list(&ListParams::default()).await.expect("tasks").items;
    assert_eq!(tasks_of(&all, &object).len(), runs_when_disabled, "one task per run, none while DISABLED");

    ok("delete-schedule", scheduler(api, &key, &["delete-schedule", "--name", "Nightly.Report"]));
    refused(
        "get after delete",
        scheduler(api, &key, &["get-schedule", "--name", "Nightly.Report"]),
        "ResourceNotFoundException",
        "Schedule Nightly.Report does not exist.",
    );
}

#[tokio::test]
async fn bad_input_is_refused_in_schedulers_words() {
    let (client, ns, api) = setup("sched-bad").await;
    support::ecs_cluster(&client, &ns, serde_json::json!({}), 0, ("1", "1Gi")).await;
    hello_definition(&client, &ns).await;
    support::ecs_api::grant(&client, "sched-bad", &ns, false).await;
    let key = support::ecs_api::key(&client, api, "sched-bad", &ns).await;
    let create = |name: &str, expression: &str, target: &str| {
        scheduler(
            api,
            &key,
            &[
                "create-schedule",
                "--name",
                name,
                "--schedule-expression",
                expression,
                "--flexible-time-window",
                "Mode=OFF",
                "--target",
                target,
            ],
        )
    };
    let good = target(api, &ns, "report");
    refused(
        "cron with both days",
        create("a", "cron(0 2 * * * *)", &good),
        "ValidationException",
        "Parameter ScheduleExpression is not valid.",
    );
    refused(
        "rate 0",
        create("a", "rate(0 minutes)", &good),
        "ValidationException",
        "Parameter ScheduleExpression is not valid.",
    );
    refused(
        "unknown cluster",
        create("a", "rate(5 minutes)", &target(api, "nowhere", "report")),
        "ValidationException",
        "nowhere",
    );
    refused(
        "unknown family",
        create("a", "rate(5 minutes)", &target(api, &ns, "nothing")),
        "ValidationException",
        "nothing",
    );
    let sqs = serde_json::json!({"Arn": "arn:aws:sqs:us-east-1:000000000000:queue", "RoleArn": "arn:aws:iam::000000000000:role/r"});
    refused("not ECS", create("a", "rate(5 minutes)", &sqs.to_string()), "ValidationException", "ECS targets only");
    refused(
        "a time zone that is none",
        scheduler(
            api,
            &key,
            &[
                "create-schedule",
                "--name",
                "a",
                "--schedule-expression",
                "cron(0 2 * * ? *)",
                "--schedule-expression-timezone",
                "Mars/Olympus",
                "--flexible-time-window",
                "Mode=OFF",
                "--target",
                &good,
            ],
        ),
        "ValidationException",
        "Mars/Olympus",
    );
    ok("create", create("twice", "rate(5 minutes)", &good));
    refused("twice", create("twice", "rate(5 minutes)", &good), "ConflictException", "Schedule twice already exists.");
    refused(
        "missing",
        scheduler(api, &key, &["get-schedule", "--name", "missing"]),
        "ResourceNotFoundException",
        "missing",
    );
    refused(
        "another group",
        scheduler(api, &key, &["get-schedule", "--name", "twice", "--group-name", "team"]),
        "ResourceNotFoundException",
        "Schedule group team does not exist.",
    );

    // kubectl: the form is refused at apply time; a well-formed but invalid cron by a condition.
    let manifest = |name: &str, expression: &str| {
        format!(
            "apiVersion: ecs.kube-ecs.dev/v1alpha1\nkind: ScheduledTask\nmetadata: {{name: {name}, namespace: {ns}}}\n\
             spec: {{scheduleExpression: '{expression}', target: {{taskDefinition: report, cluster: {ns}}}}}\n"
        )
    };
    let (applied, _, stderr) = support::kubectl(&["apply", "-f", "-"], Some(&manifest("bad-form", "every minute")));
    assert!(!applied && stderr.contains("Parameter ScheduleExpression is not valid"), "{stderr}");
    let (applied, _, stderr) = support::kubectl(&["apply", "-f", "-"], Some(&manifest("bad-rate", "rate(1 minutes)")));
    assert!(!applied && stderr.contains("rate takes minute, hour or day for a value of 1"), "{stderr}");
    let (applied, _, stderr) =
        support::kubectl(&["apply", "-f", "-"], Some(&manifest("bad-cron", "cron(0 2 * * * *)")));
    assert!(applied, "{stderr}");
    let schedules: Api<ScheduledTask> = Api::namespaced(client.clone(), &ns);
    let refused_object = support::wait_for(&schedules, "bad-cron", "Valid False", |s| {
        s.status.as_ref().is_some_and(|st| st.conditions.iter().any(|c| c.type_ == "Valid" && c.status == "False"))
    })
    .await;
    let conditions = refused_object.status.expect("status").conditions;
    let valid = conditions.iter().find(|c| c.type_ == "Valid").expect("Valid");
    assert!(valid.message.starts_with("Parameter ScheduleExpression is not valid."), "{}", valid.message);
    assert!(conditions.iter().any(|c| c.type_ == "Stalled" && c.status == "True"), "kstatus Failed: {conditions:?}");
}

#[tokio::test]
async fn two_controllers_start_a_run_once() {
    let (client, ns, _) = setup("sched-once").await;
    support::ecs_cluster(&client, &ns, serde_json::json!({}), 0, ("1", "1Gi")).await;
    hello_definition(&client, &ns).await;
    // A second ScheduledTask controller beside the operator's, as during a leadership change: both
    // see the schedule's first run due at once.
    let second = kube_ecs::context::Context::new(support::client().await, support::operator::test_config());
    let second = tokio::spawn(kube_ecs::controllers::scheduled_task::run(
        std::sync::Arc::new(second),
        futures::future::pending(),
    ));
    let schedules: Api<ScheduledTask> = Api::namespaced(client.clone(), &ns);
    apply(
        &schedules,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "ScheduledTask", "metadata": {"name": "twice"},
            "spec": {"scheduleExpression": "rate(1 hour)", "target": {"taskDefinition": "report", "cluster": ns, "taskCount": 3}}}),
    )
    .await;
    let ran =
        support::wait_for(&schedules, "twice", "a run", |s| s.status.as_ref().is_some_and(|st| !st.runs.is_empty()))
            .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let all = support::wait_for_list(&tasks, "the run's tasks", |all| tasks_of(all, "twice").len() >= 3).await;
    let mut started = tasks_of(&all, "twice");
    started.sort();
    let mut recorded = ran.status.expect("status").runs[0].tasks.clone();
    recorded.sort();
    assert_eq!(started, recorded, "exactly the run's 3 tasks, whoever created them");
    second.abort();
}
