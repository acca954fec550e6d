//! The two wizards' routes: Create cluster (`/ns/<ns>/clusters/new`) and the task-definition
//! wizard (`/ns/<ns>/task-definitions/new`, `?from=<family>:<revision>` to start from a revision),
//! with the wizard's live dry run (`…/new/validate`, JSON) and the JSON tab's way back to the form
//! (`…/new/from-json`, the form's HTML), and the wizards' static script and style.
//!
//! Every POST checks the session's CSRF token (the guard has checked Origin); every read and write
//! is the session identity's. A form's buttons choose: apply, show the manifest, download it.

use std::sync::Arc;

use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::Resource;
use kube::api::{Api, ListParams};
use kube_ecs_api::ecs_names::family_object_name;
use kube_ecs_api::{EcsCluster, Repository, TaskDefinition, TaskDefinitionSpec};
use kube_ecs_domain::revisions::{family_of, select, snapshot_spec};
use maud::Markup;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cluster_form::ClusterForm;
use super::field_errors::{FieldErrors, cluster_input, task_definition_input};
use super::td_form::TdForm;
use super::write::{Answer, send};
use crate::error::ConsoleError;
use crate::extract::{Names, Posted, SignedIn, csrf_form};
use crate::server::App;
use crate::session::Session;
use crate::views::td_wizard::{self, WizardPage};
use crate::views::{create_cluster, layout};

const WIZARD_JS: &str = include_str!("../../static/wizard.js");
const WIZARD_CSS: &str = include_str!("../../static/wizard.css");

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/static/wizard.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], WIZARD_JS) }),
        )
        .route(
            "/static/wizard.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], WIZARD_CSS) }),
        )
        .route("/ns/{ns}/clusters/new", get(cluster_form).post(cluster_submit))
        .route("/ns/{ns}/task-definitions/new", get(td_form).post(td_submit))
        .route("/ns/{ns}/task-definitions/new/validate", post(td_validate))
        .route("/ns/{ns}/task-definitions/new/from-json", post(td_from_json))
}

fn whole_page(session: &Session, ns: &str, title: &str, status: StatusCode, body: Markup) -> Response {
    (status, Html(layout::page(title, session, ns, body, None).into_string())).into_response()
}

/// A form page, with a warning first when RBAC would refuse its write (SelfSubjectAccessReview as
/// the user: a courtesy, the apiserver still decides when the form is sent).
async fn form_page(
    session: &Session,
    ns: &str,
    title: &str,
    status: StatusCode,
    rbac: (&str, &str),
    body: Markup,
) -> Response {
    let (namespace, resource) = rbac;
    let allowed = crate::rights::allowed(&session.identity.client, namespace, "create", resource).await;
    let body = maud::html! {
        @if !allowed {
            p.warning #no-rights {
                "RBAC does not let you create " (resource) @if !namespace.is_empty() { " in namespace " (namespace) }
                " (SelfSubjectAccessReview): the apiserver will refuse Create. Show manifest and Download manifest still work."
            }
        }
        (body)
    };
    whole_page(session, ns, title, status, body)
}

/// A manifest as YAML, in the types' field order when it reads as the type (else as built).
fn yaml<K: serde::de::DeserializeOwned + serde::Serialize>(manifest: &Value) -> String {
    let typed = serde_json::from_value::<K>(manifest.clone()).ok().and_then(|k| serde_yaml::to_string(&k).ok());
    typed.or_else(|| serde_yaml::to_string(manifest).ok()).unwrap_or_default()
}

/// A download of `yaml` as `<name>.yaml` (`name` is an object name: no quote or path in it).
fn download(name: &str, yaml: String) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], yaml).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.yaml\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

// ---- Create cluster ----

/// ECS clusters are cluster-scoped: RBAC is asked without a namespace.
const CLUSTER_RBAC: (&str, &str) = ("", "ecsclusters");

async fn cluster_form(SignedIn(session): SignedIn, Names(ns): Names<String>) -> Response {
    let body = create_cluster::render(&ns, &session.csrf, &ClusterForm::default(), &FieldErrors::default(), None);
    form_page(&session, &ns, "Create cluster", StatusCode::OK, CLUSTER_RBAC, body).await
}

