//! The console's two wizards in a real browser (headless Chromium over WebDriver,
//! tests/console/browser.rs), as a user runs `kube-ecs console`: the Create cluster form makes a
//! cluster whose simulated instances register and show on its Infrastructure tab; the
//! task-definition wizard builds a two-container definition with a dependsOn and a health check,
//! checked live by the apiserver's dry run (its message beside the field it names), shown as JSON,
//! registered as revision 1 equal to the same manifest applied with kubectl, and refuses an 11th
//! container; markup typed into a family or an environment value stays text. Each test has its own
//! namespace, console and browser; waits are on conditions. Screenshots: target/console-screenshots.

mod support;

#[path = "console/mod.rs"]
mod ui;

use std::time::Instant;

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::{Api, DeleteParams};
use kube_ecs::api::{EcsCluster, TaskDefinition, TaskDefinitionSpec};
use ui::browser::Browser;
use ui::common::{admin_kubeconfig, choose, fill, kubeconfig_as, signed_in};
use ui::process::ConsoleProcess;
use ui::raw_http;

const HOSTILE: &str = "<script>alert(1)</script> javascript:alert(2)";

/// The spec of revision `revision` of the family object `name`, as its tasks run it.
async fn revision_spec(client: &kube::Client, ns: &str, name: &str, revision: i64) -> TaskDefinitionSpec {
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    support::wait_for(&definitions, name, "revision registered", |td| {
        td.status.as_ref().is_some_and(|s| s.revision == Some(revision))
    })
    .await;
    let snapshots: Api<ControllerRevision> = Api::namespaced(client.clone(), ns);
    let snapshot = snapshots
        .get(&kube_ecs_domain::revisions::snapshot_name(name, revision))
        .await
        .expect("the revision's snapshot");
    kube_ecs_domain::revisions::snapshot_spec(&snapshot).expect("a snapshot spec")
}

#[tokio::test]
async fn the_create_cluster_form_makes_a_cluster_whose_instances_register_and_show() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "forms-cluster").await;
    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    let name = format!("{ns}-ecs");

    browser.click("//a[@id='create-cluster']").await;
    fill(&browser, "name", &name).await;
    choose(&browser, "capacity_type", "SPOT").await;
    fill(&browser, "instance_type", "t3.small").await;
    fill(&browser, "instances", "2").await;
    fill(&browser, "ebs", "40").await;
    choose(&browser, "ami", "AmazonLinux2").await;
    fill(&browser, "iam_role", "ecsInstanceRole").await;
    choose(&browser, "insights", "enabled").await;
    fill(&browser, "key_name", "ops-key").await;
    let line = browser.text("//div[@data-field='key_name']/p[@class='maps']").await;
    assert!(line.contains("kubectl debug node/<name>"), "{line}");

    // GitOps: the manifest instead of the cluster; nothing is created.
    browser.click("//button[@id='show-manifest']").await;
    let manifest = browser.text("//pre[@id='manifest']").await;
    for expected in
        ["kind: EcsCluster", "instanceType: t3.small", "capacityType: SPOT", "instances: 2", "ebsVolumeSizeGiB: 40"]
    {
        assert!(manifest.contains(expected), "{expected} in:\n{manifest}");
    }
    let clusters: Api<EcsCluster> = Api::all(client.clone());
    assert!(clusters.get_opt(&name).await.expect("read").is_none(), "showing the manifest creates nothing");
    browser.screenshot("create-cluster").await;

    // Created as the user: the Infrastructure tab shows both simulated instances registered.
    let created = Instant::now();
    browser.click("//button[@id='create']").await;
    browser.wait_for("//table[@id='container-instances']").await;
    let url = browser.client.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/ns/{ns}/clusters/{name}/infrastructure"));
    browser.wait_for("//table[@id='container-instances']/tbody/tr[2]/td[2]/span[text()='ACTIVE']").await;
    browser.wait_for("//table[@id='container-instances']/tbody/tr[1]/td[2]/span[text()='ACTIVE']").await;
    println!("two instances registered and shown {:?} after Create", created.elapsed());
    let pool_row = browser.text("//table[@id='capacity-providers']/tbody/tr[1]").await;
    assert!(pool_row.contains("t3.small") && pool_row.contains("SPOT"), "{pool_row}");
    browser.screenshot("create-cluster-instances").await;

    let cluster = clusters.get(&name).await.expect("the console made the cluster");
    let pool = &cluster.spec.node_pools[0];
    assert_eq!(
        (pool.instance_type.as_deref(), pool.capacity_type.as_deref(), pool.instances, pool.ebs_volume_size_gi_b),
        (Some("t3.small"), Some("SPOT"), Some(2), Some(40))
    );
    assert_eq!(
        (pool.ami_family.as_deref(), pool.iam_role.as_deref(), pool.key_name.as_deref()),
        (Some("AmazonLinux2"), Some("ecsInstanceRole"), Some("ops-key"))
    );
    assert_eq!(cluster.spec.container_insights.as_deref(), Some("enabled"));
    let managers: Vec<String> =
        cluster.metadata.managed_fields.clone().unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
    assert!(managers.contains(&"kube-ecs-console".to_string()), "{managers:?}");

    // An instance type the simulated catalog lacks is refused beside its field, before any write.
    browser.client.goto(&format!("{}/ns/{ns}/clusters/new", console.base())).await.expect("create cluster");
    fill(&browser, "name", &format!("{name}-bad")).await;
    fill(&browser, "instance_type", "t9.enormous").await;
    browser.click("//button[@id='create']").await;
    let message = browser.text("//div[@data-field='instance_type']/p[@class='field-error']").await;
    assert!(message.contains("not in the simulated instance catalog"), "{message}");

    browser.close().await;
    clusters.delete(&name, &DeleteParams::default()).await.expect("deleting the cluster");
}

