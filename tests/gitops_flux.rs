//! Flux for real (issue 39): source-controller and kustomize-controller (v1.9.6, built from the Go
//! module proxy) apply kube-ecs's CRDs and an EcsCluster, TaskDefinitions, a Service and a batch Task
//! from an OCI artifact (the repository's tree, as `flux push artifact` makes) in the local registry
//! to real nodes. A Kustomization with `wait: true` is Ready only once kstatus finds every object
//! Current, goes not-Ready on a failed rollout, stays in sync while the operator works, and puts back
//! what kubectl changed. The operator under test starts before its CRDs exist: Flux installs them.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::runtime::watcher;
use kube_ecs::api::{EcsCluster, Service, Task, TaskDefinition};
use kube_ecs::local_cluster::gitops::flux::NAMESPACE;
use support::gitops::{
    GitRepo, condition, definition_with_image, definition_yaml, flux_resource, primary, seed, worker_script,
};

/// Applying CRDs, a cluster, definitions, two real tasks of a service and a batch task on 2 busy cores.
const APPLY: Duration = Duration::from_secs(240);
/// How long the Kustomization must stay Ready and unchanged while the operator works.
const QUIET: Duration = Duration::from_secs(60);

fn kustomizations(client: &kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(
        client.clone(),
        NAMESPACE,
        &flux_resource("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations"),
    )
}

fn sources(client: &kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(
        client.clone(),
        NAMESPACE,
        &flux_resource("source.toolkit.fluxcd.io", "OCIRepository", "ocirepositories"),
    )
}

fn ready(k: &DynamicObject) -> bool {
    condition(k, "Ready").0 == "True" && k.data["status"]["observedGeneration"].as_i64() == k.metadata.generation
}

/// Ready at the artifact built from `commit` (the artifact's revision is `<tag>@sha256:<digest>`, so
/// the source's own status tells which artifact is current).
async fn wait_ready_at(
    client: &kube::Client,
    name: &str,
    what: &str,
    timeout: Duration,
    digest: &str,
) -> DynamicObject {
    support::wait_for_within(&kustomizations(client), name, what, timeout, |k| {
        ready(k) && k.data["status"]["lastAppliedRevision"].as_str().is_some_and(|r| r.ends_with(digest))
    })
    .await
}

