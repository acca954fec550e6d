//! The cached copy of a kube-ecs Pod: only the fields reconciles read, in a compact shape.
//!
//! The cache holds a Pod per Task, so a Pod's size is most of the operator's memory at scale. A
//! `k8s_openapi` Pod is wide even when its fields are empty: 2,416 bytes inline, 2,144 more per
//! container and 752 per container status, whatever they hold; trimmed to the fields reconciles read
//! it still took about 9 KiB of heap (`examples/object_cost.rs`). [`CachedPod`] keeps the same fields
//! in a fraction of that: maps (labels, annotations, resources) as short lists, and the strings the
//! Pods of one task definition share ([`Interned`]) once for all of them. Reconciles that need a Pod
//! get one rebuilt by [`CachedPod::to_pod`] (one object at a time, so the wide shape is never held
//! for the whole cache).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateTerminated, ContainerStatus, Pod, PodCondition, PodSpec, PodStatus,
    ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Serialize};

use crate::intern::Interned;

/// A map as a short list (a BTreeMap node is about 540 bytes however few entries it holds). `None`
/// and empty stay apart, so the rebuilt Pod is the one served.
type Pairs = Option<Box<[(Interned, Interned)]>>;

fn pairs<V: Into<String>>(map: Option<BTreeMap<String, V>>) -> Pairs {
    map.map(|m| m.into_iter().map(|(k, v)| (Interned::from(k), Interned::from(v.into()))).collect())
}

fn map<V>(pairs: &Pairs, value: impl Fn(String) -> V) -> Option<BTreeMap<String, V>> {
    pairs.as_ref().map(|p| p.iter().map(|(k, v)| (k.to_string(), value(v.to_string()))).collect())
}

fn get<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a str> {
    pairs.iter().flatten().find(|(k, _)| k.as_str() == key).map(|(_, v)| v.as_str())
}

fn interned(value: Option<String>) -> Option<Interned> {
    value.map(Interned::from)
}

fn owned(value: &Option<Interned>) -> Option<String> {
    value.as_deref().map(str::to_string)
}

