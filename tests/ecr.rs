//! kube-ecs's ECR end to end with real clients: `aws ecr` on the ECS API endpoint, crane through
//! the registry front with tokens from `aws ecr get-login-password`, Tasks pulling the pushed images
//! by their ECR names on a real container instance, lifecycle policies, and the refusals.

mod support;

use std::time::Duration;

use kube::Client;
use kube::api::{Api, ListParams};
use kube_ecs::api::repository::Repository;
use kube_ecs::api::{Task, TaskDefinition};
use support::apply;
use support::ecr::{self, Crane, Ecr};
use support::ecs_api::{self, Key};

const REAL_NODES: u32 = 1;

async fn setup(prefix: &str) -> (Client, String, &'static Ecr, Key) {
    support::with_real_nodes(REAL_NODES);
    let ecr = ecr::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    let user = format!("{ns}-dev");
    ecs_api::grant(&client, &user, &ns, false).await;
    let key = ecs_api::key(&client, &ecr.api, &user, &ns).await;
    (client, ns, ecr, key)
}

/// The Repository object of `repository_name` in `ns`, once its status lists `images` images.
async fn repository_with(client: &Client, ns: &str, repository_name: &str, images: usize) -> Repository {
    let api: Api<Repository> = Api::namespaced(client.clone(), ns);
    let what = format!("Repository {repository_name} listing {images} images");
    let found = support::wait_for_list(&api, &what, |all| {
        all.iter().any(|r| {
            r.spec.repository_name == repository_name
                && r.status.as_ref().is_some_and(|s| s.image_count == Some(images as i64))
        })
    })
    .await;
    found.into_iter().find(|r| r.spec.repository_name == repository_name).expect("the repository")
}

/// A layer tarball holding `/kube-ecs/<name>` with `bytes` bytes of random data.
fn layer(name: &str, bytes: usize) -> std::path::PathBuf {
    let dir = support::scratch(&format!("layer-{name}"));
    std::fs::create_dir_all(dir.join("kube-ecs")).expect("layer dir");
    let mut data = vec![0u8; bytes];
    getrandom::fill(&mut data).expect("random bytes");
    std::fs::write(dir.join("kube-ecs").join(name), &data).expect("layer file");
    let tar = dir.join("layer.tar");
    let status = std::process::Command::new("tar")
        .args(["-C", &dir.display().to_string(), "-cf", &tar.display().to_string(), "kube-ecs"])
        .status()
        .expect("tar");
    assert!(status.success(), "tar failed");
    tar
}

