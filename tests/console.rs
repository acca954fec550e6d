//! The web console in a real browser (headless Chromium over WebDriver, tests/console/browser.rs):
//! `kube-ecs console` started as a user starts it, signed in with its printed URL, its pages read,
//! a task run on a real container instance and watched to STOPPED without a reload, RBAC's refusals
//! shown, and the security rules (Origin, CSRF, Host, escaping) held against what a browser on
//! another origin and a hand-made request can send. Each test has its own namespace, cluster,
//! console and browser; waits are on conditions.

mod support;

#[path = "console/mod.rs"]
mod ui;

use std::time::{Duration, Instant};

use kube::api::Api;
use kube_ecs::api::{Task, TaskDefinition};
use support::{apply, ecs_api};
use ui::browser::{self, Browser};
use ui::common::{admin_kubeconfig, definition, kubeconfig_as, setup, signed_in};
use ui::process::ConsoleProcess;
use ui::raw_http;

async fn task(client: &kube::Client, ns: &str, name: &str, family: &str) {
    let tasks: Api<Task> = Api::namespaced(client.clone(), ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": name},
            "spec": {"taskDefinition": family, "cluster": ns}}),
    )
    .await;
}

/// A simulated cluster named after the namespace, with one instance and tags that look like code.
async fn simulated_cluster(client: &kube::Client, ns: &str) {
    support::ecs_cluster(
        client,
        ns,
        serde_json::json!({"tags": [
            {"key": "note", "value": "<script>alert('tag')</script> javascript:alert(1)"},
            {"key": "runbook", "value": "https://example.com/runbook"},
        ]}),
        1,
        ("4", "8Gi"),
    )
    .await;
}

#[tokio::test]
async fn signs_in_with_the_printed_url_and_sees_a_cluster_its_tasks_and_its_tags_live() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-view").await;
    simulated_cluster(&client, &ns).await;
    definition(&client, &ns, "web", 1).await;
    task(&client, &ns, "first-task", "web").await;

    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    let url = browser.client.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/ns/{ns}/clusters"), "signing in leaves the URL that carried the token");
    browser.click(&format!("//table[@id='clusters']//a[text()='{ns}']")).await;
    browser.click("//nav[@class='tabs']//a[text()='Tasks']").await;
    browser.wait_for("//tr[@data-task='first-task']").await;
    assert!(browser.has("//a[@id='run-task']").await, "the admin may run tasks: the button is there");

    // Live: a task created elsewhere shows up without a reload, within 2 s of its creation.
    browser.wait_for("//main[@data-live='open']").await;
    let created = Instant::now();
    task(&client, &ns, "second-task", "web").await;
    browser.wait_within("//tr[@data-task='second-task']", Duration::from_secs(2)).await;
    println!("a new task appeared on the open page {:?} after its creation", created.elapsed());
    browser.wait_for("//tr[@data-task='second-task']//td[contains(@class,'last-status')]/span[text()='RUNNING']").await;
    browser.screenshot("cluster-tasks").await;

    // Tags: text that looks like markup or a script URL stays text; only https becomes a link.
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/tags", console.base())).await.expect("tags");
    let note = browser.text("//table[@id='tags']//tr[td[1]='note']/td[2]").await;
    assert_eq!(note, "<script>alert('tag')</script> javascript:alert(1)");
    assert!(browser.has("//table[@id='tags']//a[@href='https://example.com/runbook']").await);
    assert!(!browser.has("//a[contains(@href,'javascript')]").await, "no javascript: link");
    assert!(!browser.has("//main//script").await, "no script element from data");

    // Task definitions: family -> revisions -> the revision's JSON; a service's page.
    browser.click("//nav/a[text()='Task definitions']").await;
    browser.click("//table[@id='families']//a[text()='web']").await;
    browser.click("//table[@id='revisions']//a[text()='web:1']").await;
    let json = browser.text("//pre[@id='revision-json']").await;
    assert!(json.contains("\"image\": \"busybox:1.36\""), "{json}");
    let services: Api<kube_ecs::api::Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "api"},
            "spec": {"taskDefinition": "web", "cluster": ns, "desiredCount": 1}}),
    )
    .await;
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/services", console.base())).await.expect("services");
    browser.click("//table[@id='services']//a[text()='api']").await;
    browser.wait_for("//dd[@id='running-count'][text()='1']").await;
    browser.wait_for("//table[@id='deployments']//td[text()='web:1']").await;

    // Sign out: the session ends (a page then asks to sign in) and the printed URL signs in once.
    browser.click("//button[@id='sign-out']").await;
    assert!(browser.text("//main").await.contains("You are signed out."));
    browser.client.goto(&format!("{}/ns/{ns}/clusters", console.base())).await.expect("clusters");
    assert!(browser.text("//main").await.contains("You are not signed in."));

    browser.client.goto(&console.login_url).await.expect("the URL again");
    let body = browser.text("//main").await;
    assert!(body.contains("wrong or was used already"), "{body}");
    browser.close().await;
}

