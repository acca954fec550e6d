//! ECS services on the network of a local cluster with a real instance (kube-proxy and CoreDNS
//! beside it): Service Connect's client aliases reach another service's tasks by name.

mod support;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, ListParams};
use kube_ecs::api::{Service, TaskDefinition};
use support::apply;

async fn setup(prefix: &str) -> (Client, String) {
    support::with_real_nodes(1);
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    support::real_nodes_cluster(&client, &ns).await;
    (client, ns)
}

fn definition(name: &str, port_mappings: serde_json::Value, script: &str) -> serde_json::Value {
    serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": name},
        "spec": {"containerDefinitions": [{"name": name, "image": "busybox:1.36", "memory": 32,
            "portMappings": port_mappings, "command": ["sh", "-c", script]}]}})
}

fn service(name: &str, cluster: &str, connect: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": name},
        "spec": {"taskDefinition": name, "cluster": cluster, "desiredCount": 1, "serviceConnectConfiguration": connect}})
}

fn running(s: &Service) -> bool {
    s.status.as_ref().is_some_and(|st| st.running_count == Some(1) && st.observed_generation == s.metadata.generation)
}

#[tokio::test]
async fn a_client_calls_another_service_by_its_service_connect_alias() {
    let (client, ns) = setup("svc-connect").await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        definition(
            "web",
            serde_json::json!([{"name": "http", "containerPort": 8080, "appProtocol": "http"}]),
            "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 8080 -h /www",
        ),
    )
    .await;
    apply(
        &services,
        service(
            "web",
            &ns,
            serde_json::json!({"enabled": true, "namespace": "internal", "services": [{"portName": "http",
                "discoveryName": "web", "clientAliases": [{"port": 80, "dnsName": "web.internal"}]}]}),
        ),
    )
    .await;
    support::wait_for(&services, "web", "one task running", running).await;

    // The client only calls (no services of its own): the alias, and the discovery name (a Service
    // of that name in the namespace, through the cluster DNS).
    let script = "for name in web.internal web; do \
          until wget -q -O /tmp/answer http://$name:80/; do sleep 1; done; echo \"ANSWER $name $(cat /tmp/answer)\"; \
        done; exec sleep 3600";
    apply(&definitions, definition("client", serde_json::json!([]), script)).await;
    apply(&services, service("client", &ns, serde_json::json!({"enabled": true, "namespace": "internal"}))).await;
    support::wait_for(&services, "client", "one task running", running).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let selector = format!("{}=client", kube_ecs::labels::SERVICE_NAME);
    let pod = pods.list(&ListParams::default().labels(&selector)).await.expect("pods").items.remove(0);
    let aliases = pod.spec.as_ref().and_then(|s| s.host_aliases.clone()).unwrap_or_default();
    assert!(
        aliases.iter().any(|a| a.hostnames.as_ref().is_some_and(|h| h.iter().any(|n| n == "web.internal"))),
        "the client's /etc/hosts has the alias: {aliases:?}"
    );
    let name = pod.metadata.name.expect("pod name");
    let log = support::wait_log(&ns, &name, "client", "ANSWER web ").await;
    assert!(log.contains("ANSWER web.internal hello from web"), "{log}");
    assert!(log.contains("ANSWER web hello from web"), "{log}");
}

