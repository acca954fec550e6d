//! Tables for the auto scaling plan: metrics from the reservation, cooldowns, scale-in suspended during
//! a deployment, the `replicas` handover, and the scaling activities.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use pretty_assertions::assert_eq;

use super::*;
use crate::api::service::AutoScalingStatus;
use crate::service_plan::fixtures::service;

fn definition(yaml: &str) -> TaskDefinitionSpec {
    serde_yaml::from_str(yaml).expect("definition")
}

const CONTAINER_CPU: &str = "containerDefinitions:\n- name: app\n  image: busybox\n  cpu: 256\n  memory: 512\n";
const TASK_LEVEL: &str = "cpu: '1 vCPU'\nmemory: '2 GB'\ncontainerDefinitions:\n- name: app\n  image: busybox\n- name: log\n  image: fluent\n  essential: false\n";
const NOTHING_RESERVED: &str = "containerDefinitions:\n- name: app\n  image: busybox\n";

fn scaled_service(policies: &str) -> Service {
    service(&format!(
        "taskDefinition: web\ndesiredCount: 2\nautoScaling:\n  minCapacity: 1\n  maxCapacity: 5\n{policies}"
    ))
}

fn hpa_of(service: &Service, definition: &TaskDefinitionSpec, deploying: bool) -> serde_json::Value {
    let scaling = auto_scaling(service).expect("autoScaling");
    let (tracked, _) = tracked_policies(scaling, definition);
    let hpa = horizontal_pod_autoscaler(service, scaling, &tracked, &Behaviour { deploying }).expect("hpa");
    serde_json::to_value(hpa).expect("json")
}

#[test]
fn targets_are_averages_of_the_task_reservation() {
    let cpu50 = "  policies:\n  - policyName: cpu50\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n";
    let mem75 = "  policies:\n  - policyName: mem75\n    predefinedMetricType: ECSServiceAverageMemoryUtilization\n    targetValue: 75\n";
    // (case, policies, definition, metric resource, averageValue)
    let cases = [
        ("container cpu 256 units = 250m, 50% of it", cpu50, CONTAINER_CPU, "cpu", "125m"),
        ("task-level 1 vCPU = 1000m, 50% of it (containers have no request)", cpu50, TASK_LEVEL, "cpu", "500m"),
        ("container memory 512 MiB, 75% of it in bytes", mem75, CONTAINER_CPU, "memory", "402653184"),
        ("task-level 2 GB, 75% of it", mem75, TASK_LEVEL, "memory", "1610612736"),
    ];
    for (case, policies, def, resource, average) in cases {
        let hpa = hpa_of(&scaled_service(policies), &definition(def), false);
        let metric = &hpa["spec"]["metrics"][0];
        assert_eq!(metric["type"], "Resource", "{case}");
        assert_eq!(metric["resource"]["name"], resource, "{case}");
        assert_eq!(
            metric["resource"]["target"],
            serde_json::json!({"type": "AverageValue", "averageValue": average}),
            "{case}"
        );
    }
}

#[test]
fn a_policy_on_an_unreserved_resource_is_reported_not_applied() {
    let svc = scaled_service(
        "  policies:\n  - policyName: cpu50\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n",
    );
    let (tracked, unsupported) = tracked_policies(auto_scaling(&svc).expect("scaling"), &definition(NOTHING_RESERVED));
    assert!(tracked.is_empty());
    assert_eq!(unsupported.len(), 1);
    assert!(unsupported[0].contains("reserves no CPU"), "{unsupported:?}");
}

