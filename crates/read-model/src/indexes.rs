//! Which secondary indexes the caches keep, and the key of each: what the controllers look objects up
//! by (the lookups themselves are in [`crate::lookups`]).

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::ResourceExt;
use kube::core::DeserializeGuard;

use crate::CachedPod;
use crate::api::{Service, Task, TaskDefinition};
use crate::index::Index;
use kube_ecs_api::labels;
use kube_ecs_domain::revisions;

/// A key within a namespace: (namespace, name or label value).
pub type Namespaced = (String, String);

/// Every secondary index, fed with the watch events of its cache.
pub struct Indexes {
    /// Pods of an ECS service: (namespace, the `labels::SERVICE_NAME` value).
    pub pods_by_service: Index<CachedPod, Namespaced>,
    /// Pods by the node they are bound to (`spec.nodeName`).
    pub pods_by_node: Index<CachedPod, String>,
    /// Tasks by their cluster (`spec.cluster`, default `default`).
    pub tasks_by_cluster: Index<DeserializeGuard<Task>, String>,
    /// Tasks by the container instance (Node) their status records.
    pub tasks_by_node: Index<DeserializeGuard<Task>, String>,
    pub tasks_by_namespace: Index<DeserializeGuard<Task>, String>,
    /// Tasks by (namespace, the family their `taskDefinition` names).
    pub tasks_by_family: Index<DeserializeGuard<Task>, Namespaced>,
    pub services_by_cluster: Index<DeserializeGuard<Service>, String>,
    pub services_by_namespace: Index<DeserializeGuard<Service>, String>,
    pub services_by_family: Index<DeserializeGuard<Service>, Namespaced>,
    pub definitions_by_namespace: Index<DeserializeGuard<TaskDefinition>, String>,
    /// TaskDefinitions by (namespace, family).
    pub definitions_by_family: Index<DeserializeGuard<TaskDefinition>, Namespaced>,
    /// Snapshots by (namespace, the `labels::TASK_DEFINITION_NAME` value): a TaskDefinition's revisions.
    pub snapshots_by_definition: Index<ControllerRevision, Namespaced>,
}

impl Default for Indexes {
    fn default() -> Self {
        Self {
            pods_by_service: Index::new(|p: &CachedPod| {
                p.metadata
                    .namespace
                    .clone()
                    .zip(p.label(labels::SERVICE_NAME).map(str::to_string))
                    .into_iter()
                    .collect()
            }),
            pods_by_node: Index::new(|p: &CachedPod| p.node_name().map(str::to_string).into_iter().collect()),
            tasks_by_cluster: Index::new(|t| well_formed(t, |t: &Task| vec![cluster_of(t.spec.cluster.as_deref())])),
            tasks_by_node: Index::new(|t| {
                well_formed(t, |t: &Task| {
                    t.status.as_ref().and_then(|s| s.container_instance.clone()).into_iter().collect()
                })
            }),
            tasks_by_namespace: Index::new(|t| well_formed(t, |t: &Task| t.namespace().into_iter().collect())),
            tasks_by_family: Index::new(|t| well_formed(t, |t: &Task| family_key(t, &t.spec.task_definition))),
            services_by_cluster: Index::new(|s| {
                well_formed(s, |s: &Service| vec![cluster_of(s.spec.cluster.as_deref())])
            }),
            services_by_namespace: Index::new(|s| well_formed(s, |s: &Service| s.namespace().into_iter().collect())),
            services_by_family: Index::new(|s| well_formed(s, |s: &Service| family_key(s, &s.spec.task_definition))),
            definitions_by_namespace: Index::new(|d| {
                well_formed(d, |d: &TaskDefinition| d.namespace().into_iter().collect())
            }),
            definitions_by_family: Index::new(|d| {
                well_formed(d, |d: &TaskDefinition| {
                    d.namespace().map(|ns| (ns, revisions::family_of(d))).into_iter().collect()
                })
            }),
            snapshots_by_definition: Index::new(|s: &ControllerRevision| label_key(s, labels::TASK_DEFINITION_NAME)),
        }
    }
}

/// The EcsCluster object a Task or Service runs on, as the cluster controller counts it (`spec.cluster`
/// may give the ECS name or the object name: both map to the object).
pub fn cluster_of(cluster: Option<&str>) -> String {
    crate::api::ecs_names::cluster_reference(cluster)
}

/// Malformed objects are in the store (so one bad object does not fail the watch) but never indexed.
fn well_formed<K, Q>(guard: &DeserializeGuard<K>, keys: impl Fn(&K) -> Vec<Q>) -> Vec<Q> {
    guard.0.as_ref().map(keys).unwrap_or_default()
}

fn label_key<K: kube::Resource>(object: &K, label: &str) -> Vec<Namespaced> {
    let namespace = object.meta().namespace.clone();
    let value = object.meta().labels.as_ref().and_then(|l| l.get(label)).cloned();
    namespace.zip(value).into_iter().collect()
}

/// (namespace, family) of a `family`, `family:revision` or ARN reference; none if it does not parse.
fn family_key<K: kube::Resource>(object: &K, reference: &str) -> Vec<Namespaced> {
    let family = revisions::Reference::parse(reference).ok().map(|r| r.family);
    object.meta().namespace.clone().zip(family).into_iter().collect()
}
