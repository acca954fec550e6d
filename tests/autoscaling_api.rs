//! Service auto scaling through Application Auto Scaling's API on the endpoint (docs/autoscaling.md),
//! with the AWS CLI: a scalable target and a policy written with `aws application-autoscaling` are
//! the Service's `spec.autoScaling` and an HPA kubectl sees (desiredCount untouched, `replicas`
//! handed to the HPA without a dip); a policy written with kubectl reads back through the API; a
//! count the autoscaler changes is the service's desired count and a scaling activity; refusals
//! carry the service's error types; deregistering gives `replicas` back to desiredCount; the HPA is
//! the Service's child and goes with it.

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::Client;
use kube::api::{Api, DeleteParams};
use kube_ecs::api::{Service, TaskDefinition};
use support::ecs_api::{EcsApi, Key};

const DIMENSION: &str = "ecs:service:DesiredCount";

fn aas(api: &EcsApi, key: &Key, args: &[&str]) -> (bool, serde_json::Value, String) {
    support::ecs_api::aws_service("application-autoscaling", &api.url, &api.region, key, args, &[])
}

fn ok(what: &str, (ok, json, stderr): (bool, serde_json::Value, String)) -> serde_json::Value {
    assert!(ok, "{what} failed: {stderr}");
    json
}

/// The call fails with the error type `code` (the CLI prints `An error occurred (<code>) ...`).
fn refused(what: &str, (ok, _, stderr): (bool, serde_json::Value, String), code: &str, text: &str) {
    assert!(!ok, "{what} succeeded");
    assert!(
        stderr.contains(&format!("({code})")) && stderr.contains(text),
        "{what}: wanted {code} {text:?}, got {stderr}"
    );
}

/// A team namespace with its key, a cluster of its own with one simulated instance, and the
/// service `web` (2 tasks of a 256-unit, 128 MiB task definition) applied with kubectl's manager.
async fn setup(prefix: &str, service_extra: serde_json::Value) -> (Client, &'static EcsApi, String, Key, String) {
    let api = support::ecs_api::start();
    let client = support::client().await;
    let (ns, key) = support::ecs_api::team(&client, api, prefix, false).await;
    let cluster = format!("{ns}-c");
    support::ecs_api::cluster_with_nodes(&client, &cluster).await;
    support::apply(
        &Api::<TaskDefinition>::namespaced(client.clone(), &ns),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "web"},
            "spec": {"containerDefinitions": [{"name": "web", "image": "busybox", "cpu": 256, "memory": 128}]}}),
    )
    .await;
    let mut spec = serde_json::json!({"taskDefinition": "web", "cluster": cluster, "desiredCount": 2});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), service_extra.as_object()) {
        spec.extend(extra.clone());
    }
    support::apply(
        &Api::<Service>::namespaced(client.clone(), &ns),
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}),
    )
    .await;
    (client, api, ns, key, format!("service/{cluster}/web"))
}

/// Who owns the Deployment's `spec.replicas`.
fn replicas_managers(d: &Deployment) -> Vec<String> {
    kube_ecs::service_plan::observe::replicas_managers(&d.metadata)
}

fn replicas(d: &Deployment) -> Option<i32> {
    d.spec.as_ref().and_then(|s| s.replicas)
}

