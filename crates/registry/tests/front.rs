//! The front against the real registry under and the real `crane`: what a user of ECR sees.

mod support;

use std::sync::Arc;

use kube_ecs_registry::authorize::{AllowAll, Deny};
use support::{
    Crane, REGISTRY_HOST, RunningFront, UpstreamRegistry, basic, busybox_layout, password, password_at, request,
};

async fn front_and_upstream() -> (UpstreamRegistry, RunningFront) {
    let upstream = UpstreamRegistry::start().await;
    let front = RunningFront::start(&upstream, &upstream.password.clone(), Arc::new(AllowAll)).await;
    (upstream, front)
}

fn layout() -> String {
    busybox_layout().display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_and_a_pull_with_a_token_work_and_the_push_is_reported() {
    let (upstream, front) = front_and_upstream().await;
    let crane = Crane::new();
    crane.login(&front.address, "AWS", &password()).await;
    let image = format!("{}/team-a/web:1", front.address);

    let pushed = crane.run(&["push", &layout(), &image]).await;
    assert!(pushed.ok, "push: {}", pushed.stderr);
    let digest = crane.digest(&image).await;
    assert!(
        front.pushes.seen().contains(&("team-a/web".into(), digest.clone(), Some("1".into()))),
        "the observer saw {:?}, not {digest} tagged 1",
        front.pushes.seen()
    );

    let pulled_dir = support::TempDir::new("pull");
    let tarball = pulled_dir.path().join("web.tar");
    let pulled = crane.run(&["pull", &image, &tarball.display().to_string()]).await;
    assert!(pulled.ok, "pull: {}", pulled.stderr);
    let size = std::fs::metadata(&tarball).map(|m| m.len()).unwrap_or(0);
    assert!(size > 100_000, "the pulled busybox holds its layer ({size} bytes)");

    let tags = crane.run(&["ls", &format!("{}/team-a/web", front.address)]).await;
    assert_eq!((tags.ok, tags.stdout.as_str()), (true, "1"), "{}", tags.stderr);

    // Upstream, it lives under the registry host: where nodes' containerd mirrors pull it from.
    let stored = request(
        "GET",
        &format!("{}/v2/{REGISTRY_HOST}/team-a/web/tags/list", upstream.url()),
        &[basic(&upstream.password)],
        vec![],
    )
    .await;
    assert_eq!((stored.status, stored.body.contains("\"1\"")), (200, true), "{}", stored.body);
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_wrong_or_expired_credentials_are_refused_with_401() {
    let (_upstream, front) = front_and_upstream().await;
    let image = format!("{}/team-a/web:1", front.address);

    // A push starts with HEADs, whose answers have no body: crane shows the status; a GET shows
    // the message.
    let read = ["manifest", &image];
    let push = ["push", &layout(), &image];
    let anonymous = Crane::new();
    let refused = anonymous.run(&push).await;
    assert!(!refused.ok && refused.stderr.contains("401 Unauthorized"), "{}", refused.stderr);
    let refused = anonymous.run(&read).await;
    assert!(!refused.ok && refused.stderr.contains("UNAUTHORIZED: Authentication is required"), "{}", refused.stderr);

    let wrong = Crane::new();
    wrong.login(&front.address, "AWS", "not-a-token").await;
    let refused = wrong.run(&push).await;
    assert!(!refused.ok && refused.stderr.contains("401 Unauthorized"), "{}", refused.stderr);
    let refused = wrong.run(&read).await;
    assert!(
        !refused.ok && refused.stderr.contains("UNAUTHORIZED: The user name or the authorization token is invalid"),
        "{}",
        refused.stderr
    );

    let expired = Crane::new();
    let thirteen_hours_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(13);
    expired.login(&front.address, "AWS", &password_at(thirteen_hours_ago)).await;
    let refused = expired.run(&push).await;
    assert!(!refused.ok && refused.stderr.contains("401 Unauthorized"), "{}", refused.stderr);
    let refused = expired.run(&read).await;
    assert!(
        !refused.ok && refused.stderr.contains("Your authorization token has expired. Reauthenticate and try again."),
        "{}",
        refused.stderr
    );
    assert_eq!(front.pushes.seen(), vec![]);

    // What clients learn how to authenticate from.
    let challenge = request("GET", &format!("http://{}/v2/", front.address), &[], vec![]).await;
    assert_eq!(challenge.status, 401);
    assert_eq!(
        challenge.headers.get("www-authenticate").and_then(|v| v.to_str().ok()),
        Some(format!("Basic realm=\"{REGISTRY_HOST}\"").as_str())
    );
    let welcome = request("GET", &format!("http://{}/v2/", front.address), &[basic(&password())], vec![]).await;
    assert_eq!((welcome.status, welcome.body.as_str()), (200, "{}"));
    assert_eq!(
        welcome.headers.get("docker-distribution-api-version").and_then(|v| v.to_str().ok()),
        Some("registry/2.0")
    );
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_to_a_repository_that_does_not_exist_is_name_unknown() {
    let (_upstream, front) = front_and_upstream().await;
    let crane = Crane::new();
    crane.login(&front.address, "AWS", &password()).await;
    let refused = crane.run(&["push", &layout(), &format!("{}/team-a/nope:1", front.address)]).await;
    assert!(!refused.ok, "the push must fail");
    assert!(
        refused.stderr.contains(
            "NAME_UNKNOWN: The repository with name 'team-a/nope' does not exist in the registry with id '123456789012'"
        ),
        "{}",
        refused.stderr
    );
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_immutable_tag_keeps_its_image() {
    let (_upstream, front) = front_and_upstream().await;
    let crane = Crane::new();
    let token = password();
    crane.login(&front.address, "AWS", &token).await;
    let frozen = format!("{}/team-a/frozen:1", front.address);
    let pushed = crane.run(&["push", &layout(), &frozen]).await;
    assert!(pushed.ok, "first push: {}", pushed.stderr);
    let original = crane.digest(&frozen).await;

    // Another image: busybox with a label (crane asks to mount its layers from team-a/web; the
    // front turns the mounts into uploads).
    let web = format!("{}/team-a/web:1", front.address);
    assert!(crane.run(&["push", &layout(), &web]).await.ok);
    let other = crane
        .run(&["mutate", &web, "--label", "changed=yes", "-t", &format!("{}/team-a/frozen:2", front.address)])
        .await;
    assert!(other.ok, "a new tag is accepted: {}", other.stderr);
    let refused = crane.run(&["mutate", &web, "--label", "changed=yes", "-t", &frozen]).await;
    assert!(!refused.ok, "moving an immutable tag must fail");
    assert!(
        refused.stderr.contains(
            "TAG_INVALID: The image tag '1' already exists in the 'team-a/frozen' repository and cannot be \
             overwritten because the repository is immutable."
        ),
        "{}",
        refused.stderr
    );
    let again = crane.run(&["push", &layout(), &frozen]).await;
    assert!(again.ok, "the same image again is accepted: {}", again.stderr);
    assert_eq!(crane.digest(&frozen).await, original, "the tag did not move");

    // The same bytes PUT again pass the check (crane skips a PUT it sees is not needed).
    let manifest = crane.run(&["manifest", &frozen]).await;
    assert!(manifest.ok, "{}", manifest.stderr);
    let changed = crane.run(&["manifest", &format!("{}/team-a/frozen:2", front.address)]).await;
    assert!(changed.ok, "{}", changed.stderr);
    let media_type = |manifest: &str| {
        let json: serde_json::Value = serde_json::from_str(manifest).expect("a manifest");
        json["mediaType"].as_str().expect("a media type").to_string()
    };
    let put = |tag: &'static str, manifest: String| {
        let url = format!("http://{}/v2/team-a/frozen/manifests/{tag}", front.address);
        let headers = vec![basic(&token), ("content-type", media_type(&manifest))];
        async move { request("PUT", &url, &headers, manifest.into_bytes()).await }
    };
    let same = put("1", manifest.stdout.clone()).await;
    assert_eq!(same.status, 201, "{}", same.body);
    let different = put("1", changed.stdout.clone()).await;
    assert_eq!(different.status, 400, "{}", different.body);
    assert!(different.body.contains("\"TAG_INVALID\""), "{}", different.body);

    // Two pushes of different images to one new tag at once: exactly one wins.
    let (a, b) = tokio::join!(put("3", manifest.stdout.clone()), put("3", changed.stdout.clone()));
    let mut statuses = vec![a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, vec![201, 400], "{} / {}", a.body, b.body);
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rbac_s_refusal_is_denied_in_ecr_s_words() {
    let upstream = UpstreamRegistry::start().await;
    let front = RunningFront::start(&upstream, &upstream.password.clone(), Arc::new(Deny)).await;
    let crane = Crane::new();
    crane.login(&front.address, "AWS", &password()).await;
    let refused = crane.run(&["manifest", &format!("{}/team-a/web:1", front.address)]).await;
    assert!(
        !refused.ok
            && refused.stderr.contains(
                "DENIED: User: alice is not authorized to perform: ecr:BatchGetImage on resource: \
                 arn:aws:ecr:us-east-1:123456789012:repository/team-a/web"
            ),
        "{}",
        refused.stderr
    );
    let pushed = crane.run(&["push", &layout(), &format!("{}/team-a/web:1", front.address)]).await;
    assert!(!pushed.ok && pushed.stderr.contains("403"), "{}", pushed.stderr);
    assert_eq!(front.pushes.seen(), vec![]);
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalog_deletes_and_mounts_are_refused() {
    let (_upstream, front) = front_and_upstream().await;
    let crane = Crane::new();
    let token = password();
    crane.login(&front.address, "AWS", &token).await;
    let catalog = crane.run(&["catalog", &front.address]).await;
    assert!(!catalog.ok && catalog.stderr.contains("DENIED"), "{}", catalog.stderr);

    let web = format!("{}/team-a/web:1", front.address);
    assert!(crane.run(&["push", &layout(), &web]).await.ok);
    let digest = crane.digest(&web).await;
    let deleted = request(
        "DELETE",
        &format!("http://{}/v2/team-a/web/manifests/{digest}", front.address),
        &[basic(&token)],
        vec![],
    )
    .await;
    assert_eq!(deleted.status, 405, "{}", deleted.body);
    assert!(deleted.body.contains("\"UNSUPPORTED\""), "{}", deleted.body);
    assert_eq!(crane.digest(&web).await, digest, "still there");

    // A mount of the image's config blob into another repository starts an upload (202), not a
    // mount (201): the blob must come from the client.
    let manifest: serde_json::Value =
        serde_json::from_str(&crane.run(&["manifest", &web]).await.stdout).expect("a manifest");
    let config = manifest["config"]["digest"].as_str().expect("a config digest");
    let mount = request(
        "POST",
        &format!("http://{}/v2/team-a/frozen/blobs/uploads/?mount={config}&from=team-a/web", front.address),
        &[basic(&token)],
        vec![],
    )
    .await;
    assert_eq!(mount.status, 202, "{}", mount.body);
    let location = mount.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(location.starts_with("/v2/team-a/frozen/blobs/uploads/"), "the front's own path: {location}");
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_upstream_credentials_are_the_front_s_fault_not_the_client_s() {
    let upstream = UpstreamRegistry::start().await;
    let front = RunningFront::start(&upstream, "wrong", Arc::new(AllowAll)).await;
    let answer =
        request("GET", &format!("http://{}/v2/team-a/web/manifests/1", front.address), &[basic(&password())], vec![])
            .await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert!(answer.headers.get("www-authenticate").is_none());
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_front_serves_tls_when_given_a_certificate() {
    let upstream = UpstreamRegistry::start().await;
    let dir = support::TempDir::new("tls");
    let (tls, certificate) = support::self_signed_tls(dir.path());
    let front = RunningFront::start_tls(&upstream, &upstream.password.clone(), Arc::new(AllowAll), Some(tls)).await;
    let crane = Crane::new().with_env("SSL_CERT_FILE", &certificate.display().to_string());
    crane.login(&front.address, "AWS", &password()).await;
    let image = format!("{}/team-a/web:tls", front.address);
    let pushed = crane.run(&["push", &layout(), &image, "-v"]).await;
    assert!(pushed.ok, "push: {}", pushed.stderr);
    assert!(pushed.stderr.contains(&format!("https://{}/v2/", front.address)), "crane spoke https: {}", pushed.stderr);
    assert_eq!(front.pushes.seen().len(), 1, "{:?}", front.pushes.seen());
    front.stop().await;
}
