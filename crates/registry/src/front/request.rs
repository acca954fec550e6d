//! One request, in order: route, authenticate, refuse what the front never serves, find the
//! repository, ask RBAC, then forward (manifest uploads through [`super::manifest`]).
//!
//! Authentication comes before everything that looks at repositories, so a stranger learns
//! nothing about which exist; the repository comes before RBAC because RBAC is asked about its
//! object. One log line per request says what was asked, by whom, and the answer.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Empty, Full};
use hyper::body::Incoming;
use jiff::Timestamp;

use super::authenticate::authenticate;
use super::errors::{API_VERSION, API_VERSION_HEADER, RegistryError};
use super::proxy::UpstreamProxy;
use super::tag_locks::TagLocks;
use super::{FrontConfig, FrontError, PushObserver, manifest, rewrite};
use crate::authorize::Authorizer;
use crate::directory::Directory;
use crate::routes::Route;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Bodies both ways: the client's or the registry under's streamed, or the front's own.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// What every request needs.
pub struct Front {
    pub config: FrontConfig,
    pub directory: Arc<dyn Directory>,
    pub authorizer: Arc<dyn Authorizer>,
    pub observer: Arc<dyn PushObserver>,
    pub upstream: UpstreamProxy,
    pub tag_locks: TagLocks,
}

impl Front {
    pub fn new(
        config: FrontConfig,
        directory: Arc<dyn Directory>,
        authorizer: Arc<dyn Authorizer>,
        observer: Arc<dyn PushObserver>,
    ) -> Result<Self, FrontError> {
        if config.token_key.is_empty() {
            return Err(FrontError::Config("the token key is empty".into()));
        }
        let upstream = UpstreamProxy::new(&config)?;
        Ok(Self { config, directory, authorizer, observer, upstream, tag_locks: TagLocks::default() })
    }
}

/// What the request's log line says.
#[derive(Default)]
struct RequestLog {
    route: &'static str,
    repository: Option<String>,
    user: Option<String>,
}

/// The answer to `request`, never an error: refusals are answers too.
pub async fn handle(front: Arc<Front>, request: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let method = request.method().clone();
    let mut log = RequestLog::default();
    let response = match respond(&front, request, &mut log).await {
        Ok(response) => response,
        Err(error) => error.response(),
    };
    tracing::info!(
        %method,
        route = log.route,
        repository = log.repository.as_deref().unwrap_or(""),
        user = log.user.as_deref().unwrap_or(""),
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "registry request"
    );
    response
}

async fn respond(
    front: &Front,
    request: Request<Incoming>,
    log: &mut RequestLog,
) -> Result<Response<Body>, RegistryError> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let route = Route::parse(&path, &query);
    let who = authenticate(&parts.headers, &front.config.token_key, &front.config.registry_host, Timestamp::now())?;
    log.user = Some(who.username.clone());
    let route = route?;
    log.route = route.kind();
    log.repository = route.name().map(str::to_string);
    let name = match &route {
        Route::Base => return Ok(version_check()),
        Route::Catalog => return Err(RegistryError::catalog()),
        Route::Unknown => return Err(RegistryError::not_found()),
        other => other.name().ok_or_else(RegistryError::not_found)?.to_string(),
    };
    let access = route.access(&parts.method).ok_or_else(|| RegistryError::method_unsupported(&parts.method))?;
    let repository =
        front.directory.lookup(&name).ok_or_else(|| RegistryError::name_unknown(&name, &front.config.registry_id))?;
    let allowed = front.authorizer.allowed(&who, access, &repository).await.map_err(|error| {
        tracing::warn!(%error, user = who.username, repository = name, "could not authorize a registry request");
        RegistryError::authorizer()
    })?;
    if !allowed {
        let action = route.ecr_action(&parts.method);
        return Err(RegistryError::denied(
            &who.username,
            action,
            &front.config.region,
            &front.config.registry_id,
            &name,
        ));
    }
    match route {
        Route::Manifest { reference, .. } if parts.method == Method::PUT => {
            manifest::put(front, parts, body, repository, reference).await
        }
        Route::UploadStart { mount: Some(mount), .. } => {
            tracing::debug!(
                repository = name,
                from = mount.from.as_deref().unwrap_or(""),
                "blob mount turned into an upload"
            );
            let query = rewrite::without_mount(&query);
            let response = front.upstream.send(parts.method, &path, &query, &parts.headers, stream(body)).await?;
            front.upstream.answer(response)
        }
        Route::Tags { .. } if parts.method == Method::GET => {
            let response = front.upstream.send(parts.method, &path, &query, &parts.headers, stream(body)).await?;
            tag_list(front, response, &name).await
        }
        _ => {
            let response = front.upstream.send(parts.method, &path, &query, &parts.headers, stream(body)).await?;
            front.upstream.answer(response)
        }
    }
}

/// The most a tag list may hold for the front to rename it (ten thousand tags fit many times).
const MAX_TAG_LIST: usize = 8 * 1024 * 1024;

/// A tag list named as the front names the repository; an empty one when the registry under has
/// never stored the repository (ECR lists a new repository's tags as none, not as an error).
async fn tag_list(
    front: &Front,
    response: hyper::Response<Incoming>,
    name: &str,
) -> Result<Response<Body>, RegistryError> {
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        let body = serde_json::json!({ "name": name, "tags": [] }).to_string();
        return Ok(json_answer(StatusCode::OK, body));
    }
    if status != StatusCode::OK {
        return front.upstream.answer(response);
    }
    let (mut parts, body) = response.into_parts();
    front.upstream.answer_head(&mut parts)?;
    let bytes = http_body_util::Limited::new(body, MAX_TAG_LIST).collect().await.map_err(|error| {
        tracing::warn!(%error, repository = name, "reading a tag list of the registry under");
        RegistryError::upstream()
    })?;
    let bytes = bytes.to_bytes();
    let renamed = rewrite::front_tag_list(&bytes, name).map(Bytes::from).unwrap_or(bytes);
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(renamed.len()));
    Ok(Response::from_parts(parts, full(renamed)))
}

/// A body of the other side, streamed through.
pub fn stream(body: Incoming) -> Body {
    // A named function, not `Into::into`: the latter leaves a lifetime for inference to make
    // higher-ranked, and the connection's future then fails to be `Send`.
    body.map_err(box_error).boxed_unsync()
}

fn box_error(error: hyper::Error) -> BoxError {
    Box::new(error)
}

/// `GET /v2/` with valid credentials: the client may go on.
fn version_check() -> Response<Body> {
    json_answer(StatusCode::OK, "{}".to_string())
}

fn json_answer(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
    response
}
