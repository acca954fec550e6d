//! Service discovery (`serviceRegistries`, Cloud Map) on a local cluster with a real instance
//! (kube-proxy and CoreDNS beside it): a service registered in a Cloud Map service is found by
//! `<service>.<namespace>` (A and SRV records) from another task, and the registries ECS refuses
//! are refused with a condition naming the field.

mod support;

use std::time::Duration;

use kube::Client;
use kube::api::Api;
use kube_ecs::api::cloud_map::{DiscoveryNamespace, DiscoveryService};
use kube_ecs::api::{Service, Task, TaskDefinition};
use support::apply;

async fn setup(prefix: &str) -> (Client, String) {
    support::with_real_nodes(1);
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    support::real_nodes_cluster(&client, &ns).await;
    (client, ns)
}

/// The DiscoveryNamespace `corp` (DNS name `zone`) and the DiscoveryService `web` in it with
/// `records`; returns the service's registry ARN once the operator reports its id.
async fn cloud_map(client: &Client, ns: &str, zone: &str, records: serde_json::Value) -> String {
    let namespaces: Api<DiscoveryNamespace> = Api::namespaced(client.clone(), ns);
    apply(
        &namespaces,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "DiscoveryNamespace",
            "metadata": {"name": "corp"}, "spec": {"name": zone, "type": "DNS_PRIVATE"}}),
    )
    .await;
    let services: Api<DiscoveryService> = Api::namespaced(client.clone(), ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "DiscoveryService",
            "metadata": {"name": "web"}, "spec": {"name": "web", "namespaceId": "corp",
                "dnsConfig": {"routingPolicy": "MULTIVALUE", "dnsRecords": records}}}),
    )
    .await;
    let ready = |conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition]| {
        conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
    };
    support::wait_for(&namespaces, "corp", "the namespace published", |n| {
        n.status.as_ref().is_some_and(|s| ready(&s.conditions))
    })
    .await;
    let service = support::wait_for(&services, "web", "the service's id", |s| {
        s.status.as_ref().is_some_and(|s| ready(&s.conditions) && s.id.is_some())
    })
    .await;
    let id = service.status.and_then(|s| s.id).expect("id");
    format!("arn:aws:servicediscovery:us-east-1:123456789012:service/{id}")
}

fn definition(name: &str, network_mode: &str, port: i32, script: &str) -> serde_json::Value {
    serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": name},
        "spec": {"networkMode": network_mode, "containerDefinitions": [{"name": name, "image": "busybox:1.36",
            "memory": 32, "portMappings": [{"containerPort": port}], "command": ["sh", "-c", script]}]}})
}

fn service(name: &str, cluster: &str, registries: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": name},
        "spec": {"taskDefinition": name, "cluster": cluster, "desiredCount": 1, "serviceRegistries": registries}})
}

