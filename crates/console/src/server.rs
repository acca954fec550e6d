//! The console's HTTP server: the routes, the sign-in exchange, the page and form handlers. Every
//! route sits behind [`crate::guard::guard`]; every handler but sign-in and the static files needs
//! a session, and every POST its CSRF token: handlers take them as extractors ([`crate::extract`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use crate::actions::{self, RunTaskForm, StopForm};
use crate::error::ConsoleError;
use crate::extract::{Names, Posted, SignedIn, csrf_form};
use crate::guard::Allowed;
use crate::identity::Identity;
use crate::page::{ClusterTab, Page, is_name};
use crate::session::{Session, Sessions, set_cookie};
use crate::views::{self, layout};
use crate::{live, static_files};

/// Where the console listens.
#[derive(Clone, Debug)]
pub struct ConsoleConfig {
    /// A loopback address; port 0 picks a free one.
    pub listen: SocketAddr,
}

/// How a browser becomes an identity.
pub enum SignIn {
    /// Local mode: the kubeconfig's identity, given to whoever redeems a printed login token.
    Kubeconfig(Arc<Identity>),
    /// Operator mode (crate::sign_in): a Kubernetes bearer token typed into the sign-in form,
    /// checked by the apiserver (SelfSubjectReview) and used as the session's only credential, or an
    /// ECS API access key, checked against `keys` and acted on by impersonating its identity (as the
    /// ECS API does). `base` gives the cluster's URL and CA, and, for keys only, the credentials that
    /// impersonate.
    Operator { base: Box<kube::Config>, keys: Option<Arc<dyn crate::sign_in::AccessKeys>> },
}

/// What every handler shares.
pub struct App {
    pub sessions: Sessions,
    pub allowed: Allowed,
    pub sign_in: SignIn,
    /// Where ECR's push commands point (views::ecr).
    pub ecr: crate::views::ecr::EcrEndpoints,
    /// Whether the console serves HTTPS (its session cookie is then `Secure`).
    pub https: bool,
}

/// A bound console, ready to serve.
pub struct Console {
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    address: SocketAddr,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl Console {
    /// Binds `config.listen` (loopback only: the local console's whole security model assumes a
    /// browser on this machine).
    pub async fn bind(config: ConsoleConfig, identity: Identity) -> std::io::Result<Self> {
        if !config.listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the local console listens on a loopback address only (127.0.0.1 or ::1)",
            ));
        }
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let address = listener.local_addr()?;
        let app = Arc::new(App {
            sessions: Sessions::default(),
            allowed: Allowed::loopback(address.port()),
            sign_in: SignIn::Kubeconfig(Arc::new(identity)),
            ecr: Default::default(),
            https: false,
        });
        Ok(Self { listener, app, address, tls: None })
    }

    /// Operator mode: users sign in with a Kubernetes bearer token (crate::sign_in). `hosts` are the
    /// `host:port` names browsers reach the console by (the Host allowlist; the loopback names of
    /// the bound port are always allowed, for `kubectl port-forward`).
    pub async fn with_token_sign_in(
        listen: SocketAddr,
        base: kube::Config,
        keys: Option<Arc<dyn crate::sign_in::AccessKeys>>,
        hosts: &[String],
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let address = listener.local_addr()?;
        let app = Arc::new(App {
            sessions: Sessions::default(),
            allowed: Allowed::loopback(address.port()).and_hosts(hosts),
            sign_in: SignIn::Operator { base: Box::new(base), keys },
            ecr: Default::default(),
            https: false,
        });
        Ok(Self { listener, app, address, tls: None })
    }

    /// The registry and ECR API endpoint the repository pages' push commands name.
    pub fn with_ecr(mut self, ecr: crate::views::ecr::EcrEndpoints) -> Self {
        if let Some(app) = Arc::get_mut(&mut self.app) {
            app.ecr = ecr;
        }
        self
    }

    /// Serves HTTPS with `config` (the operator's `--console-tls-cert`/`--console-tls-key`): the
    /// session cookie becomes `Secure` and the https origins of the console's names are its own.
    pub fn with_tls(mut self, config: Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        if let Some(app) = Arc::get_mut(&mut self.app) {
            app.https = true;
            app.allowed = app.allowed.clone().over_https();
        }
        self.tls = Some(config);
        self
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A URL that signs one browser in (the token works once).
    pub fn login_url(&self) -> String {
        format!("http://{}/login?token={}", self.address, self.app.sessions.issue_login_token())
    }

    /// Serves until the task is dropped or the listener fails.
    pub async fn serve(self) -> std::io::Result<()> {
        match self.tls {
            Some(config) => axum::serve(crate::tls::TlsListener::new(self.listener, config)?, router(self.app)).await,
            None => axum::serve(self.listener, router(self.app)).await,
        }
    }
}

fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/sign-in", get(crate::sign_in::form).post(crate::sign_in::submit))
        .route("/switch", get(switch))
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/static/console.css", get(static_files::css))
        .route("/static/live.js", get(static_files::live_js))
        .route(live::STREAM_PATH, get(live::stream))
        .route("/ns/{ns}/clusters/{cluster}/run-task", get(run_task_form).post(run_task))
        .route("/ns/{ns}/tasks/{id}/stop", axum::routing::post(stop_task))
        .merge(crate::service_routes::router())
        .merge(crate::td_routes::router())
        .merge(crate::ecr_routes::router())
        .merge(crate::run_task_manifest::router())
        .merge(crate::wizard::routes::router())
        .fallback(get(page))
        .layer(axum::middleware::from_fn_with_state(app.clone(), crate::guard::guard))
        .with_state(app)
}

/// The sign-in page of a browser without a session (or with a used token).
fn sign_in_page(app: &App, status: StatusCode, why: &str) -> Response {
    if let SignIn::Operator { keys, .. } = &app.sign_in {
        return crate::sign_in::page(status, why, keys.is_some());
    }
    let body = html! {
        h1 { "Sign in" }
        p { (why) }
        p { "Open the URL that " code { "kube-ecs console" } " printed (its token works once); run it again for a new one." }
    };
    (status, Html(layout::bare("Sign in", body).into_string())).into_response()
}

pub(crate) fn not_signed_in(app: &App) -> Response {
    sign_in_page(app, StatusCode::UNAUTHORIZED, "You are not signed in.")
}

async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    match app.sessions.find(&headers) {
        // A namespace that is no object name (a kubeconfig typo) would make no page, nor a header.
        Some(session) if is_name(&session.identity.default_namespace) => {
            Redirect::to(&format!("/ns/{}/clusters", session.identity.default_namespace)).into_response()
        }
        Some(_) => Redirect::to("/ns/default/clusters").into_response(),
        None => not_signed_in(&app),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    token: String,
}

/// Exchanges the one-time token for a session cookie, then leaves the URL that carried the token.
async fn login(State(app): State<Arc<App>>, Query(query): Query<LoginQuery>) -> Response {
    let SignIn::Kubeconfig(identity) = &app.sign_in else {
        return sign_in_page(&app, StatusCode::NOT_FOUND, "This console signs in with a token.");
    };
    if !app.sessions.redeem_login_token(&query.token) {
        return sign_in_page(&app, StatusCode::FORBIDDEN, "This sign-in link is wrong or was used already.");
    }
    start_session(&app, identity.clone())
}