/// A service's Logs tab: each of its tasks' containers, as their lines come (no reload), log text
/// that looks like markup staying text.
#[tokio::test]
async fn a_services_logs_follow_its_tasks_containers_live() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-logs").await;
    support::real_nodes_cluster(&client, &ns).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let script = r#"echo "<script>alert(1)</script> javascript:alert(2) from $HOSTNAME"; i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done"#;
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "talker"},
            "spec": {"containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 32,
                "entryPoint": ["sh", "-c"], "command": [script]}]}}),
    )
    .await;
    support::wait_for(&definitions, "talker", "revision 1 registered", |td| {
        td.status.as_ref().is_some_and(|s| s.revision == Some(1))
    })
    .await;
    let services: Api<kube_ecs::api::Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "talker"},
            "spec": {"taskDefinition": "talker", "cluster": ns, "desiredCount": 2}}),
    )
    .await;

    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    browser.client.goto(&format!("{}/ns/{ns}/services/talker", console.base())).await.expect("service");
    browser.click("//a[@id='service-logs']").await;
    browser.wait_for("//main[@data-live='open']").await;
    // Both tasks' lines, arriving over the page's stream: a tick past every one the first render
    // showed (on a loaded machine the tasks may be ticking long before the page opens).
    let shown = browser.text("//main").await;
    let last_shown =
        shown.split("tick ").skip(1).filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok()).max();
    let target = last_shown.map_or(5, |n| n + 2);
    let ticking = format!("//section[@data-container='app']/pre[contains(., 'tick {target}')]");
    browser.wait_within(&format!("({ticking})[2]"), Duration::from_secs(180)).await;
    assert!(browser.has("//main[@data-updated]").await, "the lines arrived over the live stream, not by a reload");
    let text = browser.text("(//section[@data-container='app']/pre)[1]").await;
    assert!(text.contains("<script>alert(1)</script> javascript:alert(2) from talker-"), "{text}");
    assert!(!browser.has("//main//script").await, "a log line is no script element");
    assert!(!browser.has("//a[contains(@href,'javascript')]").await, "nor a link");
    browser.screenshot("service-logs").await;
    browser.close().await;
}

