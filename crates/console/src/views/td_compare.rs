//! Task definitions, the rest of the ECS console's pages: compare two revisions of a family (a line
//! diff of their JSON, each read from its ControllerRevision snapshot as the revision page reads
//! it), the revision page's actions (Deregister, Create new revision from this one, Compare), and the
//! Deregister confirmation. A family a GitOps tool owns shows the notice instead of Deregister.

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::Api;
use kube_ecs_api::TaskDefinition;
use kube_ecs_api::ecs::RevisionStatus;
use kube_ecs_domain::revisions::{family_of, snapshot_name, snapshot_spec};
use maud::{Markup, html};

use super::{fmt, gitops, layout};
use crate::error::{ConsoleError, Result};
use crate::rights::allowed;
use crate::session::Session;

/// The JSON of revision `revision` of `td`, as the revision page shows it.
pub async fn revision_json(client: &kube::Client, ns: &str, td: &TaskDefinition, revision: i64) -> Result<String> {
    let spec = revision_spec(client, ns, td, revision).await?;
    serde_json::to_string_pretty(&spec).map_err(|e| ConsoleError::Invalid(e.to_string()))
}

/// Revision `revision` of `td`, read from its ControllerRevision snapshot.
pub async fn revision_spec(
    client: &kube::Client,
    ns: &str,
    td: &TaskDefinition,
    revision: i64,
) -> Result<kube_ecs_api::TaskDefinitionSpec> {
    let family = family_of(td);
    let object = td.metadata.name.clone().unwrap_or_default();
    let record = td.status.as_ref().and_then(|s| s.revisions.iter().find(|r| r.revision == revision).cloned());
    let record = record.ok_or_else(|| ConsoleError::NotFound(format!("revision {revision} of {family}")))?;
    let snapshot = record.snapshot.clone().unwrap_or_else(|| snapshot_name(&object, revision));
    let snapshot = Api::<ControllerRevision>::namespaced(client.clone(), ns).get(&snapshot).await?;
    let mut spec = snapshot_spec(&snapshot).map_err(ConsoleError::Invalid)?;
    spec.family.get_or_insert(family);
    Ok(spec)
}

/// One line of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The lines of `a` and `b` as a diff (longest common subsequence of lines: revisions are a few
/// hundred lines at most, so the quadratic table is small).
pub fn diff<'a>(a: &'a str, b: &'a str) -> Vec<Line<'a>> {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // common[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut common = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] { common[i + 1][j + 1] + 1 } else { common[i + 1][j].max(common[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut lines) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push(Line::Same(a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || common[i + 1][j] >= common[i][j + 1]) {
            // Removed lines before added ones, as diff prints them.
            lines.push(Line::Removed(a[i]));
            i += 1;
        } else {
            lines.push(Line::Added(b[j]));
            j += 1;
        }
    }
    lines
}

/// The diff as a table: `-` lines of the first revision, `+` lines of the second.
pub fn render_diff(lines: &[Line<'_>]) -> Markup {
    html! {
        table.diff #diff {
            tbody {
                @for line in lines {
                    @match line {
                        Line::Same(text) => tr.same { td.mark { " " } td { code { (text) } } },
                        Line::Removed(text) => tr.removed { td.mark { "-" } td { code { (text) } } },
                        Line::Added(text) => tr.added { td.mark { "+" } td { code { (text) } } },
                    }
                }
            }
        }
    }
}

/// The compare page: two selects (a GET form) and the diff of the chosen revisions.
pub async fn compare(client: &kube::Client, ns: &str, object: &str, a: Option<i64>, b: Option<i64>) -> Result<Markup> {
    let td = Api::<TaskDefinition>::namespaced(client.clone(), ns).get(object).await?;
    let family = family_of(&td);
    let revisions: Vec<i64> =
        td.status.as_ref().map(|s| s.revisions.iter().map(|r| r.revision).collect()).unwrap_or_default();
    let latest = revisions.iter().copied().max().unwrap_or(1);
    let b = b.unwrap_or(latest);
    let a = a.unwrap_or_else(|| revisions.iter().copied().filter(|r| *r < b).max().unwrap_or(b));
    let (left, right) = futures::join!(revision_json(client, ns, &td, a), revision_json(client, ns, &td, b));
    let (left, right) = (left?, right?);
    let lines = diff(&left, &right);
    let changed = lines.iter().filter(|l| !matches!(l, Line::Same(_))).count();
    Ok(html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/task-definitions" } { "Task definitions" } " › "
            a href={ "/ns/" (ns) "/task-definitions/" (object) } { (family) } " › Compare"
        }
        h1 { "Compare revisions of " (family) }
        form.compare method="get" action={ "/ns/" (ns) "/task-definitions/" (object) "/compare" } {
            label for="a" { "Revision " }
            select #a name="a" { @for r in &revisions { option value=(r) selected[*r == a] { (family) ":" (r) } } }
            label for="b" { " with " }
            select #b name="b" { @for r in &revisions { option value=(r) selected[*r == b] { (family) ":" (r) } } }
            " " button #compare type="submit" { "Compare" }
        }
        p.muted #diff-summary {
            @if changed == 0 { "The two revisions are identical." }
            @else { (changed) " lines differ: " code { "-" } " " (family) ":" (a) ", " code { "+" } " " (family) ":" (b) "." }
        }
        (render_diff(&lines))
    })
}

