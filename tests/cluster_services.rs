//! ClusterIP Services and cluster DNS on a local cluster with real nodes (kube-proxy in the cluster's
//! own network namespace, CoreDNS on its first node's IP): a Service in front of a busybox httpd pod
//! answers another pod by `http://<svc>.<ns>.svc.cluster.local` and by ClusterIP, and the host by
//! ClusterIP; two clusters at once each answer with their own pod; the host is as before once both stop.
//! Starts clusters of its own (the footprint comparison needs them), one test at a time.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Service};
use kube::Client;
use kube::api::{Api, LogParams, PostParams};
use kube_ecs::local_cluster::real_node::host_footprint;
use kube_ecs::local_cluster::{LocalCluster, LocalClusterOptions};

mod support;

async fn start_cluster() -> LocalCluster {
    let mut options = LocalClusterOptions::new(support::tools_bin());
    options.real_nodes = 1;
    let started = Instant::now();
    let cluster = LocalCluster::start(options).await.expect("cluster with a real node and Services");
    eprintln!("cluster with Services {} ready in {:?}", cluster.service_cidr(), started.elapsed());
    cluster
}

fn object<K: serde::de::DeserializeOwned>(value: serde_json::Value) -> K {
    serde_json::from_value(value).expect("manifest")
}

/// A web pod answering `body` behind Service `web` in `ns`; returns the Service's ClusterIP.
async fn web_service(client: &Client, ns: &str, body: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let pod: Pod = object(serde_json::json!({
        "metadata": { "name": "web", "labels": { "app": "web" } },
        "spec": { "nodeName": "real-0", "terminationGracePeriodSeconds": 0, "containers": [{
            "name": "web", "image": "docker.io/library/busybox:1.36",
            "command": ["sh", "-c", format!("mkdir -p /www && echo {body} > /www/index.html && exec httpd -f -p 8080 -h /www")],
            "ports": [{ "containerPort": 8080 }],
        }]},
    }));
    pods.create(&PostParams::default(), &pod).await.expect("create web pod");
    let services: Api<Service> = Api::namespaced(client.clone(), ns);
    let service: Service = object(serde_json::json!({
        "metadata": { "name": "web" },
        "spec": { "selector": { "app": "web" }, "ports": [{ "port": 80, "targetPort": 8080 }] },
    }));
    let service = services.create(&PostParams::default(), &service).await.expect("create service");
    service.spec.and_then(|s| s.cluster_ip).expect("a ClusterIP")
}

/// A pod that fetches `http://<host>/` until it answers (the Service's endpoints and kube-proxy's rules
/// follow the web pod by a moment), prints what it got and exits; returns its log. (`timeout`, not
/// `wget -T`: Debian's static busybox 1.35 crashes on `-T`.)
async fn fetch_from_a_pod(client: &Client, ns: &str, name: &str, host: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let script = format!(
        "cat /etc/resolv.conf; for i in $(seq 60); do \
           if timeout 5 wget -q -O /tmp/answer http://{host}/; then echo \"ANSWER $(cat /tmp/answer)\"; exit 0; fi; \
           sleep 1; done; exit 1"
    );
    let pod: Pod = object(serde_json::json!({
        "metadata": { "name": name },
        "spec": { "nodeName": "real-0", "restartPolicy": "Never", "containers": [{
            "name": "client", "image": "docker.io/library/busybox:1.36", "command": ["sh", "-c", script],
        }]},
    }));
    pods.create(&PostParams::default(), &pod).await.expect("create client pod");
    let done = support::wait_for_within(&pods, name, "Succeeded or Failed", Duration::from_secs(90), |p| {
        matches!(p.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"))
    })
    .await;
    let log = pods.logs(name, &LogParams::default()).await.unwrap_or_default();
    let phase = done.status.and_then(|s| s.phase);
    assert_eq!(phase.as_deref(), Some("Succeeded"), "{name} could not fetch http://{host}/; its log:\n{log}");
    log
}

/// Checks a cluster's Services from a pod (by name and ClusterIP) and from the host; returns the
/// ClusterIP of its web Service.
async fn check_services(cluster: &LocalCluster, body: &str) -> String {
    let client = cluster.client().await.expect("client");
    let ns = support::namespace(&client, "services").await;
    let cluster_ip = web_service(&client, &ns, body).await;
    let by_name = fetch_from_a_pod(&client, &ns, "by-name", &format!("web.{ns}.svc.cluster.local")).await;
    assert!(by_name.contains(&format!("ANSWER {body}")), "by name: {by_name}");
    let dns_ip = cluster.dns_service_ip().expect("a DNS Service");
    assert!(by_name.contains(&format!("nameserver {dns_ip}")), "the pod's resolver is the cluster DNS: {by_name}");
    let by_ip = fetch_from_a_pod(&client, &ns, "by-ip", &cluster_ip).await;
    assert!(by_ip.contains(&format!("ANSWER {body}")), "by ClusterIP: {by_ip}");
    wait_for_answer(&format!("{cluster_ip}:80"), body);
    cluster_ip
}

/// Waits until `GET http://<address>/` from the host answers with a body containing `expected`.
fn wait_for_answer(address: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = http_get(address);
        match &answer {
            Ok(body) if body.contains(expected) => return,
            _ => assert!(Instant::now() < deadline, "http://{address}/ did not answer {expected}: {answer:?}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn http_get(address: &str) -> std::io::Result<String> {
    let socket = address.parse().map_err(std::io::Error::other)?;
    let mut stream = std::net::TcpStream::connect_timeout(&socket, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(format!("GET / HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[test]
fn services_answer_by_name_and_cluster_ip_in_two_clusters_and_leave_the_host_clean() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let before = host_footprint(None);
        let first = start_cluster().await;
        let first_dir = first.dir().to_path_buf();
        let first_ip = check_services(&first, "first-cluster").await;

        let second = start_cluster().await;
        let second_dir = second.dir().to_path_buf();
        assert_ne!(first.service_cidr(), second.service_cidr(), "each cluster routes a Service CIDR of its own");
        let second_ip = check_services(&second, "second-cluster").await;
        // Each ClusterIP is its own cluster's, whatever the other runs.
        wait_for_answer(&format!("{first_ip}:80"), "first-cluster");
        wait_for_answer(&format!("{second_ip}:80"), "second-cluster");
        assert_ne!(host_footprint(Some(&second_dir)), host_footprint(None), "the second cluster changed nothing?");

        drop(second);
        wait_for_answer(&format!("{first_ip}:80"), "first-cluster");
        drop(first);
        pretty_assertions::assert_eq!(host_footprint(Some(&first_dir)), before);
    });
}
