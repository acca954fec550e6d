//! Real nodes: a containerd and a kubelet per node, running real containers next to the kwok nodes.
//!
//! Everything a node creates on the host is named after the node's lease (unique host-wide, see
//! `real_node/lease.rs`), so two clusters never collide, whatever their data directories: its own
//! directory (containerd root/state, runc root, CNI config and IPAM, kubelet root, certificates and pod
//! logs), sockets, kubelet port, cgroup root, bridge and /24 subnet. The node's IP is its bridge's
//! gateway address; the kubelet listens there and kube-apiserver reaches it by InternalIP.
//!
//! Cleanup is one generated bash script per node (`real_node/cleanup.rs`), run by a [`Janitor`] when
//! the node is dropped, when the program exits, or when it dies in any way: it removes what the node
//! made, and the host-wide state (kernel settings, the `ip cni_hostport` table, shared directories)
//! only once no other live node is on the host. [`host_footprint`] is what tests compare before and
//! after. docs/real-nodes-bringup.md has the measured facts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::process::Janitor;
use super::{Error, ManagedProcess};

mod cleanup;
mod footprint;
mod lease;
pub mod service_network;

pub use footprint::host_footprint;

/// Host-wide bookkeeping of real nodes (leases, recorded kernel settings, cleanup scripts); on tmpfs.
pub const HOST_DIR: &str = "/run/kube-ecs-real-nodes";
/// Label every real node carries.
pub const REAL_NODE_LABEL: &str = "local-cluster.kube-ecs.dev/real";
/// Label on the local cluster's container instances for ECS tasks (real nodes, or the simulated
/// stand-ins a demo uses where the host cannot run containers): the `local` pool of the examples.
pub const LOCAL_INSTANCE_LABEL: &str = "local-cluster.kube-ecs.dev/instance";
/// Node subnets are `10.233.<n>.0/24`, `<n>` leased host-wide.
pub(crate) const SUBNET_PREFIX: &str = "10.233";
/// Every node subnet of every cluster (kube-proxy's `clusterCIDR`).
pub(crate) const POD_CIDR: &str = "10.233.0.0/16";
/// Kernel settings the kubelet (`setupKernelTunables`) and the CNI bridge plugin change.
const SYSCTLS: [&str; 7] = [
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
];
/// The sandbox image containerd runs every pod with (built by hack/build-images.sh).
const SANDBOX_IMAGE: &str = "registry.k8s.io/pause:3.10.2";
/// Extra names for the imported images, so task definitions keep their usual public names.
const IMAGE_ALIASES: [(&str, &str); 2] = [
    ("docker.io/library/busybox:1.36", "public.ecr.aws/docker/library/busybox:1.36"),
    ("docker.io/library/busybox:1.36", "docker.io/library/busybox:latest"),
];
/// Binaries a real node needs in the tools directory.
const TOOLS: [&str; 9] = [
    "kubelet",
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "runc",
    "cni/bridge",
    "cni/host-local",
    "cni/loopback",
    "cni/portmap",
];

/// A registry host containerd resolves to a local registry.
#[derive(Debug, Clone)]
pub struct Mirror {
    /// The name used in image references (`123456789012.dkr.ecr.us-east-1.amazonaws.com`, `docker.io`).
    pub host: String,
    /// The local registry, e.g. `http://127.0.0.1:5000`; repositories live under `<host>/` in it.
    pub endpoint: String,
    /// An `Authorization` header the node sends with every pull: the node's own credentials, as an
    /// ECS container instance pulls from ECR with its instance role, whatever the task says.
    pub authorization: Option<String>,
}

/// What a real node needs from its cluster.
#[derive(Debug, Clone)]
pub struct NodeContext {
    pub tools_bin: PathBuf,
    pub images_dir: PathBuf,
    /// The cluster's data directory; the node lives in `<dir>/nodes/<name>`.
    pub cluster_dir: PathBuf,
    /// Kubeconfig the kubelet registers and reports with (the admin's).
    pub kubeconfig: PathBuf,
    /// CA of the client certificate kube-apiserver presents to kubelets.
    pub client_ca: PathBuf,
    pub mirrors: Vec<Mirror>,
    /// Extra node labels (`key=value`).
    pub labels: Vec<String>,
    /// The cluster DNS Service's IP the kubelet writes into pods' resolv.conf (domain
    /// [`service_network::CLUSTER_DOMAIN`]); `None`: the host's resolv.conf only.
    pub cluster_dns: Option<String>,
}

