//! The Create cluster page: the nine steps as one form, each field with the spec field it writes
//! and a line saying what it becomes on Kubernetes; the manifest shown instead of applied on ask.
//! A pure render: the handler reads and writes, this only draws (and escapes, through maud).

use maud::{Markup, html};

use crate::wizard::cluster_form::{ClusterForm, STEPS, Step};
use crate::wizard::field_errors::FieldErrors;

/// Instance types of the simulated catalog (any type is accepted for existing nodes and Karpenter).
fn instance_types() -> Vec<String> {
    kube_ecs_domain::cluster::catalog::names().split(", ").map(str::to_string).collect()
}

fn step(input: &str) -> &'static Step {
    STEPS.iter().find(|s| s.input == input).unwrap_or(&STEPS[0])
}

/// The label, the input (given), the spec field, the Kubernetes line and the apiserver's messages.
fn field(input: &str, errors: &FieldErrors, control: Markup) -> Markup {
    let step = step(input);
    html! {
        div.field data-field=(input) {
            label for=(input) { (step.label) }
            (control)
            p.maps { "Writes " code { (step.spec) } ". On Kubernetes: " (step.kubernetes) }
            @for message in errors.at(input) { p.field-error data-for=(input) { (message) } }
        }
    }
}

fn select(input: &str, value: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        select id=(input) name=(input) {
            @for (v, label) in options { option value=(v) selected[*v == value] { (label) } }
        }
    }
}

fn text(input: &str, value: &str, kind: &str) -> Markup {
    html! { input id=(input) name=(input) type=(kind) value=(value); }
}

pub fn render(ns: &str, csrf: &str, form: &ClusterForm, errors: &FieldErrors, manifest: Option<&str>) -> Markup {
    html! {
        link rel="stylesheet" href="/static/wizard.css";
        p.crumbs { a href={ "/ns/" (ns) "/clusters" } { "Clusters" } " › " "Create cluster" }
        h1 { "Create cluster" }
        p.muted { "An ECS cluster is an EcsCluster object; its EC2 instances are a node pool. Created as you (your RBAC decides), or shown as a manifest to commit to Git." }
        @if !errors.general.is_empty() {
            div.error #form-error role="alert" { @for m in &errors.general { p { (m) } } }
        }
        form.wizard #create-cluster method="post" action={ "/ns/" (ns) "/clusters/new" } {
            input type="hidden" name="_csrf" value=(csrf);
            fieldset {
                legend { "Cluster configuration" }
                (field("name", errors, html! { input #name name="name" type="text" value=(form.name) required placeholder="my-cluster"; }))
            }
            fieldset {
                legend { "Infrastructure: Amazon EC2 instances (a node pool)" }
                (field("capacity_type", errors, select("capacity_type", &form.capacity_type, &[("ON_DEMAND", "On-Demand"), ("SPOT", "Spot")])))
                (field("instance_type", errors, html! {
                    input #instance_type name="instance_type" type="text" list="instance-types" value=(form.instance_type);
                    datalist #instance-types { @for t in instance_types() { option value=(t) {} } }
                }))
                (field("instances", errors, text("instances", &form.instances, "number")))
                (field("ebs", errors, text("ebs", &form.ebs, "number")))
                (field("ami", errors, select("ami", &form.ami, &[
                    ("AmazonLinux2023", "Amazon Linux 2023"), ("AmazonLinux2", "Amazon Linux 2"),
                    ("AmazonLinux1", "Amazon Linux 1"), ("Bottlerocket", "Bottlerocket"),
                ])))
                (field("iam_role", errors, text("iam_role", &form.iam_role, "text")))
                (field("provider", errors, select("provider", &form.provider, &[
                    ("simulated", "Simulated (KWOK nodes)"), ("karpenter", "Karpenter"), ("nodes", "Existing nodes"),
                ])))
                (field("pool", errors, text("pool", &form.pool, "text")))
            }
            fieldset {
                legend { "Monitoring" }
                (field("insights", errors, select("insights", &form.insights, &[
                    ("disabled", "Off"), ("enabled", "On"), ("enhanced", "On, with enhanced observability"),
                ])))
            }
            fieldset {
                legend { "Access" }
                (field("key_name", errors, text("key_name", &form.key_name, "text")))
            }
            div.actions {
                button #show-manifest type="submit" name="_action" value="manifest" { "Show manifest" }
                button #download-manifest type="submit" name="_action" value="download" { "Download manifest" }
                button.primary #create type="submit" name="_action" value="create" { "Create" }
            }
        }
        @if let Some(manifest) = manifest {
            h2 { "Manifest" }
            p.muted { "kubectl apply -f this file (or commit it for Argo CD or Flux) to create the same cluster." }
            pre.json #manifest { (manifest) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_stay_text() {
        let form = ClusterForm { name: "<script>alert(1)</script>\"javascript:alert(2)".into(), ..Default::default() };
        let mut errors = FieldErrors::default();
        errors.fields.insert("name".into(), vec!["metadata.name: Invalid value: \"<script>\"".into()]);
        let html = render("team-a", "tok", &form, &errors, Some("name: <script>x</script>")).into_string();
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;javascript:alert(2)"));
        assert!(!html.contains("href=\"javascript"));
    }

    #[test]
    fn every_step_says_what_it_becomes() {
        let html = render("a", "t", &ClusterForm::default(), &FieldErrors::default(), None).into_string();
        for step in &STEPS {
            assert!(html.contains(&format!("data-field=\"{}\"", step.input)), "{}", step.input);
        }
        assert!(html.contains("kubectl debug node/&lt;name&gt;"));
    }
}