/// `GET /` of `http://<address>/` from the host: the body, or the failure.
fn http_get(address: &str) -> std::io::Result<String> {
    use std::io::{Read as _, Write as _};
    let socket = address.parse().map_err(std::io::Error::other)?;
    let mut stream = std::net::TcpStream::connect_timeout(&socket, std::time::Duration::from_secs(2))?;
    // An ALB's default idle timeout is 60 s; 15 s tells a stalled request from a slow one on a busy host.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(15)))?;
    stream.write_all(format!("GET / HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if !response.starts_with("HTTP/1.0 200") && !response.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(format!("not a 200: {response}")));
    }
    Ok(response.split("\r\n\r\n").nth(1).unwrap_or_default().trim().to_string())
}

/// Requests `address` from the host, 50 a second (a steady client's pace, which leaves this small
/// machine's CPU to the tasks: unpaced, one client ran 500 a second and starved them), until `stop`
/// is set; (answers, failures with their errors).
fn request_loop(address: String, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> (Vec<String>, Vec<String>) {
    let (mut answers, mut failures) = (Vec::new(), Vec::new());
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        match http_get(&address) {
            Ok(body) => answers.push(body),
            Err(error) => failures.push(error.to_string()),
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (answers, failures)
}

fn web_definition(version: &str) -> serde_json::Value {
    definition(
        "lb",
        serde_json::json!([{"containerPort": 8080}]),
        &format!("mkdir -p /www && echo {version} $(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"),
    )
}

/// A load-balanced service: its Kubernetes Service spreads requests over every task, a rollout with
/// minimumHealthyPercent 100 and a scale-in lose no request (tasks leave the endpoints before they
/// stop), as behind an ALB.
#[tokio::test]
async fn requests_through_the_load_balancer_reach_every_task_and_survive_rollouts_and_scale_in() {
    let (client, ns) = setup("svc-lb").await;
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(&definitions, web_definition("v1")).await;
    let manifest = |count: i32| {
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "lb"},
            "spec": {"taskDefinition": "lb", "cluster": ns, "desiredCount": count,
                "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
                "loadBalancers": [{"containerName": "lb", "containerPort": 8080}]}})
    };
    apply(&services, manifest(3)).await;
    let steady = |revision: i64, count: i32| {
        move |s: &Service| {
            s.status.as_ref().is_some_and(|st| {
                st.running_count == Some(count)
                    && st.rollout_state.map(|r| r.as_str()) == Some("COMPLETED")
                    && st.task_definition.as_deref() == Some(&format!("lb:{revision}"))
                    && st.observed_generation == s.metadata.generation
            })
        }
    };
    support::wait_for(&services, "lb", "3 tasks of revision 1", steady(1, 3)).await;
    let kube_services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client.clone(), &ns);
    let name = kube_ecs::service_plan::workload::kube_service_name("lb");
    let ip = kube_services.get(&name).await.expect("the load balancer's Service").spec.and_then(|s| s.cluster_ip);
    let address = format!("{}:8080", ip.expect("a ClusterIP"));

    // The Service's endpoints hold the 3 tasks, and kube-proxy routes to them (its rules follow the
    // endpoints by a moment: until then the ClusterIP is unreachable, as a target group's new targets
    // are before their first health check).
    let slices: Api<k8s_openapi::api::discovery::v1::EndpointSlice> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&slices, "3 ready endpoints", |all| {
        all.iter()
            .filter(|s| kube::ResourceExt::labels(*s).get("kubernetes.io/service-name") == Some(&name))
            .flat_map(|s| s.endpoints.iter().flatten())
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
            .count()
            == 3
    })
    .await;
    let routed = tokio::task::spawn_blocking({
        let address = address.clone();
        move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            let mut seen = std::collections::BTreeSet::new();
            while seen.len() < 3 {
                if let Ok(body) = http_get(&address) {
                    seen.extend(body.split_whitespace().nth(1).map(String::from));
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!("within 30 s of its endpoints the Service routed to {seen:?} only"));
                }
            }
            Ok(())
        }
    })
    .await
    .expect("routed");
    routed.expect("kube-proxy routes to the 3 tasks");
    // 300 requests from the host, as a load balancer's would arrive: every task answers some.
    let spread = tokio::task::spawn_blocking({
        let address = address.clone();
        move || (0..300).map(|_| http_get(&address)).collect::<Vec<_>>()
    })
    .await
    .expect("requests");
    let failed: Vec<_> = spread.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{} of 300 requests failed: {:?}", failed.len(), failed.first());
    let tasks: std::collections::BTreeSet<&str> =
        spread.iter().filter_map(|r| r.as_ref().ok()).filter_map(|b| b.split_whitespace().nth(1)).collect();
    assert_eq!(tasks.len(), 3, "300 requests reach all 3 tasks: {tasks:?}");
    // The Service's cost, for the record: 300 requests through it and 300 straight to one task's Pod.
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let selector = format!("{}=lb", kube_ecs::labels::SERVICE_NAME);
    let pod_ip = pods.list(&ListParams::default().labels(&selector)).await.expect("pods").items[0]
        .status
        .as_ref()
        .and_then(|s| s.pod_ip.clone())
        .expect("a Pod IP");
    for (path, target) in [("through the Service", address.clone()), ("direct to a Pod", format!("{pod_ip}:8080"))] {
        let mut times = tokio::task::spawn_blocking(move || {
            (0..300)
                .map(|_| {
                    let started = std::time::Instant::now();
                    http_get(&target).map(|_| started.elapsed())
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .expect("timed requests")
        .expect("300 timed requests");
        times.sort();
        eprintln!("300 requests {path}: p50 {:?}, p99 {:?}", times[150], times[297]);
    }

    // A rollout under load: the new content, and not one failed request.
    let answers = under_load(&address, "the rollout", async {
        apply(&definitions, web_definition("v2")).await;
        let budget = std::time::Duration::from_secs(180);
        support::wait_for_within(&services, "lb", "3 tasks of revision 2", budget, steady(2, 3)).await;
        // The old tasks' Pods are gone (they drained) before the count is taken.
        pods_left(&pods, 3).await;
    })
    .await;
    assert!(answers.iter().any(|a| a.starts_with("v2 ")), "the new revision answers");
    assert!(!http_get(&address).expect("after the rollout").starts_with("v1 "), "only v2 answers once it completed");

    // Scale in from 3 to 1 under load: not one failed request.
    under_load(&address, "the scale-in", async {
        apply(&services, manifest(1)).await;
        support::wait_for(&services, "lb", "1 task", steady(2, 1)).await;
        pods_left(&pods, 1).await;
    })
    .await;
}

/// Runs `action` while requests go to `address` from the host; fails when any request failed, else
/// returns the answers.
async fn under_load(address: &str, what: &str, action: impl std::future::Future<Output = ()>) -> Vec<String> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = tokio::task::spawn_blocking({
        let (address, stop) = (address.to_string(), stop.clone());
        move || request_loop(address, stop)
    });
    action.await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (answers, failures) = load.await.expect("load");
    let total = answers.len() + failures.len();
    assert!(failures.is_empty(), "{} of {total} requests failed during {what}: {:?}", failures.len(), failures.first());
    eprintln!("{what} under load: {total} requests, none failed");
    answers
}

/// Waits until the `lb` service has `count` Pods (the stopped ones drained and gone).
async fn pods_left(pods: &Api<Pod>, count: usize) {
    support::wait_for_list(pods, &format!("{count} pods left"), |all| {
        let of_lb = |p: &&Pod| {
            kube::ResourceExt::labels(*p).get(kube_ecs::labels::SERVICE_NAME).map(String::as_str) == Some("lb")
        };
        all.iter().filter(of_lb).count() == count
    })
    .await;
}