#[tokio::test]
async fn a_policy_put_through_the_api_is_the_services_spec_and_an_hpa_and_replicas_go_back_on_deregister() {
    let (client, api, ns, key, resource) = setup("aas-api", serde_json::json!({})).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    support::wait_for(&deployments, "web", "the service's Deployment at desiredCount, kube-ecs owning replicas", |d| {
        replicas(d) == Some(2) && replicas_managers(d).iter().any(|m| m == "kube-ecs")
    })
    .await;

    let target = ok(
        "register-scalable-target",
        aas(
            api,
            &key,
            &[
                "register-scalable-target",
                "--service-namespace",
                "ecs",
                "--resource-id",
                &resource,
                "--scalable-dimension",
                DIMENSION,
                "--min-capacity",
                "1",
                "--max-capacity",
                "4",
            ],
        ),
    );
    let target_arn = target["ScalableTargetARN"].as_str().unwrap_or_default();
    assert!(
        target_arn.starts_with("arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/"),
        "{target}"
    );
    let config = r#"{"TargetValue": 50, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}, "ScaleOutCooldown": 60, "ScaleInCooldown": 120}"#;
    let put = ok(
        "put-scaling-policy",
        aas(
            api,
            &key,
            &[
                "put-scaling-policy",
                "--policy-name",
                "cpu50",
                "--service-namespace",
                "ecs",
                "--resource-id",
                &resource,
                "--scalable-dimension",
                DIMENSION,
                "--policy-type",
                "TargetTrackingScaling",
                "--target-tracking-scaling-policy-configuration",
                config,
            ],
        ),
    );
    let arn = put["PolicyARN"].as_str().unwrap_or_default().to_string();
    assert!(
        arn.starts_with("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:")
            && arn.ends_with(&format!(":resource/ecs/{resource}:policyName/cpu50")),
        "{put}"
    );
    assert_eq!(put["Alarms"].as_array().map(Vec::len), Some(2), "{put}");

    // What kubectl sees: the Service's spec (desiredCount as the user wrote it) and the HPA.
    let service = services.get("web").await.expect("service");
    let scaling = service.spec.auto_scaling.clone().expect("spec.autoScaling written by the API");
    assert_eq!((scaling.min_capacity, scaling.max_capacity, service.spec.desired_count), (1, 4, Some(2)));
    assert_eq!(scaling.policies[0].policy_name, "cpu50");
    assert_eq!(scaling.policies[0].scale_in_cooldown, Some(120));
    let hpa = support::wait_for(&hpas, "web", "the service's HPA", |_| true).await;
    let owner = hpa.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(
        owner.first().map(|o| (o.kind.as_str(), o.uid.as_str(), o.controller)),
        Some(("Service", service.metadata.uid.as_deref().unwrap_or(""), Some(true)))
    );
    let spec = serde_json::to_value(hpa.spec.clone()).expect("hpa spec");
    assert_eq!(
        spec["scaleTargetRef"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"})
    );
    assert_eq!((spec["minReplicas"].as_i64(), spec["maxReplicas"].as_i64()), (Some(1), Some(4)));
    assert_eq!(
        spec["metrics"][0]["resource"],
        serde_json::json!({"name": "cpu", "target": {"type": "AverageValue", "averageValue": "125m"}}),
        "50% of 256 CPU units (250m) per task"
    );
    assert_eq!(spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 120);
    // The handover: kube-ecs no longer owns replicas, and the count never left 2.
    let d = support::wait_for(&deployments, "web", "replicas handed over from kube-ecs", |d| {
        !replicas_managers(d).iter().any(|m| m == "kube-ecs")
    })
    .await;
    assert_eq!(replicas(&d), Some(2), "the Deployment kept its count through the handover");

    // Scale-in is suspended while a deployment is IN_PROGRESS, as ECS does: on once the first
    // deployment completed, off while a revision no instance can place is being rolled out, on again
    // once a placeable revision completes.
    let scale_in = |h: &HorizontalPodAutoscaler| {
        let spec = serde_json::to_value(&h.spec).unwrap_or_default();
        spec["behavior"]["scaleDown"]["selectPolicy"].as_str().unwrap_or_default().to_string()
    };
    support::wait_for(&hpas, "web", "scale-in on once the first deployment completed", |h| scale_in(h) == "Max").await;
    let definitions = Api::<TaskDefinition>::namespaced(client.clone(), &ns);
    let revision = |memory: i64| {
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "web"},
            "spec": {"containerDefinitions": [{"name": "web", "image": "busybox", "cpu": 256, "memory": memory}]}})
    };
    support::apply(&definitions, revision(64 * 1024)).await;
    support::wait_for(&hpas, "web", "scale-in off during the deployment", |h| scale_in(h) == "Disabled").await;
    support::apply(&definitions, revision(128)).await;
    support::wait_for(&services, "web", "the placeable revision's deployment COMPLETED", |s| {
        s.status.as_ref().is_some_and(|st| {
            st.task_definition.as_deref() == Some("web:3")
                && st.rollout_state == Some(kube_ecs::api::ecs::RolloutState::Completed)
        })
    })
    .await;
    support::wait_for(&hpas, "web", "scale-in on again after the deployment", |h| scale_in(h) == "Max").await;
    let d = deployments.get("web").await.expect("deployment");
    assert_eq!(replicas(&d), Some(2), "the rollouts left the count alone");

    // The API reads back what it wrote.
    let targets = ok(
        "describe-scalable-targets",
        aas(api, &key, &["describe-scalable-targets", "--service-namespace", "ecs", "--resource-ids", &resource]),
    );
    assert_eq!(targets["ScalableTargets"][0]["MinCapacity"], 1, "{targets}");
    assert_eq!(targets["ScalableTargets"][0]["MaxCapacity"], 4, "{targets}");
    assert_eq!(targets["ScalableTargets"][0]["ScalableTargetARN"], target_arn, "{targets}");
    let policies = ok(
        "describe-scaling-policies",
        aas(api, &key, &["describe-scaling-policies", "--service-namespace", "ecs", "--resource-id", &resource]),
    );
    assert_eq!(policies["ScalingPolicies"][0]["PolicyARN"], arn.as_str(), "the ARN is recomputed the same: {policies}");
    assert_eq!(policies["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"], 50.0);

    // The autoscaler's count (here set through the scale subresource, as the HPA does) is the
    // service's desired count and an activity; kube-ecs does not fight it.
    let (scaled, _, stderr) = support::kubectl(&["scale", "deployment/web", "-n", &ns, "--replicas=3"], None);
    assert!(scaled, "kubectl scale: {stderr}");
    let service = support::wait_for(&services, "web", "status.desiredCount following the autoscaler", |s| {
        s.status.as_ref().and_then(|st| st.desired_count) == Some(3)
    })
    .await;
    let status = service.status.clone().unwrap_or_default();
    let activity = status.auto_scaling.as_ref().and_then(|a| a.activities.first()).expect("an activity");
    assert_eq!(activity.description, "Setting desired count to 3.");
    assert!(
        status.events.iter().any(|e| e.message.contains("auto scaling set the desired count from 2 to 3")),
        "{:?}",
        status.events
    );
    assert_eq!(service.spec.desired_count, Some(2), "spec.desiredCount is never written");
    // ECS's DescribeServices reports the autoscaler's count.
    let cluster = resource.split('/').nth(1).unwrap_or_default().to_string();
    let described =
        support::ecs_api::aws_ok(api, &key, &["describe-services", "--cluster", &cluster, "--services", "web"]);
    assert_eq!(described["services"][0]["desiredCount"], 3, "{described}");
    let activities = ok(
        "describe-scaling-activities",
        aas(api, &key, &["describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", &resource]),
    );
    assert_eq!(activities["ScalingActivities"][0]["Description"], "Setting desired count to 3.", "{activities}");
    assert_eq!(activities["ScalingActivities"][0]["StatusCode"], "Successful");
    assert_eq!(replicas(&deployments.get("web").await.expect("deployment")), Some(3), "not taken back");

    // Deregistering: the HPA goes and kube-ecs takes replicas back at desiredCount.
    ok(
        "deregister-scalable-target",
        aas(
            api,
            &key,
            &[
                "deregister-scalable-target",
                "--service-namespace",
                "ecs",
                "--resource-id",
                &resource,
                "--scalable-dimension",
                DIMENSION,
            ],
        ),
    );
    support::wait_for_list(&hpas, "the HPA deleted", |all| all.is_empty()).await;
    support::wait_for(&deployments, "web", "replicas back at desiredCount, owned by kube-ecs", |d| {
        replicas(d) == Some(2) && replicas_managers(d).iter().any(|m| m == "kube-ecs")
    })
    .await;
    assert!(services.get("web").await.expect("service").spec.auto_scaling.is_none());
    refused(
        "deregister-scalable-target again",
        aas(
            api,
            &key,
            &[
                "deregister-scalable-target",
                "--service-namespace",
                "ecs",
                "--resource-id",
                &resource,
                "--scalable-dimension",
                DIMENSION,
            ],
        ),
        "ObjectNotFoundException",
        "No scalable target found",
    );
}

