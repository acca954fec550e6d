//! Service discovery (`serviceRegistries`) on Kubernetes: an ECS service registers each task in a
//! Cloud Map service (`DiscoveryService`, `srv-...`), whose DNS name `<service>.<namespace>` then
//! answers with the tasks' IPs (A records, awsvpc) or ports (SRV records).
//!
//! Here a registry is a **headless** Kubernetes Service, `<discovery name>-<namespace id>`, owned
//! by the ECS service and selecting its tasks: the cluster DNS answers its name with the ready
//! tasks' Pod IPs (A) and, when it has a port, SRV records `<pod>.<service>` (as Cloud Map answers
//! with `<instance id>.<service>.<namespace>`). The Cloud Map name maps onto it with one CoreDNS
//! rule per namespace, [`rewrite_rule`]: the suffix `.<namespace>.` becomes `-<namespace id>.<k8s
//! namespace>.svc.<cluster domain>.`, and `answer auto` turns the answers' names back. The operator
//! publishes the rule in a ConfigMap per namespace ([`dns_config_map`]); the cluster's CoreDNS
//! serves it (the local cluster does so by itself; docs/mapping.md says what a real cluster needs).
//!
//! The combinations ECS refuses are refused here, naming the field ([`headless_services`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Service as KubeService};
use kube::{Resource, ResourceExt};

use crate::api::cloud_map::{self, DiscoveryNamespace, DiscoveryService, RecordType};
use crate::api::service::{Service, ServiceRegistry};
use crate::api::task_definition::TaskDefinitionSpec;
use crate::labels;

/// Label on a registry's headless Service: the Cloud Map service id it serves.
pub const REGISTRY_LABEL: &str = "ecs.kube-ecs.dev/cloud-map-service";
/// Label on the ConfigMaps holding a Cloud Map namespace's CoreDNS rule (value: its id); the local
/// cluster's CoreDNS serves every ConfigMap so labelled.
pub const DNS_RULE_LABEL: &str = "ecs.kube-ecs.dev/coredns-rewrite";
/// Annotation on a registry's headless Service: the Cloud Map DNS name it answers (`web.corp.local`).
pub const DNS_NAME_ANNOTATION: &str = "ecs.kube-ecs.dev/cloud-map-name";
/// The cluster DNS domain the rules rewrite into (the kubelets' `clusterDomain`).
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// A registry entry of an ECS service with the Cloud Map objects it names.
#[derive(Clone, Copy, Debug)]
pub struct Registry<'a> {
    pub entry: &'a ServiceRegistry,
    pub discovery: &'a DiscoveryService,
    pub namespace: &'a DiscoveryNamespace,
}

/// The Cloud Map service id a `registryArn` names: the ARN's `service/srv-...` tail, or a bare id.
pub fn registry_id(arn: &str) -> &str {
    arn.rsplit_once(":service/").map_or(arn, |(_, id)| id)
}

/// The Cloud Map id of a DiscoveryService or DiscoveryNamespace (from its UID; None before it has one).
pub fn service_id(discovery: &DiscoveryService) -> Option<String> {
    discovery.metadata.uid.as_deref().map(cloud_map::service_id)
}

pub fn namespace_id(namespace: &DiscoveryNamespace) -> Option<String> {
    namespace.metadata.uid.as_deref().map(cloud_map::namespace_id)
}

/// The DiscoveryNamespace a DiscoveryService's `namespaceId` names: by id, or by object name.
pub fn namespace_of<'a>(
    discovery: &DiscoveryService,
    namespaces: &'a [DiscoveryNamespace],
) -> Option<&'a DiscoveryNamespace> {
    let wanted = discovery.spec.namespace_id.as_str();
    namespaces
        .iter()
        .find(|n| namespace_id(n).as_deref() == Some(wanted))
        .or_else(|| namespaces.iter().find(|n| n.metadata.name.as_deref() == Some(wanted)))
}

/// The Cloud Map objects of each of `service`'s registries, or what is missing (ECS:
/// "The specified registry does not exist").
pub fn resolve<'a>(
    service: &'a Service,
    discoveries: &'a [DiscoveryService],
    namespaces: &'a [DiscoveryNamespace],
) -> Result<Vec<Registry<'a>>, String> {
    let mut out = Vec::new();
    for (i, entry) in service.spec.service_registries.iter().enumerate() {
        let Some(arn) = entry.registry_arn.as_deref() else {
            return Err(format!("serviceRegistries[{i}].registryArn is required"));
        };
        let id = registry_id(arn);
        let discovery = discoveries
            .iter()
            .find(|d| service_id(d).as_deref() == Some(id) || d.metadata.name.as_deref() == Some(id))
            .ok_or_else(|| {
                format!("serviceRegistries[{i}].registryArn {arn:?}: the Cloud Map service {id} does not exist")
            })?;
        let namespace = namespace_of(discovery, namespaces).ok_or_else(|| {
            format!(
                "serviceRegistries[{i}].registryArn {arn:?}: the Cloud Map service's namespace {} does not exist",
                discovery.spec.namespace_id
            )
        })?;
        out.push(Registry { entry, discovery, namespace });
    }
    Ok(out)
}

