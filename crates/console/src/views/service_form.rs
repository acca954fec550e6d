//! The Create service and Update service forms (the ECS console's): task definition (a family,
//! following its latest revision, or one revision), desired tasks, compute, deployment options
//! (minimum healthy and maximum percent, the circuit breaker and its rollback), one load balancer's
//! container and port, placement, tags, and on update force new deployment. Each form can apply,
//! show or download its manifest (views::gitops); a GitOps-owned service's form only gives the
//! manifest. A refusal is shown beside the values typed, with the apiserver's own words.

use kube::api::{Api, ListParams};
use kube_ecs_api::ecs::RevisionStatus;
use kube_ecs_api::{EcsCluster, TaskDefinition};
use kube_ecs_domain::gitops::GitOpsOwner;
use kube_ecs_domain::revisions::family_of;
use maud::{Markup, html};

use super::{compute_options, gitops, layout};
use crate::actions_service::ServiceForm;
use crate::error::{ConsoleError, Result};
use crate::session::Session;

/// Which form.
pub enum Mode<'a> {
    Create,
    /// Update of the service object `name`, which `owner` (a GitOps tool) may own.
    Update {
        name: &'a str,
        owner: Option<&'a GitOpsOwner>,
    },
}

/// What the form page shows besides the form.
#[derive(Default)]
pub struct Outcome<'a> {
    pub error: Option<&'a ConsoleError>,
    /// The manifest asked for instead of applying.
    pub manifest: Option<&'a serde_json::Value>,
    /// Whether RBAC lets the identity make this write (SelfSubjectAccessReview).
    pub allowed: bool,
    /// The apiserver's answer to the shown manifest's server-side dry run.
    pub dry_run: Option<&'a Result<()>>,
}

/// The choices of the task-definition select: each family (its latest revision) and each of its
/// ACTIVE revisions, newest first.
async fn task_definition_choices(client: &kube::Client, ns: &str) -> Result<Vec<String>> {
    let definitions = Api::<TaskDefinition>::namespaced(client.clone(), ns).list(&ListParams::default()).await?;
    let mut families: Vec<(String, Vec<i64>)> = definitions
        .items
        .iter()
        .map(|td| {
            let records = td.status.as_ref().map(|s| s.revisions.clone()).unwrap_or_default();
            let active = records.iter().rev().filter(|r| r.status == RevisionStatus::Active).map(|r| r.revision);
            (family_of(td), active.collect())
        })
        .collect();
    families.sort();
    Ok(families
        .into_iter()
        .flat_map(|(family, revisions)| {
            std::iter::once(family.clone()).chain(revisions.into_iter().map(move |r| format!("{family}:{r}")))
        })
        .collect())
}

