//! The way to the registry under: requests forwarded with kube-ecs's credentials, answers turned
//! back into the front's (see [`super::rewrite`]). Bodies stream; nothing here buffers them.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::errors::{API_VERSION, API_VERSION_HEADER, RegistryError};
use super::request::{Body, empty, stream};
use super::rewrite;
use super::{FrontConfig, FrontError};

/// The registry under runs next to the operator: a connection that takes longer is not coming.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A HEAD of a manifest (the IMMUTABLE check) is answered from metadata.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// The registry under, as the front forwards to it.
pub struct UpstreamProxy {
    client: Client<HttpConnector, Body>,
    /// `http://127.0.0.1:5000`, without a trailing slash.
    base: String,
    /// `127.0.0.1:5000`: what the registry under writes into its absolute URLs.
    authority: String,
    registry_host: String,
    authorization: Option<HeaderValue>,
}

impl UpstreamProxy {
    pub fn new(config: &FrontConfig) -> Result<Self, FrontError> {
        let base = config.upstream.trim_end_matches('/').to_string();
        let uri: Uri = base.parse().map_err(|e| FrontError::Config(format!("upstream {base}: {e}")))?;
        if uri.scheme_str() != Some("http") || uri.path() != "/" && !uri.path().is_empty() {
            return Err(FrontError::Config(format!(
                "upstream {base}: expected http://host:port (the registry under is reached over plain HTTP)"
            )));
        }
        let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
        let authorization = match &config.upstream_credentials {
            Some((user, password)) => {
                use base64::Engine as _;
                let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
                    .map_err(|e| FrontError::Config(format!("upstream credentials: {e}")))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, base, authority, registry_host: config.registry_host.clone(), authorization })
    }

    /// Sends `method` on front path `path` (with `query`) upstream, with the client's `headers`
    /// made fit to forward.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Response<Incoming>, RegistryError> {
        let Some(upstream_path) = rewrite::upstream_path(path, &self.registry_host) else {
            return Err(RegistryError::not_found());
        };
        let query = if query.is_empty() { String::new() } else { format!("?{query}") };
        let uri = format!("{}{upstream_path}{query}", self.base);
        let mut request = Request::builder().method(method.clone()).uri(&uri).body(body).map_err(|error| {
            tracing::warn!(%error, uri, "building a request to the registry under");
            RegistryError::upstream()
        })?;
        *request.headers_mut() = rewrite::request_headers(headers);
        if let Some(authorization) = &self.authorization {
            request.headers_mut().insert(header::AUTHORIZATION, authorization.clone());
        }
        self.client.request(request).await.map_err(|error| {
            tracing::warn!(%error, %method, upstream = %self.base, path = upstream_path, "the registry under did not answer");
            RegistryError::upstream()
        })
    }

    /// The digest tag `tag` of `name` points at upstream, if the tag exists.
    pub async fn tag_digest(&self, name: &str, tag: &str) -> Result<Option<String>, RegistryError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(crate::upstream::MANIFEST_ACCEPT));
        let path = format!("/v2/{name}/manifests/{tag}");
        let sent = tokio::time::timeout(CHECK_TIMEOUT, self.send(Method::HEAD, &path, "", &headers, empty())).await;
        let response = sent.map_err(|_| {
            tracing::warn!(name, tag, "the registry under did not answer a tag check within {CHECK_TIMEOUT:?}");
            RegistryError::upstream()
        })??;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::OK => {
                let digest = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok());
                match digest {
                    Some(digest) => Ok(Some(digest.to_string())),
                    None => {
                        tracing::warn!(name, tag, "the registry under answered a tag check without a digest");
                        Err(RegistryError::upstream())
                    }
                }
            }
            status => {
                self.refuse_misconfiguration(status);
                tracing::warn!(name, tag, %status, "the registry under refused a tag check");
                Err(RegistryError::upstream())
            }
        }
    }

    /// The client's answer to `response`: headers rewritten, the body streamed through.
    pub fn answer(&self, response: Response<Incoming>) -> Result<Response<Body>, RegistryError> {
        let (mut parts, body) = response.into_parts();
        self.answer_head(&mut parts)?;
        Ok(Response::from_parts(parts, stream(body)))
    }

    /// The head of the client's answer to an answer of the registry under. A 401 of the registry
    /// under means kube-ecs's own credentials are wrong, which the client cannot fix.
    pub fn answer_head(&self, parts: &mut http::response::Parts) -> Result<(), RegistryError> {
        if parts.status == StatusCode::UNAUTHORIZED {
            self.refuse_misconfiguration(parts.status);
            return Err(RegistryError::upstream());
        }
        parts.headers = rewrite::answer_headers(&parts.headers, &self.authority, &self.registry_host);
        parts.headers.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
        Ok(())
    }

    fn refuse_misconfiguration(&self, status: StatusCode) {
        if status == StatusCode::UNAUTHORIZED {
            tracing::error!(
                upstream = %self.base,
                with_credentials = self.authorization.is_some(),
                "the registry under refused the front's credentials: check the upstream user and password"
            );
        }
    }
}
