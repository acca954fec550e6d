//! ECS services on the real control plane: Deployments with ECS rollout bounds, scaling, essential
//! semantics, the circuit breaker and DAEMON services.

mod support;

use support::apply;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Pod, Service as KubeService};
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube_ecs::api::{Service, TaskDefinition};

async fn test_cluster(client: &Client, name: &str, nodes: u32) {
    support::ecs_cluster(client, name, serde_json::json!({}), nodes, ("4", "8Gi")).await;
}

fn definition(image: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
        "metadata": {"name": "web"},
        "spec": {"containerDefinitions": [
            {"name": "app", "image": image, "memory": 128, "portMappings": [{"containerPort": 8080}]}
        ]}
    })
}

fn service(cluster: &str, desired: i32, breaker: bool) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "taskDefinition": "web", "cluster": cluster, "desiredCount": desired,
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": breaker, "rollback": true}},
            "loadBalancers": [{"containerName": "app", "containerPort": 8080,
                "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc"}]
        }
    })
}

fn steady(s: &Service, td: &str, running: i32) -> bool {
    s.status.as_ref().is_some_and(|st| {
        st.task_definition.as_deref() == Some(td)
            && st.rollout_state.map(|v| v.as_str()) == Some("COMPLETED")
            && st.running_count == Some(running)
            && st.observed_generation == s.metadata.generation
    })
}

async fn setup(prefix: &str, nodes: u32) -> (Client, String) {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    test_cluster(&client, &ns, nodes).await;
    (client, ns)
}

#[tokio::test]
async fn service_runs_desired_tasks_rolls_to_revision_two_within_bounds_and_scales() {
    let (client, ns) = setup("svc-roll", 2).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, definition("nginx:1.27")).await;
    apply(&services, service(&ns, 3, false)).await;
    support::wait_for(&services, "web", "3 tasks of web:1 running, steady", |s| steady(s, "web:1", 3)).await;

    let deployment = Api::<Deployment>::namespaced(client.clone(), &ns).get("web").await.expect("deployment");
    let strategy = deployment
        .spec
        .as_ref()
        .and_then(|s| s.strategy.clone())
        .and_then(|s| s.rolling_update)
        .expect("rolling update");
    assert_eq!(strategy.max_surge, Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(3)));
    assert_eq!(strategy.max_unavailable, Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(0)));
    let kube_service =
        Api::<KubeService>::namespaced(client.clone(), &ns).get("web").await.expect("kubernetes service");
    assert_eq!(kube_service.spec.and_then(|s| s.ports).expect("ports")[0].port, 8080);

    // Watch the rollout: never more than 200% tasks, never fewer than 100% ready.
    let watcher_pods = pods.clone();
    let observer = tokio::spawn(async move {
        use futures::StreamExt;
        let mut max_total = 0usize;
        let mut min_ready = usize::MAX;
        let stream = kube::runtime::watcher(watcher_pods, Default::default());
        let mut store: std::collections::BTreeMap<String, Pod> = Default::default();
        let mut initialized = false;
        futures::pin_mut!(stream);
        while let Some(Ok(event)) = stream.next().await {
            match event {
                kube::runtime::watcher::Event::Apply(p) | kube::runtime::watcher::Event::InitApply(p) => {
                    store.insert(p.metadata.name.clone().unwrap_or_default(), p);
                }
                kube::runtime::watcher::Event::Delete(p) => {
                    store.remove(&p.metadata.name.clone().unwrap_or_default());
                }
                kube::runtime::watcher::Event::InitDone => initialized = true,
                kube::runtime::watcher::Event::Init => {}
            }
            if !initialized {
                continue;
            }
            let live: Vec<&Pod> = store.values().filter(|p| p.metadata.deletion_timestamp.is_none()).collect();
            let ready =
                live.iter().filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")).count();
            max_total = max_total.max(live.len());
            if !live.is_empty() {
                min_ready = min_ready.min(ready);
            }
            if store.values().all(|p| {
                p.metadata.labels.as_ref().and_then(|l| l.get("ecs.kube-ecs.dev/service-revision")).map(String::as_str)
                    == Some("web.2")
            }) && store.len() == 3
            {
                break;
            }
        }
        (max_total, min_ready)
    });
    apply(&definitions, definition("nginx:1.28")).await;
    let svc = support::wait_for(&services, "web", "rolled to web:2, steady", |s| steady(s, "web:2", 3)).await;
    let (max_total, min_ready) =
        tokio::time::timeout(support::WAIT, observer).await.expect("observer finished").expect("observer");
    assert!(max_total <= 6, "maximumPercent 200: at most 6 tasks, saw {max_total}");
    assert!(min_ready >= 3, "minimumHealthyPercent 100: at least 3 running, saw {min_ready}");
    let events: Vec<&str> =
        svc.status.as_ref().map(|s| s.events.iter().map(|e| e.message.as_str()).collect()).unwrap_or_default();
    assert!(events.iter().any(|m| m.contains("has reached a steady state")), "{events:?}");

    // kubectl scale goes through the scale subresource to desiredCount.
    let (ok, out, err) = support::kubectl(&["scale", "-n", &ns, "esvc/web", "--replicas=5"], None);
    assert!(ok, "kubectl scale: {out}{err}");
    support::wait_for(&services, "web", "scaled to 5 running", |s| steady(s, "web:2", 5)).await;
}

