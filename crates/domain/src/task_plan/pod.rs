//! A Task's Pod, built purely from the resolved revision, the cluster and the namespace's Pod Security
//! level (the controller observes those from the read model): translation, the security decision,
//! the record later reconciles read, ownership and the finalizer.

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;

use super::PodRecord;
use crate::api::task_security::PodSecurityLevel;
use crate::api::{EcsCluster, Task};
use crate::cluster::placement::Placement;
use crate::labels;
use crate::refusal::Refusal;
use crate::revisions::ResolvedRevision;
use crate::translate::{self, PodInputs, PodPurpose};

pub use crate::labels::TASK_GROUP_LABEL;

/// The Pod of `task` and, when the task has a role, the service account standing in for it.
pub fn build(
    task: &Task,
    resolved: &ResolvedRevision,
    cluster: &EcsCluster,
    placement: &Placement,
    namespace_level: Option<PodSecurityLevel>,
) -> Result<(Pod, Option<ServiceAccount>), Refusal> {
    let namespace = task.metadata.namespace.as_deref().unwrap_or_default();
    let inputs = PodInputs {
        task_definition: &resolved.spec,
        task_definition_ref: &resolved.reference,
        overrides: task.spec.overrides.as_deref(),
        placement,
        purpose: PodPurpose::Task,
    };
    let mut translated = translate::pod_template(&inputs).map_err(Refusal::translation)?;
    crate::admission::secure(cluster, namespace, namespace_level, &resolved.spec, &mut translated)?;
    let record =
        PodRecord::from_mappings(&resolved.reference, &translated.containers, translated.unsupported.clone(), None);
    let pod = assemble_pod(task, translated.template, &record).map_err(Refusal::translation)?;
    let task_role = task
        .spec
        .overrides
        .as_ref()
        .and_then(|o| o.task_role_arn.clone())
        .or_else(|| resolved.spec.task_role_arn.clone());
    let service_account =
        task_role.as_deref().and_then(translate::task_role_service_account).map(|(name, annotations)| ServiceAccount {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(namespace.to_string()),
                annotations: Some(annotations),
                labels: Some([(labels::MANAGED_BY.to_string(), labels::MANAGED_BY_VALUE.to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        });
    Ok((pod, service_account))
}

/// The Task's Pod: named after the Task (so there is never a second one), owned by it, carrying the
/// record later reconciles read, and held by a finalizer until its final state is recorded.
fn assemble_pod(task: &Task, template: PodTemplateSpec, record: &PodRecord) -> Result<Pod, serde_json::Error> {
    let mut metadata = template.metadata.unwrap_or_default();
    metadata.name = task.metadata.name.clone();
    metadata.namespace = task.metadata.namespace.clone();
    let pod_labels = metadata.labels.get_or_insert_with(Default::default);
    pod_labels.insert(labels::TASK_NAME.into(), labels::value(task.metadata.name.as_deref().unwrap_or_default()));
    pod_labels.insert(labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into());
    if let Some(group) = task.spec.group.as_deref().filter(|g| !g.is_empty()) {
        pod_labels.insert(TASK_GROUP_LABEL.into(), labels::value(group));
    }
    metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(super::POD_RECORD_ANNOTATION.into(), serde_json::to_string(record)?);
    metadata.owner_references = task.controller_owner_ref(&()).map(|o| vec![o]);
    metadata.finalizers = Some(vec![labels::TASK_RECORD_FINALIZER.into()]);
    Ok(Pod { metadata, spec: template.spec, status: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ecs::RevisionStatus;

    fn task(spec: serde_json::Value) -> Task {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
            "metadata": {"name": "job-1", "namespace": "batch", "uid": "uid-1"},
            "spec": spec,
        }))
        .expect("task")
    }

    fn resolved(containers: serde_json::Value) -> ResolvedRevision {
        ResolvedRevision {
            reference: "job:3".into(),
            family: "job".into(),
            revision: 3,
            task_definition_name: "job".into(),
            spec: serde_json::from_value(serde_json::json!({"containerDefinitions": containers})).expect("spec"),
            status: RevisionStatus::Active,
        }
    }

    fn cluster() -> EcsCluster {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": "default"},
            "spec": {}
        }))
        .expect("cluster")
    }

    #[test]
    fn the_pod_is_the_tasks_own_and_carries_its_record_until_the_stop_is_recorded() {
        let task = task(serde_json::json!({"taskDefinition": "job", "group": "nightly",
            "overrides": {"taskRoleArn": "arn:aws:iam::123456789012:role/reader"}}));
        let (pod, account) = build(
            &task,
            &resolved(serde_json::json!([{"name": "app", "image": "busybox"}])),
            &cluster(),
            &Placement::default(),
            None,
        )
        .expect("built");
        let meta = &pod.metadata;
        assert_eq!((meta.name.as_deref(), meta.namespace.as_deref()), (Some("job-1"), Some("batch")));
        assert_eq!(meta.owner_references.as_ref().map(|o| o[0].uid.as_str()), Some("uid-1"));
        assert_eq!(meta.finalizers.as_deref(), Some(&[labels::TASK_RECORD_FINALIZER.to_string()][..]));
        let pod_labels = meta.labels.clone().unwrap_or_default();
        assert_eq!(pod_labels.get(TASK_GROUP_LABEL).map(String::as_str), Some("nightly"));
        assert_eq!(pod_labels.get(labels::TASK_NAME).map(String::as_str), Some("job-1"));
        assert_eq!(super::super::pod_record(&pod).task_definition, "job:3");
        assert!(account.is_some(), "a task role gets a service account standing in for it");
    }

    #[test]
    fn a_refused_task_has_no_pod() {
        let refused = build(
            &task(serde_json::json!({"taskDefinition": "job"})),
            &resolved(serde_json::json!([{"name": "app", "image": "busybox", "privileged": true}])),
            &cluster(),
            &Placement::default(),
            None,
        );
        let refusal = refused.expect_err("baseline refuses privileged");
        assert!(refusal.message.contains("privileged"), "{}", refusal.message);
    }
}
