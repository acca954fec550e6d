//! The console's service writes: Create service, Update service (ECS's UpdateService: desired count,
//! deployment settings, a new revision, force new deployment) and Delete service, made as the
//! signed-in identity on the same Service objects `kubectl apply` and the ECS API write (field
//! manager `kube-ecs-console`), so RBAC and the apiserver's rules decide.
//!
//! The form becomes the object by a pure function ([`service_object`]) starting from the object as
//! it is (an update keeps every field the form does not show: Service Connect, auto scaling, ...),
//! and an update is a replace carrying the resourceVersion read, so a change made meanwhile (by
//! kubectl, an autoscaler) is a 409 shown to the user, never silently overwritten. The same object
//! is what "Show manifest" and "Download manifest" give instead (views::gitops).

use kube::api::{Api, DeleteParams, PostParams};
use kube_ecs_api::labels::FORCE_NEW_DEPLOYMENT_ANNOTATION;
use kube_ecs_api::service::{DeploymentCircuitBreaker, DeploymentConfiguration, LoadBalancer};
use kube_ecs_api::{Service, ServiceSpec};
use kube_ecs_domain::revisions::Reference;
use serde::Deserialize;

use crate::actions::FIELD_MANAGER;
use crate::error::{ConsoleError, Result};
use crate::form_fields;
use crate::page::is_name;

/// The most tasks the form asks for (the ECS console has no bound; a typo of 10000 is refused).
const MAX_DESIRED: i32 = 1000;

crate::extract::csrf_form!(ServiceForm);

/// The service form as posted (create and update share it; `service_name` is create's only).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ServiceForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
    /// The button pressed: `apply`, `manifest` or `download` (views::gitops::Intent).
    #[serde(default)]
    pub intent: String,
    #[serde(default)]
    pub service_name: String,
    /// `family` (follows the latest revision) or `family:revision`.
    #[serde(default)]
    pub task_definition: String,
    #[serde(default)]
    pub desired_count: String,
    #[serde(default)]
    pub compute: String,
    #[serde(default)]
    pub minimum_healthy_percent: String,
    #[serde(default)]
    pub maximum_percent: String,
    #[serde(default)]
    pub circuit_breaker: String,
    #[serde(default)]
    pub rollback: String,
    #[serde(default)]
    pub lb_container: String,
    #[serde(default)]
    pub lb_port: String,
    #[serde(default)]
    pub placement_constraints: String,
    #[serde(default)]
    pub placement_strategy: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub force_new_deployment: String,
    /// Delete's confirmation: the service's name typed again.
    #[serde(default)]
    pub confirm: String,
}

impl ServiceForm {
    /// The form's values for an existing service (the update form starts from them).
    pub fn of(service: &Service) -> Self {
        let spec = &service.spec;
        let deployment = spec.deployment_configuration.clone().unwrap_or_default();
        let breaker = deployment.deployment_circuit_breaker.clone().unwrap_or_default();
        let lb = spec.load_balancers.first().cloned().unwrap_or_default();
        let tick = |on: bool| if on { "on".to_string() } else { String::new() };
        Self {
            service_name: service.metadata.name.clone().unwrap_or_default(),
            task_definition: spec.task_definition.clone(),
            desired_count: spec.desired_count.map(|n| n.to_string()).unwrap_or_default(),
            compute: form_fields::compute_value(spec.launch_type.as_ref(), &spec.capacity_provider_strategy),
            minimum_healthy_percent: deployment.minimum_healthy_percent.map(|n| n.to_string()).unwrap_or_default(),
            maximum_percent: deployment.maximum_percent.map(|n| n.to_string()).unwrap_or_default(),
            circuit_breaker: tick(breaker.enable),
            rollback: tick(breaker.rollback),
            lb_container: lb.container_name.unwrap_or_default(),
            lb_port: lb.container_port.map(|p| p.to_string()).unwrap_or_default(),
            placement_constraints: form_fields::placement_constraints_text(&spec.placement_constraints),
            placement_strategy: form_fields::placement_strategies_text(&spec.placement_strategy),
            tags: form_fields::tags_text(&spec.tags),
            ..Default::default()
        }
    }
}

