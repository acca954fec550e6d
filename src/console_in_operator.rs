//! The web console the operator serves (`kube-ecs run --console-bind-address`, chart
//! `console.enabled`): users sign in with a Kubernetes bearer token or an ECS API access key and act
//! with that identity's rights only (crates/console; docs/console.md). HTTPS with
//! `--console-tls-cert`/`--console-tls-key`; beyond loopback without them only when
//! `--console-allow-plain-http` says TLS is terminated in front (tokens and session cookies would
//! otherwise cross the network in clear).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use kube_ecs_console::sign_in::AccessKeys;

/// The operator's console options.
#[derive(clap::Args, Debug, Clone)]
pub struct OperatorConsoleArgs {
    /// Serve the web console on this address (empty: off); users sign in with a Kubernetes bearer
    /// token and act with its rights only (docs/console.md).
    #[arg(long, env = "KUBE_ECS_CONSOLE_BIND_ADDRESS", default_value = "")]
    pub console_bind_address: String,
    /// `host:port` names browsers reach the console by (beside the loopback names of its port);
    /// requests naming any other Host are refused (DNS rebinding).
    #[arg(long = "console-host", env = "KUBE_ECS_CONSOLE_HOSTS", value_delimiter = ',')]
    pub console_hosts: Vec<String>,
    /// PEM certificate chain the console serves HTTPS with (a kubernetes.io/tls Secret's tls.crt).
    #[arg(long, env = "KUBE_ECS_CONSOLE_TLS_CERT", requires = "console_tls_key")]
    pub console_tls_cert: Option<PathBuf>,
    /// PEM private key of --console-tls-cert.
    #[arg(long, env = "KUBE_ECS_CONSOLE_TLS_KEY", requires = "console_tls_cert")]
    pub console_tls_key: Option<PathBuf>,
    /// Serve the console beyond loopback without TLS: only behind a TLS-terminating Ingress or proxy.
    #[arg(long, env = "KUBE_ECS_CONSOLE_ALLOW_PLAIN_HTTP")]
    pub console_allow_plain_http: bool,
}

impl OperatorConsoleArgs {
    /// Binds and serves the console when an address is given (a task; the process exits if the
    /// console stops). `kube_config` gives the cluster's URL and CA only: sessions carry the
    /// signed-in user's credentials. `registry`: where the ECR pages' push commands push.
    pub async fn start(
        &self,
        kube_config: &kube::Config,
        keys: Option<Arc<dyn AccessKeys>>,
        registry: Option<String>,
    ) -> anyhow::Result<()> {
        if self.console_bind_address.is_empty() {
            return Ok(());
        }
        let listen: std::net::SocketAddr =
            self.console_bind_address.parse().context("--console-bind-address must be host:port")?;
        let tls = match (&self.console_tls_cert, &self.console_tls_key) {
            (Some(certificate), Some(private_key)) => Some(
                kube_ecs_registry::front::server_config(certificate, private_key)
                    .context("the console's --console-tls-cert and --console-tls-key")?,
            ),
            _ => None,
        };
        if !listen.ip().is_loopback() && tls.is_none() && !self.console_allow_plain_http {
            anyhow::bail!(
                "--console-bind-address {listen} is not a loopback address: give the console a certificate \
                 (--console-tls-cert and --console-tls-key), or put TLS in front of it and pass \
                 --console-allow-plain-http (or bind 127.0.0.1 and use kubectl port-forward)"
            );
        }
        let mut console =
            kube_ecs_console::Console::with_token_sign_in(listen, kube_config.clone(), keys, &self.console_hosts)
                .await
                .context("binding the console")?
                .with_ecr(kube_ecs_console::views::ecr::EcrEndpoints { registry, api: None });
        if let Some(config) = tls.clone() {
            console = console.with_tls(config);
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %console.address(), scheme, "web console listening");
        tokio::spawn(async move {
            if let Err(e) = console.serve().await {
                tracing::error!(error = %e, "the web console stopped");
                std::process::exit(1);
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(bind: &str, tls: bool, plain: bool) -> OperatorConsoleArgs {
        OperatorConsoleArgs {
            console_bind_address: bind.to_string(),
            console_hosts: vec![],
            console_tls_cert: tls.then(|| PathBuf::from("/nonexistent/tls.crt")),
            console_tls_key: tls.then(|| PathBuf::from("/nonexistent/tls.key")),
            console_allow_plain_http: plain,
        }
    }

    /// What the operator refuses before it binds anything: the network without TLS or its
    /// acknowledgement, and a certificate it cannot read.
    #[tokio::test]
    async fn the_console_leaves_loopback_only_with_tls_or_tls_in_front_acknowledged() {
        let config = kube::Config::new("https://127.0.0.1:6443".parse().expect("url"));
        for (bind, tls, plain, refusal) in [
            ("0.0.0.0:0", false, false, "give the console a certificate (--console-tls-cert and --console-tls-key)"),
            ("0.0.0.0:0", true, false, "the console's --console-tls-cert and --console-tls-key"),
            ("127.0.0.1:0", true, true, "the console's --console-tls-cert and --console-tls-key"),
            ("not-an-address", false, false, "--console-bind-address must be host:port"),
        ] {
            let error = args(bind, tls, plain).start(&config, None, None).await.expect_err(bind);
            assert!(format!("{error:#}").contains(refusal), "{bind} tls={tls} plain={plain}: {error:#}");
        }
        args("", false, false).start(&config, None, None).await.expect("no address: no console");
    }
}
