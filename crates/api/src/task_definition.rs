//! TaskDefinition: one ECS task-definition family; every distinct spec becomes an immutable revision.
//!
//! The spec mirrors `RegisterTaskDefinition`'s input. Each distinct spec the controller sees is
//! snapshotted as revision 1, 2, 3, ... (ControllerRevision objects owned by the TaskDefinition), so
//! tasks and services keep running the exact revision they started with while the object moves on.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{KeyValuePair, PlacementConstraint, Tag};

/// An ECS task-definition family. `kubectl apply` a changed spec to register the next revision.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "TaskDefinition",
    namespaced,
    status = "TaskDefinitionStatus",
    shortname = "taskdef",
    shortname = "td",
    category = "ecs",
    doc = "An ECS task definition family. Each distinct spec is registered as an immutable revision.",
    printcolumn(name = "Family", type_ = "string", json_path = ".status.family"),
    printcolumn(name = "Revision", type_ = "integer", json_path = ".status.revision"),
    printcolumn(name = "Containers", type_ = "integer", json_path = ".status.containerCount"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionSpec {
    /// The family name (up to 255 letters, numbers, hyphens and underscores). Defaults to the object's
    /// name. Tasks and services reference `family` (latest ACTIVE revision) or `family:revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// IAM role the task's containers assume. Mapped to a ServiceAccount with the EKS IRSA annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// IAM role the container agent uses to pull images and read secrets. Accepted; on Kubernetes the
    /// node or the ServiceAccount pulls images, so it is reported as not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// Docker networking mode: `none`, `bridge`, `awsvpc` or `host`. `host` runs the task on the node's
    /// network; the others use the pod network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// The containers of the task (1 to 10).
    pub container_definitions: Vec<ContainerDefinition>,
    /// Data volumes the containers may mount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Placement constraints for the task (up to 10; `memberOf` only in a task definition).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<TaskDefinitionPlacementConstraint>,
    /// Launch types the definition is validated against: `EC2`, `FARGATE`, `EXTERNAL`, `MANAGED_INSTANCES`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_compatibilities: Vec<crate::ecs::LaunchType>,
    /// Task-level CPU: units (`"1024"`) or vCPU (`"1 vCPU"`). A hard cap for the whole task. Required
    /// for Fargate, where it must pair with `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::int_or_string")]
    pub cpu: Option<IntOrString>,
    /// Task-level memory: MiB (`"2048"`) or GB (`"2 GB"`). A hard limit for the whole task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::int_or_string")]
    pub memory: Option<IntOrString>,
    /// Metadata tags (up to 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Process namespace: `host` or `task`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<String>,
    /// IPC namespace: `host`, `task` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<String>,
    /// App Mesh proxy configuration. Accepted and reported as not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_configuration: Option<ProxyConfiguration>,
    /// Elastic Inference accelerators (retired by AWS). Accepted and reported as not applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inference_accelerators: Vec<InferenceAccelerator>,
    /// Ephemeral storage for the task (Fargate: 21-200 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    /// Operating system family and CPU architecture the task needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Whether AWS fault injection is enabled. Accepted and reported as not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,
    /// Revisions taken out of service (ECS `DeregisterTaskDefinition`): listed revisions are INACTIVE —
    /// no new task or service may use them; tasks and services already running them keep running.
    /// Declarative so that Git holds the truth; not part of any revision's content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deregistered_revisions: Vec<i64>,
    /// An opaque value whose every change registers a new revision, even of an unchanged definition.
    /// The ECS API sets a new one on each RegisterTaskDefinition, since ECS makes a revision per
    /// registration; with kubectl a revision is made per distinct spec, so leave it unset (or change
    /// it to register the same definition again). Not shown in the revision's ECS description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
}

/// One container of the task, as ECS's `ContainerDefinition`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    /// Container name (up to 255 letters, numbers, underscores and hyphens), unique in the task. Names
    /// that are not valid Kubernetes container names are mapped deterministically; the ECS name is kept.
    pub name: String,
    /// Image, e.g. `nginx:1.27` or `123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1`.
    pub image: String,
    /// Credentials for a private registry (a Secret named by `credentialsParameter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    /// CPU units reserved for the container (1024 units = 1 vCPU); becomes the CPU request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<i64>,
    /// Hard memory limit in MiB: the container is killed above it. Must exceed memoryReservation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    /// Soft memory limit in MiB, used for placement; becomes the memory request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i64>,
    /// Legacy Docker links (bridge mode). Accepted and reported as not applied: containers of a task
    /// share localhost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Ports the container listens on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    /// If true (the default), the task stops when this container stops, for any reason. Every task
    /// definition needs at least one essential container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// Restart the container in place when it exits, without stopping the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<ContainerRestartPolicy>,
    /// Docker ENTRYPOINT; becomes the Kubernetes container `command`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Vec<String>>,
    /// Docker CMD; becomes the Kubernetes container `args`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    /// Files of environment variables (S3 objects in ECS); here `value` names a ConfigMap in the task's
    /// namespace whose keys become variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<EnvironmentFile>,
    /// Volume mounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    /// Mount all volumes of another container of the task.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<VolumeFrom>,
    /// Linux-specific settings (capabilities, devices, init process, shared memory, tmpfs, swap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    /// Secrets exposed as environment variables, from Secrets of the task's namespace: `valueFrom` is a
    /// Secrets Manager ARN (the whole SecretString, or `:json-key:` one member), an SSM parameter ARN,
    /// path or name (its value), or `secret-name:key` (docs/secrets.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Containers that must reach a condition before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
    /// Seconds to wait for this container's dependencies before giving up (2-120 on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<i64>,
    /// Seconds between SIGTERM and SIGKILL when the container is stopped (default 30, up to 120 on Fargate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    /// `enabled` or `disabled`: whether ECS resolves the image tag to a digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_consistency: Option<String>,
    /// Container hostname. Accepted; a pod has one hostname, so reported as not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// User to run as: `uid`, `uid:gid` (numeric forms are applied) or a user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Working directory of the container's command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// Disable networking in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_networking: Option<bool>,
    /// Run the container privileged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Mount the container's root filesystem read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    /// DNS servers for the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<String>,
    /// DNS search domains for the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_search_domains: Vec<String>,
    /// Extra `/etc/hosts` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<HostEntry>,
    /// Docker security options (SELinux/AppArmor labels).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub docker_security_options: Vec<String>,
    /// Keep stdin open (`docker run -i`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    /// Allocate a TTY (`docker run -t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,
    /// Docker labels; become pod annotations prefixed `docker-label.ecs.kube-ecs.dev/`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub docker_labels: BTreeMap<String, String>,
    /// Resource limits (`nofile`, `nproc`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    /// Log driver configuration (awslogs, fluentd, ...). Accepted; logs go to the node's container log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// Container health check, run inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Namespaced kernel parameters (sysctls).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_controls: Vec<SystemControl>,
    /// GPU or inference accelerator requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_requirements: Vec<ResourceRequirement>,
    /// FireLens log router configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensConfiguration>,
    /// Active Directory credential specs for Windows containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_specs: Vec<String>,
}

