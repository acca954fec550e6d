//! ECR's pages' routes (views::ecr): the namespace's repositories and one repository, read as the
//! identity; a repository's page previews a draft lifecycle policy given in its query (a GET: a
//! preview changes nothing).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::page::is_name;
use crate::server::{App, not_signed_in, timed};
use crate::views::{ecr, layout};

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/ns/{ns}/repositories", get(repositories))
        .route("/ns/{ns}/repositories/{name}", get(repository))
}

async fn repositories(State(app): State<Arc<App>>, headers: HeaderMap, Path(ns): Path<String>) -> Response {
    let Some(session) = app.sessions.find(&headers) else { return not_signed_in(&app) };
    if !is_name(&ns) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let started = Instant::now();
    let (status, body) = match ecr::repositories(&session.identity.client, &ns).await {
        Ok(markup) => (StatusCode::OK, markup),
        Err(e) => (e.status(), layout::error_box(&e)),
    };
    timed(status, layout::page("Private repositories", &session, &ns, body, None), started)
}

#[derive(Deserialize)]
struct RepositoryQuery {
    #[serde(default)]
    policy: Option<String>,
}

async fn repository(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path((ns, name)): Path<(String, String)>,
    Query(query): Query<RepositoryQuery>,
) -> Response {
    let Some(session) = app.sessions.find(&headers) else { return not_signed_in(&app) };
    if !is_name(&ns) || !is_name(&name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let started = Instant::now();
    let draft = query.policy.as_deref();
    let (status, body) = match ecr::repository(&session.identity.client, &ns, &name, &app.ecr, draft).await {
        Ok(markup) => (StatusCode::OK, markup),
        Err(e) => (e.status(), layout::error_box(&e)),
    };
    timed(status, layout::page(&format!("Repository {name}"), &session, &ns, body, None), started)
}
