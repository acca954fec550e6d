//! Service auto scaling (Application Auto Scaling's target tracking for `ecs:service:DesiredCount`) as
//! an `autoscaling/v2` HorizontalPodAutoscaler on the service's Deployment, and who owns the
//! Deployment's `replicas` while it runs. Pure: the controller applies what this returns.
//!
//! ECS's meaning, kept:
//! - **Utilisation is a percentage of the task's reservation** (the task-level `cpu`/`memory`, else the
//!   containers' sum), not of the pods' requests: the translation puts task-level cpu/memory on the
//!   pod (pod-level resources), not on the containers, so a task with only task-level cpu has
//!   containers without CPU requests and the HPA's `Utilization` target would have nothing to divide
//!   by (or divide by the wrong sum). Each policy becomes an `AverageValue` target computed from the
//!   reservation: 50% of a 256-unit task is an average of 125m per pod, which is what ECS's alarm
//!   compares.
//! - **Several policies**: the HPA takes the largest recommendation of its metrics, so it scales out
//!   when any policy asks and in only when all agree, as Application Auto Scaling does.
//! - **Cooldowns**: `scaleInCooldown` is the scale-down stabilization window (tasks go only once every
//!   recommendation of that long agreed; the HPA's default, 300 s, is ECS's default too);
//!   `scaleOutCooldown` is the period of the scale-up policies (at most doubling, or +4 tasks, per
//!   cooldown), with no scale-up window, as ECS scales out as soon as its alarm fires. With several
//!   policies the most cautious value wins (longest scale-in window, longest scale-out period).
//! - **Scale-in off**: `disableScaleIn` on any policy, `suspendedState.dynamicScalingInSuspended`, and
//!   every moment the PRIMARY deployment is IN_PROGRESS (ECS suspends scale-in during deployments) set
//!   scale-down's `selectPolicy: Disabled`; `dynamicScalingOutSuspended` does the same for scale-up.
//!
//! **Handing `replicas` over without a dip.** kube-ecs applies the Deployment with server-side apply;
//! while it applies `replicas` it owns the field, and an apply that stops carrying a field its manager
//! alone owns *removes* it, so the Deployment would fall back to its default of 1 replica. So the
//! first reconcile that finds kube-ecs still owning `replicas` while autoscaling is on first applies
//! the current count under a second manager ([`HANDOVER_FIELD_MANAGER`]), making it a co-owner; the
//! Deployment's own apply then leaves `replicas` out and the value stays. The HPA's next scale
//! (an update of the scale subresource) takes the field from the handover manager. Removing
//! autoScaling deletes the HPA, and the next apply (with force) takes `replicas` back at desiredCount.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{Resource, ResourceExt};
use sha2::{Digest, Sha256};

use super::observe::WorkloadState;
use super::workload;
use crate::api::ecs::PredefinedMetricType;
use crate::api::service::{AutoScaling, AutoScalingStatus, PolicyStatus, ScalingActivity, ScalingPolicy, Service};
use crate::api::task_definition::TaskDefinitionSpec;
use crate::event::EcsEvent;
use crate::labels;
use crate::translate::resources;

/// The field manager that holds `replicas` between kube-ecs letting go of it and the HPA's first scale.
pub const HANDOVER_FIELD_MANAGER: &str = "kube-ecs-autoscaling-handover";
/// ECS's default cooldowns, both ways.
pub const DEFAULT_COOLDOWN_SECONDS: i32 = 300;
/// Scaling activities kept in status (newest first).
pub const MAX_ACTIVITIES: usize = 20;
/// The Event reason of a count changed by auto scaling.
pub const REASON: &str = "AutoScaling";

/// The autoScaling of a REPLICA service (a DAEMON service cannot scale: CEL refuses it, and a stored
/// one is ignored here).
pub fn auto_scaling(service: &Service) -> Option<&AutoScaling> {
    if super::reconcile::is_daemon(service) { None } else { service.spec.auto_scaling.as_ref() }
}

/// A policy the HPA can track: its metric and the per-task average that is `targetValue` percent
/// of the task's reservation.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackedPolicy {
    pub policy: ScalingPolicy,
    /// The reservation per task: millicores for CPU, bytes for memory.
    pub reservation: i64,
}

impl TrackedPolicy {
    /// The HPA's `averageValue`: `targetValue` percent of the reservation, at least 1 (1m, 1 byte).
    pub fn average_value(&self) -> String {
        let value = ((self.reservation as f64) * self.policy.target_value / 100.0).round().max(1.0) as i64;
        match self.policy.predefined_metric_type {
            PredefinedMetricType::Cpu => format!("{value}m"),
            PredefinedMetricType::Memory => value.to_string(),
        }
    }

