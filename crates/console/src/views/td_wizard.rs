//! The task-definition wizard's page, in the ECS console's order: family; infrastructure; container
//! sections (added and removed by the form's own buttons, ten at most); storage; tags; and a JSON
//! tab. A pure render of a [`TdForm`] with the apiserver's messages beside the inputs they name;
//! `static/wizard.js` only adds the live dry run and the tabs (no inline script: the CSP).

use maud::{Markup, html};

use crate::wizard::field_errors::FieldErrors;
use crate::wizard::td_form::{CONDITIONS, ContainerForm, LAUNCH_TYPES, MAX_CONTAINERS, TdForm};

/// What the page shows besides the form.
pub struct WizardPage<'a> {
    pub ns: &'a str,
    pub csrf: &'a str,
    pub form: &'a TdForm,
    pub errors: &'a FieldErrors,
    /// The spec as JSON (the JSON tab).
    pub json: &'a str,
    /// `repositoryUri:tag` of the namespace's ECR repositories (the image picker).
    pub images: &'a [String],
    /// The manifest, when asked to show it.
    pub manifest: Option<&'a str>,
    /// `family:revision` the form was prefilled from.
    pub from: Option<&'a str>,
    /// Parts of that revision the form shows only in part (and would not register).
    pub not_kept: &'a [String],
}

/// The apiserver's messages for `input` (always present, so the live validation can fill it).
fn errs(input: &str, errors: &FieldErrors) -> Markup {
    html! {
        div.field-errors data-for=(input) {
            @for m in errors.at(input) { p.field-error { (m) } }
        }
    }
}

fn text_input(name: &str, label: &str, value: &str, errors: &FieldErrors, hint: Option<&str>) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            input id=(name) name=(name) type="text" value=(value);
            @if let Some(hint) = hint { p.maps { (hint) } }
            (errs(name, errors))
        }
    }
}

fn area(name: &str, label: &str, value: &str, errors: &FieldErrors, hint: &str) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            textarea id=(name) name=(name) rows="3" cols="70" { (value) }
            p.maps { (hint) }
            (errs(name, errors))
        }
    }
}

fn select(name: &str, label: &str, value: &str, options: &[(&str, &str)], errors: &FieldErrors) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                @for (v, l) in options { option value=(v) selected[*v == value] { (l) } }
            }
            (errs(name, errors))
        }
    }
}

pub fn render(page: &WizardPage<'_>) -> Markup {
    let ns = page.ns;
    let base = format!("/ns/{ns}/task-definitions/new");
    html! {
        link rel="stylesheet" href="/static/wizard.css";
        p.crumbs { a href={ "/ns/" (ns) "/task-definitions" } { "Task definitions" } " › " "Create new task definition" }
        h1 {
            @if let Some(from) = page.from { "Create new revision from " (from) } @else { "Create new task definition" }
        }
        p.muted { "Registered as you: a TaskDefinition object (revision 1 of a new family, the next revision of an existing one), exactly what kubectl apply of the manifest registers. Every change is checked by the apiserver with a dry run." }
        @if !page.not_kept.is_empty() {
            p.warning #not-kept-fields {
                "The wizard shows these parts of " (page.from.unwrap_or("the revision"))
                " only in part, so the new revision will not have them (edit them in the JSON tab, or register with kubectl or the ECS API): "
                (page.not_kept.join(", "))
            }
        }
        div.error #form-error role="alert" hidden[page.errors.general.is_empty()] {
            @for m in &page.errors.general { p { (m) } }
        }
        nav.wizard-tabs {
            button #tab-form type="button" data-tab="form-tab" { "Form" }
            button #tab-json type="button" data-tab="json-tab" { "JSON" }
        }
        form.wizard #td-wizard method="post" action=(base) data-validate={ (base) "/validate" } data-from-json={ (base) "/from-json" } {
            input type="hidden" name="_csrf" value=(page.csrf);
            div #form-tab {
                div #wizard-fields { (fields(page.form, page.errors, page.images)) }
            }
            div.actions {
                span #validation.muted {}
                button #show-manifest type="submit" name="_action" value="manifest" { "Show manifest" }
                button #download-manifest type="submit" name="_action" value="download" { "Download manifest" }
                button.primary #register type="submit" name="_action" value="register" { "Create" }
            }
        }
        section #json-tab {
            h2 { "JSON" }
            p.muted { "The spec the form describes, kept in sync as you type. Edit it and press Apply to form to fill the form from it." }
            textarea #td-json rows="24" cols="100" spellcheck="false" { (page.json) }
            div.actions { button #json-to-form type="button" { "Apply to form" } }
            p #json-error.field-error {}
        }
        @if let Some(manifest) = page.manifest {
            h2 { "Manifest" }
            p.muted { "kubectl apply -f this file (or commit it for Argo CD or Flux) to register the same revision." }
            pre.json #manifest { (manifest) }
        }
        script src="/static/wizard.js" defer {}
    }
}

