//! `kube-ecs console`: the web console on this machine, as the kubeconfig's identity
//! (crates/console; docs/console.md). It binds a loopback address and prints a URL whose one-time
//! token signs a browser in, as Jupyter does.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context as _;
use kube_ecs_console::identity::{Identity, SignedInWith};
use kube_ecs_console::{Console, ConsoleConfig};

/// Options of `kube-ecs console`.
#[derive(clap::Args, Debug, Clone)]
pub struct ConsoleArgs {
    /// Port on 127.0.0.1 (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The namespace pages open in (default: the kubeconfig context's).
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// The registry users push to (`host:port` or the `https://` proxy endpoint), for the ECR pages'
    /// push commands (default: the repository URI's host).
    #[arg(long)]
    pub ecr_endpoint: Option<String>,
    /// The ECS API's URL, for the push commands' `aws ecr get-login-password --endpoint-url`.
    #[arg(long)]
    pub ecs_api_endpoint: Option<String>,
}

impl ConsoleArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        if let Some(namespace) = &self.namespace {
            anyhow::ensure!(
                kube_ecs_console::page::is_name(namespace),
                "--namespace {namespace:?} is not a namespace name (lowercase letters, digits, '-')"
            );
        }
        let client = kube::Client::try_default().await.context("connecting to the cluster (kubeconfig)")?;
        let mut identity = Identity::of(client, SignedInWith::Kubeconfig)
            .await
            .context("asking the apiserver who the kubeconfig's identity is (SelfSubjectReview)")?;
        if let Some(namespace) = self.namespace {
            identity.default_namespace = namespace;
        }
        let username = identity.username.clone();
        let listen = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.port);
        let console = Console::bind(ConsoleConfig { listen }, identity).await.context("binding the console")?.with_ecr(
            kube_ecs_console::views::ecr::EcrEndpoints { registry: self.ecr_endpoint, api: self.ecs_api_endpoint },
        );
        // stdout carries the URL alone (scripts and tests read it); the rest goes to stderr.
        eprintln!("kube-ecs console: signed in to Kubernetes as {username}; open this URL (it works once):");
        println!("{}", console.login_url());
        tokio::select! {
            served = console.serve() => served.context("serving the console"),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    }
}

/// The ECS API's access keys (the endpoint's key store) as the console checks them at sign-in: the
/// same Secrets, the same key -> identity mapping as the API's.
pub struct EndpointKeys(pub kube_ecs_endpoint::keys::KeyStore);

impl kube_ecs_console::sign_in::AccessKeys for EndpointKeys {
    fn verify(&self, access_key_id: &str, secret_access_key: &str) -> Option<kube_ecs_console::sign_in::KeyIdentity> {
        let key = self.0.lookup(access_key_id)?;
        let matches =
            kube_ecs_console::session::constant_time_eq(key.secret_access_key.as_bytes(), secret_access_key.as_bytes());
        matches.then_some(kube_ecs_console::sign_in::KeyIdentity {
            username: key.username,
            groups: key.groups,
            namespace: key.namespace,
        })
    }
}
