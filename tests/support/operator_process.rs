//! The operator as a separate process (the built `kube-ecs run`), for tests that kill or restart it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running `kube-ecs run`; SIGKILLed when dropped (also when the test panics).
pub struct OperatorProcess {
    child: Child,
    pub log: PathBuf,
}

impl OperatorProcess {
    /// Starts the operator against the test cluster with `args` added to `kube-ecs run`.
    pub fn start(label: &str, args: &[&str]) -> Self {
        Self::start_with_kubeconfig(label, args, super::cluster().kubeconfig())
    }

    /// `start` with another identity (a kubeconfig impersonating a ServiceAccount, say).
    pub fn start_with_kubeconfig(label: &str, args: &[&str], kubeconfig: &std::path::Path) -> Self {
        let cluster = super::cluster();
        // Several operators run at once in a test binary: no fixed metrics port unless asked for.
        let mut args: Vec<&str> = args.to_vec();
        if !args.contains(&"--metrics-bind-address") {
            args.extend(["--metrics-bind-address", ""]);
        }
        let log = cluster.dir().join(format!("operator-{label}-{}.log", std::process::id()));
        let out = std::fs::File::create(&log).expect("operator log file");
        let err = out.try_clone().expect("operator log handle");
        let child = Command::new(env!("CARGO_BIN_EXE_kube-ecs"))
            .arg("run")
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", std::env::var("OPERATOR_LOG").unwrap_or_else(|_| "info,kube_runtime=warn".into()))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("starting kube-ecs run");
        Self { child, log }
    }

    /// SIGKILLs the process (no graceful shutdown) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- last lines of the operator log ({}):", self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}
