//! GitOps health on real status objects from the operator: Argo CD's view (the shipped Lua health
//! scripts, run with Argo CD's Lua runtime) and Flux's (the real kstatus library), both through
//! tools/gitops built from the Go module proxy.

mod support;

use support::apply;

use std::path::PathBuf;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use kube_ecs::api::{EcsCluster, ScheduledTask, Service, Task, TaskDefinition};

fn checker() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(path) = std::env::var("KUBE_ECS_GITOPS_CHECK") {
            return PathBuf::from(path);
        }
        let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/hack/build-gitops-check.sh"))
            .output()
            .expect("building the gitops checker");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().expect("path").trim())
    })
    .clone()
}

/// (Argo CD health, kstatus status) of `object` with the Lua script `health-<script_name>.lua`.
fn health(script_name: &str, object: &impl serde::Serialize) -> (String, String) {
    use std::io::Write;
    let script = format!("{}/deploy/argocd/health-{script_name}.lua", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new(checker())
        .args(["--lua", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running the checker");
    let json = serde_json::to_vec(object).expect("json");
    child.stdin.take().expect("stdin").write_all(&json).expect("writing the object");
    let out = child.wait_with_output().expect("checker output");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).expect("checker json");
    (
        verdict["argo"]["status"].as_str().unwrap_or_default().into(),
        verdict["kstatus"]["status"].as_str().unwrap_or_default().into(),
    )
}

async fn setup(prefix: &str) -> (Client, String) {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    apply(
        &Api::<EcsCluster>::all(client.clone()),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": ns},
            "spec": {"nodePools": [{"name": "od", "provider": "simulated", "instanceType": "m5.xlarge", "instances": 2}]}}),
    )
    .await;
    for (name, image) in [("web", "nginx:1.27"), ("broken", "unreachable.invalid/app:1")] {
        apply(
            &Api::<TaskDefinition>::namespaced(client.clone(), &ns),
            serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": name},
                "spec": {"containerDefinitions": [{"name": "app", "image": image, "memory": 64}]}}),
        )
        .await;
    }
    (client, ns)
}

fn service_manifest(name: &str, ns: &str, definition: &str, count: i32) -> serde_json::Value {
    serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": name},
        "spec": {"taskDefinition": definition, "cluster": ns, "desiredCount": count,
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": false}}}})
}

fn last_status(t: &Task) -> Option<&str> {
    t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str()))
}

#[tokio::test]
async fn clusters_definitions_and_services_are_healthy_suspended_or_degraded() {
    let (client, ns) = setup("gitops-svc").await;
    let clusters: Api<EcsCluster> = Api::all(client.clone());
    let cluster = support::wait_for(&clusters, &ns, "ACTIVE", |c| {
        c.status.as_ref().and_then(|s| s.status.map(|v| v.as_str())) == Some("ACTIVE")
    })
    .await;
    assert_eq!(health("ecsclusters", &cluster), ("Healthy".into(), "Current".into()));
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let td =
        support::wait_for(&definitions, "web", "registered", |t| t.status.as_ref().and_then(|s| s.revision) == Some(1))
            .await;
    assert_eq!(health("taskdefinitions", &td), ("Healthy".into(), "Current".into()));

    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(&services, service_manifest("web", &ns, "web", 2)).await;
    let steady = support::wait_for(&services, "web", "steady", |s| {
        s.status.as_ref().is_some_and(|st| {
            st.running_count == Some(2) && st.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
        })
    })
    .await;
    assert_eq!(health("services", &steady), ("Healthy".into(), "Current".into()));
    // A new revision: the rollout in progress is InProgress for kstatus, Progressing for Argo CD.
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "web"},
            "spec": {"containerDefinitions": [{"name": "app", "image": "nginx:1.28", "memory": 64}]}}),
    )
    .await;
    let rolling = support::wait_for(&services, "web", "rolling out revision 2", |s| {
        s.status.as_ref().is_some_and(|st| st.conditions.iter().any(|c| c.type_ == "Reconciling" && c.status == "True"))
    })
    .await;
    assert_eq!(health("services", &rolling), ("Progressing".into(), "InProgress".into()));
    let steady = support::wait_for(&services, "web", "steady on revision 2", |s| {
        s.status.as_ref().is_some_and(|st| {
            st.task_definition.as_deref() == Some("web:2")
                && st.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
        })
    })
    .await;
    assert_eq!(health("services", &steady), ("Healthy".into(), "Current".into()));
    // The same object before the operator has seen its latest generation.
    let mut unobserved = steady.clone();
    unobserved.metadata.generation = unobserved.metadata.generation.map(|g| g + 1);
    assert_eq!(health("services", &unobserved), ("Progressing".into(), "InProgress".into()));

    apply(&services, service_manifest("idle", &ns, "web", 0)).await;
    let idle = support::wait_for(&services, "idle", "observed", |s| {
        s.status
            .as_ref()
            .is_some_and(|st| st.observed_generation == s.metadata.generation && !st.deployments.is_empty())
    })
    .await;
    assert_eq!(health("services", &idle).0, "Suspended");

    apply(&services, service_manifest("failing", &ns, "broken", 3)).await;
    let failed = support::wait_for_within(
        &services,
        "failing",
        "circuit breaker tripped",
        std::time::Duration::from_secs(120),
        |s| {
            s.status.as_ref().is_some_and(|st| st.conditions.iter().any(|c| c.type_ == "Stalled" && c.status == "True"))
        },
    )
    .await;
    assert_eq!(health("services", &failed), ("Degraded".into(), "Failed".into()));
}