#[test]
fn the_whole_hpa_for_one_policy() {
    let svc = scaled_service(
        "  policies:\n  - policyName: cpu50\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n    scaleOutCooldown: 60\n    scaleInCooldown: 120\n",
    );
    let hpa = hpa_of(&svc, &definition(CONTAINER_CPU), false);
    assert_eq!(
        hpa,
        serde_json::json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "labels": {"ecs.kube-ecs.dev/service": "web", "app.kubernetes.io/managed-by": "kube-ecs"},
                "ownerReferences": [{"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "name": "web", "uid": "uid-1", "controller": true}],
            },
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 1,
                "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "125m"}}}],
                "behavior": {
                    "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                        {"type": "Percent", "value": 100, "periodSeconds": 60},
                        {"type": "Pods", "value": 4, "periodSeconds": 60},
                    ]},
                    "scaleDown": {"stabilizationWindowSeconds": 120, "selectPolicy": "Max", "policies": [
                        {"type": "Percent", "value": 100, "periodSeconds": 15},
                    ]},
                },
            },
        })
    );
}

#[test]
fn behaviour_follows_cooldowns_disable_scale_in_suspension_and_deployments() {
    let cpu = |extra: &str| {
        format!(
            "  - policyName: cpu\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n{extra}"
        )
    };
    let mem = |extra: &str| {
        format!(
            "  - policyName: mem\n    predefinedMetricType: ECSServiceAverageMemoryUtilization\n    targetValue: 70\n{extra}"
        )
    };
    // (case, autoScaling tail, deploying, scaleUp (window, select, period), scaleDown (window, select))
    type Case<'a> = (&'a str, String, bool, (i64, &'a str, i64), (i64, &'a str));
    let cases: Vec<Case> = vec![
        ("ECS's defaults: 300 s both ways", format!("  policies:\n{}", cpu("")), false, (0, "Max", 300), (300, "Max")),
        (
            "two policies: the longest cooldowns win",
            format!(
                "  policies:\n{}{}",
                cpu("    scaleInCooldown: 60\n    scaleOutCooldown: 30\n"),
                mem("    scaleInCooldown: 600\n    scaleOutCooldown: 10\n")
            ),
            false,
            (0, "Max", 30),
            (600, "Max"),
        ),
        (
            "a zero scale-out cooldown is the HPA's shortest period",
            format!("  policies:\n{}", cpu("    scaleOutCooldown: 0\n")),
            false,
            (0, "Max", 1),
            (300, "Max"),
        ),
        (
            "disableScaleIn",
            format!("  policies:\n{}", cpu("    disableScaleIn: true\n")),
            false,
            (0, "Max", 300),
            (300, "Disabled"),
        ),
        (
            "disableScaleIn on one policy of two blocks scale-in (all must agree)",
            format!("  policies:\n{}{}", cpu(""), mem("    disableScaleIn: true\n")),
            false,
            (0, "Max", 300),
            (300, "Disabled"),
        ),
        (
            "scale-in suspended during a deployment",
            format!("  policies:\n{}", cpu("")),
            true,
            (0, "Max", 300),
            (300, "Disabled"),
        ),
        (
            "suspendedState both ways",
            format!(
                "  policies:\n{}  suspendedState:\n    dynamicScalingInSuspended: true\n    dynamicScalingOutSuspended: true\n",
                cpu("")
            ),
            false,
            (0, "Disabled", 300),
            (300, "Disabled"),
        ),
    ];
    for (case, tail, deploying, up, down) in cases {
        let hpa = hpa_of(&scaled_service(&tail), &definition(CONTAINER_CPU), deploying);
        let b = &hpa["spec"]["behavior"];
        let got_up = (
            b["scaleUp"]["stabilizationWindowSeconds"].as_i64().unwrap_or(-1),
            b["scaleUp"]["selectPolicy"].as_str().unwrap_or(""),
            b["scaleUp"]["policies"][0]["periodSeconds"].as_i64().unwrap_or(-1),
        );
        let got_down = (
            b["scaleDown"]["stabilizationWindowSeconds"].as_i64().unwrap_or(-1),
            b["scaleDown"]["selectPolicy"].as_str().unwrap_or(""),
        );
        assert_eq!((got_up, got_down), (up, down), "{case}");
    }
}

