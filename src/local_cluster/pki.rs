//! Credentials of a local control plane: the service-account signing key pair and the admin token.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Error;

/// Files the apiserver and controller-manager read.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// RSA private key that signs service-account tokens.
    pub service_account_key: PathBuf,
    /// Its public key, which verifies them.
    pub service_account_pub: PathBuf,
    /// Static token file: one admin user in `system:masters`.
    pub token_file: PathBuf,
    /// The admin's bearer token.
    pub admin_token: String,
}

/// Writes fresh credentials into `dir`.
pub fn generate(dir: &Path) -> Result<Credentials, Error> {
    let service_account_key = dir.join("sa.key");
    let service_account_pub = dir.join("sa.pub");
    openssl(&["genrsa", "-out", path_str(&service_account_key)?, "2048"])?;
    openssl(&["rsa", "-in", path_str(&service_account_key)?, "-pubout", "-out", path_str(&service_account_pub)?])?;
    let admin_token = random_token()?;
    let token_file = dir.join("tokens.csv");
    std::fs::write(&token_file, format!("{admin_token},kube-ecs-admin,kube-ecs-admin,system:masters\n"))
        .map_err(|e| Error::io("writing the token file", e))?;
    Ok(Credentials { service_account_key, service_account_pub, token_file, admin_token })
}

fn openssl(args: &[&str]) -> Result<(), Error> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|e| Error::io("running openssl (install it: apt-get install openssl)", e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::Startup(format!("openssl {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr))))
    }
}

fn random_token() -> Result<String, Error> {
    use std::io::Read;
    let mut buf = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| Error::io("reading /dev/urandom", e))?;
    Ok(hex::encode(buf))
}

fn path_str(path: &Path) -> Result<&str, Error> {
    path.to_str().ok_or_else(|| Error::Startup(format!("path is not UTF-8: {}", path.display())))
}
