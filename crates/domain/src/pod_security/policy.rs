//! The decision: may this Pod run for this task, under its cluster's task security policy and its
//! namespace's Pod Security level? Pure: the caller brings the policy and the namespace's label.
//!
//! The stricter of the two levels decides the hardening and the checks. The cluster's exceptions
//! (allowPrivileged, allowedHostPaths, ...) lift only the cluster's own refusals: a namespace that
//! enforces a level keeps it, as Pod Security admission would.

use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::core::v1::PodSpec;

use super::checks::{self, Violation};
use crate::api::task_definition::TaskDefinitionSpec;
use crate::api::task_security::{POD_SECURITY_ENFORCE_LABEL, PodSecurityLevel, TaskSecurityPolicy};
use crate::translate::ContainerMapping;

pub use crate::api::conditions::reasons::security as reasons;

/// What the decision needs besides the Pod.
pub struct SecurityInputs<'a> {
    pub cluster: &'a str,
    pub policy: &'a TaskSecurityPolicy,
    pub namespace: &'a str,
    /// The namespace's `pod-security.kubernetes.io/enforce` level, if it has a valid one.
    pub namespace_level: Option<PodSecurityLevel>,
    /// The definition the Pod was translated from (for ECS field names in messages).
    pub task_definition: &'a TaskDefinitionSpec,
    pub containers: &'a [ContainerMapping],
}

/// Why a task may not run: the reason constant and a message naming each field, rule and setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityRefusal {
    pub reason: &'static str,
    pub message: String,
}

/// The level the Pod is held to: the stricter of the cluster's and the namespace's.
pub fn effective_level(inputs: &SecurityInputs) -> PodSecurityLevel {
    inputs.policy.level().max(inputs.namespace_level.unwrap_or(PodSecurityLevel::Privileged))
}

/// Hardens `spec` for the effective level, then checks it. `Ok` means the Pod may be created as it
/// now is.
pub fn secure(spec: &mut PodSpec, inputs: &SecurityInputs) -> Result<(), SecurityRefusal> {
    if effective_level(inputs) == PodSecurityLevel::Restricted {
        super::harden::restricted(spec);
    }
    let namespace_level = inputs.namespace_level.unwrap_or(PodSecurityLevel::Privileged);
    let by_namespace = checks::check(spec, namespace_level);
    let by_cluster: Vec<Violation> = checks::check(spec, inputs.policy.level())
        .into_iter()
        .filter(|v| !allowed(v, spec, inputs.policy) && !by_namespace.contains(v))
        .collect();
    if !by_namespace.is_empty() {
        let mut parts: Vec<String> = by_namespace.iter().map(|v| describe(v, inputs)).collect();
        parts.extend(by_cluster.iter().map(|v| cluster_part(v, spec, inputs)));
        return Err(SecurityRefusal {
            reason: reasons::NAMESPACE_POD_SECURITY,
            message: format!(
                "namespace {:?} enforces Pod Security {:?} (label {POD_SECURITY_ENFORCE_LABEL}), which refuses this task: {}",
                inputs.namespace,
                namespace_level.as_str(),
                parts.join("; ")
            ),
        });
    }
    if !by_cluster.is_empty() {
        let parts: Vec<String> = by_cluster.iter().map(|v| cluster_part(v, spec, inputs)).collect();
        return Err(SecurityRefusal {
            reason: reasons::TASK_SECURITY_POLICY,
            message: format!(
                "the task security policy of cluster {:?} (level {:?}) refuses this task: {}",
                inputs.cluster,
                inputs.policy.level().as_str(),
                parts.join("; ")
            ),
        });
    }
    Ok(())
}

/// A cluster refusal: what, and the EcsCluster setting that would allow it.
fn cluster_part(violation: &Violation, spec: &PodSpec, inputs: &SecurityInputs) -> String {
    let setting = match allowing_setting(violation, spec) {
        Some(setting) => format!("spec.taskSecurity.{setting}"),
        None => "spec.taskSecurity.level: baseline (or privileged)".into(),
    };
    format!("{} (allowed by EcsCluster {:?} {setting})", describe(violation, inputs), inputs.cluster)
}

/// `<ECS field>: <rule>`.
fn describe(violation: &Violation, inputs: &SecurityInputs) -> String {
    let container = |k8s: &str| {
        let ecs = inputs.containers.iter().find(|m| m.kubernetes_name == k8s).map_or(k8s, |m| m.ecs_name.as_str());
        format!("containerDefinitions[name={ecs}]")
    };
    let maybe_container = |c: &Option<String>| c.as_deref().map_or_else(|| "task".to_string(), container);
    let field = match violation {
        Violation::HostNetwork => "networkMode: host".to_string(),
        Violation::HostPid => "pidMode: host".into(),
        Violation::HostIpc => "ipcMode: host".into(),
        Violation::Privileged { container: c } => format!("{}.privileged: true", container(c)),
        Violation::Capability { container: c, capability }
        | Violation::RestrictedCapability { container: c, capability } => {
            format!("{}.linuxParameters.capabilities.add: {capability}", container(c))
        }
        Violation::HostPathVolume { path, .. } => format!("{}.host.sourcePath: {path}", ecs_volume(path, inputs)),
        Violation::VolumeType { volume } => format!("volume {volume}"),
        Violation::HostPort { container: c, port } => format!("{}.portMappings.hostPort: {port}", container(c)),
        Violation::UnsafeSysctl { name } => format!("systemControls: {name}"),
        Violation::RunAsRoot { container: c } => format!("{}.user: 0", maybe_container(c)),
        Violation::PrivilegeEscalation { container: c }
        | Violation::RunAsNonRoot { container: c }
        | Violation::SeccompNotSet { container: c }
        | Violation::CapabilitiesNotDropped { container: c }
        | Violation::ProcMount { container: c } => container(c),
        Violation::SeccompUnconfined { container: c }
        | Violation::SeLinux { container: c }
        | Violation::AppArmorUnconfined { container: c }
        | Violation::WindowsHostProcess { container: c } => maybe_container(c),
    };
    format!("{field}: {}", violation.rule())
}

