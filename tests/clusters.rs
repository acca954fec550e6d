//! EcsClusters on the real control plane: simulated pools provisioning KWOK nodes, container
//! instances, scaling, capacity provider strategy, spot interruption, namespace admission, deletion
//! protection and the karpenter provider's objects.

mod support;

use support::apply;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube_ecs::api::{ContainerInstance, EcsCluster, Task, TaskDefinition};

fn cluster_manifest(name: &str, spec: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "EcsCluster", "metadata": {"name": name}, "spec": spec})
}

async fn setup(prefix: &str) -> (Client, String, Api<EcsCluster>) {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    (client.clone(), ns, Api::all(client))
}

fn registered(c: &EcsCluster) -> i32 {
    c.status.as_ref().and_then(|s| s.registered_container_instances_count).unwrap_or(0)
}

fn status_of(c: &EcsCluster) -> Option<&str> {
    c.status.as_ref().and_then(|s| s.status.map(|v| v.as_str()))
}

fn instances_of(client: &Client, cluster: &str) -> (Api<ContainerInstance>, ListParams) {
    (Api::all(client.clone()), ListParams::default().labels(&format!("ecs.kube-ecs.dev/cluster={cluster}")))
}

async fn wait_instances(client: &Client, cluster: &str, what: &str, check: impl Fn(&[ContainerInstance]) -> bool) {
    let api: Api<ContainerInstance> = Api::all(client.clone());
    support::wait_for_list(&api, what, |all| {
        let ours: Vec<ContainerInstance> = all.iter().filter(|i| i.spec.cluster == cluster).cloned().collect();
        check(&ours)
    })
    .await;
}

async fn definition(client: &Client, ns: &str, memory: i64) {
    apply(
        &Api::<TaskDefinition>::namespaced(client.clone(), ns),
        serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "app"},
            "spec": {"containerDefinitions": [{"name": "app", "image": "nginx:1.27", "memory": memory}]}
        }),
    )
    .await;
}

fn task(name: &str, cluster: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut spec = serde_json::json!({"taskDefinition": "app", "cluster": cluster});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": name}, "spec": spec})
}

fn last_status(t: &Task) -> Option<&str> {
    t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str()))
}

#[tokio::test]
async fn simulated_pools_register_container_instances_and_scale() {
    let (client, name, clusters) = setup("ecsc-sim").await;
    let pools = |od: i32| {
        serde_json::json!({"nodePools": [
            {"name": "od", "provider": "simulated", "instanceType": "t3.medium", "instances": od, "ebsVolumeSizeGiB": 40},
            {"name": "spot", "provider": "simulated", "instanceType": "t3.small", "capacityType": "SPOT", "instances": 3,
             "amiFamily": "Bottlerocket"}
        ], "containerInsights": "enabled"})
    };
    apply(&clusters, cluster_manifest(&name, pools(2))).await;
    let cluster = support::wait_for(&clusters, &name, "5 container instances, ACTIVE", |c| {
        registered(c) == 5 && status_of(c) == Some("ACTIVE")
    })
    .await;
    let status = cluster.status.expect("status");
    assert_eq!(
        status.pools.iter().map(|p| (p.name.as_str(), p.desired_instances, p.registered_instances)).collect::<Vec<_>>(),
        vec![("od", 2, 2), ("spot", 3, 3)]
    );
    assert!(status.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"));

    wait_instances(&client, &name, "5 ContainerInstances, agents connected", |items| {
        items.len() == 5 && items.iter().all(|i| i.status.as_ref().is_some_and(|s| s.agent_connected))
    })
    .await;
    let (api, params) = instances_of(&client, &name);
    assert_eq!(api.list(&params).await.expect("instances").items.len(), 5);
    let od = api.get(&format!("{name}-od-0")).await.expect("od-0 instance");
    assert_eq!(od.spec.instance_type.as_deref(), Some("t3.medium"));
    assert_eq!(od.spec.capacity_type.as_deref(), Some("ON_DEMAND"));
    let registered_resources = od.status.and_then(|s| s.registered_resources).expect("registered");
    assert_eq!((registered_resources.cpu, registered_resources.memory), (2048, 3840));
    let spot_node = Api::<Node>::all(client.clone()).get(&format!("{name}-spot-1")).await.expect("spot node");
    let labels = spot_node.metadata.labels.clone().expect("labels");
    assert_eq!(labels["node.kubernetes.io/instance-type"], "t3.small");
    assert_eq!(labels["karpenter.sh/capacity-type"], "spot");
    assert_eq!(labels["ecs.kube-ecs.dev/ami-family"], "Bottlerocket");
    assert_eq!(labels["topology.kubernetes.io/zone"], "us-east-1b");
    assert!(
        spot_node.spec.and_then(|s| s.taints).is_some_and(|t| t.iter().any(|t| t.key == "ecs.kube-ecs.dev/cluster"))
    );

    // Scale out, then in: instances follow the pool's count.
    apply(&clusters, cluster_manifest(&name, pools(4))).await;
    support::wait_for(&clusters, &name, "7 container instances", |c| {
        registered(c) == 7 && status_of(c) == Some("ACTIVE")
    })
    .await;
    apply(&clusters, cluster_manifest(&name, pools(1))).await;
    support::wait_for(&clusters, &name, "4 container instances", |c| {
        registered(c) == 4 && status_of(c) == Some("ACTIVE")
    })
    .await;
    wait_instances(&client, &name, "4 ContainerInstances", |items| items.len() == 4).await;
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default().labels(&format!("ecs.kube-ecs.dev/cluster={name},ecs.kube-ecs.dev/pool=od")))
        .await
        .expect("nodes");
    assert_eq!(nodes.items.len(), 1, "scale-in removed the surplus nodes");
}