fn tags_of(images: &serde_json::Value) -> Vec<String> {
    let mut tags: Vec<String> = images["imageIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["imageTag"].as_str().map(str::to_string))
        .collect();
    tags.sort();
    tags
}

#[tokio::test(flavor = "multi_thread")]
async fn pushed_with_a_token_described_by_the_api_and_run_by_a_task_on_a_real_node() {
    let (client, ns, ecr, key) = setup("ecr-e2e").await;
    let name = format!("{ns}/app");
    let created = ecr::aws_ok(ecr, &key, &["create-repository", "--repository-name", &name]);
    let uri = format!("{}/{name}", ecr.host);
    assert_eq!(created["repository"]["repositoryUri"], uri.as_str(), "{created}");
    assert_eq!(created["repository"]["registryId"], ecr::ACCOUNT);

    let crane = Crane::new(&format!("{ns}-dev"));
    crane.login(ecr, &key);
    let base = format!("{}/{name}:base", ecr.front);
    crane.ok(&["push", &ecr::busybox_layout(), &base]);
    let marker = layer("marker", 1024);
    let v1 = format!("{}/{name}:v1", ecr.front);
    crane.ok(&["append", "-f", &marker.display().to_string(), "-b", &base, "-t", &v1]);
    let digest = crane.ok(&["digest", &v1]);

    let described =
        ecr::aws_ok(ecr, &key, &["describe-images", "--repository-name", &name, "--image-ids", "imageTag=v1"]);
    let detail = &described["imageDetails"][0];
    assert_eq!(detail["imageDigest"], digest.as_str(), "{described}");
    assert_eq!(detail["imageTags"], serde_json::json!(["v1"]));
    assert!(detail["imageSizeInBytes"].as_i64().unwrap_or_default() > 1024, "{described}");

    // kubectl shows the same repository and images as the API.
    let repository = repository_with(&client, &ns, &name, 2).await;
    let status = repository.status.clone().expect("status");
    assert_eq!(status.repository_uri.as_deref(), Some(uri.as_str()));
    let listed = ecr::aws_ok(ecr, &key, &["list-images", "--repository-name", &name]);
    let mut api_digests: Vec<&str> =
        listed["imageIds"].as_array().into_iter().flatten().filter_map(|i| i["imageDigest"].as_str()).collect();
    api_digests.sort();
    api_digests.dedup();
    let mut status_digests: Vec<&str> = status.images.iter().map(|i| i.image_digest.as_str()).collect();
    status_digests.sort();
    assert_eq!(api_digests, status_digests);
    let (ok, table, stderr) = support::kubectl(&["get", "ecrrepo", "-n", &ns], None);
    assert!(ok && table.contains(&name) && table.contains(&uri), "kubectl get ecrrepo: {table}{stderr}");

    // A task names the image by its ECR name and a real container instance pulls it (the node's own
    // credentials, as an instance role: no repositoryCredentials) and runs it.
    support::real_nodes_cluster(&client, &ns).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "app"},
            "spec": {"containerDefinitions": [{"name": "app", "image": format!("{uri}:v1"), "memory": 64,
                "entryPoint": ["sh", "-c"], "command": ["test -s /kube-ecs/marker && exit 7; exit 1"]}]}}),
    )
    .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "app"},
            "spec": {"taskDefinition": "app", "cluster": ns}}),
    )
    .await;
    let stopped = support::wait_for_within(&tasks, "app", "the task STOPPED", Duration::from_secs(120), |t| {
        t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("STOPPED")
    })
    .await;
    let status = stopped.status.expect("status");
    let app = status.containers.iter().find(|c| c.name == "app").expect("the app container");
    assert_eq!(app.exit_code, Some(7), "the pushed image ran the task's command: {status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_policies_expire_old_images_but_never_one_a_task_uses() {
    let (client, ns, ecr, key) = setup("ecr-life").await;
    let crane = Crane::new(&format!("{ns}-dev"));
    crane.login(ecr, &key);
    // Distinct images: busybox, then copies with a label each (a new config, so a new digest).
    let push = |repository: &str, count: usize| {
        let first = format!("{}/{repository}:1", ecr.front);
        crane.ok(&["push", &ecr::busybox_layout(), &first]);
        for i in 2..=count {
            crane.ok(&[
                "mutate",
                &first,
                "--label",
                &format!("n={i}"),
                "-t",
                &format!("{}/{repository}:{i}", ecr.front),
            ]);
        }
    };

    // "Keep the last 2 tagged images" leaves 2 of 4.
    let kept = format!("{ns}/kept");
    ecr::aws_ok(ecr, &key, &["create-repository", "--repository-name", &kept]);
    push(&kept, 4);
    repository_with(&client, &ns, &kept, 4).await;
    let keep_two = serde_json::json!({"rules": [{"rulePriority": 1, "description": "keep the last 2",
        "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 2},
        "action": {"type": "expire"}}]});
    let put = ecr::aws_ok(
        ecr,
        &key,
        &["put-lifecycle-policy", "--repository-name", &kept, "--lifecycle-policy-text", &keep_two.to_string()],
    );
    assert_eq!(put["repositoryName"], kept.as_str());
    let repository = repository_with(&client, &ns, &kept, 2).await;
    let status = repository.status.expect("status");
    let mut expired: Vec<String> = status.expired_images.iter().flat_map(|e| e.image_tags.clone()).collect();
    expired.sort();
    assert_eq!(expired, ["1", "2"], "the two oldest expired: {:?}", status.expired_images);
    assert_eq!(tags_of(&ecr::aws_ok(ecr, &key, &["list-images", "--repository-name", &kept])), ["3", "4"]);
    let got = ecr::aws_ok(ecr, &key, &["get-lifecycle-policy", "--repository-name", &kept]);
    let text: serde_json::Value =
        serde_json::from_str(got["lifecyclePolicyText"].as_str().expect("policy text")).expect("policy JSON");
    assert_eq!(text["rules"][0]["selection"]["countNumber"], 2);

    // An image a running task uses is kept, and an Event says so.
    let used = format!("{ns}/used");
    ecr::aws_ok(ecr, &key, &["create-repository", "--repository-name", &used]);
    push(&used, 3);
    repository_with(&client, &ns, &used, 3).await;
    ecs_api::cluster_with_nodes(&client, &ns).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "old"},
            "spec": {"containerDefinitions": [{"name": "app", "image": format!("{}/{used}:1", ecr.host), "memory": 64}]}}),
    )
    .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "old"},
            "spec": {"taskDefinition": "old", "cluster": ns}}),
    )
    .await;
    support::wait_for(&tasks, "old", "the task RUNNING", |t| {
        t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("RUNNING")
    })
    .await;
    let keep_one = serde_json::json!({"rules": [{"rulePriority": 1,
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"}}]});
    ecr::aws_ok(
        ecr,
        &key,
        &["put-lifecycle-policy", "--repository-name", &used, "--lifecycle-policy-text", &keep_one.to_string()],
    );
    let repository = repository_with(&client, &ns, &used, 2).await;
    assert_eq!(tags_of(&ecr::aws_ok(ecr, &key, &["list-images", "--repository-name", &used])), ["1", "3"]);
    let status = repository.status.expect("status");
    assert!(status.images.iter().any(|i| i.image_tags == ["1"] && i.in_use == Some(true)), "{:?}", status.images);
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), &ns);
    let kept_event = support::wait_for_list(&events, "the ImageInUseKept event", |all| {
        all.iter().any(|e| e.reason.as_deref() == Some("ImageInUseKept"))
    })
    .await;
    let note = kept_event.iter().find(|e| e.reason.as_deref() == Some("ImageInUseKept")).and_then(|e| e.note.clone());
    assert!(note.unwrap_or_default().contains("running tasks or services use"));
    let expired = events.list(&ListParams::default()).await.expect("events");
    assert!(expired.items.iter().any(|e| e.reason.as_deref() == Some("ImagesExpired")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_refuses_what_ecr_refuses() {
    let (client, ns, ecr, key) = setup("ecr-refuse").await;
    let frozen = format!("{ns}/frozen");
    let created = ecr::aws_ok(
        ecr,
        &key,
        &["create-repository", "--repository-name", &frozen, "--image-tag-mutability", "IMMUTABLE"],
    );
    assert_eq!(created["repository"]["imageTagMutability"], "IMMUTABLE");
    let v1 = format!("{}/{frozen}:v1", ecr.front);

    // No token: refused.
    let anonymous = Crane::new(&format!("{ns}-anonymous"));
    let (ok, _, stderr) = anonymous.run(&["push", &ecr::busybox_layout(), &v1], None);
    assert!(!ok && (stderr.contains("UNAUTHORIZED") || stderr.contains("401")), "a push without a token: {stderr}");

    // A repository that does not exist: refused with ECR's words.
    let crane = Crane::new(&format!("{ns}-dev"));
    crane.login(ecr, &key);
    let nope = format!("{}/{ns}/nope:1", ecr.front);
    let (ok, _, stderr) = crane.run(&["push", &ecr::busybox_layout(), &nope], None);
    assert!(!ok && stderr.contains("NAME_UNKNOWN"), "a push to a repository that does not exist: {stderr}");
    assert!(
        stderr.contains(&format!(
            "The repository with name '{ns}/nope' does not exist in the registry with id '{}'",
            ecr::ACCOUNT
        )),
        "{stderr}"
    );

    // IMMUTABLE: the tag cannot move.
    crane.ok(&["push", &ecr::busybox_layout(), &v1]);
    let digest = crane.ok(&["digest", &v1]);
    let (ok, _, stderr) = crane.run(&["mutate", &v1, "--label", "again=1", "-t", &v1], None);
    assert!(!ok, "an IMMUTABLE tag pushed twice");
    assert!(
        stderr.contains(&format!(
            "The image tag 'v1' already exists in the '{frozen}' repository and cannot be overwritten because the repository is immutable."
        )),
        "{stderr}"
    );
    assert_eq!(crane.ok(&["digest", &v1]), digest, "the tag still names the first image");

    // Another team's token: RBAC refuses its push into this namespace's repository.
    let outsider_ns = support::namespace(&client, "ecr-outsider").await;
    let outsider_user = format!("{outsider_ns}-dev");
    ecs_api::grant(&client, &outsider_user, &outsider_ns, false).await;
    let outsider = ecs_api::key(&client, &ecr.api, &outsider_user, &outsider_ns).await;
    let other = Crane::new(&outsider_user);
    other.login(ecr, &outsider);
    let (ok, _, stderr) =
        other.run(&["mutate", &v1, "--label", "x=1", "-t", &format!("{}/{frozen}:v2", ecr.front)], None);
    assert!(!ok && stderr.contains("DENIED"), "another team's push: {stderr}");
    assert!(stderr.contains(&outsider_user), "the refusal names the user: {stderr}");

    // The nodes' own credentials pull but cannot push (an instance role's read-only access).
    let reader = support::cluster().ecr_for_nodes().expect("the nodes' read-only registry");
    let (node_user, node_password) = reader.credentials().expect("the nodes' credentials");
    let node = Crane::new(&format!("{ns}-node"));
    node.ok(&["auth", "login", reader.address(), "-u", node_user, "-p", node_password]);
    let at_node = |tag: &str| format!("{}/{}/{frozen}:{tag}", reader.address(), ecr.host);
    assert_eq!(node.ok(&["digest", &at_node("v1")]), digest, "nodes pull what was pushed through the front");
    let (ok, _, stderr) = node.run(&["mutate", &at_node("v1"), "--label", "node=1", "-t", &at_node("v1")], None);
    assert!(!ok, "the nodes' credentials must not overwrite a tag: {stderr}");
    assert_eq!(crane.ok(&["digest", &v1]), digest, "the tag still names the first image");

    // ECR's API errors.
    let (ok, _, stderr) = ecr::aws(ecr, &key, &["create-repository", "--repository-name", &frozen]);
    assert!(!ok && stderr.contains("RepositoryAlreadyExistsException"), "{stderr}");
    let (ok, _, stderr) =
        ecr::aws(ecr, &key, &["describe-repositories", "--repository-names", &format!("{ns}/missing")]);
    assert!(!ok && stderr.contains("RepositoryNotFoundException"), "{stderr}");
    let (ok, _, stderr) = ecr::aws(ecr, &key, &["get-lifecycle-policy", "--repository-name", &frozen]);
    assert!(!ok && stderr.contains("LifecyclePolicyNotFoundException"), "{stderr}");
    let (ok, _, stderr) =
        ecr::aws(ecr, &key, &["describe-images", "--repository-name", &frozen, "--image-ids", "imageTag=nope"]);
    assert!(!ok && stderr.contains("ImageNotFoundException"), "{stderr}");
    let (ok, _, stderr) = ecr::aws(ecr, &key, &["delete-repository", "--repository-name", &frozen]);
    assert!(!ok && stderr.contains("RepositoryNotEmptyException"), "{stderr}");

    // Deleted with --force: the Repository goes once its images are gone from the registry.
    ecr::aws_ok(ecr, &key, &["delete-repository", "--repository-name", &frozen, "--force"]);
    let repositories: Api<Repository> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&repositories, "the Repository gone", |all| {
        all.iter().all(|r| r.spec.repository_name != frozen)
    })
    .await;
    let cluster = support::cluster();
    let (user, password) = cluster.ecr().and_then(|r| r.credentials()).expect("registry credentials");
    let upstream = kube_ecs_registry::upstream::Upstream::new(
        &format!("http://{}", ecr.upstream),
        &ecr.host,
        Some((user, password)),
    )
    .expect("upstream");
    assert!(!upstream.has_manifest(&frozen, &digest).await.expect("the registry answers"), "the image is gone");
}
