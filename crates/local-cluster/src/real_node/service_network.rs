//! The Service network of one cluster with real nodes: a network namespace of its own where the
//! cluster's kube-proxy programs its nftables rules, and a Service CIDR no other live cluster on the host
//! uses, routed from the host into that namespace.
//!
//! Why a namespace: kube-proxy's nftables tables are named `kube-proxy` (ip and ip6 families), fixed in
//! its source with no flag to rename them, so two kube-proxies in one namespace would rewrite each
//! other's rules. In the cluster's namespace they are the cluster's alone, and they vanish with it.
//!
//! How packets go: the pods' bridges stay in the host's namespace (see `real_node.rs`). The host routes
//! the cluster's Service CIDR (`10.<96+slot>.0.0/16`) over a veth pair (`kecsv<slot>` on the host,
//! `10.232.<slot>.1/30`; `kecsp<slot>` in the namespace, `.2`) into the namespace, where kube-proxy
//! DNATs a ClusterIP to an endpoint (a pod IP, or a node IP for the host's add-ons) and masquerades
//! (`masqueradeAll`: the endpoint answers to the namespace, which undoes both translations), and routes
//! it back to the host, which delivers it to the pod's bridge or to itself. That is the path of a pod
//! (its default route is its node's bridge, on the host), and of the host itself. A ClusterIP nobody
//! proxies is unreachable in the namespace, so it never leaves the host through its default route.
//!
//! Everything is leased under the real nodes' host lock (`lease.rs`) and removed by a janitor's
//! script (the namespace, with kube-proxy's tables and the veth's peer; the veth and its route), as
//! the nodes' are: on drop, at exit, and after a SIGKILL of the owner.

use std::path::Path;
use std::time::Duration;

use super::super::Error;
use super::super::process::Janitor;
use super::lease::{HostLock, LeaseFile, read_lease_files, read_leases, reap_stale_leases};
use super::{HOST_DIR, command_output, run, write};

/// Lease files of service networks: `<HOST_DIR>/svc-<slot>.svcnet`.
pub(crate) const LEASE_EXTENSION: &str = "svcnet";
/// The cluster domain the kubelets and CoreDNS use.
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// Where the first Service network on the host records whether `/run/netns` existed before it
/// (`present` or `absent`): `ip netns add` makes it, and a mount on it, which the last one out removes
/// only if kube-ecs made them.
const NETNS_DIR_ORIGINAL: &str = "netns.orig";
/// Slots 1..=31: Service CIDRs 10.97.0.0/16 .. 10.127.0.0/16 (10.96.0.0/16 stays the CIDR of clusters
/// without one, which route nothing).
const SLOTS: std::ops::RangeInclusive<u8> = 1..=31;

/// A leased Service network; dropping it removes it.
#[derive(Debug)]
pub struct ServiceNetwork {
    slot: u8,
    janitor: Option<Janitor>,
}