/// A new session for `identity`: its cookie set, the browser sent home.
pub(crate) fn start_session(app: &App, identity: Arc<Identity>) -> Response {
    let cookie = app.sessions.start(identity);
    let mut response = Redirect::to("/").into_response();
    match HeaderValue::from_str(&set_cookie(&cookie, app.https)) {
        Ok(value) => {
            response.headers_mut().insert(header::SET_COOKIE, value);
            response
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the session cookie is not a header value").into_response(),
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}
csrf_form!(SignOutForm);

/// Ends the session (its CSRF token required: a forced sign-out is a nuisance, not harmless) and
/// clears the cookie. In local mode a new sign-in needs a new `kube-ecs console` URL.
async fn sign_out(State(app): State<Arc<App>>, headers: HeaderMap, _: Posted<SignOutForm>) -> Response {
    app.sessions.end(&headers);
    let mut response = sign_in_page(&app, StatusCode::OK, "You are signed out.");
    if let Ok(value) = HeaderValue::from_str(&crate::session::clear_cookie(app.https)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
struct SwitchQuery {
    #[serde(default)]
    ns: String,
}

async fn switch(Query(query): Query<SwitchQuery>) -> Response {
    let ns = query.ns.trim();
    if !is_name(ns) {
        return (StatusCode::BAD_REQUEST, "a namespace is a lowercase DNS name").into_response();
    }
    Redirect::to(&format!("/ns/{ns}/clusters")).into_response()
}

/// Every console page: parsed, rendered as the identity, wrapped, timed.
/// A page's query: `next`, the Tasks tab's later pages (the apiserver's continue token).
#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    next: Option<String>,
}

async fn page(SignedIn(session): SignedIn, uri: Uri, Query(query): Query<PageQuery>) -> Response {
    let Some(page) = Page::parse(uri.path()) else {
        return (StatusCode::NOT_FOUND, Html(layout::bare("Not found", html! { h1 { "Not found" } }).into_string()))
            .into_response();
    };
    let started = Instant::now();
    // A later page of tasks is a snapshot: only a list's first page follows changes live.
    let cursor = query.next.filter(|c| !c.is_empty());
    let rendered = match (&page, cursor.as_deref()) {
        (Page::Cluster { ns, cluster, tab }, Some(cursor)) => {
            views::cluster::fragment(&session, ns, cluster, *tab, Some(cursor)).await
        }
        _ => views::fragment(&page, &session).await,
    };
    let (status, body) = match rendered {
        Ok(markup) => (StatusCode::OK, markup),
        Err(e) => (e.status(), layout::error_box(&e)),
    };
    // Rendered (and escaped) by maud above; PreEscaped below only puts that markup back.
    let body = live::sse_safe(body.into_string());
    let stream = cursor.is_none().then(|| live::stream_url(&page, &body));
    let markup = layout::page(&page.title(), &session, page.namespace(), PreEscaped(body), stream);
    timed(status, markup, started)
}

/// A response with the server's render time (`Server-Timing`, what docs/console.md's figures read).
pub(crate) fn timed(status: StatusCode, markup: Markup, started: Instant) -> Response {
    let mut response = (status, Html(markup.into_string())).into_response();
    let timing = format!("render;dur={:.1}", started.elapsed().as_secs_f64() * 1000.0);
    if let Ok(value) = HeaderValue::from_str(&timing) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}

async fn run_task_form(SignedIn(session): SignedIn, Names((ns, cluster)): Names<(String, String)>) -> Response {
    run_task_page(&session, &ns, &cluster, &RunTaskForm::default(), None, StatusCode::OK).await
}

async fn run_task_page(
    session: &Session,
    ns: &str,
    cluster: &str,
    values: &RunTaskForm,
    error: Option<&ConsoleError>,
    status: StatusCode,
) -> Response {
    let started = Instant::now();
    let (status, body) = match views::run_task::form(session, ns, cluster, values, error).await {
        Ok(markup) => (status, markup),
        Err(e) => (e.status(), layout::error_box(&e)),
    };
    timed(status, layout::page("Run task", session, ns, body, None), started)
}

/// Runs the form's tasks as the identity: to the task (or the cluster's tasks) when created, back
/// to the form with the apiserver's answer (and its status code) when not.
async fn run_task(
    Names((ns, cluster)): Names<(String, String)>,
    Posted(session, form): Posted<RunTaskForm>,
) -> Response {
    if form.loads_containers() {
        return run_task_page(&session, &ns, &cluster, &form, None, StatusCode::OK).await;
    }
    match actions::run_task(&session.identity.client, &ns, &cluster, &form).await {
        Ok(ids) if ids.len() == 1 => Redirect::to(&Page::Task { ns, id: ids[0].clone() }.path()).into_response(),
        Ok(_) => Redirect::to(&Page::Cluster { ns, cluster, tab: ClusterTab::Tasks }.path()).into_response(),
        Err(e) => run_task_page(&session, &ns, &cluster, &form, Some(&e), e.status()).await,
    }
}

async fn stop_task(Names((ns, id)): Names<(String, String)>, Posted(session, form): Posted<StopForm>) -> Response {
    let page = Page::Task { ns: ns.clone(), id: id.clone() };
    match actions::stop_task(&session.identity.client, &ns, &id, &form.reason).await {
        Ok(()) => Redirect::to(&page.path()).into_response(),
        Err(e) => {
            let body = html! {
                (layout::error_box(&e))
                p { a href=(page.path()) { "Back to the task" } }
            };
            (e.status(), Html(layout::page("Stop task", &session, &ns, body, None).into_string())).into_response()
        }
    }
}
