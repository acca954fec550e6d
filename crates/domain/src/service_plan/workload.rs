//! The Kubernetes objects of an ECS service: a Deployment (REPLICA) or DaemonSet (DAEMON) running the
//! translated pod template, and a Service exposing the container ports named by loadBalancers and
//! serviceRegistries. Pure builders: no client.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{PodTemplateSpec, Service as KubeService};
use kube::{Resource, ResourceExt};

use crate::api::service::Service;
use crate::api::task_definition::TaskDefinitionSpec;
use crate::labels;
use crate::task_plan::{POD_RECORD_ANNOTATION, PodRecord};

use super::rolling::RollingBounds;

pub use crate::labels::{SERVICE_REVISION_LABEL, TASK_DEFINITION_ANNOTATION};

/// Everything the workload builders need.
pub struct WorkloadInputs<'a> {
    pub service: &'a Service,
    pub template: PodTemplateSpec,
    pub record: &'a PodRecord,
    pub desired_count: i32,
    /// `replicas` as kube-ecs applies it; None while an HPA owns it (left out of the apply).
    pub replicas: Option<i32>,
    pub bounds: RollingBounds,
    /// Stop rolling out (circuit breaker tripped without rollback).
    pub paused: bool,
}

/// Label value naming a revision (`web:3` -> `web.3`); label values cannot hold `:`.
pub fn revision_label_value(reference: &str) -> String {
    let value: String =
        reference.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '.' }).collect();
    let value: String = value.chars().rev().take(63).collect::<Vec<_>>().into_iter().rev().collect();
    value.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

/// The selector of every pod of `service`.
pub fn selector(service: &Service) -> BTreeMap<String, String> {
    [(labels::SERVICE_NAME.to_string(), labels::value(&service.name_any()))].into()
}

/// The selector as a string (status.selector, for the scale subresource and HPAs).
pub fn selector_string(service: &Service) -> String {
    format!("{}={}", labels::SERVICE_NAME, labels::value(&service.name_any()))
}

/// Name of the service's Deployment or DaemonSet: the service's, shortened where the workload's own
/// children (a ReplicaSet `<name>-<10-character hash>`) would exceed 253 characters.
pub fn workload_name(service_name: &str) -> String {
    labels::child_name(service_name, "", 242)
}

/// Name of the service's Kubernetes Service: a DNS-1035 label (at most 63 characters, a letter
/// first), shortened with a hash where the ECS service's name does not fit.
pub fn kube_service_name(service_name: &str) -> String {
    let name = labels::child_name(service_name, "", 63);
    if name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name
    } else {
        labels::child_name(&format!("s-{service_name}"), "", 63)
    }
}

fn pod_template(inputs: &WorkloadInputs) -> Result<PodTemplateSpec, serde_json::Error> {
    let mut template = inputs.template.clone();
    let metadata = template.metadata.get_or_insert_with(Default::default);
    let pod_labels = metadata.labels.get_or_insert_with(Default::default);
    pod_labels.extend(selector(inputs.service));
    pod_labels.insert(SERVICE_REVISION_LABEL.into(), revision_label_value(&inputs.record.task_definition));
    pod_labels.insert(labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into());
    let annotations = metadata.annotations.get_or_insert_with(Default::default);
    annotations.insert(POD_RECORD_ANNOTATION.into(), serde_json::to_string(inputs.record)?);
    // The label may be shortened; the pod -> service mapping reads the whole name from here.
    annotations.insert(labels::SERVICE_NAME_ANNOTATION.into(), inputs.service.name_any());
    // ECS's forceNewDeployment: a new value changes the template, so every task is replaced with a
    // fresh one of the same revision.
    let forced =
        inputs.service.metadata.annotations.as_ref().and_then(|a| a.get(labels::FORCE_NEW_DEPLOYMENT_ANNOTATION));
    if let Some(forced) = forced {
        annotations.insert(labels::FORCE_NEW_DEPLOYMENT_ANNOTATION.into(), forced.clone());
    }
    if super::load_balancing::is_load_balanced(inputs.service) {
        super::load_balancing::drain_before_stop(&mut template);
        super::load_balancing::ready_when_listening(&mut template, inputs.service);
    }
    if let (Some(grace), Some(spec)) = (inputs.service.spec.health_check_grace_period_seconds, template.spec.as_mut()) {
        // ECS ignores failing health checks for this long after a task starts: liveness checks wait.
        for c in &mut spec.containers {
            if let Some(probe) = c.liveness_probe.as_mut() {
                probe.initial_delay_seconds = Some(probe.initial_delay_seconds.unwrap_or(0).max(grace));
            }
        }
    }
    Ok(template)
}

