//! Fault tests on the real control plane: the operator killed mid-burst, the API server restarted,
//! a conflicting writer on an owned object, a malformed object. The operator runs as a process here
//! (the built binary), one test at a time, so tests can kill it.

mod support;

use support::apply;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube_ecs::api::{Service, Task, TaskDefinition};
use support::operator_process::OperatorProcess;

/// Fault tests each run their own operator process; two at once would both reconcile.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn crds_and_cluster(client: &Client, name: &str, nodes: u32) {
    kube_ecs::crd_install::install_crds(client, "kube-ecs-tests").await.expect("CRDs");
    support::ecs_cluster(client, name, serde_json::json!({}), nodes, ("64", "256Gi")).await;
}

fn definition(name: &str, image: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": name},
        "spec": {"containerDefinitions": [{"name": "app", "image": image, "memory": 64}]}
    })
}

fn task(name: &str, cluster: &str) -> Task {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": name},
        "spec": {"taskDefinition": "burst", "cluster": cluster}
    }))
    .expect("task")
}

fn running(t: &Task) -> bool {
    t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("RUNNING")
}

#[tokio::test]
async fn operator_killed_mid_burst_loses_and_duplicates_nothing() {
    let _serial = SERIAL.lock().await;
    let client = support::client().await;
    let ns = support::namespace(&client, "fault-burst").await;
    crds_and_cluster(&client, &ns, 6).await;
    let mut operator = OperatorProcess::start("burst-1", &[]);
    apply(&Api::<TaskDefinition>::namespaced(client.clone(), &ns), definition("burst", "busybox:1.36")).await;

    const TASKS: usize = 500;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let creating = futures::stream::iter(0..TASKS)
        .map(|i| {
            let tasks = tasks.clone();
            let ns = ns.clone();
            async move { tasks.create(&PostParams::default(), &task(&format!("t-{i:04}"), &ns)).await.map(|_| ()) }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<()>>();
    let (created, _) = tokio::join!(creating, async {
        // Kill the operator once it is part-way through the burst.
        support::wait_for_list(&pods, "the operator has started creating pods", |l| l.len() >= 50).await;
        operator.kill();
    });
    created.expect("creating the tasks");
    let restarted = OperatorProcess::start("burst-2", &[]);

    // 500 tasks through a debug build at 50 QPS take about 25 s alone; the budget leaves room for a
    // machine busy with other test binaries (the chart's image build among them).
    let all = support::wait_for_list_within(
        &tasks,
        "every task RUNNING after the restart",
        std::time::Duration::from_secs(180),
        |l| l.len() == TASKS && l.iter().all(running),
    )
    .await;
    let pod_list = pods.list(&Default::default()).await.expect("pods").items;
    assert_eq!(pod_list.len(), TASKS, "exactly one pod per task");
    for t in &all {
        let name = t.metadata.name.clone().expect("name");
        let status = t.status.clone().expect("status");
        assert_eq!(status.pod.as_deref(), Some(name.as_str()), "task {name} names its pod");
        assert_eq!(status.task_definition.as_deref(), Some("burst:1"));
        let owned: Vec<_> = pod_list
            .iter()
            .filter(|p| {
                p.metadata
                    .owner_references
                    .as_ref()
                    .is_some_and(|o| o.iter().any(|o| Some(&o.uid) == t.metadata.uid.as_ref()))
            })
            .collect();
        assert_eq!(owned.len(), 1, "task {name} owns exactly one pod");
    }
    drop(restarted);
}

#[tokio::test]
async fn apiserver_restart_mid_rollout_converges_without_operator_restart() {
    let _serial = SERIAL.lock().await;
    let client = support::client().await;
    let ns = support::namespace(&client, "fault-apiserver").await;
    crds_and_cluster(&client, &ns, 2).await;
    let mut operator = OperatorProcess::start("apiserver", &[]);
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, definition("burst", "busybox:1.36")).await;
    apply(&definitions, definition("web", "nginx:1.27")).await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"taskDefinition": "web", "cluster": ns, "desiredCount": 4}
        }),
    )
    .await;
    let steady = |s: &Service, td: &str| {
        s.status.as_ref().is_some_and(|st| {
            st.task_definition.as_deref() == Some(td)
                && st.rollout_state.map(|v| v.as_str()) == Some("COMPLETED")
                && st.running_count == Some(4)
        })
    };
    support::wait_for(&services, "web", "web:1 steady", |s| steady(s, "web:1")).await;

    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    for i in 0..20 {
        tasks.create(&PostParams::default(), &task(&format!("t-{i}"), &ns)).await.expect("task");
    }
    apply(&definitions, definition("web", "nginx:1.28")).await;
    support::cluster().restart_apiserver(std::time::Duration::from_secs(90)).await.expect("restarting kube-apiserver");

    let client = support::client().await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&tasks, "all 20 tasks RUNNING", |l| l.len() == 20 && l.iter().all(running)).await;
    support::wait_for(&services, "web", "rolled to web:2 after the restart", |s| steady(s, "web:2")).await;
    assert!(operator.is_running(), "the operator reconnected on its own:\n{}", operator.log_text());
}

