//! The service forms' routes: Create service (from a cluster's Services tab), Update service and
//! Delete service (from a service's page). Each GET renders its form as the identity; each POST
//! checks the session's CSRF token, then applies as the identity (to the service's live page), or
//! shows or downloads the manifest instead (GitOps), or re-renders the form with the apiserver's
//! answer and status code. A GitOps-owned service is never written here, whatever is posted.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kube::api::Api;
use kube_ecs_api::Service;
use kube_ecs_api::ecs_names::cluster_reference;

use crate::actions_service::{self, ServiceForm};
use crate::error::ConsoleError;
use crate::extract::{Names, Posted, SignedIn};
use crate::page::Page;
use crate::rights::allowed;
use crate::server::{App, timed};
use crate::session::Session;
use crate::views::gitops::{self, Intent};
use crate::views::layout;
use crate::views::service_form::{self, Mode, Outcome};

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/ns/{ns}/clusters/{cluster}/create-service", get(create_form).post(create))
        .route("/ns/{ns}/services/{name}/update", get(update_form).post(update))
        .route("/ns/{ns}/services/{name}/delete", get(delete_form).post(delete))
}

/// The form page, or the form's error in its place.
async fn page(
    session: &Session,
    ns: &str,
    cluster: &str,
    mode: Mode<'_>,
    values: &ServiceForm,
    mut outcome: Outcome<'_>,
    status: StatusCode,
) -> Response {
    let started = Instant::now();
    let title = if matches!(mode, Mode::Create) { "Create service" } else { "Update service" };
    let verb = if matches!(mode, Mode::Create) { "create" } else { "update" };
    outcome.allowed = allowed(&session.identity.client, ns, verb, "services").await;
    let (status, body) = match service_form::form(session, ns, cluster, mode, values, outcome).await {
        Ok(markup) => (status, markup),
        Err(e) => (e.status(), layout::error_box(&e)),
    };
    timed(status, layout::page(title, session, ns, body, None), started)
}

async fn create_form(SignedIn(session): SignedIn, Names((ns, cluster)): Names<(String, String)>) -> Response {
    page(&session, &ns, &cluster, Mode::Create, &ServiceForm::default(), Outcome::default(), StatusCode::OK).await
}