/// The Service the form asks for: `existing` changed by the form (update), or a new Service named
/// by the form on `cluster` in `ns` (create).
pub fn service_object(form: &ServiceForm, ns: &str, cluster: &str, existing: Option<&Service>) -> Result<Service> {
    let reference = Reference::parse(form.task_definition.trim()).map_err(ConsoleError::Invalid)?;
    let mut service = match existing {
        Some(service) => service.clone(),
        None => {
            let name = form.service_name.trim();
            if !is_name(name) || name.len() > 63 {
                return Err(ConsoleError::Invalid(format!(
                    "A service name here is its object's name: lowercase letters, digits and '-', at most 63, not {name:?}."
                )));
            }
            let mut service = Service::new(name, ServiceSpec::default());
            service.metadata.namespace = Some(ns.to_string());
            service.spec.cluster = Some(cluster.to_string());
            service
        }
    };
    let spec = &mut service.spec;
    spec.task_definition = match reference.revision {
        Some(revision) => format!("{}:{revision}", reference.family),
        None => reference.family.clone(),
    };
    spec.desired_count = form_fields::number(&form.desired_count, "Desired tasks", 0..=MAX_DESIRED)?;
    let (launch, providers) = form_fields::compute(&form.compute)?;
    spec.launch_type = launch;
    spec.capacity_provider_strategy = providers;

    let minimum = form_fields::number(&form.minimum_healthy_percent, "Minimum healthy percent", 0..=100)?;
    let maximum = form_fields::number(&form.maximum_percent, "Maximum percent", 100..=200)?;
    let breaker = form_fields::ticked(&form.circuit_breaker);
    let rollback = form_fields::ticked(&form.rollback);
    if rollback && !breaker {
        return Err(ConsoleError::Invalid("Rollback on failure needs the deployment circuit breaker on.".into()));
    }
    let mut deployment = spec.deployment_configuration.take().unwrap_or_default();
    deployment.minimum_healthy_percent = minimum;
    deployment.maximum_percent = maximum;
    // Off and never set stays unset (ECS's default), rather than writing enable: false.
    deployment.deployment_circuit_breaker = match (breaker, deployment.deployment_circuit_breaker.is_some()) {
        (false, false) => None,
        _ => Some(DeploymentCircuitBreaker { enable: breaker, rollback }),
    };
    spec.deployment_configuration = (deployment != DeploymentConfiguration::default()).then_some(deployment);

    let container = form.lb_container.trim();
    let port = form_fields::number(&form.lb_port, "Container port", 1..=65535)?;
    let first = spec.load_balancers.first().cloned().unwrap_or_default();
    let rest: Vec<LoadBalancer> = spec.load_balancers.iter().skip(1).cloned().collect();
    spec.load_balancers = match (container, port) {
        ("", None) => rest,
        (name, Some(port)) if !name.is_empty() => {
            let lb = LoadBalancer { container_name: Some(name.to_string()), container_port: Some(port), ..first };
            std::iter::once(lb).chain(rest).collect()
        }
        _ => return Err(ConsoleError::Invalid("A load balancer needs both its container name and port.".into())),
    };
    spec.placement_constraints = form_fields::placement_constraints(&form.placement_constraints)?;
    spec.placement_strategy = form_fields::placement_strategies(&form.placement_strategy)?;
    spec.tags = form_fields::tags(&form.tags)?;
    if form_fields::ticked(&form.force_new_deployment) {
        // UpdateService's forceNewDeployment, as the ECS API writes it: a new value replaces every task.
        service
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(FORCE_NEW_DEPLOYMENT_ANNOTATION.into(), jiff::Timestamp::now().to_string());
    }
    Ok(service)
}

fn params() -> PostParams {
    PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() }
}

/// Creates the service as the identity; its object name.
pub async fn create(client: &kube::Client, ns: &str, service: &Service) -> Result<String> {
    let created = Api::<Service>::namespaced(client.clone(), ns).create(&params(), service).await?;
    Ok(created.metadata.name.unwrap_or_default())
}

/// Replaces the service as the identity (its resourceVersion makes a concurrent change a 409).
pub async fn update(client: &kube::Client, ns: &str, service: &Service) -> Result<()> {
    let name = service.metadata.name.clone().unwrap_or_default();
    Api::<Service>::namespaced(client.clone(), ns).replace(&name, &params(), service).await?;
    Ok(())
}

/// What the apiserver says of `service` without storing it (a server-side dry run as the identity:
/// the schema, CEL rules and admission `kubectl apply` meets), for a manifest shown instead of applied.
pub async fn dry_run(client: &kube::Client, ns: &str, service: &Service, creating: bool) -> Result<()> {
    let api = Api::<Service>::namespaced(client.clone(), ns);
    let params = PostParams { dry_run: true, ..params() };
    if creating {
        api.create(&params, service).await?;
    } else {
        let name = service.metadata.name.clone().unwrap_or_default();
        api.replace(&name, &params, service).await?;
    }
    Ok(())
}