async fn cluster_submit(Names(ns): Names<String>, Posted(session, form): Posted<ClusterForm>) -> Response {
    let manifest = form.manifest();
    let (errors, shown, status) = match form.action.as_str() {
        "manifest" => (FieldErrors::default(), Some(yaml::<EcsCluster>(&manifest)), StatusCode::OK),
        "download" => return download(&form.object_name(), yaml::<EcsCluster>(&manifest)),
        _ => match create_cluster(&session, &manifest).await {
            Ok(()) => {
                return Redirect::to(&format!("/ns/{ns}/clusters/{}/infrastructure", form.object_name()))
                    .into_response();
            }
            Err((errors, status)) => (errors, None, status),
        },
    };
    let body = create_cluster::render(&ns, &session.csrf, &form, &errors, shown.as_deref());
    form_page(&session, &ns, "Create cluster", status, CLUSTER_RBAC, body).await
}

/// Creates the cluster as the user, or says why not, by field.
async fn create_cluster(session: &Session, manifest: &Value) -> Result<(), (FieldErrors, StatusCode)> {
    // The operator's own checks of a pool (its instance type in the simulated catalog, ...) that
    // the schema cannot make: a cluster that would only report Valid=False is not created.
    if let Ok(cluster) = serde_json::from_value::<EcsCluster>(manifest.clone()) {
        let problems: Vec<(String, String)> = kube_ecs_domain::cluster::pools::validate(&cluster)
            .into_iter()
            .map(|p| match p.split_once(": ") {
                Some((field, message)) => (field.to_string(), message.to_string()),
                None => (String::new(), p),
            })
            .collect();
        if !problems.is_empty() {
            return Err((FieldErrors::place("", &problems, cluster_input), StatusCode::UNPROCESSABLE_ENTITY));
        }
    }
    let collection = EcsCluster::url_path(&(), None);
    match send(&session.identity.client, &collection, manifest, None, false).await {
        Ok(Answer::Accepted(_)) => Ok(()),
        Ok(Answer::Refused { code, message, causes }) => Err((
            FieldErrors::place(&message, &causes, cluster_input),
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
        )),
        Err(e) => Err((FieldErrors { general: vec![e.to_string()], ..Default::default() }, e.status())),
    }
}

// ---- The task-definition wizard ----

#[derive(Deserialize, Default)]
struct FromQuery {
    #[serde(default)]
    from: String,
}

/// The family's TaskDefinition object in `ns`, if the family is registered (read as the user).
async fn family_object(client: &kube::Client, ns: &str, family: &str) -> Result<Option<TaskDefinition>, ConsoleError> {
    let all = Api::<TaskDefinition>::namespaced(client.clone(), ns).list(&ListParams::default()).await?.items;
    let named = all.iter().find(|td| td.metadata.name.as_deref() == Some(family) && family_of(td) == family).cloned();
    Ok(named.or_else(|| all.into_iter().find(|td| family_of(td) == family)))
}

/// The spec of revision `reference` (`family:revision`), as its tasks run it.
async fn revision_spec(client: &kube::Client, ns: &str, reference: &str) -> Result<TaskDefinitionSpec, ConsoleError> {
    let all = Api::<TaskDefinition>::namespaced(client.clone(), ns).list(&ListParams::default()).await?.items;
    let selected = select(&all, ns, reference, true).map_err(|e| ConsoleError::Invalid(e.to_string()))?;
    let snapshot = Api::<ControllerRevision>::namespaced(client.clone(), ns).get(&selected.snapshot_name()).await?;
    let mut spec = snapshot_spec(&snapshot).map_err(ConsoleError::Invalid)?;
    spec.family.get_or_insert(selected.family);
    Ok(spec)
}

/// The tagged images of the namespace's ECR repositories (`uri:tag`); none when the user may not
/// list them.
async fn images(client: &kube::Client, ns: &str) -> Vec<String> {
    match Api::<Repository>::namespaced(client.clone(), ns).list(&ListParams::default()).await {
        Ok(list) => image_choices(list.items),
        Err(_) => Vec::new(),
    }
}

/// The picker's choices: `repositoryUri:tag` of every tagged image the repositories' status lists,
/// newest push first within a repository; at most 500.
fn image_choices(repositories: Vec<Repository>) -> Vec<String> {
    let mut images = Vec::new();
    for repository in repositories {
        let Some(status) = repository.status else { continue };
        let Some(uri) = status.repository_uri else { continue };
        let mut details = status.images;
        details.sort_by(|a, b| b.image_pushed_at.as_ref().map(|t| t.0).cmp(&a.image_pushed_at.as_ref().map(|t| t.0)));
        for detail in details {
            images.extend(detail.image_tags.iter().map(|tag| format!("{uri}:{tag}")));
        }
    }
    images.truncate(500);
    images
}

/// The spec as the JSON tab shows it: in the type's field order when it reads as the type.
fn spec_json(spec: &Value) -> String {
    let typed = serde_json::from_value::<TaskDefinitionSpec>(spec.clone())
        .ok()
        .and_then(|s| serde_json::to_string_pretty(&s).ok());
    typed.or_else(|| serde_json::to_string_pretty(spec).ok()).unwrap_or_default()
}