async fn create(Names((ns, cluster)): Names<(String, String)>, Posted(session, form): Posted<ServiceForm>) -> Response {
    let built = actions_service::service_object(&form, &ns, &cluster, None)
        .and_then(|service| Ok((gitops::manifest(&service)?, service)));
    let result = match built {
        Ok((manifest, service)) => match Intent::parse(&form.intent) {
            Intent::Download => return gitops::download(&manifest),
            Intent::Show => {
                let checked = actions_service::dry_run(&session.identity.client, &ns, &service, true).await;
                let outcome = Outcome { manifest: Some(&manifest), dry_run: Some(&checked), ..Default::default() };
                return page(&session, &ns, &cluster, Mode::Create, &form, outcome, StatusCode::OK).await;
            }
            Intent::Apply => actions_service::create(&session.identity.client, &ns, &service).await,
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(name) => Redirect::to(&Page::Service { ns: ns.clone(), name }.path()).into_response(),
        Err(e) => {
            let outcome = Outcome { error: Some(&e), ..Default::default() };
            page(&session, &ns, &cluster, Mode::Create, &form, outcome, e.status()).await
        }
    }
}

/// The service as it is now (as the identity reads it), or the response that says why not.
async fn current(session: &Session, ns: &str, name: &str) -> Result<Service, Response> {
    Api::<Service>::namespaced(session.identity.client.clone(), ns).get(name).await.map_err(|e| {
        let e = ConsoleError::from(e);
        let body = layout::error_box(&e);
        (e.status(), axum::response::Html(layout::page("Service", session, ns, body, None).into_string()))
            .into_response()
    })
}

async fn update_form(SignedIn(session): SignedIn, Names((ns, name)): Names<(String, String)>) -> Response {
    let service = match current(&session, &ns, &name).await {
        Ok(service) => service,
        Err(response) => return response,
    };
    let cluster = cluster_reference(service.spec.cluster.as_deref()).to_string();
    let owner = gitops::owned_by(&service.metadata);
    let mode = Mode::Update { name: &name, owner: owner.as_ref() };
    page(&session, &ns, &cluster, mode, &ServiceForm::of(&service), Outcome::default(), StatusCode::OK).await
}

async fn update(Names((ns, name)): Names<(String, String)>, Posted(session, form): Posted<ServiceForm>) -> Response {
    let existing = match current(&session, &ns, &name).await {
        Ok(service) => service,
        Err(response) => return response,
    };
    let cluster = cluster_reference(existing.spec.cluster.as_deref()).to_string();
    let owner = gitops::owned_by(&existing.metadata);
    let mode = || Mode::Update { name: &name, owner: owner.as_ref() };
    let built = actions_service::service_object(&form, &ns, &cluster, Some(&existing))
        .and_then(|service| Ok((gitops::manifest(&service)?, service)));
    let (manifest, service) = match built {
        Ok(built) => built,
        Err(e) => {
            let outcome = Outcome { error: Some(&e), ..Default::default() };
            return page(&session, &ns, &cluster, mode(), &form, outcome, e.status()).await;
        }
    };
    let intent = Intent::parse(&form.intent);
    let mut checked = None;
    let result = match (intent, &owner) {
        (Intent::Download, _) => return gitops::download(&manifest),
        (Intent::Show, _) => {
            checked = Some(actions_service::dry_run(&session.identity.client, &ns, &service, false).await);
            Ok(())
        }
        (Intent::Apply, Some(owner)) => Err(ConsoleError::Invalid(format!(
            "The service {name} is managed by {} ({}): change it in Git.",
            owner.tool, owner.evidence
        ))),
        (Intent::Apply, None) => actions_service::update(&session.identity.client, &ns, &service).await,
    };
    match (intent, result) {
        (Intent::Apply, Ok(())) => {
            Redirect::to(&Page::Service { ns: ns.clone(), name: name.clone() }.path()).into_response()
        }
        (_, Ok(())) => {
            let outcome = Outcome { manifest: Some(&manifest), dry_run: checked.as_ref(), ..Default::default() };
            page(&session, &ns, &cluster, mode(), &form, outcome, StatusCode::OK).await
        }
        (_, Err(e)) => {
            let outcome = Outcome { error: Some(&e), ..Default::default() };
            page(&session, &ns, &cluster, mode(), &form, outcome, e.status()).await
        }
    }
}

fn delete_page(session: &Session, ns: &str, name: &str, error: Option<&ConsoleError>) -> Response {
    let status = error.map_or(StatusCode::OK, ConsoleError::status);
    let body = service_form::delete_form(session, ns, name, error);
    timed(status, layout::page("Delete service", session, ns, body, None), Instant::now())
}

async fn delete_form(SignedIn(session): SignedIn, Names((ns, name)): Names<(String, String)>) -> Response {
    delete_page(&session, &ns, &name, None)
}

async fn delete(Names((ns, name)): Names<(String, String)>, Posted(session, form): Posted<ServiceForm>) -> Response {
    let existing = match current(&session, &ns, &name).await {
        Ok(service) => service,
        Err(response) => return response,
    };
    if form.confirm.trim() != name {
        let e = ConsoleError::Invalid(format!("Type the service's name, {name}, to delete it."));
        return delete_page(&session, &ns, &name, Some(&e));
    }
    if let Some(owner) = gitops::owned_by(&existing.metadata) {
        let e = ConsoleError::Invalid(format!(
            "The service {name} is managed by {} ({}): delete it from Git.",
            owner.tool, owner.evidence
        ));
        return delete_page(&session, &ns, &name, Some(&e));
    }
    let cluster = cluster_reference(existing.spec.cluster.as_deref()).to_string();
    match actions_service::delete(&session.identity.client, &ns, &name).await {
        Ok(()) => Redirect::to(&format!("/ns/{ns}/clusters/{cluster}/services")).into_response(),
        Err(e) => delete_page(&session, &ns, &name, Some(&e)),
    }
}
