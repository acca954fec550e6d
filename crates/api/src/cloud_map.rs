//! Cloud Map (AWS Cloud Map, `servicediscovery`): the namespaces and services an ECS service's
//! `serviceRegistries` name, as two kinds (issue 36).
//!
//! A `DiscoveryNamespace` is Cloud Map's namespace: a DNS name (`corp.local`, type `DNS_PRIVATE`)
//! or an API-only `HTTP` one. A `DiscoveryService` is a service in it (`web`), with the DNS records
//! each instance gets (`A` per task for awsvpc, `SRV` with a port). Cloud Map's ids (`ns-...`,
//! `srv-...`) are derived from the object's UID ([`id`]), so the id the API returns at creation is
//! the id every later call and `registryArn` names, with no write in between; the operator reports
//! it in `status.id`. An ECS service whose `serviceRegistries[].registryArn` names a DiscoveryService
//! gets a headless Kubernetes Service selecting its tasks, and `<service>.<namespace>` resolves to
//! them through the cluster DNS (`kube_ecs_domain::service_plan::service_discovery`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The characters of an id after its prefix (Cloud Map: `ns-` or `srv-` and 16 characters).
pub const ID_LENGTH: usize = 16;

/// Cloud Map's id of the object with `uid`: `<prefix>-` and the UID's first 16 hex digits.
pub fn id(prefix: &str, uid: &str) -> String {
    let digits: String = uid.chars().filter(char::is_ascii_alphanumeric).take(ID_LENGTH).collect();
    format!("{prefix}-{}", digits.to_ascii_lowercase())
}

/// A Cloud Map namespace's id (`ns-...`).
pub fn namespace_id(uid: &str) -> String {
    id("ns", uid)
}

/// A Cloud Map service's id (`srv-...`).
pub fn service_id(uid: &str) -> String {
    id("srv", uid)
}

/// A Cloud Map namespace.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "DiscoveryNamespace",
    namespaced,
    status = "DiscoveryNamespaceStatus",
    shortname = "cloudmapns",
    category = "ecs",
    doc = "A Cloud Map namespace: the DNS domain (DNS_PRIVATE) or API-only name (HTTP) of discovery services.",
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.type"),
    printcolumn(name = "Id", type_ = "string", json_path = ".status.id"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryNamespaceSpec {
    /// The namespace's name: for DNS namespaces the domain its services are names under
    /// (`corp.local`: `web.corp.local`).
    pub name: String,
    /// `DNS_PRIVATE` (default: names resolve inside the cluster), `DNS_PUBLIC` (served like a private
    /// one: kube-ecs has no public DNS) or `HTTP` (no DNS names; DiscoverInstances only).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<NamespaceType>,
    /// Free text (up to 1024 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The VPC of a private DNS namespace (accepted: the cluster is the one network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
}

/// Cloud Map's namespace types.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum NamespaceType {
    #[default]
    #[serde(rename = "DNS_PRIVATE")]
    DnsPrivate,
    #[serde(rename = "DNS_PUBLIC")]
    DnsPublic,
    #[serde(rename = "HTTP")]
    Http,
}

impl NamespaceType {
    /// Cloud Map's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceType::DnsPrivate => "DNS_PRIVATE",
            NamespaceType::DnsPublic => "DNS_PUBLIC",
            NamespaceType::Http => "HTTP",
        }
    }

    /// Whether its services have DNS names.
    pub fn has_dns(self) -> bool {
        self != NamespaceType::Http
    }
}

/// Observed state of a Cloud Map namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryNamespaceStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready (its names are published to the cluster DNS), Stalled (its name is taken).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
    /// Cloud Map's id (`ns-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The ConfigMap holding the CoreDNS rule that serves the namespace's names (DNS namespaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config_map: Option<String>,
}

/// A Cloud Map service.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "DiscoveryService",
    namespaced,
    status = "DiscoveryServiceStatus",
    shortname = "cloudmapsvc",
    category = "ecs",
    doc = "A Cloud Map service: the DNS name (`<name>.<namespace>`) and records ECS services register their tasks under.",
    printcolumn(name = "Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Namespace", type_ = "string", json_path = ".spec.namespaceId"),
    printcolumn(name = "Id", type_ = "string", json_path = ".status.id"),
    printcolumn(name = "DNS", type_ = "string", json_path = ".status.dnsName"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryServiceSpec {
    /// The service's name, the first label of its DNS name (`web`: `web.corp.local`). In a DNS
    /// namespace a lowercase DNS label of at most 43 characters (the headless Kubernetes Service
    /// behind it is `<name>-<namespace id>`).
    pub name: String,
    /// The namespace: its Cloud Map id (`ns-...`) or the DiscoveryNamespace object's name (same
    /// Kubernetes namespace).
    pub namespace_id: String,
    /// Free text (up to 1024 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The DNS records of each instance (DNS namespaces; required there, as in Cloud Map).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<DnsConfig>,
    /// Custom health checks (accepted: a task is an instance while it is ready, as ECS reports
    /// its health to Cloud Map).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_custom_config: Option<HealthCheckCustomConfig>,
}

/// Cloud Map's `HealthCheckCustomConfig` (accepted; Cloud Map no longer reads its threshold either).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckCustomConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
}

/// Cloud Map's `DnsConfig` (in camelCase, as every kube-ecs field).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnsConfig {
    /// `MULTIVALUE` (default: every healthy instance in each answer) or `WEIGHTED` (served as
    /// MULTIVALUE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_policy: Option<RoutingPolicy>,
    /// One record per type (`A`, `AAAA`, `SRV`, `CNAME`) and its TTL.
    pub dns_records: Vec<DnsRecord>,
}

/// Cloud Map's routing policies.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RoutingPolicy {
    Multivalue,
    Weighted,
}

/// Cloud Map's `DnsRecord`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecord {
    #[serde(rename = "type")]
    pub type_: RecordType,
    /// Seconds resolvers may cache the answer (the cluster DNS answers with its own TTL).
    pub ttl: i64,
}

/// DNS record types Cloud Map creates.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum RecordType {
    A,
    #[serde(rename = "AAAA")]
    Aaaa,
    #[serde(rename = "SRV")]
    Srv,
    #[serde(rename = "CNAME")]
    Cname,
}

impl DiscoveryServiceSpec {
    /// Whether its instances get a record of `record` type.
    pub fn has_record(&self, record: RecordType) -> bool {
        self.dns_config.as_ref().is_some_and(|c| c.dns_records.iter().any(|r| r.type_ == record))
    }
}

/// Observed state of a Cloud Map service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryServiceStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready (its namespace exists), Stalled (it does not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
    /// Cloud Map's id (`srv-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its namespace's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_id: Option<String>,
    /// `<name>.<namespace>`, in a DNS namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_uid() {
        assert_eq!(namespace_id("3F2A5B6C-1D2E-4F50-8A9B-0C1D2E3F4A5B"), "ns-3f2a5b6c1d2e4f50");
        assert_eq!(service_id("3f2a5b6c-1d2e-4f50-8a9b-0c1d2e3f4a5b"), "srv-3f2a5b6c1d2e4f50");
    }

    #[test]
    fn records_by_type() {
        let spec: DiscoveryServiceSpec = serde_yaml::from_str(
            "name: web\nnamespaceId: corp\ndnsConfig:\n  routingPolicy: MULTIVALUE\n  dnsRecords:\n  - {type: A, ttl: 10}\n  - {type: SRV, ttl: 10}\n",
        )
        .expect("spec");
        assert!(spec.has_record(RecordType::A) && spec.has_record(RecordType::Srv));
        assert!(!spec.has_record(RecordType::Cname));
    }
}