/// The digest the registry holds for `reference` now.
fn digest(reference: &str) -> String {
    let crane = support::cluster().tools_bin().join("crane");
    let output = std::process::Command::new(crane).args(["digest", reference]).output().expect("running crane");
    assert!(output.status.success(), "crane digest: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Asks source-controller and kustomize-controller to reconcile now (what `flux reconcile` does).
async fn reconcile_now(client: &kube::Client, name: &str) {
    let at = format!("{:?}", Instant::now());
    let patch = serde_json::json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": at}}});
    for api in [sources(client), kustomizations(client)] {
        api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("requesting a reconcile");
    }
}

/// metadata.generation of the ECS objects in `ns` (and of its cluster), by kind and name.
async fn generations(client: &kube::Client, ns: &str) -> Vec<(String, Option<i64>)> {
    let mut out = Vec::new();
    for s in Api::<Service>::namespaced(client.clone(), ns).list(&Default::default()).await.expect("services").items {
        out.push((format!("Service/{}", s.metadata.name.unwrap_or_default()), s.metadata.generation));
    }
    for d in Api::<TaskDefinition>::namespaced(client.clone(), ns)
        .list(&Default::default())
        .await
        .expect("definitions")
        .items
    {
        out.push((format!("TaskDefinition/{}", d.metadata.name.unwrap_or_default()), d.metadata.generation));
    }
    for t in Api::<Task>::namespaced(client.clone(), ns).list(&Default::default()).await.expect("tasks").items {
        out.push((format!("Task/{}", t.metadata.name.unwrap_or_default()), t.metadata.generation));
    }
    let cluster = Api::<EcsCluster>::all(client.clone()).get(ns).await.expect("the cluster");
    out.push((format!("EcsCluster/{ns}"), cluster.metadata.generation));
    out
}

#[tokio::test]
async fn flux_applies_kube_ecs_waits_on_kstatus_and_stays_in_sync() {
    support::with_real_nodes(1);
    support::operator::start_before_crds();
    let client = support::client().await;
    support::gitops::flux();
    let ns = support::namespace(&client, "flux").await;
    let registry =
        support::cluster().public_registry().expect("the local public registry (real nodes)").address().to_string();
    let reference = format!("{registry}/gitops/{ns}:latest");
    let repo = GitRepo::new(&ns);
    seed(&repo, &ns);
    repo.push_oci("kube-ecs CRDs, a cluster, a service and a batch task", &reference);
    let first = digest(&reference);

    let flow = Instant::now();
    support::apply(
        &sources(&client),
        serde_json::json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
            "metadata": {"name": ns, "namespace": NAMESPACE},
            "spec": {"interval": "10s", "url": format!("oci://{registry}/gitops/{ns}"), "ref": {"tag": "latest"},
                "insecure": true,
                "layerSelector": {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "operation": "extract"}}}),
    )
    .await;
    support::apply(
        &kustomizations(&client),
        serde_json::json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": ns, "namespace": NAMESPACE},
            "spec": {"interval": "10s", "sourceRef": {"kind": "OCIRepository", "name": ns}, "path": "./",
                "targetNamespace": ns, "prune": true, "wait": true, "timeout": "3m"}}),
    )
    .await;

    // 1. Ready only once kstatus finds everything Current: the service steady, the task run.
    wait_ready_at(&client, &ns, "Ready at the first artifact", APPLY, &first).await;
    eprintln!("Ready {:.1?} after the Kustomization was created", flow.elapsed());
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let web = services.get("web").await.expect("the service");
    let steady = web.status.as_ref().expect("service status");
    assert_eq!(
        (steady.running_count, primary(&web)["rolloutState"].as_str()),
        (Some(2), Some("COMPLETED")),
        "{steady:?}"
    );
    let report = serde_json::to_value(tasks.get("report").await.expect("the task").status).unwrap_or_default();
    assert!(
        report["lastStatus"] == "RUNNING"
            || (report["lastStatus"] == "STOPPED" && report["containers"][0]["exitCode"] == 0),
        "{report:#}"
    );

    // 2. A minute of operator activity: every reconcile (one per 10 s interval; Ready is Unknown while
    // one runs, as with any Flux object) ends Ready at the same artifact, and nothing is re-applied:
    // the objects' generations stay and kustomize-controller reports no object configured (its
    // dry-run finds no drift in what the operator writes).
    let before_generations = generations(&client, &ns).await;
    let reconciled = |k: &DynamicObject| k.data["status"]["history"][0]["totalReconciliations"].as_i64().unwrap_or(0);
    let before = reconciled(&kustomizations(&client).get(&ns).await.expect("the Kustomization"));
    let quiet_from = jiff::Timestamp::now();
    let quiet = async {
        let stream = watcher::watch_object(kustomizations(&client), &ns);
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            if let Ok(Some(k)) = event {
                let (status, reason, message) = condition(&k, "Ready");
                assert!(status != "False", "the Kustomization failed while nothing changed: {reason}: {message}");
                assert!(
                    k.data["status"]["lastAppliedRevision"].as_str().is_some_and(|r| r.ends_with(&first)),
                    "{:#}",
                    k.data["status"]
                );
            }
        }
    };
    assert!(tokio::time::timeout(QUIET, quiet).await.is_err(), "the Kustomization watch ended");
    let after = wait_ready_at(&client, &ns, "Ready after the quiet minute", APPLY, &first).await;
    assert!(reconciled(&after) >= before + 3, "reconciled {} times in {QUIET:?}", reconciled(&after) - before);
    assert_eq!(generations(&client, &ns).await, before_generations, "an object's spec was rewritten");
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), NAMESPACE);
    let applied: Vec<String> = events
        .list(&Default::default())
        .await
        .expect("listing Flux's events")
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(ns.as_str()))
        .filter(|e| e.last_timestamp.as_ref().or(e.first_timestamp.as_ref()).is_some_and(|t| t.0 > quiet_from))
        .filter_map(|e| e.message)
        .filter(|m| m.contains("configured") || m.contains("created"))
        .collect();
    assert!(applied.is_empty(), "kustomize-controller re-applied objects while nothing changed: {applied:#?}");
    eprintln!("stayed in sync for {QUIET:?}: {} reconciles, nothing re-applied", reconciled(&after) - before);

    // 3. Drift: kubectl's change goes back to the artifact's value at the next reconcile.
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
    support::wait_for_within(&services, "web", "desiredCount back to 2", Duration::from_secs(60), |s| {
        s.spec.desired_count == Some(2)
    })
    .await;
    eprintln!("drift corrected in {:.1?}", healed.elapsed());

    // 4. A failed rollout (an image that cannot be pulled trips the circuit breaker: kstatus Failed)
    // makes the Kustomization not Ready.
    repo.write(
        "ecs/web-definition.yaml",
        &definition_with_image("web", "unreachable.invalid/web:broken", &worker_script(9)),
    );
    repo.push_oci("web: a broken revision", &reference);
    let broken = digest(&reference);
    reconcile_now(&client, &ns).await;
    let failing = Instant::now();
    let not_ready =
        support::wait_for_within(&kustomizations(&client), &ns, "not Ready on the failed rollout", APPLY, |k| {
            condition(k, "Ready").0 == "False"
                && k.data["status"]["lastAttemptedRevision"].as_str().is_some_and(|r| r.ends_with(&broken))
        })
        .await;
    let (_, reason, message) = condition(&not_ready, "Ready");
    assert!(message.contains("Service/") || message.contains("web"), "{reason}: {message}");
    eprintln!("not Ready {:.1?} after the broken artifact was pushed: {reason}: {message}", failing.elapsed());

    // 5. The fix makes it Ready again.
    repo.write("ecs/web-definition.yaml", &definition_yaml("web", &worker_script(2)));
    repo.push_oci("web: version 2", &reference);
    let fixed = digest(&reference);
    reconcile_now(&client, &ns).await;
    wait_ready_at(&client, &ns, "Ready at the fix", APPLY, &fixed).await;
    let web = services.get("web").await.expect("the service");
    assert_eq!(primary(&web)["taskDefinition"], "web:3", "{:?}", web.status);
}
