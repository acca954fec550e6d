//! Security on the real control plane: kube-ecs is no way around Pod Security and RBAC. A task that
//! would be root on the node is refused under the default policy and runs only where the cluster
//! allows it; a namespace's Pod Security level is honoured; people get the chart's aggregated roles.

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Config};
use kube_ecs::api::{EcsCluster, Service, Task, TaskDefinition};
use support::apply;

/// An EcsCluster named `name` with `policy` as its task security policy and two simulated instances.
async fn cluster_with_policy(client: &Client, name: &str, policy: serde_json::Value) {
    support::ecs_cluster(client, name, serde_json::json!({"taskSecurity": policy}), 2, ("2", "4Gi")).await;
}

async fn definition(client: &Client, ns: &str, name: &str, spec: serde_json::Value) {
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), ns);
    apply(
        &api,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": name}, "spec": spec}),
    )
    .await;
}

async fn run_task(client: &Client, ns: &str, name: &str, family: &str, cluster: &str) {
    let api: Api<Task> = Api::namespaced(client.clone(), ns);
    apply(
        &api,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
            "metadata": {"name": name}, "spec": {"taskDefinition": family, "cluster": cluster}}),
    )
    .await;
}

fn condition<'a>(
    conditions: &'a [k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Waits until the task is refused with `reason` and returns the Valid message; checks Stalled and
/// that no Pod was made.
async fn refused_task(client: &Client, ns: &str, name: &str, reason: &str) -> String {
    let tasks: Api<Task> = Api::namespaced(client.clone(), ns);
    let task = support::wait_for(&tasks, name, &format!("Valid=False with reason {reason}"), |t| {
        t.status.as_ref().is_some_and(|s| {
            condition(&s.conditions, "Valid").is_some_and(|c| c.status == "False" && c.reason == reason)
        })
    })
    .await;
    let status = task.status.expect("status");
    let stalled = condition(&status.conditions, "Stalled").expect("Stalled");
    assert_eq!((stalled.status.as_str(), stalled.reason.as_str()), ("True", reason));
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    assert!(pods.get_opt(name).await.expect("reading the pod").is_none(), "a refused task has no Pod");
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    support::wait_for_list(&events, &format!("an Event with reason {reason} on task {name}"), |list| {
        list.iter().any(|e| {
            e.reason.as_deref() == Some(reason) && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
        })
    })
    .await;
    condition(&status.conditions, "Valid").map(|c| c.message.clone()).unwrap_or_default()
}

async fn task_pod(client: &Client, ns: &str, name: &str) -> Pod {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    support::wait_for(&pods, name, "the task's Pod exists", |_| true).await
}

fn root_on_the_node() -> serde_json::Value {
    serde_json::json!({
        "networkMode": "host", "pidMode": "host",
        "volumes": [{"name": "host-root", "host": {"sourcePath": "/"}}],
        "containerDefinitions": [{
            "name": "app", "image": "busybox", "memory": 64, "privileged": true,
            "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]}},
            "mountPoints": [{"sourceVolume": "host-root", "containerPath": "/host"}]
        }]
    })
}

#[tokio::test]
async fn a_privileged_host_task_is_refused_by_default_and_runs_once_the_cluster_allows_it() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "sec-default").await;
    cluster_with_policy(&client, &ns, serde_json::json!({})).await;
    definition(&client, &ns, "rooted", root_on_the_node()).await;
    run_task(&client, &ns, "rooted", "rooted", &ns).await;

    let message = refused_task(&client, &ns, "rooted", "TaskSecurityPolicy").await;
    for expected in [
        "containerDefinitions[name=app].privileged: true: privileged containers are not allowed",
        "spec.taskSecurity.allowPrivileged: true",
        "networkMode: host",
        "spec.taskSecurity.allowHostNetwork: true",
        "pidMode: host",
        "spec.taskSecurity.allowHostPID: true",
        "capabilities.add: SYS_ADMIN",
        "capabilities.add: NET_ADMIN",
        "volumes[name=host-root].host.sourcePath: /: hostPath volumes are not allowed",
    ] {
        assert!(message.contains(expected), "{expected:?} missing from the refusal: {message}");
    }

    // The cluster administrator grants exactly these exceptions: the waiting task starts.
    cluster_with_policy(
        &client,
        &ns,
        serde_json::json!({"allowPrivileged": true, "allowHostNetwork": true, "allowHostPID": true,
            "allowedCapabilities": ["SYS_ADMIN", "NET_ADMIN"], "allowedHostPaths": ["/"]}),
    )
    .await;
    let pod = task_pod(&client, &ns, "rooted").await;
    let spec = pod.spec.expect("pod spec");
    assert_eq!((spec.host_network, spec.host_pid), (Some(true), Some(true)));
    let security = spec.containers[0].security_context.clone().expect("security context");
    assert_eq!(security.privileged, Some(true));
}

