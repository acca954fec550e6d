//! Argo CD for real (issue 39): application-controller and repo-server (v3.6.2, built from the Go
//! module proxy) sync kube-ecs's CRDs and an EcsCluster, TaskDefinitions, a Service and a batch Task
//! from a Git repository to real nodes, read their health with the checks the project ships
//! (deploy/argocd), and stay in sync while the operator works. The operator under test starts before
//! its CRDs exist, as on a fresh cluster: Argo CD installs them from Git in the same sync.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::runtime::watcher;
use kube_ecs::api::{Service, Task, TaskDefinition};
use support::gitops::{
    GitRepo, app_state, applications, definition_with_image, definition_yaml, primary, seed, worker_script,
};

/// Syncing CRDs, a cluster, definitions, two real tasks of a service and a batch task on 2 busy cores.
const SYNC: Duration = Duration::from_secs(240);
/// How long the Application must stay Synced while the operator works.
const QUIET: Duration = Duration::from_secs(60);

fn application(name: &str, repo: &GitRepo, ns: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": support::gitops::argocd().namespace()},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.file_url(), "targetRevision": "main", "path": ".",
                "directory": {"recurse": true}},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": ns},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
        },
    })
}

/// Asks Argo CD to compare with Git now (what a push webhook does).
async fn refresh(apps: &Api<DynamicObject>, name: &str) {
    let patch = serde_json::json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}});
    apps.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("requesting a refresh");
}

async fn wait_app(
    apps: &Api<DynamicObject>,
    name: &str,
    what: &str,
    timeout: Duration,
    check: impl Fn(&DynamicObject) -> bool,
) -> DynamicObject {
    support::wait_for_within(apps, name, what, timeout, check).await
}

fn synced_healthy_at(app: &DynamicObject, revision: &str) -> bool {
    let (sync, health) = app_state(app);
    sync == "Synced" && health == "Healthy" && app.data["status"]["sync"]["revision"].as_str() == Some(revision)
}

