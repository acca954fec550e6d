//! The registry users push and pull through: ECR's registry endpoint in front of the registry under.
//!
//! Every request is authenticated by an ECR authorization token (HTTP Basic, user `AWS`), its
//! repository must exist (a Repository object holds the name) and RBAC must allow the push or pull;
//! then it is proxied to the registry under, with the repository's path there
//! (`<registry host>/<name>`). Bodies stream both ways, except manifest uploads, which are small
//! (at most 4 MiB, as in ECR) and read whole, so their digest can be checked against an IMMUTABLE
//! tag before the registry under sees them. What the registry under answers goes back rewritten:
//! its paths made the front's, its own authentication challenges removed.
//!
//! Refused here: `DELETE` (ECR deletes images through `BatchDeleteImage`), the catalog (it would
//! list every namespace's repositories) and cross-repository blob mounts (they would read another
//! repository's blob without a pull check; the mount is dropped and the client uploads instead).

mod authenticate;
mod connections;
mod errors;
mod manifest;
mod proxy;
mod request;
mod rewrite;
mod tag_locks;
mod tls;

pub use tls::server_config;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_rustls::rustls::ServerConfig;

use crate::authorize::Authorizer;
use crate::directory::Directory;

/// How the front reaches the registry under and presents itself.
#[derive(Clone)]
pub struct FrontConfig {
    /// The registry under, `http://127.0.0.1:PORT` (plain HTTP: it runs next to the operator).
    pub upstream: String,
    /// Basic credentials of the registry under, if it requires them.
    pub upstream_credentials: Option<(String, String)>,
    /// The registry's name, `123456789012.dkr.ecr.us-east-1.amazonaws.com`: the realm of the
    /// authentication challenge and the first path segment of every repository upstream.
    pub registry_host: String,
    /// The account ID, for ECR-worded messages.
    pub registry_id: String,
    /// The region, for ECR-worded messages (ARNs).
    pub region: String,
    /// The key authorization tokens are signed with ([`crate::token`]).
    pub token_key: Vec<u8>,
}

impl std::fmt::Debug for FrontConfig {
    // Never the key or the upstream password: configurations end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontConfig")
            .field("upstream", &self.upstream)
            .field("upstream_user", &self.upstream_credentials.as_ref().map(|(user, _)| user))
            .field("registry_host", &self.registry_host)
            .field("registry_id", &self.registry_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Told of every image the registry under accepted through the front.
pub trait PushObserver: Send + Sync + 'static {
    /// The registry under accepted (201) manifest `digest` in `repository_name`, under `tag` when the
    /// push named one.
    fn pushed(&self, repository_name: &str, digest: &str, tag: Option<&str>, at: jiff::Timestamp);
}

/// Why the front could not serve.
#[derive(thiserror::Error, Debug)]
pub enum FrontError {
    #[error("invalid front configuration: {0}")]
    Config(String),
}

impl FrontError {
    /// A bounded label for logs and metrics.
    pub fn category(&self) -> &'static str {
        match self {
            FrontError::Config(_) => "config",
        }
    }
}

/// Serves plain HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: FrontConfig,
    directory: Arc<dyn Directory>,
    authorizer: Arc<dyn Authorizer>,
    observer: Arc<dyn PushObserver>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FrontError> {
    serve_tls(listener, None, config, directory, authorizer, observer, shutdown).await
}

/// Serves on `listener`, with TLS when `tls` is given, until `shutdown` completes; requests in
/// progress then get a moment to finish.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    config: FrontConfig,
    directory: Arc<dyn Directory>,
    authorizer: Arc<dyn Authorizer>,
    observer: Arc<dyn PushObserver>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FrontError> {
    let front = Arc::new(request::Front::new(config, directory, authorizer, observer)?);
    connections::accept(listener, tls, front, shutdown).await;
    Ok(())
}
