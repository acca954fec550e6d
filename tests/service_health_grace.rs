//! `healthCheckGracePeriodSeconds` on a real instance: a service's task that fails its ECS container
//! health check from the start is not replaced inside the grace period, and is replaced after it;
//! the same task without a grace period is replaced at its first failing checks.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::Api;
use kube_ecs::api::{Service, TaskDefinition};
use support::apply;

/// The grace period of the patient service.
const GRACE: i64 = 30;

async fn setup(prefix: &str) -> (Client, String) {
    support::with_real_nodes(1);
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    support::real_nodes_cluster(&client, &ns).await;
    (client, ns)
}

/// A service of one task whose health check always fails (every 5 s, UNHEALTHY at the first
/// failure), with `grace` seconds of grace period. `sleep` as PID 1 ignores SIGTERM: a 2 s stop
/// timeout keeps the kill after a failed check short, so the replacement times tell the grace apart.
async fn failing_service(client: &Client, ns: &str, name: &str, grace: Option<i64>) {
    apply(
        &Api::<TaskDefinition>::namespaced(client.clone(), ns),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": name},
            "spec": {"containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 32,
                "command": ["sleep", "3600"], "stopTimeout": 2,
                "healthCheck": {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "timeout": 2, "retries": 1}}]}}),
    )
    .await;
    let mut spec = serde_json::json!({"taskDefinition": name, "cluster": ns, "desiredCount": 1});
    if let Some(grace) = grace {
        spec["healthCheckGracePeriodSeconds"] = grace.into();
    }
    apply(
        &Api::<Service>::namespaced(client.clone(), ns),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": name}, "spec": spec}),
    )
    .await;
}

/// The first task of `service`: its pod's name and when its container started.
async fn first_task(client: &Client, ns: &str, service: &str) -> (String, jiff::Timestamp) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let started = |p: &Pod| {
        let statuses = p.status.as_ref()?.container_statuses.as_ref()?;
        statuses.iter().find_map(|c| Some(c.state.as_ref()?.running.as_ref()?.started_at.as_ref()?.0))
    };
    let of_service = |p: &&Pod| {
        p.metadata.labels.as_ref().and_then(|l| l.get(kube_ecs::labels::SERVICE_NAME)).map(String::as_str)
            == Some(service)
    };
    let list = support::wait_for_list(&pods, &format!("{service}'s first task running"), |pods: &[Pod]| {
        pods.iter().filter(of_service).any(|p| started(p).is_some())
    })
    .await;
    let pod = list.iter().filter(of_service).find(|p| started(p).is_some()).expect("a running task");
    (pod.metadata.name.clone().unwrap_or_default(), started(pod).expect("started"))
}

/// How long after it started `task` was stopped and replaced (the service's stopped-task record).
async fn replaced_after(client: &Client, ns: &str, service: &str, task: &str, started: jiff::Timestamp) -> i64 {
    let services: Api<Service> = Api::namespaced(client.clone(), ns);
    let record = |s: &Service| {
        s.status.as_ref()?.stopped_tasks.iter().find(|t| t.task == task).and_then(|t| t.stopped_at.clone())
    };
    let service =
        support::wait_for_within(&services, service, &format!("{task} replaced"), Duration::from_secs(180), |s| {
            record(s).is_some()
        })
        .await;
    let stopped = record(&service).expect("stoppedAt");
    stopped.0.duration_since(started).as_secs()
}

#[tokio::test]
async fn a_task_failing_its_health_check_is_replaced_only_after_the_grace_period() {
    let started = std::time::Instant::now();
    let (client, ns) = setup("health-grace").await;
    failing_service(&client, &ns, "patient", Some(GRACE)).await;
    failing_service(&client, &ns, "hasty", None).await;
    let (patient, patient_started) = first_task(&client, &ns, "patient").await;
    let (hasty, hasty_started) = first_task(&client, &ns, "hasty").await;
    let hasty_after = replaced_after(&client, &ns, "hasty", &hasty, hasty_started).await;
    let patient_after = replaced_after(&client, &ns, "patient", &patient, patient_started).await;
    eprintln!(
        "health grace: without a grace period replaced {hasty_after} s after start; with {GRACE} s, {patient_after} s \
         (test {:.1?})",
        started.elapsed()
    );
    assert!(hasty_after < GRACE, "without a grace period the first failing checks replace the task: {hasty_after} s");
    assert!(
        patient_after >= GRACE,
        "failing checks inside the grace period are ignored: replaced after {patient_after} s"
    );
    assert!(patient_after < GRACE + 30, "after the grace period the failing checks replace it: {patient_after} s");
}
