//! A task's page: ECS's task details (statuses, stop code and reason, times), its containers,
//! its events (views::events) and each container's log read from `pods/log` as the identity (a stopped task's kept Pod included,
//! docs/logs-and-secrets.md). Stop is offered when RBAC allows patching tasks.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube_ecs_api::Task;
use maud::{Markup, html};

use super::{fmt, layout};
use crate::error::{ConsoleError, Result};
use crate::rights::Rights;
use crate::session::Session;

/// The last lines of each container's log the page shows.
pub const LOG_TAIL_LINES: i64 = 500;

pub async fn fragment(session: &Session, ns: &str, id: &str) -> Result<Markup> {
    let (client, csrf) = (&session.identity.client, session.csrf.as_str());
    let api = Api::<Task>::namespaced(client.clone(), ns);
    let (task, rights) = futures::join!(api.get_opt(id), session.rights(ns));
    // No Task of that ID: a service's task (its Pod), shown the same way. The service replaces a
    // task of its own that stops, so the page offers no Stop for it (scale the service instead).
    let (task, rights) = match task? {
        Some(task) => (task, rights),
        None => match super::service_tasks::by_id(client, ns, id).await? {
            Some(task) => (task, Rights { stop_tasks: false, ..rights }),
            None => return Err(ConsoleError::NotFound(format!("task {id} in namespace {ns}"))),
        },
    };
    let status = task.status.clone().unwrap_or_default();
    let pod = status.pod.clone().unwrap_or_else(|| id.to_string());
    let logs = futures::future::join_all(status.containers.iter().map(|c| {
        let container = c.kubernetes_name.clone().unwrap_or_else(|| c.name.clone());
        container_log(client, ns, &pod, container)
    }));
    // The task's Events and its Pod's (one list when they share the name).
    let named: Vec<&str> = if pod == id { vec![id] } else { vec![id, pod.as_str()] };
    let (logs, events) = futures::join!(logs, super::events::about(client, ns, &named));
    // A GitOps tool's task is stopped in Git (the ECS API's StopTask refuses it too): no Stop here.
    let owner = super::gitops::owned_by(&task.metadata);
    let rights = if owner.is_some() { Rights { stop_tasks: false, ..rights } } else { rights };
    let page = render(&TaskView { ns, id, task: &task, rights, logs: &logs, csrf });
    Ok(html! {
        @if let Some(owner) = &owner { (super::gitops::read_only(owner, "This task")) }
        (page)
        (super::events::render(&events))
    })
}

/// What the task page shows, read.
pub struct TaskView<'a> {
    pub ns: &'a str,
    pub id: &'a str,
    pub task: &'a Task,
    pub rights: Rights,
    /// Each container's log (in `status.containers`' order), or why it could not be read.
    pub logs: &'a [Result<String>],
    pub csrf: &'a str,
}