#[tokio::test]
async fn a_host_path_outside_the_allowed_prefixes_is_refused() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "sec-hostpath").await;
    cluster_with_policy(&client, &ns, serde_json::json!({"allowedHostPaths": ["/var/log"]})).await;
    let with_volume = |path: &str| {
        serde_json::json!({
            "volumes": [{"name": "logs", "host": {"sourcePath": path}}],
            "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64,
                "mountPoints": [{"sourceVolume": "logs", "containerPath": "/logs"}]}]
        })
    };
    definition(&client, &ns, "etc", with_volume("/var/log/../../etc")).await;
    definition(&client, &ns, "logs", with_volume("/var/log/app")).await;
    run_task(&client, &ns, "etc", "etc", &ns).await;
    run_task(&client, &ns, "logs", "logs", &ns).await;
    let message = refused_task(&client, &ns, "etc", "TaskSecurityPolicy").await;
    assert!(message.contains("volumes[name=logs].host.sourcePath: /var/log/../../etc"), "{message}");
    assert!(message.contains("spec.taskSecurity.allowedHostPaths"), "{message}");
    let pod = task_pod(&client, &ns, "logs").await;
    let volumes = pod.spec.and_then(|s| s.volumes).unwrap_or_default();
    assert!(volumes.iter().any(|v| v.host_path.as_ref().is_some_and(|h| h.path == "/var/log/app")));
}

#[tokio::test]
async fn a_restricted_namespace_refuses_a_root_task_and_runs_a_hardened_one() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "sec-restricted").await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let label = serde_json::json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
    namespaces.patch(&ns, &PatchParams::default(), &Patch::Merge(&label)).await.expect("labelling the namespace");
    cluster_with_policy(&client, &ns, serde_json::json!({})).await;
    let as_user = |user: &str| serde_json::json!({"containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64, "user": user}]});
    definition(&client, &ns, "as-root", as_user("0")).await;
    definition(&client, &ns, "as-app", as_user("1000")).await;
    run_task(&client, &ns, "as-root", "as-root", &ns).await;
    run_task(&client, &ns, "as-app", "as-app", &ns).await;

    let message = refused_task(&client, &ns, "as-root", "PodSecurity").await;
    assert!(
        message.starts_with(&format!(
            "namespace {ns:?} enforces Pod Security \"restricted\" (label pod-security.kubernetes.io/enforce)"
        )),
        "{message}"
    );
    assert!(message.contains("containerDefinitions[name=app].user: 0: running as root"), "{message}");
    // The non-root task passes the API server's own Pod Security admission, hardened by kube-ecs.
    let pod = task_pod(&client, &ns, "as-app").await;
    let spec = pod.spec.expect("pod spec");
    let pod_security = spec.security_context.expect("pod security context");
    assert_eq!(pod_security.run_as_non_root, Some(true));
    assert_eq!(pod_security.seccomp_profile.map(|s| s.type_).as_deref(), Some("RuntimeDefault"));
    let container = spec.containers[0].security_context.clone().expect("container security context");
    assert_eq!(container.allow_privilege_escalation, Some(false));
}

#[tokio::test]
async fn a_refused_service_creates_no_workload() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "sec-service").await;
    cluster_with_policy(&client, &ns, serde_json::json!({})).await;
    definition(
        &client,
        &ns,
        "sniffer",
        serde_json::json!({"containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64,
            "linuxParameters": {"capabilities": {"add": ["CHOWN", "NET_ADMIN"]}}}]}),
    )
    .await;
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "sniffer"},
            "spec": {"taskDefinition": "sniffer", "cluster": ns, "desiredCount": 2}}),
    )
    .await;
    let service = support::wait_for(&services, "sniffer", "Valid=False (TaskSecurityPolicy)", |s| {
        s.status.as_ref().is_some_and(|s| {
            condition(&s.conditions, "Valid").is_some_and(|c| c.status == "False" && c.reason == "TaskSecurityPolicy")
        })
    })
    .await;
    let status = service.status.expect("status");
    let message = &condition(&status.conditions, "Valid").expect("Valid").message;
    assert!(message.contains("capabilities.add: NET_ADMIN"), "{message}");
    assert!(!message.contains("add: CHOWN"), "CHOWN is in baseline's list: {message}");
    assert_eq!(condition(&status.conditions, "Stalled").map(|c| c.status.as_str()), Some("True"));
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    assert!(deployments.get_opt("sniffer").await.expect("reading").is_none(), "no Deployment for a refused service");
}

#[tokio::test]
async fn fargate_definitions_with_unit_sized_cpu_and_memory_apply() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "sec-fargate").await;
    let api: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    for (i, (cpu, memory)) in
        [("1 vCPU", "2 GB"), ("0.25 vCPU", "0.5GB"), ("1024", "2048"), ("2 vcpu", "4096")].into_iter().enumerate()
    {
        let manifest = serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition",
            "metadata": {"name": format!("fargate-{i}")},
            "spec": {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": cpu, "memory": memory,
                "containerDefinitions": [{"name": "app", "image": "busybox", "essential": true}]}});
        api.patch(&format!("fargate-{i}"), &PatchParams::apply("test-user"), &Patch::Apply(&manifest))
            .await
            .unwrap_or_else(|e| panic!("cpu {cpu:?} with memory {memory:?} is a Fargate size: {e}"));
    }
}

