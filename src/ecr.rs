//! ECR in the operator: the options, and starting its parts (docs/ecr.md).
//!
//! With `--ecr-registry-upstream`, the operator
//! - serves the registry front users push and pull through (`--ecr-front-bind-address`);
//! - serves ECR's API on the ECS API endpoint (when that is on);
//! - runs the Repository controller (status from the registry, names, lifecycle policies).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kube::runtime::{WatchStreamExt as _, reflector, watcher};
use kube_ecs_domain::ecr::plan;
use kube_ecs_operator::controllers::repository::RegistrySettings;
use kube_ecs_registry::authorize::SubjectAccessReviews;
use kube_ecs_registry::directory::StoreDirectory;
use kube_ecs_registry::front::{self, FrontConfig};
use kube_ecs_registry::images::PushLog;
use kube_ecs_registry::upstream::Upstream;

use crate::api::repository::Repository;

/// Options of kube-ecs's ECR (docs/ecr.md).
#[derive(clap::Args, Debug, Clone)]
pub struct EcrArgs {
    /// The CNCF distribution registry that stores the images (`http://host:port`); empty: ECR off.
    #[arg(long, env = "KUBE_ECS_ECR_REGISTRY_UPSTREAM", default_value = "")]
    pub ecr_registry_upstream: String,
    /// A file holding `user:password` of the registry under (its htpasswd user), if it needs one.
    #[arg(long, env = "KUBE_ECS_ECR_REGISTRY_UPSTREAM_CREDENTIALS_FILE")]
    pub ecr_registry_upstream_credentials_file: Option<std::path::PathBuf>,
    /// The registry's name in image references; default `<account>.dkr.ecr.<region>.amazonaws.com`
    /// (the ECS API's account and region), which real nodes resolve to the registry under.
    #[arg(long, env = "KUBE_ECS_ECR_REGISTRY_HOST", default_value = "")]
    pub ecr_registry_host: String,
    /// Where the registry front (pushes and pulls with ECR tokens) listens. Plain HTTP only on
    /// loopback, unless TLS is given (--ecr-front-tls-cert) or terminated in front of it
    /// (--ecr-front-allow-plain-http).
    #[arg(long, env = "KUBE_ECS_ECR_FRONT_BIND_ADDRESS", default_value = "127.0.0.1:8445")]
    pub ecr_front_bind_address: String,
    /// Serve the front on a non-loopback address without TLS (behind a TLS-terminating proxy).
    #[arg(long, env = "KUBE_ECS_ECR_FRONT_ALLOW_PLAIN_HTTP")]
    pub ecr_front_allow_plain_http: bool,
    /// PEM certificate chain to serve the front over HTTPS.
    #[arg(long, env = "KUBE_ECS_ECR_FRONT_TLS_CERT", requires = "ecr_front_tls_key")]
    pub ecr_front_tls_cert: Option<std::path::PathBuf>,
    /// PEM private key of --ecr-front-tls-cert.
    #[arg(long, env = "KUBE_ECS_ECR_FRONT_TLS_KEY", requires = "ecr_front_tls_cert")]
    pub ecr_front_tls_key: Option<std::path::PathBuf>,
    /// The URL GetAuthorizationToken returns as `proxyEndpoint` (where users push); default
    /// `http(s)://<front bind address>`.
    #[arg(long, env = "KUBE_ECS_ECR_PROXY_ENDPOINT", default_value = "")]
    pub ecr_proxy_endpoint: String,
    /// How often each lifecycle policy runs, in seconds (a changed policy runs at once).
    #[arg(long, env = "KUBE_ECS_ECR_LIFECYCLE_PERIOD_SECONDS", default_value_t = 3600)]
    pub ecr_lifecycle_period_seconds: u64,
    /// How often a repository's status is refreshed from the registry besides after each push.
    #[arg(long, env = "KUBE_ECS_ECR_REFRESH_PERIOD_SECONDS", default_value_t = 30)]
    pub ecr_refresh_period_seconds: u64,
}

/// ECR's running parts, for the endpoint and the controller.
pub struct Ecr {
    pub settings: RegistrySettings,
    pub token_key: Vec<u8>,
    pub directory: Arc<StoreDirectory>,
    pub authorizer: Arc<SubjectAccessReviews>,
    pub proxy_endpoint: String,
    /// Where the front listens (the bind address with its port resolved).
    pub front_address: SocketAddr,
}

