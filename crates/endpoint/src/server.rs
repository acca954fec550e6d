//! HTTP(S) for the ECS, ECR, Secrets Manager and SSM APIs: one route (`POST /`), bodies bounded
//! before they are read, every answer JSON with a request ID. TLS when a certificate is configured.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::Endpoint;
use crate::auth::{self, Signed};
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};
use crate::protocol::Service;
use crate::{actions, ids, protocol, rest};

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// restJson1's (EventBridge Scheduler).
const REST_CONTENT_TYPE: &str = "application/json";
/// How long the endpoint waits for the access keys before serving.
const KEYS_READY: std::time::Duration = std::time::Duration::from_secs(30);
/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 512;
/// A request's head must arrive within this, its body within BODY_TIMEOUT.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Accepts connections until the process ends.
pub async fn serve(endpoint: Arc<Endpoint>) -> Result<(), String> {
    let addr = endpoint.config.listen;
    let tls = match &endpoint.config.tls {
        Some(files) => Some(acceptor(files)?),
        None => None,
    };
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("binding the ECS API to {addr}: {e}"))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, scheme, "serving the ECS API");
    // Keys first, so the first callers are not refused as unknown; a watch that cannot list them
    // (RBAC) is said loudly, and the endpoint serves anyway (every key is then unknown).
    if tokio::time::timeout(KEYS_READY, endpoint.keys.ready()).await.is_err() {
        tracing::error!(
            namespace = %endpoint.config.keys_namespace,
            "the ECS API access keys could not be listed within {KEYS_READY:?}: may the operator list Secrets there?"
        );
    }
    let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else { return Ok(()) };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting an ECS API connection");
                continue;
            }
        };
        let endpoint = endpoint.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |request| {
                let endpoint = endpoint.clone();
                async move { Ok::<_, Infallible>(handle(&endpoint, request).await) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
            let served = match tls {
                Some(tls) => match tls.accept(stream).await {
                    Ok(stream) => builder.serve_connection(TokioIo::new(stream), service).await,
                    Err(error) => {
                        tracing::debug!(%error, %peer, "TLS handshake failed");
                        return;
                    }
                },
                None => builder.serve_connection(TokioIo::new(stream), service).await,
            };
            if let Err(error) = served {
                tracing::debug!(%error, %peer, "ECS API connection ended");
            }
        });
    }
}

/// The TLS acceptor for the configured certificate and key: the registry front's configuration
/// (ring, TLS 1.2 and 1.3), which the console serves with too.
fn acceptor(files: &crate::TlsFiles) -> Result<TlsAcceptor, String> {
    kube_ecs_registry::front::server_config(&files.certificate, &files.private_key)
        .map(TlsAcceptor::from)
        .map_err(|e| format!("the ECS API's TLS: {e}"))
}

