//! What a load balancer in front of an ECS service implies for its Kubernetes objects, besides the
//! Kubernetes Service itself (`workload::kube_service`):
//! - **Deregistration before SIGTERM.** An ALB stops sending new requests to a target before ECS
//!   stops the task (the target group's deregistration delay). On Kubernetes a terminating Pod
//!   leaves the Service's endpoints at once, but kube-proxy on each node and any ingress learn it a
//!   moment later: a container that gets SIGTERM at the same instant drops the requests still on
//!   their way. Each container of a load-balanced service therefore waits [`DEREGISTRATION_DELAY`]
//!   in a `preStop` sleep (the kubelet's own sleep action: no shell needed in the image) before it
//!   is signalled; the grace period grows by the wait, so the stop timeout still runs from SIGTERM,
//!   as in ECS.
//! - **Registration after a health check.** An ALB sends a new target traffic once it passes a health
//!   check; a Pod is an endpoint as soon as it is ready. A load-balanced container without an ECS
//!   health check (which is a readiness probe already) gets a TCP readiness probe on its target port
//!   ([`ready_when_listening`]), so a task joins the endpoints when it listens, not when it starts.
//! - **Existing target groups.** `loadBalancers[].targetGroupArn` on EKS is an ALB/NLB target group
//!   the AWS Load Balancer Controller keeps in step with a Kubernetes Service through a
//!   `TargetGroupBinding` (elbv2.k8s.aws/v1beta1): [`target_group_bindings`] makes one per target
//!   group, when the cluster has that kind.