/// The ECS volume whose host path this is.
fn ecs_volume(path: &str, inputs: &SecurityInputs) -> String {
    let name = inputs.task_definition.volumes.iter().find_map(|v| {
        (v.host.as_ref().and_then(|h| h.source_path.as_deref()) == Some(path)).then(|| v.name.clone()).flatten()
    });
    format!("volumes[name={}]", name.unwrap_or_default())
}

/// The setting of `spec.taskSecurity` that lifts this violation, if one can.
fn allowing_setting(violation: &Violation, spec: &PodSpec) -> Option<String> {
    Some(match violation {
        Violation::HostNetwork => "allowHostNetwork: true".into(),
        // With host networking every port is a host port: the network exception covers them.
        Violation::HostPort { .. } if spec.host_network == Some(true) => "allowHostNetwork: true".into(),
        Violation::HostPort { .. } => "allowHostPorts: true".into(),
        Violation::HostPid => "allowHostPID: true".into(),
        Violation::HostIpc => "allowHostIPC: true".into(),
        Violation::Privileged { .. } => "allowPrivileged: true".into(),
        Violation::PrivilegeEscalation { container } if is_privileged(spec, container) => {
            "allowPrivileged: true".into()
        }
        Violation::Capability { capability, .. } | Violation::RestrictedCapability { capability, .. } => {
            format!("allowedCapabilities: [{capability}]")
        }
        Violation::HostPathVolume { path, .. } => format!("allowedHostPaths: [{path}]"),
        Violation::VolumeType { volume } => {
            let path = host_path(spec, volume)?;
            format!("allowedHostPaths: [{path}]")
        }
        Violation::UnsafeSysctl { name } => format!("allowedSysctls: [{name}]"),
        _ => return None,
    })
}

/// Whether the cluster's exceptions lift this violation.
fn allowed(violation: &Violation, spec: &PodSpec, policy: &TaskSecurityPolicy) -> bool {
    let yes = |flag: Option<bool>| flag == Some(true);
    match violation {
        Violation::HostNetwork => yes(policy.allow_host_network),
        Violation::HostPort { .. } => {
            yes(policy.allow_host_ports) || (spec.host_network == Some(true) && yes(policy.allow_host_network))
        }
        Violation::HostPid => yes(policy.allow_host_pid),
        Violation::HostIpc => yes(policy.allow_host_ipc),
        Violation::Privileged { .. } => yes(policy.allow_privileged),
        Violation::PrivilegeEscalation { container } => is_privileged(spec, container) && yes(policy.allow_privileged),
        Violation::Capability { capability, .. } | Violation::RestrictedCapability { capability, .. } => {
            policy.allowed_capabilities.iter().any(|c| c.trim_start_matches("CAP_") == capability)
        }
        Violation::HostPathVolume { path, .. } => host_path_allowed(path, &policy.allowed_host_paths),
        Violation::VolumeType { volume } => {
            host_path(spec, volume).is_some_and(|p| host_path_allowed(&p, &policy.allowed_host_paths))
        }
        Violation::UnsafeSysctl { name } => policy.allowed_sysctls.iter().any(|s| s == name),
        _ => false,
    }
}

fn is_privileged(spec: &PodSpec, container: &str) -> bool {
    spec.init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .any(|c| c.name == container && c.security_context.as_ref().and_then(|s| s.privileged) == Some(true))
}

fn host_path(spec: &PodSpec, volume: &str) -> Option<String> {
    spec.volumes.iter().flatten().find(|v| v.name == volume)?.host_path.as_ref().map(|h| h.path.clone())
}

/// Whether `path` is one of `prefixes` or below one, compared after resolving `.` and `..` (so
/// `/var/log/../../etc` is `/etc`). A relative path is never allowed.
pub fn host_path_allowed(path: &str, prefixes: &[String]) -> bool {
    let Some(path) = clean(path) else { return false };
    prefixes.iter().filter_map(|p| clean(p)).any(|prefix| path.starts_with(&prefix))
}

/// The absolute, lexically cleaned form of `path` (`Path::starts_with` then compares whole components).
fn clean(path: &str) -> Option<PathBuf> {
    let path = Path::new(path);
    if !path.is_absolute() {
        return None;
    }
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}
