//! ECS's own limits and failures on the real control plane: a request the API server refuses for good
//! is shown on the ECS object and retried calmly, not every 2 seconds.

mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::LimitRange;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, PostParams};
use kube_ecs::api::{Task, TaskDefinition};
use kube_ecs::metrics::Metrics;
use support::apply;

#[tokio::test]
async fn a_pod_the_api_server_forbids_stalls_the_task_and_backs_off() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "limits-forbidden").await;
    // The namespace's LimitRange forbids what the task asks for: pod creation is refused (403) for as
    // long as the task exists.
    let limits: Api<LimitRange> = Api::namespaced(client.clone(), &ns);
    let range: LimitRange = serde_json::from_value(serde_json::json!({"metadata": {"name": "small"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "100Mi"}}]}}))
    .expect("limit range");
    limits.create(&PostParams::default(), &range).await.expect("creating the LimitRange");
    support::ecs_cluster(&client, &ns, serde_json::json!({}), 1, ("2", "4Gi")).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "big"}, "spec": {"containerDefinitions": [{"name": "app", "image": "busybox", "memory": 256}]}}))
    .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "big"},
        "spec": {"taskDefinition": "big", "cluster": ns}}),
    )
    .await;

    let stalled = support::wait_for(&tasks, "big", "Stalled=True (PermanentApiError)", |t| {
        t.status.as_ref().is_some_and(|s| {
            s.conditions.iter().any(|c| c.type_ == "Stalled" && c.status == "True" && c.reason == "PermanentApiError")
        })
    })
    .await;
    let status = stalled.status.expect("status");
    let message = &status.conditions.iter().find(|c| c.type_ == "Stalled").expect("Stalled").message;
    assert!(message.contains("403") && message.contains("maximum memory usage per Container is 100Mi"), "{message}");
    let ready = status.conditions.iter().find(|c| c.type_ == "Ready").expect("Ready");
    assert_eq!(ready.status, "False");
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&events, "a PermanentApiError Event on the task", |list| {
        list.iter().any(|e| e.reason.as_deref() == Some("PermanentApiError"))
    })
    .await;

    // Retries back off: after the first refusals, consecutive attempts are 5 s, 10 s, ... apart (the
    // old policy retried every 2 s forever).
    let failures = || Metrics::global().reconcile_failures("Task", "PermanentApiError");
    let mut attempts = vec![(failures(), Instant::now())];
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    while attempts.len() < 3 {
        ticker.tick().await;
        let seen = failures();
        if seen > attempts.last().map_or(0, |(n, _)| *n) {
            attempts.push((seen, Instant::now()));
        }
        assert!(Instant::now() < deadline, "no further retries within a minute: {attempts:?}");
    }
    let gap = attempts[2].1.duration_since(attempts[1].1);
    assert!(gap >= Duration::from_secs(4), "retries of a permanent refusal back off (gap {gap:?})");
}

