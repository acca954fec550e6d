//! The Cloud Map kinds' plans (pure; the controllers are `operator::controllers::cloud_map`):
//! - a DiscoveryNamespace's status (its id, Ready) and, for a DNS namespace, the ConfigMap with its
//!   CoreDNS rule (`service_plan::service_discovery::dns_config_map`), unless an older
//!   DiscoveryNamespace of the cluster holds the same DNS name: then it is Stalled
//!   (`NamespaceAlreadyExists`), as Cloud Map refuses a second namespace of a name in a VPC, and the
//!   cluster is the one network here;
//! - a DiscoveryService's status (its id, its namespace's id, its DNS name), Stalled while its
//!   namespace does not exist.

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

use crate::api::cloud_map::{
    DiscoveryNamespace, DiscoveryNamespaceStatus, DiscoveryService, DiscoveryServiceStatus, NamespaceType,
};
use crate::api::conditions::{Conditions, READY, STALLED};
use crate::service_plan::service_discovery::{dns_config_map, namespace_id, namespace_of, service_id};

/// Condition reasons of the Cloud Map kinds.
pub mod reasons {
    pub const PUBLISHED: &str = "Published";
    pub const CREATED: &str = "Created";
    pub const NAMESPACE_ALREADY_EXISTS: &str = "NamespaceAlreadyExists";
    pub const NAMESPACE_NOT_FOUND: &str = "NamespaceNotFound";
}

/// What a DiscoveryNamespace's reconcile applies.
#[derive(Debug, PartialEq)]
pub struct NamespacePlan {
    pub status: DiscoveryNamespaceStatus,
    /// The ConfigMap to apply (a DNS namespace that holds its name).
    pub config_map: Option<ConfigMap>,
    /// Refused for a name another namespace holds: look again (the holder may go).
    pub stalled: bool,
}

/// The lower-case DNS name of a DNS namespace, None for an HTTP one.
fn dns_name(namespace: &DiscoveryNamespace) -> Option<String> {
    let kind = namespace.spec.type_.unwrap_or_default();
    kind.has_dns().then(|| namespace.spec.name.trim_end_matches('.').to_ascii_lowercase())
}

/// `namespace/name` of the DNS namespace among `all` (the cluster's) created before `namespace`
/// with the same DNS name, if any: the name's holder.
pub fn earlier_holder<'a>(
    namespace: &DiscoveryNamespace,
    all: impl IntoIterator<Item = &'a DiscoveryNamespace>,
) -> Option<String> {
    let name = dns_name(namespace)?;
    let key = |n: &DiscoveryNamespace| (n.metadata.creation_timestamp.clone().map(|t| t.0), n.metadata.uid.clone());
    all.into_iter()
        .filter(|n| dns_name(n).as_deref() == Some(name.as_str()))
        .filter(|n| n.metadata.uid != namespace.metadata.uid && n.metadata.deletion_timestamp.is_none())
        .filter(|n| key(n) < key(namespace))
        .map(|n| format!("{}/{}", n.namespace().unwrap_or_default(), n.name_any()))
        .next()
}