/// A client acting as `user` (the admin kubeconfig impersonating them, as `kubectl --as` does).
async fn client_as(user: &str) -> Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(support::cluster().kubeconfig()).expect("kubeconfig");
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config");
    config.auth_info.impersonate = Some(user.to_string());
    Client::try_from(config).expect("client")
}

#[tokio::test]
async fn a_user_with_the_shipped_edit_role_runs_tasks_in_their_namespace_only() {
    support::operator::start();
    let client = support::client().await;
    let (ours, theirs) =
        (support::namespace(&client, "sec-team-a").await, support::namespace(&client, "sec-team-b").await);
    let (ok, roles, err) = support::helm(&[
        "template",
        "kube-ecs",
        concat!(env!("CARGO_MANIFEST_DIR"), "/charts/kube-ecs"),
        "--show-only",
        "templates/user-roles.yaml",
    ]);
    assert!(ok, "helm template: {err}");
    let (ok, out, err) = support::kubectl(&["apply", "-f", "-"], Some(&roles));
    assert!(ok, "applying the chart's user roles: {out}\n{err}");

    // alice is bound to the shipped edit role; bob to Kubernetes' own `edit`, which aggregates it.
    for (user, role) in [("alice", "kube-ecs-edit"), ("bob", "edit")] {
        let binding = format!(
            "{{\"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"RoleBinding\", \"metadata\": {{\"name\": \"{user}\", \"namespace\": \"{ours}\"}},
              \"roleRef\": {{\"apiGroup\": \"rbac.authorization.k8s.io\", \"kind\": \"ClusterRole\", \"name\": \"{role}\"}},
              \"subjects\": [{{\"apiGroup\": \"rbac.authorization.k8s.io\", \"kind\": \"User\", \"name\": \"{user}\"}}]}}"
        );
        let (ok, out, err) = support::kubectl(&["apply", "-f", "-"], Some(&binding));
        assert!(ok, "binding {user}: {out}\n{err}");
    }
    let cluster_roles: Api<ClusterRole> = Api::all(client.clone());
    support::wait_for(&cluster_roles, "edit", "the built-in edit role aggregates the ECS kinds", |role| {
        role.rules.iter().flatten().any(|r| {
            r.api_groups.iter().flatten().any(|g| g == "ecs.kube-ecs.dev")
                && r.resources.iter().flatten().any(|res| res == "tasks")
                && r.verbs.iter().any(|v| v == "create")
        })
    })
    .await;
    cluster_with_policy(&client, &ours, serde_json::json!({})).await;

    for user in ["alice", "bob"] {
        let as_user = client_as(user).await;
        let task = |name: &str| -> Task {
            serde_json::from_value(serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task",
                "metadata": {"name": name}, "spec": {"taskDefinition": "job", "cluster": ours}}))
            .expect("task")
        };
        let definitions: Api<TaskDefinition> = Api::namespaced(as_user.clone(), &ours);
        let job: TaskDefinition = serde_json::from_value(serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1",
            "kind": "TaskDefinition", "metadata": {"name": "job"},
            "spec": {"containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64}]}}))
        .expect("definition");
        match definitions.create(&PostParams::default(), &job).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => panic!("{user} registers a task definition in {ours}: {e}"),
        }
        let own: Api<Task> = Api::namespaced(as_user.clone(), &ours);
        own.create(&PostParams::default(), &task(&format!("{user}-job")))
            .await
            .unwrap_or_else(|e| panic!("{user} runs a task in {ours}: {e}"));
        let other: Api<Task> = Api::namespaced(as_user.clone(), &theirs);
        match other.create(&PostParams::default(), &task(&format!("{user}-job"))).await {
            Err(kube::Error::Api(e)) if e.code == 403 => {}
            outcome => panic!("{user} must not run tasks in {theirs}: {outcome:?}"),
        }
        let pods: Api<Pod> = Api::namespaced(as_user.clone(), &ours);
        assert!(
            matches!(pods.list(&Default::default()).await, Err(kube::Error::Api(ref e)) if e.code == 403)
                || user == "bob",
            "the shipped edit role grants nothing outside the ECS kinds"
        );
        let clusters: Api<EcsCluster> = Api::all(as_user.clone());
        let patch = serde_json::json!({"spec": {"taskSecurity": {"level": "privileged"}}});
        match clusters.patch(&ours, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Err(kube::Error::Api(e)) if e.code == 403 => {}
            outcome => panic!("{user} must not loosen the cluster's task security policy: {outcome:?}"),
        }
    }
    // The operator runs alice's task: the role is enough to use kube-ecs, not only to write objects.
    task_pod(&client, &ours, "alice-job").await;
}
