//! Task definitions' routes beside the pages (views::td_compare): Compare two revisions, and
//! Deregister a revision (a confirmation, then ECS's DeregisterTaskDefinition as the identity: the
//! revision added to `spec.deregisteredRevisions` by a merge patch, as the ECS API writes it).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kube::api::{Api, Patch, PatchParams};
use kube_ecs_api::TaskDefinition;
use serde::Deserialize;

use crate::actions::FIELD_MANAGER;
use crate::error::ConsoleError;
use crate::extract::{Names, Posted, SignedIn, csrf_form};
use crate::page::Page;
use crate::server::{App, timed};
use crate::session::Session;
use crate::views::{gitops, layout, td_compare};

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/ns/{ns}/task-definitions/{family}/compare", get(compare))
        .route("/ns/{ns}/task-definitions/{family}/{revision}/deregister", get(deregister_form).post(deregister))
}

#[derive(Deserialize)]
struct CompareQuery {
    #[serde(default)]
    a: Option<i64>,
    #[serde(default)]
    b: Option<i64>,
}

async fn compare(
    SignedIn(session): SignedIn,
    Names((ns, family)): Names<(String, String)>,
    Query(query): Query<CompareQuery>,
) -> Response {
    let started = Instant::now();
    let (status, body) = match td_compare::compare(&session.identity.client, &ns, &family, query.a, query.b).await {
        Ok(markup) => (StatusCode::OK, markup),
        Err(e) => (e.status(), layout::error_box(&e)),
    };
    timed(status, layout::page(&format!("Compare {family}"), &session, &ns, body, None), started)
}

#[derive(Deserialize)]
struct DeregisterForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}
csrf_form!(DeregisterForm);

fn deregister_page(session: &Session, ns: &str, family: &str, revision: i64, error: Option<&ConsoleError>) -> Response {
    let status = error.map_or(StatusCode::OK, ConsoleError::status);
    let body = td_compare::deregister_form(session, ns, family, revision, error);
    timed(status, layout::page("Deregister", session, ns, body, None), Instant::now())
}

async fn deregister_form(
    SignedIn(session): SignedIn,
    Names((ns, family, revision)): Names<(String, String, i64)>,
) -> Response {
    if revision < 1 {
        return StatusCode::NOT_FOUND.into_response();
    }
    deregister_page(&session, &ns, &family, revision, None)
}

async fn deregister(
    Names((ns, family, revision)): Names<(String, String, i64)>,
    Posted(session, _): Posted<DeregisterForm>,
) -> Response {
    if revision < 1 {
        return StatusCode::NOT_FOUND.into_response();
    }
    match deregistered(&session.identity.client, &ns, &family, revision).await {
        Ok(()) => Redirect::to(&Page::Revision { ns, family, revision }.path()).into_response(),
        Err(e) => deregister_page(&session, &ns, &family, revision, Some(&e)),
    }
}

/// Adds `revision` to the family's deregistered revisions, as the identity.
async fn deregistered(client: &kube::Client, ns: &str, object: &str, revision: i64) -> Result<(), ConsoleError> {
    let api = Api::<TaskDefinition>::namespaced(client.clone(), ns);
    let td = api.get(object).await?;
    if let Some(owner) = gitops::owned_by(&td.metadata) {
        return Err(ConsoleError::Invalid(format!(
            "The task definition family is managed by {} ({}): deregister it in Git (spec.deregisteredRevisions).",
            owner.tool, owner.evidence
        )));
    }
    let known = td.status.as_ref().is_some_and(|s| s.revisions.iter().any(|r| r.revision == revision));
    if !known {
        return Err(ConsoleError::NotFound(format!("revision {revision} of {object}")));
    }
    let mut deregistered = td.spec.deregistered_revisions.clone();
    if !deregistered.contains(&revision) {
        deregistered.push(revision);
        deregistered.sort_unstable();
        let params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        let patch = serde_json::json!({"spec": {"deregisteredRevisions": deregistered}});
        api.patch(object, &params, &Patch::Merge(patch)).await?;
    }
    Ok(())
}