fn operation_started(app: &DynamicObject) -> String {
    app.data["status"]["operationState"]["startedAt"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn argocd_syncs_kube_ecs_from_git_reads_its_health_and_stays_in_sync() {
    support::with_real_nodes(1);
    support::operator::start_before_crds();
    let client = support::client().await;
    let ns = support::namespace(&client, "argocd").await;
    let apps = applications(&client);
    let repo = GitRepo::new(&ns);
    seed(&repo, &ns);
    let first = repo.push("kube-ecs CRDs, a cluster, a service and a batch task");

    // 1. One sync applies the CRDs, then (wave 1) the cluster and definitions, then (wave 2) what uses
    // them; Healthy only once the service is steady and the batch task has run.
    let flow = Instant::now();
    support::apply(&apps, application(&ns, &repo, &ns)).await;
    let app =
        wait_app(&apps, &ns, "Synced and Healthy at the first commit", SYNC, |a| synced_healthy_at(a, &first)).await;
    eprintln!("Synced and Healthy {:.1?} after the Application was created", flow.elapsed());
    let operation = &app.data["status"]["operationState"];
    assert_eq!(operation["phase"], "Succeeded", "the first sync: {operation:#}");
    assert!(operation["retryCount"].as_i64().unwrap_or(0) == 0, "CRDs and objects in one pass: {operation:#}");
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let web = services.get("web").await.expect("the service");
    let steady = web.status.as_ref().expect("service status");
    assert_eq!(
        (steady.running_count, primary(&web)["rolloutState"].as_str()),
        (Some(2), Some("COMPLETED")),
        "{steady:?}"
    );
    // The batch task has run: RUNNING (Healthy, as a long-running task would be) or already done.
    let report = tasks.get("report").await.expect("the task");
    let task_status = serde_json::to_value(report.status.as_ref()).unwrap_or_default();
    assert!(
        task_status["lastStatus"] == "RUNNING"
            || (task_status["lastStatus"] == "STOPPED" && task_status["containers"][0]["exitCode"] == 0),
        "{task_status:#}"
    );
    support::wait_for_within(&tasks, "report", "STOPPED with exit code 0", SYNC, |t| {
        let s = serde_json::to_value(t.status.as_ref()).unwrap_or_default();
        s["lastStatus"] == "STOPPED" && s["containers"][0]["exitCode"] == 0
    })
    .await;
    let done = wait_app(&apps, &ns, "the completed task Healthy", SYNC, |a| {
        a.data["status"]["resources"].as_array().into_iter().flatten().any(|r| {
            r["kind"] == "Task"
                && r["health"]["status"] == "Healthy"
                && r["health"]["message"].as_str().is_some_and(|m| m.starts_with("task completed"))
        })
    })
    .await;
    assert_eq!(app_state(&done), ("Synced".to_string(), "Healthy".to_string()));
    // Wave order: the service was created only after its definition was registered.
    let definition = definitions.get("web").await.expect("the definition");
    let registered =
        serde_json::to_value(definition.status.as_ref()).unwrap_or_default()["revisions"][0]["registeredAt"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    let created = serde_json::to_value(&web.metadata.creation_timestamp).unwrap_or_default();
    assert!(
        created.as_str().unwrap_or_default() >= registered.as_str(),
        "the service ({created}) was created before its definition was registered ({registered})"
    );

    // 2. A minute of operator activity (status writes, finalizers, the task's retention) without a
    // diff: never OutOfSync, and no sync started (self-heal would hide a diff by re-applying).
    let started = operation_started(&app);
    let quiet = async {
        let stream = watcher::watch_object(apps.clone(), &ns);
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            if let Ok(Some(app)) = event {
                let (sync, health) = app_state(&app);
                assert!(
                    sync == "Synced" && health == "Healthy" && operation_started(&app) == started,
                    "the Application left Synced/Healthy or synced again while nothing changed in Git: {:#}",
                    app.data["status"]
                );
            }
        }
    };
    assert!(tokio::time::timeout(QUIET, quiet).await.is_err(), "the Application watch ended");
    eprintln!("stayed Synced and Healthy for {QUIET:?}");

    // 3. Drift: a change made with kubectl goes back to Git's value (self-heal).
    let (ok, _, err) = support::kubectl(
        &[
            "-n",
            &ns,
            "patch",
            "services.ecs.kube-ecs.dev",
            "web",
            "--type=merge",
            "-p",
            r#"{"spec":{"desiredCount":1}}"#,
        ],
        None,
    );
    assert!(ok, "kubectl patch: {err}");
    let healed = Instant::now();
    support::wait_for_within(&services, "web", "desiredCount back to Git's 2", Duration::from_secs(60), |s| {
        s.spec.desired_count == Some(2)
    })
    .await;
    eprintln!("drift corrected in {:.1?}", healed.elapsed());

    // 4. A change pushed to Git rolls the service to a new revision.
    repo.write("ecs/web-definition.yaml", &definition_yaml("web", &worker_script(2)));
    let second = repo.push("web: version 2");
    refresh(&apps, &ns).await;
    let rolled = Instant::now();
    support::wait_for_within(&services, "web", "rolled to web:2", SYNC, |s| {
        let p = primary(s);
        p["taskDefinition"] == "web:2" && p["rolloutState"] == "COMPLETED" && p["runningCount"] == 2
    })
    .await;
    wait_app(&apps, &ns, "Synced and Healthy at the second commit", SYNC, |a| synced_healthy_at(a, &second)).await;
    eprintln!("rolled to web:2 in {:.1?}", rolled.elapsed());

    // 5. A bad revision (an image that cannot be pulled: its tasks never start) trips the circuit
    // breaker: the Service is Degraded and so is the Application.
    repo.write(
        "ecs/web-definition.yaml",
        &definition_with_image("web", "unreachable.invalid/web:broken", &worker_script(9)),
    );
    let bad = repo.push("web: a broken revision");
    refresh(&apps, &ns).await;
    let failing = Instant::now();
    let degraded = wait_app(&apps, &ns, "Degraded at the broken commit", SYNC, |a| {
        let (sync, health) = app_state(a);
        sync == "Synced" && health == "Degraded" && a.data["status"]["sync"]["revision"].as_str() == Some(&bad)
    })
    .await;
    let resources = degraded.data["status"]["resources"].as_array().cloned().unwrap_or_default();
    let service = resources.iter().find(|r| r["kind"] == "Service" && r["group"] == "ecs.kube-ecs.dev");
    assert_eq!(service.map(|r| r["health"]["status"].clone()), Some("Degraded".into()), "{resources:#?}");
    eprintln!("Degraded {:.1?} after the broken revision was pushed", failing.elapsed());

    // 6. The fix pushed to Git makes it Healthy again.
    repo.write("ecs/web-definition.yaml", &definition_yaml("web", &worker_script(3)));
    let fixed = repo.push("web: version 3");
    refresh(&apps, &ns).await;
    wait_app(&apps, &ns, "Synced and Healthy at the fix", SYNC, |a| synced_healthy_at(a, &fixed)).await;

    // 7. Pruning: what Git no longer has goes.
    repo.remove("ecs/report-task.yaml");
    let pruned_at = repo.push("the batch task is done");
    refresh(&apps, &ns).await;
    wait_app(&apps, &ns, "Synced after the prune", SYNC, |a| synced_healthy_at(a, &pruned_at)).await;
    support::wait_for_list(&tasks, "the pruned task deleted", |list| {
        list.iter().all(|t| t.metadata.name.as_deref() != Some("report"))
    })
    .await;
    // No cascade (the Application has no resources finalizer): the objects stay for a look.
    let _ = apps.delete(&ns, &Default::default()).await;
}