#[tokio::test]
async fn the_wizard_registers_what_kubectl_registers_and_shows_the_apiservers_messages() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "forms-wizard").await;
    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    let new = format!("{}/ns/{ns}/task-definitions/new", console.base());
    browser.click("//nav/a[text()='Task definitions']").await;
    browser.click("//a[@id='create-task-definition']").await;

    // A family with markup: the apiserver's dry-run message beside the family input, as text.
    fill(&browser, "family", HOSTILE).await;
    fill(&browser, "c0.name", "app").await;
    fill(&browser, "c0.image", "nginx:1.27").await;
    let message = browser.text("//div[@class='field-errors'][@data-for='family']/p").await;
    assert!(message.contains("spec.family") && message.contains("<script>alert(1)</script>"), "{message}");
    assert!(!browser.has("//script[not(@src)]").await, "no script element from data");
    assert!(!browser.has("//a[contains(@href,'javascript')]").await, "no javascript: link");

    // The definition: two containers, app depends on db being HEALTHY.
    fill(&browser, "family", "web").await;
    fill(&browser, "c0.memory", "256").await;
    fill(&browser, "c0.ports", "8080/tcp name=web").await;
    fill(&browser, "c0.env", &format!("GREETING={HOSTILE}")).await;
    browser.click("//button[@id='add-container']").await;
    fill(&browser, "c1.name", "db").await;
    fill(&browser, "c1.image", "redis:7").await;
    choose(&browser, "c1.essential", "false").await;
    fill(&browser, "c1.hc_command", "CMD-SHELL, redis-cli ping").await;
    fill(&browser, "c1.hc_interval", "10").await;
    choose(&browser, "c0.dep.1", "HEALTHY").await;
    assert_eq!(browser.text("//label[@for='c0.dep.1']").await, "Container 2 (db)", "the label follows the name");
    assert_eq!(
        browser.wait_for("//textarea[@id='c0.env']").await.prop("value").await.expect("value").as_deref(),
        Some(format!("GREETING={HOSTILE}").as_str()),
        "the values survive adding a container"
    );

    // Live validation: a soft limit above the hard one -> the apiserver's CEL message by memory.
    fill(&browser, "c0.memory_reservation", "512").await;
    let message = browser
        .text("//div[@class='field-errors'][@data-for='c0.memory']/p[contains(., 'memory must be greater than memoryReservation')]")
        .await;
    assert!(message.contains("spec.containerDefinitions[0]"), "{message}");
    browser.screenshot("td-wizard-invalid").await;
    // The JSON tab follows the form, and the form follows the JSON: the fix is typed in the JSON.
    browser.click("//button[@id='tab-json']").await;
    let json =
        browser.wait_for("//textarea[@id='td-json']").await.prop("value").await.expect("value").unwrap_or_default();
    let shown: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(
        shown["containerDefinitions"][0]["dependsOn"],
        serde_json::json!([{"containerName": "db", "condition": "HEALTHY"}])
    );
    assert_eq!(shown["containerDefinitions"][0]["environment"][0]["value"], serde_json::json!(HOSTILE));
    assert_eq!(shown["containerDefinitions"][0]["memoryReservation"], serde_json::json!(512), "{json}");
    let fixed = json.replace("\"memoryReservation\": 512", "\"memoryReservation\": 128");
    assert_ne!(fixed, json);
    fill(&browser, "td-json", &fixed).await;
    browser.wait_for("//input[@id='c0.memory_reservation'][@value='128']").await;
    browser.wait_for("//form[@id='td-wizard'][@data-valid='true']").await;
    browser.screenshot("td-wizard-json").await;
    browser.click("//button[@id='tab-form']").await;
    assert!(!browser.has("//div[@data-for='c0.memory']/p").await, "the message goes once the apiserver accepts");

    // Registered as revision 1, as the user.
    browser.click("//button[@id='register']").await;
    browser.wait_for("//table[@id='revisions']").await;
    let wizard = revision_spec(&client, &ns, "web", 1).await;

    // The same definition applied with kubectl, in another namespace: the same revision content.
    let other = support::namespace(&client, "forms-kubectl").await;
    let manifest = format!(
        r#"apiVersion: ecs.kube-ecs.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: web
  namespace: {other}
spec:
  family: web
  containerDefinitions:
  - name: app
    image: nginx:1.27
    essential: true
    memory: 256
    memoryReservation: 128
    portMappings:
    - containerPort: 8080
      protocol: tcp
      name: web
    environment:
    - name: GREETING
      value: "{HOSTILE}"
    dependsOn:
    - containerName: db
      condition: HEALTHY
  - name: db
    image: redis:7
    essential: false
    healthCheck:
      command: ["CMD-SHELL", "redis-cli ping"]
      interval: 10
"#
    );
    let (ok, stdout, stderr) = support::kubectl(&["apply", "-f", "-"], Some(&manifest));
    assert!(ok, "kubectl apply: {stdout}{stderr}");
    let applied = revision_spec(&client, &other, "web", 1).await;
    pretty_assertions::assert_eq!(wizard, applied, "the wizard's revision 1 is kubectl's");
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let made = definitions.get("web").await.expect("the wizard's TaskDefinition");
    let managers: Vec<String> =
        made.metadata.managed_fields.unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
    assert!(managers.contains(&"kube-ecs-console".to_string()), "{managers:?}");

    // The revision page shows the environment value as text.
    browser.client.goto(&format!("{}/ns/{ns}/task-definitions/web/1", console.base())).await.expect("revision");
    let json = browser.text("//pre[@id='revision-json']").await;
    assert!(json.contains(HOSTILE), "{json}");
    assert!(!browser.has("//script[not(@src)]").await, "no script element from data");

    // Create new revision from web:1: prefilled (the unchanged definition passes the dry run of a
    // replace); a new image registers revision 2, the rest as it was.
    browser.client.goto(&format!("{new}?from=web:1")).await.expect("new revision");
    assert_eq!(browser.text("//h1").await, "Create new revision from web:1");
    let family = browser.wait_for("//input[@id='family']").await.prop("value").await.expect("value");
    assert_eq!(family.as_deref(), Some("web"));
    browser.wait_for("//form[@id='td-wizard'][@data-valid='true']").await;
    fill(&browser, "c1.image", "redis:7.2").await;
    browser.click("//button[@id='register']").await;
    browser.wait_for("//table[@id='revisions']//a[text()='web:2']").await;
    let second = revision_spec(&client, &ns, "web", 2).await;
    let mut expected = wizard.clone();
    expected.container_definitions[1].image = "redis:7.2".into();
    pretty_assertions::assert_eq!(second, expected, "revision 2 is revision 1 with the new image");

    // A revision with fields the wizard has no input for (applied with kubectl), and an EFS volume
    // the form shows by its name only: they are said, and carried into its next revision.
    let tuned = format!(
        r#"apiVersion: ecs.kube-ecs.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: tuned
  namespace: {ns}
spec:
  family: tuned
  pidMode: task
  containerDefinitions:
  - name: app
    image: busybox:1.36
    memory: 64
    ulimits:
    - name: nofile
      softLimit: 1024
      hardLimit: 2048
    linuxParameters:
      initProcessEnabled: true
  volumes:
  - name: shared
    efsVolumeConfiguration:
      fileSystemId: fs-12345678
"#
    );
    let (ok, stdout, stderr) = support::kubectl(&["apply", "-f", "-"], Some(&tuned));
    assert!(ok, "kubectl apply: {stdout}{stderr}");
    let first = revision_spec(&client, &ns, "tuned", 1).await;
    browser.client.goto(&format!("{new}?from=tuned:1")).await.expect("new revision");
    let carried = browser.text("//p[@id='carried-fields']").await;
    for member in [
        "pidMode",
        "volumes[shared].efsVolumeConfiguration",
        "containerDefinitions[0].linuxParameters",
        "containerDefinitions[0].ulimits",
    ] {
        assert!(carried.contains(member), "{member} in: {carried}");
    }
    assert!(!browser.has("//p[@id='not-kept-fields']").await, "everything is kept");
    browser.wait_for("//form[@id='td-wizard'][@data-valid='true']").await;
    fill(&browser, "c0.image", "busybox:1.37").await;
    browser.click("//button[@id='register']").await;
    browser.wait_for("//table[@id='revisions']//a[text()='tuned:2']").await;
    let next = revision_spec(&client, &ns, "tuned", 2).await;
    assert_eq!(next.container_definitions[0].image, "busybox:1.37");
    assert_eq!(next.pid_mode, first.pid_mode);
    assert_eq!(next.container_definitions[0].ulimits, first.container_definitions[0].ulimits);
    assert_eq!(next.container_definitions[0].linux_parameters, first.container_definitions[0].linux_parameters);
    assert_eq!(next.volumes, first.volumes);

    // Ten containers at most: the 11th cannot be added.
    browser.client.goto(&format!("{new}?from=web:2")).await.expect("new revision");
    for next in 2..10 {
        browser.click("//button[@id='add-container']").await;
        browser.wait_for(&format!("//input[@id='c{next}.name']")).await;
    }
    browser.wait_for("//button[@id='add-container'][@disabled]").await;
    assert!(browser.text("//span[@id='container-limit']").await.contains("at most 10 containers"));
    assert!(!browser.has("//input[@id='c10.name']").await);
    browser.screenshot("td-wizard-ten-containers").await;

    // By hand, with the browser's session: an 11th container posted is not added, and Download
    // manifest answers a YAML file.
    let cookie = browser.client.get_named_cookie("kube_ecs_console").await.expect("the session cookie");
    let csrf = browser.wait_for("//input[@name='_csrf']").await.attr("value").await.expect("attr").unwrap_or_default();
    let cookie = format!("kube_ecs_console={}", cookie.value());
    let origin = console.base();
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Origin", origin.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let path = format!("/ns/{ns}/task-definitions/new");
    let names: Vec<(String, String)> = (0..10).map(|i| (format!("c{i}.name"), format!("c{i}"))).collect();
    let mut pairs: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str()), ("_action", "add-container"), ("family", "web")];
    pairs.extend(names.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let answer = raw_http::request(&console.host, "POST", &path, &headers, &raw_http::form(&pairs)).await;
    assert!(answer.body.contains("A task definition has at most 10 containers."), "{}", answer.body);
    assert!(!answer.body.contains("id=\"c10.name\""), "no 11th container section");
    let download = [
        ("_csrf", csrf.as_str()),
        ("_action", "download"),
        ("family", "web"),
        ("c0.name", "app"),
        ("c0.image", "nginx:1.27"),
    ];
    let answer = raw_http::request(&console.host, "POST", &path, &headers, &raw_http::form(&download)).await;
    assert_eq!(answer.status, 200, "{}", answer.head);
    assert_eq!(answer.header("content-disposition").as_deref(), Some("attachment; filename=\"web.yaml\""));
    assert!(
        answer.body.contains("kind: TaskDefinition") && answer.body.contains("image: nginx:1.27"),
        "{}",
        answer.body
    );

    // Show manifest instead of registering: YAML a user commits; the definition is unchanged.
    browser.client.goto(&format!("{new}?from=web:1")).await.expect("new revision");
    browser.click("//button[@id='show-manifest']").await;
    let manifest = browser.text("//pre[@id='manifest']").await;
    assert!(manifest.contains("kind: TaskDefinition") && manifest.contains("condition: HEALTHY"), "{manifest}");
    let status = definitions.get("web").await.expect("read").status.unwrap_or_default();
    assert_eq!(status.revision, Some(2));

    // A family a GitOps tool applies (Helm's marker): the wizard does not write it, change it in Git.
    support::apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": "from-git", "labels": {"app.kubernetes.io/managed-by": "Helm"}},
            "spec": {"containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]}}),
    )
    .await;
    revision_spec(&client, &ns, "from-git", 1).await;
    browser.client.goto(&format!("{new}?from=from-git:1")).await.expect("new revision");
    browser.wait_for("//div[@id='form-error']/p[contains(., 'managed by Helm')]").await;
    fill(&browser, "c0.image", "nginx:1.28").await;
    browser.click("//button[@id='register']").await;
    let refusal = browser.text("//div[@id='form-error']/p[contains(., 'managed by Helm')]").await;
    assert!(refusal.contains("change it in Git"), "{refusal}");
    let status = definitions.get("from-git").await.expect("read").status.unwrap_or_default();
    assert_eq!(status.revision, Some(1), "nothing registered");
    browser.close().await;
}