/// A kube-ecs Pod as the reconciles read it: metadata (labels, the task record annotation, owner,
/// finalizers, timestamps; not managedFields), of the spec the node, the grace period and each
/// container's name, image (the images a lifecycle policy must keep) and resources (the container
/// instances' reserved capacity), of the status what the task status derivation reads. Commands,
/// environment, probes and volumes live in the task definition and the API server.
///
/// Labels and annotations are held beside `metadata`, not in it: read them with [`CachedPod::label`]
/// and [`CachedPod::annotation`] (or from [`CachedPod::to_pod`]); `metadata.labels` and
/// `metadata.annotations` are always empty.
///
/// Serde is derived only because kube-runtime's shared-stream triggers require it; the cache is fed
/// from Pods (`From<Pod>`), never from JSON of this shape.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CachedPod {
    pub metadata: ObjectMeta,
    labels: Pairs,
    annotations: Pairs,
    node_name: Option<Interned>,
    termination_grace_period_seconds: Option<i64>,
    /// Set by the Task controller to stop a task's containers in place (its Pod then stays).
    active_deadline_seconds: Option<i64>,
    containers: Box<[CachedContainer]>,
    status: Option<Box<CachedStatus>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct CachedContainer {
    name: Interned,
    image: Option<Interned>,
    /// Requests and limits only (resource claims are not read).
    requests: Pairs,
    limits: Pairs,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct CachedStatus {
    phase: Option<Interned>,
    reason: Option<String>,
    message: Option<String>,
    host_ip: Option<Interned>,
    pod_ip: Option<String>,
    start_time: Option<Time>,
    conditions: Option<Box<[CachedCondition]>>,
    containers: Option<Box<[CachedContainerStatus]>>,
    init_containers: Option<Box<[CachedContainerStatus]>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct CachedCondition {
    type_: Interned,
    status: Interned,
    reason: Option<Interned>,
    message: Option<String>,
    last_transition_time: Option<Time>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct CachedContainerStatus {
    name: Interned,
    image: Interned,
    image_id: Interned,
    ready: bool,
    started: Option<bool>,
    restart_count: i32,
    state: Option<Box<ContainerState>>,
    /// Of the last state, the termination only (a restarted container's exit code and reason).
    last_terminated: Option<Box<ContainerStateTerminated>>,
}

impl k8s_openapi::Resource for CachedPod {
    const API_VERSION: &'static str = <Pod as k8s_openapi::Resource>::API_VERSION;
    const GROUP: &'static str = <Pod as k8s_openapi::Resource>::GROUP;
    const KIND: &'static str = <Pod as k8s_openapi::Resource>::KIND;
    const VERSION: &'static str = <Pod as k8s_openapi::Resource>::VERSION;
    const URL_PATH_SEGMENT: &'static str = <Pod as k8s_openapi::Resource>::URL_PATH_SEGMENT;
    type Scope = <Pod as k8s_openapi::Resource>::Scope;
}

impl k8s_openapi::Metadata for CachedPod {
    type Ty = ObjectMeta;
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl From<Pod> for CachedPod {
    fn from(pod: Pod) -> Self {
        let mut metadata = pod.metadata;
        // Often the largest part of an object, and no reconcile reads it.
        metadata.managed_fields = None;
        let (labels, annotations) = (pairs(metadata.labels.take()), pairs(metadata.annotations.take()));
        let spec = pod.spec.unwrap_or_default();
        Self {
            metadata,
            labels,
            annotations,
            node_name: interned(spec.node_name),
            termination_grace_period_seconds: spec.termination_grace_period_seconds,
            active_deadline_seconds: spec.active_deadline_seconds,
            containers: spec
                .containers
                .into_iter()
                .map(|c| {
                    let resources = c.resources.unwrap_or_default();
                    CachedContainer {
                        name: c.name.into(),
                        image: interned(c.image),
                        requests: pairs(resources.requests.map(quantities)),
                        limits: pairs(resources.limits.map(quantities)),
                    }
                })
                .collect(),
            status: pod.status.map(|s| Box::new(CachedStatus::from(s))),
        }
    }
}

fn quantities(map: BTreeMap<String, Quantity>) -> BTreeMap<String, String> {
    map.into_iter().map(|(k, Quantity(v))| (k, v)).collect()
}

impl From<PodStatus> for CachedStatus {
    fn from(status: PodStatus) -> Self {
        let containers = |list: Option<Vec<ContainerStatus>>| {
            list.map(|list| {
                list.into_iter()
                    .map(|c| CachedContainerStatus {
                        name: c.name.into(),
                        image: c.image.into(),
                        image_id: c.image_id.into(),
                        ready: c.ready,
                        started: c.started,
                        restart_count: c.restart_count,
                        state: c.state.map(Box::new),
                        last_terminated: c.last_state.and_then(|l| l.terminated).map(Box::new),
                    })
                    .collect()
            })
        };
        Self {
            phase: interned(status.phase),
            reason: status.reason,
            message: status.message,
            host_ip: interned(status.host_ip),
            pod_ip: status.pod_ip,
            start_time: status.start_time,
            conditions: status.conditions.map(|list| {
                list.into_iter()
                    .map(|c| CachedCondition {
                        type_: c.type_.into(),
                        status: c.status.into(),
                        reason: interned(c.reason),
                        message: c.message,
                        last_transition_time: c.last_transition_time,
                    })
                    .collect()
            }),
            containers: containers(status.container_statuses),
            init_containers: containers(status.init_container_statuses),
        }
    }
}

impl CachedPod {
    /// The Pod as the reconciles and the domain read it: the cached fields, every other one empty.
    pub fn to_pod(&self) -> Pod {
        let mut metadata = self.metadata.clone();
        metadata.labels = map(&self.labels, |v| v);
        metadata.annotations = map(&self.annotations, |v| v);
        Pod {
            metadata,
            spec: Some(PodSpec {
                node_name: owned(&self.node_name),
                termination_grace_period_seconds: self.termination_grace_period_seconds,
                active_deadline_seconds: self.active_deadline_seconds,
                containers: self
                    .containers
                    .iter()
                    .map(|c| Container {
                        name: c.name.to_string(),
                        image: owned(&c.image),
                        resources: (c.requests.is_some() || c.limits.is_some()).then(|| ResourceRequirements {
                            requests: map(&c.requests, Quantity),
                            limits: map(&c.limits, Quantity),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }),
            status: self.status.as_deref().map(CachedStatus::to_status),
        }
    }

    /// The value of the label `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        get(&self.labels, key)
    }

    /// The value of the annotation `key`.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        get(&self.annotations, key)
    }

    /// The node the Pod is bound to (`spec.nodeName`).
    pub fn node_name(&self) -> Option<&str> {
        self.node_name.as_deref()
    }

    /// `status.phase`.
    pub fn phase(&self) -> Option<&str> {
        self.status.as_ref().and_then(|s| s.phase.as_deref())
    }

    /// Every image the Pod names: each container's in the spec, and the image and image ID each
    /// container status reports (a tag may have moved; the ID is the digest that runs).
    pub fn images(&self) -> impl Iterator<Item = &str> {
        let spec = self.containers.iter().filter_map(|c| c.image.as_deref());
        let statuses =
            self.status.iter().flat_map(|s| s.containers.iter().flatten().chain(s.init_containers.iter().flatten()));
        spec.chain(statuses.flat_map(|c| [c.image.as_str(), c.image_id.as_str()]))
    }
}

impl kube_ecs_domain::cluster::status::PodUsage for CachedPod {
    fn node_name(&self) -> Option<&str> {
        CachedPod::node_name(self)
    }
    fn phase(&self) -> Option<&str> {
        CachedPod::phase(self)
    }
    fn container_requests(&self) -> Vec<(&str, &str)> {
        let requests = self.containers.iter().flat_map(|c| c.requests.iter().flatten());
        requests.map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

impl CachedStatus {
    fn to_status(&self) -> PodStatus {
        let containers = |list: &Option<Box<[CachedContainerStatus]>>| {
            list.as_ref().map(|list| {
                list.iter()
                    .map(|c| ContainerStatus {
                        name: c.name.to_string(),
                        image: c.image.to_string(),
                        image_id: c.image_id.to_string(),
                        ready: c.ready,
                        started: c.started,
                        restart_count: c.restart_count,
                        state: c.state.as_deref().cloned(),
                        last_state: c
                            .last_terminated
                            .as_deref()
                            .map(|t| ContainerState { terminated: Some(t.clone()), ..Default::default() }),
                        ..Default::default()
                    })
                    .collect()
            })
        };
        PodStatus {
            phase: owned(&self.phase),
            reason: self.reason.clone(),
            message: self.message.clone(),
            host_ip: owned(&self.host_ip),
            pod_ip: self.pod_ip.clone(),
            start_time: self.start_time.clone(),
            conditions: self.conditions.as_ref().map(|list| {
                list.iter()
                    .map(|c| PodCondition {
                        type_: c.type_.to_string(),
                        status: c.status.to_string(),
                        reason: owned(&c.reason),
                        message: c.message.clone(),
                        last_transition_time: c.last_transition_time.clone(),
                        ..Default::default()
                    })
                    .collect()
            }),
            container_statuses: containers(&self.containers),
            init_container_statuses: containers(&self.init_containers),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served() -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "t", "namespace": "ns", "annotations": {"record": "x"}, "labels": {"a": "b"},
                "managedFields": [{"manager": "m"}], "finalizers": ["f"],
                "ownerReferences": [{"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "name": "t", "uid": "u", "controller": true}]},
            "spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 30,
                "volumes": [{"name": "v", "emptyDir": {}}],
                "containers": [{"name": "app", "image": "nginx", "env": [{"name": "A", "value": "1"}],
                    "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "64Mi"}}}]},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "hostIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.5"}],
                "qosClass": "Burstable", "startTime": "2026-01-01T00:00:00Z",
                "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null, "reason": "r", "message": "m",
                    "lastTransitionTime": "2026-01-01T00:00:00Z"}],
                "containerStatuses": [{"name": "app", "image": "nginx", "imageID": "sha256:1", "ready": true,
                    "restartCount": 1, "containerID": "containerd://1", "started": true,
                    "state": {"running": {"startedAt": "2026-01-01T00:00:01Z"}},
                    "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}},
                    "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets"}],
                    "user": {"linux": {"uid": 0, "gid": 0}}}],
                "initContainerStatuses": [{"name": "init", "image": "busybox", "imageID": "sha256:2", "ready": false,
                    "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}
        }))
        .expect("pod")
    }

    #[test]
    fn the_rebuilt_pod_has_every_field_reconciles_read_and_none_other() {
        let pod = served();
        let rebuilt = CachedPod::from(pod.clone()).to_pod();

        let mut expected_meta = pod.metadata.clone();
        expected_meta.managed_fields = None;
        assert_eq!(rebuilt.metadata, expected_meta);

        let (spec, served_spec) = (rebuilt.spec.as_ref().expect("spec"), pod.spec.as_ref().expect("spec"));
        assert_eq!(spec.node_name, served_spec.node_name);
        assert_eq!(spec.termination_grace_period_seconds, Some(30));
        assert_eq!(spec.containers[0].name, "app");
        assert_eq!(spec.containers[0].image.as_deref(), Some("nginx"));
        assert_eq!(spec.containers[0].resources, served_spec.containers[0].resources);
        assert!(spec.containers[0].env.is_none() && spec.volumes.is_none());

        let (status, served_status) = (rebuilt.status.as_ref().expect("status"), pod.status.as_ref().expect("status"));
        assert_eq!(
            (&status.phase, &status.pod_ip, &status.host_ip, &status.start_time, &status.conditions),
            (
                &served_status.phase,
                &served_status.pod_ip,
                &served_status.host_ip,
                &served_status.start_time,
                &served_status.conditions
            )
        );
        assert!(status.pod_ips.is_none() && status.qos_class.is_none());
        let (c, s) = (
            &status.container_statuses.as_ref().expect("containers")[0],
            &served_status.container_statuses.as_ref().expect("containers")[0],
        );
        assert_eq!(
            (&c.state, &c.last_state, c.ready, c.restart_count, c.started),
            (&s.state, &s.last_state, s.ready, s.restart_count, s.started)
        );
        assert_eq!((&c.image, &c.image_id), (&s.image, &s.image_id));
        assert!(c.volume_mounts.is_none() && c.user.is_none() && c.container_id.is_none());
        assert_eq!(status.init_container_statuses, served_status.init_container_statuses);
    }

    #[test]
    fn accessors_read_the_compact_fields() {
        let cached = CachedPod::from(served());
        assert_eq!(cached.node_name(), Some("n1"));
        assert_eq!(cached.phase(), Some("Running"));
        assert_eq!(cached.images().collect::<Vec<_>>(), ["nginx", "nginx", "sha256:1", "busybox", "sha256:2"]);
        let empty = CachedPod::from(Pod::default());
        assert_eq!((empty.node_name(), empty.phase(), empty.images().count()), (None, None, 0));
    }
}
