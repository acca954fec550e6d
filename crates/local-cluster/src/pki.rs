//! Credentials of a local control plane: the service-account signing key pair, the admin token, and a
//! CA with the client certificate kube-apiserver presents to real nodes' kubelets (`kubectl logs`,
//! `exec`), which the kubelets trust instead of allowing anonymous requests; for the aggregated APIs
//! of the add-ons (metrics-server), a front-proxy CA of its own with the client certificate the
//! apiserver proxies with, a serving certificate for `metrics-server.kube-system.svc`, and the
//! metrics-server's own token.

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
    /// CA certificate (ECDSA P-256) that signed `kubelet_client_cert`; kubelets verify clients with it.
    pub ca_cert: PathBuf,
    /// Client certificate kube-apiserver uses towards kubelets (`system:masters`).
    pub kubelet_client_cert: PathBuf,
    /// Its key.
    pub kubelet_client_key: PathBuf,
    /// kube-apiserver's serving certificate, signed by `ca_cert`. Its names cover every address a
    /// client uses: loopback, the `kubernetes` Service (IP and DNS names), and every real node's IP
    /// (`10.233.<n>.1`), where the [`super::forwarder`] lets pods on the nodes' bridges reach it.
    pub serving_cert: PathBuf,
    /// Its key.
    pub serving_key: PathBuf,
    /// CA of the front proxy (`--requestheader-client-ca-file`): an aggregated API server believes the
    /// user named in `X-Remote-User` only from a client certificate it signed. A CA apart from
    /// `ca_cert`, as Kubernetes advises: a kubelet client certificate must not be able to assert users.
    pub front_proxy_ca: PathBuf,
    /// The client certificate kube-apiserver proxies aggregated API requests with (`front-proxy-client`).
    pub front_proxy_client_cert: PathBuf,
    /// Its key.
    pub front_proxy_client_key: PathBuf,
    /// metrics-server's serving certificate, signed by `ca_cert`, for `metrics-server.kube-system.svc`:
    /// the name kube-apiserver verifies when it dials an APIService's endpoint directly.
    pub metrics_server_cert: PathBuf,
    /// Its key.
    pub metrics_server_key: PathBuf,
    /// metrics-server's bearer token (user `system:kube-ecs:metrics-server`, RBAC in `addons`).
    pub metrics_server_token: String,
    /// kube-proxy's bearer token: user `system:kube-proxy`, which the apiserver's bootstrap RBAC binds
    /// to `system:node-proxier`.
    pub kube_proxy_token: String,
    /// CoreDNS's bearer token (user `system:kube-ecs:coredns`, RBAC in `addons/coredns.rs`).
    pub coredns_token: String,
}

/// The user metrics-server authenticates as (towards the apiserver and the kubelets).
pub const METRICS_SERVER_USER: &str = "system:kube-ecs:metrics-server";
/// The user CoreDNS authenticates as.
pub const COREDNS_USER: &str = "system:kube-ecs:coredns";