/// Private registry credentials.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCredentials {
    /// Secrets Manager ARN in ECS; here the name (or ARN whose last segment is the name) of a
    /// `kubernetes.io/dockerconfigjson` Secret in the task's namespace, used as an imagePullSecret.
    pub credentials_parameter: String,
}

/// A container port.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    /// Port the container listens on (1-65535).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    /// Port on the container instance (node). Omitted or 0 lets the platform choose; with `host`
    /// networking it equals containerPort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    /// `tcp` (default) or `udp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Port name (Service Connect); becomes the Kubernetes port name where it is a valid one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Application protocol: `http`, `http2` or `grpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    /// A port range such as `8000-8010` (awsvpc/host modes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port_range: Option<String>,
}

/// In-place restart policy for a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRestartPolicy {
    /// Whether the container is restarted in place when it exits.
    pub enabled: bool,
    /// Exit codes that do not trigger a restart (up to 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_exit_codes: Vec<i32>,
    /// Seconds the container must run before a restart is attempted (60-1800, default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_attempt_period: Option<i32>,
}

/// A file of environment variables.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentFile {
    /// S3 ARN in ECS; here the ConfigMap name (or an ARN whose last segment, minus `.env`, is it).
    pub value: String,
    /// Always `s3`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// A volume mount.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    /// Name of a volume of the task definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_volume: Option<String>,
    /// Path in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_path: Option<String>,
    /// Mount read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// Volumes taken from another container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeFrom {
    /// The container whose mount points are reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_container: Option<String>,
    /// Mount them read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// Linux-specific container settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinuxParameters {
    /// Capabilities added to or dropped from Docker's default set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<KernelCapabilities>,
    /// Host devices exposed to the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// Run an init process that reaps zombies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
    /// Size of /dev/shm in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_memory_size: Option<i64>,
    /// tmpfs mounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<Tmpfs>,
    /// Swap the container may use, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_swap: Option<i64>,
    /// Swappiness (0-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swappiness: Option<i64>,
}

/// Linux capabilities to add and drop (names without the `CAP_` prefix, e.g. `NET_ADMIN`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KernelCapabilities {
    /// Capabilities to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    /// Capabilities to drop.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
}

/// A host device.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Path on the host.
    pub host_path: String,
    /// Path in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_path: Option<String>,
    /// `read`, `write`, `mknod`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
}