/// The headless Service of a Cloud Map service in namespace `namespace_id`.
pub fn headless_name(discovery_name: &str, namespace_id: &str) -> String {
    crate::api::names::dns_label(&format!("{discovery_name}-{namespace_id}"), 63)
}

/// The port a registry entry's SRV records carry, and the container port it reaches; refuses the
/// combinations ECS refuses (ECS's CreateService: InvalidParameterException).
fn port_of(i: usize, registry: &Registry<'_>, definition: &TaskDefinitionSpec) -> Result<Option<(i32, i32)>, String> {
    let entry = registry.entry;
    let field = format!("serviceRegistries[{i}]");
    let network_mode = definition.network_mode.as_deref().unwrap_or("bridge");
    let awsvpc = network_mode == "awsvpc";
    let srv = registry.discovery.spec.has_record(RecordType::Srv);
    let address_records =
        registry.discovery.spec.has_record(RecordType::A) || registry.discovery.spec.has_record(RecordType::Aaaa);
    if entry.container_name.is_some() != entry.container_port.is_some() {
        return Err(format!("{field}: containerName and containerPort must be specified together"));
    }
    if !awsvpc && address_records {
        return Err(format!(
            "{field}: the Cloud Map service {} has A records, which need the awsvpc network mode (the task \
             definition's is {network_mode}): bridge and host tasks register SRV records",
            registry.discovery.spec.name
        ));
    }
    if !awsvpc && entry.container_name.is_none() {
        return Err(format!(
            "{field}: with the {network_mode} network mode, containerName and containerPort must be specified"
        ));
    }
    if entry.port.is_some() && entry.container_name.is_some() {
        return Err(format!("{field}: specify either port or containerName and containerPort, not both"));
    }
    if let (Some(container), Some(port)) = (&entry.container_name, entry.container_port) {
        let definition_container = definition.container_definitions.iter().find(|c| &c.name == container);
        let Some(definition_container) = definition_container else {
            return Err(format!("{field}.containerName {container:?} is not a container of the task definition"));
        };
        if !definition_container.port_mappings.iter().any(|m| m.container_port == Some(port)) {
            return Err(format!("{field}.containerPort {port} is not a port mapping of container {container:?}"));
        }
        return Ok(Some((port, port)));
    }
    match entry.port {
        Some(port) => Ok(Some((port, port))),
        None if srv => Err(format!(
            "{field}: the Cloud Map service {} has SRV records, which need a port: set port, or containerName \
             and containerPort",
            registry.discovery.spec.name
        )),
        None => Ok(None),
    }
}

/// One headless Service per registry, owned by `service` and selecting its tasks, or the first
/// entry's refusal.
pub fn headless_services(
    service: &Service,
    definition: &TaskDefinitionSpec,
    registries: &[Registry<'_>],
) -> Result<Vec<KubeService>, String> {
    let mut out: Vec<KubeService> = Vec::new();
    for (i, registry) in registries.iter().enumerate() {
        let port = port_of(i, registry, definition)?;
        let (Some(namespace_id), Some(id)) = (namespace_id(registry.namespace), service_id(registry.discovery)) else {
            continue;
        };
        let name = headless_name(&registry.discovery.spec.name, &namespace_id);
        if out.iter().any(|s| s.metadata.name.as_deref() == Some(name.as_str())) {
            return Err(format!("serviceRegistries[{i}]: the registry {id} is listed twice"));
        }
        let ports: Vec<serde_json::Value> = port
            .into_iter()
            .map(|(port, target)| serde_json::json!({"name": "srv", "port": port, "targetPort": target, "protocol": "TCP"}))
            .collect();
        let dns_name = format!("{}.{}", registry.discovery.spec.name, registry.namespace.spec.name);
        let object = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": name,
                "namespace": service.namespace(),
                "labels": {
                    labels::SERVICE_NAME: labels::value(&service.name_any()),
                    labels::MANAGED_BY: labels::MANAGED_BY_VALUE,
                    REGISTRY_LABEL: id,
                },
                "annotations": {DNS_NAME_ANNOTATION: dns_name},
                "ownerReferences": service.controller_owner_ref(&()).into_iter().collect::<Vec<_>>(),
            },
            "spec": {
                "clusterIP": "None",
                "selector": super::workload::selector(service),
                "ports": ports,
            },
        });
        out.push(serde_json::from_value(object).map_err(|e| format!("serviceRegistries[{i}]: {e}"))?);
    }
    Ok(out)
}