#[tokio::test]
async fn capacity_provider_strategy_places_on_spot_and_an_interruption_stops_the_task() {
    let (client, name, clusters) = setup("ecsc-spot").await;
    apply(
        &clusters,
        cluster_manifest(&name, serde_json::json!({"nodePools": [
            {"name": "od", "provider": "simulated", "instanceType": "t3.medium", "instances": 1},
            {"name": "spot", "provider": "simulated", "instanceType": "t3.small", "capacityType": "SPOT", "instances": 1}
        ]})),
    )
    .await;
    support::wait_for(&clusters, &name, "2 container instances", |c| registered(c) == 2).await;
    definition(&client, &name, 128).await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &name);
    apply(
        &tasks,
        task(
            "on-spot",
            &name,
            serde_json::json!({"capacityProviderStrategy": [{"capacityProvider": "spot", "weight": 1}]}),
        ),
    )
    .await;
    let running = support::wait_for(&tasks, "on-spot", "task RUNNING", |t| last_status(t) == Some("RUNNING")).await;
    // A service on the spot pool too: the interruption must not leave it short.
    let services: Api<kube_ecs::api::Service> = Api::namespaced(client.clone(), &name);
    apply(
        &services,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Service", "metadata": {"name": "spotty"},
            "spec": {"taskDefinition": "app", "cluster": name, "desiredCount": 2,
                "capacityProviderStrategy": [{"capacityProvider": "spot", "weight": 1}]}}),
    )
    .await;
    let steady = |s: &kube_ecs::api::Service| {
        s.status.as_ref().is_some_and(|st| st.running_count == Some(2) && st.pending_count == Some(0))
    };
    support::wait_for(&services, "spotty", "2 service tasks running", steady).await;
    let spot_node = format!("{name}-spot-0");
    assert_eq!(running.status.and_then(|s| s.container_instance), Some(spot_node.clone()));

    let nodes: Api<Node> = Api::all(client.clone());
    let before = nodes.get(&spot_node).await.expect("spot node").metadata.uid;
    let notice =
        serde_json::json!({"metadata": {"annotations": {"ecs.kube-ecs.dev/interrupt": "2026-11-24T00:00:00Z"}}});
    nodes.patch(&spot_node, &PatchParams::default(), &Patch::Merge(&notice)).await.expect("interruption notice");
    let stopped = support::wait_for(&tasks, "on-spot", "task STOPPED", |t| last_status(t) == Some("STOPPED")).await;
    let status = stopped.status.expect("status");
    assert_eq!(status.stop_code.map(|v| v.as_str()), Some("SpotInterruption"), "{status:?}");

    // The interrupted instance is replaced, as an Auto Scaling group would.
    support::wait_for(&nodes, &spot_node, "a fresh spot instance", |n| {
        n.metadata.uid != before && kube_ecs::local_cluster::node_is_ready(n)
    })
    .await;
    let replaced = support::wait_for(&services, "spotty", "the interrupted service tasks recorded and replaced", |s| {
        steady(s)
            && s.status.as_ref().is_some_and(|st| {
                st.stopped_tasks.iter().filter(|t| t.stop_code.as_str() == "SpotInterruption").count() == 2
            })
    })
    .await;
    let pods = Api::<Pod>::namespaced(client.clone(), &name)
        .list(&ListParams::default().labels("ecs.kube-ecs.dev/service=spotty"))
        .await
        .expect("pods");
    assert!(pods.items.iter().all(|p| p.metadata.deletion_timestamp.is_none()), "{:?}", replaced.status);
    support::wait_for(&clusters, &name, "2 container instances again", |c| {
        registered(c) == 2 && status_of(c) == Some("ACTIVE")
    })
    .await;
}

