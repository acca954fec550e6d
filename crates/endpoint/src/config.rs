//! The endpoint's configuration, parsed once by the binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where and how the ECS API is served.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// Address to listen on. Plain HTTP is only allowed on a loopback address.
    pub listen: SocketAddr,
    /// The region in ARNs; a request signed for another region is refused.
    pub region: String,
    /// The account ID in ARNs.
    pub account: String,
    /// Namespace of the access-key Secrets (the operator's namespace: only its admins may create keys).
    pub keys_namespace: String,
    /// Certificate and key (PEM) to serve HTTPS with.
    pub tls: Option<TlsFiles>,
    /// Bodies larger than this are refused before they are read.
    pub max_body_bytes: usize,
    /// Check every response against botocore's model and answer ServerException when one does not
    /// match (tests turn this on, so a response that a strict client would misread fails them).
    pub check_responses: bool,
    /// How long RegisterTaskDefinition waits for the TaskDefinition controller to number the revision.
    pub registration_timeout: Duration,
    /// How long clusters and services deleted through the API stay visible as INACTIVE.
    pub inactive_retention: Duration,
}

/// A PEM certificate chain and its private key.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

impl EndpointConfig {
    /// Defaults for `listen`: ECS's region and body limits (SigV4's clock skew is AWS's 15 minutes).
    pub fn new(listen: SocketAddr, keys_namespace: impl Into<String>) -> Self {
        Self {
            listen,
            region: "us-east-1".into(),
            account: "000000000000".into(),
            keys_namespace: keys_namespace.into(),
            tls: None,
            max_body_bytes: 1024 * 1024,
            check_responses: false,
            registration_timeout: Duration::from_secs(30),
            inactive_retention: Duration::from_secs(3600),
        }
    }

    /// Refuses settings that would expose the endpoint: plain HTTP beyond loopback, a malformed
    /// account or region.
    pub fn validate(&self) -> Result<(), String> {
        if self.tls.is_none() && !self.listen.ip().is_loopback() {
            return Err(format!(
                "the ECS API on {} would serve plain HTTP beyond loopback: give it a certificate \
                 (--ecs-api-tls-cert and --ecs-api-tls-key) or listen on 127.0.0.1",
                self.listen
            ));
        }
        if self.account.len() != 12 || !self.account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the ECS API account {:?} must be 12 digits, as an AWS account ID", self.account));
        }
        if self.region.is_empty()
            || !self.region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!("the ECS API region {:?} must look like an AWS region (us-east-1)", self.region));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        let loopback = EndpointConfig::new("127.0.0.1:8443".parse().unwrap(), "kube-ecs-system");
        assert_eq!(loopback.validate(), Ok(()));
        let open = EndpointConfig::new("0.0.0.0:8443".parse().unwrap(), "kube-ecs-system");
        assert!(open.validate().unwrap_err().contains("plain HTTP beyond loopback"));
        let tls =
            EndpointConfig { tls: Some(TlsFiles { certificate: "c.pem".into(), private_key: "k.pem".into() }), ..open };
        assert_eq!(tls.validate(), Ok(()));
        let bad_account = EndpointConfig { account: "12".into(), ..loopback };
        assert!(bad_account.validate().unwrap_err().contains("12 digits"));
    }
}