#[tokio::test]
async fn every_kind_with_a_name_as_long_as_ecs_allows_reaches_its_normal_state() {
    use kube_ecs::api::{EcsCluster, Service};
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "limits-names").await;
    // Object names as long as Kubernetes allows (253), ECS names as long as ECS allows (255, with
    // uppercase and underscores); every label, selector and child name derived from them must hold.
    let long = |tag: &str| format!("{tag}-{}-{}", ns, "n".repeat(253 - tag.len() - ns.len() - 2));
    let ecs_name = |tag: &str| format!("{tag}_{}", "Ab_".repeat(85))[..255].to_string();
    let (cluster, family, task, service) = (long("cluster"), ecs_name("Family"), long("task"), long("service"));
    assert_eq!((cluster.len(), family.len()), (253, 255));

    let clusters: Api<EcsCluster> = Api::all(client.clone());
    apply(
        &clusters,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster",
        "metadata": {"name": cluster}, "spec": {"clusterName": ecs_name("Cluster"),
            "nodePools": [{"name": "od", "provider": "simulated", "instanceType": "t3.large", "instances": 2}]}}),
    )
    .await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": long("td")}, "spec": {"family": family,
            "containerDefinitions": [{"name": ecs_name("Container"), "image": "busybox", "memory": 64,
                "portMappings": [{"containerPort": 80}]}]}}),
    )
    .await;
    let td = support::wait_for(&definitions, &long("td"), "revision 1 of the long family", |td| {
        td.status.as_ref().and_then(|s| s.revision) == Some(1)
    })
    .await;
    assert_eq!(td.status.and_then(|s| s.family).as_deref(), Some(family.as_str()));
    let ready_cluster = support::wait_for(&clusters, &cluster, "ACTIVE with 2 instances", |c| {
        c.status.as_ref().is_some_and(|s| {
            s.status.map(|v| v.as_str()) == Some("ACTIVE") && s.registered_container_instances_count == Some(2)
        })
    })
    .await;
    assert!(ready_cluster.status.is_some());

    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": task},
        "spec": {"taskDefinition": format!("{family}:1"), "cluster": cluster, "group": ecs_name("Group"),
            "startedBy": "a".repeat(128)}}),
    )
    .await;
    support::wait_for(&tasks, &task, "RUNNING", |t| {
        t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("RUNNING")
    })
    .await;

    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": service},
        "spec": {"serviceName": ecs_name("Service"), "taskDefinition": family, "cluster": cluster, "desiredCount": 2,
            "loadBalancers": [{"containerName": ecs_name("Container"), "containerPort": 80}]}}),
    )
    .await;
    support::wait_for_within(&services, &service, "steady state with 2 running tasks", Duration::from_secs(120), |s| {
        s.status
            .as_ref()
            .is_some_and(|st| st.running_count == Some(2) && st.rollout_state.map(|v| v.as_str()) == Some("COMPLETED"))
    })
    .await;
    let kube_services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client.clone(), &ns);
    let list = kube_services.list(&Default::default()).await.expect("listing Services");
    assert!(
        list.items.iter().any(|s| s
            .metadata
            .name
            .as_deref()
            .is_some_and(|n| n.len() <= 63 && n.starts_with("service-"))),
        "a load-balanced service gets a Kubernetes Service with a DNS-1035 name"
    );
}

#[tokio::test]
async fn a_service_with_more_tasks_than_capacity_says_it_cannot_place_them() {
    use kube_ecs::api::{EcsCluster, Service};
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "limits-capacity").await;
    let clusters: Api<EcsCluster> = Api::all(client.clone());
    // One t3.small: 2 vCPU, 2 GiB (1792 MiB registered) holds three 512 MiB tasks, not six.
    apply(&clusters, serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster",
        "metadata": {"name": ns}, "spec": {"nodePools": [{"name": "small", "provider": "simulated", "instanceType": "t3.small", "instances": 1}]}}))
    .await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "web"}, "spec": {"containerDefinitions": [{"name": "web", "image": "nginx:1.27", "memory": 512}]}}))
    .await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"taskDefinition": "web", "cluster": ns, "desiredCount": 6}}),
    )
    .await;
    let node = format!("{ns}-small-0");
    let service = support::wait_for(
        &services,
        "web",
        "the placement failure event, 3 running, none pending (the other 3 cannot be placed)",
        |s| {
            s.status.as_ref().is_some_and(|st| {
                st.running_count == Some(3)
                    && st.pending_count == Some(0)
                    && st.events.iter().any(|e| e.message.contains("was unable to place a task"))
            })
        },
    )
    .await;
    let status = service.status.expect("status");
    let event = status.events.iter().find(|e| e.message.contains("was unable to place a task")).expect("event");
    assert_eq!(
        event.message,
        format!(
            "(service web) was unable to place a task because no container instance met all of its requirements. \
                 The closest matching (container-instance {node}) has insufficient memory available. For more information, \
                 see the Troubleshooting section."
        )
    );
    let started: i32 = status
        .events
        .iter()
        .filter_map(|e| {
            let rest = e.message.strip_prefix("(service web) has started ")?;
            rest.split(" tasks").next()?.parse::<i32>().ok()
        })
        .sum();
    assert!(started <= 3, "'has started N tasks' counts only tasks that started: {:?}", status.events);
    let placed = status
        .conditions
        .iter()
        .find(|c| c.type_ == "Placed")
        .unwrap_or_else(|| panic!("Placed condition: {:?}", status.conditions));
    assert_eq!((placed.status.as_str(), placed.reason.as_str()), ("False", "TaskUnplaceable"));
}