/// Writes fresh credentials into `dir`; `kubernetes_service_ip` is the first address of the cluster's
/// Service CIDR (the `kubernetes` Service), one of the names of the apiserver's certificate.
pub fn generate(dir: &Path, kubernetes_service_ip: &str) -> Result<Credentials, Error> {
    let service_account_key = dir.join("sa.key");
    let service_account_pub = dir.join("sa.pub");
    openssl(&["genrsa", "-out", path_str(&service_account_key)?, "2048"])?;
    openssl(&["rsa", "-in", path_str(&service_account_key)?, "-pubout", "-out", path_str(&service_account_pub)?])?;
    let admin_token = random_token()?;
    let metrics_server_token = random_token()?;
    let kube_proxy_token = random_token()?;
    let coredns_token = random_token()?;
    let token_file = dir.join("tokens.csv");
    std::fs::write(
        &token_file,
        format!(
            "{admin_token},kube-ecs-admin,kube-ecs-admin,system:masters\n\
             {metrics_server_token},{METRICS_SERVER_USER},{METRICS_SERVER_USER}\n\
             {kube_proxy_token},system:kube-proxy,system:kube-proxy\n\
             {coredns_token},{COREDNS_USER},{COREDNS_USER}\n"
        ),
    )
    .map_err(|e| Error::io("writing the token file", e))?;
    let ca_key = dir.join("ca.key");
    let ca_cert = dir.join("ca.crt");
    self_signed_ca(&ca_cert, &ca_key, "/CN=kube-ecs-local-ca")?;
    let ca = (ca_cert.as_path(), ca_key.as_path());
    let (kubelet_client_cert, kubelet_client_key) = signed_by(
        ca,
        &dir.join("kubelet-client"),
        "/O=system:masters/CN=kube-apiserver-kubelet-client",
        "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
        "2",
    )?;
    let (serving_cert, serving_key) = signed_by(
        ca,
        &dir.join("apiserver-serving"),
        "/CN=kube-apiserver",
        &serving_extensions(kubernetes_service_ip),
        "3",
    )?;
    let (metrics_server_cert, metrics_server_key) = signed_by(
        ca,
        &dir.join("metrics-server-serving"),
        "/CN=metrics-server",
        "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n\
         subjectAltName=DNS:metrics-server.kube-system.svc\n",
        "4",
    )?;
    let front_proxy_ca = dir.join("front-proxy-ca.crt");
    let front_proxy_ca_key = dir.join("front-proxy-ca.key");
    self_signed_ca(&front_proxy_ca, &front_proxy_ca_key, "/CN=kube-ecs-front-proxy-ca")?;
    let (front_proxy_client_cert, front_proxy_client_key) = signed_by(
        (front_proxy_ca.as_path(), front_proxy_ca_key.as_path()),
        &dir.join("front-proxy-client"),
        &format!("/CN={FRONT_PROXY_CLIENT}"),
        "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
        "2",
    )?;
    Ok(Credentials {
        front_proxy_ca,
        front_proxy_client_cert,
        front_proxy_client_key,
        metrics_server_cert,
        metrics_server_key,
        metrics_server_token,
        kube_proxy_token,
        coredns_token,
        serving_cert,
        serving_key,
        service_account_key,
        service_account_pub,
        token_file,
        admin_token,
        ca_cert,
        kubelet_client_cert,
        kubelet_client_key,
    })
}

/// The common name of the front proxy's client certificate (`--requestheader-allowed-names`).
pub const FRONT_PROXY_CLIENT: &str = "front-proxy-client";

/// A CA certificate and key (P-256: generated in milliseconds, where RSA takes a good part of a second
/// on 2 cores).
fn self_signed_ca(cert: &Path, key: &Path, subject: &str) -> Result<(), Error> {
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path_str(key)?,
        "-out",
        path_str(cert)?,
        "-days",
        "3650",
        "-subj",
        subject,
    ])
}

/// A P-256 key and a certificate for `subject` with `extensions`, signed by the CA `(cert, key)`;
/// written as `<base>.key` and `<base>.crt` (with the CSR and extensions file beside them). Returns
/// (certificate, key).
fn signed_by(
    (ca_cert, ca_key): (&Path, &Path),
    base: &Path,
    subject: &str,
    extensions: &str,
    serial: &str,
) -> Result<(PathBuf, PathBuf), Error> {
    let file = |ext: &str| base.with_extension(ext);
    let (key, csr, cert, ext) = (file("key"), file("csr"), file("crt"), file("ext"));
    std::fs::write(&ext, extensions).map_err(|e| Error::io(format!("writing {}", ext.display()), e))?;
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path_str(&key)?,
        "-out",
        path_str(&csr)?,
        "-subj",
        subject,
    ])?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        path_str(&csr)?,
        "-CA",
        path_str(ca_cert)?,
        "-CAkey",
        path_str(ca_key)?,
        "-set_serial",
        serial,
        "-days",
        "3650",
        "-extfile",
        path_str(&ext)?,
        "-out",
        path_str(&cert)?,
    ])?;
    Ok((cert, key))
}

/// Extensions of kube-apiserver's serving certificate: the names it answers to.
fn serving_extensions(kubernetes_service_ip: &str) -> String {
    let mut names: Vec<String> = [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "localhost",
    ]
    .iter()
    .map(|n| format!("DNS:{n}"))
    .collect();
    // Loopback, the `kubernetes` Service's ClusterIP (first of --service-cluster-ip-range), and the IP
    // every real node may get (its bridge's gateway: `10.233.<octet>.1`, octet leased host-wide).
    names.push("IP:127.0.0.1".into());
    names.push(format!("IP:{kubernetes_service_ip}"));
    for octet in 1..=254u8 {
        names.push(format!("IP:{}.{octet}.1", super::real_node::SUBNET_PREFIX));
    }
    format!(
        "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nsubjectAltName={}\n",
        names.join(",")
    )
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

pub(crate) fn random_token() -> Result<String, Error> {
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