#[test]
fn replicas_are_handed_over_without_a_dip_and_given_back() {
    let scaled = scaled_service(
        "  policies:\n  - policyName: cpu\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n",
    );
    let plain = service("taskDefinition: web\ndesiredCount: 2\n");
    let bounded = service("taskDefinition: web\ndesiredCount: 9\nautoScaling:\n  minCapacity: 1\n  maxCapacity: 4\n");
    let deployment = |replicas: i32, ours: bool| WorkloadState {
        task_definition: Some("web:1".into()),
        settled: true,
        replicas,
        exists: true,
        replicas_ours: ours,
    };
    // (case, service, an HPA planned, the Deployment, expected)
    let cases = [
        (
            "no autoScaling: kube-ecs applies desiredCount",
            &plain,
            false,
            deployment(3, true),
            Replicas { desired_count: 2, applied: Some(2), handover: None },
        ),
        (
            "autoScaling removed while the HPA owned replicas: desiredCount taken back (apply with force)",
            &plain,
            false,
            deployment(5, false),
            Replicas { desired_count: 2, applied: Some(2), handover: None },
        ),
        (
            "a new autoscaled service: created at desiredCount within min..max",
            &scaled,
            true,
            WorkloadState::default(),
            Replicas { desired_count: 2, applied: Some(2), handover: None },
        ),
        (
            "autoScaling added to a running service: the current count is handed over, then left out",
            &scaled,
            true,
            deployment(3, true),
            Replicas { desired_count: 3, applied: None, handover: Some(3) },
        ),
        (
            "the HPA owns replicas: kube-ecs follows its count and never writes it",
            &scaled,
            true,
            deployment(4, false),
            Replicas { desired_count: 4, applied: None, handover: None },
        ),
        (
            "a scalable target without policies only bounds desiredCount",
            &bounded,
            false,
            deployment(9, true),
            Replicas { desired_count: 4, applied: Some(4), handover: None },
        ),
    ];
    for (case, svc, hpa, workload, expected) in cases {
        assert_eq!(replicas(svc, hpa, &workload), expected, "{case}");
    }
}

fn hpa_status(current: &[(&str, &str)], last_scale: Option<&str>) -> HorizontalPodAutoscaler {
    let metrics: Vec<serde_json::Value> = current
        .iter()
        .map(|(name, value)| serde_json::json!({"type": "Resource", "resource": {"name": name, "current": {"averageValue": value}}}))
        .collect();
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web"},
        "status": {"currentReplicas": 1, "desiredReplicas": 2, "currentMetrics": metrics, "lastScaleTime": last_scale},
    }))
    .expect("hpa")
}

fn time(s: &str) -> Time {
    Time(s.parse().expect("time"))
}