/// The form's inputs (what the JSON tab's "Apply to form" replaces).
pub fn fields(form: &TdForm, errors: &FieldErrors, images: &[String]) -> Markup {
    let count = form.containers.len();
    let carried = form.carried_members();
    html! {
        input type="hidden" name="carried" value=(form.carried);
        @if !carried.is_empty() {
            p.muted #carried-fields {
                "Kept as they are (the form has no input for them; the JSON tab shows and edits them): "
                (carried.join(", "))
            }
        }
        fieldset {
            legend { "Task definition configuration" }
            (text_input("family", "Task definition family", &form.family, errors,
                Some("Up to 255 letters, numbers, hyphens and underscores. On Kubernetes: spec.family of a TaskDefinition object named after it.")))
        }
        fieldset {
            legend { "Infrastructure requirements" }
            div.field {
                label { "Launch type" }
                @for lt in LAUNCH_TYPES {
                    label.inline {
                        input type="checkbox" name="requires" value=(lt) id={ "requires-" (lt) } checked[form.requires.iter().any(|r| r == lt)];
                        " " (lt)
                    }
                }
                p.maps { "requiresCompatibilities: the definition is checked against them (FARGATE needs a task size). Tasks run on the cluster's node pools either way." }
                (errs("requires", errors))
            }
            (select("os", "Operating system family", &form.os, &[("", "Any"), ("LINUX", "Linux"), ("WINDOWS_SERVER_2022_CORE", "Windows Server 2022 Core")], errors))
            (select("arch", "CPU architecture", &form.arch, &[("", "Any"), ("X86_64", "X86_64"), ("ARM64", "ARM64")], errors))
            (text_input("cpu", "Task size: CPU (units or vCPU)", &form.cpu, errors, Some("e.g. 1024 or 1 vCPU: the whole task's CPU limit.")))
            (text_input("memory", "Task size: memory (MiB or GB)", &form.memory, errors, Some("e.g. 2048 or 2 GB: the whole task's memory limit.")))
            (select("network_mode", "Network mode", &form.network_mode, &[("", "Default"), ("awsvpc", "awsvpc"), ("bridge", "bridge"), ("host", "host"), ("none", "none")], errors))
            (text_input("task_role", "Task role (ARN)", &form.task_role, errors, Some("A ServiceAccount with the EKS IRSA annotation for this role.")))
            (text_input("execution_role", "Task execution role (ARN)", &form.execution_role, errors, Some("Accepted; on Kubernetes the node or the ServiceAccount pulls images.")))
        }
        h2 #containers-heading { "Containers " span.count { "(" (count) " of " (MAX_CONTAINERS) ")" } }
        (errs("containers", errors))
        datalist #ecr-images { @for image in images { option value=(image) {} } }
        @for (i, c) in form.containers.iter().enumerate() {
            (container(i, c, form, errors, images.len()))
        }
        div.actions.left {
            button #add-container type="submit" name="_action" value="add-container" disabled[count >= MAX_CONTAINERS] { "Add container" }
            @if count >= MAX_CONTAINERS { span.muted #container-limit { "A task definition has at most " (MAX_CONTAINERS) " containers." } }
        }
        fieldset {
            legend { "Storage" }
            (area("volumes", "Volumes", &form.volumes, errors, "name (a scratch volume that lives as long as the task: an emptyDir) or name=/host/path (a bind mount: a hostPath), one per line."))
        }
        fieldset {
            legend { "Tags" }
            (area("tags", "Tags", &form.tags, errors, "key=value, one per line."))
        }
    }
}

