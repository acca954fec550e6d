//! metrics-server beside the real nodes: `metrics.k8s.io` answers with real numbers from the kubelets,
//! `kubectl top` reads them, and kube-controller-manager's HPA controller computes Resource metrics
//! from them (what Service auto scaling builds on). Each test in a namespace of its own.

mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use kube_ecs::local_cluster::{METRIC_RESOLUTION, REAL_NODE_LABEL};

/// One resolution for the first scrape after the pod runs, one more in case the pod started just
/// after a scrape, and room for a loaded machine.
const METRICS_WAIT: Duration = Duration::from_secs(3 * METRIC_RESOLUTION.as_secs() + 30);

async fn setup(prefix: &str) -> (Client, String) {
    support::with_real_nodes(1);
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    (client, ns)
}

fn busybox(name: &str, labels: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "metadata": { "name": name, "labels": labels },
        "spec": {
            "nodeSelector": { REAL_NODE_LABEL: "true" },
            "terminationGracePeriodSeconds": 0,
            "containers": [{
                "name": "main", "image": "public.ecr.aws/docker/library/busybox:1.36",
                // A little memory in use (a shell holding a variable) and a little CPU now and then.
                "command": ["sh", "-c", "x=$(seq 1 20000); while true; do seq 1 2000 >/dev/null; sleep 1; done"],
                "resources": { "requests": { "cpu": "50m", "memory": "16Mi" }, "limits": { "memory": "64Mi" } },
            }],
        },
    })
}

/// The PodMetrics of `pod`: (cpu, memory) of its container, as quantities.
async fn pod_metrics(client: &Client, ns: &str, pod: &str) -> Option<(String, String)> {
    let resource = ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: "PodMetrics".into(),
        plural: "pods".into(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource);
    let metrics = api.get_opt(pod).await.ok().flatten()?;
    let usage = &metrics.data["containers"][0]["usage"];
    Some((usage["cpu"].as_str()?.to_string(), usage["memory"].as_str()?.to_string()))
}

/// A quantity other than zero (`0`, `0n`, `0Ki`, ...).
fn nonzero(quantity: &str) -> bool {
    quantity.trim_start_matches('0').chars().next().is_some_and(|c| c.is_ascii_digit())
}

#[tokio::test]
async fn a_pod_on_a_real_node_has_metrics_and_kubectl_top_shows_them() {
    let (client, ns) = setup("metrics-pod").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let pod: Pod = serde_json::from_value(busybox("busy", serde_json::json!({}))).expect("pod");
    pods.create(&PostParams::default(), &pod).await.expect("create pod");
    support::wait_for(&pods, "busy", "Running", |p| {
        p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
    })
    .await;
    let running = Instant::now();
    let deadline = running + METRICS_WAIT;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let (cpu, memory) = loop {
        ticker.tick().await;
        let metrics = pod_metrics(&client, &ns, "busy").await;
        if let Some((cpu, memory)) = &metrics
            && (nonzero(cpu) || nonzero(memory))
        {
            break (cpu.clone(), memory.clone());
        }
        assert!(Instant::now() < deadline, "no nonzero PodMetrics for {ns}/busy after {METRICS_WAIT:?}: {metrics:?}");
    };
    eprintln!("PodMetrics {ns}/busy: cpu {cpu}, memory {memory}, {:?} after Running", running.elapsed());
    assert!(nonzero(&memory), "a running shell uses memory: {memory}");

    let (ok, out, err) = support::kubectl(&["top", "pod", "busy", "-n", &ns, "--no-headers"], None);
    assert!(ok && out.starts_with("busy "), "kubectl top pod: {out}{err}");
    let (ok, out, err) =
        support::kubectl(&["top", "node", "-l", &format!("{REAL_NODE_LABEL}=true"), "--no-headers"], None);
    assert!(ok && out.starts_with("real-0 "), "kubectl top node: {out}{err}");
}

#[tokio::test]
async fn an_hpa_sees_cpu_and_memory_resource_metrics() {
    let (client, ns) = setup("metrics-hpa").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let template = busybox("", serde_json::json!({ "app": "busy" }));
    let deployment: Deployment = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "busy" },
        "spec": {
            "replicas": 1,
            "selector": { "matchLabels": { "app": "busy" } },
            "template": { "metadata": { "labels": { "app": "busy" } }, "spec": template["spec"] },
        },
    }))
    .expect("deployment");
    deployments.create(&PostParams::default(), &deployment).await.expect("create deployment");
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), &ns);
    let hpa: HorizontalPodAutoscaler = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "busy" },
        "spec": {
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "busy" },
            "minReplicas": 1, "maxReplicas": 2,
            "metrics": [
                { "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 90 } } },
                { "type": "Resource", "resource": { "name": "memory", "target": { "type": "AverageValue", "averageValue": "1Gi" } } },
            ],
        },
    }))
    .expect("hpa");
    hpas.create(&PostParams::default(), &hpa).await.expect("create hpa");
    let started = Instant::now();
    let seen = support::wait_for_within(
        &hpas,
        "busy",
        "current cpu and memory metrics",
        METRICS_WAIT + Duration::from_secs(30),
        |h| {
            let current = h.status.as_ref().and_then(|s| s.current_metrics.as_ref());
            let has = |name: &str| {
                current.is_some_and(|m| m.iter().any(|m| m.resource.as_ref().is_some_and(|r| r.name == name)))
            };
            has("cpu") && has("memory")
        },
    )
    .await;
    eprintln!("HPA {ns}/busy saw its metrics {:?} after creation: {:?}", started.elapsed(), seen.status);
    let status = seen.status.expect("status");
    let memory = status
        .current_metrics
        .unwrap_or_default()
        .into_iter()
        .find_map(|m| m.resource.filter(|r| r.name == "memory").and_then(|r| r.current.average_value))
        .expect("memory average value");
    assert!(nonzero(&memory.0), "memory in use: {}", memory.0);
    let active = status.conditions.unwrap_or_default().into_iter().find(|c| c.type_ == "ScalingActive");
    assert_eq!(active.map(|c| c.status), Some("True".to_string()));
}