#[tokio::test]
async fn runs_a_task_on_a_real_node_and_watches_it_stop_with_its_exit_code_and_logs() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-run").await;
    support::real_nodes_cluster(&client, &ns).await;
    definition(&client, &ns, "job", 1).await;

    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/tasks", console.base())).await.expect("tasks tab");
    browser.click("//a[@id='run-task']").await;
    browser.wait_for("//select[@id='task_definition']").await.select_by_value("job:1").await.expect("revision");
    browser.wait_for("//input[@id='container']").await.send_keys("app").await.expect("container");
    let script = r#"["echo hello from the console; echo \"<script>alert(1)</script> javascript:alert(2)\"; echo \"greeting=$GREETING\"; sleep 5; exit 3"]"#;
    browser.wait_for("//input[@id='command']").await.send_keys(script).await.expect("command");
    browser
        .wait_for("//textarea[@id='environment']")
        .await
        .send_keys("GREETING=<script>alert(3)</script> javascript:alert(4)")
        .await
        .expect("environment");
    browser.screenshot("run-task").await;
    browser.click("//button[@id='submit-run']").await;

    // The task's page, updated by its stream alone: RUNNING, then STOPPED with exit code 3.
    browser.wait_for("//dl[@id='task-summary']").await;
    let url = browser.client.current_url().await.expect("url");
    let id = url.path().rsplit('/').next().expect("task id").to_string();
    assert!(url.path().starts_with(&format!("/ns/{ns}/tasks/")), "{url}");
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let made = tasks.get(&id).await.expect("the console made the Task");
    let managers: Vec<String> =
        made.metadata.managed_fields.unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
    assert!(managers.contains(&"kube-ecs-console".to_string()), "{managers:?}");
    browser.wait_within("//dd[@id='last-status']/span[text()='STOPPED']", Duration::from_secs(180)).await;
    assert!(browser.has("//main[@data-updated]").await, "STOPPED arrived over the live stream, not by a reload");
    browser.wait_for("//tr[@data-container='app']/td[contains(@class,'exit-code')][text()='3']").await;
    assert_eq!(browser.text("//dd[@id='stop-code']").await, "EssentialContainerExited");
    let log = browser.text("//section[@data-container='app']/pre").await;
    assert!(log.contains("hello from the console"), "{log}");
    assert!(log.contains("<script>alert(1)</script> javascript:alert(2)"), "the log line is text: {log}");
    assert!(log.contains("greeting=<script>alert(3)</script> javascript:alert(4)"), "{log}");
    let env = browser.text("//table[@id='overrides']").await;
    assert!(env.contains("GREETING=<script>alert(3)</script> javascript:alert(4)"), "{env}");
    assert!(!browser.has("//main//script").await, "no script element from data");
    assert!(!browser.has("//a[contains(@href,'javascript')]").await, "no javascript: link");
    // The task's events: its Pod's from the scheduler and the kubelet.
    browser.wait_for("//table[@id='events']//tr[@data-reason='Scheduled']").await;
    browser.wait_for("//table[@id='events']//tr[@data-reason='Started']").await;
    // Tall enough for the containers and their logs.
    browser.client.set_window_size(1200, 1400).await.expect("window size");
    browser.screenshot("task-stopped").await;
    browser.close().await;
}