impl EcrArgs {
    /// Starts the front and the Repository cache when ECR is on. `region`, `account` and the keys
    /// namespace (where the token key lives) are the ECS API's.
    pub async fn start(
        &self,
        region: &str,
        account: &str,
        keys_namespace: &str,
        client: kube::Client,
    ) -> anyhow::Result<Option<Ecr>> {
        if self.ecr_registry_upstream.is_empty() {
            return Ok(None);
        }
        let host = if self.ecr_registry_host.is_empty() {
            format!("{account}.dkr.ecr.{region}.amazonaws.com")
        } else {
            self.ecr_registry_host.clone()
        };
        let credentials = match &self.ecr_registry_upstream_credentials_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading --ecr-registry-upstream-credentials-file {}", path.display()))?;
                let (user, password) = text
                    .trim()
                    .split_once(':')
                    .context("--ecr-registry-upstream-credentials-file holds `user:password`")?;
                Some((user.to_string(), password.to_string()))
            }
            None => None,
        };
        let upstream = Upstream::new(
            &self.ecr_registry_upstream,
            &host,
            credentials.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
        )
        .map_err(|e| anyhow::anyhow!("--ecr-registry-upstream: {e}"))?;
        let bind: SocketAddr =
            self.ecr_front_bind_address.parse().context("--ecr-front-bind-address must be host:port")?;
        let tls = match (&self.ecr_front_tls_cert, &self.ecr_front_tls_key) {
            (Some(certificate), Some(key)) => {
                Some(front::server_config(certificate, key).map_err(|e| anyhow::anyhow!("--ecr-front-tls-cert: {e}"))?)
            }
            _ => None,
        };
        if !bind.ip().is_loopback() && tls.is_none() && !self.ecr_front_allow_plain_http {
            anyhow::bail!(
                "--ecr-front-bind-address {bind} is not loopback: tokens would travel in clear; give \
                 --ecr-front-tls-cert and --ecr-front-tls-key, or put a TLS-terminating Service or proxy in front \
                 and pass --ecr-front-allow-plain-http"
            );
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        let token_key = kube_ecs_registry::token::load_or_create_key(client.clone(), keys_namespace)
            .await
            .map_err(|e| anyhow::anyhow!("the ECR token key in namespace {keys_namespace}: {e}"))?;

        // Every replica serves the front, so every replica watches the Repositories it looks names up in.
        let (reader, writer) = reflector::store();
        let repositories = kube::Api::<Repository>::all(client.clone());
        let feed = reflector(writer, watcher(repositories, watcher::Config::default().any_semantic()))
            .default_backoff()
            .touched_objects();
        tokio::spawn(async move {
            futures::pin_mut!(feed);
            while let Some(event) = futures::StreamExt::next(&mut feed).await {
                if let Err(e) = event {
                    tracing::warn!(error = %e, "watching Repositories for the registry front");
                }
            }
        });
        let directory = Arc::new(StoreDirectory(reader));
        let authorizer = Arc::new(SubjectAccessReviews::new(client));
        let push_log = Arc::new(PushLog::default());

        let listener =
            tokio::net::TcpListener::bind(bind).await.with_context(|| format!("binding the ECR front to {bind}"))?;
        let front_address = listener.local_addr()?;
        let config = FrontConfig {
            upstream: self.ecr_registry_upstream.clone(),
            upstream_credentials: credentials,
            registry_host: host.clone(),
            registry_id: account.to_string(),
            region: region.to_string(),
            token_key: token_key.clone(),
        };
        let (dir, auth, log) = (directory.clone(), authorizer.clone(), push_log.clone());
        tokio::spawn(async move {
            if let Err(e) = front::serve_tls(listener, tls, config, dir, auth, log, std::future::pending()).await {
                // Asked for and not served: the process stops, its logs say why.
                tracing::error!(error = %e, "the ECR registry front stopped");
                std::process::exit(1);
            }
        });
        tracing::info!(%front_address, registry_host = %host, upstream = %self.ecr_registry_upstream, "ECR registry front serving");
        let proxy_endpoint = if self.ecr_proxy_endpoint.is_empty() {
            format!("{scheme}://{front_address}")
        } else {
            self.ecr_proxy_endpoint.clone()
        };
        Ok(Some(Ecr {
            settings: RegistrySettings {
                upstream,
                push_log,
                registry: plan::Registry { host, region: region.to_string(), account: account.to_string() },
                lifecycle_period: Duration::from_secs(self.ecr_lifecycle_period_seconds.max(1)),
                refresh_period: Duration::from_secs(self.ecr_refresh_period_seconds.max(1)),
            },
            token_key,
            directory,
            authorizer,
            proxy_endpoint,
            front_address,
        }))
    }
}

impl Ecr {
    /// What the ECS API endpoint needs to serve ECR's API over the same registry.
    pub fn endpoint_parts(&self) -> kube_ecs_endpoint::registry::RegistryParts {
        kube_ecs_endpoint::registry::RegistryParts {
            upstream: self.settings.upstream.clone(),
            push_log: self.settings.push_log.clone(),
            token_key: self.token_key.clone(),
            directory: self.directory.clone(),
            authorizer: self.authorizer.clone(),
            proxy_endpoint: self.proxy_endpoint.clone(),
            registry_host: self.settings.registry.host.clone(),
        }
    }
}
