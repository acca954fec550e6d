//! The task security policy of an EcsCluster: which Pod Security level the Pods of its Tasks and
//! Services are held to, and the exceptions the cluster grants.
//!
//! The operator creates Pods with its own ServiceAccount, so whoever may create a Task could otherwise
//! get Pods that Pod Security admission and RBAC would refuse them directly. In ECS, IAM decides who
//! may register a privileged task definition; here the cluster's owner (EcsCluster is cluster-scoped,
//! so editing it is a cluster-admin decision) decides which exceptions its tasks get.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Kubernetes Pod Security Standards level.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    /// No restrictions (Pod Security `privileged`).
    Privileged,
    /// Known privilege escalations refused (Pod Security `baseline`): no privileged containers, host
    /// namespaces, hostPath volumes, host ports, extra capabilities or unsafe sysctls.
    #[default]
    Baseline,
    /// Baseline plus current hardening practice (Pod Security `restricted`): not as root, no privilege
    /// escalation, every capability dropped but NET_BIND_SERVICE, the runtime's seccomp profile, only
    /// ephemeral and Kubernetes-provided volume types.
    Restricted,
}

impl PodSecurityLevel {
    /// The name Pod Security admission uses (`pod-security.kubernetes.io/enforce` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Privileged => "privileged",
            Self::Baseline => "baseline",
            Self::Restricted => "restricted",
        }
    }

    /// Parses a `pod-security.kubernetes.io/enforce` label value.
    pub fn from_label(value: &str) -> Option<Self> {
        match value {
            "privileged" => Some(Self::Privileged),
            "baseline" => Some(Self::Baseline),
            "restricted" => Some(Self::Restricted),
            _ => None,
        }
    }
}

/// What the Pods of this cluster's Tasks and Services may do. Defaults to Pod Security `baseline`
/// with no exceptions. A Task or Service that needs more is refused (`Valid=False`, `Stalled=True`,
/// an Event) with a message naming the field, the rule and the setting here that would allow it. A
/// namespace's own `pod-security.kubernetes.io/enforce` label applies as well: the stricter wins, and
/// the exceptions below never override the namespace's level.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskSecurityPolicy {
    /// `baseline` (default), `restricted` (stricter: tasks also run hardened and never as root) or
    /// `privileged` (everything allowed; for clusters whose every task author is trusted with root on
    /// the nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<PodSecurityLevel>,
    /// Allow `privileged: true` containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_privileged: Option<bool>,
    /// Allow `networkMode: host` (the node's network, and host ports equal to the container ports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_host_network: Option<bool>,
    /// Allow `pidMode: host` (the node's process namespace).
    #[serde(rename = "allowHostPID", default, skip_serializing_if = "Option::is_none")]
    pub allow_host_pid: Option<bool>,
    /// Allow `ipcMode: host` (the node's IPC namespace).
    #[serde(rename = "allowHostIPC", default, skip_serializing_if = "Option::is_none")]
    pub allow_host_ipc: Option<bool>,
    /// Allow `portMappings[].hostPort` (ports bound on the container instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_host_ports: Option<bool>,
    /// Host paths that `volumes[].host.sourcePath` may name: each entry allows that directory and
    /// everything below it (`/var/log` allows `/var/log/app`, not `/var/logs`). Empty: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_host_paths: Vec<String>,
    /// Linux capabilities `linuxParameters.capabilities.add` may name beyond the level's own list
    /// (names without `CAP_`, e.g. `NET_ADMIN`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_capabilities: Vec<String>,
    /// Sysctls `systemControls` may set beyond Kubernetes' safe set (e.g. `net.core.somaxconn`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_sysctls: Vec<String>,
}

impl TaskSecurityPolicy {
    /// The level in force (`baseline` when omitted).
    pub fn level(&self) -> PodSecurityLevel {
        self.level.unwrap_or_default()
    }
}

/// The namespace label Pod Security admission enforces.
pub const POD_SECURITY_ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
