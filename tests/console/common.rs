//! What the console's browser tests share: signing in, the admin kubeconfig and form filling. Each
//! test binary includes this file beside `browser`, `process` and `support`.
#![allow(dead_code)]

use std::path::PathBuf;

use crate::browser::Browser;
use crate::process::ConsoleProcess;

pub fn admin_kubeconfig() -> PathBuf {
    crate::support::cluster().kubeconfig().to_path_buf()
}

/// A kubeconfig that acts as `user` (impersonation, as `kubectl --as` does), for namespace `ns`.
pub fn kubeconfig_as(user: &str, ns: &str) -> PathBuf {
    crate::process::kubeconfig_as(&admin_kubeconfig(), user, ns)
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
