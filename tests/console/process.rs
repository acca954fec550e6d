//! `kube-ecs console` as a user runs it: the built binary with a kubeconfig, its printed URL read
//! from stdout, stopped when the test ends.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct ConsoleProcess {
    child: Child,
    /// The printed one-time sign-in URL.
    pub login_url: String,
    /// `127.0.0.1:<port>`.
    pub host: String,
}

impl ConsoleProcess {
    pub fn start(kubeconfig: &Path, namespace: &str) -> Self {
        Self::start_with(kubeconfig, namespace, &[])
    }

    /// `kube-ecs console` with more options (`--ecr-endpoint ...`).
    pub fn start_with(kubeconfig: &Path, namespace: &str, options: &[&str]) -> Self {
        // KUBE_ECS_CONSOLE_BIN: another build of kube-ecs (a release build, for measurements).
        let binary = std::env::var_os("KUBE_ECS_CONSOLE_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_kube-ecs").into());
        let mut child = Command::new(binary)
            .args(["console", "--namespace", namespace])
            .args(options)
            .env("KUBECONFIG", kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting kube-ecs console");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("kube-ecs console printed no URL within 60 s");
        let login_url = line.trim().to_string();
        assert!(login_url.starts_with("http://127.0.0.1:") && login_url.contains("/login?token="), "{login_url:?}");
        let host = login_url.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string();
        Self { child, login_url, host }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.host)
    }
}

impl Drop for ConsoleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A copy of the `admin` kubeconfig that acts as `user` (impersonation, as `kubectl --as` does),
/// written for `tag` (a test's namespace) beside it: in the cluster's directory, gone with it.
#[allow(dead_code)]
pub fn kubeconfig_as(admin: &Path, user: &str, tag: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(admin).expect("admin kubeconfig");
    let mut config: serde_yaml::Value = serde_yaml::from_str(&text).expect("kubeconfig YAML");
    for entry in config["users"].as_sequence_mut().expect("users") {
        entry["user"]["as"] = serde_yaml::Value::String(user.to_string());
    }
    let path = admin.with_file_name(format!("as-{tag}.kubeconfig"));
    std::fs::write(&path, serde_yaml::to_string(&config).expect("YAML")).expect("writing the kubeconfig");
    path
}
