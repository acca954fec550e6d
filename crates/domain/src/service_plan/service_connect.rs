//! Service Connect (`serviceConnectConfiguration`) on Kubernetes.
//!
//! In ECS, a service of a Service Connect namespace publishes the task-definition ports it names
//! (`services[].portName`, a `portMappings[].name`) under a discovery name and client aliases
//! (`clientAliases[].dnsName:port`, default `<discoveryName>.<namespace>`), and the tasks of every
//! service of the namespace (clients: `enabled` with no `services`) reach them by those names: the
//! Service Connect agent writes the names into each task's `/etc/hosts`, pointing at its proxy.
//!
//! Here each published port is a ClusterIP Service named after the discovery name (a DNS label), its
//! ports the client aliases' ports forwarding to the container port, labelled with the namespace and
//! annotated with the alias names. Every task of a Service Connect service gets those names in its
//! `/etc/hosts` as `hostAliases` to the Services' cluster IPs ([`host_aliases`]): a dotted alias
//! (`web.internal`) works without any DNS configuration, and a plain one also resolves through
//! cluster DNS as the Service's name. As in ECS, a client's tasks learn an endpoint published after
//! they started at their next deployment.
//!
//! The namespace is the configuration's `namespace`; ECS's cluster default is the service's
//! Kubernetes namespace name here (an EcsCluster has no Cloud Map namespace).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{HostAlias, Service as KubeService};
use kube::{Resource, ResourceExt};
use serde::Deserialize;

use crate::api::service::Service;
use crate::api::task_definition::TaskDefinitionSpec;
use crate::labels;

/// Label on a Service Connect endpoint Service: its Service Connect namespace.
pub const NAMESPACE_LABEL: &str = "ecs.kube-ecs.dev/service-connect-namespace";
/// Annotation on a Service Connect endpoint Service: its client alias names, comma-separated.
pub const DNS_NAMES_ANNOTATION: &str = "ecs.kube-ecs.dev/service-connect-dns-names";

/// ECS's `serviceConnectConfiguration`, the members kube-ecs applies.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub services: Vec<Published>,
}

/// One published port (`services[]`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub port_name: String,
    #[serde(default)]
    pub discovery_name: Option<String>,
    #[serde(default)]
    pub client_aliases: Vec<ClientAlias>,
}

/// `clientAliases[]`: the name and port clients call.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClientAlias {
    pub port: i32,
    #[serde(default)]
    pub dns_name: Option<String>,
}

/// The service's Service Connect configuration when enabled; the message says what is wrong with it.
pub fn configuration(service: &Service) -> Result<Option<Configuration>, String> {
    let Some(value) = &service.spec.service_connect_configuration else { return Ok(None) };
    let config: Configuration =
        serde_json::from_value(value.clone()).map_err(|e| format!("serviceConnectConfiguration: {e}"))?;
    Ok(config.enabled.then_some(config))
}

/// The Service Connect namespace of `config` for `service`.
pub fn namespace_of(config: &Configuration, service: &Service) -> String {
    config.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| service.namespace().unwrap_or_default())
}