#[tokio::test]
async fn a_viewer_sees_no_create_buttons_and_the_wizard_shows_the_apiservers_refusal() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "forms-viewer").await;
    let viewer = format!("viewer-{ns}");
    let read =
        serde_json::json!([{"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]);
    support::ecs_api::grant_role(&client, &viewer, &ns, "view", read).await;
    let console = ConsoleProcess::start(&kubeconfig_as(&viewer, &ns), &ns);
    let browser = Browser::open().await;
    browser.client.goto(&console.login_url).await.expect("sign in");
    assert!(browser.text("//div[@id='who']").await.contains(&viewer));

    browser.client.goto(&format!("{}/ns/{ns}/task-definitions", console.base())).await.expect("families");
    browser.wait_for("//table[@id='families']").await;
    assert!(!browser.has("//a[@id='create-task-definition']").await, "no create button for a viewer");
    browser.client.goto(&format!("{}/ns/{ns}/clusters", console.base())).await.expect("clusters");
    browser.wait_for("//main//div[contains(@class,'error')]").await;
    assert!(!browser.has("//a[@id='create-cluster']").await, "no create button for a viewer");

    // The wizard, reached anyway: RBAC's answer up front, and the apiserver's own refusal.
    browser.client.goto(&format!("{}/ns/{ns}/task-definitions/new", console.base())).await.expect("the wizard");
    browser.wait_for("//p[@id='no-rights']").await;
    fill(&browser, "family", "web").await;
    fill(&browser, "c0.name", "app").await;
    fill(&browser, "c0.image", "nginx:1.27").await;
    let refusal = browser.text(&format!("//div[@id='form-error']/p[contains(., '{viewer}')]")).await;
    assert!(refusal.contains("forbidden"), "the dry run is refused as the viewer: {refusal}");
    browser.click("//button[@id='register']").await;
    browser.wait_for("//h1[text()='Create new task definition']").await;
    let refusal = browser.text(&format!("//div[@id='form-error']/p[contains(., '{viewer}')]")).await;
    assert!(refusal.contains("cannot create resource \"taskdefinitions\""), "{refusal}");
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    assert!(definitions.get_opt("web").await.expect("read").is_none(), "nothing is registered");
    browser.screenshot("td-wizard-viewer").await;
    browser.close().await;
}