/// The namespace's status and ConfigMap, given the holder of its DNS name (if another).
pub fn plan_namespace(namespace: &DiscoveryNamespace, holder: Option<String>, now: &Time) -> NamespacePlan {
    let generation = namespace.metadata.generation;
    let previous = namespace.status.clone().unwrap_or_default();
    let mut status = DiscoveryNamespaceStatus {
        observed_generation: generation,
        conditions: previous.conditions,
        id: namespace_id(namespace),
        dns_config_map: None,
    };
    let mut conditions = Conditions::of(&mut status.conditions, generation, now);
    if let Some(holder) = holder {
        let message = format!("the DNS name {} is already served by namespace {holder}", namespace.spec.name);
        conditions.set(READY, false, reasons::NAMESPACE_ALREADY_EXISTS, message.clone()).set(
            STALLED,
            true,
            reasons::NAMESPACE_ALREADY_EXISTS,
            message,
        );
        return NamespacePlan { status, config_map: None, stalled: true };
    }
    conditions.remove(STALLED);
    let config_map = dns_config_map(namespace);
    match &config_map {
        Some(map) => {
            let name = map.name_any();
            conditions.set(
                READY,
                true,
                reasons::PUBLISHED,
                format!(
                    "<service>.{} names resolve in the cluster DNS (rule in ConfigMap {name})",
                    namespace.spec.name.trim_end_matches('.')
                ),
            );
            status.dns_config_map = Some(name);
        }
        None => {
            conditions.set(
                READY,
                true,
                reasons::CREATED,
                format!(
                    "{} namespace: instances are found with DiscoverInstances, not DNS",
                    NamespaceType::Http.as_str()
                ),
            );
        }
    }
    NamespacePlan { status, config_map, stalled: false }
}