/// What registering `form` sends: the object (a new one, or the family's with its spec replaced:
/// its deregistrations and registration value kept, not part of any revision) and, for an
/// existing family, its object name.
async fn td_object(client: &kube::Client, ns: &str, form: &TdForm) -> Result<(Value, Option<String>), ConsoleError> {
    let mut spec = form.to_spec();
    let family = form.family.trim();
    let existing = if family.is_empty() { None } else { family_object(client, ns, family).await? };
    let Some(existing) = existing else {
        let object = manifest(ns, &family_object_name(family), spec);
        return Ok((object, None));
    };
    // A family a GitOps tool applies is Git's: a write here would be drift the tool reverts (the
    // ECS API refuses it too). Its manifest can still be shown and downloaded, to commit.
    if let Some(owner) = kube_ecs_domain::gitops::owner(&existing.metadata) {
        return Err(ConsoleError::Api {
            status: StatusCode::CONFLICT.as_u16(),
            message: format!(
                "The task definition family {family} is managed by {} ({}): change it in Git. Show manifest and Download manifest give the YAML to commit.",
                owner.tool, owner.evidence
            ),
        });
    }
    let name = existing.metadata.name.clone().unwrap_or_default();
    if !existing.spec.deregistered_revisions.is_empty() {
        spec["deregisteredRevisions"] = json!(existing.spec.deregistered_revisions);
    }
    if let Some(registration) = &existing.spec.registration {
        spec["registration"] = json!(registration);
    }
    let mut object = manifest(ns, &name, spec);
    let meta = &existing.metadata;
    object["metadata"]["resourceVersion"] = json!(meta.resource_version);
    for (key, value) in [("labels", json!(meta.labels)), ("annotations", json!(meta.annotations))] {
        if !value.is_null() {
            object["metadata"][key] = value;
        }
    }
    Ok((object, Some(name)))
}

fn manifest(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

/// The family's manifest as a user would commit it (no resourceVersion).
fn td_manifest(ns: &str, form: &TdForm) -> (String, String) {
    let name = family_object_name(form.family.trim());
    let yaml = yaml::<TaskDefinition>(&manifest(ns, &name, form.to_spec()));
    (name, yaml)
}

/// Sends the form as the user (a dry run unless `register`): the apiserver's answer placed by field.
async fn td_send(
    client: &kube::Client,
    ns: &str,
    form: &TdForm,
    dry_run: bool,
) -> (StatusCode, FieldErrors, Option<String>) {
    let (object, existing) = match td_object(client, ns, form).await {
        Ok(found) => found,
        Err(e) => return (e.status(), FieldErrors { general: vec![e.to_string()], ..Default::default() }, None),
    };
    let collection = TaskDefinition::url_path(&(), Some(ns));
    match send(client, &collection, &object, existing.as_deref(), dry_run).await {
        Ok(Answer::Accepted(stored)) => {
            let name = stored["metadata"]["name"].as_str().map(str::to_string);
            (StatusCode::OK, FieldErrors::default(), name)
        }
        Ok(Answer::Refused { code, message, causes }) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
            FieldErrors::place(&message, &causes, task_definition_input),
            None,
        ),
        Err(e) => (e.status(), FieldErrors { general: vec![e.to_string()], ..Default::default() }, None),
    }
}

async fn td_page(
    session: &Session,
    ns: &str,
    form: &TdForm,
    errors: &FieldErrors,
    shown: Option<&str>,
    from: Option<(&str, &[String])>,
    status: StatusCode,
) -> Response {
    let images = images(&session.identity.client, ns).await;
    let json = spec_json(&form.to_spec());
    let (from, not_kept) = from.map_or((None, &[][..]), |(f, d)| (Some(f), d));
    let page = WizardPage {
        ns,
        csrf: &session.csrf,
        form,
        errors,
        json: &json,
        images: &images,
        manifest: shown,
        from,
        not_kept,
    };
    let body = td_wizard::render(&page);
    form_page(session, ns, "Create new task definition", status, (ns, "taskdefinitions"), body).await
}

