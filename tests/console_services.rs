//! The console's service forms, task-definition pages and ECR pages in a real browser (headless
//! Chromium over WebDriver, tests/console/browser.rs), as a user runs `kube-ecs console`: a service
//! created from the form whose live counts reach the desired count without a reload, updated to a new
//! revision with its deployment watched to COMPLETED; its manifest shown instead of applied; a
//! GitOps-owned service read-only; a view-only user without the buttons and refused by the apiserver
//! when the write is forced. Each test has its own namespace, cluster, console and browser; waits are
//! on conditions.

mod support;

#[path = "console/mod.rs"]
mod ui;

use std::time::{Duration, Instant};

use kube::api::Api;
use kube_ecs::api::{Service, TaskDefinition};
use support::{apply, ecs_api};
use ui::browser::Browser;
use ui::common::{
    admin_kubeconfig, choose, definition, fill, kubeconfig_as, session_of, setup, signed_in, simulated_cluster,
};
use ui::process::ConsoleProcess;
use ui::raw_http;

#[tokio::test]
async fn creates_a_service_whose_counts_go_live_to_desired_then_deploys_a_new_revision_to_completed() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-svc").await;
    simulated_cluster(&client, &ns).await;
    definition(&client, &ns, "web", 1).await;

    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/services", console.base())).await.expect("services");
    browser.click("//a[@id='create-service']").await;
    fill(&browser, "service_name", "web").await;
    choose(&browser, "task_definition", "web:1").await;
    fill(&browser, "desired_count", "2").await;
    fill(&browser, "minimum_healthy_percent", "50").await;
    browser.click("//input[@id='circuit_breaker']").await;
    browser.click("//input[@id='rollback']").await;
    fill(&browser, "placement_strategy", "spread instanceId").await;
    fill(&browser, "tags", "team=<script>alert(1)</script>").await;

    // GitOps: the manifest instead of applying it; nothing is created.
    browser.click("//button[@id='submit-manifest']").await;
    let manifest = browser.text("//pre[@id='manifest']").await;
    for line in ["kind: Service", "name: web", &format!("namespace: {ns}"), "taskDefinition: web:1", "desiredCount: 2"]
    {
        assert!(manifest.contains(line), "{line:?} missing from the manifest:\n{manifest}");
    }
    assert!(manifest.contains("<script>alert(1)</script>"), "the tag is text in the manifest: {manifest}");
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    assert!(services.get_opt("web").await.expect("get").is_none(), "Show manifest created nothing");
    assert!(browser.has("//p[@id='manifest-validated']").await, "the apiserver's dry run accepted it");
    assert!(!browser.has("//main//script").await, "no script element from data");

    // Create: the form kept its values; the service page's counts reach 2 over its stream.
    browser.click("//button[@id='submit-apply']").await;
    browser.wait_for("//dl[@id='service-summary']").await;
    assert_eq!(browser.client.current_url().await.expect("url").path(), format!("/ns/{ns}/services/web"));
    let created = Instant::now();
    browser.wait_for("//main[@data-live='open']").await;
    browser.wait_within("//dd[@id='running-count'][text()='2']", Duration::from_secs(120)).await;
    println!("the service's running count reached 2 on the open page {:?} after its creation", created.elapsed());
    // Whatever the first render caught, a change made now reaches the open page over its stream:
    // scaled to 3 from outside, the counts follow without a reload.
    let stamp = || async { browser.wait_for("//main").await.attr("data-updated").await.expect("attr") };
    let before = stamp().await;
    let scaled = Instant::now();
    services
        .patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({"spec": {"desiredCount": 3}})),
        )
        .await
        .expect("scale to 3");
    browser.wait_within("//dd[@id='running-count'][text()='3']", Duration::from_secs(60)).await;
    let after = stamp().await;
    assert!(after.is_some() && after != before, "the counts arrived over the live stream ({before:?} -> {after:?})");
    println!("scaled to 3: the open page showed 3 running {:?} after the change", scaled.elapsed());
    let service = services.get("web").await.expect("the console made the Service");
    let managers: Vec<String> =
        service.metadata.managed_fields.clone().unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
    assert!(managers.contains(&"kube-ecs-console".to_string()), "{managers:?}");
    let breaker = service.spec.deployment_configuration.and_then(|d| d.deployment_circuit_breaker).expect("breaker");
    assert!(breaker.enable && breaker.rollback);
    browser.screenshot("service-created").await;

    // The cluster's Metrics tab: the service's counts and the instances' registered memory.
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/metrics", console.base())).await.expect("metrics");
    assert_eq!(browser.text("//table[@id='service-metrics']//tr[@data-service='web']/td[3]").await, "3");
    assert_eq!(browser.text("//dd[@id='metric-instances']").await, "2");
    // Registered: two instances of 8 GiB (reserved is what their ContainerInstance status says).
    let memory = browser.text("//dd[@id='metric-memory-reserved']").await;
    assert!(memory.contains(" / 16384 MiB ("), "{memory}");
    browser.screenshot("cluster-metrics").await;
    browser.client.goto(&format!("{}/ns/{ns}/services/web", console.base())).await.expect("service");

    // Update to a new revision: the deployment is watched on the page until COMPLETED.
    definition(&client, &ns, "web", 2).await;
    browser.click("//a[@id='update-service']").await;
    choose(&browser, "task_definition", "web:2").await;
    browser.click("//button[@id='submit-apply']").await;
    browser.wait_for("//dl[@id='service-summary']").await;
    let updated = Instant::now();
    let completed = "//table[@id='deployments']//tr[td[3]='web:2'][td[8]/span[text()='COMPLETED']]";
    // Simulated instances finish a rollout in well under a second: on a loaded machine the page's
    // first render may already show it (the stream's part is proven by the scaling above).
    let in_first_render = browser.has(completed).await && !browser.has("//main[@data-updated]").await;
    browser.wait_within(completed, Duration::from_secs(180)).await;
    browser.wait_for("//dd[@id='running-count'][text()='3']").await;
    assert!(in_first_render || browser.has("//main[@data-updated]").await, "COMPLETED arrived over the live stream");
    println!("the deployment of web:2 showed COMPLETED {:?} after the update", updated.elapsed());
    browser.client.set_window_size(1200, 1100).await.expect("window size");
    browser.screenshot("service-deployed").await;

    // A service's tasks are the cluster's tasks too (ECS lists them with the group service:web), each
    // with its task page, where the service, not a Stop button, decides when it stops.
    let first = browser.text("//table[@id='service-tasks']/tbody/tr[1]/td[1]").await;
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/tasks", console.base())).await.expect("tasks tab");
    let row = format!("//table[@id='tasks']//tr[@data-task='{first}']");
    browser.wait_for(&format!("{row}[td[@class='group']='service:web'][td[2]='RUNNING']")).await;
    browser.screenshot("cluster-tasks-with-service-tasks").await;
    browser.click(&format!("{row}/td[1]/a")).await;
    browser.wait_for("//dd[@id='last-status'][normalize-space()='RUNNING']").await;
    assert!(browser.text("//dl[@id='task-summary']").await.contains("service:web"));
    assert!(!browser.has("//button[@id='stop-task']").await, "the service stops its tasks");
    browser.client.goto(&format!("{}/ns/{ns}/services/web", console.base())).await.expect("service");

    // Force new deployment: the same revision, every task replaced (ECS's forceNewDeployment).
    let old_tasks = browser.texts("//table[@id='service-tasks']//tr/td[1]").await;
    assert_eq!(old_tasks.len(), 3, "{old_tasks:?}");
    browser.click("//a[@id='update-service']").await;
    browser.click("//input[@id='force_new_deployment']").await;
    browser.click("//button[@id='submit-apply']").await;
    browser.wait_for("//dl[@id='service-summary']").await;
    let none_old: Vec<String> = old_tasks.iter().map(|t| format!("not(tr/td[1]='{t}')")).collect();
    let replaced = format!(
        "//table[@id='service-tasks']/tbody[count(tr)=3 and not(tr/td[2]!='RUNNING') and {}]",
        none_old.join(" and ")
    );
    browser.wait_within(&replaced, Duration::from_secs(180)).await;
    let annotations = services.get("web").await.expect("web").metadata.annotations.unwrap_or_default();
    assert!(annotations.contains_key("ecs.kube-ecs.dev/force-new-deployment"), "{annotations:?}");

    // Delete: the name typed again; the service goes.
    browser.click("//a[@id='delete-service']").await;
    fill(&browser, "confirm", "not-web").await;
    browser.click("//button[@id='submit-delete']").await;
    assert!(browser.text("//div[@id='form-error']").await.contains("Type the service's name"));
    fill(&browser, "confirm", "web").await;
    browser.click("//button[@id='submit-delete']").await;
    browser.wait_for("//table[@id='services']").await;
    let deadline = Instant::now() + support::WAIT;
    while services.get_opt("web").await.expect("get").is_some() {
        assert!(Instant::now() < deadline, "the deleted service is still there");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn a_gitops_owned_service_is_read_only_and_a_viewer_sees_no_service_buttons_and_gets_the_apiservers_403() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-svc-ro").await;
    simulated_cluster(&client, &ns).await;
    definition(&client, &ns, "web", 1).await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    for (name, labels) in
        [("synced", serde_json::json!({"argocd.argoproj.io/instance": "apps"})), ("plain", serde_json::json!({}))]
    {
        apply(
            &services,
            serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
                "metadata": {"name": name, "labels": labels}, "spec": {"taskDefinition": "web", "cluster": ns, "desiredCount": 1}}),
        )
        .await;
    }

    // The admin: Argo CD's service is read-only, its form gives the manifest only.
    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    browser.client.goto(&format!("{}/ns/{ns}/services/synced", console.base())).await.expect("service");
    let notice = browser.text("//p[@id='gitops-owned']").await;
    assert!(notice.contains("Managed by Argo CD") && notice.contains("change it in Git"), "{notice}");
    assert!(!browser.has("//a[@id='update-service']").await && !browser.has("//a[@id='delete-service']").await);
    browser.screenshot("service-gitops-owned").await;
    browser.click("//a[@id='show-manifest']").await;
    assert!(!browser.has("//button[@id='submit-apply']").await, "no Update button for Git's object");
    fill(&browser, "desired_count", "3").await;
    browser.click("//button[@id='submit-manifest']").await;
    let manifest = browser.text("//pre[@id='manifest']").await;
    assert!(
        manifest.contains("desiredCount: 3") && manifest.contains("argocd.argoproj.io/instance: apps"),
        "{manifest}"
    );
    assert!(browser.has("//p[@id='manifest-validated']").await, "validated by a dry run, not applied");
    let (cookie, csrf) = session_of(&browser).await;
    let origin = console.base();
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let forced = raw_http::request(
        &console.host,
        "POST",
        &format!("/ns/{ns}/services/synced/update"),
        &[("Cookie", &cookie), ("Origin", &origin), form],
        &raw_http::form(&[("_csrf", &csrf), ("intent", "apply"), ("task_definition", "web"), ("desired_count", "5")]),
    )
    .await;
    assert_eq!(forced.status, 400, "{}", forced.body);
    assert!(forced.body.contains("change it in Git"), "{}", forced.body);
    assert_eq!(services.get("synced").await.expect("synced").spec.desired_count, Some(1), "Git's service unchanged");
    // Download manifest: the YAML as a file, to commit.
    let download = raw_http::request(
        &console.host,
        "POST",
        &format!("/ns/{ns}/services/synced/update"),
        &[("Cookie", &cookie), ("Origin", &origin), form],
        &raw_http::form(&[
            ("_csrf", &csrf),
            ("intent", "download"),
            ("task_definition", "web"),
            ("desired_count", "5"),
        ]),
    )
    .await;
    assert_eq!(download.status, 200, "{}", download.body);
    let disposition = download.header("content-disposition").expect("Content-Disposition");
    assert_eq!(disposition, "attachment; filename=\"service-synced.yaml\"");
    assert!(download.body.contains("kind: Service") && download.body.contains("desiredCount: 5"), "{}", download.body);
    // Argo CD's task: no Stop, and a Stop posted anyway is refused without touching it.
    let tasks: Api<kube_ecs::api::Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
            "metadata": {"name": "synced-task", "annotations": {"argocd.argoproj.io/tracking-id": "apps:ecs.kube-ecs.dev/Task:x/synced-task"}},
            "spec": {"taskDefinition": "web", "cluster": ns}}),
    )
    .await;
    browser.client.goto(&format!("{}/ns/{ns}/tasks/synced-task", console.base())).await.expect("task");
    assert!(browser.text("//p[@id='gitops-owned']").await.contains("Managed by Argo CD"));
    assert!(!browser.has("//button[@id='stop-task']").await, "no Stop for Git's task");
    let stop = raw_http::request(
        &console.host,
        "POST",
        &format!("/ns/{ns}/tasks/synced-task/stop"),
        &[("Cookie", &cookie), ("Origin", &origin), form],
        &raw_http::form(&[("_csrf", &csrf)]),
    )
    .await;
    assert_eq!(stop.status, 400, "{}", stop.body);
    assert!(stop.body.contains("stop it in Git"), "{}", stop.body);
    assert_eq!(tasks.get("synced-task").await.expect("task").spec.desired_status, None, "not stopped");
    // The plain one offers both buttons to the admin.
    browser.client.goto(&format!("{}/ns/{ns}/services/plain", console.base())).await.expect("service");
    browser.wait_for("//a[@id='update-service']").await;
    assert!(browser.has("//a[@id='delete-service']").await);
    browser.close().await;
    drop(console);

    // A view-only user: no buttons; a forced update is the apiserver's 403.
    let viewer = format!("viewer-{ns}");
    let read = serde_json::json!([
        {"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
    ]);
    ecs_api::grant_role(&client, &viewer, &ns, "view", read).await;
    let console = ConsoleProcess::start(&kubeconfig_as(&viewer, &ns), &ns);
    // The viewer may not list the cluster-scoped EcsClusters: the landing page shows that refusal.
    let browser = Browser::open().await;
    browser.client.goto(&console.login_url).await.expect("sign in");
    assert!(browser.text("//div[@id='who']").await.contains(&viewer));
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/services", console.base())).await.expect("services");
    browser.wait_for("//table[@id='services']//a[text()='plain']").await;
    assert!(!browser.has("//a[@id='create-service']").await, "RBAC refuses create: no Create button");
    browser.click("//table[@id='services']//a[text()='plain']").await;
    browser.wait_for("//dl[@id='service-summary']").await;
    assert!(!browser.has("//a[@id='update-service']").await && !browser.has("//a[@id='delete-service']").await);
    browser.client.goto(&format!("{}/ns/{ns}/services/plain/update", console.base())).await.expect("form");
    browser.wait_for("//p[@id='no-rights']").await;
    fill(&browser, "desired_count", "4").await;
    // The viewer may still have the manifest (for a pull request); the dry run says RBAC refuses it.
    browser.click("//button[@id='submit-manifest']").await;
    assert!(browser.text("//pre[@id='manifest']").await.contains("desiredCount: 4"));
    let refused = browser.text("//div[@id='manifest-refused']").await;
    assert!(refused.contains("403"), "{refused}");
    browser.click("//button[@id='submit-apply']").await;
    let error = browser.text("//div[@id='form-error']").await;
    assert!(error.contains("403") && error.contains("cannot update resource \"services\""), "{error}");
    assert!(error.contains(&viewer), "the apiserver's message names the user: {error}");
    browser.screenshot("service-viewer-refused").await;
    let (cookie, csrf) = session_of(&browser).await;
    let origin = console.base();
    let forced = raw_http::request(
        &console.host,
        "POST",
        &format!("/ns/{ns}/clusters/{ns}/create-service"),
        &[("Cookie", &cookie), ("Origin", &origin), form],
        &raw_http::form(&[
            ("_csrf", &csrf),
            ("intent", "apply"),
            ("service_name", "forced"),
            ("task_definition", "web"),
        ]),
    )
    .await;
    assert_eq!(forced.status, 403, "{}", forced.body);
    assert!(forced.body.contains("is forbidden"), "{}", forced.body);
    assert!(services.get_opt("forced").await.expect("get").is_none(), "nothing was created");
    assert_eq!(services.get("plain").await.expect("plain").spec.desired_count, Some(1), "nothing was updated");
    browser.close().await;
}