/// The revision page's actions: Create new revision (the wizard, prefilled from this revision),
/// Compare, and Deregister when the revision is ACTIVE, RBAC allows the patch and no GitOps tool
/// owns the family.
pub async fn revision_actions(
    client: &kube::Client,
    ns: &str,
    td: &TaskDefinition,
    revision: i64,
    status: RevisionStatus,
) -> Markup {
    let object = td.metadata.name.clone().unwrap_or_default();
    let family = family_of(td);
    let owner = gitops::owned_by(&td.metadata);
    let (create, patch) = futures::join!(
        allowed(client, ns, "create", "taskdefinitions"),
        allowed(client, ns, "patch", "taskdefinitions")
    );
    let deregister = status == RevisionStatus::Active && patch && owner.is_none();
    html! {
        @if let Some(owner) = &owner { (gitops::read_only(owner, "This task definition family")) }
        div.actions {
            @if create || patch || owner.is_some() {
                a.button.primary #new-revision href={ "/ns/" (ns) "/task-definitions/new?from=" (family) ":" (revision) } { "Create new revision" }
            }
            a.button #compare-revisions href={ "/ns/" (ns) "/task-definitions/" (object) "/compare?b=" (revision) } { "Compare" }
            @if deregister {
                a.button #deregister href={ "/ns/" (ns) "/task-definitions/" (object) "/" (revision) "/deregister" } { "Deregister" }
            }
        }
    }
}

/// The family page's link to the compare page.
pub fn family_actions(ns: &str, object: &str) -> Markup {
    html! {
        div.actions { a.button #compare-revisions href={ "/ns/" (ns) "/task-definitions/" (object) "/compare" } { "Compare revisions" } }
    }
}

/// The Deregister confirmation (ECS's: the revision turns INACTIVE; running tasks and services
/// keep it, new ones cannot use it).
pub fn deregister_form(
    session: &Session,
    ns: &str,
    object: &str,
    revision: i64,
    error: Option<&ConsoleError>,
) -> Markup {
    html! {
        p.crumbs {
            a href={ "/ns/" (ns) "/task-definitions/" (object) } { (object) } " › "
            a href={ "/ns/" (ns) "/task-definitions/" (object) "/" (revision) } { (revision) } " › Deregister"
        }
        h1 { "Deregister " (object) ":" (revision) }
        @if let Some(e) = error { div #form-error { (layout::error_box(e)) } }
        form.run-task method="post" action={ "/ns/" (ns) "/task-definitions/" (object) "/" (revision) "/deregister" } {
            input type="hidden" name="_csrf" value=(session.csrf);
            fieldset {
                legend { "Confirm" }
                p { "The revision becomes " (fmt::badge("INACTIVE")) ": tasks and services already running it keep it; "
                    "no new task or service can use it (ECS's DeregisterTaskDefinition: it is added to the "
                    code { "spec.deregisteredRevisions" } " of the TaskDefinition)." }
            }
            button.danger #submit-deregister type="submit" { "Deregister" }
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn a_diff_keeps_the_common_lines_and_marks_the_rest() {
        let a = "{\n  \"cpu\": \"256\",\n  \"family\": \"web\"\n}";
        let b = "{\n  \"cpu\": \"512\",\n  \"family\": \"web\",\n  \"memory\": \"1024\"\n}";
        let lines = diff(a, b);
        assert_eq!(
            lines,
            vec![
                Line::Same("{"),
                Line::Removed("  \"cpu\": \"256\","),
                Line::Removed("  \"family\": \"web\""),
                Line::Added("  \"cpu\": \"512\","),
                Line::Added("  \"family\": \"web\","),
                Line::Added("  \"memory\": \"1024\""),
                Line::Same("}"),
            ]
        );
        assert!(diff(a, a).iter().all(|l| matches!(l, Line::Same(_))));
    }

    #[test]
    fn a_diff_of_hostile_values_is_text() {
        let lines = diff("\"<script>alert(1)</script>\"", "\"javascript:alert(2)\"");
        let markup = render_diff(&lines).into_string();
        assert!(!markup.contains("<script>") && !markup.contains("<a "), "{markup}");
    }
}
