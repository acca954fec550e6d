//! Who the console acts as: a signed-in identity is a Kubernetes client with that identity's
//! credentials and nothing else. Every page, stream and write takes its client from here, so no
//! call can fall back on the rights of the process serving the console.
//!
//! Three ways to get one (docs/console.md):
//! - local mode (`kube-ecs console`): the user's own kubeconfig client, whoever it names;
//! - operator mode, a Kubernetes bearer token: a client of the cluster's URL and CA carrying only
//!   that token (the operator's own credentials are dropped, not combined);
//! - operator mode, an ECS API access key: the endpoint's key -> identity mapping, a client that
//!   impersonates the key's user and groups (crates/endpoint/src/identity.rs does the same).
//!
//! Operator mode's sign-in form is not served yet; the constructors are here so the session model
//! does not change when it is.

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{Api, PostParams};

use crate::error::{ConsoleError, Result};

/// How the identity signed in (shown on the page, decides what sign-out means).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedInWith {
    Kubeconfig,
    BearerToken,
    AccessKey { access_key_id: String },
}

/// A signed-in identity.
pub struct Identity {
    pub client: kube::Client,
    /// The namespace pages open in (the kubeconfig context's).
    pub default_namespace: String,
    /// As the apiserver authenticated it (SelfSubjectReview), not as anyone claimed.
    pub username: String,
    pub groups: Vec<String>,
    pub signed_in_with: SignedInWith,
}

impl Identity {
    /// The identity behind `client`, as the apiserver sees it.
    pub async fn of(client: kube::Client, signed_in_with: SignedInWith) -> Result<Self> {
        let review = Api::<SelfSubjectReview>::all(client.clone())
            .create(&PostParams::default(), &SelfSubjectReview::default())
            .await?;
        let user = review.status.and_then(|s| s.user_info).unwrap_or_default();
        // A ServiceAccount's pages open in its own namespace (its name says which).
        let own_namespace = user
            .username
            .as_deref()
            .and_then(|u| u.strip_prefix("system:serviceaccount:"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(ns, _)| ns.to_string());
        Ok(Self {
            default_namespace: own_namespace.unwrap_or_else(|| client.default_namespace().to_string()),
            username: user.username.unwrap_or_else(|| "(anonymous)".into()),
            groups: user.groups.unwrap_or_default(),
            client,
            signed_in_with,
        })
    }
}

/// A client for the cluster of `base` that authenticates with `token` only.
pub fn bearer_token_client(base: &kube::Config, token: &str) -> Result<kube::Client> {
    kube::Client::try_from(bearer_token_config(base, token)).map_err(|e| ConsoleError::Unavailable(e.to_string()))
}

/// `base`'s cluster (URL, CA, TLS settings) with `token` as the only credential: the whole
/// `auth_info` is replaced, so no certificate, exec plugin or impersonation of `base` remains.
fn bearer_token_config(base: &kube::Config, token: &str) -> kube::Config {
    let mut config = base.clone();
    config.auth_info = kube::config::AuthInfo { token: Some(token.to_string().into()), ..Default::default() };
    config
}

/// A client that impersonates `username` and `groups` with `base`'s credentials (an access key's
/// identity; `base` needs the impersonate verb for them, as the ECS API's does).
pub fn impersonating_client(base: &kube::Config, username: &str, groups: &[String]) -> Result<kube::Client> {
    let mut config = base.clone();
    config.auth_info.impersonate = Some(username.to_string());
    config.auth_info.impersonate_groups = (!groups.is_empty()).then(|| groups.to_vec());
    kube::Client::try_from(config).map_err(|e| ConsoleError::Unavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_token_config_carries_none_of_the_operators_credentials() {
        let mut base = kube::Config::new("https://127.0.0.1:6443".parse().expect("url"));
        base.auth_info.client_certificate_data = Some("operator-cert".into());
        base.auth_info.impersonate = Some("someone".into());
        let config = bearer_token_config(&base, "user-token");
        assert!(config.auth_info.client_certificate_data.is_none());
        assert!(config.auth_info.impersonate.is_none());
        assert!(config.auth_info.token.is_some());
        assert_eq!(config.cluster_url, base.cluster_url);
    }
}