#[tokio::test]
async fn task_definition_revisions_compare_as_a_diff_and_deregister_to_inactive() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-td").await;
    simulated_cluster(&client, &ns).await;
    definition(&client, &ns, "web", 1).await;
    definition(&client, &ns, "web", 2).await;

    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    browser.client.goto(&format!("{}/ns/{ns}/task-definitions/web", console.base())).await.expect("family");
    browser.click("//a[@id='compare-revisions']").await;
    // The latest against the one before: the command line differs.
    let summary = browser.text("//p[@id='diff-summary']").await;
    assert!(summary.contains("lines differ"), "{summary}");
    let removed = browser.text("//table[@id='diff']//tr[contains(@class,'removed')]").await;
    assert!(removed.contains("echo revision 1"), "{removed}");
    let added = browser.text("//table[@id='diff']//tr[contains(@class,'added')]").await;
    assert!(added.contains("echo revision 2"), "{added}");
    browser.screenshot("task-definition-compare").await;

    // Revision 1: "Create new revision" opens the wizard prefilled from it; Deregister turns it INACTIVE.
    browser.client.goto(&format!("{}/ns/{ns}/task-definitions/web/1", console.base())).await.expect("revision");
    let wizard = browser.wait_for("//a[@id='new-revision']").await.attr("href").await.expect("attr").expect("href");
    assert_eq!(wizard, format!("/ns/{ns}/task-definitions/new?from=web:1"));
    browser.click("//a[@id='deregister']").await;
    browser.click("//button[@id='submit-deregister']").await;
    // Back on the revision's page, which follows the family: INACTIVE once the controller records it.
    browser.wait_for("//h1/span").await;
    browser.wait_for("//h1/span[text()='INACTIVE']").await;
    assert!(!browser.has("//a[@id='deregister']").await, "an INACTIVE revision offers no Deregister");
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    assert_eq!(definitions.get("web").await.expect("web").spec.deregistered_revisions, vec![1]);
    browser.close().await;
}