#[tokio::test]
async fn conflicting_writer_on_an_owned_deployment_is_reverted_once() {
    let _serial = SERIAL.lock().await;
    let client = support::client().await;
    let ns = support::namespace(&client, "fault-conflict").await;
    crds_and_cluster(&client, &ns, 1).await;
    let _operator = OperatorProcess::start("conflict", &[]);
    apply(&Api::<TaskDefinition>::namespaced(client.clone(), &ns), definition("web", "nginx:1.27")).await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"taskDefinition": "web", "cluster": ns, "desiredCount": 2}
        }),
    )
    .await;
    support::wait_for(&services, "web", "steady", |s| s.status.as_ref().is_some_and(|st| st.running_count == Some(2)))
        .await;

    // Someone else scales the Deployment and swaps the image with their own field manager.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let edit = serde_json::json!({"spec": {"replicas": 7, "template": {"spec": {"containers": [{"name": "app", "image": "evil:latest"}]}}}});
    deployments
        .patch(
            "web",
            &PatchParams { field_manager: Some("someone-else".into()), ..Default::default() },
            &Patch::Strategic(&edit),
        )
        .await
        .expect("conflicting edit");

    let restored = support::wait_for(&deployments, "web", "kube-ecs restores replicas and image", |d| {
        let spec = d.spec.as_ref();
        spec.and_then(|s| s.replicas) == Some(2)
            && spec
                .and_then(|s| s.template.spec.as_ref())
                .is_some_and(|p| p.containers.iter().all(|c| c.image.as_deref() == Some("nginx:1.27")))
    })
    .await;
    // Converged: the service records the generation it left the Deployment at, so it stops writing.
    support::wait_for(&services, "web", "the operator records the restored generation", |s| {
        s.status.as_ref().and_then(|st| st.workload_generation).is_some_and(|g| Some(g) >= restored.metadata.generation)
    })
    .await;
}

#[tokio::test]
async fn a_malformed_task_does_not_stop_the_others() {
    let _serial = SERIAL.lock().await;
    let client = support::client().await;
    let ns = support::namespace(&client, "fault-malformed").await;
    crds_and_cluster(&client, &ns, 1).await;

    // Store a Task our types cannot read: loosen the CRD's schema, write it, restore the schema.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let loose = serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tasks.ecs.kube-ecs.dev"},
        "spec": {"versions": [{"name": "v1alpha1", "served": true, "storage": true,
            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    });
    let mut original = crds.get("tasks.ecs.kube-ecs.dev").await.expect("task CRD");
    original.metadata.managed_fields = None;
    original.metadata.resource_version = None;
    let mut loosened = original.clone();
    loosened.spec.versions[0].schema =
        serde_json::from_value(loose["spec"]["versions"][0]["schema"].clone()).expect("schema");
    // Selectable fields must name fields of the schema: a schema of no fields has none.
    loosened.spec.versions[0].selectable_fields = None;
    crds.replace("tasks.ecs.kube-ecs.dev", &PostParams::default(), &{
        let mut l = loosened;
        l.metadata.resource_version = crds.get("tasks.ecs.kube-ecs.dev").await.expect("crd").metadata.resource_version;
        l
    })
    .await
    .expect("loosening the schema");
    let raw: Api<kube::api::DynamicObject> =
        Api::namespaced_with(client.clone(), &ns, &kube::api::ApiResource::erase::<Task>(&()));
    let bad: kube::api::DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "malformed"},
        "spec": {"taskDefinition": 42, "cluster": ["not", "a", "string"]}
    }))
    .expect("bad task");
    // The API server may take a moment to serve the loosened schema.
    let mut stored = false;
    for _ in 0..50 {
        if raw.create(&PostParams::default(), &bad).await.is_ok() {
            stored = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(stored, "could not store the malformed task");
    kube_ecs::crd_install::install_crds(&client, "kube-ecs-tests").await.expect("restoring the CRDs");

    let _operator = OperatorProcess::start("malformed", &[]);
    apply(&Api::<TaskDefinition>::namespaced(client.clone(), &ns), definition("burst", "busybox:1.36")).await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    tasks.create(&PostParams::default(), &task("good", &ns)).await.expect("good task");
    support::wait_for(&tasks, "good", "a well-formed task runs despite the malformed one", running).await;
}
