//! The local control plane is a real Kubernetes: controllers, scheduler, garbage collection, kubectl
//! and helm all work against it.

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};

fn deployment(name: &str, replicas: i32) -> Deployment {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
            }
        }
    }))
    .expect("deployment manifest")
}

fn running_on_kwok(pods: &[Pod], nodes: &[String]) -> usize {
    pods.iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some_and(|n| nodes.contains(n)))
        .count()
}

#[tokio::test]
async fn deployment_runs_three_pods_on_kwok_nodes_and_gc_removes_them() {
    let client = support::client().await;
    let ns = support::namespace(&client, "cp-deploy").await;
    let kwok_nodes: Vec<String> = Api::<Node>::all(client.clone())
        .list(&ListParams::default().labels("type=kwok"))
        .await
        .expect("listing nodes")
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert!(kwok_nodes.len() >= support::GENERIC_NODES as usize, "kwok nodes: {kwok_nodes:?}");

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    deployments.create(&PostParams::default(), &deployment("web", 3)).await.expect("creating the deployment");
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&pods, "3 pods Running on kwok nodes", |list| running_on_kwok(list, &kwok_nodes) == 3).await;

    deployments.delete("web", &DeleteParams::background()).await.expect("deleting the deployment");
    support::wait_for_list(&pods, "garbage collection deletes the deployment's pods", |list| list.is_empty()).await;
}

#[tokio::test]
async fn pod_larger_than_any_node_stays_pending_unschedulable() {
    let client = support::client().await;
    let ns = support::namespace(&client, "cp-unsched").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "huge"},
        "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "1000"}}}]}
    }))
    .expect("pod manifest");
    pods.create(&PostParams::default(), &pod).await.expect("creating the pod");
    let pod = support::wait_for(&pods, "huge", "PodScheduled=False with reason Unschedulable", |p| {
        p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable")
            })
        })
    })
    .await;
    assert_eq!(pod.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
}

#[tokio::test]
async fn kubectl_apply_and_helm_work_against_the_cluster() {
    let client = support::client().await;
    let ns = support::namespace(&client, "cp-tools").await;
    let manifest =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: {ns}\ndata:\n  k: v\n");
    let (ok, out, err) = support::kubectl(&["apply", "-f", "-"], Some(&manifest));
    assert!(ok, "kubectl apply failed: {out}{err}");
    let (ok, out, err) = support::kubectl(&["apply", "--server-side", "-f", "-"], Some(&manifest));
    assert!(ok, "kubectl apply --server-side failed: {out}{err}");
    let cm = Api::<ConfigMap>::namespaced(client.clone(), &ns).get("applied").await.expect("applied ConfigMap exists");
    assert_eq!(cm.data.and_then(|d| d.get("k").cloned()).as_deref(), Some("v"));

    let (ok, out, err) = support::helm(&["version", "--short"]);
    assert!(ok && out.starts_with("v3."), "helm version: {out}{err}");
    let (ok, out, err) = support::helm(&["list", "--namespace", &ns]);
    assert!(ok, "helm list against the cluster failed: {out}{err}");
}