    fn resource(&self) -> &'static str {
        match self.policy.predefined_metric_type {
            PredefinedMetricType::Cpu => "cpu",
            PredefinedMetricType::Memory => "memory",
        }
    }
}

/// The task's CPU reservation in millicores: task-level cpu, else the containers' sum (ECS's).
pub fn cpu_reservation_millis(definition: &TaskDefinitionSpec) -> Option<i64> {
    let units = definition.cpu.as_ref().and_then(resources::parse_task_cpu).filter(|u| *u > 0).or_else(|| {
        let sum: i64 = definition.container_definitions.iter().filter_map(|c| c.cpu).sum();
        (sum > 0).then_some(sum)
    })?;
    Some(((units * 1000 + 512) / 1024).max(1))
}

/// The task's memory reservation in bytes: task-level memory, else each container's
/// memoryReservation (or its hard limit) summed.
pub fn memory_reservation_bytes(definition: &TaskDefinitionSpec) -> Option<i64> {
    let mib = definition.memory.as_ref().and_then(resources::parse_task_memory).filter(|m| *m > 0).or_else(|| {
        let sum: i64 = definition.container_definitions.iter().filter_map(|c| c.memory_reservation.or(c.memory)).sum();
        (sum > 0).then_some(sum)
    })?;
    Some(mib * 1024 * 1024)
}

/// The policies the HPA can track; the others (a metric of a resource the task does not reserve)
/// are reported as `status.unsupportedFields` entries.
pub fn tracked_policies(scaling: &AutoScaling, definition: &TaskDefinitionSpec) -> (Vec<TrackedPolicy>, Vec<String>) {
    let mut tracked = Vec::new();
    let mut unsupported = Vec::new();
    for policy in &scaling.policies {
        let (reservation, what) = match policy.predefined_metric_type {
            PredefinedMetricType::Cpu => (cpu_reservation_millis(definition), "CPU"),
            PredefinedMetricType::Memory => (memory_reservation_bytes(definition), "memory"),
        };
        match reservation {
            Some(reservation) => tracked.push(TrackedPolicy { policy: policy.clone(), reservation }),
            None => unsupported.push(format!(
                "autoScaling.policies[{}]: the task definition reserves no {what} (task or container {}), so {} has no meaning; the policy is not applied",
                policy.policy_name,
                what.to_lowercase(),
                policy.predefined_metric_type
            )),
        }
    }
    (tracked, unsupported)
}

/// Who sets the Deployment's `replicas` this reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replicas {
    /// The task count the service runs with: desiredCount, or the autoscaler's.
    pub desired_count: i32,
    /// `replicas` in kube-ecs's apply of the Deployment; None while the HPA owns it.
    pub applied: Option<i32>,
    /// Apply this count under [`HANDOVER_FIELD_MANAGER`] before the Deployment's apply drops it.
    pub handover: Option<i32>,
}

/// The task count and the ownership of `replicas`. `hpa` is whether an HPA is planned (autoScaling
/// with at least one tracked policy); `workload` the Deployment as observed.
pub fn replicas(service: &Service, hpa: bool, workload: &WorkloadState) -> Replicas {
    let desired = service.spec.desired_count.unwrap_or(1);
    let Some(scaling) = auto_scaling(service) else {
        return Replicas { desired_count: desired, applied: Some(desired), handover: None };
    };
    let bounded = desired.clamp(scaling.min_capacity.min(scaling.max_capacity), scaling.max_capacity);
    if !hpa || !workload.exists {
        // No policy to track: the scalable target only bounds the count (as RegisterScalableTarget
        // clamps it). No Deployment yet: it is created at the bounded count, handed over next time.
        return Replicas { desired_count: bounded, applied: Some(bounded), handover: None };
    }
    Replicas {
        desired_count: workload.replicas,
        applied: None,
        handover: workload.replicas_ours.then_some(workload.replicas),
    }
}

/// Name of the service's HPA: its Deployment's.
pub fn hpa_name(service: &Service) -> String {
    workload::workload_name(&service.name_any())
}

/// What the HPA's behaviour needs beyond the policies.
pub struct Behaviour {
    /// The PRIMARY deployment is IN_PROGRESS: ECS suspends scale-in.
    pub deploying: bool,
}

