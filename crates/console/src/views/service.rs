//! A service's page: ECS's counts, its deployments with their rollout state, its events (newest
//! first, as the console shows them) and its tasks (the workload's Pods, selected by the selector
//! the Service controller publishes in status).

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube_ecs_api::Service;
use kube_ecs_api::ecs_names::{cluster_reference, service_name};
use maud::{Markup, html};

use super::{fmt, layout};
use crate::error::{ConsoleError, Result};

/// Events shown (ECS's console pages through its last 100).
const EVENTS_SHOWN: usize = 100;

pub async fn fragment(session: &crate::session::Session, ns: &str, object: &str) -> Result<Markup> {
    let client = &session.identity.client;
    let service = Api::<Service>::namespaced(client.clone(), ns).get(object).await?;
    let actions = super::service_actions::actions(session, ns, object, &service).await;
    let status = service.status.clone().unwrap_or_default();
    let name = service_name(&service);
    let cluster = cluster_reference(service.spec.cluster.as_deref());
    let tasks = match status.selector.as_deref() {
        Some(selector) => Api::<Pod>::namespaced(client.clone(), ns)
            .list(&ListParams::default().labels(selector))
            .await
            .map(|l| super::service_tasks::of_service(&service, &l.items))
            .map_err(ConsoleError::from),
        None => Ok(Vec::new()),
    };
    Ok(html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/clusters" } { "Clusters" } " › "
            a href={ "/ns/" (ns) "/clusters/" (cluster) "/services" } { (cluster) } " › " "Service " (name)
        }
        h1 { (name) }
        (actions)
        p.tabs { a.tab #service-logs href={ "/ns/" (ns) "/services/" (object) "/logs" } { "Logs" } }
        dl.summary #service-summary {
            div { dt { "Status" } dd { (fmt::badge(&fmt::opt_word(status.status.as_ref()))) } }
            div { dt { "Task definition" } dd { (status.task_definition.as_deref().unwrap_or(&service.spec.task_definition)) } }
            div { dt { "Desired tasks" } dd #desired-count { (fmt::opt(status.desired_count.or(service.spec.desired_count))) } }
            div { dt { "Running tasks" } dd #running-count { (status.running_count.unwrap_or(0)) } }
            div { dt { "Pending tasks" } dd #pending-count { (status.pending_count.unwrap_or(0)) } }
            div { dt { "Deployment" } dd { (fmt::badge(&fmt::opt_word(status.rollout_state.as_ref()))) } }
        }
        h2 { "Deployments" }
        table.list #deployments {
            thead { tr { th { "Deployment" } th { "Status" } th { "Task definition" } th { "Desired" } th { "Pending" } th { "Running" } th { "Failed" } th { "Rollout state" } th { "Updated at" } } }
            tbody {
                @for d in &status.deployments {
                    tr {
                        td { (d.id) }
                        td { (fmt::badge(&fmt::word(&d.status))) }
                        td { (d.task_definition) }
                        td.num { (d.desired_count) } td.num { (d.pending_count) } td.num { (d.running_count) } td.num { (d.failed_tasks) }
                        td { (fmt::badge(&fmt::opt_word(d.rollout_state.as_ref()))) " " span.muted { (d.rollout_state_reason.as_deref().unwrap_or_default()) } }
                        td { (fmt::time(d.updated_at.as_ref())) }
                    }
                }
            }
        }
        h2 { "Tasks" }
        @match &tasks {
            Err(e) => (layout::error_box(e)),
            Ok(tasks) => table.list #service-tasks {
                thead { tr {
                    th { "Task" } th { "Last status" } th { "Desired status" } th { "Health status" }
                    th { "Task definition" } th { "Container instance" } th { "Started at" }
                } }
                tbody {
                    @for task in tasks {
                        @let id = task.metadata.name.clone().unwrap_or_default();
                        @let task_status = task.status.clone().unwrap_or_default();
                        tr data-task=(id) {
                            td { a href={ "/ns/" (ns) "/tasks/" (id) } { (id) } }
                            td.last-status { (fmt::badge(&fmt::opt_word(task_status.last_status.as_ref()))) }
                            td { (fmt::opt_word(task_status.desired_status.as_ref())) }
                            td { (fmt::opt_word(task_status.health_status.as_ref())) }
                            td { (task.spec.task_definition) }
                            td { (task_status.container_instance.as_deref().unwrap_or(fmt::NONE)) }
                            td { (fmt::time(task_status.started_at.as_ref())) }
                        }
                    }
                    @if tasks.is_empty() { tr { td colspan="7" { "No tasks." } } }
                }
            },
        }
        h2 { "Events" }
        table.list #events {
            thead { tr { th { "Started at" } th { "Message" } } }
            tbody {
                @for event in status.events.iter().rev().take(EVENTS_SHOWN) {
                    tr { td { (fmt::time(event.created_at.as_ref())) } td { (event.message) } }
                }
            }
        }
    })
}