#[tokio::test]
async fn a_policy_applied_with_kubectl_reads_through_the_api_and_the_hpa_goes_with_the_service() {
    let scaling = serde_json::json!({"autoScaling": {"minCapacity": 2, "maxCapacity": 6, "policies": [
        {"policyName": "mem70", "predefinedMetricType": "ECSServiceAverageMemoryUtilization", "targetValue": 70, "disableScaleIn": true}]}});
    let (client, api, ns, key, resource) = setup("aas-kubectl", scaling).await;
    let policies = ok(
        "describe-scaling-policies",
        aas(api, &key, &["describe-scaling-policies", "--service-namespace", "ecs", "--policy-names", "mem70"]),
    );
    let policy = &policies["ScalingPolicies"][0];
    assert_eq!(policy["ResourceId"], resource.as_str(), "{policies}");
    assert_eq!(policy["PolicyType"], "TargetTrackingScaling");
    let config = &policy["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(config["PredefinedMetricSpecification"]["PredefinedMetricType"], "ECSServiceAverageMemoryUtilization");
    assert_eq!((config["TargetValue"].as_f64(), config["DisableScaleIn"].as_bool()), (Some(70.0), Some(true)));
    let targets =
        ok("describe-scalable-targets", aas(api, &key, &["describe-scalable-targets", "--service-namespace", "ecs"]));
    assert_eq!(targets["ScalableTargets"].as_array().map(Vec::len), Some(1), "{targets}");

    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), &ns);
    let hpa = support::wait_for(&hpas, "web", "the service's HPA", |_| true).await;
    let spec = serde_json::to_value(hpa.spec.clone()).expect("hpa spec");
    assert_eq!(spec["metrics"][0]["resource"]["target"]["averageValue"], "93952410", "70% of 128 MiB, in bytes");
    assert_eq!(spec["behavior"]["scaleDown"]["selectPolicy"], "Disabled", "disableScaleIn");

    // Deleting the Service deletes its HPA (owner reference; the drain removes it first).
    Api::<Service>::namespaced(client.clone(), &ns).delete("web", &DeleteParams::default()).await.expect("delete");
    support::wait_for_list(&hpas, "the HPA gone with its Service", |all| all.is_empty()).await;
}

