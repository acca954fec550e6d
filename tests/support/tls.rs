//! Certificates for the servers under test that serve TLS themselves.

use std::path::{Path, PathBuf};

/// A self-signed certificate for 127.0.0.1 (`tls.crt`, `tls.key` in `dir`), as a chart's
/// kubernetes.io/tls Secret would hold: the certificate is also the CA a client is told to trust.
pub fn self_signed_for_loopback(dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).expect("dir");
    let (certificate, private_key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&private_key)
        .arg("-out")
        .arg(&certificate)
        .output()
        .expect("running openssl (hack/install-deps.sh installs it)");
    assert!(made.status.success(), "openssl: {}", String::from_utf8_lossy(&made.stderr));
    (certificate, private_key)
}
