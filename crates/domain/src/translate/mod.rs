//! Translation of a task-definition revision (plus a Task's overrides) into a pod template: the one
//! mapping shared by Tasks and Services. Pure: no client. Every field is either mapped or listed in
//! `unsupported` with its JSON path, never silently dropped (docs/mapping.md has the table).

mod containers;
pub mod depends_on;
pub mod env;
pub mod health;
pub use crate::api::names;
pub mod resources;
mod volumes;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, LocalObjectReference, PodDNSConfig, PodSecurityContext, PodSpec, PodTemplateSpec, Sysctl, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::api::task::TaskOverride;
use crate::api::task_definition::TaskDefinitionSpec;

pub use names::kubernetes_container_name;

pub use crate::labels::{
    CONTAINER_NAMES_ANNOTATION, DOCKER_LABEL_PREFIX, FAMILY_LABEL, IRSA_ANNOTATION, REVISION_LABEL,
    TASK_DEFINITION_ANNOTATION, TASK_ROLE_ANNOTATION,
};

/// What the pod is for: a standalone Task never restarts containers; a Service's pods are managed by
/// a Deployment/DaemonSet, which requires restartPolicy Always.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodPurpose {
    Task,
    Service,
}

/// Where the pod may run, computed from the EcsCluster by `cluster::placement`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placement {
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<Affinity>,
}

/// Everything a translation needs.
pub struct PodInputs<'a> {
    pub task_definition: &'a TaskDefinitionSpec,
    /// `family:revision`.
    pub task_definition_ref: &'a str,
    pub overrides: Option<&'a TaskOverride>,
    pub placement: &'a Placement,
    pub purpose: PodPurpose,
}

/// The result: the template, the ECS <-> Kubernetes container mapping, and what was not applied.
#[derive(Clone, Debug, PartialEq)]
pub struct TranslatedPod {
    pub template: PodTemplateSpec,
    pub containers: Vec<ContainerMapping>,
    pub unsupported: Vec<String>,
}

/// One ECS container and where it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerMapping {
    pub ecs_name: String,
    pub kubernetes_name: String,
    pub essential: bool,
    pub image: String,
    pub has_health_check: bool,
    /// Seconds after start when a health check that never passed counts as UNHEALTHY.
    pub unhealthy_after: Option<i64>,
    pub kind: ContainerKind,
}

/// Where a container ended up in the pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// A regular container.
    Main,
    /// An init container others wait for (COMPLETE/SUCCESS dependency).
    InitRunToCompletion,
    /// A native sidecar others wait to start or be healthy (START/HEALTHY dependency).
    Sidecar,
}

/// Why a definition cannot be translated.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error("containerDefinitions: dependsOn forms a cycle through {0:?}")]
    DependencyCycle(Vec<String>),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