/// The HorizontalPodAutoscaler for `tracked` (at least one policy).
pub fn horizontal_pod_autoscaler(
    service: &Service,
    scaling: &AutoScaling,
    tracked: &[TrackedPolicy],
    behaviour: &Behaviour,
) -> Result<HorizontalPodAutoscaler, serde_json::Error> {
    let metrics: Vec<serde_json::Value> = tracked
        .iter()
        .map(|t| {
            serde_json::json!({
                "type": "Resource",
                "resource": {"name": t.resource(), "target": {"type": "AverageValue", "averageValue": t.average_value()}},
            })
        })
        .collect();
    let policies = tracked.iter().map(|t| &t.policy);
    let scale_in_window = policies
        .clone()
        .map(|p| p.scale_in_cooldown.unwrap_or(DEFAULT_COOLDOWN_SECONDS))
        .max()
        .unwrap_or(DEFAULT_COOLDOWN_SECONDS);
    // An HPA policy's period is 1..=1800 s.
    let scale_out_period = policies
        .clone()
        .map(|p| p.scale_out_cooldown.unwrap_or(DEFAULT_COOLDOWN_SECONDS))
        .max()
        .unwrap_or(DEFAULT_COOLDOWN_SECONDS)
        .clamp(1, 1800);
    let suspended = scaling.suspended_state.clone().unwrap_or_default();
    let no_scale_in = behaviour.deploying
        || suspended.dynamic_scaling_in_suspended == Some(true)
        || policies.clone().any(|p| p.disable_scale_in == Some(true));
    let no_scale_out = suspended.dynamic_scaling_out_suspended == Some(true);
    let select = |off: bool| if off { "Disabled" } else { "Max" };
    let name = hpa_name(service);
    serde_json::from_value(serde_json::json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": name,
            "namespace": service.namespace(),
            "labels": { labels::SERVICE_NAME: labels::value(&service.name_any()), labels::MANAGED_BY: labels::MANAGED_BY_VALUE },
            "ownerReferences": service.controller_owner_ref(&()).into_iter().collect::<Vec<_>>(),
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": scaling.min_capacity,
            "maxReplicas": scaling.max_capacity,
            "metrics": metrics,
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "selectPolicy": select(no_scale_out),
                    "policies": [
                        {"type": "Percent", "value": 100, "periodSeconds": scale_out_period},
                        {"type": "Pods", "value": 4, "periodSeconds": scale_out_period},
                    ],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": scale_in_window,
                    "selectPolicy": select(no_scale_in),
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
                },
            },
        },
    }))
}

/// Each tracked policy's current utilisation (percent of the reservation) from the HPA's status,
/// whose `currentMetrics` follow `spec.metrics`' order (one per policy).
pub fn current_values(tracked: &[TrackedPolicy], hpa: Option<&HorizontalPodAutoscaler>) -> Vec<PolicyStatus> {
    let current = hpa.and_then(|h| h.status.as_ref()).and_then(|s| s.current_metrics.clone()).unwrap_or_default();
    tracked
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let value = current
                .get(i)
                .and_then(|m| m.resource.as_ref())
                .filter(|r| r.name == t.resource())
                .and_then(|r| r.current.average_value.as_ref())
                .and_then(|q| quantity(&q.0))
                .map(|v| {
                    let base = match t.policy.predefined_metric_type {
                        PredefinedMetricType::Cpu => v * 1000.0,
                        PredefinedMetricType::Memory => v,
                    };
                    (base * 100.0 / t.reservation as f64).round() as i64
                });
            PolicyStatus { policy_name: t.policy.policy_name.clone(), current_value: value }
        })
        .collect()
}

/// A Kubernetes quantity as a number of base units ("250m" -> 0.25, "64Mi" -> 67108864).
pub fn quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(number * factor)
}

/// What a change of the autoscaler's count adds to the status: the activity, the service event
/// and the Kubernetes Event.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaled {
    pub activity: ScalingActivity,
    pub message: String,
    pub event: EcsEvent,
}