/// Deletes the service as the identity (its tasks drain as the Service controller stops them).
pub async fn delete(client: &kube::Client, ns: &str, name: &str) -> Result<()> {
    Api::<Service>::namespaced(client.clone(), ns).delete(name, &DeleteParams::background()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn form(pairs: &[(&str, &str)]) -> ServiceForm {
        let mut form =
            ServiceForm { service_name: "web".into(), task_definition: "web:1".into(), ..Default::default() };
        for (k, v) in pairs {
            let v = v.to_string();
            match *k {
                "desired_count" => form.desired_count = v,
                "compute" => form.compute = v,
                "min" => form.minimum_healthy_percent = v,
                "max" => form.maximum_percent = v,
                "breaker" => form.circuit_breaker = v,
                "rollback" => form.rollback = v,
                "lb_container" => form.lb_container = v,
                "lb_port" => form.lb_port = v,
                "constraints" => form.placement_constraints = v,
                "strategy" => form.placement_strategy = v,
                "tags" => form.tags = v,
                "force" => form.force_new_deployment = v,
                "name" => form.service_name = v,
                _ => form.task_definition = v,
            }
        }
        form
    }

    #[test]
    fn a_new_service_is_the_spec_create_service_writes() {
        let service = service_object(
            &form(&[
                ("desired_count", "2"),
                ("compute", "provider:spot"),
                ("min", "50"),
                ("max", "200"),
                ("breaker", "on"),
                ("rollback", "on"),
                ("lb_container", "app"),
                ("lb_port", "8080"),
                ("constraints", "distinctInstance"),
                ("strategy", "spread attribute:ecs.availability-zone"),
                ("tags", "team=<script>x</script>"),
            ]),
            "team-a",
            "prod",
            None,
        )
        .expect("valid");
        let expected: ServiceSpec = serde_json::from_value(serde_json::json!({
            "taskDefinition": "web:1", "cluster": "prod", "desiredCount": 2,
            "capacityProviderStrategy": [{"capacityProvider": "spot", "weight": 1}],
            "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 200,
                "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "loadBalancers": [{"containerName": "app", "containerPort": 8080}],
            "placementConstraints": [{"type": "distinctInstance"}],
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
            "tags": [{"key": "team", "value": "<script>x</script>"}],
        }))
        .expect("spec");
        assert_eq!(service.spec, expected);
        assert_eq!(service.metadata.name.as_deref(), Some("web"));
        assert_eq!(service.metadata.namespace.as_deref(), Some("team-a"));
    }

    #[test]
    fn an_update_keeps_what_the_form_does_not_show_and_forces_a_deployment_on_request() {
        let mut existing: Service = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "team-a", "resourceVersion": "42"},
            "spec": {"taskDefinition": "web", "cluster": "prod", "desiredCount": 1,
                "serviceConnectConfiguration": {"enabled": true},
                "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "app", "containerPort": 80}]}}))
        .expect("service");
        existing.spec.health_check_grace_period_seconds = Some(30);
        let mut values = ServiceForm::of(&existing);
        assert_eq!((values.desired_count.as_str(), values.lb_port.as_str()), ("1", "80"));
        values.task_definition = "web:2".into();
        values.desired_count = "3".into();
        values.force_new_deployment = "on".into();
        let updated = service_object(&values, "team-a", "prod", Some(&existing)).expect("valid");
        assert_eq!(updated.spec.task_definition, "web:2");
        assert_eq!(updated.spec.desired_count, Some(3));
        assert_eq!(updated.spec.health_check_grace_period_seconds, Some(30));
        assert_eq!(updated.spec.service_connect_configuration, Some(serde_json::json!({"enabled": true})));
        assert_eq!(updated.spec.load_balancers[0].target_group_arn.as_deref(), Some("arn:tg"));
        assert_eq!(updated.metadata.resource_version.as_deref(), Some("42"), "a replace of what was read");
        assert!(updated.metadata.annotations.expect("annotations").contains_key(FORCE_NEW_DEPLOYMENT_ANNOTATION));
        assert_eq!(updated.spec.deployment_configuration, None, "nothing set stays unset");
    }

    #[test]
    fn what_the_form_refuses() {
        for (pairs, says) in [
            (vec![("td", "web:x")], "revision must be a number"),
            (vec![("name", "Web_1")], "object's name"),
            (vec![("desired_count", "-1")], "between 0 and 1000"),
            (vec![("max", "300")], "between 100 and 200"),
            (vec![("rollback", "on")], "circuit breaker on"),
            (vec![("lb_container", "app")], "container name and port"),
            (vec![("tags", "nokey")], "KEY=value"),
        ] {
            let error = service_object(&form(&pairs), "ns", "c", None).expect_err("refused").to_string();
            assert!(error.contains(says), "{pairs:?}: {error}");
        }
    }
}
