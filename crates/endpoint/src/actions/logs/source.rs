//! Where log groups and streams come from: the Pods of the namespace's tasks (a standalone Task's
//! Pod is named after the Task, a service task is a Pod of its service; the task ID is the Pod's
//! name either way), their task definitions' `awslogs` configurations ([`super::naming`]), and the
//! kubelet's `pods/log`. There is no log store: a task's stream lives as long as its Pod does.
//!
//! Everything is read with the client it is given: the caller's impersonating client in the API,
//! the kubeconfig's in `kube-ecs logs`, so RBAC (`list pods`, `get pods/log`, ...) decides for both.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use kube_ecs_api::TaskDefinition;
use kube_ecs_api::labels::{
    CONTAINER_NAMES_ANNOTATION, FAMILY_LABEL, SERVICE_NAME, TASK_DEFINITION_ANNOTATION, TASK_NAME,
};
use kube_ecs_api::task_definition::ContainerDefinition;
use kube_ecs_domain::revisions;

use super::events::{self, Event};
use super::naming::{self, LogTarget};
use crate::error::{EcsError, from_kube};

/// One stream: a container of a task's Pod writing to an `awslogs` group.
#[derive(Clone, Debug)]
pub struct Stream {
    pub target: LogTarget,
    /// The Pod (and task ID).
    pub pod: String,
    /// When the Pod was made, in milliseconds (the stream's creationTime).
    pub created: i64,
    /// The standalone Task's name, for a standalone task's Pod.
    pub task: Option<String>,
    /// The service label value, for a service's Pod.
    pub service: Option<String>,
}

/// Reads tasks, their definitions and their logs in one namespace with one client.
pub struct Source {
    pods: Api<Pod>,
    definitions: Api<TaskDefinition>,
    revisions: Api<ControllerRevision>,
    namespace: String,
}

impl Source {
    pub fn new(client: kube::Client, namespace: &str) -> Self {
        Self {
            pods: Api::namespaced(client.clone(), namespace),
            definitions: Api::namespaced(client.clone(), namespace),
            revisions: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
        }
    }

    /// Every stream of the namespace's task Pods (Pods being deleted included: their logs are
    /// readable until they are gone).
    pub async fn streams(&self) -> Result<Vec<Stream>, EcsError> {
        let pods = self.pods.list(&ListParams::default().labels(FAMILY_LABEL)).await.map_err(|e| from_kube(&e))?;
        let pods: Vec<Pod> = pods
            .items
            .into_iter()
            .filter(|p| {
                p.metadata.labels.as_ref().is_some_and(|l| l.contains_key(TASK_NAME) || l.contains_key(SERVICE_NAME))
            })
            .collect();
        if pods.is_empty() {
            return Ok(Vec::new());
        }
        let all = self.definitions.list(&ListParams::default()).await.map_err(|e| from_kube(&e))?.items;
        let mut containers: BTreeMap<String, Option<Vec<ContainerDefinition>>> = BTreeMap::new();
        let mut streams = Vec::new();
        for pod in pods {
            let annotations = pod.metadata.annotations.clone().unwrap_or_default();
            let Some(reference) = annotations.get(TASK_DEFINITION_ANNOTATION) else { continue };
            if !containers.contains_key(reference) {
                let resolved = self.containers(&all, reference).await?;
                containers.insert(reference.clone(), resolved);
            }
            let Some(Some(definitions)) = containers.get(reference) else { continue };
            let names: BTreeMap<String, String> = annotations
                .get(CONTAINER_NAMES_ANNOTATION)
                .and_then(|n| serde_json::from_str(n).ok())
                .unwrap_or_default();
            let id = pod.metadata.name.clone().unwrap_or_default();
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            let created = pod.metadata.creation_timestamp.as_ref().map_or(0, |t| t.0.as_millisecond());
            for target in naming::targets(definitions, &names, &id) {
                streams.push(Stream {
                    target,
                    pod: id.clone(),
                    created,
                    task: labels.get(TASK_NAME).cloned(),
                    service: labels.get(SERVICE_NAME).cloned(),
                });
            }
        }
        streams.sort_by(|a, b| a.target.stream.cmp(&b.target.stream));
        Ok(streams)
    }

    /// The containers of revision `reference` (`family:revision`); None when it no longer
    /// resolves (its snapshot deleted): that task has no named streams.
    async fn containers(
        &self,
        all: &[TaskDefinition],
        reference: &str,
    ) -> Result<Option<Vec<ContainerDefinition>>, EcsError> {
        let Ok(selected) = revisions::select(all, &self.namespace, reference, true) else { return Ok(None) };
        let snapshot = self.revisions.get_opt(&selected.snapshot_name()).await.map_err(|e| from_kube(&e))?;
        Ok(snapshot.and_then(|s| selected.with_snapshot(&s).ok()).map(|r| r.spec.container_definitions))
    }

    /// The stream's events, those from `since` (milliseconds; the kubelet filters by the second)
    /// on. A container that has not started has none yet.
    pub async fn events(&self, stream: &Stream, since: Option<i64>) -> Result<Vec<Event>, EcsError> {
        let params = LogParams {
            container: Some(stream.target.container.clone()),
            timestamps: true,
            since_time: since.and_then(|ms| jiff::Timestamp::from_second(ms.div_euclid(1000)).ok()),
            ..LogParams::default()
        };
        match self.pods.logs(&stream.pod, &params).await {
            Ok(text) => Ok(events::parse(&text)),
            // The kubelet's answer for a container waiting to start (400) or a Pod just deleted (404).
            Err(kube::Error::Api(status)) if status.code == 400 || status.code == 404 => Ok(Vec::new()),
            Err(e) => Err(from_kube(&e)),
        }
    }
}
