//! Local registries that real nodes pull from under real registry names (CNCF distribution).
//!
//! Two registries, as in the real world: a public one that serves anonymous pulls for Docker Hub,
//! `public.ecr.aws` and the other public hosts, and a private one standing in for ECR that requires
//! basic authentication (htpasswd, bcrypt). Repositories are namespaced by the registry host they stand
//! for: `docker.io/library/busybox:1.36` lives at `<registry>/docker.io/library/busybox:1.36`, which is
//! where containerd's `hosts.toml` (`override_path`) sends real nodes' pulls.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::real_node::Mirror;
use super::{Error, ManagedProcess};

/// Hosts the public registry stands in for.
pub const PUBLIC_HOSTS: [&str; 5] = ["docker.io", "public.ecr.aws", "registry.k8s.io", "quay.io", "ghcr.io"];
/// Default ECR host the private registry stands in for (more with `LocalClusterOptions::ecr_hosts`).
pub const DEFAULT_ECR_HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
/// User name of the private registry, as ECR's (`aws ecr get-login-password` logs in as `AWS`).
pub const ECR_USERNAME: &str = "AWS";
/// A private registry that is not ECR, on the same local registry: nodes have no credentials for it,
/// so pulls need the task's `repositoryCredentials` (ECS's private registry authentication).
pub const PRIVATE_HOST: &str = "registry.private.example.com";

/// A running local registry.
#[derive(Debug)]
pub struct LocalRegistry {
    name: String,
    address: String,
    hosts: Vec<String>,
    /// Hosts nodes pull with this registry's credentials (ECR through the instance role).
    node_hosts: Vec<String>,
    /// Where the images are stored (shared with a read-only reader).
    data_dir: PathBuf,
    password: Option<String>,
    crane: PathBuf,
    docker_config: PathBuf,
    process: ManagedProcess,
}

impl LocalRegistry {
    /// Starts a registry on a free loopback port with its data in `dir`; `authenticated` requires the
    /// user [`ECR_USERNAME`] with a fresh random password. `hosts` are the registry names it stands for.
    pub fn start(
        tools_bin: &Path,
        dir: &Path,
        name: &str,
        hosts: Vec<String>,
        authenticated: bool,
    ) -> Result<Self, Error> {
        Self::start_on(tools_bin, dir, name, hosts, authenticated, None)
    }

    /// A second, read-only registry over this one's storage, with credentials of its own, that real
    /// nodes pull `hosts` from with those credentials: the node stands in for an ECS container
    /// instance pulling from ECR with its instance role, and like that role's
    /// `AmazonEC2ContainerRegistryReadOnly` its credentials cannot push, re-tag or delete (they bypass
    /// neither the front's RBAC nor IMMUTABLE tags).
    pub fn start_reader(&self, tools_bin: &Path, dir: &Path, name: &str, hosts: Vec<String>) -> Result<Self, Error> {
        let mut reader = Self::start_on(tools_bin, dir, name, hosts.clone(), true, Some(&self.data_dir))?;
        reader.node_hosts = hosts;
        Ok(reader)
    }

