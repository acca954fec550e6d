//! CPU units and MiB as Kubernetes quantities, and ECS's task-level cpu/memory strings.
//!
//! 1024 CPU units = 1 vCPU = 1000 millicores; units are converted to millicores rounded to the
//! nearest (256 -> 250m, 100 -> 98m), at least 1m.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// CPU units as a quantity ("250m", "1", "1500m").
pub fn cpu_quantity(units: i64) -> Quantity {
    let millis = ((units.max(0) * 1000 + 512) / 1024).max(1);
    if millis % 1000 == 0 { Quantity(format!("{}", millis / 1000)) } else { Quantity(format!("{millis}m")) }
}

/// MiB as a quantity.
pub fn memory_quantity(mib: i64) -> Quantity {
    Quantity(format!("{}Mi", mib.max(0)))
}

/// Task-level cpu (`"1024"`, `"1 vCPU"`, `"0.25 vcpu"`) in CPU units.
pub fn parse_task_cpu(value: &IntOrString) -> Option<i64> {
    match value {
        IntOrString::Int(i) => Some(i64::from(*i)),
        IntOrString::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            match s.strip_suffix("vcpu") {
                Some(v) => v.trim().parse::<f64>().ok().map(|v| (v * 1024.0).round() as i64),
                None => s.parse().ok(),
            }
        }
    }
}

/// Task-level memory (`"2048"`, `"2 GB"`, `"2GB"`) in MiB.
pub fn parse_task_memory(value: &IntOrString) -> Option<i64> {
    match value {
        IntOrString::Int(i) => Some(i64::from(*i)),
        IntOrString::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            match s.strip_suffix("gb") {
                Some(v) => v.trim().parse::<f64>().ok().map(|v| (v * 1024.0).round() as i64),
                None => s.parse().ok(),
            }
        }
    }
}

/// Container resources: cpu -> request; memory -> limit (and request when no reservation);
/// memoryReservation -> request; GPUs -> nvidia.com/gpu limit.
pub fn container_resources(
    cpu: Option<i64>,
    memory: Option<i64>,
    reservation: Option<i64>,
    gpus: Option<i64>,
) -> Option<ResourceRequirements> {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Some(cpu) = cpu.filter(|c| *c > 0) {
        requests.insert("cpu".to_string(), cpu_quantity(cpu));
    }
    match (memory, reservation) {
        (Some(m), Some(r)) => {
            limits.insert("memory".to_string(), memory_quantity(m));
            requests.insert("memory".to_string(), memory_quantity(r));
        }
        (Some(m), None) => {
            limits.insert("memory".to_string(), memory_quantity(m));
            requests.insert("memory".to_string(), memory_quantity(m));
        }
        (None, Some(r)) => {
            requests.insert("memory".to_string(), memory_quantity(r));
        }
        (None, None) => {}
    }
    if let Some(g) = gpus.filter(|g| *g > 0) {
        limits.insert("nvidia.com/gpu".to_string(), Quantity(g.to_string()));
    }
    if requests.is_empty() && limits.is_empty() {
        return None;
    }
    Some(ResourceRequirements {
        requests: (!requests.is_empty()).then_some(requests),
        limits: (!limits.is_empty()).then_some(limits),
        ..Default::default()
    })
}

/// Task-level cpu/memory as pod-level resources (Kubernetes PodLevelResources): a hard cap for the
/// whole task, as in ECS.
pub fn task_resources(cpu_units: Option<i64>, memory_mib: Option<i64>) -> Option<ResourceRequirements> {
    let mut limits = BTreeMap::new();
    if let Some(cpu) = cpu_units.filter(|c| *c > 0) {
        limits.insert("cpu".to_string(), cpu_quantity(cpu));
    }
    if let Some(m) = memory_mib.filter(|m| *m > 0) {
        limits.insert("memory".to_string(), memory_quantity(m));
    }
    (!limits.is_empty()).then(|| ResourceRequirements {
        limits: Some(limits.clone()),
        requests: Some(limits),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_units_to_millicores() {
        for (units, q) in [
            (256, "250m"),
            (512, "500m"),
            (1024, "1"),
            (100, "98m"),
            (2048, "2"),
            (1536, "1500m"),
            (1, "1m"),
            (0, "1m"),
        ] {
            assert_eq!(cpu_quantity(units).0, q, "{units}");
        }
    }

    #[test]
    fn task_level_strings() {
        assert_eq!(parse_task_cpu(&IntOrString::String("1024".into())), Some(1024));
        assert_eq!(parse_task_cpu(&IntOrString::String("0.25 vCPU".into())), Some(256));
        assert_eq!(parse_task_cpu(&IntOrString::Int(512)), Some(512));
        assert_eq!(parse_task_memory(&IntOrString::String("2 GB".into())), Some(2048));
        assert_eq!(parse_task_memory(&IntOrString::String("512".into())), Some(512));
        assert_eq!(parse_task_memory(&IntOrString::String("lots".into())), None);
    }

    #[test]
    fn memory_limit_and_reservation() {
        let r = container_resources(Some(256), Some(512), Some(256), None).expect("resources");
        assert_eq!(r.limits.expect("limits")["memory"].0, "512Mi");
        let requests = r.requests.expect("requests");
        assert_eq!(requests["memory"].0, "256Mi");
        assert_eq!(requests["cpu"].0, "250m");
        let only_limit = container_resources(None, Some(128), None, None).expect("resources");
        assert_eq!(only_limit.requests.expect("requests")["memory"].0, "128Mi");
        assert!(container_resources(None, None, None, None).is_none());
    }
}