/// The ClusterIP Services publishing `config`'s ports, or what is wrong (a portName no port mapping
/// has, two published ports with one discovery name).
pub fn endpoints(
    service: &Service,
    definition: &TaskDefinitionSpec,
    config: &Configuration,
) -> Result<Vec<KubeService>, String> {
    let namespace = namespace_of(config, service);
    let mut out: Vec<KubeService> = Vec::new();
    for (i, published) in config.services.iter().enumerate() {
        let mapping = definition
            .container_definitions
            .iter()
            .flat_map(|c| c.port_mappings.iter())
            .find(|m| m.name.as_deref() == Some(published.port_name.as_str()))
            .ok_or_else(|| {
                format!(
                    "serviceConnectConfiguration.services[{i}].portName {:?} is not the name of a port mapping of the \
                     task definition",
                    published.port_name
                )
            })?;
        let target = mapping.container_port.ok_or_else(|| {
            format!(
                "serviceConnectConfiguration.services[{i}]: port mapping {:?} has no containerPort",
                published.port_name
            )
        })?;
        let discovery = published.discovery_name.clone().unwrap_or_else(|| published.port_name.clone());
        let name = crate::api::names::dns_label(&discovery, 63);
        if out.iter().any(|s| s.metadata.name.as_deref() == Some(name.as_str())) {
            return Err(format!(
                "serviceConnectConfiguration.services[{i}]: discovery name {discovery:?} is used twice"
            ));
        }
        let protocol = mapping.protocol.clone().unwrap_or_else(|| "tcp".into()).to_uppercase();
        let aliases: Vec<(i32, String)> = if published.client_aliases.is_empty() {
            vec![(target, format!("{discovery}.{namespace}"))]
        } else {
            published
                .client_aliases
                .iter()
                .map(|a| (a.port, a.dns_name.clone().unwrap_or_else(|| format!("{discovery}.{namespace}"))))
                .collect()
        };
        let mut ports: Vec<serde_json::Value> = Vec::new();
        for (port, _) in &aliases {
            if !ports.iter().any(|p| p["port"] == *port) {
                ports.push(serde_json::json!({
                    "name": format!("{}-{port}", protocol.to_lowercase()),
                    "port": port, "targetPort": target, "protocol": protocol,
                    "appProtocol": mapping.app_protocol,
                }));
            }
        }
        let mut names: Vec<String> = aliases.into_iter().map(|(_, n)| n).collect();
        names.push(discovery.clone());
        names.sort();
        names.dedup();
        let object = serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {
                "name": name,
                "namespace": service.namespace(),
                "labels": {
                    labels::SERVICE_NAME: labels::value(&service.name_any()),
                    labels::MANAGED_BY: labels::MANAGED_BY_VALUE,
                    NAMESPACE_LABEL: labels::value(&namespace),
                },
                "annotations": {DNS_NAMES_ANNOTATION: names.join(",")},
                "ownerReferences": service.controller_owner_ref(&()).into_iter().collect::<Vec<_>>(),
            },
            "spec": {"type": "ClusterIP", "selector": super::workload::selector(service), "ports": ports},
        });
        out.push(serde_json::from_value(object).map_err(|e| format!("serviceConnectConfiguration: {e}"))?);
    }
    Ok(out)
}

