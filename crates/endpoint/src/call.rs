//! One authenticated call: the caller's key, the client that impersonates its identity, and the
//! reads and writes every action shares (server-side apply with the API's field manager, strict field
//! validation as kubectl's, the GitOps guard).

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use kube::api::{Api, DeleteParams, Patch, PatchParams, ValidationDirective};
use kube_ecs_api::{ContainerInstance, EcsCluster, Repository, Service, Task, TaskDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::arn::Arns;
use crate::error::{EcsError, from_kube};
use crate::keys::AccessKey;
use crate::{Endpoint, FIELD_MANAGER};

pub struct Call<'a> {
    pub endpoint: &'a Endpoint,
    pub key: &'a AccessKey,
    pub client: kube::Client,
}

impl<'a> Call<'a> {
    pub fn new(endpoint: &'a Endpoint, key: &'a AccessKey) -> Result<Self, EcsError> {
        Ok(Self { endpoint, key, client: endpoint.identities.client_for(key)? })
    }

    /// Where the caller's task definitions, tasks, services and repositories live.
    pub fn namespace(&self) -> &str {
        &self.key.namespace
    }

    pub fn arns(&self) -> &Arns {
        &self.endpoint.arns
    }

    pub fn clusters(&self) -> Api<EcsCluster> {
        Api::all(self.client.clone())
    }

    pub fn instances(&self) -> Api<ContainerInstance> {
        Api::all(self.client.clone())
    }

    pub fn tasks(&self) -> Api<Task> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    pub fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    pub fn definitions(&self) -> Api<TaskDefinition> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    pub fn revisions(&self) -> Api<ControllerRevision> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    /// The caller's schedules (EventBridge Scheduler).
    pub fn scheduled_tasks(&self) -> Api<kube_ecs_api::ScheduledTask> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    /// The caller's ECR repositories.
    pub fn repositories(&self) -> Api<Repository> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    /// The object, or None when it does not exist (other errors as ECS's).
    pub async fn get<K>(&self, api: &Api<K>, name: &str) -> Result<Option<K>, EcsError>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        api.get_opt(name).await.map_err(|e| from_kube(&e))
    }

    /// Every object of the API (the caller's namespace for namespaced kinds).
    pub async fn list<K>(&self, api: &Api<K>, selector: Option<&str>) -> Result<Vec<K>, EcsError>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        let mut params = kube::api::ListParams::default();
        if let Some(selector) = selector {
            params = params.labels(selector);
        }
        api.list(&params).await.map(|l| l.items).map_err(|e| from_kube(&e))
    }

    /// Server-side applies `manifest` (apiVersion, kind, metadata.name and the fields the API sets)
    /// as the API's field manager, with kubectl's strict field validation: the apiserver's message
    /// for a refused object is the one kubectl shows.
    pub async fn apply<K>(&self, api: &Api<K>, name: &str, manifest: &serde_json::Value) -> Result<K, EcsError>
    where
        K: Clone + DeserializeOwned + Serialize + std::fmt::Debug,
    {
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        params.field_validation = Some(ValidationDirective::Strict);
        api.patch(name, &params, &Patch::Apply(manifest)).await.map_err(|e| from_kube(&e))
    }

    /// Merges `patch` into the object (the members it names, nothing else), as the API's field
    /// manager. Partial updates (StopTask, UpdateService, tags) use this: an apply of the same
    /// members would drop the ones an earlier apply by the API set.
    pub async fn merge<K>(&self, api: &Api<K>, name: &str, patch: &serde_json::Value) -> Result<K, EcsError>
    where
        K: Clone + DeserializeOwned + Serialize + std::fmt::Debug,
    {
        let mut params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        params.field_validation = Some(ValidationDirective::Strict);
        api.patch(name, &params, &Patch::Merge(patch)).await.map_err(|e| from_kube(&e))
    }

    pub async fn delete<K>(&self, api: &Api<K>, name: &str) -> Result<(), EcsError>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        match api.delete(name, &DeleteParams::background()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(e) => Err(from_kube(&e)),
        }
    }
}

/// A manifest of `K` named `name` in `namespace` with `spec`.
pub fn manifest<K: Resource<DynamicType = ()>>(
    name: &str,
    namespace: Option<&str>,
    spec: serde_json::Value,
) -> serde_json::Value {
    let mut metadata = serde_json::json!({"name": name});
    if let Some(namespace) = namespace {
        metadata["namespace"] = namespace.into();
    }
    serde_json::json!({"apiVersion": K::api_version(&()), "kind": K::kind(&()), "metadata": metadata, "spec": spec})
}

/// Refuses an API write to an object a GitOps tool owns: the change belongs in Git.
pub fn refuse_gitops(meta: &ObjectMeta, what: &str) -> Result<(), EcsError> {
    match kube_ecs_domain::gitops::owner(meta) {
        None => Ok(()),
        Some(owner) => Err(EcsError::access_denied(format!(
            "{what} is managed by {} ({}): change it in Git. The ECS API does not write objects a GitOps \
             tool owns, so it never creates drift that the tool would revert.",
            owner.tool, owner.evidence
        ))),
    }
}

/// `value` re-read as another type with the same JSON shape (ECS's wire shapes and the custom
/// resources share ECS's field names).
pub fn convert<A: Serialize, B: DeserializeOwned>(value: &A) -> Result<B, EcsError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| EcsError::server(format!("converting between ECS shapes: {e}")))
}

/// The members of a raw request input minus the ones that are the API's and not the resource's.
pub fn members_except(input: &serde_json::Value, drop: &[&str]) -> serde_json::Value {
    let mut object = input.as_object().cloned().unwrap_or_default();
    for member in drop {
        object.remove(*member);
    }
    serde_json::Value::Object(object)
}