#[tokio::test]
async fn a_view_only_user_sees_no_run_button_and_a_forced_run_gets_the_apiservers_403() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-viewer").await;
    simulated_cluster(&client, &ns).await;
    definition(&client, &ns, "web", 1).await;
    task(&client, &ns, "seen-task", "web").await;
    let viewer = format!("viewer-{ns}");
    let read = serde_json::json!([
        {"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
    ]);
    ecs_api::grant_role(&client, &viewer, &ns, "view", read).await;

    let console = ConsoleProcess::start(&kubeconfig_as(&viewer, &ns), &ns);
    let browser = Browser::open().await;
    browser.client.goto(&console.login_url).await.expect("sign in");
    let who = browser.text("//div[@id='who']").await;
    assert!(who.contains(&viewer), "the page says who you are: {who}");
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/tasks", console.base())).await.expect("tasks");
    browser.wait_for("//tr[@data-task='seen-task']").await;
    assert!(!browser.has("//a[@id='run-task']").await, "RBAC refuses create: no Run button");

    // Forced: the form itself, submitted anyway; the apiserver refuses and says why.
    browser.client.goto(&format!("{}/ns/{ns}/clusters/{ns}/run-task", console.base())).await.expect("form");
    browser.wait_for("//p[@id='no-rights']").await;
    browser.wait_for("//select[@id='task_definition']").await.select_by_value("web:1").await.expect("revision");
    browser.click("//button[@id='submit-run']").await;
    let error = browser.text("//div[@id='form-error']").await;
    assert!(error.contains("403") && error.contains("cannot create resource \"tasks\""), "{error}");
    assert!(error.contains(&viewer), "the apiserver's message names the user: {error}");
    browser.screenshot("viewer-refused").await;

    // And the status code is the apiserver's, for a hand-made POST with the viewer's session.
    let cookie = browser.client.get_named_cookie("kube_ecs_console").await.expect("session cookie");
    let csrf = browser.wait_for("//input[@name='_csrf']").await.attr("value").await.expect("attr").expect("csrf");
    let origin = console.base();
    let answer = raw_http::request(
        &console.host,
        "POST",
        &format!("/ns/{ns}/clusters/{ns}/run-task"),
        &[
            ("Cookie", &format!("kube_ecs_console={}", cookie.value())),
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &raw_http::form(&[("_csrf", &csrf), ("task_definition", "web:1")]),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("is forbidden"), "{}", answer.body);
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    assert_eq!(tasks.list(&Default::default()).await.expect("tasks").items.len(), 1, "nothing was created");
    browser.close().await;
}

/// A page of another origin on this machine (127.0.0.1, another port: the same *site*, so the
/// SameSite cookie goes along, which leaves the Origin check and the CSRF token to refuse it).
async fn hostile_page(console_base: &str, ns: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let html = format!(
        r#"<!doctype html><html><head><title>waiting</title></head><body>
<form method="post" action="{console_base}/ns/{ns}/tasks/victim/stop"><input type="hidden" name="_csrf" value="guessed">
<button id="go" type="submit">go</button></form>
<script>
var s = new EventSource("{console_base}/live?page=/ns/{ns}/clusters", {{withCredentials: true}});
s.onopen = function () {{ document.title = "stream-open"; }};
s.onerror = function () {{ document.title = "stream-refused"; s.close(); }};
</script></body></html>"#
    );
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    format!("http://{address}/")
}

#[tokio::test]
async fn cross_origin_posts_and_streams_another_host_and_a_missing_csrf_token_are_refused() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-origin").await;
    simulated_cluster(&client, &ns).await;
    definition(&client, &ns, "web", 1).await;
    task(&client, &ns, "victim", "web").await;

    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = signed_in(&console).await;
    let cookie = browser.client.get_named_cookie("kube_ecs_console").await.expect("session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");

    // In the browser: another origin's form and event stream.
    browser.client.goto(&hostile_page(&console.base(), &ns).await).await.expect("hostile page");
    let deadline = Instant::now() + browser::PAGE_WAIT;
    loop {
        let title = browser.client.title().await.expect("title");
        assert_ne!(title, "stream-open", "a stream opened from another origin was served");
        if title == "stream-refused" {
            break;
        }
        assert!(Instant::now() < deadline, "the hostile page's stream neither opened nor failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.click("//button[@id='go']").await;
    let body = browser.text("//body").await;
    assert!(body.contains("must come from the console's own pages"), "{body}");
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let victim = tasks.get("victim").await.expect("victim");
    assert_ne!(
        victim.spec.desired_status,
        Some(kube_ecs::api::ecs::DesiredStatus::Stopped),
        "the cross-origin stop did nothing"
    );

    // By hand: each rule on its own.
    let session = format!("kube_ecs_console={}", cookie.value());
    let origin = console.base();
    let stop = format!("/ns/{ns}/tasks/victim/stop");
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let evil = raw_http::request(
        &console.host,
        "POST",
        &stop,
        &[("Cookie", &session), ("Origin", "http://evil.example"), form],
        "_csrf=x",
    )
    .await;
    assert_eq!(evil.status, 403, "another Origin");
    let none = raw_http::request(&console.host, "POST", &stop, &[("Cookie", &session), form], "_csrf=x").await;
    assert_eq!(none.status, 403, "no Origin");
    let csrf = raw_http::request(
        &console.host,
        "POST",
        &stop,
        &[("Cookie", &session), ("Origin", &origin), form],
        "_csrf=wrong",
    )
    .await;
    assert_eq!(csrf.status, 403, "a wrong CSRF token");
    assert!(csrf.body.contains("CSRF"), "{}", csrf.body);
    let live = format!("/live?page=/ns/{ns}/clusters");
    let stream =
        raw_http::request(&console.host, "GET", &live, &[("Cookie", &session), ("Origin", "http://evil.example")], "")
            .await;
    assert_eq!(stream.status, 403, "a stream from another Origin");
    let cross =
        raw_http::request(&console.host, "GET", &live, &[("Cookie", &session), ("Sec-Fetch-Site", "cross-site")], "")
            .await;
    assert_eq!(cross.status, 403, "a stream the browser marks cross-site");
    let ours =
        raw_http::request(&console.host, "GET", &live, &[("Cookie", &session), ("Sec-Fetch-Site", "same-origin")], "")
            .await;
    assert_eq!(ours.status, 200, "the console's own stream: {}", ours.head);
    let port = console.host.rsplit(':').next().expect("port");
    let rebound = raw_http::request(
        &console.host,
        "GET",
        "/",
        &[("Host", &format!("evil.example:{port}")), ("Cookie", &session)],
        "",
    )
    .await;
    assert_eq!(rebound.status, 403, "another Host (DNS rebinding)");
    let page =
        raw_http::request(&console.host, "GET", &format!("/ns/{ns}/clusters"), &[("Cookie", &session)], "").await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    println!("cluster list page server time: {:?}", page.header("server-timing"));

    // A family cannot carry markup at all: the apiserver refuses it before any page could show it.
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let refused = definitions
        .patch(
            "hostile",
            &kube::api::PatchParams::apply("test-user").force(),
            &kube::api::Patch::Apply(
                serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
                "metadata": {"name": "hostile"}, "spec": {"family": "<script>alert(1)</script>javascript:",
                "containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 32}]}}),
            ),
        )
        .await;
    assert!(refused.is_err(), "a family with markup was accepted");
    browser.close().await;
}

/// A measurement, not a check (run it on purpose: `cargo test --test console -- --ignored
/// measure_the_tasks_tab`): the server time of a cluster's Tasks tab with `KUBE_ECS_CONSOLE_TASKS`
/// tasks (default 1000) in the namespace, read from the pages' `Server-Timing` header, 20 requests.
/// The cluster has no instance: the Tasks wait in PROVISIONING, listed like any others.
#[tokio::test]
#[ignore]
async fn measure_the_tasks_tab() {
    let count: usize = std::env::var("KUBE_ECS_CONSOLE_TASKS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-measure").await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    let names: Vec<String> = (0..count).map(|i| format!("task-{i:05}")).collect();
    for chunk in names.chunks(100) {
        futures::future::join_all(chunk.iter().map(|name| {
            let tasks = tasks.clone();
            let manifest = serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
                "metadata": {"name": name}, "spec": {"taskDefinition": "web", "cluster": ns}});
            async move { apply(&tasks, manifest).await }
        }))
        .await;
    }
    // Measured once the operator has given every task its status (its reconciles would weigh in).
    support::wait_for_list_within(&tasks, "every task observed", Duration::from_secs(600), |all| {
        all.len() == count && all.iter().all(|t| t.status.is_some())
    })
    .await;
    let console = ConsoleProcess::start(&admin_kubeconfig(), &ns);
    let browser = Browser::open().await;
    browser.client.goto(&console.login_url).await.expect("sign in");
    let cookie = browser.client.get_named_cookie("kube_ecs_console").await.expect("session cookie");
    let session = format!("kube_ecs_console={}", cookie.value());
    let path = format!("/ns/{ns}/clusters/{ns}/tasks");
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..20 {
        let page = raw_http::request(&console.host, "GET", &path, &[("Cookie", &session)], "").await;
        assert_eq!(page.status, 200);
        bytes = page.body.len();
        let timing = page.header("server-timing").expect("Server-Timing");
        times.push(timing.trim_start_matches("render;dur=").parse::<f64>().expect("a duration"));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "Tasks tab with {count} tasks: server time p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; page {} KiB",
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        times[times.len() - 1],
        bytes / 1024
    );
    browser.close().await;
}

#[tokio::test]
async fn operator_mode_signs_in_with_a_bearer_token_or_an_access_key_and_acts_with_its_rights_only() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-token").await;
    simulated_cluster(&client, &ns).await;
    definition(&client, &ns, "web", 1).await;
    task(&client, &ns, "token-task", "web").await;
    let (ok, _, stderr) = support::kubectl(&["create", "serviceaccount", "reader", "-n", &ns], None);
    assert!(ok, "{stderr}");
    let user = format!("system:serviceaccount:{ns}:reader");
    let read = serde_json::json!([
        {"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
    ]);
    ecs_api::grant_role(&client, &user, &ns, "view", read).await;
    let (ok, token, stderr) = support::kubectl(&["create", "token", "reader", "-n", &ns], None);
    assert!(ok, "{stderr}");

    // The console as the operator runs it: the admin's configuration gives the cluster, not rights.
    let listen = "127.0.0.1:0".parse().expect("address");
    // The ECS API's key store over this namespace's key Secrets (the operator watches its own).
    let (store, feed) = kube_ecs::ecs_api::keys::KeyStore::watch(client.clone(), &ns);
    tokio::spawn(feed);
    let keys: std::sync::Arc<dyn kube_ecs::web_console::sign_in::AccessKeys> =
        std::sync::Arc::new(kube_ecs::console::EndpointKeys(store.clone()));
    let console =
        kube_ecs::web_console::Console::with_token_sign_in(listen, ecs_api::kube_config().await, Some(keys), &[])
            .await
            .expect("console");
    let base = format!("http://{}", console.address());
    tokio::spawn(console.serve());

    let browser = Browser::open().await;
    browser.client.goto(&format!("{base}/")).await.expect("home");
    browser.wait_for("//textarea[@id='token']").await.send_keys("not-a-token").await.expect("token");
    browser.click("//button[@id='sign-in']").await;
    let refused = browser.text("//div[@id='sign-in-error']").await;
    assert!(refused.contains("did not accept"), "{refused}");
    browser.wait_for("//textarea[@id='token']").await.send_keys(token.trim()).await.expect("token");
    browser.click("//button[@id='sign-in']").await;
    let who = browser.text("//div[@id='who']").await;
    assert!(who.contains(&user), "signed in as the token's ServiceAccount: {who}");
    browser.client.goto(&format!("{base}/ns/{ns}/clusters/{ns}/tasks")).await.expect("tasks");
    browser.wait_for("//tr[@data-task='token-task']").await;
    assert!(!browser.has("//a[@id='run-task']").await, "the token's rights, not the admin's: no Run button");
    let clusters = browser.text("//div[contains(@class,'error')]").await;
    assert!(
        clusters.contains("403") && clusters.contains(&user),
        "the cluster itself is refused to the token: {clusters}"
    );
    browser.close().await;

    // An ECS API access key: its identity impersonated, its namespace the pages' own.
    let key_user = format!("key-user-{ns}");
    let read =
        serde_json::json!([{"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]);
    ecs_api::grant_role(&client, &key_user, &ns, "view", read).await;
    let (id, secret) = ("AKIACONSOLETEST0001", "a-secret-of-more-than-16-characters");
    let key = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "console-key", "namespace": ns},
        "type": kube_ecs::ecs_api::keys::SECRET_TYPE,
        "stringData": {"accessKeyId": id, "secretAccessKey": secret, "username": key_user, "namespace": ns}});
    apply(&Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), &ns), key).await;
    let deadline = Instant::now() + support::WAIT;
    while store.lookup(id).is_none() {
        assert!(Instant::now() < deadline, "the key store never saw the key");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let browser = Browser::open().await;
    browser.client.goto(&format!("{base}/sign-in")).await.expect("sign-in");
    browser.wait_for("//input[@id='access_key_id']").await.send_keys(id).await.expect("id");
    browser
        .wait_for("//input[@id='secret_access_key']")
        .await
        .send_keys("a-wrong-secret-of-16-chars")
        .await
        .expect("secret");
    browser.click("//button[@id='sign-in']").await;
    let refused = browser.text("//div[@id='sign-in-error']").await;
    assert!(refused.contains("do not match"), "{refused}");
    browser.wait_for("//input[@id='access_key_id']").await.send_keys(id).await.expect("id");
    browser.wait_for("//input[@id='secret_access_key']").await.send_keys(secret).await.expect("secret");
    browser.click("//button[@id='sign-in']").await;
    let who = browser.text("//div[@id='who']").await;
    assert!(who.contains(&key_user), "signed in as the key's user: {who}");
    let url = browser.client.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/ns/{ns}/clusters"), "the key's namespace");
    browser.client.goto(&format!("{base}/ns/{ns}/clusters/{ns}/tasks")).await.expect("tasks");
    browser.wait_for("//tr[@data-task='token-task']").await;
    assert!(!browser.has("//a[@id='run-task']").await, "the key's rights: no Run button");
    browser.close().await;
}

