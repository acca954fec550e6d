//! RunTask through the ECS API vs the same Tasks applied directly, on one operator at the mode's
//! budget: time to Running, tasks per second, and request latency (a RunTask of 10 against one
//! Task create). Both sides send with the same concurrency.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube_ecs::api::ecs::TaskLifecycle;
use kube_ecs::api::{Task, TaskDefinition};
use kube_ecs::ecs_api::client::{self, Signer};

use super::{CLUSTER, Row, mode_row, namespace, until};

/// The namespace of the benchmark's access key (the operator is started with it).
pub const KEYS_NAMESPACE: &str = "bench-keys";
/// The ECS API's default region, which the bench's keys sign for.
pub(crate) const REGION: &str = "us-east-1";
const API_USER: &str = "kube-ecs-bench-api";
/// Requests (or creates) in flight at once, on both sides.
const IN_FLIGHT: usize = 8;

pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    Some(sorted[rank.min(sorted.len() - 1)])
}

pub(crate) async fn definition(client: &Client, ns: &str) -> Result<()> {
    namespace(client, ns).await?;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    let td = serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "bench"},
        "spec": {"containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 32}]}});
    definitions.patch("bench", &PatchParams::apply("bench"), &Patch::Apply(&td)).await?;
    until(&definitions, &ListParams::default(), |l| {
        l.iter().any(|t| t.status.as_ref().and_then(|s| s.revision).is_some())
    })
    .await
}

async fn all_running(client: &Client, ns: &str, n: usize) -> Result<()> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let tasks: Api<Task> = Api::namespaced(client.clone(), ns);
    super::until_pods_started(&pods, n).await?;
    until(&tasks, &ListParams::default(), |l| {
        l.iter().filter(|t| t.status.as_ref().and_then(|s| s.last_status) == Some(TaskLifecycle::Running)).count() == n
    })
    .await
}

/// Creates the namespace of the access keys, before the operator starts: with ECR on, the operator
/// keeps its token key there and stops if the namespace is missing (as an install creates it first).
pub(crate) async fn keys_namespace(client: &Client) -> Result<()> {
    let namespace = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": KEYS_NAMESPACE}});
    Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
        .patch(KEYS_NAMESPACE, &PatchParams::apply("bench"), &Patch::Apply(&namespace))
        .await?;
    Ok(())
}

/// A key `id` (16 or more letters and digits) for a cluster-admin identity whose objects go to `ns`;
/// returns (id, secret) once the endpoint answers to it. Each phase has its own key: the endpoint
/// caches keys, so moving one key to another namespace would race that cache.
pub(crate) async fn key(client: &Client, host: &str, ns: &str, id: &str) -> Result<(String, String)> {
    let params = PatchParams::apply("bench").force();
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": API_USER},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": API_USER}],
    });
    Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(client.clone())
        .patch(API_USER, &params, &Patch::Apply(&binding))
        .await?;
    let (id, secret) = (id.to_string(), format!("bench-secret-access-key-{id}"));
    let name = format!("bench-key-{}", id.to_ascii_lowercase());
    let key = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": KEYS_NAMESPACE},
        "type": kube_ecs::ecs_api::keys::SECRET_TYPE,
        "stringData": {"accessKeyId": id, "secretAccessKey": secret, "username": API_USER, "namespace": ns},
    });
    Api::<Secret>::namespaced(client.clone(), KEYS_NAMESPACE).patch(&name, &params, &Patch::Apply(&key)).await?;
    let signer = Signer { access_key_id: &id, secret_access_key: &secret, region: REGION };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = client::call(host, signer, "ListClusters", &serde_json::json!({})).await;
        if let Ok((200, _)) = answer {
            return Ok((id, secret));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the operator's ECS API never accepted the bench key {id}: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn run(n: usize, mode: &str, client: &Client, api_port: u16) -> Result<Vec<Row>> {
    let host = format!("127.0.0.1:{api_port}");
    let (api_ns, direct_ns) = ("api-tasks", "api-direct");
    definition(client, api_ns).await?;
    definition(client, direct_ns).await?;
    let (id, secret) = key(client, &host, api_ns, "AKIABENCHMARKKEY0001").await?;
    let signer = Signer { access_key_id: &id, secret_access_key: &secret, region: REGION };

    // Through the API: RunTask count 10 (ECS's maximum per call).
    let counts: Vec<usize> = (0..n.div_ceil(10)).map(|i| (n - i * 10).min(10)).collect();
    let start = Instant::now();
    let mut api_latency: Vec<f64> = futures::stream::iter(counts)
        .map(|count| {
            let host = host.clone();
            async move {
                let sent = Instant::now();
                let input = serde_json::json!({"cluster": CLUSTER, "taskDefinition": "bench", "count": count});
                let (status, body) = client::call(&host, signer, "RunTask", &input).await?;
                anyhow::ensure!(
                    status == 200 && body["tasks"].as_array().map(Vec::len) == Some(count),
                    "RunTask answered {status}: {body}"
                );
                Ok(sent.elapsed().as_secs_f64() * 1000.0)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<Result<f64>>>()
        .await
        .into_iter()
        .collect::<Result<_>>()
        .context("RunTask through the ECS API")?;
    all_running(client, api_ns, n).await?;
    let api_time = start.elapsed().as_secs_f64();

    // Applied directly: one create per Task, as kubectl or a GitOps tool would.
    let tasks: Api<Task> = Api::namespaced(client.clone(), direct_ns);
    let start = Instant::now();
    let mut direct_latency: Vec<f64> = futures::stream::iter(0..n)
        .map(|i| {
            let tasks = tasks.clone();
            async move {
                let task: Task = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": format!("t-{i:05}")}, "spec": {"taskDefinition": "bench", "cluster": CLUSTER}
                }))?;
                let sent = Instant::now();
                tasks.create(&PostParams::default(), &task).await?;
                Ok(sent.elapsed().as_secs_f64() * 1000.0)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<Result<f64>>>()
        .await
        .into_iter()
        .collect::<Result<_>>()
        .context("creating Tasks directly")?;
    all_running(client, direct_ns, n).await?;
    let direct_time = start.elapsed().as_secs_f64();

    api_latency.sort_by(f64::total_cmp);
    direct_latency.sort_by(f64::total_cmp);
    let row = |measure: &str, ours: Option<f64>, peer: Option<f64>| mode_row(mode, measure, ours, peer);
    Ok(vec![
        row(&format!("{n} Tasks: RunTask (API) vs applied, to Running (s)"), Some(api_time), Some(direct_time)),
        row("tasks/s: RunTask (API) vs applied", Some(n as f64 / api_time), Some(n as f64 / direct_time)),
        row(
            "p50 ms: RunTask of 10 vs one Task create",
            percentile(&api_latency, 50.0),
            percentile(&direct_latency, 50.0),
        ),
        row(
            "p99 ms: RunTask of 10 vs one Task create",
            percentile(&api_latency, 99.0),
            percentile(&direct_latency, 99.0),
        ),
    ])
}
