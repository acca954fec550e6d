//! The host's footprint of real nodes: what one cluster's real nodes could leave on the host, as one
//! comparable text, leaving out what belongs to other live clusters so that a test's before/after
//! comparison holds while another kube-ecs cluster (the demo) runs beside it.
//!
//! Invariant: everything that is not provably another live node's is listed — a live lease (owner or
//! janitor running) outside the cluster under test names the node's directory, bridge, cgroup root,
//! CNI network and sandbox ids, and only those are left out. So a leak of the cluster under test always
//! shows, whatever it is named. Host-wide state (kernel settings, shared paths, the `ip cni_hostport`
//! table itself) is shared: it is listed only while no other live node exists, and otherwise replaced by
//! one line saying so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::lease::{LeaseFile, read_lease_files, read_leases};
use super::{HOST_DIR, SYSCTLS, command_output, service_network, sysctl_path};

/// Host paths real nodes create or could create, shared by every node on the host.
const SHARED_PATHS: [&str; 11] = [
    HOST_DIR,
    "/var/lib/kubelet",
    "/var/log/containers",
    "/var/log/pods",
    "/run/containerd",
    "/var/lib/cni",
    "/run/netns",
    "/opt/containerd",
    "/etc/cni",
    "/etc/cdi",
    "/var/run/nri",
];

/// What real nodes could leave on the host (mounts, interfaces, cgroups, nftables tables and portmap
/// rules, CNI results, log links, containerd/kubelet/shim processes and the add-ons' processes
/// (metrics-server), and — while no other node is live —
/// the kernel settings, shared paths and the `ip cni_hostport` table), without what belongs to other
/// live clusters. `cluster`: the data directory of the cluster under test, whose nodes are listed even
/// while live; `None` before it exists. Equal before a cluster with real nodes starts and after it
/// stops: it left nothing behind.
pub fn host_footprint(cluster: Option<&Path>) -> String {
    let others = Others::live(cluster);
    let mut out = String::new();
    let mounts = command_output("findmnt", &["-rn", "-o", "TARGET"]).unwrap_or_default();
    for m in mounts.lines().filter(|m| m.contains("/nodes/") || m.starts_with("/run/netns")) {
        // `ip netns add`'s own mount on /run/netns is the host's while another cluster has a namespace.
        let shared = m == "/run/netns" && !others.ids.is_empty();
        let others_netns = m.strip_prefix("/run/netns/").is_some_and(|n| others.netns.iter().any(|o| o == n));
        if !others.owns_path(m) && !shared && !others_netns {
            let _ = writeln!(out, "mount {m}");
        }
    }
    let mut links: Vec<String> = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|l| !others.owns_link(l))
        .collect();
    links.sort();
    for l in links {
        let _ = writeln!(out, "link {l}");
    }
    for h in command_output("findmnt", &["-rn", "-t", "cgroup,cgroup2", "-o", "TARGET"]).unwrap_or_default().lines() {
        let mut cgroups: Vec<String> = std::fs::read_dir(h)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("kube-ecs-") && !others.cgroups.contains(n))
            .collect();
        cgroups.sort();
        for c in cgroups {
            let _ = writeln!(out, "cgroup {h}/{c}");
        }
    }
    let tables = command_output("nft", &["list", "tables"]).unwrap_or_default();
    let cni_hostport = tables.lines().any(|t| t.trim() == "table ip cni_hostport");
    for table in tables.lines().map(str::trim).filter(|t| !t.is_empty() && *t != "table ip cni_hostport") {
        let _ = writeln!(out, "nft {table}");
    }
    if cni_hostport {
        let mut chain = "";
        let listing = command_output("nft", &["list", "table", "ip", "cni_hostport"]).unwrap_or_default();
        for line in listing.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("chain ") {
                chain = rest.split_whitespace().next().unwrap_or_default();
            } else if let Some(id) = portmap_comment(line)
                && !others.sandboxes.iter().any(|s| s == id)
            {
                let _ = writeln!(out, "nft rule ip cni_hostport {chain}: {line}");
            }
        }
    }
    let mut results: Vec<String> = std::fs::read_dir("/var/lib/cni/results")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| !others.owns_cni_result(f))
        // A sandbox being set up or torn down has its result before (or after) its directory, so its
        // name alone can miss it: the result's network namespace path names the node it belongs to.
        .filter(|f| {
            let cached = std::fs::read_to_string(Path::new("/var/lib/cni/results").join(f)).unwrap_or_default();
            !cached_netns(&cached).is_some_and(|netns| others.owns_path(&netns))
        })
        .collect();
    results.sort();
    for f in results {
        let _ = writeln!(out, "cni result {f}");
    }
    let mut log_links: Vec<String> = std::fs::read_dir("/var/log/containers")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| std::fs::read_link(e.path()).is_ok_and(|t| !others.owns_path(&t.to_string_lossy())))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    log_links.sort();
    for l in log_links {
        let _ = writeln!(out, "log link /var/log/containers/{l}");
    }
    let mut processes = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let program = args.first().map(String::as_str).unwrap_or_default();
        let real_node_program =
            ["/containerd", "/kubelet"].iter().any(|p| program.ends_with(p)) || program.contains("containerd-shim");
        if real_node_program
            && args.iter().any(|a| a.contains("/nodes/"))
            && !args.iter().any(|a| others.owns_path(a.rsplit('=').next().unwrap_or_default()))
        {
            processes.push(args.join(" ").trim_end().to_string());
        }
        // An add-on of a cluster (its files are in the cluster's directory), not another live one's.
        let addon_program = ADDON_PROGRAMS.iter().any(|p| program.ends_with(p));
        if addon_program
            && args.iter().any(|a| a.contains("/kube-ecs-cluster-"))
            && !args.iter().any(|a| others.owns_cluster_path(a.rsplit('=').next().unwrap_or_default()))
        {
            processes.push(args.join(" ").trim_end().to_string());
        }
    }
    processes.sort();
    for p in processes {
        let _ = writeln!(out, "process {p}");
    }
    if others.ids.is_empty() {
        for key in SYSCTLS {
            let _ = writeln!(out, "{key}={}", std::fs::read_to_string(sysctl_path(key)).unwrap_or_default().trim());
        }
        for path in SHARED_PATHS {
            let _ = writeln!(out, "{path} exists={}", Path::new(path).exists());
        }
        let _ = writeln!(out, "nft table ip cni_hostport exists={cni_hostport}");
    } else {
        let _ = writeln!(out, "host-wide state: kept for other live clusters' real nodes");
    }
    out
}