/// A tmpfs mount.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tmpfs {
    /// Path in the container.
    pub container_path: String,
    /// Size in MiB.
    pub size: i64,
    /// Mount options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_options: Vec<String>,
}

/// A secret exposed to the container as an environment variable.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Environment variable name.
    pub name: String,
    /// Secrets Manager / SSM ARN in ECS; here `secret-name:key` of a Secret in the task's namespace,
    /// or an ARN whose last segment is `secret-name` (key: the variable name).
    pub value_from: String,
}

/// A startup dependency on another container of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDependency {
    /// The container depended upon.
    pub container_name: String,
    /// `START`, `COMPLETE`, `SUCCESS` or `HEALTHY`.
    pub condition: crate::ecs::DependencyCondition,
}

/// An `/etc/hosts` entry.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostEntry {
    /// Host name.
    pub hostname: String,
    /// IP address.
    pub ip_address: String,
}

/// A ulimit.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ulimit {
    /// Limit name, e.g. `nofile`.
    pub name: String,
    /// Soft limit.
    pub soft_limit: i64,
    /// Hard limit.
    pub hard_limit: i64,
}

/// Log configuration.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    /// Log driver: `awslogs`, `fluentd`, `gelf`, `json-file`, `journald`, `splunk`, `syslog`, `awsfirelens`.
    pub log_driver: String,
    /// Driver options.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Secrets passed to the log driver.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_options: Vec<Secret>,
}

/// A container health check.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// `["CMD", "exe", "arg"...]` runs the command directly; `["CMD-SHELL", "cmd"]` runs it with the
    /// container's default shell. Exit code 0 means healthy.
    pub command: Vec<String>,
    /// Seconds between checks (5-300, default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<i32>,
    /// Seconds before a check counts as failed (2-60, default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
    /// Consecutive failures before the container is UNHEALTHY (1-10, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    /// Grace period in seconds during which failures do not count (0-300, default off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i32>,
}

/// A namespaced kernel parameter.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemControl {
    /// Parameter name, e.g. `net.core.somaxconn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Parameter value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A GPU or accelerator requirement.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirement {
    /// Number of GPUs, or the accelerator's device name.
    pub value: String,
    /// `GPU` or `InferenceAccelerator`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// FireLens configuration.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirelensConfiguration {
    /// `fluentd` or `fluentbit`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Router options.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// A data volume of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Volume name referenced by mount points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A bind mount of a host path (omit sourcePath for a task-scoped scratch volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostVolumeProperties>,
    /// Whether the volume is configured when the task is launched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_at_launch: Option<bool>,
    /// A Docker volume. Task-scoped volumes become emptyDir; shared ones are reported as not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub docker_volume_configuration: Option<serde_json::Value>,
    /// An Amazon EFS file system. Accepted and reported as not applied (use a PersistentVolumeClaim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub efs_volume_configuration: Option<serde_json::Value>,
    /// An FSx for Windows File Server file system. Accepted and reported as not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub fsx_windows_file_server_volume_configuration: Option<serde_json::Value>,
}

/// A host volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostVolumeProperties {
    /// Path on the host; omitted means a scratch volume that lives as long as the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
}

/// A placement constraint in a task definition (`memberOf` only).
pub type TaskDefinitionPlacementConstraint = PlacementConstraint;

/// App Mesh proxy configuration.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyConfiguration {
    /// `APPMESH`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The proxy container.
    pub container_name: String,
    /// Proxy properties.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<KeyValuePair>,
}

/// An Elastic Inference accelerator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InferenceAccelerator {
    /// Device name.
    pub device_name: String,
    /// Device type.
    pub device_type: String,
}

/// Ephemeral storage of the task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EphemeralStorage {
    /// Size in GiB (21-200).
    pub size_in_gi_b: i32,
}

/// Operating system and CPU architecture.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    /// `LINUX`, `WINDOWS_SERVER_2022_CORE`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system_family: Option<String>,
    /// `X86_64` or `ARM64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<String>,
}

/// Observed state of a task-definition family.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The family (spec.family, or the object's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// The revision registered for the current spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// `ACTIVE` or `INACTIVE`: the status of the current revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::ecs::RevisionStatus>,
    /// `family:revision` of the current revision (the ECS task definition ARN's tail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// Number of containers in the current revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_count: Option<i64>,
    /// Every registered revision, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<RevisionRecord>,
    /// Fields accepted for compatibility that kube-ecs does not act on, as JSON paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported_fields: Vec<String>,
    /// `Ready`, `Valid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
}

/// One registered revision.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionRecord {
    /// Revision number (1, 2, 3, ...).
    pub revision: i64,
    /// `ACTIVE` or `INACTIVE`.
    pub status: crate::ecs::RevisionStatus,
    /// When the revision was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<Time>,
    /// The ControllerRevision holding the revision's snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
}