/// The CoreDNS rule answering `<service>.<namespace>` names from the headless Services of the
/// Cloud Map namespace with id `namespace_id` and DNS name `zone`, in Kubernetes namespace
/// `k8s_namespace`.
pub fn rewrite_rule(zone: &str, namespace_id: &str, k8s_namespace: &str) -> String {
    format!("rewrite name suffix {} {} answer auto", suffix(zone), replacement(namespace_id, k8s_namespace))
}

fn suffix(zone: &str) -> String {
    format!(".{}.", zone.trim_end_matches('.').to_ascii_lowercase())
}

fn replacement(namespace_id: &str, k8s_namespace: &str) -> String {
    format!("-{namespace_id}.{k8s_namespace}.svc.{CLUSTER_DOMAIN}.")
}

/// The ConfigMap publishing a DNS namespace's rule (None for an HTTP namespace, or before it has a
/// UID), owned by the DiscoveryNamespace: `zone` and `replacement` for programs that compose a
/// Corefile (the local cluster), `rewrite` to paste into one.
pub fn dns_config_map(namespace: &DiscoveryNamespace) -> Option<ConfigMap> {
    if !namespace.spec.type_.unwrap_or_default().has_dns() {
        return None;
    }
    let id = namespace_id(namespace)?;
    let k8s_namespace = namespace.namespace()?;
    let zone = namespace.spec.name.trim_end_matches('.').to_ascii_lowercase();
    let data: BTreeMap<String, String> = [
        ("zone".to_string(), zone.clone()),
        ("replacement".to_string(), replacement(&id, &k8s_namespace)),
        ("rewrite".to_string(), rewrite_rule(&zone, &id, &k8s_namespace)),
    ]
    .into();
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": dns_config_map_name(&id),
            "namespace": k8s_namespace,
            "labels": {DNS_RULE_LABEL: id, labels::MANAGED_BY: labels::MANAGED_BY_VALUE},
            "ownerReferences": namespace.controller_owner_ref(&()).into_iter().collect::<Vec<_>>(),
        },
        "data": data,
    }))
    .ok()
}

