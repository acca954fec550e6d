//! Task definitions: families (one TaskDefinition object each) -> revisions (its status's list) ->
//! a revision's JSON (its ControllerRevision snapshot, read through the domain's `snapshot_spec`,
//! so the console shows exactly what tasks of that revision run).

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::{Api, ListParams};
use kube_ecs_api::TaskDefinition;
use kube_ecs_domain::revisions::{family_of, snapshot_name, snapshot_spec};
use maud::{Markup, html};

use super::fmt;
use crate::error::{ConsoleError, Result};

pub async fn families(client: &kube::Client, ns: &str) -> Result<Markup> {
    let (api, params) = (Api::<TaskDefinition>::namespaced(client.clone(), ns), ListParams::default());
    let (definitions, may_create) =
        futures::join!(api.list(&params), crate::rights::allowed(client, ns, "create", "taskdefinitions"));
    let mut definitions = definitions?.items;
    definitions.sort_by_key(family_of);
    Ok(html! {
        h1 { "Task definitions" span.count { " (" (definitions.len()) ")" } }
        @if may_create {
            div.actions { a.button.primary #create-task-definition href={ "/ns/" (ns) "/task-definitions/new" } { "Create new task definition" } }
        }
        table.list #families {
            thead { tr { th { "Task definition" } th { "Latest revision" } th { "Status of latest revision" } th { "Containers" } } }
            tbody {
                @for td in &definitions {
                    @let status = td.status.clone().unwrap_or_default();
                    tr {
                        td { a href={ "/ns/" (ns) "/task-definitions/" (td.metadata.name.clone().unwrap_or_default()) } { (family_of(td)) } }
                        td.num { (fmt::opt(status.revision)) }
                        td { (fmt::badge(&fmt::opt_word(status.status.as_ref()))) }
                        td.num { (fmt::opt(status.container_count)) }
                    }
                }
                @if definitions.is_empty() { tr { td colspan="4" { "No task definitions in namespace " (ns) "." } } }
            }
        }
    })
}

pub async fn family(client: &kube::Client, ns: &str, object: &str) -> Result<Markup> {
    let td = Api::<TaskDefinition>::namespaced(client.clone(), ns).get(object).await?;
    let family = family_of(&td);
    let status = td.status.clone().unwrap_or_default();
    Ok(html! {
        p.crumbs { a href={ "/ns/" (ns) "/task-definitions" } { "Task definitions" } " › " (family) }
        h1 { (family) }
        (super::td_compare::family_actions(ns, object))
        table.list #revisions {
            thead { tr { th { "Revision" } th { "Status" } th { "Registered at" } } }
            tbody {
                @for record in status.revisions.iter().rev() {
                    tr {
                        td { a href={ "/ns/" (ns) "/task-definitions/" (object) "/" (record.revision) } { (family) ":" (record.revision) } }
                        td { (fmt::badge(&fmt::word(&record.status))) }
                        td { (fmt::time(record.registered_at.as_ref())) }
                    }
                }
                @if status.revisions.is_empty() { tr { td colspan="3" { "No revision registered yet." } } }
            }
        }
    })
}

pub async fn revision(client: &kube::Client, ns: &str, object: &str, revision: i64) -> Result<Markup> {
    let td = Api::<TaskDefinition>::namespaced(client.clone(), ns).get(object).await?;
    let family = family_of(&td);
    let record = td.status.as_ref().and_then(|s| s.revisions.iter().find(|r| r.revision == revision).cloned());
    let record = record.ok_or_else(|| ConsoleError::NotFound(format!("revision {revision} of {family}")))?;
    let snapshot = record.snapshot.clone().unwrap_or_else(|| snapshot_name(object, revision));
    let snapshot = Api::<ControllerRevision>::namespaced(client.clone(), ns).get(&snapshot).await?;
    let mut spec = snapshot_spec(&snapshot).map_err(ConsoleError::Invalid)?;
    spec.family.get_or_insert_with(|| family.clone());
    let json = serde_json::to_string_pretty(&spec).map_err(|e| ConsoleError::Invalid(e.to_string()))?;
    let actions = super::td_compare::revision_actions(client, ns, &td, revision, record.status).await;
    Ok(html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/task-definitions" } { "Task definitions" } " › "
            a href={ "/ns/" (ns) "/task-definitions/" (object) } { (family) } " › " (revision)
        }
        h1 { (family) ":" (revision) " " (fmt::badge(&fmt::word(&record.status))) }
        (actions)
        h2 { "Containers" }
        table.list #revision-containers {
            thead { tr { th { "Container" } th { "Image" } th { "Essential" } th { "CPU" } th { "Memory" } } }
            tbody {
                @for c in &spec.container_definitions {
                    tr {
                        td { (c.name) } td { code { (c.image) } } td { (fmt::opt(c.essential)) }
                        td.num { (fmt::opt(c.cpu)) } td.num { (fmt::opt(c.memory)) }
                    }
                }
            }
        }
        h2 { "JSON" }
        pre.json #revision-json { (json) }
    })
}
