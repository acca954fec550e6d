//! One ECS container definition (with overrides) as one Kubernetes container.

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, HostAlias, SecurityContext, Volume, VolumeMount,
};

use super::depends_on::Placement as Order;
use super::volumes::{self, Volumes};
use super::{ContainerKind, ContainerMapping, TranslateError, env, health, names, resources};
use crate::api::task::{ContainerOverride, TaskOverride};
use crate::api::task_definition::{ContainerDefinition, TaskDefinitionSpec};

/// ECS's default stopTimeout.
pub const DEFAULT_STOP_TIMEOUT: i64 = 30;

pub struct Built {
    pub main: Vec<Container>,
    pub init: Vec<Container>,
    pub mappings: Vec<ContainerMapping>,
    pub grace_seconds: i64,
    pub host_aliases: Vec<HostAlias>,
    /// Memory-backed volumes for tmpfs mounts and /dev/shm sizes.
    pub extra_volumes: Vec<Volume>,
}

pub fn build_all(
    td: &TaskDefinitionSpec,
    overrides: Option<&TaskOverride>,
    order: &[Order],
    purpose: super::PodPurpose,
    volumes: &Volumes,
    unsupported: &mut Vec<String>,
) -> Result<Built, TranslateError> {
    let mut built = Built {
        main: Vec::new(),
        init: Vec::new(),
        mappings: Vec::new(),
        grace_seconds: DEFAULT_STOP_TIMEOUT,
        host_aliases: Vec::new(),
        extra_volumes: Vec::new(),
    };
    let mut extra_volumes: Vec<Volume> = Vec::new();
    let mut max_stop = None;
    for placement in order {
        let def = &td.container_definitions[placement.index];
        let path = format!("containerDefinitions[{}]", placement.index);
        let over = overrides.and_then(|o| o.container_overrides.iter().find(|c| c.name == def.name));
        let mut container = build(def, over, &path, td, volumes, &mut extra_volumes, unsupported)?;
        if let Some(check) = &def.health_check {
            container.readiness_probe = health::readiness_probe(check);
            // Service tasks that turn UNHEALTHY are replaced (ECS): the kubelet restarts the container,
            // and the Service controller replaces a task whose essential container restarted.
            // Standalone tasks only report health.
            if purpose == super::PodPurpose::Service && def.essential.unwrap_or(true) {
                container.liveness_probe = health::readiness_probe(check);
            }
            container.startup_probe = health::startup_probe(check, placement.healthy_gate);
        }
        if placement.kind == ContainerKind::Sidecar {
            container.restart_policy = Some("Always".into());
        }
        for (ip, hosts) in def.extra_hosts.iter().map(|h| (h.ip_address.clone(), h.hostname.clone())) {
            match built.host_aliases.iter_mut().find(|a| a.ip == ip) {
                Some(alias) => alias.hostnames.get_or_insert_with(Vec::new).push(hosts),
                None => built.host_aliases.push(HostAlias { ip, hostnames: Some(vec![hosts]) }),
            }
        }
        max_stop = max_stop.max(def.stop_timeout);
        built.mappings.push(ContainerMapping {
            ecs_name: def.name.clone(),
            kubernetes_name: container.name.clone(),
            essential: def.essential.unwrap_or(true),
            image: def.image.clone(),
            has_health_check: def.health_check.is_some(),
            unhealthy_after: def.health_check.as_ref().map(health::unhealthy_after),
            kind: placement.kind,
        });
        match placement.kind {
            ContainerKind::Main => built.main.push(container),
            ContainerKind::InitRunToCompletion | ContainerKind::Sidecar => built.init.push(container),
        }
    }
    // The mapping keeps definition order, whatever the pod's order.
    built.mappings.sort_by_key(|m| td.container_definitions.iter().position(|c| c.name == m.ecs_name));
    built.grace_seconds = max_stop.unwrap_or(DEFAULT_STOP_TIMEOUT);
    built.extra_volumes = extra_volumes;
    Ok(built)
}