/// The `/etc/hosts` entries of a Service Connect task in `namespace`: every alias of the namespace's
/// endpoint Services (`peers`: the Services in the task's Kubernetes namespace) at its cluster IP,
/// except those of `own` service (its endpoints appear once it exists: its own tasks would
/// otherwise be redeployed to learn them). Sorted, so the pod template is stable.
pub fn host_aliases<'a>(
    namespace: &str,
    own: &str,
    peers: impl IntoIterator<Item = &'a KubeService>,
) -> Vec<HostAlias> {
    let mut by_ip: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for peer in peers {
        let labels = peer.metadata.labels.as_ref();
        let in_namespace =
            labels.and_then(|l| l.get(NAMESPACE_LABEL)).map(String::as_str) == Some(&labels::value(namespace));
        let of_own = labels.and_then(|l| l.get(labels::SERVICE_NAME)).map(String::as_str) == Some(&labels::value(own));
        let ip = peer.spec.as_ref().and_then(|s| s.cluster_ip.clone()).filter(|ip| !ip.is_empty() && ip != "None");
        let names = peer.metadata.annotations.as_ref().and_then(|a| a.get(DNS_NAMES_ANNOTATION));
        if let (true, false, Some(ip), Some(names)) = (in_namespace, of_own, ip, names) {
            by_ip.entry(ip).or_default().extend(names.split(',').filter(|n| !n.is_empty()).map(String::from));
        }
    }
    by_ip
        .into_iter()
        .map(|(ip, mut hostnames)| {
            hostnames.sort();
            hostnames.dedup();
            HostAlias { ip, hostnames: Some(hostnames) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_plan::fixtures::service;

    fn web_definition() -> TaskDefinitionSpec {
        serde_yaml::from_str(
            "containerDefinitions:\n- name: app\n  image: web:1\n  portMappings:\n  - containerPort: 8080\n    name: http\n    appProtocol: http\n",
        )
        .expect("definition")
    }

    #[test]
    fn published_ports_become_cluster_ip_services() {
        let svc = service(
            "taskDefinition: web\nserviceConnectConfiguration:\n  enabled: true\n  namespace: internal\n  services:\n  \
             - portName: http\n    discoveryName: web\n    clientAliases:\n    - port: 80\n      dnsName: web.internal\n",
        );
        let config = configuration(&svc).expect("valid").expect("enabled");
        let services = endpoints(&svc, &web_definition(), &config).expect("endpoints");
        assert_eq!(services.len(), 1);
        let k = &services[0];
        assert_eq!(k.metadata.name.as_deref(), Some("web"));
        let ports = k.spec.as_ref().and_then(|s| s.ports.clone()).expect("ports");
        assert_eq!((ports[0].port, ports[0].app_protocol.as_deref()), (80, Some("http")));
        assert_eq!(ports[0].target_port, Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(8080)));
        let annotations = k.metadata.annotations.as_ref().expect("annotations");
        assert_eq!(annotations.get(DNS_NAMES_ANNOTATION).map(String::as_str), Some("web,web.internal"));
        assert_eq!(
            k.metadata.labels.as_ref().and_then(|l| l.get(NAMESPACE_LABEL)).map(String::as_str),
            Some("internal")
        );

        // No client alias: the discovery name in the namespace, on the container port.
        let bare = service(
            "taskDefinition: web\nserviceConnectConfiguration:\n  enabled: true\n  services:\n  - portName: http\n",
        );
        let config = configuration(&bare).expect("valid").expect("enabled");
        let k = endpoints(&bare, &web_definition(), &config).expect("endpoints").remove(0);
        assert_eq!(k.metadata.name.as_deref(), Some("http"));
        assert_eq!(k.spec.and_then(|s| s.ports).expect("ports")[0].port, 8080);
        assert_eq!(
            k.metadata.annotations.expect("annotations").get(DNS_NAMES_ANNOTATION).map(String::as_str),
            Some("http,http.shop")
        );
    }

    #[test]
    fn refusals_and_disabled() {
        let wrong = service(
            "taskDefinition: web\nserviceConnectConfiguration:\n  enabled: true\n  services:\n  - portName: grpc\n",
        );
        let config = configuration(&wrong).expect("valid").expect("enabled");
        let error = endpoints(&wrong, &web_definition(), &config).expect_err("no such port name");
        assert!(error.contains("portName \"grpc\" is not the name of a port mapping"), "{error}");
        let off = service("taskDefinition: web\nserviceConnectConfiguration:\n  enabled: false\n");
        assert_eq!(configuration(&off), Ok(None));
        assert_eq!(configuration(&service("taskDefinition: web\n")), Ok(None));
    }

    #[test]
    fn clients_get_every_alias_of_their_namespace_but_their_own() {
        let peer = |owner: &str, namespace: &str, ip: &str, names: &str| -> KubeService {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": owner, "labels": {labels::SERVICE_NAME: owner, NAMESPACE_LABEL: namespace},
                    "annotations": {DNS_NAMES_ANNOTATION: names}},
                "spec": {"clusterIP": ip},
            }))
            .expect("service")
        };
        let peers = [
            peer("web", "internal", "10.0.0.10", "web,web.internal"),
            peer("api", "internal", "10.0.0.11", "api.internal"),
            peer("other", "elsewhere", "10.0.0.12", "other.elsewhere"),
            peer("client", "internal", "10.0.0.13", "client.internal"),
        ];
        let aliases = host_aliases("internal", "client", peers.iter());
        let flat: Vec<(String, Vec<String>)> =
            aliases.into_iter().map(|a| (a.ip, a.hostnames.unwrap_or_default())).collect();
        assert_eq!(
            flat,
            vec![
                ("10.0.0.10".to_string(), vec!["web".to_string(), "web.internal".to_string()]),
                ("10.0.0.11".to_string(), vec!["api.internal".to_string()]),
            ]
        );
    }
}
