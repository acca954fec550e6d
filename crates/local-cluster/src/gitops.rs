//! GitOps controllers the local cluster starts on demand, as plain processes of the cluster (stopped
//! with it, like the add-ons): Argo CD's application-controller and repo-server with a Redis
//! ([`argocd`]), Flux's source-controller and kustomize-controller ([`flux`]).
//!
//! Neither is part of `make tools`: they are an optional group built by `hack/build-tools.sh argocd` /
//! `hack/build-tools.sh flux` into a cache of their own (the binaries, and the upstream CRDs and
//! scripts copied from the same Go modules: nothing of theirs is in this repository). Each process
//! listens on 127.0.0.1 at ports picked at start, so several clusters run them at once (one
//! exception, said in [`argocd`]). Their objects (namespaces, CRDs, settings) are applied with the
//! cluster's kubectl, server-side, so upstream's YAML is applied as it is without a YAML parser here.

pub mod argocd;
pub mod flux;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{Error, LocalCluster, ManagedProcess};

pub use argocd::{ArgoCd, ArgoCdOptions};
pub use flux::{Flux, FluxOptions};

/// The field manager the local cluster applies the controllers' objects with.
const FIELD_MANAGER: &str = "kube-ecs-local-cluster";

/// `kubectl apply --server-side` of `path` (a file or a directory of YAML/JSON) against `cluster`.
/// Server-side: Argo CD's Application CRD is larger than the annotation client-side apply would write.
fn kubectl_apply(cluster: &LocalCluster, path: &Path) -> Result<(), Error> {
    kubectl(
        cluster,
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            &format!("--field-manager={FIELD_MANAGER}"),
            "-f",
            &path.display().to_string(),
        ],
    )
}

/// Writes `objects` as a `v1/List` into `path` (kept beside the logs, for a look after a failure) and
/// applies it.
fn apply_objects(cluster: &LocalCluster, path: &Path, objects: Vec<serde_json::Value>) -> Result<(), Error> {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
    std::fs::write(path, list.to_string()).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    kubectl_apply(cluster, path)
}

/// Waits until every named CRD is Established (its kinds are served).
///
/// `kubectl wait --for=condition` fails at once, rather than waiting, when it reads a CRD the
/// apiserver has not yet given `status.conditions` (".status.conditions accessor error: <nil> is of
/// the type <nil>", kubernetes/kubernetes#66439; seen right after the apply on a loaded machine):
/// that answer is asked again until the timeout.
fn wait_established(cluster: &LocalCluster, crds: &[&str], timeout: Duration) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs().max(1);
        let mut args = vec!["wait".to_string(), "--for=condition=Established".into(), format!("--timeout={left}s")];
        args.extend(crds.iter().map(|c| format!("crd/{c}")));
        match kubectl(cluster, &args.iter().map(String::as_str).collect::<Vec<_>>()) {
            Err(Error::Startup(message)) if message.contains(".status.conditions accessor error") => {
                if Instant::now() >= deadline {
                    return Err(Error::Startup(message));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

fn kubectl(cluster: &LocalCluster, args: &[&str]) -> Result<(), Error> {
    let output = Command::new(cluster.tools_bin().join("kubectl"))
        .env("KUBECONFIG", cluster.kubeconfig())
        .args(args)
        .output()
        .map_err(|e| Error::io("running kubectl", e))?;
    if !output.status.success() {
        return Err(Error::Startup(format!(
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Starts `program` as a process of `cluster` (log: `<cluster dir>/<name>.log`, which is where the
/// cluster's liveness check reads a dead process's last lines); it stops with the cluster.
fn spawn(
    cluster: &LocalCluster,
    name: &str,
    program: &Path,
    args: &[String],
    env: &[(&str, String)],
) -> Result<(), Error> {
    if !program.is_file() {
        return Err(Error::Startup(format!("{} not found", program.display())));
    }
    let log = cluster.dir().join(format!("{name}.log"));
    let process = ManagedProcess::spawn_with_env(name, program, args, env, &log)?;
    cluster.addons.lock().unwrap_or_else(|p| p.into_inner()).push(process);
    Ok(())
}

/// Waits until something accepts connections on 127.0.0.1:`port`, failing early if a process of the
/// cluster died.
fn wait_listening(cluster: &LocalCluster, what: &str, port: u16, timeout: Duration) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        cluster.check_alive()?;
        if super::ports::accepts_connections(address, Duration::from_millis(200)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::Startup(format!("{what} not listening on {address} after {timeout:?}")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `count` free loopback ports.
fn free_ports<const N: usize>() -> Result<[u16; N], Error> {
    super::ports::pick_free_ports(N)?.try_into().map_err(|_| Error::Startup(format!("could not pick {N} free ports")))
}

/// A directory `name` in the cluster's data directory (removed with it).
fn data_dir(cluster: &LocalCluster, name: &str) -> Result<std::path::PathBuf, Error> {
    let dir = cluster.dir().join(name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}