fn object_meta(service: &Service, name: &str, reference: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "namespace": service.namespace(),
        "labels": { labels::SERVICE_NAME: labels::value(&service.name_any()), labels::MANAGED_BY: labels::MANAGED_BY_VALUE },
        "annotations": { TASK_DEFINITION_ANNOTATION: reference },
        "ownerReferences": service.controller_owner_ref(&()).into_iter().collect::<Vec<_>>(),
    })
}

/// The Deployment of a REPLICA service.
pub fn deployment(inputs: &WorkloadInputs) -> Result<Deployment, serde_json::Error> {
    let template = pod_template(inputs)?;
    let mut deployment = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(inputs.service, &workload_name(&inputs.service.name_any()), &inputs.record.task_definition),
        "spec": {
            "selector": { "matchLabels": selector(inputs.service) },
            "paused": inputs.paused,
            "revisionHistoryLimit": 5,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": { "maxSurge": inputs.bounds.max_surge, "maxUnavailable": inputs.bounds.max_unavailable },
            },
            "template": template,
        },
    });
    if let Some(replicas) = inputs.replicas {
        deployment["spec"]["replicas"] = replicas.into();
    }
    serde_json::from_value(deployment)
}

/// The DaemonSet of a DAEMON service: one task per container instance of the cluster.
pub fn daemon_set(inputs: &WorkloadInputs, minimum_healthy_percent: i32) -> Result<DaemonSet, serde_json::Error> {
    let template = pod_template(inputs)?;
    let max_unavailable = format!("{}%", (100 - minimum_healthy_percent.clamp(0, 100)).max(1));
    serde_json::from_value(serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": object_meta(inputs.service, &workload_name(&inputs.service.name_any()), &inputs.record.task_definition),
        "spec": {
            "selector": { "matchLabels": selector(inputs.service) },
            "revisionHistoryLimit": 5,
            "updateStrategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": max_unavailable } },
            "template": template,
        },
    }))
}