async fn handle(endpoint: &Endpoint, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let request_id = ids::request_id();
    let started = std::time::Instant::now();
    let rest_service = rest_service(&request);
    let (operation, result) = respond(endpoint, request, rest_service).await;
    let error_type = result.as_ref().err().map(|e| e.code.as_str());
    let (status, body) = match result {
        Ok(body) => (200, body),
        Err(error) => {
            if error.code.http_status() >= 500 {
                tracing::warn!(operation, %error, "ECS API request failed");
            }
            let status = match rest_service {
                Some(service) => rest::status(service, error.code),
                None => error.code.http_status(),
            };
            (status, error.body())
        }
    };
    tracing::debug!(operation, status, elapsed_ms = started.elapsed().as_millis() as u64, "ECS API request");
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    let content_type = if rest_service.is_some() { REST_CONTENT_TYPE } else { CONTENT_TYPE };
    headers.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    // restJson1 clients read the error's type from this header (botocore prefers it to the body's).
    if let (Some(_), Some(code)) = (rest_service, error_type) {
        headers.insert("x-amzn-errortype", hyper::header::HeaderValue::from_static(code));
    }
    if let Ok(value) = hyper::header::HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// The operation (when known) and its JSON answer or ECS error.
async fn respond(
    endpoint: &Endpoint,
    request: Request<Incoming>,
    rest_service: Option<Service>,
) -> (&'static str, Result<serde_json::Value, EcsError>) {
    let (parts, body) = request.into_parts();
    let limit = endpoint.config.max_body_bytes;
    let too_large = |size: String| {
        EcsError::new(
            ErrorCode::RequestEntityTooLargeException,
            format!("The request body ({size}) is larger than this endpoint accepts ({limit} bytes)."),
        )
    };
    // Refused before a byte of it is read when the client says how large it is.
    let declared =
        parts.headers.get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if let Some(size) = declared.filter(|size| *size > limit) {
        return ("", Err(too_large(format!("{size} bytes"))));
    }
    let read = tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, limit).collect()).await;
    let body = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return ("", Err(too_large(format!("over {limit} bytes"))));
        }
        Ok(Err(error)) => {
            let message = format!("reading the request body: {error}");
            return ("", Err(EcsError::new(ErrorCode::SerializationException, message)));
        }
        Err(_) => {
            let message = format!("the request body did not arrive within {BODY_TIMEOUT:?}");
            return ("", Err(EcsError::new(ErrorCode::SerializationException, message)));
        }
    };
    if parts.method != hyper::Method::POST && rest_service.is_none() {
        return ("", Err(EcsError::new(ErrorCode::UnknownOperationException, "The ECS API takes POST requests.")));
    }
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let signed = Signed {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let signing = rest_service.unwrap_or_else(|| protocol::signing_service(target));
    let key = match auth::authenticate(endpoint, &signed, signing.signing_name()) {
        Ok(key) => key,
        Err(error) => return ("", Err(error)),
    };
    let found = match rest_service {
        Some(service) => rest::operation(service, parts.method.as_str(), parts.uri.path()),
        None => protocol::operation(target).map(|operation| (operation, Vec::new())),
    };
    let (operation, captures) = match found {
        Ok(found) => found,
        Err(error) => return ("", Err(error)),
    };
    let result = async {
        // Before the input is read: without its registry the endpoint has no ECR action to check it for.
        let registry = match operation.service {
            Service::Ecr => Some(endpoint.registry.as_ref().ok_or_else(|| ecr_disabled(operation.name))?),
            Service::Ecs
            | Service::SecretsManager
            | Service::Ssm
            | Service::Logs
            | Service::Scheduler
            | Service::AutoScaling
            | Service::CloudMap => None,
        };
        let input = match rest_service {
            Some(_) => rest::input(operation, &captures, parts.uri.query().unwrap_or(""), &body)?,
            None => protocol::input(operation, &body)?,
        };
        let call = Call::new(endpoint, &key)?;
        let output = match (operation.service, registry) {
            (Service::Ecr, Some(registry)) => actions::ecr::dispatch(&call, registry, operation.name, input).await?,
            (Service::SecretsManager, _) => actions::secretsmanager::dispatch(&call, operation.name, input).await?,
            (Service::Ssm, _) => actions::ssm::dispatch(&call, operation.name, input).await?,
            (Service::Logs, _) => actions::logs::dispatch(&call, operation.name, input).await?,
            (Service::AutoScaling, _) => actions::autoscaling::dispatch(&call, operation.name, input).await?,
            (Service::Scheduler, _) => actions::scheduler::dispatch(&call, operation.name, input).await?,
            (Service::CloudMap, _) => actions::cloud_map::dispatch(&call, operation.name, input).await?,
            _ => actions::dispatch(&call, operation.name, input).await?,
        };
        if endpoint.config.check_responses {
            let model = operation.service.model();
            let violations = model.check_output(operation.name, &output);
            if !violations.is_empty() {
                return Err(EcsError::server(format!(
                    "the {} response does not match {}'s model: {}",
                    operation.name,
                    model.service(),
                    violations.join("; ")
                )));
            }
        }
        Ok(output)
    }
    .await;
    let service = operation.service.signing_name();
    tracing::info!(service, operation = operation.name, user = %key.username, ok = result.is_ok(), "ECS API call");
    (operation.name, result)
}

/// The restJson1 service a request calls: one without `X-Amz-Target` on a path such a service owns.
fn rest_service<B>(request: &Request<B>) -> Option<Service> {
    if request.headers().contains_key("x-amz-target") {
        return None;
    }
    rest::service_of_path(request.uri().path())
}

/// ECR's actions on an endpoint started without the registry they work on.
fn ecr_disabled(action: &str) -> EcsError {
    EcsError::new(
        ErrorCode::UnknownOperationException,
        format!(
            "ECR is not enabled on this endpoint (the operator serves the ECR API only together with its image \
             registry): {action} is not available."
        ),
    )
}
