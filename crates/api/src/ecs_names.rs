//! ECS's resource names and the Kubernetes object names that hold them: one mapping, used by the ECS
//! API, the controllers and `kube-ecs import`.
//!
//! ECS names clusters, services and task-definition families with 1-255 of `[A-Za-z0-9_-]`; a
//! Kubernetes object name is a DNS name (lowercase, no `_`). The ECS name lives in the spec
//! (`clusterName`, `serviceName`, `family`), the object is named after it:
//! - a name that already is a valid object name is the object's name, unchanged (`web` -> `web`);
//! - any other becomes a readable DNS label plus a short hash of the whole name, so two ECS names
//!   never share an object (`test_ecs_cluster` -> `test-ecs-cluster-1f0e3a`, `Web` -> `web-8d6e2c`).
//!
//! The mapping is idempotent (an object name maps to itself), so a reference may give either the ECS
//! name or the object name: a Task's `spec.cluster: test_ecs_cluster` and
//! `spec.cluster: test-ecs-cluster-1f0e3a` both find the EcsCluster the API made for `test_ecs_cluster`.

use crate::names::dns_label;
use crate::{EcsCluster, Service};

/// Longest object name derived for a service or family: 63 keeps it usable as a label value too
/// (the Pods of a service and family are selected by label).
const LABEL_MAX: usize = 63;

/// Whether `name` is a DNS-1123 subdomain (what cluster-scoped objects may be named).
fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && part.as_bytes()[0].is_ascii_alphanumeric()
                && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric()
        })
}

/// The EcsCluster object for the ECS cluster `name` (a cluster reference given as an object name
/// maps to itself).
pub fn cluster_object_name(name: &str) -> String {
    if is_dns_subdomain(name) { name.to_string() } else { dns_label(name, LABEL_MAX) }
}

/// The EcsCluster object a Task's or Service's `spec.cluster` refers to (`default` when unset).
pub fn cluster_reference(reference: Option<&str>) -> String {
    cluster_object_name(reference.map(str::trim).filter(|r| !r.is_empty()).unwrap_or(crate::DEFAULT_CLUSTER))
}

/// The Service object for the ECS service `name`. ECS service names are unique per cluster, object
/// names per namespace: the first service of a name gets the plain mapping, a same-named service of
/// another cluster gets [`service_object_name_in`].
pub fn service_object_name(name: &str) -> String {
    dns_label(name, LABEL_MAX)
}

/// The Service object for the ECS service `name` of the cluster `cluster` when the plain name is
/// taken by a service of another cluster: a hash of both keeps it apart.
pub fn service_object_name_in(cluster: &str, name: &str) -> String {
    dns_label(&format!("{name}.{cluster}"), LABEL_MAX)
}

/// The TaskDefinition object for the family `family`.
pub fn family_object_name(family: &str) -> String {
    dns_label(family, LABEL_MAX)
}

/// The ScheduledTask object for the EventBridge Scheduler schedule `name` (1-64 of `0-9a-zA-Z-_.`).
pub fn schedule_object_name(name: &str) -> String {
    if is_dns_subdomain(name) && name.len() <= LABEL_MAX { name.to_string() } else { dns_label(name, LABEL_MAX) }
}

/// The Scheduler name of a schedule: `spec.scheduleName`, or the object's name.
pub fn schedule_name(schedule: &crate::ScheduledTask) -> String {
    schedule.spec.schedule_name.clone().unwrap_or_else(|| schedule.metadata.name.clone().unwrap_or_default())
}

/// The ECS name of a cluster: `spec.clusterName`, or the object's name.
pub fn cluster_name(cluster: &EcsCluster) -> String {
    cluster.spec.cluster_name.clone().unwrap_or_else(|| cluster.metadata.name.clone().unwrap_or_default())
}

/// The ECS name of a service: `spec.serviceName`, or the object's name.
pub fn service_name(service: &Service) -> String {
    service.spec.service_name.clone().unwrap_or_else(|| service.metadata.name.clone().unwrap_or_default())
}

/// Whether ECS accepts `name` for a cluster, service or family: 1-255 letters, digits, `-` and `_`.
pub fn is_ecs_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_names_map_to_distinct_object_names() {
        let cases = [
            ("default", "default"),
            ("prod", "prod"),
            ("team-a.clusters", "team-a.clusters"),
            ("test_ecs_cluster", "test-ecs-cluster-"),
            ("Prod", "prod-"),
            ("_x", "x-"),
            ("-x-", "x-"),
        ];
        for (ecs, prefix) in cases {
            let object = cluster_object_name(ecs);
            assert!(object.starts_with(prefix), "{ecs} -> {object}");
            assert!(is_dns_subdomain(&object), "{ecs} -> {object}");
            assert_eq!(cluster_object_name(&object), object, "idempotent: {ecs}");
        }
        assert_ne!(cluster_object_name("Prod"), cluster_object_name("prod"));
        assert_ne!(cluster_object_name("a_b"), cluster_object_name("a-b"));
        let long = "A".repeat(255);
        assert!(cluster_object_name(&long).len() <= 63);
        assert!(service_object_name(&long).len() <= 63);
        assert!(family_object_name(&long).len() <= 63);
    }

    #[test]
    fn references_default_and_trim() {
        assert_eq!(cluster_reference(None), "default");
        assert_eq!(cluster_reference(Some(" ")), "default");
        assert_eq!(cluster_reference(Some("test_ecs_cluster")), cluster_object_name("test_ecs_cluster"));
    }

    #[test]
    fn same_service_name_in_two_clusters() {
        let plain = service_object_name("web");
        let other = service_object_name_in("staging", "web");
        assert_eq!(plain, "web");
        assert_ne!(plain, other);
        assert!(other.starts_with("web-staging-"), "{other}");
        assert_ne!(service_object_name_in("a_b", "web"), service_object_name_in("a-b", "web"));
    }

    #[test]
    fn what_ecs_accepts() {
        for ok in ["a", "test_ecs_cluster", "Web-1", &"x".repeat(255)] {
            assert!(is_ecs_name(ok), "{ok}");
        }
        for bad in ["", "a.b", "a b", "ü", &"x".repeat(256)] {
            assert!(!is_ecs_name(bad), "{bad}");
        }
    }
}
