//! The Run task form (the ECS console's "Run new task"): revision, count, compute options, each
//! container's command and environment overrides, placement constraints and tags. "Load containers"
//! (the same form posted with `intent=load`, no script) shows one override section per container of
//! the chosen revision; a container can also be named by hand. A failed run shows the apiserver's message next
//! to the form, with the values kept.

use kube::api::{Api, ListParams};
use kube_ecs_api::ecs::RevisionStatus;
use kube_ecs_api::{EcsCluster, TaskDefinition};
use kube_ecs_domain::revisions::family_of;
use maud::{Markup, html};

use super::{compute_options, layout};
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
    let definitions_list = definitions?.items;
    let mut revisions: Vec<String> = definitions_list
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
    let providers = compute_options::providers(cluster.as_ref().ok());
    let containers = loaded_containers(client, ns, &definitions_list, &values.task_definition).await;
    let per = |kind: &str, name: &str| values.per_container.get(&format!("{kind}.{name}")).cloned().unwrap_or_default();
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
                " " button #load-containers type="submit" name="intent" value="load" { "Load containers" }
                label for="count" { "Desired tasks" }
                input #count type="number" name="count" min="1" max="10" value=(if values.count.is_empty() { "1" } else { &values.count });
            }
            (compute_options::fieldset(&values.compute, &providers))
            @for name in &containers {
                fieldset.container-override data-container=(name) {
                    legend { "Container " (name) " overrides" }
                    label for={ "command." (name) } { "Command (a JSON array, or words separated by spaces)" }
                    input id={ "command." (name) } type="text" name={ "command." (name) } value=(per("command", name)) size="60";
                    label for={ "environment." (name) } { "Environment variables (NAME=value, one per line)" }
                    textarea id={ "environment." (name) } name={ "environment." (name) } rows="3" cols="60" { (per("environment", name)) }
                }
            }
            fieldset {
                legend { @if containers.is_empty() { "Container overrides" } @else { "Another container's overrides (by name)" } }
                label for="container" { "Container name" }
                input #container type="text" name="container" value=(values.container);
                label for="command" { "Command (a JSON array, or words separated by spaces)" }
                input #command type="text" name="command" value=(values.command) size="60";
                label for="environment" { "Environment variables (NAME=value, one per line)" }
                textarea #environment name="environment" rows="4" cols="60" { (values.environment) }
            }
            fieldset {
                legend { "Task placement and tags" }
                label for="placement_constraints" { "Placement constraints, one a line: distinctInstance, memberOf <expression>" }
                textarea #placement_constraints name="placement_constraints" rows="2" cols="60" { (values.placement_constraints) }
                label for="tags" { "Tags (KEY=value, one a line)" }
                textarea #tags name="tags" rows="2" cols="60" { (values.tags) }
            }
            div.form-buttons {
                button.primary #submit-run type="submit" { "Create" }
                @let manifest = format!("/ns/{ns}/clusters/{object}/run-task/manifest");
                button #submit-manifest type="submit" formaction=(manifest) name="intent" value="manifest" { "Show manifest" }
                button #submit-download type="submit" formaction=(manifest) name="intent" value="download" { "Download manifest" }
            }
        }
    })
}

/// The container names of the revision `reference` names (`family:revision`), when it is one of
/// `definitions`' and its snapshot can be read; none otherwise (the form then offers the by-name
/// section only).
async fn loaded_containers(
    client: &kube::Client,
    ns: &str,
    definitions: &[TaskDefinition],
    reference: &str,
) -> Vec<String> {
    let Ok(kube_ecs_domain::revisions::Reference { family, revision: Some(revision) }) =
        kube_ecs_domain::revisions::Reference::parse(reference)
    else {
        return Vec::new();
    };
    let Some(td) = definitions.iter().find(|td| family_of(td) == family) else { return Vec::new() };
    match super::td_compare::revision_spec(client, ns, td, revision).await {
        Ok(spec) => spec.container_definitions.into_iter().map(|c| c.name).collect(),
        Err(_) => Vec::new(),
    }
}