impl ServiceNetwork {
    /// Leases a free slot for the cluster in `cluster_dir` and makes its namespace, veth pair and routes.
    pub fn create(cluster_dir: &Path) -> Result<Self, Error> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err(Error::Startup(
                "the Service network (kube-proxy, CoreDNS) needs root, as real nodes do".into(),
            ));
        }
        let host = Path::new(HOST_DIR);
        reap_stale_leases(host)?;
        let lock = HostLock::acquire(host)?;
        let mut leases: Vec<LeaseFile> = read_lease_files(host, LEASE_EXTENSION)?;
        if !host.join(NETNS_DIR_ORIGINAL).exists() && !leases.iter().any(LeaseFile::is_live) {
            let existed = if Path::new("/run/netns").exists() { "present\n" } else { "absent\n" };
            write(&host.join(NETNS_DIR_ORIGINAL), existed)?;
        }
        leases.extend(read_leases(host)?);
        let taken: Vec<u8> = leases.iter().filter_map(|l| l.get("slot").and_then(|s| s.parse().ok())).collect();
        let routes = command_output("ip", &["-4", "route", "show", "table", "all"])?;
        let addresses = command_output("ip", &["-o", "-4", "addr", "show"])?;
        let slot = SLOTS
            .clone()
            .find(|s| {
                let (cidr, transit) = (format!("10.{}.", 96 + u16::from(*s)), format!("10.232.{s}."));
                !taken.contains(s)
                    && ![&cidr, &transit]
                        .iter()
                        .any(|net| routes.contains(net.as_str()) || addresses.contains(net.as_str()))
                    && !Path::new("/run/netns").join(netns_name(*s)).exists()
                    && !Path::new("/sys/class/net").join(veth_name(*s)).exists()
                    && !host.join(format!("svc-{s}.cleanup.sh")).exists()
            })
            .ok_or_else(|| Error::Startup("no free Service network slot (10.97-10.127.0.0/16) on this host".into()))?;
        let id = format!("svc-{slot}");
        let script = host.join(format!("{id}.cleanup.sh"));
        write(&script, &cleanup_script(slot))?;
        let janitor = match Janitor::spawn(&script, &host.join(format!("{id}.cleanup.log"))) {
            Ok(janitor) => janitor,
            Err(e) => {
                drop(lock);
                let _ = std::fs::remove_file(&script);
                return Err(e);
            }
        };
        let written = write(
            &host.join(format!("{id}.{LEASE_EXTENSION}")),
            &format!(
                "owner={}\njanitor={}\nslot={slot}\nnetns={}\nveth={}\ndir={}\nscript={}\n",
                std::process::id(),
                janitor.pid(),
                netns_name(slot),
                veth_name(slot),
                cluster_dir.display(),
                script.display()
            ),
        );
        // Unlock before a failure drops the janitor: its script takes the same lock.
        drop(lock);
        let mut network = ServiceNetwork { slot, janitor: Some(janitor) };
        written?;
        network.build()?;
        Ok(network)
    }

    fn build(&mut self) -> Result<(), Error> {
        let (ns, veth, peer) = (netns_name(self.slot), veth_name(self.slot), peer_name(self.slot));
        let (host_ip, ns_ip) = (self.transit_ip(1), self.transit_ip(2));
        run("ip", &["netns", "add", &ns])?;
        run("ip", &["link", "add", &veth, "type", "veth", "peer", "name", &peer, "netns", &ns])?;
        run("ip", &["addr", "add", &format!("{host_ip}/30"), "dev", &veth])?;
        run("ip", &["link", "set", &veth, "up"])?;
        for args in [
            vec!["link", "set", "lo", "up"],
            vec!["addr", "add", &format!("{ns_ip}/30"), "dev", &peer],
            vec!["link", "set", &peer, "up"],
            vec!["route", "add", "default", "via", &host_ip],
        ] {
            run("ip", &[&["-n", ns.as_str()], args.as_slice()].concat())?;
        }
        // Inside the namespace only: it forwards what it DNATs; it routes back out of the interface the
        // packet came in by, so it must not answer with redirects; and its sources (pods, the host)
        // are all behind that one interface.
        for (key, value) in [
            ("net.ipv4.ip_forward", "1"),
            ("net.ipv4.conf.all.send_redirects", "0"),
            (&format!("net.ipv4.conf.{peer}.send_redirects"), "0"),
            ("net.ipv4.conf.all.rp_filter", "0"),
            (&format!("net.ipv4.conf.{peer}.rp_filter"), "0"),
        ] {
            // /proc/sys/net is the writing process's namespace's (no procps needed for `sysctl`).
            let path = format!("/proc/sys/{}", key.replace('.', "/"));
            run("ip", &["netns", "exec", &ns, "sh", "-c", &format!("echo {value} > {path}")])?;
        }
        // A ClusterIP kube-proxy does not (yet) DNAT goes nowhere, rather than back to the host and
        // out of its default route.
        run("ip", &["-n", &ns, "route", "add", "unreachable", &self.cidr()])?;
        run("ip", &["route", "add", &self.cidr(), "via", &ns_ip, "dev", &veth])?;
        Ok(())
    }

    /// The cluster's Service CIDR (`--service-cluster-ip-range`).
    pub fn cidr(&self) -> String {
        format!("10.{}.0.0/16", 96 + u16::from(self.slot))
    }

    /// The `n`th address of the Service CIDR (1: the `kubernetes` Service, 10: cluster DNS).
    pub fn service_ip(&self, n: u8) -> String {
        format!("10.{}.0.{n}", 96 + u16::from(self.slot))
    }

    /// The network namespace kube-proxy runs in.
    pub fn netns(&self) -> String {
        netns_name(self.slot)
    }

    fn transit_ip(&self, n: u8) -> String {
        format!("10.232.{}.{n}", self.slot)
    }

    /// Removes the namespace, the veth pair and the route. Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut janitor) = self.janitor.take() {
            match janitor.finish(Duration::from_secs(30)) {
                Some(status) if status.success() => {}
                other => {
                    tracing::warn!(slot = self.slot, status = ?other, "service network cleanup did not finish cleanly; see {HOST_DIR}")
                }
            }
        }
    }
}