/// The activity of a count the autoscaler changed from `from` to `to`, with the policy that caused
/// it: on a scale-out the policy furthest above its target, on a scale-in all of them (ECS scales in
/// only when every policy agrees).
pub fn scaled(
    service: &Service,
    from: i32,
    to: i32,
    policies: &[PolicyStatus],
    tracked: &[TrackedPolicy],
    at: &Time,
) -> Scaled {
    let name = service.name_any();
    let described = |p: &PolicyStatus| {
        let t = tracked.iter().find(|t| t.policy.policy_name == p.policy_name)?;
        let value = p.current_value?;
        Some((t, value, value as f64 / t.policy.target_value))
    };
    let known: Vec<_> = policies.iter().filter_map(described).collect();
    let phrase = |(t, value, _): &(&TrackedPolicy, i64, f64)| {
        format!(
            "policy {} ({} {value}, target {})",
            t.policy.policy_name,
            t.policy.predefined_metric_type,
            trim_float(t.policy.target_value)
        )
    };
    // The HPA writes the new count before its status: a reconcile woken by the count may see no
    // reading yet. With one policy, that policy is the cause all the same (without its value).
    let only = match tracked {
        [t] => Some(format!(
            "policy {} ({}, target {})",
            t.policy.policy_name,
            t.policy.predefined_metric_type,
            trim_float(t.policy.target_value)
        )),
        _ => None,
    };
    let cause = if to > from {
        known
            .iter()
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .map(|p| format!("{} triggered a scale-out", phrase(p)))
            .or_else(|| only.clone().map(|p| format!("{p} triggered a scale-out")))
            .unwrap_or_else(|| format!("HorizontalPodAutoscaler {} scaled out", hpa_name(service)))
    } else if known.is_empty() {
        only.map(|p| format!("{p} allowed a scale-in"))
            .unwrap_or_else(|| format!("HorizontalPodAutoscaler {} scaled in", hpa_name(service)))
    } else {
        format!("{} allowed a scale-in", known.iter().map(phrase).collect::<Vec<_>>().join(", "))
    };
    let millis = at.0.as_millisecond();
    let seed =
        format!("{}/{}/{millis}/{to}", service.namespace().unwrap_or_default(), service.uid().unwrap_or(name.clone()));
    let activity = ScalingActivity {
        activity_id: uuid_of(&seed),
        description: format!("Setting desired count to {to}."),
        cause: cause.clone(),
        start_time: Some(at.clone()),
        from_count: from,
        to_count: to,
    };
    let message = format!("(service {name}) auto scaling set the desired count from {from} to {to}: {cause}.");
    Scaled { activity, event: EcsEvent::normal(REASON, message.clone()), message }
}

fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { value.to_string() }
}

/// A UUID-shaped stable ID (version 4 layout) from `seed`: recomputed, never stored elsewhere.
pub fn uuid_of(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

/// The whole auto scaling part of a reconcile.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPlan {
    pub hpa: Option<HorizontalPodAutoscaler>,
    /// Delete the HPA kube-ecs made (autoScaling removed, or no policy left to track).
    pub delete_hpa: bool,
    pub status: Option<AutoScalingStatus>,
    pub scaled: Option<Scaled>,
}

/// Everything [`plan`] reads.
pub struct ScalingInputs<'a> {
    pub service: &'a Service,
    pub tracked: &'a [TrackedPolicy],
    /// The status as last written.
    pub previous: Option<&'a AutoScalingStatus>,
    /// The count before this reconcile (status.desiredCount as last written).
    pub previous_count: Option<i32>,
    /// The count now (see [`replicas`]).
    pub count: i32,
    /// The HPA as observed (for its metrics and last scale time).
    pub observed: Option<&'a HorizontalPodAutoscaler>,
    pub behaviour: Behaviour,
    pub now: &'a Time,
}

pub fn plan(inputs: &ScalingInputs<'_>) -> Result<ScalingPlan, serde_json::Error> {
    let had_hpa = inputs.previous.is_some_and(|p| p.horizontal_pod_autoscaler.is_some());
    let Some(scaling) = auto_scaling(inputs.service) else {
        return Ok(ScalingPlan { hpa: None, delete_hpa: had_hpa, status: None, scaled: None });
    };
    let hpa = if inputs.tracked.is_empty() {
        None
    } else {
        Some(horizontal_pod_autoscaler(inputs.service, scaling, inputs.tracked, &inputs.behaviour)?)
    };
    let policies = current_values(inputs.tracked, inputs.observed);
    let mut activities = inputs.previous.map(|p| p.activities.clone()).unwrap_or_default();
    // Only a change the autoscaler made: it ran before this reconcile and still runs.
    let scaled = match (had_hpa && hpa.is_some() && inputs.observed.is_some(), inputs.previous_count) {
        (true, Some(from)) if from != inputs.count => {
            let at = inputs
                .observed
                .and_then(|h| h.status.as_ref())
                .and_then(|s| s.last_scale_time.clone())
                .unwrap_or_else(|| inputs.now.clone());
            Some(scaled(inputs.service, from, inputs.count, &policies, inputs.tracked, &at))
        }
        _ => None,
    };
    if let Some(s) = &scaled {
        activities.insert(0, s.activity.clone());
        activities.truncate(MAX_ACTIVITIES);
    }
    let status = AutoScalingStatus {
        horizontal_pod_autoscaler: hpa.as_ref().and_then(|h| h.metadata.name.clone()),
        policies,
        activities,
    };
    Ok(ScalingPlan { delete_hpa: had_hpa && hpa.is_none(), hpa, status: Some(status), scaled })
}

#[cfg(test)]
#[path = "autoscaling_tests.rs"]
mod tests;