#[tokio::test]
async fn tasks_fill_an_instance_until_resource_memory() {
    let (client, name, clusters) = setup("ecsc-fill").await;
    apply(
        &clusters,
        cluster_manifest(
            &name,
            serde_json::json!({"nodePools": [
            {"name": "small", "provider": "simulated", "instanceType": "t3.small", "instances": 1}]}),
        ),
    )
    .await;
    support::wait_for(&clusters, &name, "1 container instance", |c| registered(c) == 1).await;
    // t3.small registers 1792 MiB: three 512 MiB tasks fit, the fourth does not.
    definition(&client, &name, 512).await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &name);
    for i in 0..4 {
        apply(&tasks, task(&format!("fill-{i}"), &name, serde_json::json!({}))).await;
    }
    let all = support::wait_for_list(&tasks, "three RUNNING and one unplaceable", |l| {
        l.len() == 4
            && l.iter().filter(|t| last_status(t) == Some("RUNNING")).count() == 3
            && l.iter().any(|t| {
                t.status.as_ref().is_some_and(|s| {
                    s.conditions
                        .iter()
                        .any(|c| c.type_ == "Placed" && c.status == "False" && c.message.contains("RESOURCE:MEMORY"))
                })
            })
    })
    .await;
    let waiting = all.iter().find(|t| last_status(t) != Some("RUNNING")).expect("the fourth task");
    assert_eq!(last_status(waiting), Some("PROVISIONING"));
    let instances = Api::<ContainerInstance>::all(client.clone());
    support::wait_for(&instances, &format!("{name}-small-0"), "3 tasks running, 256 MiB left", |i| {
        i.status.as_ref().is_some_and(|s| {
            s.running_tasks_count == 3 && s.remaining_resources.as_ref().map(|r| r.memory) == Some(1792 - 3 * 512)
        })
    })
    .await;
}

#[tokio::test]
async fn member_of_constraints_and_unknown_providers() {
    let (client, name, clusters) = setup("ecsc-place").await;
    apply(
        &clusters,
        cluster_manifest(
            &name,
            serde_json::json!({"nodePools": [
                {"name": "small", "provider": "simulated", "instanceType": "t3.small", "instances": 1},
                {"name": "large", "provider": "simulated", "instanceType": "m5.large", "instances": 1}
            ]}),
        ),
    )
    .await;
    support::wait_for(&clusters, &name, "2 container instances", |c| registered(c) == 2).await;
    definition(&client, &name, 128).await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &name);
    let constraint = serde_json::json!({"placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ m5.*"}]});
    apply(&tasks, task("m5-only", &name, constraint)).await;
    let t = support::wait_for(&tasks, "m5-only", "task RUNNING", |t| last_status(t) == Some("RUNNING")).await;
    assert_eq!(t.status.and_then(|s| s.container_instance), Some(format!("{name}-large-0")));

    apply(
        &tasks,
        task(
            "nowhere",
            &name,
            serde_json::json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]}),
        ),
    )
    .await;
    let refused = support::wait_for(&tasks, "nowhere", "Placed=False", |t| {
        t.status.as_ref().is_some_and(|s| s.conditions.iter().any(|c| c.type_ == "Placed" && c.status == "False"))
    })
    .await;
    let condition =
        refused.status.expect("status").conditions.into_iter().find(|c| c.type_ == "Placed").expect("Placed");
    assert!(condition.message.contains("\"FARGATE\" is not a node pool"), "{}", condition.message);
    assert_eq!(Api::<Pod>::namespaced(client.clone(), &name).get_opt("nowhere").await.expect("get"), None);
}

#[tokio::test]
async fn namespaces_not_admitted_are_refused() {
    let (client, name, clusters) = setup("ecsc-ns").await;
    apply(
        &clusters,
        cluster_manifest(
            &name,
            serde_json::json!({"allowedNamespaces": ["team-a"],
        "nodePools": [{"name": "od", "provider": "simulated", "instanceType": "t3.small", "instances": 1}]}),
        ),
    )
    .await;
    definition(&client, &name, 64).await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &name);
    apply(&tasks, task("intruder", &name, serde_json::json!({}))).await;
    let t = support::wait_for(&tasks, "intruder", "NamespaceNotAllowed", |t| {
        t.status.as_ref().is_some_and(|s| s.conditions.iter().any(|c| c.reason == "NamespaceNotAllowed"))
    })
    .await;
    assert_eq!(last_status(&t), Some("PROVISIONING"));
}