/// Translates a revision into a pod template.
pub fn pod_template(inputs: &PodInputs) -> Result<TranslatedPod, TranslateError> {
    let td = inputs.task_definition;
    let mut unsupported = task_level_unsupported(td);
    let order = depends_on::plan(&td.container_definitions).map_err(TranslateError::DependencyCycle)?;
    let volumes = volumes::pod_volumes(td, &mut unsupported);
    let built = containers::build_all(td, inputs.overrides, &order, inputs.purpose, &volumes, &mut unsupported)?;
    let mut pod_volumes = volumes.pod_volumes.clone();
    pod_volumes.extend(built.extra_volumes.iter().cloned());

    let mut annotations = BTreeMap::new();
    annotations.insert(TASK_DEFINITION_ANNOTATION.to_string(), inputs.task_definition_ref.to_string());
    let names: BTreeMap<&str, &str> =
        built.mappings.iter().map(|m| (m.kubernetes_name.as_str(), m.ecs_name.as_str())).collect();
    annotations.insert(CONTAINER_NAMES_ANNOTATION.to_string(), serde_json::to_string(&names).unwrap_or_default());
    for c in &td.container_definitions {
        for (key, value) in &c.docker_labels {
            annotations.insert(docker_label_annotation(key), value.clone());
        }
    }
    let task_role = inputs.overrides.and_then(|o| o.task_role_arn.clone()).or_else(|| td.task_role_arn.clone());
    if let Some(role) = &task_role {
        annotations.insert(TASK_ROLE_ANNOTATION.to_string(), role.clone());
    }
    let (family, revision) = inputs.task_definition_ref.rsplit_once(':').unwrap_or((inputs.task_definition_ref, ""));
    let labels = BTreeMap::from([
        (FAMILY_LABEL.to_string(), crate::labels::value(family)),
        (REVISION_LABEL.to_string(), revision.to_string()),
    ]);

    let mut node_selector = inputs.placement.node_selector.clone();
    if let Some(platform) = &td.runtime_platform {
        if let Some(arch) = &platform.cpu_architecture {
            node_selector.insert(
                "kubernetes.io/arch".into(),
                if arch.eq_ignore_ascii_case("ARM64") { "arm64" } else { "amd64" }.into(),
            );
        }
        if let Some(os) = &platform.operating_system_family {
            node_selector
                .insert("kubernetes.io/os".into(), if os.starts_with("WINDOWS") { "windows" } else { "linux" }.into());
        }
    }
    let sysctls: Vec<Sysctl> = td
        .container_definitions
        .iter()
        .flat_map(|c| c.system_controls.iter())
        .filter_map(|s| Some(Sysctl { name: s.namespace.clone()?, value: s.value.clone().unwrap_or_default() }))
        .collect();
    let dns_servers: Vec<String> = td.container_definitions.iter().flat_map(|c| c.dns_servers.clone()).collect();
    let dns_searches: Vec<String> =
        td.container_definitions.iter().flat_map(|c| c.dns_search_domains.clone()).collect();
    let host_network = td.network_mode.as_deref() == Some("host");
    let pull_secrets: Vec<LocalObjectReference> = td
        .container_definitions
        .iter()
        .filter_map(|c| c.repository_credentials.as_ref())
        .map(|r| names::dns_label(names::arn_tail(&r.credentials_parameter), 253))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|name| LocalObjectReference { name })
        .collect();
    let cpu = inputs
        .overrides
        .and_then(|o| o.cpu.clone())
        .map(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String)
        .or_else(|| td.cpu.clone());
    let memory = inputs
        .overrides
        .and_then(|o| o.memory.clone())
        .map(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String)
        .or_else(|| td.memory.clone());
    let task_resources = resources::task_resources(
        cpu.as_ref().and_then(resources::parse_task_cpu),
        memory.as_ref().and_then(resources::parse_task_memory),
    );

    let spec = PodSpec {
        containers: built.main,
        init_containers: (!built.init.is_empty()).then_some(built.init),
        volumes: (!pod_volumes.is_empty()).then_some(pod_volumes),
        restart_policy: Some(
            match inputs.purpose {
                PodPurpose::Task => "Never",
                PodPurpose::Service => "Always",
            }
            .into(),
        ),
        termination_grace_period_seconds: Some(built.grace_seconds),
        host_network: host_network.then_some(true),
        dns_policy: host_network.then(|| "ClusterFirstWithHostNet".to_string()),
        dns_config: (!dns_servers.is_empty() || !dns_searches.is_empty()).then(|| PodDNSConfig {
            nameservers: (!dns_servers.is_empty()).then_some(dns_servers),
            searches: (!dns_searches.is_empty()).then_some(dns_searches),
            options: None,
        }),
        host_aliases: (!built.host_aliases.is_empty()).then_some(built.host_aliases),
        host_pid: (td.pid_mode.as_deref() == Some("host")).then_some(true),
        share_process_namespace: (td.pid_mode.as_deref() == Some("task")).then_some(true),
        host_ipc: (td.ipc_mode.as_deref() == Some("host")).then_some(true),
        security_context: (!sysctls.is_empty())
            .then(|| PodSecurityContext { sysctls: Some(sysctls), ..Default::default() }),
        image_pull_secrets: (!pull_secrets.is_empty()).then_some(pull_secrets),
        service_account_name: task_role.as_deref().and_then(task_role_service_account).map(|(name, _)| name),
        node_selector: (!node_selector.is_empty()).then_some(node_selector),
        tolerations: (!inputs.placement.tolerations.is_empty()).then(|| inputs.placement.tolerations.clone()),
        affinity: inputs.placement.affinity.clone(),
        resources: task_resources,
        enable_service_links: Some(false),
        ..Default::default()
    };
    unsupported.sort();
    unsupported.dedup();
    Ok(TranslatedPod {
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta { labels: Some(labels), annotations: Some(annotations), ..Default::default() }),
            spec: Some(spec),
        },
        containers: built.mappings,
        unsupported,
    })
}

/// The pod annotation key for a docker label: the label key if it is a valid annotation name part,
/// otherwise a DNS-safe form of it with a hash.
pub fn docker_label_annotation(key: &str) -> String {
    let valid = !key.is_empty()
        && key.len() <= 63
        && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && key.starts_with(|c: char| c.is_ascii_alphanumeric())
        && key.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        format!("{DOCKER_LABEL_PREFIX}{key}")
    } else {
        format!("{DOCKER_LABEL_PREFIX}{}", names::dns_label(key, 63))
    }
}

/// The ServiceAccount for a task role (`arn:aws:iam::123:role/path/my-app` -> `ecs-task-role-my-app`)
/// and its annotations (EKS IRSA binds the role to the account).
pub fn task_role_service_account(arn: &str) -> Option<(String, BTreeMap<String, String>)> {
    let role = names::arn_tail(arn);
    if role.is_empty() {
        return None;
    }
    let name = names::dns_label(&format!("ecs-task-role-{role}"), 253);
    Some((name, BTreeMap::from([(IRSA_ANNOTATION.to_string(), arn.to_string())])))
}

fn task_level_unsupported(td: &TaskDefinitionSpec) -> Vec<String> {
    let mut out = Vec::new();
    let mut flag = |present: bool, path: &str| {
        if present {
            out.push(path.to_string());
        }
    };
    flag(td.execution_role_arn.is_some(), "executionRoleArn");
    flag(td.proxy_configuration.is_some(), "proxyConfiguration");
    flag(!td.inference_accelerators.is_empty(), "inferenceAccelerators");
    flag(td.ephemeral_storage.is_some(), "ephemeralStorage");
    flag(td.enable_fault_injection == Some(true), "enableFaultInjection");
    flag(td.ipc_mode.as_deref() == Some("task") || td.ipc_mode.as_deref() == Some("none"), "ipcMode");
    flag(!td.tags.is_empty(), "tags");
    flag(td.network_mode.as_deref() == Some("none"), "networkMode");
    out
}