/// The add-ons a cluster with real nodes runs on the host (see `addons.rs`).
const ADDON_PROGRAMS: [&str; 3] = ["/metrics-server", "/kube-proxy", "/coredns"];

/// The sandbox id a portmap rule carries as its comment (`... comment "<64 hex>"`).
fn portmap_comment(rule: &str) -> Option<&str> {
    let (_, rest) = rule.split_once("comment \"")?;
    let id = rest.split('"').next()?;
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// The network namespace a CNI cache file (`/var/lib/cni/results/*`) records (`"netns"`, libcni's
/// cniCacheV1), under the node's containerd state directory.
fn cached_netns(cached: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(cached).ok()?;
    value.get("netns")?.as_str().map(str::to_string)
}

/// What the live real nodes of other clusters own.
#[derive(Debug, Default)]
struct Others {
    ids: Vec<String>,
    /// Node directories, each with a trailing `/`.
    dirs: Vec<String>,
    /// Their clusters' directories (where the add-ons' files are), each with a trailing `/`.
    clusters: Vec<String>,
    /// Their clusters' Service network namespaces (`/run/netns/<name>`).
    netns: Vec<String>,
    bridges: Vec<String>,
    /// `kube-ecs-<lease id>`: cgroup roots and CNI network names.
    cgroups: Vec<String>,
    sandboxes: Vec<String>,
}

impl Others {
    fn live(cluster: Option<&Path>) -> Self {
        let mut others = Others::default();
        let leases = read_leases(Path::new(HOST_DIR)).unwrap_or_default();
        for lease in leases.iter().filter(|l| l.is_live()) {
            let dir = lease.dir().unwrap_or_default();
            if cluster.is_some_and(|c| dir.starts_with(c)) {
                continue;
            }
            others.add(lease, &dir);
        }
        let networks = read_lease_files(Path::new(HOST_DIR), service_network::LEASE_EXTENSION).unwrap_or_default();
        for network in networks.iter().filter(|l| l.is_live()) {
            if cluster.is_some_and(|c| network.dir().is_some_and(|d| d.starts_with(c))) {
                continue;
            }
            others.ids.push(network.id.clone());
            // The veth on the host, as a bridge is: its name is the link.
            others.bridges.extend(network.get("veth").map(str::to_string));
            others.netns.extend(network.get("netns").map(str::to_string));
        }
        others
    }

    fn add(&mut self, lease: &LeaseFile, dir: &Path) {
        self.ids.push(lease.id.clone());
        self.cgroups.push(format!("kube-ecs-{}", lease.id));
        if let Some(bridge) = lease.get("bridge") {
            self.bridges.push(bridge.to_string());
        }
        if dir.as_os_str().is_empty() {
            return;
        }
        self.dirs.push(format!("{}/", dir.display()));
        // `<cluster>/nodes/<name>`.
        if let Some(cluster) = dir.parent().and_then(Path::parent) {
            self.clusters.push(format!("{}/", cluster.display()));
        }
        let sandboxes: PathBuf = dir.join("containerd/root/io.containerd.grpc.v1.cri/sandboxes");
        for entry in std::fs::read_dir(sandboxes).into_iter().flatten().flatten() {
            self.sandboxes.push(entry.file_name().to_string_lossy().into_owned());
        }
    }

    fn owns_path(&self, path: &str) -> bool {
        self.dirs.iter().any(|d| path.starts_with(d.as_str()))
    }

    fn owns_cluster_path(&self, path: &str) -> bool {
        self.clusters.iter().any(|d| path.starts_with(d.as_str()))
    }

    /// The other nodes' bridges and the veths plugged into them.
    fn owns_link(&self, link: &str) -> bool {
        let master = std::fs::read_link(Path::new("/sys/class/net").join(link).join("master"))
            .ok()
            .and_then(|m| m.file_name().map(|n| n.to_string_lossy().into_owned()));
        self.bridges.iter().any(|b| b == link || master.as_deref() == Some(b.as_str()))
    }

    /// `kube-ecs-<lease id>-<sandbox id>-eth0` and `cni-loopback-<sandbox id>-lo`.
    fn owns_cni_result(&self, file: &str) -> bool {
        self.cgroups.iter().any(|network| file.strip_prefix(network.as_str()).is_some_and(|r| r.starts_with('-')))
            || self.sandboxes.iter().any(|s| file.contains(&format!("-{s}-")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portmap_rules_are_told_apart_by_their_sandbox_comment() {
        let id = "a".repeat(64);
        assert_eq!(
            portmap_comment(&format!("tcp dport 18089 dnat ip to 10.233.1.2:8080 comment \"{id}\"")),
            Some(id.as_str())
        );
        assert_eq!(portmap_comment("comment \"CNI portmap plugin\""), None);
        assert_eq!(portmap_comment("jump hostports"), None);
    }

    #[test]
    fn a_cni_result_names_its_network_namespace() {
        let cached = r#"{"kind":"cniCacheV1","containerId":"ab","ifName":"lo","networkName":"cni-loopback",
            "netns":"/tmp/kube-ecs-cluster-9-0/nodes/real-1/containerd/state/io.containerd.grpc.v1.cri/netns/cni-1"}"#;
        assert_eq!(
            cached_netns(cached).as_deref(),
            Some("/tmp/kube-ecs-cluster-9-0/nodes/real-1/containerd/state/io.containerd.grpc.v1.cri/netns/cni-1")
        );
        assert_eq!(cached_netns("not json"), None);
    }

    #[test]
    fn another_clusters_files_are_recognised_by_its_lease_and_sandboxes() {
        let others = Others {
            ids: vec!["9-0-real-1".into()],
            dirs: vec!["/tmp/kube-ecs-cluster-9-0/nodes/real-1/".into()],
            clusters: vec!["/tmp/kube-ecs-cluster-9-0/".into()],
            netns: vec!["kecs-svc-2".into()],
            bridges: vec!["kecs3".into()],
            cgroups: vec!["kube-ecs-9-0-real-1".into()],
            sandboxes: vec!["b".repeat(64)],
        };
        assert!(others.owns_cni_result(&format!("kube-ecs-9-0-real-1-{}-eth0", "c".repeat(64))));
        assert!(others.owns_cni_result(&format!("cni-loopback-{}-lo", "b".repeat(64))));
        assert!(!others.owns_cni_result(&format!("kube-ecs-9-0-real-10-{}-eth0", "c".repeat(64))));
        assert!(others.owns_path("/tmp/kube-ecs-cluster-9-0/nodes/real-1/containerd/root"));
        assert!(!others.owns_path("/tmp/kube-ecs-cluster-9-0/nodes/real-10/containerd/root"));
        assert!(!others.owns_path("/var/tmp/kube-ecs-cluster-9-0/nodes/real-1/containerd/root"));
        assert!(others.owns_cluster_path("/tmp/kube-ecs-cluster-9-0/metrics-server.kubeconfig"));
        assert!(!others.owns_cluster_path("/tmp/kube-ecs-cluster-9-01/metrics-server.kubeconfig"));
    }
}
