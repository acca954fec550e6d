//! The Kubernetes Pod Security Standards checks, evaluated on a PodSpec: what Pod Security admission
//! would refuse at a given level. Pure: no client.
//!
//! The checks follow the "latest" version of the standards (kubernetes.io/docs/concepts/security/
//! pod-security-standards). They run on the Pod kube-ecs is about to create, not on the ECS fields,
//! so that no route through the translation can produce a Pod the level forbids.

use k8s_openapi::api::core::v1::{Container, PodSpec, SecurityContext};

use crate::api::task_security::PodSecurityLevel;

/// Capabilities the baseline level lets a container add (Docker's default set).
pub const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls the baseline level allows (namespaced and isolated from the node).
pub const SAFE_SYSCTLS: [&str; 10] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Volume types the restricted level allows.
const RESTRICTED_VOLUME_TYPES: &str =
    "configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret";

/// One thing a level forbids, with where in the Pod it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Violation {
    // Baseline.
    HostNetwork,
    HostPid,
    HostIpc,
    Privileged { container: String },
    Capability { container: String, capability: String },
    HostPathVolume { volume: String, path: String },
    HostPort { container: String, port: i32 },
    UnsafeSysctl { name: String },
    SeccompUnconfined { container: Option<String> },
    ProcMount { container: String },
    SeLinux { container: Option<String> },
    AppArmorUnconfined { container: Option<String> },
    WindowsHostProcess { container: Option<String> },
    // Restricted.
    VolumeType { volume: String },
    PrivilegeEscalation { container: String },
    RunAsNonRoot { container: String },
    RunAsRoot { container: Option<String> },
    SeccompNotSet { container: String },
    CapabilitiesNotDropped { container: String },
    RestrictedCapability { container: String, capability: String },
}

impl Violation {
    /// The rule, in Pod Security's words.
    pub fn rule(&self) -> String {
        match self {
            Self::HostNetwork => "host networking is not allowed (hostNetwork)".into(),
            Self::HostPid => "the host's process namespace is not allowed (hostPID)".into(),
            Self::HostIpc => "the host's IPC namespace is not allowed (hostIPC)".into(),
            Self::Privileged { .. } => "privileged containers are not allowed".into(),
            Self::Capability { capability, .. } => format!(
                "capability {capability} is not allowed (baseline allows only {})",
                BASELINE_CAPABILITIES.join(", ")
            ),
            Self::HostPathVolume { path, .. } => format!("hostPath volumes are not allowed (path {path:?})"),
            Self::HostPort { port, .. } => format!("host ports are not allowed (hostPort {port})"),
            Self::UnsafeSysctl { name } => {
                format!("sysctl {name} is not in the safe set ({})", SAFE_SYSCTLS.join(", "))
            }
            Self::SeccompUnconfined { .. } => "seccomp profile Unconfined is not allowed".into(),
            Self::ProcMount { .. } => "procMount must be Default".into(),
            Self::SeLinux { .. } => "custom SELinux user, role or type is not allowed".into(),
            Self::AppArmorUnconfined { .. } => "AppArmor profile Unconfined is not allowed".into(),
            Self::WindowsHostProcess { .. } => "Windows HostProcess containers are not allowed".into(),
            Self::VolumeType { .. } => format!("only volume types {RESTRICTED_VOLUME_TYPES} are allowed"),
            Self::PrivilegeEscalation { .. } => "allowPrivilegeEscalation must be false".into(),
            Self::RunAsNonRoot { .. } => "runAsNonRoot must be true".into(),
            Self::RunAsRoot { .. } => "running as root (user 0) is not allowed".into(),
            Self::SeccompNotSet { .. } => "a seccomp profile (RuntimeDefault or Localhost) must be set".into(),
            Self::CapabilitiesNotDropped { .. } => "capabilities must drop ALL".into(),
            Self::RestrictedCapability { capability, .. } => {
                format!("capability {capability} is not allowed (restricted allows only NET_BIND_SERVICE)")
            }
        }
    }
}

