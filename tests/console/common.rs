//! The steps the console's browser tests share: the cluster they run on, signing in, the admin
//! kubeconfig, a task definition, form filling.
#![allow(dead_code)]

use std::path::PathBuf;

use kube::api::Api;
use kube_ecs::api::TaskDefinition;

use super::browser::Browser;
use super::process::ConsoleProcess;

/// Every console test may run a task on a real node: the cluster starts with one, and the operator.
pub fn setup() {
    crate::support::with_real_nodes(1);
    crate::support::operator::start();
}

pub fn admin_kubeconfig() -> PathBuf {
    crate::support::cluster().kubeconfig().to_path_buf()
}

/// A kubeconfig that acts as `user` (impersonation, as `kubectl --as` does), for namespace `ns`.
pub fn kubeconfig_as(user: &str, ns: &str) -> PathBuf {
    super::process::kubeconfig_as(&admin_kubeconfig(), user, ns)
}

/// A browser signed in with the console's printed URL, on the clusters page.
pub async fn signed_in(console: &ConsoleProcess) -> Browser {
    let browser = Browser::open().await;
    browser.client.goto(&console.login_url).await.expect("opening the printed URL");
    browser.wait_for("//table[@id='clusters']").await;
    browser
}

/// A simulated cluster named after the namespace with two instances.
pub async fn simulated_cluster(client: &kube::Client, ns: &str) {
    crate::support::ecs_cluster(client, ns, serde_json::json!({}), 2, ("4", "8Gi")).await;
}

/// Registers revision `revision` of `family`: one busybox container `app` that prints its revision
/// and sleeps (a new revision number is a new command, so a new revision).
pub async fn definition(client: &kube::Client, ns: &str, family: &str, revision: i64) {
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    crate::support::apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": family},
            "spec": {"containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 32,
                "entryPoint": ["sh", "-c"], "command": [format!("echo revision {revision}; sleep 3600")]}]}}),
    )
    .await;
    crate::support::wait_for(&definitions, family, &format!("revision {revision} registered"), |td| {
        td.status.as_ref().is_some_and(|s| s.revision == Some(revision))
    })
    .await;
}

/// Replaces the value of the input or textarea `id` with `text`.
pub async fn fill(browser: &Browser, id: &str, text: &str) {
    let element = browser.wait_for(&format!("//*[@id='{id}']")).await;
    element.clear().await.unwrap_or_else(|e| panic!("clearing {id}: {e}"));
    element.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {id}: {e}"));
}

/// Chooses `value` in the select `id`.
pub async fn choose(browser: &Browser, id: &str, value: &str) {
    browser
        .wait_for(&format!("//select[@id='{id}']"))
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choosing {value} in {id}: {e}"));
}

/// The session cookie and the page's CSRF token, for hand-made requests as this browser's user.
pub async fn session_of(browser: &Browser) -> (String, String) {
    let cookie = browser.client.get_named_cookie("kube_ecs_console").await.expect("session cookie");
    let csrf = browser.wait_for("//input[@name='_csrf']").await.attr("value").await.expect("attr").expect("csrf");
    (format!("kube_ecs_console={}", cookie.value()), csrf)
}
