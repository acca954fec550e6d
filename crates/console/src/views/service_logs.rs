//! A service's logs (the ECS console's service Logs tab): the last lines of each container of the
//! service's newest tasks (the workload's Pods, selected as the service page selects them), read from
//! `pods/log` as the identity. The page follows them live (re-read every second, as a task's page).

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube_ecs_api::Service;
use kube_ecs_api::ecs_names::{cluster_reference, service_name};
use maud::{Markup, html};

use super::task::container_log;
use crate::error::Result;

/// Tasks whose logs the page shows, newest first (their containers' last lines each).
pub const TASKS_SHOWN: usize = 10;

/// One container's log on the page.
pub struct ContainerLog {
    pub task: String,
    pub container: String,
    pub log: Result<String>,
}

pub async fn fragment(session: &crate::session::Session, ns: &str, object: &str) -> Result<Markup> {
    let client = &session.identity.client;
    let service = Api::<Service>::namespaced(client.clone(), ns).get(object).await?;
    let selector = service.status.as_ref().and_then(|s| s.selector.clone());
    let mut pods = match selector {
        Some(selector) => {
            Api::<Pod>::namespaced(client.clone(), ns).list(&ListParams::default().labels(&selector)).await?.items
        }
        None => Vec::new(),
    };
    pods.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp));
    pods.truncate(TASKS_SHOWN);
    let reads = pods.iter().flat_map(|pod| {
        let task = pod.metadata.name.clone().unwrap_or_default();
        let containers = pod.spec.iter().flat_map(|s| s.containers.iter().map(|c| c.name.clone())).collect::<Vec<_>>();
        containers.into_iter().map(move |container| {
            let task = task.clone();
            async move {
                let log = container_log(client, ns, &task, container.clone()).await;
                ContainerLog { task, container, log }
            }
        })
    });
    let logs = futures::future::join_all(reads).await;
    let cluster = cluster_reference(service.spec.cluster.as_deref());
    Ok(render(ns, object, &service_name(&service), &cluster, &logs))
}

/// The page: pure, so hostile log text is tested as it renders (as text, through maud).
pub fn render(ns: &str, object: &str, name: &str, cluster: &str, logs: &[ContainerLog]) -> Markup {
    html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/clusters" } { "Clusters" } " › "
            a href={ "/ns/" (ns) "/clusters/" (cluster) "/services" } { (cluster) } " › "
            a href={ "/ns/" (ns) "/services/" (object) } { "Service " (name) } " › " "Logs"
        }
        h1 { (name) " · Logs" }
        p.muted { "The last lines of each container of the service's " (TASKS_SHOWN) " newest tasks, newest task first." }
        @for entry in logs {
            section.log data-task=(entry.task) data-container=(entry.container) {
                h2 { (entry.task) " · " (entry.container) }
                @match &entry.log {
                    Ok(text) if text.is_empty() => p.muted { "No log lines yet." },
                    Ok(text) => pre.log { (text) },
                    Err(e) => (super::layout::error_box(e)),
                }
            }
        }
        @if logs.is_empty() { p #no-tasks { "The service has no tasks." } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConsoleError;

    #[test]
    fn log_lines_render_as_text() {
        let logs = [
            ContainerLog {
                task: "web-1".into(),
                container: "app".into(),
                log: Ok("<script>alert(1)</script>\njavascript:alert(2)\n".into()),
            },
            ContainerLog { task: "web-1".into(), container: "sidecar".into(), log: Ok(String::new()) },
            ContainerLog {
                task: "web-2".into(),
                container: "app".into(),
                log: Err(ConsoleError::Invalid("<b>no</b>".into())),
            },
        ];
        let html = render("team", "web", "<i>web</i>", "default", &logs).into_string();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(!html.contains("<script>") && !html.contains("<b>") && !html.contains("<i>"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("No log lines yet."), "{html}");
    }
}