/// Everything `level` forbids in `spec`, sorted.
pub fn check(spec: &PodSpec, level: PodSecurityLevel) -> Vec<Violation> {
    let mut found = Vec::new();
    if level >= PodSecurityLevel::Baseline {
        baseline(spec, &mut found);
    }
    if level >= PodSecurityLevel::Restricted {
        restricted(spec, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

/// Every container of the pod: init, regular and ephemeral (the standards check all three).
fn containers(spec: &PodSpec) -> impl Iterator<Item = (&str, Option<&SecurityContext>, &Container)> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .map(|c| (c.name.as_str(), c.security_context.as_ref(), c))
}

fn baseline(spec: &PodSpec, found: &mut Vec<Violation>) {
    let pod = spec.security_context.as_ref();
    if spec.host_network == Some(true) {
        found.push(Violation::HostNetwork);
    }
    if spec.host_pid == Some(true) {
        found.push(Violation::HostPid);
    }
    if spec.host_ipc == Some(true) {
        found.push(Violation::HostIpc);
    }
    for volume in spec.volumes.iter().flatten() {
        if let Some(host) = &volume.host_path {
            found.push(Violation::HostPathVolume { volume: volume.name.clone(), path: host.path.clone() });
        }
    }
    for sysctl in pod.and_then(|p| p.sysctls.as_ref()).into_iter().flatten() {
        if !SAFE_SYSCTLS.contains(&sysctl.name.as_str()) {
            found.push(Violation::UnsafeSysctl { name: sysctl.name.clone() });
        }
    }
    if pod.and_then(|p| p.seccomp_profile.as_ref()).is_some_and(|s| s.type_ == "Unconfined") {
        found.push(Violation::SeccompUnconfined { container: None });
    }
    if pod.and_then(|p| p.app_armor_profile.as_ref()).is_some_and(|a| a.type_ == "Unconfined") {
        found.push(Violation::AppArmorUnconfined { container: None });
    }
    if pod.and_then(|p| p.se_linux_options.as_ref()).is_some_and(selinux_forbidden) {
        found.push(Violation::SeLinux { container: None });
    }
    if pod.and_then(|p| p.windows_options.as_ref()).and_then(|w| w.host_process) == Some(true) {
        found.push(Violation::WindowsHostProcess { container: None });
    }
    for (name, security, container) in containers(spec) {
        let container_name = || name.to_string();
        for port in container.ports.iter().flatten() {
            if let Some(host_port) = port.host_port.filter(|p| *p != 0) {
                found.push(Violation::HostPort { container: container_name(), port: host_port });
            }
        }
        let Some(security) = security else { continue };
        if security.privileged == Some(true) {
            found.push(Violation::Privileged { container: container_name() });
        }
        for capability in security.capabilities.as_ref().and_then(|c| c.add.as_ref()).into_iter().flatten() {
            let bare = capability.trim_start_matches("CAP_");
            if !BASELINE_CAPABILITIES.contains(&bare) {
                found.push(Violation::Capability { container: container_name(), capability: bare.to_string() });
            }
        }
        if security.seccomp_profile.as_ref().is_some_and(|s| s.type_ == "Unconfined") {
            found.push(Violation::SeccompUnconfined { container: Some(container_name()) });
        }
        if security.app_armor_profile.as_ref().is_some_and(|a| a.type_ == "Unconfined") {
            found.push(Violation::AppArmorUnconfined { container: Some(container_name()) });
        }
        if security.proc_mount.as_deref().is_some_and(|m| m != "Default") {
            found.push(Violation::ProcMount { container: container_name() });
        }
        if security.se_linux_options.as_ref().is_some_and(selinux_forbidden) {
            found.push(Violation::SeLinux { container: Some(container_name()) });
        }
        if security.windows_options.as_ref().and_then(|w| w.host_process) == Some(true) {
            found.push(Violation::WindowsHostProcess { container: Some(container_name()) });
        }
    }
}

fn selinux_forbidden(options: &k8s_openapi::api::core::v1::SELinuxOptions) -> bool {
    const TYPES: [&str; 4] = ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"];
    options.user.as_deref().is_some_and(|u| !u.is_empty())
        || options.role.as_deref().is_some_and(|r| !r.is_empty())
        || options.type_.as_deref().is_some_and(|t| !t.is_empty() && !TYPES.contains(&t))
}

fn restricted(spec: &PodSpec, found: &mut Vec<Violation>) {
    let pod = spec.security_context.as_ref();
    for volume in spec.volumes.iter().flatten() {
        let allowed = volume.config_map.is_some()
            || volume.csi.is_some()
            || volume.downward_api.is_some()
            || volume.empty_dir.is_some()
            || volume.ephemeral.is_some()
            || volume.persistent_volume_claim.is_some()
            || volume.projected.is_some()
            || volume.secret.is_some();
        if !allowed {
            found.push(Violation::VolumeType { volume: volume.name.clone() });
        }
    }
    let pod_non_root = pod.and_then(|p| p.run_as_non_root) == Some(true);
    let pod_seccomp = pod.and_then(|p| p.seccomp_profile.as_ref()).is_some_and(|s| confined(&s.type_));
    if pod.and_then(|p| p.run_as_user) == Some(0) {
        found.push(Violation::RunAsRoot { container: None });
    }
    for (name, security, _) in containers(spec) {
        let container = || name.to_string();
        let security = security.cloned().unwrap_or_default();
        if security.allow_privilege_escalation != Some(false) {
            found.push(Violation::PrivilegeEscalation { container: container() });
        }
        let non_root = match security.run_as_non_root {
            Some(value) => value,
            None => pod_non_root,
        };
        if !non_root {
            found.push(Violation::RunAsNonRoot { container: container() });
        }
        if security.run_as_user == Some(0) {
            found.push(Violation::RunAsRoot { container: Some(container()) });
        }
        let seccomp = match &security.seccomp_profile {
            Some(profile) => confined(&profile.type_),
            None => pod_seccomp,
        };
        if !seccomp {
            found.push(Violation::SeccompNotSet { container: container() });
        }
        let capabilities = security.capabilities.unwrap_or_default();
        if !capabilities.drop.iter().flatten().any(|c| c == "ALL") {
            found.push(Violation::CapabilitiesNotDropped { container: container() });
        }
        for capability in capabilities.add.iter().flatten() {
            let bare = capability.trim_start_matches("CAP_");
            // One outside baseline's list is already reported by the baseline check.
            if bare != "NET_BIND_SERVICE" && BASELINE_CAPABILITIES.contains(&bare) {
                found.push(Violation::RestrictedCapability { container: container(), capability: bare.to_string() });
            }
        }
    }
}

fn confined(profile: &str) -> bool {
    profile == "RuntimeDefault" || profile == "Localhost"
}