    fn start_on(
        tools_bin: &Path,
        dir: &Path,
        name: &str,
        hosts: Vec<String>,
        authenticated: bool,
        read_only_over: Option<&Path>,
    ) -> Result<Self, Error> {
        for tool in ["registry", "crane"] {
            if !tools_bin.join(tool).is_file() {
                return Err(Error::Startup(format!("{tool} not found in {} (run `make tools`)", tools_bin.display())));
            }
        }
        let data_dir = read_only_over.map_or_else(|| dir.join("data"), Path::to_path_buf);
        for d in [dir, data_dir.as_path()] {
            std::fs::create_dir_all(d).map_err(|e| Error::io(format!("creating {}", d.display()), e))?;
        }
        // The purger runs even in read-only mode; the writer purges the shared uploads.
        let maintenance = if read_only_over.is_some() {
            "  maintenance:\n    uploadpurging:\n      enabled: false\n    readonly:\n      enabled: true\n"
        } else {
            ""
        };
        let port = super::ports::pick_free_ports(1)?
            .first()
            .copied()
            .ok_or_else(|| Error::Startup("no free port for a registry".into()))?;
        let address = format!("127.0.0.1:{port}");
        let password = if authenticated { Some(super::pki::random_token()?) } else { None };
        let mut auth = String::new();
        if let Some(password) = &password {
            let htpasswd = dir.join("htpasswd");
            let output = Command::new("htpasswd")
                .args(["-nbB", ECR_USERNAME, password])
                .output()
                .map_err(|e| Error::io("running htpasswd (install apache2-utils: hack/install-deps.sh)", e))?;
            if !output.status.success() {
                return Err(Error::Startup(format!("htpasswd failed: {}", String::from_utf8_lossy(&output.stderr))));
            }
            write(&htpasswd, &String::from_utf8_lossy(&output.stdout))?;
            auth = format!("auth:\n  htpasswd:\n    realm: kube-ecs-local-{name}\n    path: {}\n", htpasswd.display());
        }
        let config = dir.join("config.yml");
        write(
            &config,
            &format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    \
                 rootdirectory: {}\n  delete:\n    enabled: true\n{maintenance}http:\n  addr: {address}\n  secret: {}\n{auth}",
                data_dir.display(),
                super::pki::random_token()?,
            ),
        )?;
        // Without this the registry tries to export traces to localhost:4318 every few seconds.
        let process = ManagedProcess::spawn_with_env(
            &format!("registry-{name}"),
            &tools_bin.join("registry"),
            &["serve".into(), config.display().to_string()],
            &[("OTEL_TRACES_EXPORTER", "none".into())],
            &dir.join("registry.log"),
        )?;
        let docker_config = dir.join("docker");
        std::fs::create_dir_all(&docker_config)
            .map_err(|e| Error::io(format!("creating {}", docker_config.display()), e))?;
        let mut registry = Self {
            name: name.to_string(),
            address,
            hosts,
            node_hosts: Vec::new(),
            data_dir,
            password,
            crane: tools_bin.join("crane"),
            docker_config,
            process,
        };
        registry.wait_until_serving(Duration::from_secs(30))?;
        if let Some(password) = registry.password.clone() {
            registry.crane(&["auth", "login", &registry.address.clone(), "-u", ECR_USERNAME, "-p", &password])?;
        }
        Ok(registry)
    }

    fn wait_until_serving(&mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.process.exited() {
                return Err(Error::Startup(format!("registry {} exited ({status})", self.name)));
            }
            // Any HTTP answer to /v2/ (200, or 401 with authentication) means it serves.
            if http_status(&self.address, "/v2/").is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Startup(format!(
                    "registry {} not serving on {} after {timeout:?}",
                    self.name, self.address
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn crane(&self, args: &[&str]) -> Result<(), Error> {
        let output = Command::new(&self.crane)
            .args(args)
            .env("DOCKER_CONFIG", &self.docker_config)
            .output()
            .map_err(|e| Error::io("running crane", e))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(Error::Startup(format!(
                "crane {} failed: {}",
                args.first().copied().unwrap_or_default(),
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }

    /// Pushes the OCI image layout `layout` (e.g. `<images>/busybox`) as `image`, a full reference under
    /// one of this registry's hosts (`123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1`).
    pub fn push(&self, layout: &Path, image: &str) -> Result<(), Error> {
        let layout =
            layout.to_str().ok_or_else(|| Error::Startup(format!("path is not UTF-8: {}", layout.display())))?;
        self.crane(&["push", layout, &format!("{}/{image}", self.address)])
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The registry names it stands for.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// User name and password, if it requires authentication.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.password.as_deref().map(|p| (ECR_USERNAME, p))
    }

    /// A `kubernetes.io/dockerconfigjson` payload with this registry's credentials for `host`.
    pub fn docker_config_json(&self, host: &str) -> Option<String> {
        let (user, password) = self.credentials()?;
        let auth = base64_encode(format!("{user}:{password}").as_bytes());
        Some(
            serde_json::json!({ "auths": { host: { "username": user, "password": password, "auth": auth } } })
                .to_string(),
        )
    }

    /// How real nodes' containerd resolves this registry's hosts to it.
    pub fn mirrors(&self) -> Vec<Mirror> {
        let node_authorization = self
            .credentials()
            .map(|(user, password)| format!("Basic {}", base64_encode(format!("{user}:{password}").as_bytes())));
        self.hosts
            .iter()
            .map(|host| Mirror {
                host: host.clone(),
                endpoint: format!("http://{}", self.address),
                authorization: node_authorization.clone().filter(|_| self.node_hosts.contains(host)),
            })
            .collect()
    }
}

fn http_status(address: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head).ok()?.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn write(path: &Path, content: &str) -> Result<(), Error> {
    std::fs::write(path, content).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64_encode(b"AWS:s3cret-pw"), "QVdTOnMzY3JldC1wdw==");
        assert_eq!(base64_encode(b"abc"), "YWJj");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_encode(b""), "");
    }
}
