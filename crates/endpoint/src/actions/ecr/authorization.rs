//! GetAuthorizationToken: a registry password for the key's Kubernetes identity, valid 12 hours.
//!
//! Asking for a token needs no RBAC: the token only carries who the caller is, and the registry's
//! front asks RBAC at every push (`update` on the Repository) and pull (`get`), so a token grants
//! exactly what the identity may do, now and for as long as it is valid.

use kube_ecs_registry::token;
use kube_ecs_wire::ecr as wire;

use super::context::EcrCall;
use crate::error::EcsError;

pub async fn get_token(
    ecr: &EcrCall<'_>,
    input: wire::GetAuthorizationTokenRequest,
) -> Result<wire::GetAuthorizationTokenResponse, EcsError> {
    // One token per registry asked for; there is one registry, so one token.
    for requested in &input.registry_ids {
        ecr.check_registry(Some(requested))?;
    }
    let (password, expires_at) = token::issue(&ecr.registry.token_key, &ecr.identity(), jiff::Timestamp::now());
    Ok(wire::GetAuthorizationTokenResponse {
        authorization_data: vec![wire::AuthorizationData {
            authorization_token: Some(token::authorization_token(&password)),
            expires_at: Some(expires_at.into()),
            proxy_endpoint: Some(ecr.registry.proxy_endpoint.clone()),
        }],
    })
}