#[tokio::test]
async fn essential_exit_replaces_the_task_and_is_recorded() {
    let (client, ns) = setup("svc-essential", 2).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, definition("nginx:1.27")).await;
    apply(&services, service(&ns, 2, false)).await;
    support::wait_for(&services, "web", "2 running", |s| steady(s, "web:1", 2)).await;
    let victim = pods.list(&Default::default()).await.expect("pods").items[0].metadata.name.clone().expect("name");
    let patch = serde_json::json!({"metadata": {"annotations": {
        "sim.kube-ecs.dev/exit.app": "1", "sim.kube-ecs.dev/exit-request": "1"}}});
    pods.patch(&victim, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("simulate exit");
    let svc = support::wait_for(&services, "web", "stopped task recorded", |s| {
        s.status.as_ref().is_some_and(|st| st.stopped_tasks.iter().any(|t| t.task == victim))
    })
    .await;
    let record = svc.status.expect("status").stopped_tasks.into_iter().find(|t| t.task == victim).expect("record");
    assert_eq!(record.stop_code.as_str(), "EssentialContainerExited");
    assert_eq!(record.exit_codes, vec!["app=1".to_string()]);
    support::wait_for_list(&pods, "the task is replaced: 2 running pods, the victim gone", |list| {
        list.len() == 2
            && list.iter().all(|p| p.metadata.name.as_deref() != Some(victim.as_str()))
            && list.iter().all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    })
    .await;
}

#[tokio::test]
async fn circuit_breaker_trips_on_a_failing_revision_and_rolls_back() {
    let (client, ns) = setup("svc-breaker", 2).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, definition("nginx:1.27")).await;
    apply(&services, service(&ns, 3, true)).await;
    support::wait_for(&services, "web", "web:1 steady", |s| steady(s, "web:1", 3)).await;

    // Revision 2's image cannot be pulled: its tasks fail to start.
    apply(&definitions, definition("unreachable.invalid/web:broken")).await;
    let svc = support::wait_for(&services, "web", "breaker tripped for web:2", |s| {
        s.status.as_ref().is_some_and(|st| {
            st.deployments
                .iter()
                .any(|d| d.task_definition == "web:2" && d.rollout_state.map(|v| v.as_str()) == Some("FAILED"))
        })
    })
    .await;
    let failed = svc
        .status
        .as_ref()
        .expect("status")
        .deployments
        .iter()
        .find(|d| d.task_definition == "web:2")
        .cloned()
        .expect("deployment");
    assert!(failed.failed_tasks >= 3, "threshold for desiredCount 3 is 3: {failed:?}");
    let svc = support::wait_for(&services, "web", "rolled back to web:1, steady", |s| steady(s, "web:1", 3)).await;
    let messages: Vec<String> = svc.status.expect("status").events.into_iter().map(|e| e.message).collect();
    assert!(messages.iter().any(|m| m.contains("deployment failed")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("rolling back to web:1")), "{messages:?}");
}

#[tokio::test]
async fn daemon_service_runs_one_task_per_container_instance_and_follows_nodes() {
    let (client, ns) = setup("svc-daemon", 2).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, definition("fluent/fluent-bit:3")).await;
    let mut manifest = service(&ns, 0, false);
    manifest["spec"]["schedulingStrategy"] = "DAEMON".into();
    manifest["spec"].as_object_mut().expect("spec").remove("desiredCount");
    apply(&services, manifest).await;
    support::wait_for(&services, "web", "one task per instance (2)", |s| steady(s, "web:1", 2)).await;
    assert!(Api::<DaemonSet>::namespaced(client.clone(), &ns).get_opt("web").await.expect("get").is_some());

    kube_ecs::local_cluster::create_simulated_node(
        &client,
        &format!("{ns}-node-2"),
        &[("ecs.kube-ecs.dev/cluster", ns.as_str())],
        "4",
        "8Gi",
    )
    .await
    .expect("third node");
    support::wait_for(&services, "web", "a third instance gets a task", |s| steady(s, "web:1", 3)).await;
}