#[tokio::test]
async fn a_cluster_with_a_running_task_is_kept_until_the_task_stops() {
    let (client, name, clusters) = setup("ecsc-del").await;
    apply(
        &clusters,
        cluster_manifest(
            &name,
            serde_json::json!({
        "nodePools": [{"name": "od", "provider": "simulated", "instanceType": "t3.small", "instances": 1}]}),
        ),
    )
    .await;
    support::wait_for(&clusters, &name, "1 container instance", |c| registered(c) == 1).await;
    definition(&client, &name, 64).await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &name);
    apply(&tasks, task("busy", &name, serde_json::json!({}))).await;
    support::wait_for(&tasks, "busy", "task RUNNING", |t| last_status(t) == Some("RUNNING")).await;

    clusters.delete(&name, &DeleteParams::default()).await.expect("deleting the cluster");
    let blocked =
        support::wait_for(&clusters, &name, "deletion blocked", |c| status_of(c) == Some("DEPROVISIONING")).await;
    let ready = blocked.status.expect("status").conditions.into_iter().find(|c| c.type_ == "Ready").expect("Ready");
    assert_eq!(ready.reason, "ClusterContainsTasksOrServices");
    assert!(ready.message.contains("1 task(s) not STOPPED"), "{}", ready.message);

    apply(&tasks, task("busy", &name, serde_json::json!({"desiredStatus": "STOPPED"}))).await;
    let gone = kube::runtime::wait::await_condition(clusters.clone(), &name, |c: Option<&EcsCluster>| c.is_none());
    tokio::time::timeout(std::time::Duration::from_secs(60), gone).await.expect("the cluster is gone").expect("watch");
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default().labels(&format!("ecs.kube-ecs.dev/cluster={name}")))
        .await
        .expect("nodes");
    assert!(
        nodes.items.iter().all(|n| n.metadata.deletion_timestamp.is_some()),
        "its simulated nodes are removed: {:?}",
        nodes.items.iter().map(|n| (&n.metadata.name, &n.metadata.labels)).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn karpenter_pools_write_a_node_pool_and_an_ec2_node_class() {
    let (client, name, clusters) = setup("ecsc-karpenter").await;
    install_karpenter_stand_ins(&client).await;
    apply(
        &clusters,
        cluster_manifest(
            &name,
            serde_json::json!({"nodePools": [
        {"name": "spot", "provider": "karpenter", "instanceType": "m5.large", "capacityType": "SPOT", "instances": 3,
         "ebsVolumeSizeGiB": 80, "amiFamily": "AmazonLinux2023", "iamRole": "KarpenterNodeRole-prod"}]}),
        ),
    )
    .await;
    let node_pools: Api<DynamicObject> =
        Api::all_with(client.clone(), &kube_ecs::cluster::karpenter::node_pool_resource());
    let node_classes: Api<DynamicObject> =
        Api::all_with(client.clone(), &kube_ecs::cluster::karpenter::node_class_resource());
    let object_name = format!("ecs-{name}-spot");
    let np = support::wait_for(&node_pools, &object_name, "the NodePool", |_| true).await;
    let requirements = &np.data["spec"]["template"]["spec"]["requirements"];
    assert_eq!(requirements[0]["values"][0], "m5.large");
    assert_eq!(requirements[1]["values"][0], "spot");
    assert_eq!(np.data["spec"]["limits"]["cpu"], "6");
    assert_eq!(np.metadata.owner_references.as_ref().map(|o| o[0].kind.as_str()), Some("EcsCluster"));
    let nc = support::wait_for(&node_classes, &object_name, "the EC2NodeClass", |_| true).await;
    assert_eq!(nc.data["spec"]["amiSelectorTerms"][0]["alias"], "al2023@latest");
    assert_eq!(nc.data["spec"]["role"], "KarpenterNodeRole-prod");
    assert_eq!(nc.data["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"], "80Gi");
    let c = support::wait_for(&clusters, &name, "provisioning", |c| status_of(c) == Some("PROVISIONING")).await;
    assert_eq!(c.status.expect("status").pools[0].provider, "karpenter");
}

/// Minimal CRDs standing in for Karpenter's NodePool and EC2NodeClass (schema-less).
async fn install_karpenter_stand_ins(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for resource in
        [kube_ecs::cluster::karpenter::node_pool_resource(), kube_ecs::cluster::karpenter::node_class_resource()]
    {
        let ApiResource { group, version, kind, plural, .. } = resource;
        let crd_name = format!("{plural}.{group}");
        let crd = serde_json::json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": crd_name},
            "spec": {"group": group, "scope": "Cluster",
                "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(), "listKind": format!("{kind}List")},
                "versions": [{"name": version, "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
        });
        crds.patch(&crd_name, &PatchParams::apply("test-user").force(), &Patch::Apply(&crd))
            .await
            .expect("stand-in CRD");
        let established = kube::runtime::wait::await_condition(
            crds.clone(),
            &crd_name,
            kube::runtime::wait::conditions::is_crd_established(),
        );
        tokio::time::timeout(std::time::Duration::from_secs(30), established)
            .await
            .expect("CRD established")
            .expect("watch");
    }
}
