//! Finding the objects a request names by their ECS names (crates/api's `ecs_names` mapping): the
//! object the mapping names first, then any object that carries the ECS name in its spec (made with
//! kubectl under another object name).

use kube_ecs_api::ecs_names::{self, cluster_object_name, service_object_name, service_object_name_in};
use kube_ecs_api::{EcsCluster, Service};

use crate::call::Call;
use crate::error::EcsError;

/// A cluster a request resolved to: its object name (what Tasks, Services and ContainerInstances
/// refer to) and its ECS name (what ARNs and answers carry).
#[derive(Clone, Debug)]
pub struct ClusterRef {
    pub object: String,
    pub name: String,
}

impl ClusterRef {
    pub fn of(cluster: &EcsCluster) -> Self {
        Self { object: cluster.metadata.name.clone().unwrap_or_default(), name: ecs_names::cluster_name(cluster) }
    }

    /// What a new Task's or Service's `spec.cluster` says: the ECS name, as a user writes it, when
    /// the mapping leads back to the object; else (a kubectl-made cluster named otherwise) the
    /// object's name.
    pub fn reference(&self) -> String {
        if cluster_object_name(&self.name) == self.object { self.name.clone() } else { self.object.clone() }
    }

    /// Whether a Task's or Service's `spec.cluster` (ECS name or object name, unset for `default`)
    /// is this cluster, as the operator resolves it.
    pub fn holds(&self, reference: Option<&str>) -> bool {
        ecs_names::cluster_reference(reference) == self.object
    }
}

/// The cluster whose ECS name is `name` (its object's name also finds it), or None.
pub async fn cluster(call: &Call<'_>, name: &str) -> Result<Option<EcsCluster>, EcsError> {
    let api = call.clusters();
    let object = cluster_object_name(name);
    if let Some(found) = call.get(&api, &object).await?
        && (ecs_names::cluster_name(&found) == name || object == name)
    {
        return Ok(Some(found));
    }
    // A cluster made with kubectl under another object name. Without the right to list clusters
    // the caller can only find clusters by the mapped name.
    let Ok(all) = call.list(&api, None).await else { return Ok(None) };
    Ok(all.into_iter().find(|c| ecs_names::cluster_name(c) == name))
}

/// The service named `name` (ECS name) in `cluster`, in the caller's namespace, or None.
pub async fn service(call: &Call<'_>, cluster: &ClusterRef, name: &str) -> Result<Option<Service>, EcsError> {
    let api = call.services();
    let matches = |s: &Service| ecs_names::service_name(s) == name && cluster.holds(s.spec.cluster.as_deref());
    for object in [service_object_name(name), service_object_name_in(&cluster.name, name)].iter() {
        if let Some(found) = call.get(&api, object).await?
            && matches(&found)
        {
            return Ok(Some(found));
        }
    }
    Ok(call.list(&api, None).await?.into_iter().find(matches))
}

/// The object name a new service `name` of `cluster` gets: the plain mapping unless a service of
/// another cluster holds it (ECS service names are unique per cluster, object names per namespace).
pub async fn new_service_object(call: &Call<'_>, cluster: &ClusterRef, name: &str) -> Result<String, EcsError> {
    let plain = service_object_name(name);
    match call.get(&call.services(), &plain).await? {
        None => Ok(plain),
        Some(_) => Ok(service_object_name_in(&cluster.name, name)),
    }
}