impl Drop for ServiceNetwork {
    fn drop(&mut self) {
        self.stop();
    }
}

fn netns_name(slot: u8) -> String {
    format!("kecs-svc-{slot}")
}

fn veth_name(slot: u8) -> String {
    format!("kecsv{slot}")
}

fn peer_name(slot: u8) -> String {
    format!("kecsp{slot}")
}

/// The namespace's cleanup: safe to run twice, with kube-proxy alive or dead.
fn cleanup_script(slot: u8) -> String {
    let (ns, veth) = (netns_name(slot), veth_name(slot));
    format!(
        r#"#!/usr/bin/env bash
# Removes Service network {slot} (namespace {ns}, veth {veth} and its route). Generated by
# crates/local-cluster/src/real_node/service_network.rs; run by its janitor. Safe to run twice.
set -u
NS='{ns}' VETH='{veth}' HOST='{HOST_DIR}' ID='svc-{slot}'
log() {{ echo "[$(date +%T.%N | cut -c1-12) cleanup $ID] $*"; }}
log "processes in $NS"
for _ in $(seq 50); do
  pids=$(ip netns pids "$NS" 2>/dev/null)
  [[ -z $pids ]] && break
  kill -KILL $pids 2>/dev/null; sleep 0.05
done
log "namespace, veth and route"
ip netns del "$NS" 2>/dev/null
ip link del "$VETH" 2>/dev/null
left=""
[[ -e /run/netns/$NS ]] && left+=" /run/netns/$NS"
ip link show "$VETH" >/dev/null 2>&1 && left+=" $VETH"
for _ in $(seq 100); do
  mkdir -p "$HOST"
  exec 9>>"$HOST/lock"
  flock 9
  [[ $(stat -c %i "$HOST/lock" 2>/dev/null) == "$(stat -L -c %i /proc/self/fd/9)" ]] && break
  exec 9>&-
done
rm -f "$HOST/$ID.{LEASE_EXTENSION}" "$HOST/$ID.cleanup.sh"
gone() {{ [[ ! -e /proc/$1/stat ]] || [[ $(sed 's/.*) //' /proc/$1/stat 2>/dev/null | cut -c1) == Z ]]; }}
live=""
for lease in "$HOST"/*.{LEASE_EXTENSION}; do
  [[ -f $lease ]] || continue
  for key in owner janitor; do
    pid=$(sed -n "s/^$key=//p" "$lease")
    if [[ $pid =~ ^[0-9]+$ ]] && ! gone "$pid"; then live+=" $(basename "$lease")"; break; fi
  done
done
if [[ -z $live ]]; then
  # /run/netns and the mount `ip netns add` put on it, if kube-ecs made them and nothing else is in it.
  if [[ $(cat "$HOST/{NETNS_DIR_ORIGINAL}" 2>/dev/null) != present && -d /run/netns && -z $(ls -A /run/netns) ]]; then
    for _ in 1 2 3; do umount /run/netns 2>/dev/null || break; done
    rmdir /run/netns 2>/dev/null
  fi
  rm -f "$HOST/{NETNS_DIR_ORIGINAL}"
fi
if [[ -z $left ]]; then rm -f "$HOST/$ID.cleanup.log"; fi
if [[ -z $(ls -A "$HOST" | grep -vx lock) ]]; then rm -f "$HOST/lock"; rmdir "$HOST"; fi
exec 9>&-
if [[ -n $left ]]; then log "LEFT BEHIND:$left"; exit 1; fi
log "done"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_names_its_cidr_namespace_and_links() {
        let network = ServiceNetwork { slot: 3, janitor: None };
        assert_eq!(network.cidr(), "10.99.0.0/16");
        assert_eq!(network.service_ip(10), "10.99.0.10");
        assert_eq!(network.netns(), "kecs-svc-3");
        assert_eq!((veth_name(31).len(), peer_name(31).len()), (7, 7), "interface names fit in 15 bytes");
    }

    /// The script is valid bash (`bash -n`).
    #[test]
    fn the_cleanup_script_parses() {
        let dir = std::env::temp_dir().join(format!("kube-ecs-svcnet-parse-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("cleanup.sh");
        assert!(std::fs::write(&path, cleanup_script(3)).is_ok());
        let status = std::process::Command::new("bash").arg("-n").arg(&path).status();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(status.is_ok_and(|s| s.success()));
    }
}