fn build(
    def: &ContainerDefinition,
    over: Option<&ContainerOverride>,
    path: &str,
    td: &TaskDefinitionSpec,
    volumes: &Volumes,
    extra_volumes: &mut Vec<Volume>,
    unsupported: &mut Vec<String>,
) -> Result<Container, TranslateError> {
    let name = names::kubernetes_container_name(&def.name);
    let mut flag = |present: bool, field: &str| {
        if present {
            unsupported.push(format!("{path}.{field}"));
        }
    };
    flag(def.log_configuration.is_some(), "logConfiguration");
    flag(!def.links.is_empty(), "links");
    flag(def.hostname.is_some(), "hostname");
    flag(def.disable_networking == Some(true), "disableNetworking");
    flag(!def.docker_security_options.is_empty(), "dockerSecurityOptions");
    flag(!def.ulimits.is_empty(), "ulimits");
    flag(def.firelens_configuration.is_some(), "firelensConfiguration");
    flag(!def.credential_specs.is_empty(), "credentialSpecs");
    flag(def.restart_policy.as_ref().is_some_and(|r| r.enabled), "restartPolicy");
    flag(def.start_timeout.is_some(), "startTimeout");
    flag(def.version_consistency.as_deref() == Some("enabled"), "versionConsistency");
    flag(def.resource_requirements.iter().any(|r| r.type_ != "GPU"), "resourceRequirements (InferenceAccelerator)");
    if let Some(lp) = &def.linux_parameters {
        flag(!lp.devices.is_empty(), "linuxParameters.devices");
        flag(lp.init_process_enabled == Some(true), "linuxParameters.initProcessEnabled");
        flag(lp.max_swap.is_some(), "linuxParameters.maxSwap");
        flag(lp.swappiness.is_some(), "linuxParameters.swappiness");
    }

    let mut env_vars =
        env::variables(def.environment.iter().chain(over.map(|o| o.environment.as_slice()).unwrap_or_default()));
    env_vars.extend(env::secrets(&def.secrets));
    let mut env_files = def.environment_files.clone();
    env_files.extend(over.map(|o| o.environment_files.clone()).unwrap_or_default());

    let ports: Vec<ContainerPort> = def
        .port_mappings
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            if p.container_port_range.is_some() {
                unsupported.push(format!("{path}.portMappings[{i}].containerPortRange"));
            }
            let port = p.container_port?;
            let host_network = td.network_mode.as_deref() == Some("host");
            Some(ContainerPort {
                container_port: port,
                host_port: if host_network { Some(port) } else { p.host_port.filter(|h| *h > 0) },
                protocol: Some(p.protocol.clone().unwrap_or_else(|| "tcp".into()).to_uppercase()),
                name: p.name.clone().filter(|n| is_port_name(n)),
                host_ip: None,
            })
        })
        .collect();

    let cpu = over.and_then(|o| o.cpu).or(def.cpu);
    let memory = over.and_then(|o| o.memory).or(def.memory);
    let reservation = over.and_then(|o| o.memory_reservation).or(def.memory_reservation);
    let gpu_requirements = over
        .map(|o| o.resource_requirements.as_slice())
        .filter(|r| !r.is_empty())
        .unwrap_or(&def.resource_requirements);
    let gpus =
        gpu_requirements.iter().filter(|r| r.type_ == "GPU").filter_map(|r| r.value.parse::<i64>().ok()).sum::<i64>();

    let mut mounts: Vec<VolumeMount> = Vec::new();
    for (i, m) in def.mount_points.iter().enumerate() {
        match (m.source_volume.as_ref().and_then(|v| volumes.names.get(v)), &m.container_path) {
            (Some(volume), Some(target)) => mounts.push(volumes::mount(volume, target, m.read_only == Some(true))),
            _ => unsupported.push(format!("{path}.mountPoints[{i}] (unknown sourceVolume)")),
        }
    }
    for from in &def.volumes_from {
        let Some(source) =
            from.source_container.as_ref().and_then(|s| td.container_definitions.iter().find(|c| &c.name == s))
        else {
            continue;
        };
        for m in &source.mount_points {
            if let (Some(volume), Some(target)) =
                (m.source_volume.as_ref().and_then(|v| volumes.names.get(v)), &m.container_path)
            {
                let read_only = from.read_only.unwrap_or(m.read_only == Some(true));
                mounts.push(volumes::mount(volume, target, read_only));
            }
        }
    }
    if let Some(lp) = &def.linux_parameters {
        if let Some(size) = lp.shared_memory_size {
            let volume = names::dns_label(&format!("shm-{name}"), 63);
            extra_volumes.push(volumes::memory_volume(volume.clone(), size));
            mounts.push(volumes::mount(&volume, "/dev/shm", false));
        }
        for (i, t) in lp.tmpfs.iter().enumerate() {
            let volume = names::dns_label(&format!("tmpfs-{name}-{i}"), 63);
            extra_volumes.push(volumes::memory_volume(volume.clone(), t.size));
            mounts.push(volumes::mount(&volume, &t.container_path, false));
        }
    }

    let (run_as_user, run_as_group) = match def.user.as_deref().map(parse_user) {
        Some(Some(ids)) => ids,
        Some(None) => {
            unsupported.push(format!("{path}.user (not numeric)"));
            (None, None)
        }
        None => (None, None),
    };
    let capabilities = def.linux_parameters.as_ref().and_then(|lp| lp.capabilities.as_ref()).map(|c| Capabilities {
        add: (!c.add.is_empty()).then(|| c.add.clone()),
        drop: (!c.drop.is_empty()).then(|| c.drop.clone()),
    });
    let security = SecurityContext {
        privileged: def.privileged,
        read_only_root_filesystem: def.readonly_root_filesystem,
        run_as_user,
        run_as_group,
        capabilities,
        ..Default::default()
    };
    let has_security = security != SecurityContext::default();

    Ok(Container {
        name,
        image: Some(def.image.clone()),
        command: def.entry_point.clone().filter(|c| !c.is_empty()),
        args: over.and_then(|o| o.command.clone()).or_else(|| def.command.clone()).filter(|c| !c.is_empty()),
        working_dir: def.working_directory.clone(),
        env: (!env_vars.is_empty()).then_some(env_vars),
        env_from: (!env_files.is_empty()).then(|| env::environment_files(&env_files)),
        ports: (!ports.is_empty()).then_some(ports),
        resources: resources::container_resources(cpu, memory, reservation, (gpus > 0).then_some(gpus)),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        security_context: has_security.then_some(security),
        stdin: def.interactive,
        tty: def.pseudo_terminal,
        ..Default::default()
    })
}

/// `uid` or `uid:gid`, numeric only, except `root`, which is uid 0 in every image (and must be seen
/// as root by the task security policy).
fn parse_user(user: &str) -> Option<(Option<i64>, Option<i64>)> {
    let id = |part: &str| if part == "root" { Some(0) } else { part.parse().ok() };
    match user.split_once(':') {
        Some((u, g)) => Some((Some(id(u)?), Some(id(g)?))),
        None => Some((Some(id(user)?), None)),
    }
}

/// A valid Kubernetes port name (IANA_SVC_NAME: up to 15 lowercase alphanumerics and dashes).
fn is_port_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}