use k8s_openapi::api::core::v1::{LifecycleHandler, PodTemplateSpec, Probe, SleepAction, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{Resource, ResourceExt};

use crate::api::service::Service;

/// How long a load-balanced task's containers stay up after leaving the endpoints: long enough for
/// kube-proxy on a busy node to have dropped the task from its rules (5 s lost a request now and
/// then on a loaded two-core host: tests/service_network.rs).
pub const DEREGISTRATION_DELAY: i64 = 10;

/// The TargetGroupBinding kind's API group, version and plural.
pub const TARGET_GROUP_BINDING_GROUP: &str = "elbv2.k8s.aws";
pub const TARGET_GROUP_BINDING_VERSION: &str = "v1beta1";
pub const TARGET_GROUP_BINDING_KIND: &str = "TargetGroupBinding";
pub const TARGET_GROUP_BINDING_PLURAL: &str = "targetgroupbindings";

/// Whether traffic reaches the service's tasks through a Kubernetes Service (load balancers or
/// service discovery): then its tasks drain before they stop.
pub fn is_load_balanced(service: &Service) -> bool {
    !service.spec.load_balancers.is_empty() || !service.spec.service_registries.is_empty()
}

/// Adds the deregistration wait to every container of `template` that has no preStop hook of its own.
pub fn drain_before_stop(template: &mut PodTemplateSpec) {
    let Some(spec) = template.spec.as_mut() else { return };
    for container in &mut spec.containers {
        let lifecycle = container.lifecycle.get_or_insert_with(Default::default);
        if lifecycle.pre_stop.is_none() {
            lifecycle.pre_stop = Some(LifecycleHandler {
                sleep: Some(SleepAction { seconds: DEREGISTRATION_DELAY }),
                ..Default::default()
            });
        }
    }
    // ECS signals a task once it has left the target group, then gives it its stop timeout: the
    // grace period (the stop timeout) grows by the wait, so SIGTERM still comes with all of it.
    let grace = spec.termination_grace_period_seconds.unwrap_or(30);
    spec.termination_grace_period_seconds = Some(grace + DEREGISTRATION_DELAY);
}

/// Gives the container listening on each load-balanced port a TCP readiness probe on it, unless it
/// has a readiness probe (an ECS health check) of its own.
pub fn ready_when_listening(template: &mut PodTemplateSpec, service: &Service) {
    let Some(spec) = template.spec.as_mut() else { return };
    for port in service.spec.load_balancers.iter().filter_map(|lb| lb.container_port) {
        let listening = spec.containers.iter_mut().find(|c| c.ports.iter().flatten().any(|p| p.container_port == port));
        if let Some(container) = listening.filter(|c| c.readiness_probe.is_none()) {
            container.readiness_probe = Some(Probe {
                tcp_socket: Some(TCPSocketAction { port: IntOrString::Int(port), ..Default::default() }),
                period_seconds: Some(1),
                failure_threshold: Some(1),
                ..Default::default()
            });
        }
    }
}

/// One TargetGroupBinding (as JSON for a dynamic apply) per load balancer with a target group ARN:
/// the target group, the Kubernetes Service `kube_service` and the container port, IP targets (the
/// tasks' Pod IPs, as awsvpc tasks register in ECS). Named `<service>-tg-<index>`, owned by the
/// ECS Service.
pub fn target_group_bindings(service: &Service, kube_service: &str) -> Vec<(String, serde_json::Value)> {
    let owner = service.controller_owner_ref(&());
    service
        .spec
        .load_balancers
        .iter()
        .enumerate()
        .filter_map(|(i, lb)| {
            let arn = lb.target_group_arn.as_ref()?;
            let port = lb.container_port?;
            let name = crate::api::names::dns_label(&format!("{}-tg-{i}", service.name_any()), 63);
            let binding = serde_json::json!({
                "apiVersion": format!("{TARGET_GROUP_BINDING_GROUP}/{TARGET_GROUP_BINDING_VERSION}"),
                "kind": TARGET_GROUP_BINDING_KIND,
                "metadata": {
                    "name": name,
                    "namespace": service.namespace(),
                    "labels": {crate::labels::MANAGED_BY: crate::labels::MANAGED_BY_VALUE},
                    "ownerReferences": owner.iter().collect::<Vec<_>>(),
                },
                "spec": {
                    "targetGroupARN": arn,
                    "targetType": "ip",
                    "serviceRef": {"name": kube_service, "port": port},
                },
            });
            Some((name, binding))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_plan::fixtures::service;

    #[test]
    fn load_balanced_containers_wait_before_their_signal() {
        let mut template: PodTemplateSpec = serde_json::from_value(serde_json::json!({
            "spec": {"terminationGracePeriodSeconds": 2, "containers": [
                {"name": "app", "image": "web:1"},
                {"name": "sidecar", "image": "s:1", "lifecycle": {"preStop": {"exec": {"command": ["/drain"]}}}},
            ]}
        }))
        .expect("template");
        drain_before_stop(&mut template);
        let spec = template.spec.expect("spec");
        let app = spec.containers[0].lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).expect("preStop");
        assert_eq!(app.sleep.as_ref().map(|s| s.seconds), Some(DEREGISTRATION_DELAY));
        let own = spec.containers[1].lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).expect("preStop");
        assert!(own.exec.is_some() && own.sleep.is_none(), "a container's own preStop is kept");
        assert_eq!(spec.termination_grace_period_seconds, Some(2 + DEREGISTRATION_DELAY), "the stop timeout after it");

        assert!(is_load_balanced(&service(
            "taskDefinition: web\nloadBalancers:\n- containerName: app\n  containerPort: 80\n"
        )));
        assert!(is_load_balanced(&service(
            "taskDefinition: web\nserviceRegistries:\n- registryArn: arn:x\n  containerPort: 80\n"
        )));
        assert!(!is_load_balanced(&service("taskDefinition: web\n")));
    }

    #[test]
    fn a_binding_per_target_group() {
        let svc = service(
            "taskDefinition: web\nloadBalancers:\n\
             - containerName: app\n  containerPort: 8080\n  targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/abc\n\
             - containerName: app\n  containerPort: 9090\n  loadBalancerName: classic\n",
        );
        let bindings = target_group_bindings(&svc, "web");
        assert_eq!(bindings.len(), 1, "a classic load balancer has no target group");
        let (name, binding) = &bindings[0];
        assert_eq!(name, "web-tg-0");
        assert_eq!(binding["kind"], "TargetGroupBinding");
        assert_eq!(binding["spec"]["serviceRef"], serde_json::json!({"name": "web", "port": 8080}));
        assert_eq!(binding["spec"]["targetGroupARN"], "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/abc");
        assert_eq!(binding["metadata"]["ownerReferences"][0]["kind"], "Service");
    }
}
