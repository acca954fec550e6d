//! STUB (replaced by the full translation): task definition revision + overrides -> pod template.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, PodTemplateSpec, Toleration};

use crate::api::task::TaskOverride;
use crate::api::task_definition::TaskDefinitionSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodPurpose {
    Task,
    Service,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placement {
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<Affinity>,
}

pub struct PodInputs<'a> {
    pub task_definition: &'a TaskDefinitionSpec,
    pub task_definition_ref: &'a str,
    pub overrides: Option<&'a TaskOverride>,
    pub placement: &'a Placement,
    pub purpose: PodPurpose,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TranslatedPod {
    pub template: PodTemplateSpec,
    pub containers: Vec<ContainerMapping>,
    pub unsupported: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerMapping {
    pub ecs_name: String,
    pub kubernetes_name: String,
    pub essential: bool,
    pub image: String,
    pub has_health_check: bool,
    pub kind: ContainerKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Main,
    InitRunToCompletion,
    Sidecar,
}

#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

pub fn pod_template(inputs: &PodInputs) -> Result<TranslatedPod, TranslateError> {
    let containers: Vec<ContainerMapping> = inputs
        .task_definition
        .container_definitions
        .iter()
        .map(|c| ContainerMapping {
            ecs_name: c.name.clone(),
            kubernetes_name: c.name.to_lowercase().replace('_', "-"),
            essential: c.essential.unwrap_or(true),
            image: c.image.clone(),
            has_health_check: c.health_check.is_some(),
            kind: ContainerKind::Main,
        })
        .collect();
    let spec = serde_json::json!({
        "restartPolicy": if inputs.purpose == PodPurpose::Task { "Never" } else { "Always" },
        "nodeSelector": inputs.placement.node_selector,
        "tolerations": inputs.placement.tolerations,
        "affinity": inputs.placement.affinity,
        "containers": containers.iter().map(|m| serde_json::json!({"name": m.kubernetes_name, "image": m.image})).collect::<Vec<_>>(),
    });
    let template = serde_json::from_value(serde_json::json!({
        "metadata": {"annotations": {"ecs.kube-ecs.dev/task-definition": inputs.task_definition_ref}},
        "spec": spec,
    }))
    .map_err(|e| TranslateError::Invalid { field: "pod".into(), message: e.to_string() })?;
    Ok(TranslatedPod { template, containers, unsupported: Vec::new() })
}

pub fn task_role_service_account(_arn: &str) -> Option<(String, BTreeMap<String, String>)> {
    None
}
