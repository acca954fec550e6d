//! The Run task form (the ECS console's "Run new task"): revision, count, compute options, and one
//! container's command and environment overrides. A failed run shows the apiserver's message next
//! to the form, with the values kept.

use kube::api::{Api, ListParams};
use kube_ecs_api::ecs::RevisionStatus;
use kube_ecs_api::{EcsCluster, TaskDefinition};
use kube_ecs_domain::revisions::family_of;
use maud::{Markup, html};

use super::layout;
use crate::actions::RunTaskForm;
use crate::error::{ConsoleError, Result};

pub async fn form(
    session: &crate::session::Session,
    ns: &str,
    object: &str,
    values: &RunTaskForm,
    error: Option<&ConsoleError>,
) -> Result<Markup> {
    let (client, csrf) = (&session.identity.client, session.csrf.as_str());
    let (definitions_api, clusters_api) =
        (Api::<TaskDefinition>::namespaced(client.clone(), ns), Api::<EcsCluster>::all(client.clone()));
    let params = ListParams::default();
    let (definitions, cluster, rights) =
        futures::join!(definitions_api.list(&params), clusters_api.get(object), session.rights(ns));
    let mut revisions: Vec<String> = definitions?
        .items
        .iter()
        .flat_map(|td| {
            let family = family_of(td);
            let records = td.status.as_ref().map(|s| s.revisions.clone()).unwrap_or_default();
            records
                .into_iter()
                .rev()
                .filter(|r| r.status == RevisionStatus::Active)
                .map(move |r| format!("{family}:{}", r.revision))
        })
        .collect();
    revisions.sort();
    // A user who may not read the cluster can still run tasks on it: the providers list is then empty.
    let providers: Vec<String> = cluster
        .map(|c| c.spec.node_pools.iter().map(|p| p.capacity_provider().to_string()).collect())
        .unwrap_or_default();
    let compute = |value: &str| values.compute == value;
    Ok(html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/clusters" } { "Clusters" } " › "
            a href={ "/ns/" (ns) "/clusters/" (object) "/tasks" } { (object) } " › " "Run task"
        }
        h1 { "Run task" }
        @if !rights.run_tasks {
            p.warning #no-rights { "RBAC does not let you create tasks in namespace " (ns)
                " (SelfSubjectAccessReview): the apiserver will refuse this form." }
        }
        @if let Some(e) = error { div #form-error { (layout::error_box(e)) } }
        form.run-task method="post" action={ "/ns/" (ns) "/clusters/" (object) "/run-task" } {
            input type="hidden" name="_csrf" value=(csrf);
            fieldset {
                legend { "Deployment configuration" }
                label for="task_definition" { "Task definition (family:revision)" }
                select #task_definition name="task_definition" {
                    @for r in &revisions {
                        option value=(r) selected[values.task_definition == *r] { (r) }
                    }
                }
                label for="count" { "Desired tasks" }
                input #count type="number" name="count" min="1" max="10" value=(if values.count.is_empty() { "1" } else { &values.count });
            }
            fieldset {
                legend { "Compute options" }
                label for="compute" { "Launch type or capacity provider" }
                select #compute name="compute" {
                    option value="" selected[compute("")] { "Cluster default" }
                    @for lt in ["EC2", "FARGATE", "EXTERNAL"] {
                        @let value = format!("launch:{lt}");
                        option value=(value) selected[compute(&value)] { "Launch type " (lt) }
                    }
                    @for p in &providers {
                        @let value = format!("provider:{p}");
                        option value=(value) selected[compute(&value)] { "Capacity provider " (p) }
                    }
                }
            }
            fieldset {
                legend { "Container overrides" }
                label for="container" { "Container name" }
                input #container type="text" name="container" value=(values.container);
                label for="command" { "Command (a JSON array, or words separated by spaces)" }
                input #command type="text" name="command" value=(values.command) size="60";
                label for="environment" { "Environment variables (NAME=value, one per line)" }
                textarea #environment name="environment" rows="4" cols="60" { (values.environment) }
            }
            button.primary #submit-run type="submit" { "Create" }
        }
    })
}