async fn td_form(SignedIn(session): SignedIn, Names(ns): Names<String>, Query(query): Query<FromQuery>) -> Response {
    let from = query.from.trim();
    if from.is_empty() {
        return td_page(&session, &ns, &TdForm::new_definition(), &FieldErrors::default(), None, None, StatusCode::OK)
            .await;
    }
    match revision_spec(&session.identity.client, &ns, from).await {
        Ok(spec) => {
            let spec = serde_json::to_value(&spec).unwrap_or_default();
            let not_kept = super::td_form::not_kept(&spec);
            let form = TdForm::from_spec(&spec);
            td_page(&session, &ns, &form, &FieldErrors::default(), None, Some((from, &not_kept)), StatusCode::OK).await
        }
        Err(e) => {
            let errors = FieldErrors { general: vec![format!("{from}: {e}")], ..Default::default() };
            td_page(&session, &ns, &TdForm::new_definition(), &errors, None, None, e.status()).await
        }
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

async fn td_submit(Names(ns): Names<String>, Posted(session, pairs): Posted<Vec<(String, String)>>) -> Response {
    let mut form = TdForm::from_pairs(&pairs);
    if form.containers.is_empty() {
        form.containers = TdForm::new_definition().containers;
    }
    let none = FieldErrors::default();
    let action = field(&pairs, "_action");
    match action {
        "add-container" => {
            let mut errors = FieldErrors::default();
            if !form.add_container() {
                errors.fields.insert("containers".into(), vec!["A task definition has at most 10 containers.".into()]);
            }
            return td_page(&session, &ns, &form, &errors, None, None, StatusCode::OK).await;
        }
        "manifest" => {
            let (_, yaml) = td_manifest(&ns, &form);
            return td_page(&session, &ns, &form, &none, Some(&yaml), None, StatusCode::OK).await;
        }
        "download" => {
            let (name, yaml) = td_manifest(&ns, &form);
            return download(&name, yaml);
        }
        other => {
            if let Some(index) = other.strip_prefix("remove-container-").and_then(|i| i.parse::<usize>().ok()) {
                form.remove_container(index);
                return td_page(&session, &ns, &form, &none, None, None, StatusCode::OK).await;
            }
        }
    }
    match td_send(&session.identity.client, &ns, &form, false).await {
        (StatusCode::OK, _, Some(name)) => Redirect::to(&format!("/ns/{ns}/task-definitions/{name}")).into_response(),
        (status, errors, _) => td_page(&session, &ns, &form, &errors, None, None, status).await,
    }
}

/// The live validation: the form's spec and the apiserver's dry-run answer, placed by input.
async fn td_validate(Names(ns): Names<String>, Posted(session, pairs): Posted<Vec<(String, String)>>) -> Response {
    let form = TdForm::from_pairs(&pairs);
    let (status, errors, _) = td_send(&session.identity.client, &ns, &form, true).await;
    let body = json!({"status": status.as_u16(), "json": spec_json(&form.to_spec()), "errors": errors});
    ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

#[derive(Deserialize)]
struct FromJson {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    json: String,
}
csrf_form!(FromJson);

/// The JSON tab's "Apply to form": the form's inputs rendered from the JSON (maud-escaped HTML).
async fn td_from_json(Names(ns): Names<String>, Posted(session, body): Posted<FromJson>) -> Response {
    let spec: Value = match serde_json::from_str(&body.json) {
        Ok(spec @ Value::Object(_)) => spec,
        Ok(_) => return (StatusCode::BAD_REQUEST, "The JSON is not an object.").into_response(),
        Err(e) => return (StatusCode::BAD_REQUEST, format!("The JSON does not parse: {e}")).into_response(),
    };
    let form = TdForm::from_spec(&spec);
    let images = images(&session.identity.client, &ns).await;
    Html(td_wizard::fields(&form, &FieldErrors::default(), &images).into_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_picker_lists_tagged_images_newest_first() {
        let repository: Repository = serde_json::from_value(json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "app"},
            "spec": {"repositoryName": "app"},
            "status": {"repositoryUri": "127.0.0.1:8445/team-a/app", "images": [
                {"imageDigest": "sha256:1", "imageTags": ["v1"], "imagePushedAt": "2026-01-01T00:00:00.000000Z"},
                {"imageDigest": "sha256:2", "imageTags": ["v2", "latest"], "imagePushedAt": "2026-02-01T00:00:00.000000Z"},
                {"imageDigest": "sha256:3", "imageTags": []},
            ]},
        }))
        .expect("a Repository");
        let unpushed: Repository = serde_json::from_value(json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "new"},
            "spec": {"repositoryName": "new"},
        }))
        .expect("a Repository");
        assert_eq!(
            image_choices(vec![repository, unpushed]),
            vec![
                "127.0.0.1:8445/team-a/app:v2".to_string(),
                "127.0.0.1:8445/team-a/app:latest".to_string(),
                "127.0.0.1:8445/team-a/app:v1".to_string(),
            ]
        );
    }
}
