//! The caches' lookups by secondary index: handles into the caches, never copies, and no walk over a
//! whole store (see [`crate::index`]).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::Pod;
use kube::core::DeserializeGuard;
use kube::runtime::reflector::Store;

use crate::api::{Service, Task, TaskDefinition};
use crate::index::Index;
use crate::{CachedPod, Caches, WellFormed};
use kube_ecs_api::labels;

fn well_formed<K: Clone, Q: Eq + std::hash::Hash + Clone>(
    index: &Index<DeserializeGuard<K>, Q>,
    store: &Store<DeserializeGuard<K>>,
    key: &Q,
) -> Vec<WellFormed<K>>
where
    DeserializeGuard<K>: kube::Resource<DynamicType = ()> + Clone,
{
    index.lookup(store, key).into_iter().filter_map(WellFormed::new).collect()
}

fn rebuilt(pods: Vec<Arc<CachedPod>>) -> Vec<Arc<Pod>> {
    pods.iter().map(|p| Arc::new(p.to_pod())).collect()
}

fn namespaced(namespace: &str, name: &str) -> (String, String) {
    (namespace.to_string(), name.to_string())
}

impl Caches {
    /// The Pods of the ECS service `name` in `namespace`, rebuilt from their cached copies.
    pub fn pods_of_service(&self, namespace: &str, name: &str) -> Vec<Arc<Pod>> {
        let key = namespaced(namespace, &labels::value(name));
        rebuilt(self.indexes.pods_by_service.lookup(&self.task_pods, &key))
    }

    /// The kube-ecs Pods bound to the node `node`, rebuilt from their cached copies.
    pub fn pods_on_node(&self, node: &str) -> Vec<Arc<Pod>> {
        rebuilt(self.cached_pods_on_node(node))
    }

    /// The cached copies of the kube-ecs Pods bound to `node`: for readers of their metadata, node
    /// and phase, which need no rebuilt Pod.
    pub fn cached_pods_on_node(&self, node: &str) -> Vec<Arc<CachedPod>> {
        self.indexes.pods_by_node.lookup(&self.task_pods, &node.to_string())
    }

    /// The Tasks on the EcsCluster `name` (`spec.cluster`, default `default`).
    pub fn tasks_of_cluster(&self, name: &str) -> Vec<WellFormed<Task>> {
        well_formed(&self.indexes.tasks_by_cluster, &self.tasks, &name.to_string())
    }

    /// The Tasks whose status records the container instance (Node) `node`.
    pub fn tasks_on_node(&self, node: &str) -> Vec<WellFormed<Task>> {
        well_formed(&self.indexes.tasks_by_node, &self.tasks, &node.to_string())
    }

    pub fn tasks_in(&self, namespace: &str) -> Vec<WellFormed<Task>> {
        well_formed(&self.indexes.tasks_by_namespace, &self.tasks, &namespace.to_string())
    }

    /// The Tasks of `namespace` whose task definition is of `family`.
    pub fn tasks_of_family(&self, namespace: &str, family: &str) -> Vec<WellFormed<Task>> {
        well_formed(&self.indexes.tasks_by_family, &self.tasks, &namespaced(namespace, family))
    }

    pub fn services_of_cluster(&self, name: &str) -> Vec<WellFormed<Service>> {
        well_formed(&self.indexes.services_by_cluster, &self.services, &name.to_string())
    }

    pub fn services_in(&self, namespace: &str) -> Vec<WellFormed<Service>> {
        well_formed(&self.indexes.services_by_namespace, &self.services, &namespace.to_string())
    }

    /// The Services of `namespace` whose task definition is of `family`.
    pub fn services_of_family(&self, namespace: &str, family: &str) -> Vec<WellFormed<Service>> {
        well_formed(&self.indexes.services_by_family, &self.services, &namespaced(namespace, family))
    }

    /// The well-formed TaskDefinitions of `namespace`.
    pub fn definitions_in(&self, namespace: &str) -> Vec<WellFormed<TaskDefinition>> {
        well_formed(&self.indexes.definitions_by_namespace, &self.definitions, &namespace.to_string())
    }

    /// The well-formed TaskDefinitions of `namespace` of `family` (one, unless several claim it).
    pub fn definitions_of_family(&self, namespace: &str, family: &str) -> Vec<WellFormed<TaskDefinition>> {
        well_formed(&self.indexes.definitions_by_family, &self.definitions, &namespaced(namespace, family))
    }

    /// The revision snapshots of the TaskDefinition (object) `name` in `namespace`.
    pub fn snapshots_of(&self, namespace: &str, name: &str) -> Vec<Arc<ControllerRevision>> {
        let key = namespaced(namespace, &labels::value(name));
        self.indexes.snapshots_by_definition.lookup(&self.snapshots, &key)
    }
}