/// `curl` of the console over HTTPS trusting `ca` (none: the system's trust store); returns
/// (success, the answer's head and body, stderr).
fn curl_https(ca: Option<&std::path::Path>, args: &[&str]) -> (bool, String, String) {
    let mut command = std::process::Command::new("curl");
    command.args(["-sS", "-i", "--max-time", "10"]);
    if let Some(ca) = ca {
        command.arg("--cacert").arg(ca);
    }
    let out = command.args(args).output().expect("running curl (hack/install-deps.sh installs it)");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// The console as the operator serves it with a certificate (`--console-tls-cert`/`--console-tls-key`,
/// chart `console.tls.secretName`): a client trusting the certificate signs in with a bearer token
/// over HTTPS and gets a `Secure` session cookie that opens the pages; a client that does not trust it
/// is refused by TLS itself, and plain HTTP on the port gets no page.
// Multi-threaded: the console runs on this test's runtime while curl blocks a thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_mode_serves_https_with_a_configured_certificate() {
    setup();
    let client = support::client().await;
    let ns = support::namespace(&client, "console-tls").await;
    let (ok, _, stderr) = support::kubectl(&["create", "serviceaccount", "reader", "-n", &ns], None);
    assert!(ok, "{stderr}");
    let user = format!("system:serviceaccount:{ns}:reader");
    let read =
        serde_json::json!([{"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]);
    ecs_api::grant_role(&client, &user, &ns, "view", read).await;
    let (ok, token, stderr) = support::kubectl(&["create", "token", "reader", "-n", &ns], None);
    assert!(ok, "{stderr}");

    let dir = support::scratch(&format!("console-tls-{ns}"));
    let (certificate, private_key) = support::tls::self_signed_for_loopback(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let args = kube_ecs::console_in_operator::OperatorConsoleArgs {
        console_bind_address: format!("127.0.0.1:{port}"),
        console_hosts: vec![],
        console_tls_cert: Some(certificate.clone()),
        console_tls_key: Some(private_key),
        console_allow_plain_http: false,
    };
    args.start(&ecs_api::kube_config().await, None, None).await.expect("the console starts");

    let base = format!("https://127.0.0.1:{port}");
    let (ok, answer, stderr) = curl_https(Some(&certificate), &[&format!("{base}/")]);
    assert!(ok && answer.starts_with("HTTP/1.1 401"), "the sign-in page over HTTPS: {answer}{stderr}");
    let body = format!("token={}", token.trim());
    let origin = format!("Origin: {base}");
    let (ok, answer, stderr) =
        curl_https(Some(&certificate), &["-H", &origin, "--data", &body, &format!("{base}/sign-in")]);
    assert!(ok, "{stderr}");
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .unwrap_or_else(|| panic!("a session cookie: {answer}"))
        .trim()
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.ends_with("; Secure"), "over HTTPS the session cookie is Secure: {cookie}");
    let session = cookie.split(';').next().expect("name=value").to_string();
    let (ok, answer, stderr) = curl_https(
        Some(&certificate),
        &["-H", &format!("Cookie: {session}"), &format!("{base}/ns/{ns}/task-definitions")],
    );
    assert!(ok && answer.starts_with("HTTP/1.1 200"), "{answer}{stderr}");
    assert!(answer.contains(&user), "signed in as the token's ServiceAccount: {answer}");

    // Not trusted: TLS refuses before any page. Plain HTTP: no page either.
    let (ok, _, stderr) = curl_https(None, &[&format!("{base}/")]);
    assert!(!ok && stderr.to_lowercase().contains("certificate"), "{stderr}");
    let (ok, answer, _) = curl_https(None, &[&format!("http://127.0.0.1:{port}/")]);
    assert!(!(ok && answer.starts_with("HTTP/1.1")), "plain HTTP got a page: {answer}");
    let _ = std::fs::remove_dir_all(&dir);
}
