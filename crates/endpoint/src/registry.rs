//! What ECR's actions need of kube-ecs's image registry, handed to the endpoint by the binary that
//! runs the registry: the endpoint only reads and deletes images through it and issues its tokens.
//! Repositories themselves are Repository objects, read and written like the ECS resources.

use std::sync::Arc;

use kube_ecs_registry::authorize::Authorizer;
use kube_ecs_registry::directory::Directory;
use kube_ecs_registry::images::PushLog;
use kube_ecs_registry::upstream::Upstream;

/// The registry side of the ECR API.
pub struct RegistryParts {
    /// The registry under, where images are listed, read and deleted.
    pub upstream: Upstream,
    /// The pushes the registry's front saw (push times, untagged images): what `images::current` joins.
    pub push_log: Arc<PushLog>,
    /// The key tokens are signed with (the front verifies them with the same key).
    pub token_key: Vec<u8>,
    /// Which Repository holds each `repositoryName`, across all namespaces.
    pub directory: Arc<dyn Directory>,
    /// Kubernetes RBAC for registry operations that are not Kubernetes writes (BatchDeleteImage).
    pub authorizer: Arc<dyn Authorizer>,
    /// The URL users push to, answered as GetAuthorizationToken's `proxyEndpoint`
    /// (`https://123456789012.dkr.ecr.us-east-1.amazonaws.com`).
    pub proxy_endpoint: String,
    /// The registry host in every `repositoryUri` (`123456789012.dkr.ecr.us-east-1.amazonaws.com`).
    pub registry_host: String,
}

impl std::fmt::Debug for RegistryParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token key.
        f.debug_struct("RegistryParts")
            .field("upstream", &self.upstream)
            .field("proxy_endpoint", &self.proxy_endpoint)
            .field("registry_host", &self.registry_host)
            .finish_non_exhaustive()
    }
}