pub async fn form(
    session: &Session,
    ns: &str,
    cluster: &str,
    mode: Mode<'_>,
    values: &ServiceForm,
    outcome: Outcome<'_>,
) -> Result<Markup> {
    let client = &session.identity.client;
    let clusters = Api::<EcsCluster>::all(client.clone());
    let (choices, cluster_object) = futures::join!(task_definition_choices(client, ns), clusters.get(cluster));
    let mut choices = choices?;
    if !values.task_definition.is_empty() && !choices.contains(&values.task_definition) {
        choices.insert(0, values.task_definition.clone());
    }
    let providers = compute_options::providers(cluster_object.as_ref().ok());
    let (title, action, apply_label, owner) = match &mode {
        Mode::Create => {
            ("Create service".to_string(), format!("/ns/{ns}/clusters/{cluster}/create-service"), "Create", None)
        }
        Mode::Update { name, owner } => {
            (format!("Update service {name}"), format!("/ns/{ns}/services/{name}/update"), "Update", *owner)
        }
    };
    let creating = matches!(mode, Mode::Create);
    Ok(html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/clusters" } { "Clusters" } " › "
            a href={ "/ns/" (ns) "/clusters/" (cluster) "/services" } { (cluster) } " › "
            @if let Mode::Update { name, .. } = &mode { a href={ "/ns/" (ns) "/services/" (name) } { (name) } " › " }
            (title)
        }
        h1 { (title) }
        @if let Some(owner) = owner { (gitops::read_only(owner, "This service")) }
        @if !outcome.allowed && owner.is_none() {
            p.warning #no-rights { "RBAC does not let you " (if creating { "create" } else { "update" })
                " services in namespace " (ns) " (SelfSubjectAccessReview): the apiserver will refuse to apply this form; "
                "its manifest can still be shown." }
        }
        @if let Some(e) = outcome.error { div #form-error { (layout::error_box(e)) } }
        form.run-task.service-form method="post" action=(action) {
            input type="hidden" name="_csrf" value=(session.csrf);
            fieldset {
                legend { "Service" }
                @if creating {
                    label for="service_name" { "Service name" }
                    input #service_name type="text" name="service_name" value=(values.service_name) required;
                    p.muted { "The Service object's name (a DNS label), in namespace " (ns) ", on cluster " (cluster) "." }
                }
                label for="task_definition" { "Task definition (a family follows its latest revision; family:revision pins one)" }
                select #task_definition name="task_definition" {
                    @for choice in &choices { option value=(choice) selected[values.task_definition == *choice] { (choice) } }
                }
                label for="desired_count" { "Desired tasks" }
                input #desired_count type="number" name="desired_count" min="0" value=(if values.desired_count.is_empty() && creating { "1" } else { &values.desired_count });
            }
            (compute_options::fieldset(&values.compute, &providers))
            fieldset {
                legend { "Deployment options" }
                label for="minimum_healthy_percent" { "Minimum healthy percent (default 100)" }
                input #minimum_healthy_percent type="number" name="minimum_healthy_percent" min="0" max="100" value=(values.minimum_healthy_percent);
                label for="maximum_percent" { "Maximum percent (default 200)" }
                input #maximum_percent type="number" name="maximum_percent" min="100" max="200" value=(values.maximum_percent);
                label.check { input #circuit_breaker type="checkbox" name="circuit_breaker" checked[!values.circuit_breaker.is_empty()]; " Deployment circuit breaker (stops a deployment whose tasks keep failing)" }
                label.check { input #rollback type="checkbox" name="rollback" checked[!values.rollback.is_empty()]; " Roll back on failure (to the last COMPLETED deployment)" }
                @if !creating {
                    label.check { input #force_new_deployment type="checkbox" name="force_new_deployment" checked[!values.force_new_deployment.is_empty()]; " Force new deployment (replace every task, e.g. to pull a moved tag)" }
                }
            }
            fieldset {
                legend { "Load balancing" }
                p.muted { "The container port that receives traffic: a Kubernetes Service in front of the tasks (docs/mapping.md)." }
                label for="lb_container" { "Container name" }
                input #lb_container type="text" name="lb_container" value=(values.lb_container);
                label for="lb_port" { "Container port" }
                input #lb_port type="number" name="lb_port" min="1" max="65535" value=(values.lb_port);
            }
            fieldset {
                legend { "Task placement" }
                label for="placement_strategy" { "Placement strategies, one a line: random, spread <field>, binpack <cpu|memory>" }
                textarea #placement_strategy name="placement_strategy" rows="2" cols="60" { (values.placement_strategy) }
                label for="placement_constraints" { "Placement constraints, one a line: distinctInstance, memberOf <expression>" }
                textarea #placement_constraints name="placement_constraints" rows="2" cols="60" { (values.placement_constraints) }
            }
            fieldset {
                legend { "Tags" }
                label for="tags" { "Tags (KEY=value, one a line)" }
                textarea #tags name="tags" rows="3" cols="60" { (values.tags) }
            }
            (gitops::buttons(apply_label, owner.is_none()))
        }
        @if let Some(manifest) = outcome.manifest {
            @match outcome.dry_run {
                Some(Ok(())) => p.muted #manifest-validated { "The apiserver accepts this manifest (a server-side dry run as you: the checks "
                    code { "kubectl apply" } " meets; nothing stored)." },
                Some(Err(e)) => div #manifest-refused { p { "The apiserver's dry run of this manifest, as you:" } (layout::error_box(e)) },
                None => {},
            }
            (gitops::shown(manifest))
        }
    })
}

/// The Delete service confirmation (ECS's: type the name).
pub fn delete_form(session: &Session, ns: &str, name: &str, error: Option<&ConsoleError>) -> Markup {
    html! {
        p.crumbs { a href={ "/ns/" (ns) "/services/" (name) } { "Service " (name) } " › Delete" }
        h1 { "Delete service " (name) }
        @if let Some(e) = error { div #form-error { (layout::error_box(e)) } }
        form.run-task method="post" action={ "/ns/" (ns) "/services/" (name) "/delete" } {
            input type="hidden" name="_csrf" value=(session.csrf);
            fieldset {
                legend { "Confirm" }
                p { "The service's tasks are stopped (drained) and the Service object is deleted. Type the service's name to confirm." }
                label for="confirm" { "Service name" }
                input #confirm type="text" name="confirm";
            }
            button.danger #submit-delete type="submit" { "Delete" }
        }
    }
}