/// The name of a namespace's DNS ConfigMap.
pub fn dns_config_map_name(namespace_id: &str) -> String {
    format!("cloud-map-dns-{namespace_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_plan::fixtures::service;

    fn namespace(name: &str, kind: &str) -> DiscoveryNamespace {
        let mut n = DiscoveryNamespace::new(
            "corp",
            serde_yaml::from_str(&format!("name: {name}\ntype: {kind}\n")).expect("namespace spec"),
        );
        n.metadata.namespace = Some("shop".into());
        n.metadata.uid = Some("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9".into());
        n
    }

    fn discovery(records: &str) -> DiscoveryService {
        let mut d = DiscoveryService::new(
            "web-registry",
            serde_yaml::from_str(&format!("name: web\nnamespaceId: corp\ndnsConfig:\n  dnsRecords: {records}\n"))
                .expect("service spec"),
        );
        d.metadata.namespace = Some("shop".into());
        d.metadata.uid = Some("11112222-3333-4444-5555-666677778888".into());
        d
    }

    fn definition(network_mode: &str) -> TaskDefinitionSpec {
        serde_yaml::from_str(&format!(
            "networkMode: {network_mode}\ncontainerDefinitions:\n- name: app\n  image: web:1\n  portMappings:\n  - containerPort: 8080\n"
        ))
        .expect("definition")
    }

    #[test]
    fn registry_arns_name_a_cloud_map_service() {
        assert_eq!(registry_id("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abc"), "srv-abc");
        assert_eq!(registry_id("srv-abc"), "srv-abc");
        let (discoveries, namespaces) =
            (vec![discovery("[{type: A, ttl: 10}]")], vec![namespace("corp.local", "DNS_PRIVATE")]);
        let svc = service(
            "taskDefinition: web\nserviceRegistries:\n- registryArn: arn:aws:servicediscovery:us-east-1:1:service/srv-1111222233334444\n",
        );
        let resolved = resolve(&svc, &discoveries, &namespaces).expect("resolves by id");
        assert_eq!(resolved[0].namespace.spec.name, "corp.local", "namespaceId by object name");
        let unknown = service("taskDefinition: web\nserviceRegistries:\n- registryArn: srv-0000000000000000\n");
        let refused = resolve(&unknown, &discoveries, &namespaces).expect_err("unknown registry");
        assert!(
            refused.contains("serviceRegistries[0].registryArn") && refused.contains("does not exist"),
            "{refused}"
        );
        assert!(resolve(&unknown, &discoveries, &[]).is_err());
    }

    /// (network mode, records, registry entry) -> the headless Service's ports, or the refusal's words.
    #[test]
    fn registry_combinations_as_ecs_validates_them() {
        type Case<'a> = (&'a str, &'a str, &'a str, Result<Vec<i32>, &'a str>);
        let cases: [Case; 9] = [
            ("awsvpc", "[{type: A, ttl: 10}]", "{}", Ok(vec![])),
            ("awsvpc", "[{type: A, ttl: 10}, {type: SRV, ttl: 10}]", "{port: 8080}", Ok(vec![8080])),
            ("awsvpc", "[{type: SRV, ttl: 10}]", "{containerName: app, containerPort: 8080}", Ok(vec![8080])),
            ("awsvpc", "[{type: SRV, ttl: 10}]", "{}", Err("need a port")),
            ("awsvpc", "[{type: SRV, ttl: 10}]", "{port: 1, containerName: app, containerPort: 8080}", Err("not both")),
            ("awsvpc", "[{type: A, ttl: 10}]", "{containerName: app}", Err("must be specified together")),
            ("awsvpc", "[{type: A, ttl: 10}]", "{containerName: app, containerPort: 9}", Err("containerPort 9 is not")),
            ("bridge", "[{type: A, ttl: 10}]", "{containerName: app, containerPort: 8080}", Err("awsvpc network mode")),
            ("host", "[{type: SRV, ttl: 10}]", "{port: 8080}", Err("containerName and containerPort must be")),
        ];
        let namespaces = vec![namespace("corp.local", "DNS_PRIVATE")];
        for (mode, records, entry, expected) in cases {
            let discoveries = vec![discovery(records)];
            let mut svc = service("taskDefinition: web\n");
            let mut registry: ServiceRegistry = serde_yaml::from_str(entry).expect("entry");
            registry.registry_arn = Some("srv-1111222233334444".into());
            svc.spec.service_registries = vec![registry];
            let resolved = resolve(&svc, &discoveries, &namespaces).expect("resolves");
            let got = headless_services(&svc, &definition(mode), &resolved);
            match (got, expected) {
                (Ok(services), Ok(ports)) => {
                    let spec = services[0].spec.clone().expect("spec");
                    let got: Vec<i32> = spec.ports.unwrap_or_default().iter().map(|p| p.port).collect();
                    assert_eq!(got, ports, "{mode} {records} {entry}");
                    assert_eq!(spec.cluster_ip.as_deref(), Some("None"), "headless");
                }
                (Err(message), Err(words)) => {
                    assert!(message.starts_with("serviceRegistries[0]") && message.contains(words), "{message}");
                }
                (got, expected) => panic!("{mode} {records} {entry}: {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn the_headless_service_selects_the_tasks_and_is_named_for_the_rule() {
        let (discoveries, namespaces) =
            (vec![discovery("[{type: A, ttl: 10}]")], vec![namespace("Corp.Local", "DNS_PRIVATE")]);
        let svc = service("taskDefinition: web\nserviceRegistries:\n- registryArn: srv-1111222233334444\n");
        let resolved = resolve(&svc, &discoveries, &namespaces).expect("resolves");
        let headless = headless_services(&svc, &definition("awsvpc"), &resolved).expect("services").remove(0);
        assert_eq!(headless.metadata.name.as_deref(), Some("web-ns-0a1b2c3d4e5f6071"));
        assert_eq!(headless.labels().get(REGISTRY_LABEL).map(String::as_str), Some("srv-1111222233334444"));
        assert_eq!(headless.metadata.owner_references.expect("owner")[0].kind, "Service");
        let selector = headless.spec.and_then(|s| s.selector).expect("selector");
        assert_eq!(selector.get(labels::SERVICE_NAME).map(String::as_str), Some("web"));

        // The rule maps web.corp.local onto that Service's cluster DNS name.
        let map = dns_config_map(&namespaces[0]).expect("a DNS namespace has a rule");
        let data = map.data.expect("data");
        assert_eq!(
            data["rewrite"],
            "rewrite name suffix .corp.local. -ns-0a1b2c3d4e5f6071.shop.svc.cluster.local. answer auto"
        );
        assert_eq!(data["zone"], "corp.local");
        assert_eq!(map.metadata.name.as_deref(), Some("cloud-map-dns-ns-0a1b2c3d4e5f6071"));
        assert_eq!(map.metadata.owner_references.expect("owner")[0].kind, "DiscoveryNamespace");
        assert!(dns_config_map(&namespace("api", "HTTP")).is_none(), "an HTTP namespace has no DNS names");
    }
}