/// A running real node. Dropping it removes everything it created.
#[derive(Debug)]
pub struct RealNode {
    name: String,
    dir: PathBuf,
    node_ip: String,
    subnet: String,
    bridge: String,
    cgroup_root: String,
    /// CNI network name (`kube-ecs-<lease id>`): names the node's files in /var/lib/cni/results.
    network: String,
    kubelet: Option<ManagedProcess>,
    containerd: Option<ManagedProcess>,
    janitor: Option<Janitor>,
}

impl RealNode {
    /// Starts containerd and a kubelet for node `name`; returns once the kubelet runs (the caller waits
    /// for the Node to be Ready). On failure everything already created is removed again.
    pub fn start(context: &NodeContext, name: &str) -> Result<Self, Error> {
        check_host(context)?;
        let dir = context.cluster_dir.join("nodes").join(name);
        let path = path_str(&dir)?;
        if !path.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c)) {
            return Err(Error::Startup(format!("real node directory {path} must be plain ASCII without spaces")));
        }
        // containerd's ttrpc socket is the longest unix socket path (limit 108 bytes).
        if path.len() + "/containerd.sock.ttrpc".len() >= 100 {
            return Err(Error::Startup(format!("real node directory {path} is too long for unix sockets")));
        }
        for sub in ["containerd/root", "containerd/state", "runc", "cni", "cni-ipam", "certs.d", "kubelet/root"] {
            mkdir(&dir.join(sub))?;
        }
        mkdir(&dir.join("kubelet/certs"))?;
        mkdir(&dir.join("pod-logs"))?;
        // `<pid>-<n>` of the cluster directory plus the node name, made unique on the host by the lease.
        let lease = lease::lease(file_name(&context.cluster_dir)?, name, &dir)?;
        let lease_id = &lease.id;
        let mut node = RealNode {
            name: name.to_string(),
            node_ip: format!("{SUBNET_PREFIX}.{}.1", lease.octet),
            subnet: format!("{SUBNET_PREFIX}.{}.0/24", lease.octet),
            bridge: lease.bridge.clone(),
            cgroup_root: format!("/kube-ecs-{lease_id}"),
            network: format!("kube-ecs-{lease_id}"),
            dir,
            kubelet: None,
            containerd: None,
            janitor: Some(lease.janitor),
        };
        node.launch(context)?;
        Ok(node)
    }

    fn launch(&mut self, context: &NodeContext) -> Result<(), Error> {
        let dir = self.dir.clone();
        let bin = &context.tools_bin;
        run("ip", &["link", "add", &self.bridge, "type", "bridge"])?;
        run("ip", &["addr", "add", &format!("{}/24", self.node_ip), "dev", &self.bridge])?;
        run("ip", &["link", "set", &self.bridge, "up"])?;
        create_cgroup_root(&self.cgroup_root)?;

        write(&dir.join("containerd/config.toml"), &containerd_config(&dir, bin))?;
        write(
            &dir.join("cni/10-kube-ecs.conflist"),
            &cni_config(&self.network, &self.bridge, &self.subnet, &self.node_ip, &dir),
        )?;
        for mirror in &context.mirrors {
            let host_dir = dir.join("certs.d").join(&mirror.host);
            mkdir(&host_dir)?;
            write(&host_dir.join("hosts.toml"), &hosts_toml(mirror))?;
        }
        let path = std::env::var("PATH")
            .unwrap_or_else(|_| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
        let containerd = ManagedProcess::spawn_with_env(
            "containerd",
            &bin.join("containerd"),
            &["--config".into(), path_str(&dir.join("containerd/config.toml"))?.into()],
            // The shim is found on PATH.
            &[("PATH", format!("{}:{path}", bin.display()))],
            &dir.join("containerd.log"),
        )?;
        self.containerd = Some(containerd);
        let socket = dir.join("containerd.sock");
        self.wait_for_containerd(&socket, Duration::from_secs(30))?;
        self.import_images(context, &socket)?;

        let port = super::ports::pick_free_ports(1)?
            .first()
            .copied()
            .ok_or_else(|| Error::Startup("no free port for the kubelet".into()))?;
        write(
            &dir.join("kubelet/config.yaml"),
            &kubelet_config(
                &dir,
                &self.cgroup_root,
                &self.node_ip,
                port,
                &context.client_ca,
                context.cluster_dns.as_deref(),
            )?,
        )?;
        let mut labels = vec![format!("{REAL_NODE_LABEL}=true"), format!("{LOCAL_INSTANCE_LABEL}=true")];
        labels.extend(context.labels.iter().cloned());
        let kubelet = ManagedProcess::spawn(
            "kubelet",
            &bin.join("kubelet"),
            &[
                format!("--config={}", dir.join("kubelet/config.yaml").display()),
                format!("--kubeconfig={}", context.kubeconfig.display()),
                format!("--root-dir={}", dir.join("kubelet/root").display()),
                format!("--cert-dir={}", dir.join("kubelet/certs").display()),
                format!("--hostname-override={}", self.name),
                format!("--node-ip={}", self.node_ip),
                format!("--node-labels={}", labels.join(",")),
                "--v=2".into(),
            ],
            &dir.join("kubelet.log"),
        )?;
        self.kubelet = Some(kubelet);
        Ok(())
    }

    fn wait_for_containerd(&mut self, socket: &Path, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        while !socket.exists() {
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(Error::Startup(format!("containerd of {} did not create {}", self.name, socket.display())));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn import_images(&self, context: &NodeContext, socket: &Path) -> Result<(), Error> {
        let ctr = context.tools_bin.join("ctr");
        let address = path_str(socket)?;
        let mut archives: Vec<PathBuf> = std::fs::read_dir(&context.images_dir)
            .map_err(|e| Error::io(format!("reading {} (run `make tools`)", context.images_dir.display()), e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".oci.tar"))
            .collect();
        archives.sort();
        if archives.is_empty() {
            return Err(Error::Startup(format!("no images in {} (run `make tools`)", context.images_dir.display())));
        }
        for archive in &archives {
            run_program(
                &ctr,
                &["--address", address, "-n", "k8s.io", "images", "import", "--local", path_str(archive)?],
            )?;
        }
        for (source, alias) in IMAGE_ALIASES {
            run_program(&ctr, &["--address", address, "-n", "k8s.io", "images", "tag", "--force", source, alias])?;
        }
        Ok(())
    }

    /// Fails with the tail of its log if containerd or the kubelet has exited.
    pub fn check_alive(&mut self) -> Result<(), Error> {
        for process in [self.containerd.as_mut(), self.kubelet.as_mut()].into_iter().flatten() {
            if let Some(status) = process.exited() {
                let log = self.dir.join(format!("{}.log", process.name()));
                let tail = std::fs::read_to_string(&log)
                    .map(|s| {
                        s.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
                    })
                    .unwrap_or_default();
                return Err(Error::Startup(format!(
                    "{} of real node {} exited ({status}); last log lines:\n{tail}",
                    process.name(),
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// The Node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's IP: its bridge's address, where the host reaches its pods' network.
    pub fn node_ip(&self) -> &str {
        &self.node_ip
    }

    /// The pod subnet (`10.233.<n>.0/24`).
    pub fn subnet(&self) -> &str {
        &self.subnet
    }

    /// The node's data and log directory (`containerd.log`, `kubelet.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the node and removes everything it created. Idempotent.
    pub fn stop(&mut self) {
        // Nothing graceful is worth waiting for: the janitor removes every container anyway.
        if let Some(mut kubelet) = self.kubelet.take() {
            kubelet.kill();
        }
        if let Some(mut containerd) = self.containerd.take() {
            containerd.kill();
        }
        if let Some(mut janitor) = self.janitor.take() {
            match janitor.finish(Duration::from_secs(60)) {
                Some(status) if status.success() => {}
                other => {
                    tracing::warn!(node = %self.name, status = ?other, "real node cleanup did not finish cleanly; see {HOST_DIR}")
                }
            }
        }
    }
}

impl Drop for RealNode {
    fn drop(&mut self) {
        self.stop();
    }
}

fn check_host(context: &NodeContext) -> Result<(), Error> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(Error::Startup("real nodes need root (containerd, runc and the kubelet run as root)".into()));
    }
    for tool in TOOLS {
        if !context.tools_bin.join(tool).is_file() {
            return Err(Error::Startup(format!(
                "{tool} not found in {} (run `make tools`)",
                context.tools_bin.display()
            )));
        }
    }
    for (program, package) in
        [("ip", "iproute2"), ("nft", "nftables"), ("findmnt", "util-linux"), ("flock", "util-linux")]
    {
        if which(program).is_none() {
            return Err(Error::Startup(format!(
                "{program} not found on PATH (install {package}: hack/install-deps.sh)"
            )));
        }
    }
    Ok(())
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

fn create_cgroup_root(root: &str) -> Result<(), Error> {
    let mountinfo =
        std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| Error::io("reading /proc/self/mountinfo", e))?;
    let mut created = 0;
    for line in mountinfo.lines() {
        // <id> <parent> <dev> <root> <mount point> <options> [optional...] - <fstype> <source> <super options>
        let Some((left, right)) = line.split_once(" - ") else { continue };
        let mut right = right.split_whitespace();
        let fstype = right.next().unwrap_or_default();
        let super_options = right.nth(1).unwrap_or_default();
        if fstype != "cgroup" && fstype != "cgroup2" {
            continue;
        }
        let Some(mount_point) = left.split_whitespace().nth(4) else { continue };
        let dir = PathBuf::from(mount_point).join(root.trim_start_matches('/'));
        mkdir(&dir)?;
        created += 1;
        if fstype == "cgroup" && super_options.split(',').any(|o| o == "cpuset") {
            // A v1 cpuset child starts with no CPUs and no memory nodes: nothing could join it.
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let value = std::fs::read_to_string(Path::new(mount_point).join(file))
                    .map_err(|e| Error::io(format!("reading {mount_point}/{file}"), e))?;
                write(&dir.join(file), value.trim())?;
            }
        }
    }
    if created == 0 {
        return Err(Error::Startup("no cgroup hierarchy is mounted".into()));
    }
    Ok(())
}

fn containerd_config(dir: &Path, bin: &Path) -> String {
    let d = dir.display();
    let b = bin.display();
    format!(
        r#"# containerd of one real node (src/local_cluster/real_node.rs); see docs/real-nodes-bringup.md.
version = 4
root = "{d}/containerd/root"
state = "{d}/containerd/state"
disabled_plugins = [
  "io.containerd.nri.v1.nri",
  "io.containerd.internal.v1.opt",
  "io.containerd.image-verifier.v1.bindir",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.erofs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.differ.v1.erofs",
  "io.containerd.mount-handler.v1.erofs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
  "io.containerd.server.v1.grpc-tcp",
]

[debug]
  level = "info"

[plugins."io.containerd.server.v1.grpc"]
  address = "{d}/containerd.sock"
[plugins."io.containerd.server.v1.ttrpc"]
  address = "{d}/containerd.sock.ttrpc"
[plugins."io.containerd.server.v1.debug"]
  address = ""
[plugins."io.containerd.server.v1.metrics"]
  address = ""

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "{SANDBOX_IMAGE}"
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = "{d}/certs.d"

[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "{b}/runc"
        Root = "{d}/runc"
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["{b}/cni"]
    conf_dir = "{d}/cni"
    max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.transfer.v1.local"]
  config_path = "{d}/certs.d"
"#
    )
}

fn cni_config(network: &str, bridge: &str, subnet: &str, gateway: &str, dir: &Path) -> String {
    serde_json::json!({
        "cniVersion": "1.0.0",
        "name": network,
        "plugins": [
            {
                "type": "bridge",
                "bridge": bridge,
                "isGateway": true,
                "ipMasq": false,
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "dataDir": dir.join("cni-ipam"),
                    "ranges": [[{ "subnet": subnet, "gateway": gateway }]],
                    "routes": [{ "dst": "0.0.0.0/0" }],
                },
            },
            { "type": "portmap", "backend": "nftables", "capabilities": { "portMappings": true } },
        ],
    })
    .to_string()
}

fn hosts_toml(mirror: &Mirror) -> String {
    let endpoint = mirror.endpoint.trim_end_matches('/');
    let mut toml = format!(
        "server = \"https://{host}\"\n\n[host.\"{endpoint}/v2/{host}\"]\n  capabilities = [\"pull\", \"resolve\"]\n  override_path = true\n",
        host = mirror.host,
    );
    if let Some(authorization) = &mirror.authorization {
        toml.push_str(&format!(
            "  [host.\"{endpoint}/v2/{host}\".header]\n    Authorization = [\"{authorization}\"]\n",
            host = mirror.host
        ));
    }
    toml
}

fn kubelet_config(
    dir: &Path,
    cgroup_root: &str,
    node_ip: &str,
    port: u16,
    client_ca: &Path,
    cluster_dns: Option<&str>,
) -> Result<String, Error> {
    let d = path_str(dir)?;
    let ca = path_str(client_ca)?;
    let dns = match cluster_dns {
        Some(ip) => format!("clusterDNS: [{ip}]\nclusterDomain: {}\n", service_network::CLUSTER_DOMAIN),
        None => String::new(),
    };
    Ok(format!(
        "apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: {cgroup_root}
failSwapOn: false
containerRuntimeEndpoint: unix://{d}/containerd.sock
address: {node_ip}
port: {port}
readOnlyPort: 0
healthzPort: 0
podLogsDir: {d}/pod-logs
staticPodPath: \"\"
makeIPTablesUtilChains: false
imagePullCredentialsVerificationPolicy: NeverVerifyPreloadedImages
serializeImagePulls: false
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: {ca}
authorization:
  mode: Webhook
evictionHard:
  memory.available: \"50Mi\"
  nodefs.available: \"1%\"
  imagefs.available: \"1%\"
  nodefs.inodesFree: \"1%\"
resolvConf: /etc/resolv.conf
{dns}"
    ))
}

fn sysctl_path(key: &str) -> PathBuf {
    Path::new("/proc/sys").join(key.replace('.', "/"))
}

fn run(program: &str, args: &[&str]) -> Result<(), Error> {
    run_program(Path::new(program), args)
}

fn run_program(program: &Path, args: &[&str]) -> Result<(), Error> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| Error::io(format!("running {}", program.display()), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::Startup(format!(
            "{} {} failed: {}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

fn command_output(program: &str, args: &[&str]) -> Result<String, Error> {
    let output = Command::new(program).args(args).output().map_err(|e| Error::io(format!("running {program}"), e))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn mkdir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))
}

fn write(path: &Path, content: &str) -> Result<(), Error> {
    std::fs::write(path, content).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

fn path_str(path: &Path) -> Result<&str, Error> {
    path.to_str().ok_or_else(|| Error::Startup(format!("path is not UTF-8: {}", path.display())))
}

fn file_name(path: &Path) -> Result<&str, Error> {
    path.file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Startup(format!("no directory name in {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_toml_namespaces_the_registry_by_host() {
        let mirror =
            Mirror { host: "public.ecr.aws".into(), endpoint: "http://127.0.0.1:5000/".into(), authorization: None };
        assert_eq!(
            hosts_toml(&mirror),
            "server = \"https://public.ecr.aws\"\n\n[host.\"http://127.0.0.1:5000/v2/public.ecr.aws\"]\n  \
             capabilities = [\"pull\", \"resolve\"]\n  override_path = true\n"
        );
        let ecr = Mirror {
            host: "e.example".into(),
            endpoint: "http://r:1".into(),
            authorization: Some("Basic QQ==".into()),
        };
        assert!(
            hosts_toml(&ecr).ends_with(
                "override_path = true\n  [host.\"http://r:1/v2/e.example\".header]\n    Authorization = [\"Basic QQ==\"]\n"
            ),
            "{}",
            hosts_toml(&ecr)
        );
    }
}
