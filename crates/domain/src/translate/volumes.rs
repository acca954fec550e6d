//! Task volumes and per-container mounts.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, HostPathVolumeSource, Volume, VolumeMount};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::names::dns_label;
use crate::api::task_definition::TaskDefinitionSpec;

/// The pod's volumes and the Kubernetes name of each ECS volume.
pub struct Volumes {
    pub pod_volumes: Vec<Volume>,
    pub names: BTreeMap<String, String>,
}

pub fn pod_volumes(td: &TaskDefinitionSpec, unsupported: &mut Vec<String>) -> Volumes {
    let mut pod_volumes = Vec::new();
    let mut names = BTreeMap::new();
    for (i, v) in td.volumes.iter().enumerate() {
        let Some(ecs_name) = v.name.clone() else { continue };
        let name = dns_label(&format!("vol-{ecs_name}"), 63);
        let path = format!("volumes[{i}]");
        let host_path = v.host.as_ref().and_then(|h| h.source_path.clone());
        let volume = if let Some(path) = host_path {
            Volume {
                name: name.clone(),
                host_path: Some(HostPathVolumeSource { path, type_: None }),
                ..Default::default()
            }
        } else {
            if v.docker_volume_configuration
                .as_ref()
                .is_some_and(|d| d.get("scope").and_then(|s| s.as_str()) == Some("shared"))
            {
                unsupported.push(format!("{path}.dockerVolumeConfiguration (shared scope: task-scoped emptyDir used)"));
            } else if v.docker_volume_configuration.as_ref().is_some_and(|d| d.get("driver").is_some()) {
                unsupported.push(format!("{path}.dockerVolumeConfiguration.driver"));
            }
            if v.efs_volume_configuration.is_some() {
                unsupported.push(format!(
                    "{path}.efsVolumeConfiguration (emptyDir used; mount EFS with a PersistentVolumeClaim)"
                ));
            }
            if v.fsx_windows_file_server_volume_configuration.is_some() {
                unsupported.push(format!("{path}.fsxWindowsFileServerVolumeConfiguration"));
            }
            Volume { name: name.clone(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Default::default() }
        };
        if v.configured_at_launch == Some(true) {
            unsupported.push(format!("{path}.configuredAtLaunch"));
        }
        names.insert(ecs_name, name);
        pod_volumes.push(volume);
    }
    Volumes { pod_volumes, names }
}

/// A memory-backed scratch volume (tmpfs, /dev/shm).
pub fn memory_volume(name: String, size_mib: i64) -> Volume {
    Volume {
        name,
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".into()),
            size_limit: (size_mib > 0).then(|| Quantity(format!("{size_mib}Mi"))),
        }),
        ..Default::default()
    }
}

/// A mount of `volume` at `path`.
pub fn mount(volume: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: volume.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}