/// The Kubernetes Service for the container ports named by loadBalancers and serviceRegistries, or
/// None when the service names none.
pub fn kube_service(service: &Service, definition: &TaskDefinitionSpec, reference: &str) -> Option<KubeService> {
    let mut ports: Vec<serde_json::Value> = Vec::new();
    let mut annotations = BTreeMap::new();
    let targets =
        service.spec.load_balancers.iter().map(|lb| (lb.container_name.clone(), lb.container_port)).chain(
            service.spec.service_registries.iter().map(|r| (r.container_name.clone(), r.container_port.or(r.port))),
        );
    for (container, port) in targets {
        let Some(port) = port else { continue };
        if ports.iter().any(|p| p["port"] == port) {
            continue;
        }
        let protocol = definition
            .container_definitions
            .iter()
            .filter(|c| container.as_deref().is_none_or(|n| n == c.name))
            .flat_map(|c| c.port_mappings.iter())
            .find(|m| m.container_port == Some(port))
            .and_then(|m| m.protocol.clone())
            .unwrap_or_else(|| "tcp".into())
            .to_uppercase();
        ports.push(serde_json::json!({
            "name": format!("{}-{port}", protocol.to_lowercase()),
            "port": port,
            "targetPort": port,
            "protocol": protocol,
        }));
    }
    for (i, lb) in service.spec.load_balancers.iter().enumerate() {
        if let Some(arn) = &lb.target_group_arn {
            annotations.insert(format!("ecs.kube-ecs.dev/target-group-arn-{i}"), arn.clone());
        }
        if let Some(name) = &lb.load_balancer_name {
            annotations.insert(format!("ecs.kube-ecs.dev/load-balancer-name-{i}"), name.clone());
        }
    }
    for (i, r) in service.spec.service_registries.iter().enumerate() {
        if let Some(arn) = &r.registry_arn {
            annotations.insert(format!("ecs.kube-ecs.dev/registry-arn-{i}"), arn.clone());
        }
    }
    if ports.is_empty() {
        return None;
    }
    let mut meta = object_meta(service, &kube_service_name(&service.name_any()), reference);
    if let Some(map) = meta["annotations"].as_object_mut() {
        for (k, v) in annotations {
            map.insert(k, v.into());
        }
    }
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": { "selector": selector(service), "ports": ports, "type": "ClusterIP" },
    }))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_plan::fixtures::service;

    #[test]
    fn revision_labels_are_valid_label_values() {
        assert_eq!(revision_label_value("web:3"), "web.3");
        assert_eq!(revision_label_value("My_App:12"), "My_App.12");
    }

    #[test]
    fn the_health_check_grace_period_delays_liveness_checks() {
        use crate::service_plan::rolling::RollingBounds;
        let template: PodTemplateSpec = serde_json::from_value(serde_json::json!({"spec": {"containers": [
            {"name": "app", "image": "web:1", "livenessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 5}},
            {"name": "late", "image": "web:1", "livenessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 90}},
        ]}}))
        .expect("template");
        let record = PodRecord::from_mappings("web:1", &[], Vec::new(), None);
        for (grace, delays) in [(None, [5, 90]), (Some(30), [30, 90])] {
            let mut svc = service("taskDefinition: web\n");
            svc.spec.health_check_grace_period_seconds = grace;
            let inputs = WorkloadInputs {
                service: &svc,
                template: template.clone(),
                record: &record,
                desired_count: 1,
                replicas: Some(1),
                bounds: RollingBounds { max_surge: 1, max_unavailable: 0, adjusted: false },
                paused: false,
            };
            let pod = pod_template(&inputs).expect("template").spec.expect("spec");
            let got: Vec<i32> =
                pod.containers.iter().filter_map(|c| c.liveness_probe.as_ref()?.initial_delay_seconds).collect();
            assert_eq!(got, delays, "grace {grace:?}: failing checks before it do not replace the task");
        }
    }

    #[test]
    fn load_balancer_ports_become_a_cluster_ip_service() {
        let svc = service(
            "taskDefinition: web\nloadBalancers:\n- containerName: app\n  containerPort: 8080\n  targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/abc\n",
        );
        let def: TaskDefinitionSpec = serde_yaml::from_str(
            "containerDefinitions:\n- name: app\n  image: web:1\n  portMappings:\n  - containerPort: 8080\n    protocol: tcp\n",
        )
        .expect("definition");
        let k = kube_service(&svc, &def, "web:1").expect("a service");
        let spec = k.spec.expect("spec");
        let ports = spec.ports.expect("ports");
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0].port, 8080);
        assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
        assert_eq!(spec.selector.expect("selector").get(labels::SERVICE_NAME).map(String::as_str), Some("web"));
        assert!(k.metadata.annotations.expect("annotations").contains_key("ecs.kube-ecs.dev/target-group-arn-0"));
        assert_eq!(k.metadata.owner_references.expect("owner").len(), 1);
        assert!(kube_service(&service("taskDefinition: web\n"), &def, "web:1").is_none());
    }
}
