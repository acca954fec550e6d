//! Host-wide leases of real nodes in [`HOST_DIR`], under one `flock` shared with the cleanup scripts.
//!
//! A lease names a node's host-wide resources (lease id, subnet octet, bridge) and says who keeps it
//! alive (owner and janitor pids). Invariants: lease ids are unique on the host whatever data directory
//! each cluster uses; the kernel settings and whether `ip cni_hostport` already existed are recorded
//! only while no live lease exists, so they are the host's own values, not another cluster's.

use std::fmt::Write as _;
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::super::Error;
use super::super::process::Janitor;
use super::{HOST_DIR, SUBNET_PREFIX, SYSCTLS, cleanup, command_output, sysctl_path, write};

/// Where the first node on the host records whether `ip cni_hostport` existed before it (`present` or
/// `absent`): the last node out deletes the table only if kube-ecs created it.
pub(super) const CNI_HOSTPORT_ORIGINAL: &str = "cni_hostport.orig";

/// A node's host-wide lease: its id, subnet octet and bridge, and its janitor (already running).
pub(super) struct Lease {
    pub id: String,
    pub octet: u8,
    pub bridge: String,
    pub janitor: Janitor,
}

/// Takes a lease for node `name` of the cluster `cluster` (its data directory's name) under the host
/// lock: reaps leases whose owner and janitor are both dead, records the host's kernel settings if no
/// live node exists, picks an unused lease id and a free subnet, writes the cleanup script and starts
/// its janitor.
pub(super) fn lease(cluster: &str, name: &str, dir: &Path) -> Result<Lease, Error> {
    let host = Path::new(HOST_DIR);
    reap_stale_leases(host)?;
    let lock = HostLock::acquire(host)?;
    let leases = read_leases(host)?;
    let original = host.join("sysctl.orig");
    if !original.exists() && !leases.iter().any(LeaseFile::is_live) {
        let mut content = String::new();
        for key in SYSCTLS {
            let value =
                std::fs::read_to_string(sysctl_path(key)).map_err(|e| Error::io(format!("reading sysctl {key}"), e))?;
            let _ = writeln!(content, "{key}={}", value.trim());
        }
        write(&original, &content)?;
        let table = Command::new("nft").args(["list", "table", "ip", "cni_hostport"]).output();
        let existed = table.is_ok_and(|o| o.status.success());
        write(&host.join(CNI_HOSTPORT_ORIGINAL), if existed { "present\n" } else { "absent\n" })?;
    }
    let id = unused_id(cluster, name, &leases)?;
    let taken: Vec<u8> = leases.iter().filter_map(|l| l.get("octet").and_then(|o| o.parse().ok())).collect();
    let addresses = command_output("ip", &["-o", "-4", "addr", "show"])?;
    let routes = command_output("ip", &["-4", "route", "show", "table", "all"])?;
    let octet = (1..=254u8)
        .find(|o| {
            let net = format!("{SUBNET_PREFIX}.{o}.");
            !taken.contains(o)
                && !addresses.contains(&net)
                && !routes.contains(&net)
                && !Path::new("/sys/class/net").join(format!("kecs{o}")).exists()
        })
        .ok_or_else(|| Error::Startup(format!("no free {SUBNET_PREFIX}.x.0/24 subnet for a real node")))?;
    let bridge = format!("kecs{octet}");
    let script = host.join(format!("{id}.cleanup.sh"));
    let log = host.join(format!("{id}.cleanup.log"));
    write(&script, &cleanup::script(&id, dir, &bridge)?)?;
    let janitor = match Janitor::spawn(&script, &log) {
        Ok(janitor) => janitor,
        Err(e) => {
            drop(lock);
            let _ = std::fs::remove_file(&script);
            return Err(e);
        }
    };
    let written = write(
        &host.join(format!("{id}.lease")),
        &format!(
            "owner={}\njanitor={}\noctet={octet}\nbridge={bridge}\ndir={}\nscript={}\n",
            std::process::id(),
            janitor.pid(),
            dir.display(),
            script.display()
        ),
    );
    // Unlock before a failure drops the janitor: its script takes the same lock.
    drop(lock);
    written?;
    Ok(Lease { id, octet, bridge, janitor })
}