#[test]
fn a_count_the_autoscaler_changed_is_an_activity_naming_the_policy() {
    let svc = scaled_service(
        "  policies:\n  - policyName: cpu50\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n  - policyName: mem80\n    predefinedMetricType: ECSServiceAverageMemoryUtilization\n    targetValue: 80\n",
    );
    let def = definition(CONTAINER_CPU);
    let (tracked, _) = tracked_policies(auto_scaling(&svc).expect("scaling"), &def);
    let now = time("2026-12-07T08:00:00Z");
    let running = AutoScalingStatus { horizontal_pod_autoscaler: Some("web".into()), ..Default::default() };
    // 245m of a 250m reservation = 98%; 128 MiB of 512 = 25%.
    let busy = hpa_status(&[("cpu", "245m"), ("memory", "128Mi")], Some("2026-12-07T07:59:58Z"));
    let idle = hpa_status(&[("cpu", "5m"), ("memory", "128Mi")], None);
    let plan_with =
        |previous: Option<&AutoScalingStatus>, from: Option<i32>, to: i32, hpa: Option<&HorizontalPodAutoscaler>| {
            plan(&ScalingInputs {
                service: &svc,
                tracked: &tracked,
                previous,
                previous_count: from,
                count: to,
                observed: hpa,
                behaviour: Behaviour { deploying: false },
                now: &now,
            })
            .expect("plan")
        };

    let out = plan_with(Some(&running), Some(1), 2, Some(&busy));
    let scaled = out.scaled.expect("a scale-out");
    assert_eq!(scaled.activity.description, "Setting desired count to 2.");
    assert_eq!(scaled.activity.start_time, Some(time("2026-12-07T07:59:58Z")), "the HPA's lastScaleTime");
    assert_eq!(
        scaled.message,
        "(service web) auto scaling set the desired count from 1 to 2: policy cpu50 (ECSServiceAverageCPUUtilization 98, target 50) triggered a scale-out."
    );
    let status = out.status.expect("status");
    assert_eq!(status.activities, vec![scaled.activity.clone()]);
    assert_eq!(
        status.policies.iter().map(|p| (p.policy_name.as_str(), p.current_value)).collect::<Vec<_>>(),
        vec![("cpu50", Some(98)), ("mem80", Some(25))]
    );

    let back = plan_with(Some(&status), Some(2), 1, Some(&idle)).scaled.expect("a scale-in");
    assert!(
        back.message.contains("from 2 to 1: policy cpu50 (ECSServiceAverageCPUUtilization 2, target 50), policy mem80"),
        "{}",
        back.message
    );

    // Not the autoscaler's doing: autoScaling just turned on, or nothing moved.
    assert!(plan_with(None, Some(3), 2, Some(&busy)).scaled.is_none(), "the first HPA");
    assert!(plan_with(Some(&running), Some(2), 2, Some(&busy)).scaled.is_none(), "unchanged");
    assert_ne!(
        scaled.activity.activity_id, back.activity.activity_id,
        "activity IDs differ per change and are recomputed the same"
    );
}

#[test]
fn a_change_seen_before_the_hpa_reports_its_reading_names_a_lone_policy() {
    // The HPA writes the new count, then its status: the reconcile the count wakes may see no metric.
    let one = scaled_service(
        "  policies:\n  - policyName: cpu50\n    predefinedMetricType: ECSServiceAverageCPUUtilization\n    targetValue: 50\n",
    );
    let def = definition(CONTAINER_CPU);
    let (tracked, _) = tracked_policies(auto_scaling(&one).expect("scaling"), &def);
    let now = time("2026-12-07T08:00:00Z");
    let running = AutoScalingStatus { horizontal_pod_autoscaler: Some("web".into()), ..Default::default() };
    let unread = hpa_status(&[], None);
    let scaled = plan(&ScalingInputs {
        service: &one,
        tracked: &tracked,
        previous: Some(&running),
        previous_count: Some(1),
        count: 2,
        observed: Some(&unread),
        behaviour: Behaviour { deploying: false },
        now: &now,
    })
    .expect("plan")
    .scaled
    .expect("a scale-out");
    assert_eq!(
        scaled.activity.cause,
        "policy cpu50 (ECSServiceAverageCPUUtilization, target 50) triggered a scale-out"
    );
}

#[test]
fn removing_auto_scaling_deletes_the_hpa() {
    let svc = service("taskDefinition: web\ndesiredCount: 2\n");
    let now = time("2026-12-07T08:00:00Z");
    let previous = AutoScalingStatus { horizontal_pod_autoscaler: Some("web".into()), ..Default::default() };
    let out = plan(&ScalingInputs {
        service: &svc,
        tracked: &[],
        previous: Some(&previous),
        previous_count: Some(4),
        count: 2,
        observed: None,
        behaviour: Behaviour { deploying: false },
        now: &now,
    })
    .expect("plan");
    assert_eq!((out.hpa.is_none(), out.delete_hpa, out.status), (true, true, None));
}

#[test]
fn quantities() {
    for (text, value) in [("250m", 0.25), ("1", 1.0), ("64Mi", 67108864.0), ("1k", 1000.0), ("1500000n", 0.0015)] {
        assert_eq!(quantity(text), Some(value), "{text}");
    }
    assert_eq!(quantity("12Q"), None);
}