#[tokio::test]
async fn tasks_are_healthy_running_or_completed_and_degraded_when_they_fail() {
    let (client, ns) = setup("gitops-task").await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let task = |name: &str, definition: &str| {
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": name},
            "spec": {"taskDefinition": definition, "cluster": ns}})
    };
    for name in ["ok", "crash"] {
        apply(&tasks, task(name, "web")).await;
    }
    apply(&tasks, task("unpullable", "broken")).await;
    let running = support::wait_for(&tasks, "ok", "RUNNING", |t| last_status(t) == Some("RUNNING")).await;
    assert_eq!(health("tasks", &running), ("Healthy".into(), "Current".into()));

    support::wait_for(&tasks, "crash", "RUNNING", |t| last_status(t) == Some("RUNNING")).await;
    for (pod, code) in [("ok", 0), ("crash", 1)] {
        let exit = serde_json::json!({"metadata": {"annotations": {
            "sim.kube-ecs.dev/exit.app": code.to_string(), "sim.kube-ecs.dev/exit-request": format!("app-{code}")}}});
        pods.patch(pod, &PatchParams::default(), &Patch::Merge(&exit)).await.expect("simulating an exit");
    }
    let completed = support::wait_for(&tasks, "ok", "STOPPED", |t| last_status(t) == Some("STOPPED")).await;
    assert_eq!(health("tasks", &completed), ("Healthy".into(), "Current".into()), "exit 0 of the essential container");
    let crashed = support::wait_for(&tasks, "crash", "STOPPED", |t| last_status(t) == Some("STOPPED")).await;
    assert_eq!(health("tasks", &crashed), ("Degraded".into(), "Failed".into()), "exit 1 of the essential container");
    let unpullable = support::wait_for(&tasks, "unpullable", "STOPPED", |t| last_status(t) == Some("STOPPED")).await;
    assert_eq!(health("tasks", &unpullable), ("Degraded".into(), "Failed".into()));
}

#[tokio::test]
async fn schedules_are_healthy_suspended_or_degraded() {
    let (client, ns) = setup("gitops-sched").await;
    let schedules: Api<ScheduledTask> = Api::namespaced(client.clone(), &ns);
    let manifest = |name: &str, expression: &str, state: &str| {
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "ScheduledTask", "metadata": {"name": name},
            "spec": {"scheduleExpression": expression, "state": state, "target": {"taskDefinition": "web", "cluster": ns}}})
    };
    let ready = |s: &ScheduledTask| {
        s.status.as_ref().is_some_and(|st| {
            st.observed_generation == s.metadata.generation && st.conditions.iter().any(|c| c.type_ == "Ready")
        })
    };
    apply(&schedules, manifest("nightly", "cron(0 2 * * ? *)", "ENABLED")).await;
    let enabled = support::wait_for(&schedules, "nightly", "Ready", ready).await;
    assert_eq!(health("scheduledtasks", &enabled), ("Healthy".into(), "Current".into()));
    apply(&schedules, manifest("nightly", "cron(0 2 * * ? *)", "DISABLED")).await;
    let disabled = support::wait_for(&schedules, "nightly", "DISABLED", |s| {
        ready(s) && s.status.as_ref().and_then(|st| st.state.as_deref()) == Some("DISABLED")
    })
    .await;
    assert_eq!(health("scheduledtasks", &disabled), ("Suspended".into(), "Current".into()));
    // Well-formed (CEL passes) but both day fields set: refused by the operator.
    apply(&schedules, manifest("invalid", "cron(0 2 * * * *)", "ENABLED")).await;
    let invalid = support::wait_for(&schedules, "invalid", "refused", ready).await;
    assert_eq!(health("scheduledtasks", &invalid), ("Degraded".into(), "Failed".into()));
}

#[test]
fn the_argocd_config_patch_embeds_the_current_scripts() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/argocd");
    let patch = std::fs::read_to_string(format!("{dir}/argocd-cm-patch.yaml")).expect("patch");
    for script_name in ["ecsclusters", "taskdefinitions", "tasks", "services", "scheduledtasks", "cloudmap"] {
        let script = std::fs::read_to_string(format!("{dir}/health-{script_name}.lua")).expect("script");
        let indented: String =
            script.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") }).collect();
        assert!(
            patch.contains(&indented),
            "argocd-cm-patch.yaml is stale for {script_name}: run deploy/argocd/render-cm-patch.sh"
        );
    }
}

#[test]
fn cloud_map_objects_are_healthy_once_ready_and_degraded_when_stalled() {
    let object = |kind: &str, conditions: serde_json::Value, observed: i64| {
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": kind,
            "metadata": {"name": "corp", "namespace": "team", "generation": 1},
            "spec": {"name": "corp.local", "namespaceId": "corp"},
            "status": {"observedGeneration": observed, "conditions": conditions}})
    };
    let condition = |type_: &str, status: &str| {
        serde_json::json!({"type": type_, "status": status, "reason": "R", "message": "m",
            "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1})
    };
    for kind in ["DiscoveryNamespace", "DiscoveryService"] {
        let ready = object(kind, serde_json::json!([condition("Ready", "True")]), 1);
        assert_eq!(health("cloudmap", &ready), ("Healthy".into(), "Current".into()), "{kind}");
        let stalled = object(kind, serde_json::json!([condition("Ready", "False"), condition("Stalled", "True")]), 1);
        assert_eq!(health("cloudmap", &stalled), ("Degraded".into(), "Failed".into()), "{kind}");
        let unobserved = object(kind, serde_json::json!([]), 0);
        assert_eq!(health("cloudmap", &unobserved), ("Progressing".into(), "InProgress".into()), "{kind}");
    }
}
