//! TaskDefinition revisions on the real control plane: each distinct spec is an immutable revision.

mod support;

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::{Api, Patch, PatchParams};
use kube_ecs::api::TaskDefinition;
use kube_ecs::revisions;

fn web_definition(image: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1",
        "kind": "TaskDefinition",
        "metadata": {"name": "web"},
        "spec": {
            "family": "web",
            "containerDefinitions": [{"name": "app", "image": image, "memory": 256, "essential": true}]
        }
    })
}

async fn apply(api: &Api<TaskDefinition>, manifest: serde_json::Value) {
    api.patch("web", &PatchParams::apply("test-user").force(), &Patch::Apply(&manifest))
        .await
        .expect("applying the task definition");
}

fn at_revision(td: &TaskDefinition, revision: i64, status: &str) -> bool {
    td.status.as_ref().is_some_and(|s| {
        s.revision == Some(revision)
            && s.status.map(|v| v.as_str()) == Some(status)
            && s.observed_generation == td.metadata.generation
    })
}

#[tokio::test]
async fn a_changed_spec_registers_revision_two_and_keeps_revision_one_intact() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "td-rev").await;
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);

    apply(&api, web_definition("nginx:1.27")).await;
    let td = support::wait_for(&api, "web", "revision 1 ACTIVE", |td| at_revision(td, 1, "ACTIVE")).await;
    assert_eq!(td.status.as_ref().and_then(|s| s.task_definition.clone()).as_deref(), Some("web:1"));

    // Re-applying the same spec registers nothing new.
    apply(&api, web_definition("nginx:1.27")).await;
    apply(&api, web_definition("nginx:1.28")).await;
    let td = support::wait_for(&api, "web", "revision 2 ACTIVE", |td| at_revision(td, 2, "ACTIVE")).await;
    let records: Vec<i64> =
        td.status.as_ref().map(|s| s.revisions.iter().map(|r| r.revision).collect()).unwrap_or_default();
    assert_eq!(records, vec![1, 2]);

    // Each registration is its own Event (an Event's note cannot change, so it is no repeat of the other).
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&events, "an Event per registration", |all| {
        let notes: Vec<&str> = all.iter().filter_map(|e| e.note.as_deref()).collect();
        ["registered task definition web:1", "registered task definition web:2"].iter().all(|n| notes.contains(n))
    })
    .await;

    let snapshots: Api<ControllerRevision> = Api::namespaced(client.clone(), &ns);
    let one = revisions::snapshot_spec(&snapshots.get("web-1").await.expect("revision 1 snapshot")).expect("readable");
    let two = revisions::snapshot_spec(&snapshots.get("web-2").await.expect("revision 2 snapshot")).expect("readable");
    assert_eq!(one.container_definitions[0].image, "nginx:1.27");
    assert_eq!(two.container_definitions[0].image, "nginx:1.28");

    let resolved = revisions::resolve(&client, &ns, "web", false).await.expect("family resolves");
    assert_eq!(resolved.reference, "web:2");
    let pinned = revisions::resolve(&client, &ns, "web:1", false).await.expect("web:1 resolves");
    assert_eq!(pinned.spec.container_definitions[0].image, "nginx:1.27");
}

#[tokio::test]
async fn deregistering_a_revision_makes_it_inactive_for_new_work() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "td-dereg").await;
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);

    apply(&api, web_definition("nginx:1.27")).await;
    support::wait_for(&api, "web", "revision 1", |td| at_revision(td, 1, "ACTIVE")).await;
    apply(&api, web_definition("nginx:1.28")).await;
    support::wait_for(&api, "web", "revision 2", |td| at_revision(td, 2, "ACTIVE")).await;

    let mut manifest = web_definition("nginx:1.28");
    manifest["spec"]["deregisteredRevisions"] = serde_json::json!([1]);
    apply(&api, manifest).await;
    let td = support::wait_for(&api, "web", "revision 1 INACTIVE", |td| {
        td.status
            .as_ref()
            .is_some_and(|s| s.revisions.iter().any(|r| r.revision == 1 && r.status.as_str() == "INACTIVE"))
    })
    .await;
    assert_eq!(td.status.as_ref().and_then(|s| s.revision), Some(2), "deregistering is not a new revision");

    let err = revisions::resolve(&client, &ns, "web:1", false).await.expect_err("INACTIVE revision refused");
    assert!(err.to_string().contains("INACTIVE"), "{err}");
    assert!(revisions::resolve(&client, &ns, "web:1", true).await.is_ok(), "running work may still use it");
    assert_eq!(revisions::resolve(&client, &ns, "web", false).await.expect("latest active").reference, "web:2");
}

#[tokio::test]
async fn a_dependency_cycle_is_invalid_registers_nothing_and_says_why() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "td-cycle").await;
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let cyclic = serde_json::json!({
        "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "web"},
        "spec": {"containerDefinitions": [
            {"name": "app", "image": "app:1", "dependsOn": [{"containerName": "proxy", "condition": "START"}]},
            {"name": "proxy", "image": "envoy:1", "essential": false, "dependsOn": [{"containerName": "app", "condition": "START"}]}
        ]}
    });
    apply(&api, cyclic).await;
    let td = support::wait_for(&api, "web", "Valid=False", |td| {
        td.status.as_ref().is_some_and(|s| s.conditions.iter().any(|c| c.type_ == "Valid" && c.status == "False"))
    })
    .await;
    let status = td.status.expect("status");
    let valid = status.conditions.iter().find(|c| c.type_ == "Valid").expect("Valid");
    assert!(valid.message.contains("dependsOn forms a cycle: app -> proxy -> app"), "{}", valid.message);
    assert_eq!(status.revision, None, "no revision registered from an invalid definition");
    let (ok, events, _) = support::kubectl(&["get", "events", "-n", &ns, "-o", "jsonpath={.items[*].reason}"], None);
    assert!(ok && events.contains("InvalidTaskDefinition"), "an Event says so: {events}");
}