#[tokio::test]
async fn deleting_a_service_drains_and_removes_its_workload() {
    let (client, ns) = setup("svc-delete", 1).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, definition("nginx:1.27")).await;
    apply(&services, service(&ns, 2, false)).await;
    support::wait_for(&services, "web", "steady", |s| steady(s, "web:1", 2)).await;
    services.delete("web", &DeleteParams::default()).await.expect("delete");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&deployments, "the deployment is garbage-collected", |l| l.is_empty()).await;
    let kube_services: Api<KubeService> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&kube_services, "the kubernetes service is garbage-collected", |l| l.is_empty()).await;
}

/// `loadBalancers[].targetGroupArn`: without the AWS Load Balancer Controller's kind, a condition
/// says what is missing; once its CRD exists (the CRD alone: no AWS here), a TargetGroupBinding
/// binds the target group to the Service's port. The tasks drain before they are signalled.
#[tokio::test]
async fn target_groups_bind_once_the_binding_kind_exists() {
    let (client, ns) = setup("svc-tgb", 1).await;
    apply(&Api::<TaskDefinition>::namespaced(client.clone(), &ns), definition("nginx:1.27")).await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(&services, service(&ns, 1, false)).await;
    let condition = |s: &Service, status: &str| {
        s.status
            .as_ref()
            .is_some_and(|st| st.conditions.iter().any(|c| c.type_ == "TargetGroupsBound" && c.status == status))
    };
    let unbound = support::wait_for(&services, "web", "TargetGroupsBound False", |s| condition(s, "False")).await;
    let message = unbound
        .status
        .and_then(|st| st.conditions.into_iter().find(|c| c.type_ == "TargetGroupsBound"))
        .map(|c| c.message)
        .unwrap_or_default();
    assert!(message.contains("no TargetGroupBinding kind") && message.contains("AWS Load Balancer"), "{message}");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let deployment =
        support::wait_for(&deployments, &kube_ecs::service_plan::workload::workload_name("web"), "made", |_| true)
            .await;
    let pod_spec = deployment.spec.and_then(|s| s.template.spec).expect("pod spec");
    let pre_stop = pod_spec.containers[0].lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).expect("preStop");
    assert_eq!(pre_stop.sleep.as_ref().map(|s| s.seconds), Some(10), "drains before SIGTERM");

    // The CRD alone, as the AWS Load Balancer Controller's chart installs it.
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    let crd = serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "targetgroupbindings.elbv2.k8s.aws"},
        "spec": {"group": "elbv2.k8s.aws", "scope": "Namespaced",
            "names": {"kind": "TargetGroupBinding", "plural": "targetgroupbindings", "singular": "targetgroupbinding", "listKind": "TargetGroupBindingList"},
            "versions": [{"name": "v1beta1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    });
    crds.patch("targetgroupbindings.elbv2.k8s.aws", &PatchParams::apply("test-user").force(), &Patch::Apply(&crd))
        .await
        .expect("the TargetGroupBinding CRD");
    support::wait_for(&crds, "targetgroupbindings.elbv2.k8s.aws", "Established", |crd| {
        crd.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Established" && c.status == "True"))
    })
    .await;
    let resource = kube::api::ApiResource::from_gvk(&kube::core::GroupVersionKind::gvk(
        "elbv2.k8s.aws",
        "v1beta1",
        "TargetGroupBinding",
    ));
    let bindings: Api<kube::api::DynamicObject> = Api::namespaced_with(client.clone(), &ns, &resource);
    // The operator looks for the kind again once its discovery answer (a minute) expires.
    let binding =
        support::wait_for_within(&bindings, "web-tg-0", "bound", std::time::Duration::from_secs(150), |_| true).await;
    assert_eq!(binding.data["spec"]["serviceRef"], serde_json::json!({"name": "web", "port": 8080}));
    assert_eq!(
        binding.data["spec"]["targetGroupARN"],
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc"
    );
    assert_eq!(binding.metadata.owner_references.as_ref().map(|o| o[0].kind.as_str()), Some("Service"));
    support::wait_for(&services, "web", "TargetGroupsBound True", |s| condition(s, "True")).await;
    crds.delete("targetgroupbindings.elbv2.k8s.aws", &DeleteParams::default()).await.expect("CRD deleted");
}
