//! Service auto scaling on a real container instance, with real metrics (metrics-server beside the
//! real nodes): a busybox service whose task burns its whole CPU reservation until a deadline, with a
//! target of 50% CPU, scales out from 1 task to 2 while it burns and back to 1 once it stops. Every
//! wait is on a condition, bounded; the measured times are printed (`--nocapture`).

mod support;

use std::time::{Duration, Instant};

use kube::api::Api;
use kube_ecs::api::{Service, TaskDefinition};

/// How long the tasks burn CPU, from the test's start: room for the first task to start, two
/// metrics-server scrapes and the HPA's sync, on a loaded machine.
const BURN: Duration = Duration::from_secs(180);
/// The scale-in cooldown of the policy (the HPA's scale-down window).
const SCALE_IN_COOLDOWN: u64 = 30;

fn desired(s: &Service) -> Option<i32> {
    s.status.as_ref().and_then(|st| st.desired_count)
}

fn running(s: &Service) -> Option<i32> {
    s.status.as_ref().and_then(|st| st.running_count)
}

#[tokio::test]
async fn a_service_burning_cpu_scales_out_from_one_task_and_back_in_when_the_load_stops() {
    support::with_real_nodes(1);
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "as-real").await;
    support::real_nodes_cluster(&client, &ns).await;
    let started = Instant::now();
    let end = jiff::Timestamp::now().as_second() + BURN.as_secs() as i64;
    // Task-level cpu (256 units = 250m, the pod's limit and the reservation ECS's utilisation is a
    // percentage of): the containers have no CPU request, so only an AverageValue target computed
    // from the reservation can mean "50% of the task's CPU". A task burns until `end`, then idles;
    // tasks started after `end` never burn.
    let script = format!("while [ \"$(date +%s)\" -lt {end} ]; do :; done; exec sleep 100000");
    support::apply(
        &Api::<TaskDefinition>::namespaced(client.clone(), &ns),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "burn"},
            "spec": {"cpu": "256", "memory": "128", "containerDefinitions": [
                {"name": "burn", "image": "busybox:1.36", "entryPoint": ["sh", "-c"], "command": [script]}]}}),
    )
    .await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    support::apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "burn"},
            "spec": {"taskDefinition": "burn", "cluster": ns, "desiredCount": 1, "autoScaling": {
                "minCapacity": 1, "maxCapacity": 2, "policies": [{"policyName": "cpu50",
                    "predefinedMetricType": "ECSServiceAverageCPUUtilization", "targetValue": 50,
                    "scaleOutCooldown": 15, "scaleInCooldown": SCALE_IN_COOLDOWN}]}}}),
    )
    .await;

    support::wait_for(&services, "burn", "the first task RUNNING", |s| running(s) == Some(1)).await;
    let load_start = Instant::now();
    let budget = BURN.saturating_sub(started.elapsed());
    let out = support::wait_for_within(&services, "burn", "scaled out to 2 running tasks while burning", budget, |s| {
        desired(s) == Some(2) && running(s) == Some(2)
    })
    .await;
    let scale_out = load_start.elapsed();
    assert!(Instant::now() < started + BURN, "scaled out only after the load stopped");
    let status = out.status.clone().unwrap_or_default();
    let activity = status.auto_scaling.as_ref().and_then(|a| a.activities.first()).cloned().expect("an activity");
    assert_eq!((activity.from_count, activity.to_count), (1, 2));
    assert!(activity.cause.starts_with("policy cpu50 (ECSServiceAverageCPUUtilization"), "{}", activity.cause);
    assert!(
        status
            .events
            .iter()
            .any(|e| e.message.contains("auto scaling set the desired count from 1 to 2: policy cpu50")),
        "{:?}",
        status.events
    );
    assert!(
        status.events.iter().any(|e| e.message.starts_with("(service burn) has started 1 tasks: (task burn-")),
        "ECS's event for the task the scale-out started: {:?}",
        status.events
    );
    assert_eq!(out.spec.desired_count, Some(1), "spec.desiredCount stays the user's");

    // The load stops at `end`; then the scale-in window, a scrape or two and the HPA's sync.
    let until_end = (started + BURN).saturating_duration_since(Instant::now());
    let budget = until_end + Duration::from_secs(SCALE_IN_COOLDOWN + 120);
    let back = support::wait_for_within(&services, "burn", "scaled back in to 1 task after the load", budget, |s| {
        desired(s) == Some(1) && running(s) == Some(1)
    })
    .await;
    let scale_in = (started + BURN).elapsed();
    let activity =
        back.status.as_ref().and_then(|s| s.auto_scaling.as_ref()).and_then(|a| a.activities.first()).cloned();
    assert_eq!(activity.map(|a| (a.from_count, a.to_count)), Some((2, 1)));
    println!(
        "auto scaling on a real node: 1 -> 2 tasks {:.1} s after the first task ran (load start); 2 -> 1 task {:.1} s after the load stopped (scale-in cooldown {SCALE_IN_COOLDOWN} s)",
        scale_out.as_secs_f64(),
        scale_in.as_secs_f64()
    );
}