fn container(i: usize, c: &ContainerForm, form: &TdForm, errors: &FieldErrors, image_count: usize) -> Markup {
    let f = |field: &str| format!("c{i}.{field}");
    html! {
        fieldset.container data-container=(i) {
            legend { "Container " (i + 1) @if !c.name.is_empty() { " — " (c.name) } }
            input type="hidden" name=(f("carried")) value=(c.carried);
            (errs(&format!("c{i}"), errors))
            div.actions {
                button.remove type="submit" name="_action" value={ "remove-container-" (i) } id={ "remove-container-" (i) } disabled[form.containers.len() == 1] { "Remove" }
            }
            (text_input(&f("name"), "Name", &c.name, errors, None))
            div.field {
                label for=(f("image")) { "Image URI" }
                input id=(f("image")) name=(f("image")) type="text" list="ecr-images" value=(c.image) size="60";
                p.maps { "Pick one of your ECR repositories' " (image_count) " tagged images, or any image reference." }
                (errs(&f("image"), errors))
            }
            (select(&f("essential"), "Essential container", &c.essential, &[("true", "Yes"), ("false", "No")], errors))
            (text_input(&f("credentials"), "Private registry credentials", &c.credentials, errors,
                Some("The name of a kubernetes.io/dockerconfigjson Secret (or an ARN ending in it): an imagePullSecret.")))
            (area(&f("ports"), "Port mappings", &c.ports, errors, "[hostPort:]containerPort[/tcp|udp] [name=web] [app=http|http2|grpc], one per line."))
            div.row {
                (text_input(&f("cpu"), "CPU (units)", &c.cpu, errors, Some("The CPU request (1024 = 1 vCPU).")))
                (text_input(&f("memory"), "Memory hard limit (MiB)", &c.memory, errors, Some("The memory limit.")))
                (text_input(&f("memory_reservation"), "Memory soft limit (MiB)", &c.memory_reservation, errors, Some("The memory request.")))
                (text_input(&f("gpu"), "GPU", &c.gpu, errors, Some("nvidia.com/gpu.")))
            }
            (area(&f("env"), "Environment variables", &c.env, errors, "NAME=value, one per line."))
            (area(&f("secrets"), "Secrets as environment variables", &c.secrets, errors, "NAME=secret-name:key (or a Secrets Manager / SSM ARN), one per line: read from Secrets of the namespace."))
            div.row {
                (select(&f("log_driver"), "Log collection", &c.log_driver, &[("", "Off"), ("awslogs", "awslogs"), ("awsfirelens", "awsfirelens"), ("fluentd", "fluentd"), ("json-file", "json-file"), ("splunk", "splunk"), ("syslog", "syslog")], errors))
                (area(&f("log_options"), "Log options", &c.log_options, errors, "key=value, one per line (awslogs-group, awslogs-stream-prefix, ...)."))
            }
            (text_input(&f("hc_command"), "Health check command", &c.hc_command, errors,
                Some("CMD-SHELL, curl -f http://localhost/ || exit 1 (comma-separated, or a JSON array): an exec probe.")))
            div.row {
                (text_input(&f("hc_interval"), "Interval (s)", &c.hc_interval, errors, None))
                (text_input(&f("hc_timeout"), "Timeout (s)", &c.hc_timeout, errors, None))
                (text_input(&f("hc_retries"), "Retries", &c.hc_retries, errors, None))
                (text_input(&f("hc_start_period"), "Start period (s)", &c.hc_start_period, errors, None))
            }
            div.row {
                (text_input(&f("entry_point"), "Entry point", &c.entry_point, errors, Some("Comma-separated: the container's command.")))
                (text_input(&f("command"), "Command", &c.command, errors, Some("Comma-separated: the container's args.")))
                (text_input(&f("working_directory"), "Working directory", &c.working_directory, errors, None))
            }
            (area(&f("mounts"), "Mount points", &c.mounts, errors, "volume:/container/path[:ro], one per line."))
            div.field {
                label { "Startup dependency ordering (dependsOn)" }
                @for (j, other) in form.containers.iter().enumerate() {
                    @if j != i {
                        @let name = format!("c{i}.dep.{j}");
                        @let value = c.depends.get(&j).map(String::as_str).unwrap_or("");
                        label.inline for=(name) { "Container " (j + 1) @if !other.name.is_empty() { " (" (other.name) ")" } " " }
                        select id=(name) name=(name) {
                            option value="" selected[value.is_empty()] { "No dependency" }
                            @for condition in CONDITIONS { option value=(condition) selected[value == condition] { (condition) } }
                        }
                    }
                }
                @if form.containers.len() == 1 { p.maps { "Add a container to order this one after it." } }
                p.maps { "Init-style ordering: this container starts once the other has started, completed, succeeded or is healthy." }
                (errs(&f("depends"), errors))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_html(form: &TdForm, errors: &FieldErrors, images: &[String]) -> String {
        render(&WizardPage {
            ns: "a",
            csrf: "t",
            form,
            errors,
            json: "{\"family\": \"<script>alert(1)</script>\"}",
            images,
            manifest: Some("family: <script>alert(2)</script>"),
            from: Some("web:1"),
            not_kept: &["<b>x</b>".to_string()],
        })
        .into_string()
    }

    #[test]
    fn hostile_values_stay_text() {
        let mut form = TdForm::new_definition();
        form.family = "<script>alert(1)</script>javascript:alert(1)".into();
        form.containers[0].env = "A=<script>alert(3)</script> javascript:alert(4)".into();
        form.containers[0].name = "\"><img src=x onerror=alert(5)>".into();
        form.containers[0].carried = r#"{"whole": {"\"><img src=x onerror=alert(6)>": "<img src=x>"}}"#.into();
        let mut errors = FieldErrors::default();
        errors.fields.insert("family".into(), vec!["spec.family: Invalid value: \"<script>alert(1)</script>\"".into()]);
        let html = page_html(&form, &errors, &["<img src=x>:1".to_string()]);
        let scripts = html.matches("<script").count();
        assert_eq!(scripts, 1, "only the wizard's own script element: {html}");
        assert!(html.contains("<script src=\"/static/wizard.js\" defer></script>"));
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(3)&lt;/script&gt; javascript:alert(4)"));
        assert!(html.contains("&lt;img src=x onerror=alert(6)&gt;"), "a carried member's name is text: {html}");
    }

    #[test]
    fn the_eleventh_container_has_no_button() {
        let mut form = TdForm::new_definition();
        while form.add_container() {}
        let html = page_html(&form, &FieldErrors::default(), &[]);
        assert!(
            html.contains("id=\"add-container\" type=\"submit\" name=\"_action\" value=\"add-container\" disabled"),
            "{html}"
        );
        assert!(html.contains("(10 of 10)"));
    }

    #[test]
    fn errors_sit_beside_their_inputs() {
        let mut form = TdForm::new_definition();
        form.add_container();
        let mut errors = FieldErrors::default();
        errors.fields.insert("c1.memory".into(), vec!["memory must be greater than memoryReservation".into()]);
        let html = page_html(&form, &errors, &[]);
        assert!(html.contains(
            "<div class=\"field-errors\" data-for=\"c1.memory\"><p class=\"field-error\">memory must be greater than memoryReservation</p></div>"
        ));
    }
}
