//! The front's TLS configuration from PEM files (a certificate chain and its private key).

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::FrontError;

/// A TLS server configuration (ring, TLS 1.2 and 1.3) for `certificate` and `private_key`.
pub fn server_config(certificate: &Path, private_key: &Path) -> Result<Arc<ServerConfig>, FrontError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .and_then(|certs| certs.collect())
        .map_err(|e| FrontError::Config(format!("reading the certificate {}: {e}", certificate.display())))?;
    let key = PrivateKeyDer::from_pem_file(private_key)
        .map_err(|e| FrontError::Config(format!("reading the private key {}: {e}", private_key.display())))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| FrontError::Config(format!("the certificate and key do not make a TLS configuration: {e}")))?;
    Ok(Arc::new(config))
}