/// The service's `ServiceRegistries` condition, once it is about the current generation.
fn registries_condition(s: &Service) -> Option<(String, String, String)> {
    let status = s.status.as_ref()?;
    let c = status.conditions.iter().find(|c| c.type_ == "ServiceRegistries")?;
    (c.observed_generation == s.metadata.generation).then(|| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

#[tokio::test]
async fn a_client_task_calls_a_service_by_its_cloud_map_name() {
    let started = std::time::Instant::now();
    let (client, ns) = setup("cloud-map-dns").await;
    let arn = cloud_map(
        &client,
        &ns,
        "corp.local",
        serde_json::json!([{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 10}]),
    )
    .await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        definition(
            "web",
            "awsvpc",
            80,
            "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www",
        ),
    )
    .await;
    apply(
        &services,
        service("web", &ns, serde_json::json!([{"registryArn": arn, "containerName": "web", "containerPort": 80}])),
    )
    .await;
    let web = support::wait_for(&services, "web", "one task running, registered", |s| {
        s.status.as_ref().is_some_and(|st| st.running_count == Some(1))
            && registries_condition(s).is_some_and(|(status, _, _)| status == "True")
    })
    .await;
    let (_, _, message) = registries_condition(&web).expect("condition");
    assert!(message.contains("web.corp.local"), "{message}");
    let registered = started.elapsed();

    // The client: the A record (nslookup, then wget by name on port 80, as an awsvpc task is called),
    // then the SRV record. The cluster DNS takes the namespace's rule within its reload interval.
    // (No `wget -T`: busybox 1.36's wget crashes with it here.)
    let script = "for i in $(seq 60); do nslookup web.corp.local >/tmp/a 2>&1 && grep -q Address /tmp/a && break; sleep 1; done; \
        cat /tmp/a; wget -q -O /tmp/page http://web.corp.local/ || exit 1; echo \"PAGE $(cat /tmp/page)\"; \
        nslookup -type=srv web.corp.local >/tmp/srv 2>&1; cat /tmp/srv; grep -q 'service = 0 100 80 ' /tmp/srv || exit 2; \
        echo DONE";
    apply(&definitions, definition("client", "awsvpc", 8081, script)).await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "client"},
            "spec": {"taskDefinition": "client", "cluster": ns}}),
    )
    .await;
    let stopped = support::wait_for_within(&tasks, "client", "the client stopped", Duration::from_secs(180), |t| {
        t.status.as_ref().and_then(|s| s.last_status).map(|v| v.as_str()) == Some("STOPPED")
    })
    .await;
    let (_, log, _) = support::kubectl(&["logs", "-n", &ns, "client", "-c", "client"], None);
    let exit = stopped.status.as_ref().and_then(|s| s.containers.iter().find(|c| c.name == "client")?.exit_code);
    assert_eq!(exit, Some(0), "the client exits 0; its log:\n{log}");
    assert!(log.contains("PAGE hello from web"), "{log}");
    // Cloud Map's SRV answer: priority, weight, the registry's port, `<instance>.<service>.<namespace>`.
    let srv = log.lines().find(|l| l.contains("service = 0 100 80 ")).unwrap_or_default();
    assert!(srv.trim_end().ends_with(".web.corp.local"), "the SRV target is under the Cloud Map name:\n{log}");
    // From the host too, asking the cluster DNS (the ClusterIP kube-proxy serves): the task's IP.
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), &ns);
    let selector = format!("{}=web", kube_ecs::labels::SERVICE_NAME);
    let web_pod = pods.list(&kube::api::ListParams::default().labels(&selector)).await.expect("pods").items.remove(0);
    let ip: std::net::Ipv4Addr =
        web_pod.status.and_then(|s| s.pod_ip).expect("the task's IP").parse().expect("an IPv4 address");
    let dns = support::cluster().dns_service_ip().expect("the cluster DNS address");
    let answers = host_lookup(&format!("{dns}:53"), "web.corp.local");
    assert_eq!(answers, vec![ip], "the host's answer for web.corp.local");
    eprintln!(
        "cloud map: service registered {:.1?} after start; client done {:.1?} after start\n{log}",
        registered,
        started.elapsed()
    );
}

/// The A records the DNS server at `server` answers for `name` (a plain RFC 1035 query over UDP).
fn host_lookup(server: &str, name: &str) -> Vec<std::net::Ipv4Addr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").expect("a UDP socket");
    socket.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
    let mut query = vec![0x6b, 0x65, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    socket.send_to(&query, server).expect("sending the query");
    let mut answer = [0u8; 512];
    let n = socket.recv(&mut answer).expect("an answer");
    let count = u16::from_be_bytes([answer[6], answer[7]]);
    // Skip the question, then read each answer: its name (labels, or a 2-byte pointer), type, class,
    // TTL, length and data.
    let mut at = query.len();
    let mut out = Vec::new();
    for _ in 0..count {
        while at < n && answer[at] != 0 && answer[at] & 0xc0 != 0xc0 {
            at += 1 + answer[at] as usize;
        }
        at += if at < n && answer[at] & 0xc0 == 0xc0 { 2 } else { 1 };
        if at + 10 > n {
            break;
        }
        let kind = u16::from_be_bytes([answer[at], answer[at + 1]]);
        let length = u16::from_be_bytes([answer[at + 8], answer[at + 9]]) as usize;
        if kind == 1 && length == 4 && at + 14 <= n {
            out.push(std::net::Ipv4Addr::new(answer[at + 10], answer[at + 11], answer[at + 12], answer[at + 13]));
        }
        at += 10 + length;
    }
    out
}