/// The task page's content: pure, so what reaches the HTML is tested without a cluster.
pub fn render(view: &TaskView<'_>) -> Markup {
    let TaskView { ns, id, task, rights, logs, csrf } = *view;
    let status = task.status.clone().unwrap_or_default();
    let last = fmt::opt_word(status.last_status.as_ref());
    let desired = fmt::opt_word(task.spec.desired_status.as_ref().or(status.desired_status.as_ref()));
    let cluster = kube_ecs_api::ecs_names::cluster_reference(task.spec.cluster.as_deref());
    html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/clusters" } { "Clusters" } " › "
            a href={ "/ns/" (ns) "/clusters/" (cluster) "/tasks" } { (cluster) } " › " "Task " (id)
        }
        h1 { "Task " (id) }
        @if rights.stop_tasks && desired != "STOPPED" {
            form.actions method="post" action={ "/ns/" (ns) "/tasks/" (id) "/stop" } {
                input type="hidden" name="_csrf" value=(csrf);
                input type="text" name="reason" placeholder="Reason (optional)" size="30";
                button.danger #stop-task type="submit" { "Stop" }
            }
        }
        dl.summary #task-summary {
            div { dt { "Last status" } dd #last-status { (fmt::badge(&last)) } }
            div { dt { "Desired status" } dd #desired-status { (desired) } }
            div { dt { "Task definition" } dd { (status.task_definition.as_deref().unwrap_or(&task.spec.task_definition)) } }
            div { dt { "Capacity provider" } dd { (status.capacity_provider_name.as_deref().unwrap_or(fmt::NONE)) } }
            div { dt { "Container instance" } dd { (status.container_instance.as_deref().unwrap_or(fmt::NONE)) } }
            div { dt { "Health status" } dd { (fmt::opt_word(status.health_status.as_ref())) } }
            div { dt { "Started by" } dd { (task.spec.started_by.as_deref().unwrap_or(fmt::NONE)) } }
            div { dt { "Group" } dd { (task.spec.group.as_deref().unwrap_or(fmt::NONE)) } }
            div { dt { "Stop code" } dd #stop-code { (fmt::opt_word(status.stop_code.as_ref())) } }
            div.wide { dt { "Stopped reason" } dd #stopped-reason { (status.stopped_reason.as_deref().or(task.spec.stopped_reason.as_deref()).unwrap_or(fmt::NONE)) } }
        }
        h2 { "Times" }
        dl.summary {
            div { dt { "Created at" } dd { (fmt::time(status.created_at.as_ref().or(task.metadata.creation_timestamp.as_ref()))) } }
            div { dt { "Pull started at" } dd { (fmt::time(status.pull_started_at.as_ref())) } }
            div { dt { "Started at" } dd { (fmt::time(status.started_at.as_ref())) } }
            div { dt { "Stopping at" } dd { (fmt::time(status.stopping_at.as_ref())) } }
            div { dt { "Stopped at" } dd { (fmt::time(status.stopped_at.as_ref())) } }
        }
        h2 { "Containers" }
        table.list #containers {
            thead { tr { th { "Container" } th { "Image" } th { "Essential" } th { "Last status" } th { "Exit code" } th { "Health" } th { "Reason" } } }
            tbody {
                @for c in &status.containers {
                    tr data-container=(c.name) {
                        td { (c.name) }
                        td { code { (c.image.as_deref().unwrap_or(fmt::NONE)) } }
                        td { (fmt::opt(c.essential)) }
                        td { (fmt::badge(&fmt::opt_word(c.last_status.as_ref()))) }
                        td.num.exit-code { (fmt::opt(c.exit_code)) }
                        td { (fmt::opt_word(c.health_status.as_ref())) }
                        td { (c.reason.as_deref().unwrap_or(fmt::NONE)) }
                    }
                }
                @if status.containers.is_empty() { tr { td colspan="7" { "No container has started yet." } } }
            }
        }
        @if let Some(overrides) = task.spec.overrides.as_deref() {
            @if !overrides.container_overrides.is_empty() {
                h2 { "Container overrides" }
                table.list #overrides {
                    thead { tr { th { "Container" } th { "Command" } th { "Environment" } } }
                    tbody {
                        @for o in &overrides.container_overrides {
                            tr {
                                td { (o.name) }
                                td { code { (o.command.as_ref().map(|c| c.join(" ")).unwrap_or_default()) } }
                                td { @for pair in &o.environment {
                                    div.env { code { (pair.name.as_deref().unwrap_or_default()) "=" (pair.value.as_deref().unwrap_or_default()) } }
                                } }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Logs" }
        @for (c, log) in status.containers.iter().zip(logs) {
            section.log data-container=(c.name) {
                h3 { (c.name) }
                @match log {
                    Ok(text) if text.is_empty() => p.muted { "No log lines yet." },
                    Ok(text) => pre.log { (text) },
                    Err(e) => (layout::error_box(e)),
                }
            }
        }
    }
}

/// The last lines of one container's log, as the identity reads them.
pub(crate) async fn container_log(client: &kube::Client, ns: &str, pod: &str, container: String) -> Result<String> {
    let params = LogParams { container: Some(container), tail_lines: Some(LOG_TAIL_LINES), ..Default::default() };
    match Api::<Pod>::namespaced(client.clone(), ns).logs(pod, &params).await {
        Ok(text) => Ok(text),
        // A container that has not started has no log yet: not an error to show.
        Err(kube::Error::Api(s)) if s.code == 400 && s.message.contains("waiting to start") => Ok(String::new()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(String::new()),
        Err(e) => Err(ConsoleError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task whose every free-text field is hostile: what an attacker who may create tasks (or
    /// write to a container's stdout) controls.
    fn hostile_task() -> Task {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "t1", "namespace": "team"},
            "spec": {"taskDefinition": "web:1", "cluster": "default", "group": "family:web",
                "stoppedReason": "<img src=x onerror=alert(1)>",
                "overrides": {"containerOverrides": [{"name": "app", "command": ["<script>alert(2)</script>"],
                    "environment": [{"name": "URL", "value": "javascript:alert(3)"}]}]}},
            "status": {"lastStatus": "RUNNING", "containers": [
                {"name": "app", "image": "\"><script>alert(4)</script>", "reason": "</pre><script>alert(5)</script>"}]},
        }))
        .expect("task")
    }

    #[test]
    fn attacker_text_renders_as_text() {
        let task = hostile_task();
        let logs = vec![Ok("<script>alert(6)</script>\njavascript:alert(7)\n".to_string())];
        let rights = Rights { run_tasks: true, stop_tasks: true };
        let html =
            render(&TaskView { ns: "team", id: "t1", task: &task, rights, logs: &logs, csrf: "c0ffee" }).into_string();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        for shown in [
            "&lt;script&gt;alert(2)&lt;/script&gt;",
            "URL=javascript:alert(3)",
            "&lt;img src=x onerror=alert(1)&gt;",
            "&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;",
            "&lt;/pre&gt;&lt;script&gt;alert(5)&lt;/script&gt;",
            "&lt;script&gt;alert(6)&lt;/script&gt;",
        ] {
            assert!(html.contains(shown), "{shown} is not shown as text: {html}");
        }
    }

    #[test]
    fn stop_is_offered_with_the_csrf_token_only_when_rbac_allows_it() {
        let task = hostile_task();
        let logs = vec![Ok(String::new())];
        let allowed = Rights { run_tasks: false, stop_tasks: true };
        let html =
            render(&TaskView { ns: "team", id: "t1", task: &task, rights: allowed, logs: &logs, csrf: "c0ffee" })
                .into_string();
        assert!(html.contains(r#"action="/ns/team/tasks/t1/stop""#) && html.contains(r#"value="c0ffee""#), "{html}");
        let html = render(&TaskView {
            ns: "team",
            id: "t1",
            task: &task,
            rights: Rights::default(),
            logs: &logs,
            csrf: "c0ffee",
        })
        .into_string();
        assert!(!html.contains("/stop"), "no Stop without patch rights: {html}");
    }
}