/// A registry image's tags on the repository page, found again after a reload until present.
async fn wait_for_image_row(browser: &Browser, url: &str, xpath: &str) {
    let deadline = Instant::now() + support::WAIT;
    loop {
        browser.client.goto(url).await.expect("repository page");
        browser.wait_for("//table[@id='images']").await;
        if browser.has(xpath).await {
            return;
        }
        assert!(Instant::now() < deadline, "{xpath} never showed on {url}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn an_ecr_repository_shows_images_pushed_with_crane_previews_a_lifecycle_policy_and_gives_push_commands_that_work()
 {
    setup();
    let ecr = support::ecr::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-ecr").await;
    let user = format!("{ns}-dev");
    ecs_api::grant(&client, &user, &ns, false).await;
    let key = ecs_api::key(&client, &ecr.api, &user, &ns).await;
    let name = format!("{ns}/web");
    support::ecr::aws_ok(ecr, &key, &["create-repository", "--repository-name", &name]);
    let crane = support::ecr::Crane::new(&format!("{ns}-console"));
    crane.login(ecr, &key);
    let v1 = format!("{}/{name}:v1", ecr.front);
    // The front learns of the new repository from its watch: pushes wait until it has.
    let deadline = Instant::now() + support::WAIT;
    loop {
        let (ok, _, stderr) = crane.run(&["push", &support::ecr::busybox_layout(), &v1], None);
        if ok {
            break;
        }
        assert!(stderr.contains("NAME_UNKNOWN") && Instant::now() < deadline, "crane push {v1}: {stderr}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let v2 = format!("{}/{name}:v2", ecr.front);
    crane.ok(&["mutate", &v1, "--label", "build=2", "-t", &v2]);
    let (d1, d2) = (crane.ok(&["digest", &v1]), crane.ok(&["digest", &v2]));

    let console = ConsoleProcess::start_with(
        &admin_kubeconfig(),
        &ns,
        &["--ecr-endpoint", &ecr.front, "--ecs-api-endpoint", &ecr.api.url],
    );
    let browser = signed_in(&console).await;
    browser.click("//nav/a[text()='ECR']").await;
    // The list is live: a repository created with the API shows up without a reload.
    browser.wait_for("//main[@data-live='open']").await;
    let other = format!("{ns}/api");
    support::ecr::aws_ok(ecr, &key, &["create-repository", "--repository-name", &other]);
    browser.wait_for(&format!("//table[@id='repositories']//a[text()='{other}']")).await;
    assert!(browser.has("//main[@data-updated]").await, "the new repository arrived over the live stream");
    browser.click(&format!("//table[@id='repositories']//a[text()='{name}']")).await;
    let page = browser.client.current_url().await.expect("url").to_string();
    wait_for_image_row(&browser, &page, &format!("//table[@id='images']//tr[@data-digest='{d2}']")).await;
    assert_eq!(browser.text(&format!("//tr[@data-digest='{d1}']/td[1]")).await, "v1");
    assert_eq!(browser.text(&format!("//tr[@data-digest='{d2}']/td[1]")).await, "v2");
    let size = browser.text(&format!("//tr[@data-digest='{d1}']/td[4]")).await;
    assert!(size.ends_with(" MB") && size != "0.00 MB", "{size}");
    assert_eq!(browser.text("//dd[@id='repository-uri']").await, format!("{}/{name}", ecr.host));

    // The push commands name this registry and this ECR API, and work: a push to the reference they
    // give lands in the repository.
    browser.click("//summary[@id='view-push-commands']").await;
    let login = browser.text("//pre[@id='push-login']").await;
    assert!(login.contains(&format!("--endpoint-url {}", ecr.api.url)), "{login}");
    assert!(login.ends_with(&format!("--password-stdin {}", ecr.front)), "{login}");
    let commands = browser.text("//pre[@id='push-commands']").await;
    let target = commands.lines().find_map(|l| l.strip_prefix("docker push ")).expect("a docker push line").to_string();
    assert_eq!(target, format!("{}/{name}:latest", ecr.front), "{commands}");
    browser.screenshot("ecr-repository").await;
    // The page is live: the pushed tag shows without a reload, the policy editor below untouched.
    browser.wait_for("//main[@data-live='open']").await;
    fill(&browser, "policy", "typed before the push").await;
    crane.ok(&["copy", &v2, &target]);
    browser.wait_for(&format!("//tr[@data-digest='{d2}']/td[1][contains(text(),'latest')]")).await;
    assert!(browser.has("//main[@data-updated]").await, "the pushed tag arrived over the live stream");
    let typed = browser.wait_for("//textarea[@id='policy']").await.prop("value").await.expect("value");
    assert_eq!(typed.as_deref(), Some("typed before the push"), "a live update keeps what is typed");

    // A draft policy previewed: the older image would expire, the newer stays; nothing is deleted.
    let policy = r#"{"rules":[{"rulePriority":1,"description":"keep one","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
    fill(&browser, "policy", policy).await;
    browser.click("//button[@id='preview']").await;
    browser.wait_for(&format!("//section[@id='draft-preview']//tr[@data-digest='{d1}']")).await;
    assert!(!browser.has(&format!("//section[@id='draft-preview']//tr[@data-digest='{d2}']")).await);
    assert!(browser.has(&format!("//table[@id='images']//tr[@data-digest='{d1}']")).await, "a preview deletes nothing");
    browser.client.set_window_size(1200, 1300).await.expect("window size");
    browser.screenshot("ecr-lifecycle-preview").await;

    // GitOps: the Repository with this policy as a manifest; then saved, and the controller expires
    // exactly what the preview listed.
    browser.click("//button[@id='submit-manifest']").await;
    let manifest = browser.text("//pre[@id='manifest']").await;
    for line in ["kind: Repository", &format!("repositoryName: {name}"), "lifecyclePolicy:", "countNumber: 1"] {
        assert!(manifest.contains(line), "{line:?} missing from the manifest:\n{manifest}");
    }
    browser.click("//button[@id='save-policy']").await;
    wait_for_image_row(&browser, &page, &format!("//table[@id='expired-images']//code[text()='{d1}']")).await;
    assert!(!browser.has(&format!("//table[@id='images']//tr[@data-digest='{d1}']")).await, "v1 expired");
    assert!(browser.has(&format!("//table[@id='images']//tr[@data-digest='{d2}']")).await, "the newest kept");
    assert!(browser.has("//pre[@id='lifecycle-policy']").await, "the saved policy is shown");
    fill(&browser, "policy", r#"{"rules":[]}"#).await;
    browser.click("//button[@id='preview']").await;
    let refused = browser.text("//div[@id='draft-error']").await;
    assert!(refused.contains("ECR would refuse this policy"), "{refused}");
    browser.close().await;
}

#[tokio::test]
async fn run_task_overrides_each_containers_command_and_environment_with_placement_and_tags() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-run2").await;
    simulated_cluster(&client, &ns).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "pair"},
            "spec": {"containerDefinitions": [
                {"name": "app", "image": "busybox:1.36", "memory": 32, "command": ["sleep", "3600"]},
                {"name": "sidecar", "image": "busybox:1.36", "memory": 32, "essential": false, "command": ["sleep", "3600"]}]}}),
    )
    .await;
    support::wait_for(&definitions, "pair", "revision 1", |td| {
        td.status.as_ref().is_some_and(|s| s.revision == Some(1))
    })
    .await;

    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/run-task", console.base())).await.expect("form");
    choose(&browser, "task_definition", "pair:1").await;
    browser.click("//button[@id='load-containers']").await;
    // One section per container of the revision, the choice kept.
    browser.wait_for("//fieldset[@data-container='sidecar']").await;
    assert!(browser.has("//fieldset[@data-container='app']").await);
    fill(&browser, "command.app", "sleep 600").await;
    fill(&browser, "environment.app", "GREETING=<script>alert(1)</script>").await;
    fill(&browser, "command.sidecar", r#"["sh", "-c", "sleep 700"]"#).await;
    fill(&browser, "placement_constraints", "distinctInstance").await;
    fill(&browser, "tags", "purpose=console test").await;
    browser.screenshot("run-task-overrides").await;
    // GitOps: the Task as a manifest instead of running it (nothing is created), the values kept.
    browser.click("//button[@id='submit-manifest']").await;
    let manifest = browser.text("//pre[@id='manifest']").await;
    for line in
        ["kind: Task", "taskDefinition: pair:1", "name: sidecar", "type: distinctInstance", "value: console test"]
    {
        assert!(manifest.contains(line), "{line:?} missing from the manifest:\n{manifest}");
    }
    let tasks: Api<kube_ecs::api::Task> = Api::namespaced(client.clone(), &ns);
    assert!(tasks.list(&Default::default()).await.expect("tasks").items.is_empty(), "Show manifest ran nothing");
    browser.click("//button[@id='submit-run']").await;
    browser.wait_for("//dl[@id='task-summary']").await;
    let url = browser.client.current_url().await.expect("url");
    let id = url.path().rsplit('/').next().expect("task id").to_string();
    let task = tasks.get(&id).await.expect("the console made the Task");
    let spec = serde_json::to_value(&task.spec).expect("spec");
    assert_eq!(
        spec["overrides"]["containerOverrides"],
        serde_json::json!([
            {"name": "app", "command": ["sleep", "600"], "environment": [{"name": "GREETING", "value": "<script>alert(1)</script>"}]},
            {"name": "sidecar", "command": ["sh", "-c", "sleep 700"]}]),
        "{spec}"
    );
    assert_eq!(spec["placementConstraints"], serde_json::json!([{"type": "distinctInstance"}]));
    assert_eq!(spec["tags"], serde_json::json!([{"key": "purpose", "value": "console test"}]));
    let overrides = browser.text("//table[@id='overrides']").await;
    assert!(overrides.contains("GREETING=<script>alert(1)</script>") && overrides.contains("sleep 700"), "{overrides}");
    assert!(!browser.has("//main//script").await, "no script element from data");
    browser.close().await;
}