/// The service's status among `namespaces` (its Kubernetes namespace's), and whether its namespace
/// is missing (then it is Stalled, and looked at again).
pub fn plan_service(
    service: &DiscoveryService,
    namespaces: &[DiscoveryNamespace],
    now: &Time,
) -> (DiscoveryServiceStatus, bool) {
    let generation = service.metadata.generation;
    let previous = service.status.clone().unwrap_or_default();
    let mut status = DiscoveryServiceStatus {
        observed_generation: generation,
        conditions: previous.conditions,
        id: service_id(service),
        namespace_id: None,
        dns_name: None,
    };
    let found = namespace_of(service, namespaces);
    let mut conditions = Conditions::of(&mut status.conditions, generation, now);
    match found {
        Some(ns) => {
            conditions.remove(STALLED).set(READY, true, reasons::CREATED, format!("in namespace {}", ns.spec.name));
            status.namespace_id = namespace_id(ns);
            status.dns_name = dns_name(ns).map(|zone| format!("{}.{zone}", service.spec.name));
        }
        None => {
            let message = format!("the namespace {} does not exist", service.spec.namespace_id);
            conditions.set(READY, false, reasons::NAMESPACE_NOT_FOUND, message.clone()).set(
                STALLED,
                true,
                reasons::NAMESPACE_NOT_FOUND,
                message,
            );
        }
    }
    (status, found.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::conditions::find;

    fn namespace(
        object: &str,
        k8s_namespace: &str,
        name: &str,
        kind: &str,
        created: i64,
        uid: &str,
    ) -> DiscoveryNamespace {
        let mut n = DiscoveryNamespace::new(
            object,
            serde_yaml::from_str(&format!("name: {name}\ntype: {kind}\n")).expect("namespace spec"),
        );
        n.metadata.namespace = Some(k8s_namespace.into());
        n.metadata.uid = Some(uid.into());
        n.metadata.generation = Some(2);
        n.metadata.creation_timestamp = Some(Time(jiff::Timestamp::from_second(created).expect("time")));
        n
    }

    fn now() -> Time {
        Time(jiff::Timestamp::from_second(1_800_000_000).expect("time"))
    }

    fn condition(
        conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
        type_: &str,
    ) -> Option<(String, String)> {
        find(conditions, type_).map(|c| (c.status.clone(), c.reason.clone()))
    }

    /// (the namespace, the cluster's namespaces) -> (Ready's reason, Stalled, a ConfigMap).
    #[test]
    fn a_dns_name_is_published_once_by_its_oldest_namespace() {
        let first =
            namespace("corp", "team-a", "corp.local", "DNS_PRIVATE", 100, "aaaaaaaa-0000-0000-0000-000000000001");
        let second =
            namespace("corp", "team-b", "Corp.Local.", "DNS_PRIVATE", 200, "bbbbbbbb-0000-0000-0000-000000000002");
        let http = namespace("corp-api", "team-b", "corp.local", "HTTP", 50, "cccccccc-0000-0000-0000-000000000003");
        let mut leaving = first.clone();
        leaving.metadata.deletion_timestamp = Some(now());
        let cases: [(&DiscoveryNamespace, Vec<&DiscoveryNamespace>, &str, bool, bool); 5] = [
            (&first, vec![&first, &second, &http], reasons::PUBLISHED, false, true),
            (&second, vec![&first, &second, &http], reasons::NAMESPACE_ALREADY_EXISTS, true, false),
            // The holder is being deleted: the next one takes the name over.
            (&second, vec![&leaving, &second], reasons::PUBLISHED, false, true),
            // An HTTP namespace has no DNS name to hold or to be refused.
            (&http, vec![&first, &http], reasons::CREATED, false, false),
            (&first, vec![&http, &first], reasons::PUBLISHED, false, true),
        ];
        for (i, (ns, all, reason, stalled, config_map)) in cases.into_iter().enumerate() {
            let plan = plan_namespace(ns, earlier_holder(ns, all), &now());
            let ready = condition(&plan.status.conditions, READY).expect("Ready");
            assert_eq!(ready.1, reason, "case {i}");
            assert_eq!(ready.0, if stalled { "False" } else { "True" }, "case {i}");
            assert_eq!(plan.stalled, stalled, "case {i}");
            assert_eq!(condition(&plan.status.conditions, STALLED).is_some(), stalled, "case {i}");
            assert_eq!(plan.config_map.is_some(), config_map, "case {i}");
            assert_eq!(plan.status.dns_config_map.is_some(), config_map, "case {i}");
            assert_eq!(plan.status.observed_generation, Some(2), "case {i}");
            assert!(plan.status.id.as_deref().is_some_and(|id| id.starts_with("ns-")), "case {i}");
        }
        let refused = plan_namespace(&second, earlier_holder(&second, [&first]), &now());
        let message = &find(&refused.status.conditions, STALLED).expect("Stalled").message;
        assert!(message.contains("team-a/corp"), "the message names the holder: {message}");
    }

    #[test]
    fn a_service_reports_its_namespace_and_dns_name_or_that_the_namespace_is_missing() {
        let corp = namespace("corp", "shop", "corp.local.", "DNS_PRIVATE", 100, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
        let api = namespace("api", "shop", "api", "HTTP", 100, "11111111-0000-0000-0000-000000000000");
        let service = |namespace_id: &str| {
            let mut s = DiscoveryService::new(
                "web",
                serde_yaml::from_str(&format!("name: web\nnamespaceId: {namespace_id}\n")).expect("spec"),
            );
            s.metadata.uid = Some("22222222-3333-4444-5555-666677778888".into());
            s.metadata.generation = Some(1);
            s
        };
        let cases = [
            ("corp", Some("ns-0a1b2c3d4e5f6071"), Some("web.corp.local")),
            ("ns-0a1b2c3d4e5f6071", Some("ns-0a1b2c3d4e5f6071"), Some("web.corp.local")),
            ("api", Some("ns-1111111100000000"), None),
            ("ns-0000000000000000", None, None),
        ];
        for (reference, namespace_id, dns_name) in cases {
            let (status, missing) = plan_service(&service(reference), &[corp.clone(), api.clone()], &now());
            assert_eq!(status.id.as_deref(), Some("srv-2222222233334444"), "{reference}");
            assert_eq!(status.namespace_id.as_deref(), namespace_id, "{reference}");
            assert_eq!(status.dns_name.as_deref(), dns_name, "{reference}");
            assert_eq!(missing, namespace_id.is_none(), "{reference}");
            let ready = condition(&status.conditions, READY).expect("Ready");
            let expected = if missing { ("False", reasons::NAMESPACE_NOT_FOUND) } else { ("True", reasons::CREATED) };
            assert_eq!((ready.0.as_str(), ready.1.as_str()), expected, "{reference}");
        }
    }
}