/// `<cluster>-<name>`, with the cluster's pid and attempt number (`kube-ecs-cluster-<pid>-<n>`), or
/// `<cluster>.<k>-<name>` when a cluster in another data directory holds that id already: the id names
/// cgroups, the CNI network and the cleanup's files, which two nodes must never share. (A suffix after
/// the name would let one node's `kube-ecs-<id>-*` glob match the other's files.)
fn unused_id(cluster: &str, name: &str, leases: &[LeaseFile]) -> Result<String, Error> {
    let cluster = cluster.trim_start_matches("kube-ecs-cluster-");
    (1..100)
        .map(|k| if k == 1 { format!("{cluster}-{name}") } else { format!("{cluster}.{k}-{name}") })
        .find(|id| {
            !leases.iter().any(|l| l.id == *id)
                && !Path::new(HOST_DIR).join(format!("{id}.cleanup.sh")).exists()
                && !["/sys/fs/cgroup/memory", "/sys/fs/cgroup"]
                    .iter()
                    .any(|h| Path::new(h).join(format!("kube-ecs-{id}")).exists())
        })
        .ok_or_else(|| Error::Startup(format!("no unused real node lease id for {cluster}-{name}")))
}

/// Runs the cleanup of nodes and service networks whose owner and janitor are both gone (a janitor
/// killed before it ran).
pub(super) fn reap_stale_leases(host: &Path) -> Result<(), Error> {
    if !host.exists() {
        return Ok(());
    }
    let stale: Vec<String> = {
        let _lock = HostLock::acquire(host)?;
        let mut leases = read_leases(host)?;
        leases.extend(read_lease_files(host, super::service_network::LEASE_EXTENSION)?);
        leases.into_iter().filter(|l| !l.is_live()).filter_map(|l| l.get("script").map(str::to_string)).collect()
    };
    for script in stale {
        tracing::warn!(%script, "cleaning up after a real node whose owner died");
        // The script takes the host lock itself.
        let status = Command::new("bash").arg(&script).status().map_err(|e| Error::io("running a stale cleanup", e))?;
        if !status.success() {
            tracing::warn!(%script, %status, "stale real node cleanup failed");
        }
    }
    Ok(())
}

/// One `<id>.lease` file: `key=value` lines.
#[derive(Debug, Default)]
pub(super) struct LeaseFile {
    pub id: String,
    entries: Vec<(String, String)>,
}

impl LeaseFile {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Its owner or its janitor runs: the node is up, or being cleaned up right now.
    pub fn is_live(&self) -> bool {
        ["owner", "janitor"].iter().any(|k| self.get(k).and_then(|p| p.parse().ok()).is_some_and(pid_alive))
    }

    /// The node's directory.
    pub fn dir(&self) -> Option<PathBuf> {
        self.get("dir").map(PathBuf::from)
    }
}

pub(super) fn read_leases(host: &Path) -> Result<Vec<LeaseFile>, Error> {
    read_lease_files(host, "lease")
}

/// The `<id>.<extension>` lease files in `host`.
pub(super) fn read_lease_files(host: &Path, extension: &str) -> Result<Vec<LeaseFile>, Error> {
    let mut leases = Vec::new();
    let entries = match std::fs::read_dir(host) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(leases),
        Err(e) => return Err(Error::io(format!("reading {}", host.display()), e)),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some(extension) {
            continue;
        }
        let Some(id) = path.file_stem().and_then(|s| s.to_str()) else { continue };
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        leases.push(LeaseFile {
            id: id.to_string(),
            entries: text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
    }
    Ok(leases)
}

pub(super) fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'))
}

/// `flock` on `<host dir>/lock`, shared with the cleanup scripts. The last cleanup removes the lock file
/// and the directory, so a lock taken on a file that was unlinked meanwhile is retried (the scripts do
/// the same).
pub(super) struct HostLock {
    _file: std::fs::File,
}

impl HostLock {
    pub(super) fn acquire(host: &Path) -> Result<Self, Error> {
        let path = host.join("lock");
        for _ in 0..100 {
            std::fs::create_dir_all(host).map_err(|e| Error::io(format!("creating {}", host.display()), e))?;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
            // SAFETY: flock on a descriptor we own; blocks until the lock is ours.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(Error::io("locking the real node lease directory", std::io::Error::last_os_error()));
            }
            use std::os::unix::fs::MetadataExt as _;
            let held = file.metadata().map(|m| m.ino()).ok();
            let current = std::fs::metadata(&path).map(|m| m.ino()).ok();
            if held.is_some() && held == current {
                return Ok(Self { _file: file });
            }
        }
        Err(Error::Startup(format!("could not lock {}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_id_taken_by_a_cluster_in_another_directory_is_not_reused() {
        let taken = LeaseFile { id: "7-0-real-0".into(), entries: Vec::new() };
        let id = unused_id("kube-ecs-cluster-7-0", "real-0", &[taken]).unwrap_or_default();
        assert_eq!(id, "7-0.2-real-0");
        assert_eq!(unused_id("kube-ecs-cluster-7-0", "real-1", &[]).unwrap_or_default(), "7-0-real-1");
    }
}
