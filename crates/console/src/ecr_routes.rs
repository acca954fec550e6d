//! ECR's pages' routes (views::ecr): one repository, read as the identity (the namespace's list is
//! a live `Page`, served by the router's fallback); a repository's page previews a draft lifecycle policy (given in its query, or posted by
//! its form) and saves it as the Repository's `spec.lifecyclePolicy` (a merge patch as the identity),
//! or shows or downloads the Repository's manifest with it instead (GitOps).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kube::api::{Api, Patch, PatchParams};
use kube_ecs_api::repository::Repository;
use maud::PreEscaped;
use serde::Deserialize;

use crate::actions::FIELD_MANAGER;
use crate::error::ConsoleError;
use crate::extract::{Names, Posted, SignedIn, csrf_form};
use crate::live;
use crate::page::Page;
use crate::rights::allowed;
use crate::server::{App, timed};
use crate::session::Session;
use crate::views::ecr::PolicyForm;
use crate::views::gitops::{self, Intent};
use crate::views::{ecr, layout};

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/ns/{ns}/repositories/{name}", get(repository))
        .route("/ns/{ns}/repositories/{name}/lifecycle-policy", post(lifecycle_policy))
}

#[derive(Deserialize)]
struct RepositoryQuery {
    #[serde(default)]
    policy: Option<String>,
}

async fn repository(
    State(app): State<Arc<App>>,
    SignedIn(session): SignedIn,
    Names((ns, name)): Names<(String, String)>,
    Query(query): Query<RepositoryQuery>,
) -> Response {
    repository_page(&app, &session, &ns, &name, query.policy.as_deref(), PolicyForm::default(), StatusCode::OK).await
}

async fn repository_page(
    app: &App,
    session: &Session,
    ns: &str,
    name: &str,
    draft: Option<&str>,
    mut form: PolicyForm<'_>,
    status: StatusCode,
) -> Response {
    let started = Instant::now();
    form.csrf = &session.csrf;
    form.may_save = allowed(&session.identity.client, ns, "patch", "repositories").await;
    let page = Page::Repository { ns: ns.to_string(), name: name.to_string() };
    let (status, body, stream) =
        match Api::<Repository>::namespaced(session.identity.client.clone(), ns).get(name).await {
            Ok(repository) => {
                // The live part as its stream renders it, so the stream sends nothing until it changes.
                let live = live::sse_safe(ecr::live_part(&repository, jiff::Timestamp::now()).into_string());
                let stream = live::stream_url(&page, &live);
                (status, ecr::repository(&repository, ns, &app.ecr, draft, &form, PreEscaped(live)), Some(stream))
            }
            Err(e) => {
                let e = ConsoleError::from(e);
                (e.status(), layout::error_box(&e), None)
            }
        };
    timed(status, layout::page(&page.title(), session, ns, body, stream), started)
}

#[derive(Deserialize)]
struct PolicyPost {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    policy: String,
}
csrf_form!(PolicyPost);

/// The Repository with `policy` (ECR's JSON, checked by `ecr::parse` with ECR's messages) as its
/// lifecycle policy.
fn with_policy(repository: &Repository, policy: &str) -> Result<Repository, ConsoleError> {
    let parsed = kube_ecs_domain::ecr::parse(policy.trim())
        .map_err(|e| ConsoleError::Invalid(format!("ECR would refuse this policy: {}", e.message)))?;
    let value = serde_json::Value::from(&parsed);
    let mut changed = repository.clone();
    changed.spec.lifecycle_policy =
        Some(serde_json::from_value(value).map_err(|e| ConsoleError::Invalid(e.to_string()))?);
    Ok(changed)
}

async fn lifecycle_policy(
    State(app): State<Arc<App>>,
    Names((ns, name)): Names<(String, String)>,
    Posted(session, posted): Posted<PolicyPost>,
) -> Response {
    let draft = Some(posted.policy.as_str());
    if posted.intent == "preview" {
        return repository_page(&app, &session, &ns, &name, draft, PolicyForm::default(), StatusCode::OK).await;
    }
    let api = Api::<Repository>::namespaced(session.identity.client.clone(), &ns);
    let built = match api.get(&name).await {
        Ok(repository) => with_policy(&repository, &posted.policy).map(|changed| (repository, changed)),
        Err(e) => Err(e.into()),
    };
    let result = match built {
        Ok((repository, changed)) => match (Intent::parse(&posted.intent), gitops::owned_by(&repository.metadata)) {
            (Intent::Show | Intent::Download, _) => match gitops::manifest(&changed) {
                Ok(manifest) if Intent::parse(&posted.intent) == Intent::Download => {
                    return gitops::download(&manifest);
                }
                Ok(manifest) => {
                    let form = PolicyForm { manifest: Some(&manifest), ..Default::default() };
                    return repository_page(&app, &session, &ns, &name, draft, form, StatusCode::OK).await;
                }
                Err(e) => Err(e),
            },
            (Intent::Apply, Some(owner)) => Err(ConsoleError::Invalid(format!(
                "The repository is managed by {} ({}): change its lifecycle policy in Git.",
                owner.tool, owner.evidence
            ))),
            (Intent::Apply, None) => {
                let params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
                let patch = serde_json::json!({"spec": {"lifecyclePolicy": changed.spec.lifecycle_policy}});
                api.patch(&name, &params, &Patch::Merge(patch)).await.map(drop).map_err(ConsoleError::from)
            }
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/ns/{ns}/repositories/{name}")).into_response(),
        Err(e) => {
            let form = PolicyForm { error: Some(&e), ..Default::default() };
            repository_page(&app, &session, &ns, &name, draft, form, e.status()).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_policy_becomes_the_repositorys_or_ecrs_refusal() {
        let repository: Repository = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "web"},
            "spec": {"repositoryName": "team-a/web"}}))
        .expect("repository");
        let keep_one = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
        let changed = with_policy(&repository, keep_one).expect("valid");
        let policy = serde_json::to_value(changed.spec.lifecycle_policy).expect("json");
        assert_eq!(policy["rules"][0]["selection"]["countNumber"], 1);
        let refused = with_policy(&repository, r#"{"rules":[]}"#).expect_err("empty").to_string();
        assert!(refused.starts_with("ECR would refuse this policy"), "{refused}");
    }
}