#[tokio::test]
async fn registries_ecs_refuses_are_refused_naming_the_field() {
    let (client, ns) = setup("cloud-map-refusals").await;
    let arn = cloud_map(&client, &ns, &format!("{ns}.internal"), serde_json::json!([{"type": "A", "ttl": 60}])).await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, definition("bridged", "bridge", 8080, "exec sleep 3600")).await;
    apply(&definitions, definition("lost", "awsvpc", 8080, "exec sleep 3600")).await;
    // An A record with the bridge network mode (ECS: awsvpc only).
    apply(
        &services,
        service(
            "bridged",
            &ns,
            serde_json::json!([{"registryArn": arn, "containerName": "bridged", "containerPort": 8080}]),
        ),
    )
    .await;
    // A registry that does not exist.
    apply(
        &services,
        service(
            "lost",
            &ns,
            serde_json::json!([{"registryArn": "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0000000000000000"}]),
        ),
    )
    .await;
    let refused = |name: &'static str, reason: &'static str, words: &'static str| {
        let services = services.clone();
        async move {
            let s = support::wait_for(&services, name, reason, |s| {
                registries_condition(s).is_some_and(|(status, r, _)| status == "False" && r == reason)
            })
            .await;
            let (_, _, message) = registries_condition(&s).expect("condition");
            assert!(message.starts_with("serviceRegistries[0]") && message.contains(words), "{name}: {message}");
        }
    };
    refused("bridged", "InvalidServiceRegistry", "awsvpc network mode").await;
    refused("lost", "RegistryNotFound", "srv-0000000000000000 does not exist").await;

    // What the API server refuses (CEL): a DNS service name that is no DNS label, a namespace whose
    // DNS name is no domain, a namespace renamed.
    let create = |kind: &str, name: &str, spec: serde_json::Value| serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec});
    let discoveries: Api<DiscoveryService> = Api::namespaced(client.clone(), &ns);
    let bad: DiscoveryService = serde_json::from_value(create(
        "DiscoveryService",
        "bad",
        serde_json::json!({"name": "Web_1", "namespaceId": "corp", "dnsConfig": {"dnsRecords": [{"type": "A", "ttl": 1}]}}),
    ))
    .expect("object");
    let error = discoveries.create(&kube::api::PostParams::default(), &bad).await.expect_err("refused").to_string();
    assert!(error.contains("lowercase DNS label"), "{error}");
    let namespaces: Api<DiscoveryNamespace> = Api::namespaced(client.clone(), &ns);
    let bad: DiscoveryNamespace =
        serde_json::from_value(create("DiscoveryNamespace", "bad", serde_json::json!({"name": "not a domain"})))
            .expect("object");
    let error = namespaces.create(&kube::api::PostParams::default(), &bad).await.expect_err("refused").to_string();
    assert!(error.contains("a DNS namespace's name is a domain name"), "{error}");
    let renamed = serde_json::json!({"spec": {"name": "other.internal"}});
    let error = namespaces
        .patch("corp", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&renamed))
        .await
        .expect_err("refused")
        .to_string();
    assert!(error.contains("A namespace's name cannot be changed."), "{error}");
}