#[tokio::test]
async fn refusals_carry_application_auto_scalings_error_types() {
    let (client, api, ns, key, resource) = setup("aas-refusals", serde_json::json!({})).await;
    let policy = |name: &str, kind: &str, config: &str| -> Vec<String> {
        [
            "put-scaling-policy",
            "--policy-name",
            name,
            "--service-namespace",
            "ecs",
            "--resource-id",
            &resource,
            "--scalable-dimension",
            DIMENSION,
            "--policy-type",
            kind,
            "--target-tracking-scaling-policy-configuration",
            config,
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |args: Vec<String>| aas(api, &key, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let cpu = r#"{"TargetValue": 50, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}"#;
    refused(
        "a policy before the target",
        run(policy("cpu50", "TargetTrackingScaling", cpu)),
        "ObjectNotFoundException",
        "No scalable target registered",
    );
    let register = |min: &str, max: &str, id: &str| {
        [
            "register-scalable-target",
            "--service-namespace",
            "ecs",
            "--resource-id",
            id,
            "--scalable-dimension",
            DIMENSION,
            "--min-capacity",
            min,
            "--max-capacity",
            max,
        ]
        .map(String::from)
        .to_vec()
    };
    refused(
        "min > max",
        run(register("5", "2", &resource)),
        "ValidationException",
        "Minimum capacity (5) cannot be greater than maximum capacity (2)",
    );
    refused(
        "a missing service",
        run(register("1", "2", &resource.replace("/web", "/nope"))),
        "ValidationException",
        "ECS service doesn't exist",
    );
    refused(
        "another resource type",
        run(register("1", "2", "table/web")),
        "ValidationException",
        "Unsupported service namespace, resource type or scalable dimension",
    );
    ok("register-scalable-target", run(register("1", "3", &resource)));
    refused(
        "step scaling",
        run(policy("steps", "StepScaling", cpu)),
        "ValidationException",
        "StepScaling policies are not supported",
    );
    let alb = r#"{"TargetValue": 50, "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": "app/x/y/targetgroup/z/w"}}"#;
    refused(
        "an ALB metric",
        run(policy("alb", "TargetTrackingScaling", alb)),
        "ValidationException",
        "Unsupported predefined metric type ALBRequestCountPerTarget",
    );
    let high = r#"{"TargetValue": 150, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}"#;
    refused(
        "a target over 100%",
        run(policy("high", "TargetTrackingScaling", high)),
        "ValidationException",
        "TargetValue 150 is out of range",
    );
    refused(
        "deleting a policy that does not exist",
        aas(
            api,
            &key,
            &[
                "delete-scaling-policy",
                "--policy-name",
                "ghost",
                "--service-namespace",
                "ecs",
                "--resource-id",
                &resource,
                "--scalable-dimension",
                DIMENSION,
            ],
        ),
        "ObjectNotFoundException",
        "No scaling policy found",
    );
    refused(
        "an action kube-ecs does not serve",
        aas(api, &key, &["describe-scheduled-actions", "--service-namespace", "ecs"]),
        "UnknownOperationException",
        "docs/autoscaling.md",
    );
    // A key without rights on services: RBAC decides.
    let outsider = support::ecs_api::key(&client, api, "nobody-aas", &ns).await;
    refused(
        "a caller without RBAC",
        aas(api, &outsider, &["describe-scalable-targets", "--service-namespace", "ecs"]),
        "AccessDeniedException",
        "services",
    );
}
