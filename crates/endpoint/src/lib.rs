//! The ECS API endpoint: ECS's AWS JSON 1.1 protocol over the kube-ecs custom resources, and ECR's on
//! the same endpoint when the operator runs its image registry ([`RegistryParts`]). Requests are
//! authenticated with SigV4 against access keys kept in Kubernetes Secrets; each key names a
//! Kubernetes identity that the endpoint impersonates, so the apiserver's RBAC decides every read and
//! write. There is no second store: every action reads and writes the CRDs.
//!
//! Layout: `server` (HTTP, TLS, body limit) -> `auth` (SigV4 against `keys`, `identity` for the
//! impersonating client) -> `protocol` (service and action from the target, JSON, the model's input
//! check) -> `actions` (one file per resource, reading and writing through [`call::Call`]; ECR's in
//! `actions::ecr`) -> `render` (custom resources as ECS's and ECR's wire shapes).

pub mod actions;
pub mod arn;
pub mod auth;
pub mod call;
pub mod client;
pub mod config;
pub mod error;
pub mod idempotency;
pub mod identity;
pub mod ids;
pub mod keys;
pub mod lookup;
pub mod pagination;
pub mod protocol;
pub mod registry;
pub mod render;
pub mod rest;
pub mod server;

use std::sync::Arc;

pub use config::{EndpointConfig, TlsFiles};
pub use error::{EcsError, ErrorCode};
pub use registry::RegistryParts;

/// The field manager of every write the ECS API makes (kubectl, Helm and GitOps tools keep theirs).
pub const FIELD_MANAGER: &str = "kube-ecs-ecs-api";

/// The endpoint's shared state.
pub struct Endpoint {
    pub config: EndpointConfig,
    pub arns: arn::Arns,
    pub keys: keys::KeyStore,
    pub identities: identity::Identities,
    /// The image registry ECR's actions work on; None: ECR's targets are refused.
    pub registry: Option<RegistryParts>,
}

/// Serves the ECS API (and ECR's, given `registry`) until the process ends. `kube_config` is the
/// endpoint's own configuration, from which impersonating clients are built; `client` watches the
/// access keys.
pub async fn run(
    config: EndpointConfig,
    kube_config: kube::Config,
    client: kube::Client,
    registry: Option<RegistryParts>,
) -> Result<(), String> {
    config.validate()?;
    let (keys, feed) = keys::KeyStore::watch(client, &config.keys_namespace);
    tokio::spawn(feed);
    let endpoint = Arc::new(Endpoint {
        arns: arn::Arns::new(&config.region, &config.account),
        identities: identity::Identities::new(kube_config),
        keys,
        config,
        registry,
    });
    server::serve(endpoint).await
}