fn cloud_map_cli(
    api: &support::ecs_api::EcsApi,
    key: &support::ecs_api::Key,
    args: &[&str],
) -> (bool, serde_json::Value, String) {
    support::ecs_api::aws_service("servicediscovery", &api.url, &api.region, key, args, &[])
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

#[tokio::test]
async fn cloud_maps_api_makes_the_registry_an_ecs_service_registers_in() {
    let started = std::time::Instant::now();
    support::with_real_nodes(1);
    support::operator::start();
    let api = support::ecs_api::start();
    let client = support::client().await;
    let (ns, key) = support::ecs_api::team(&client, api, "cloud-map-api", false).await;
    // What the chart's aggregated edit role grants for Cloud Map: its kinds, and reading the
    // Kubernetes Services and Pods that are a service's instances.
    let rules = serde_json::json!([
        {"apiGroups": ["ecs.kube-ecs.dev"], "resources": ["discoverynamespaces", "discoveryservices"], "verbs": ["*"]},
        {"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list"]},
    ]);
    support::ecs_api::grant_role(&client, &key.user, &ns, "cloud-map", rules).await;
    support::real_nodes_cluster(&client, &ns).await;

    // A private DNS namespace: an operation, SUCCESS once the namespace exists.
    let zone = format!("{ns}.example");
    let created = ok(
        "create-private-dns-namespace",
        cloud_map_cli(api, &key, &["create-private-dns-namespace", "--name", &zone, "--vpc", "vpc-0123"]),
    );
    let operation = created["OperationId"].as_str().expect("OperationId").to_string();
    let op = ok("get-operation", cloud_map_cli(api, &key, &["get-operation", "--operation-id", &operation]));
    assert_eq!(op["Operation"]["Status"], "SUCCESS", "{op}");
    assert_eq!(op["Operation"]["Type"], "CREATE_NAMESPACE", "{op}");
    let namespace_id = op["Operation"]["Targets"]["NAMESPACE"].as_str().expect("target").to_string();
    assert!(namespace_id.starts_with("ns-"), "{op}");
    let got = ok("get-namespace", cloud_map_cli(api, &key, &["get-namespace", "--id", &namespace_id]));
    assert_eq!(got["Namespace"]["Name"], zone.as_str());
    assert_eq!(got["Namespace"]["Type"], "DNS_PRIVATE");
    assert!(got["Namespace"]["Arn"].as_str().is_some_and(|a| a.starts_with("arn:aws:servicediscovery:")), "{got}");
    let listed = ok(
        "list-namespaces",
        cloud_map_cli(api, &key, &["list-namespaces", "--filters", "Name=TYPE,Values=DNS_PRIVATE,Condition=EQ"]),
    );
    assert!(
        listed["Namespaces"].as_array().is_some_and(|n| n.iter().any(|n| n["Id"] == namespace_id.as_str())),
        "{listed}"
    );
    refused(
        "a second namespace of the name",
        cloud_map_cli(api, &key, &["create-private-dns-namespace", "--name", &zone, "--vpc", "vpc-0123"]),
        "NamespaceAlreadyExists",
        &zone,
    );

    // A service with an A record, which an ECS service registers its tasks in.
    let service = ok(
        "create-service",
        cloud_map_cli(
            api,
            &key,
            &[
                "create-service",
                "--name",
                "api",
                "--namespace-id",
                &namespace_id,
                "--dns-config",
                "RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=A,TTL=10}]",
            ],
        ),
    );
    let service_id = service["Service"]["Id"].as_str().expect("Id").to_string();
    let registry_arn = service["Service"]["Arn"].as_str().expect("Arn").to_string();
    assert!(service_id.starts_with("srv-") && registry_arn.ends_with(&format!(":service/{service_id}")), "{service}");
    let listed = ok(
        "list-services",
        cloud_map_cli(
            api,
            &key,
            &["list-services", "--filters", &format!("Name=NAMESPACE_ID,Values={namespace_id},Condition=EQ")],
        ),
    );
    assert_eq!(listed["Services"][0]["Id"], service_id.as_str(), "{listed}");
    refused(
        "an unknown service",
        cloud_map_cli(api, &key, &["get-service", "--id", "srv-0000000000000000"]),
        "ServiceNotFound",
        "srv-0000000000000000",
    );
    refused(
        "an unknown namespace",
        cloud_map_cli(api, &key, &["get-namespace", "--id", "ns-0000000000000000"]),
        "NamespaceNotFound",
        "ns-0000000000000000",
    );

    support::apply(
        &Api::<TaskDefinition>::namespaced(client.clone(), &ns),
        definition(
            "api",
            "awsvpc",
            8080,
            "mkdir -p /www && echo api > /www/index.html && exec httpd -f -p 8080 -h /www",
        ),
    )
    .await;
    // ECS refuses a registry that does not exist and a combination it does not allow.
    let ecs = |args: &[&str]| support::ecs_api::aws(api, &key, args);
    refused(
        "an unknown registry",
        ecs(&[
            "create-service",
            "--cluster",
            &ns,
            "--service-name",
            "lost",
            "--task-definition",
            "api",
            "--desired-count",
            "1",
            "--service-registries",
            "registryArn=arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0000000000000000",
        ]),
        "InvalidParameterException",
        "srv-0000000000000000 does not exist",
    );
    refused(
        "containerName without containerPort",
        ecs(&[
            "create-service",
            "--cluster",
            &ns,
            "--service-name",
            "half",
            "--task-definition",
            "api",
            "--desired-count",
            "1",
            "--service-registries",
            &format!("registryArn={registry_arn},containerName=api"),
        ]),
        "InvalidParameterException",
        "containerName and containerPort must be specified together",
    );
    let created = ecs(&[
        "create-service",
        "--cluster",
        &ns,
        "--service-name",
        "api",
        "--task-definition",
        "api",
        "--desired-count",
        "1",
        "--service-registries",
        &format!("registryArn={registry_arn}"),
    ]);
    let created = ok("ecs create-service", created);
    assert_eq!(created["service"]["serviceRegistries"][0]["registryArn"], registry_arn.as_str(), "{created}");
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    support::wait_for(&services, "api", "one task running, registered", |s| {
        s.status.as_ref().is_some_and(|st| st.running_count == Some(1))
            && registries_condition(s).is_some_and(|(status, _, _)| status == "True")
    })
    .await;
    let described = ok("describe-services", ecs(&["describe-services", "--cluster", &ns, "--services", "api"]));
    assert_eq!(described["services"][0]["serviceRegistries"][0]["registryArn"], registry_arn.as_str(), "{described}");

    // The task is the service's instance, as ECS registers it.
    let instances = ok("list-instances", cloud_map_cli(api, &key, &["list-instances", "--service-id", &service_id]));
    let instance = &instances["Instances"][0];
    assert!(instance["Attributes"]["AWS_INSTANCE_IPV4"].as_str().is_some_and(|ip| !ip.is_empty()), "{instances}");
    assert_eq!(instance["Attributes"]["ECS_SERVICE_NAME"], "api", "{instances}");
    // DiscoverInstances: the CLI sends it to `data-<endpoint host>` (its model's host prefix), which
    // an endpoint URL with an IP cannot take; a signed request as botocore makes it, to the endpoint.
    let (status, discovered) = support::ecs_api::raw(
        api,
        Some(&key),
        Some("Route53AutoNaming_v20170314.DiscoverInstances"),
        serde_json::json!({"NamespaceName": zone, "ServiceName": "api"}).to_string().as_bytes(),
        jiff::Timestamp::now(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{discovered}");
    assert_eq!(discovered["Instances"][0]["InstanceId"], instance["Id"], "{discovered}");
    assert_eq!(discovered["Instances"][0]["HealthStatus"], "HEALTHY", "{discovered}");

    refused(
        "UpdateService with port and containerName/containerPort",
        ecs(&[
            "update-service",
            "--cluster",
            &ns,
            "--service",
            "api",
            "--service-registries",
            &format!("registryArn={registry_arn},port=8080,containerName=api,containerPort=8080"),
        ]),
        "InvalidParameterException",
        "not both",
    );

    // In use: a service with instances, a namespace with services.
    refused(
        "deleting a registered service",
        cloud_map_cli(api, &key, &["delete-service", "--id", &service_id]),
        "ResourceInUse",
        &service_id,
    );
    refused(
        "deleting a namespace with services",
        cloud_map_cli(api, &key, &["delete-namespace", "--id", &namespace_id]),
        "ResourceInUse",
        &namespace_id,
    );

    // A Cloud Map service deleted with kubectl (which Cloud Map's DeleteService would refuse): its
    // names go, and the ECS service says its registry does not exist.
    let discoveries: Api<DiscoveryService> = Api::namespaced(client.clone(), &ns);
    let object = discoveries
        .list(&Default::default())
        .await
        .expect("discovery services")
        .items
        .into_iter()
        .find(|d| d.status.as_ref().and_then(|s| s.id.as_deref()) == Some(service_id.as_str()))
        .expect("the DiscoveryService");
    discoveries
        .delete(object.metadata.name.as_deref().unwrap_or_default(), &Default::default())
        .await
        .expect("deleted");
    support::wait_for(&services, "api", "the registry reported missing", |s| {
        registries_condition(s).is_some_and(|(status, reason, _)| status == "False" && reason == "RegistryNotFound")
    })
    .await;
    let kube_services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client.clone(), &ns);
    let registry_label = kube_ecs::service_plan::service_discovery::REGISTRY_LABEL;
    support::wait_for_list(&kube_services, "the headless Service gone", |list| {
        list.iter().all(|k| k.metadata.labels.as_ref().and_then(|l| l.get(registry_label)) != Some(&service_id))
    })
    .await;
    refused(
        "listing a deleted service's instances",
        cloud_map_cli(api, &key, &["list-instances", "--service-id", &service_id]),
        "ServiceNotFound",
        &service_id,
    );
    eprintln!("cloud map API: {:.1?}", started.elapsed());
}
