//! Account settings and capacity providers through the ECS API with the AWS CLI: settings kept per
//! principal and as the account default in the key namespace's ConfigMap, containerInsights as the
//! default of new clusters, and capacity providers as the view of node pools.

mod support;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Client;
use kube::api::Api;
use kube_ecs::api::{ContainerInstance, EcsCluster};
use serde_json::json;
use support::ecs_api::{self, EcsApi, Key, aws, aws_ok};

/// A namespace, a user with the team's RBAC (clusters too) and the ConfigMaps, and its key.
async fn team(client: &Client, api: &EcsApi, prefix: &str) -> (String, Key) {
    let (ns, key) = ecs_api::team(client, api, prefix, true).await;
    ecs_api::grant_config_maps(client, &key.user, &ns).await;
    (ns, key)
}

/// `aws ecs <args>` that must fail with ECS's error `code` and a message containing `message`.
fn aws_err(api: &EcsApi, key: &Key, args: &[&str], code: &str, message: &str) {
    let (ok, out, stderr) = aws(api, key, args);
    assert!(!ok, "aws ecs {} should fail with {code}: {out}", args.join(" "));
    assert!(stderr.contains(&format!("({code})")), "aws ecs {}: want {code}, got {stderr}", args.join(" "));
    assert!(stderr.contains(message), "aws ecs {}: want {message:?}, got {stderr}", args.join(" "));
}

fn setting(name: &str, value: &str, principal: &str) -> serde_json::Value {
    json!({"name": name, "value": value, "principalArn": principal, "type": "user"})
}

#[tokio::test]
async fn account_settings_per_principal_and_default() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = team(&client, api, "ecs-settings").await;
    let me = format!("arn:aws:iam::000000000000:user/{}", key.user);
    let root = "arn:aws:iam::000000000000:root";

    assert_eq!(aws_ok(api, &key, &["list-account-settings"]), json!({"settings": []}));
    let put = aws_ok(api, &key, &["put-account-setting", "--name", "containerInsights", "--value", "enhanced"]);
    assert_eq!(put["setting"], setting("containerInsights", "enhanced", &me));
    let put =
        aws_ok(api, &key, &["put-account-setting-default", "--name", "serviceLongArnFormat", "--value", "disabled"]);
    assert_eq!(put["setting"], setting("serviceLongArnFormat", "disabled", root));
    let put = aws_ok(
        api,
        &key,
        &["put-account-setting", "--name", "awsvpcTrunking", "--value", "enabled", "--principal-arn", root],
    );
    assert_eq!(put["setting"], setting("awsvpcTrunking", "enabled", root));

    // Without effectiveSettings: what the principal itself set.
    let own = aws_ok(api, &key, &["list-account-settings"]);
    assert_eq!(own["settings"], json!([setting("containerInsights", "enhanced", &me)]));
    let defaults = aws_ok(api, &key, &["list-account-settings", "--principal-arn", root]);
    assert_eq!(
        defaults["settings"],
        json!([setting("awsvpcTrunking", "enabled", root), setting("serviceLongArnFormat", "disabled", root)])
    );

    // Effective: own value, else the account default, else ECS's default (every setting: 11, two pages).
    let effective = aws_ok(api, &key, &["list-account-settings", "--effective-settings"]);
    let settings = effective["settings"].as_array().expect("settings");
    assert_eq!(settings.len(), 11, "{effective}");
    let find = |name: &str| settings.iter().find(|s| s["name"] == name).cloned().unwrap_or_default();
    assert_eq!(find("containerInsights"), setting("containerInsights", "enhanced", &me));
    assert_eq!(find("serviceLongArnFormat"), setting("serviceLongArnFormat", "disabled", root));
    assert_eq!(find("taskLongArnFormat"), setting("taskLongArnFormat", "enabled", root));
    assert_eq!(find("guardDutyActivate")["type"], "aws_managed");
    let filtered = aws_ok(api, &key, &["list-account-settings", "--effective-settings", "--name", "taskLongArnFormat"]);
    assert_eq!(filtered["settings"], json!([setting("taskLongArnFormat", "enabled", root)]));
    let by_value = aws_ok(api, &key, &["list-account-settings", "--effective-settings", "--value", "enhanced"]);
    assert_eq!(by_value["settings"], json!([setting("containerInsights", "enhanced", &me)]));
    let (status, body) =
        ecs_api::call(api, &key, "ListAccountSettings", &json!({"effectiveSettings": true, "maxResults": 4})).await;
    assert_eq!((status, body["settings"].as_array().map(Vec::len)), (200, Some(4)), "{body}");
    assert!(body["nextToken"].is_string(), "{body}");
    let (status, body) = ecs_api::call(api, &key, "ListAccountSettings", &json!({"maxResults": 11})).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidParameterException")), "{body}");

    // ECS's refusals.
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["put-account-setting", "--name", "containerInsights", "--value", "on"],
            "InvalidParameterException",
            "on is not a valid value for the account setting containerInsights. Valid values: enabled, disabled, enhanced.",
        ),
        (
            &["put-account-setting", "--name", "fargateTaskRetirementWaitPeriod", "--value", "14"],
            "InvalidParameterException",
            "can only be set for the root user",
        ),
        (
            &["put-account-setting-default", "--name", "guardDutyActivate", "--value", "on"],
            "InvalidParameterException",
            "read-only",
        ),
        (
            &["put-account-setting", "--name", "unknown", "--value", "enabled"],
            "InvalidParameterException",
            "Member must satisfy enum value set",
        ),
        (
            &["list-account-settings", "--principal-arn", "arn:aws:iam::000000000000:group/admins"],
            "InvalidParameterException",
            "is not the ARN of a user, a role or the root user",
        ),
    ];
    for (args, code, message) in cases {
        aws_err(api, &key, args, code, message);
    }
    aws_ok(api, &key, &["put-account-setting-default", "--name", "fargateTaskRetirementWaitPeriod", "--value", "14"]);

    // Delete: the principal's own value goes, the default stays.
    let deleted = aws_ok(api, &key, &["delete-account-setting", "--name", "containerInsights"]);
    assert_eq!(deleted["setting"], setting("containerInsights", "enhanced", &me));
    assert_eq!(aws_ok(api, &key, &["list-account-settings"]), json!({"settings": []}));
    aws_ok(api, &key, &["delete-account-setting", "--name", "awsvpcTrunking", "--principal-arn", root]);

    // Kept where kubectl sees them (and RBAC decides): the namespace's ConfigMap.
    let map = Api::<ConfigMap>::namespaced(client.clone(), &ns).get("kube-ecs-account-settings").await.expect("map");
    let keys: Vec<String> = map.data.unwrap_or_default().into_keys().collect();
    assert_eq!(keys, ["default.fargateTaskRetirementWaitPeriod", "default.serviceLongArnFormat"]);

    // An identity without rights on the ConfigMap is refused, with the apiserver's reason.
    let other_ns = support::namespace(&client, "ecs-settings-norbac").await;
    let other_user = format!("{other_ns}-ci");
    ecs_api::grant(&client, &other_user, &other_ns, true).await;
    let other = ecs_api::key(&client, api, &other_user, &other_ns).await;
    aws_err(api, &other, &["list-account-settings"], "AccessDeniedException", "configmaps");
}

#[tokio::test]
async fn container_insights_setting_is_the_default_of_new_clusters() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = team(&client, api, "ecs-insights").await;
    let clusters: Api<EcsCluster> = Api::all(client.clone());

    aws_ok(api, &key, &["put-account-setting", "--name", "containerInsights", "--value", "enabled"]);
    let name = format!("{ns}-a");
    let created = aws_ok(api, &key, &["create-cluster", "--cluster-name", &name]);
    assert_eq!(created["cluster"]["settings"], json!([{"name": "containerInsights", "value": "enabled"}]));
    assert_eq!(clusters.get(&name).await.expect("cluster").spec.container_insights.as_deref(), Some("enabled"));

    // The request's own setting wins; then the account default applies when the user has none.
    let name = format!("{ns}-b");
    let created = aws_ok(
        api,
        &key,
        &["create-cluster", "--cluster-name", &name, "--settings", "name=containerInsights,value=disabled"],
    );
    assert_eq!(created["cluster"]["settings"][0]["value"], "disabled");
    aws_ok(api, &key, &["delete-account-setting", "--name", "containerInsights"]);
    aws_ok(api, &key, &["put-account-setting-default", "--name", "containerInsights", "--value", "enhanced"]);
    let name = format!("{ns}-c");
    let created = aws_ok(api, &key, &["create-cluster", "--cluster-name", &name]);
    // The cluster keeps the level asked for (kube-ecs exports the same metrics for enhanced and enabled).
    assert_eq!(created["cluster"]["settings"][0]["value"], "enhanced");

    // Without rights on the settings, CreateCluster works as before (ECS's default: disabled).
    let other_ns = support::namespace(&client, "ecs-insights-norbac").await;
    let other_user = format!("{other_ns}-ci");
    ecs_api::grant(&client, &other_user, &other_ns, true).await;
    let other = ecs_api::key(&client, api, &other_user, &other_ns).await;
    let created = aws_ok(api, &other, &["create-cluster", "--cluster-name", &other_ns]);
    assert_eq!(created["cluster"]["settings"][0]["value"], "disabled");
}

#[tokio::test]
async fn capacity_providers_are_node_pools() {
    let api = ecs_api::start();
    let client = support::client().await;
    let (ns, key) = team(&client, api, "ecs-providers").await;
    let cluster = format!("{ns}-cluster");
    // One pool, `od`, of the nodes labelled for the cluster, and one such node.
    support::ecs_cluster(
        &client,
        &cluster,
        json!({"nodePools": [{"name": "od", "provider": "nodes", "labels": {"ecs.kube-ecs.dev/cluster": cluster}}]}),
        1,
        ("4", "8Gi"),
    )
    .await;
    let provider_arn = |name: &str| format!("arn:aws:ecs:us-east-1:000000000000:capacity-provider/{name}");

    // ECS's own providers first (a page is 10: the tests' other clusters have pools too), and the pool.
    let all = aws_ok(api, &key, &["describe-capacity-providers"]);
    let names: Vec<&str> =
        all["capacityProviders"].as_array().expect("providers").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names[..2], ["FARGATE", "FARGATE_SPOT"], "{all}");
    assert!(names.len() <= 10, "{all}");
    let by_name = aws_ok(api, &key, &["describe-capacity-providers", "--capacity-providers", "od"]);
    let ours =
        by_name["capacityProviders"].as_array().expect("providers").iter().any(|p| p["cluster"] == cluster.as_str());
    assert!(ours, "{by_name}");
    let pool = aws_ok(api, &key, &["describe-capacity-providers", "--cluster", &cluster]);
    assert_eq!(
        pool["capacityProviders"],
        json!([{"capacityProviderArn": provider_arn(&format!("{cluster}/od")), "name": "od", "cluster": cluster,
                "status": "ACTIVE", "type": "EC2_AUTOSCALING", "tags": []}])
    );

    // CreateCapacityProvider keeps an Auto Scaling group provider, with ECS's defaults.
    let created = aws_ok(
        api,
        &key,
        &[
            "create-capacity-provider",
            "--name",
            "my_provider",
            "--auto-scaling-group-provider",
            "autoScalingGroupArn=asg:arn,managedScaling={status=ENABLED,targetCapacity=5,maximumScalingStepSize=2},managedTerminationProtection=DISABLED",
            "--tags",
            "key=k1,value=v1",
        ],
    );
    let asg = json!({
        "autoScalingGroupArn": "asg:arn",
        "managedScaling": {"status": "ENABLED", "targetCapacity": 5, "minimumScalingStepSize": 1,
                           "maximumScalingStepSize": 2, "instanceWarmupPeriod": 300},
        "managedTerminationProtection": "DISABLED", "managedDraining": "ENABLED",
    });
    assert_eq!(
        created["capacityProvider"],
        json!({"capacityProviderArn": provider_arn("my_provider"), "name": "my_provider", "status": "ACTIVE",
               "type": "EC2_AUTOSCALING", "autoScalingGroupProvider": asg, "tags": [{"key": "k1", "value": "v1"}]})
    );
    let described = aws_ok(
        api,
        &key,
        &["describe-capacity-providers", "--capacity-providers", &provider_arn("my_provider"), "another_provider"],
    );
    assert_eq!(described["capacityProviders"][0]["autoScalingGroupProvider"], asg);
    assert_eq!(described["capacityProviders"][0]["tags"], json!([]), "tags only with --include TAGS");
    assert_eq!(described["failures"], json!([{"arn": provider_arn("another_provider"), "reason": "MISSING"}]));
    let updated = aws_ok(
        api,
        &key,
        &[
            "update-capacity-provider",
            "--name",
            "my_provider",
            "--auto-scaling-group-provider",
            "managedScaling={status=ENABLED,instanceWarmupPeriod=0}",
        ],
    );
    assert_eq!(updated["capacityProvider"]["autoScalingGroupProvider"]["managedScaling"]["instanceWarmupPeriod"], 0);
    assert_eq!(updated["capacityProvider"]["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"], 5);

    let asg_arg = "autoScalingGroupArn=asg:arn";
    let refusals: &[(&[&str], &str, &str)] = &[
        (
            &["create-capacity-provider", "--name", "my_provider", "--auto-scaling-group-provider", asg_arg],
            "ClientException",
            "The specified capacity provider already exists.",
        ),
        (
            &["create-capacity-provider", "--name", "od", "--auto-scaling-group-provider", asg_arg],
            "ClientException",
            "The specified capacity provider already exists.",
        ),
        (
            &["create-capacity-provider", "--name", "fargate_mine", "--auto-scaling-group-provider", asg_arg],
            "InvalidParameterException",
            "can't be prefixed with",
        ),
        (
            &["update-capacity-provider", "--name", "od", "--auto-scaling-group-provider", "managedDraining=DISABLED"],
            "InvalidParameterException",
            "is a node pool of the cluster(s)",
        ),
        (&["delete-capacity-provider", "--capacity-provider", "FARGATE"], "InvalidParameterException", "ECS's own"),
        (&["delete-capacity-provider", "--capacity-provider", "nope"], "ClientException", "does not exist"),
        (
            &[
                "put-cluster-capacity-providers",
                "--cluster",
                &cluster,
                "--capacity-providers",
                "od",
                "nope",
                "--default-capacity-provider-strategy",
                "[]",
            ],
            "InvalidParameterException",
            "The specified capacity provider 'nope' does not exist.",
        ),
        (
            &[
                "put-cluster-capacity-providers",
                "--cluster",
                &cluster,
                "--capacity-providers",
                "od",
                "--default-capacity-provider-strategy",
                "capacityProvider=FARGATE,weight=1",
            ],
            "InvalidParameterException",
            "cannot contain a capacity provider that is not associated with the cluster",
        ),
        (
            &[
                "put-cluster-capacity-providers",
                "--cluster",
                "nope",
                "--capacity-providers",
                "od",
                "--default-capacity-provider-strategy",
                "[]",
            ],
            "ClusterNotFoundException",
            "Cluster not found.",
        ),
    ];
    for (args, code, message) in refusals {
        aws_err(api, &key, args, code, message);
    }

    // A default strategy is the cluster's: tasks and services that give none are placed by it.
    let with_default = aws_ok(
        api,
        &key,
        &[
            "put-cluster-capacity-providers",
            "--cluster",
            &cluster,
            "--capacity-providers",
            "od",
            "--default-capacity-provider-strategy",
            "capacityProvider=od,weight=1,base=1",
        ],
    );
    assert_eq!(
        with_default["cluster"]["defaultCapacityProviderStrategy"],
        json!([{"capacityProvider": "od", "weight": 1, "base": 1}]),
        "{with_default}"
    );
    let held = Api::<EcsCluster>::all(client.clone()).get(&cluster).await.expect("cluster");
    assert_eq!(held.spec.default_capacity_provider_strategy.len(), 1);

    // PutClusterCapacityProviders: the providers become pools of the Nodes labelled for them.
    let put = aws_ok(
        api,
        &key,
        &[
            "put-cluster-capacity-providers",
            "--cluster",
            &cluster,
            "--capacity-providers",
            "od",
            "my_provider",
            "FARGATE",
            "--default-capacity-provider-strategy",
            "[]",
        ],
    );
    assert_eq!(put["cluster"]["capacityProviders"], json!(["od", "my_provider", "FARGATE"]), "{put}");
    let clusters: Api<EcsCluster> = Api::all(client.clone());
    let pools = clusters.get(&cluster).await.expect("cluster").spec.node_pools;
    assert_eq!(pools[1].provider.as_deref(), Some("nodes"));
    assert_eq!(pools[1].labels.get("ecs.kube-ecs.dev/capacity-provider").map(String::as_str), Some("my_provider"));
    let of_cluster = aws_ok(api, &key, &["describe-capacity-providers", "--cluster", &cluster, "--include", "TAGS"]);
    let names: Vec<&str> = of_cluster["capacityProviders"]
        .as_array()
        .expect("providers")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["FARGATE", "my_provider", "od"], "{of_cluster}");
    assert_eq!(of_cluster["capacityProviders"][1]["tags"], json!([{"key": "k1", "value": "v1"}]));
    aws_err(
        api,
        &key,
        &["delete-capacity-provider", "--capacity-provider", "my_provider"],
        "ClientException",
        "is in use by the cluster(s)",
    );

    // A provider record's tags, through the ECS tagging actions.
    let provider_arn = "arn:aws:ecs:us-east-1:000000000000:capacity-provider/my_provider";
    aws_ok(api, &key, &["tag-resource", "--resource-arn", provider_arn, "--tags", "key=k2,value=v2"]);
    aws_ok(api, &key, &["untag-resource", "--resource-arn", provider_arn, "--tag-keys", "k1"]);
    let tags = aws_ok(api, &key, &["list-tags-for-resource", "--resource-arn", provider_arn]);
    assert_eq!(tags["tags"], json!([{"key": "k2", "value": "v2"}]), "{tags}");

    // Removing them again; then the record can go.
    let put = aws_ok(
        api,
        &key,
        &[
            "put-cluster-capacity-providers",
            "--cluster",
            &cluster,
            "--capacity-providers",
            "od",
            "--default-capacity-provider-strategy",
            "[]",
        ],
    );
    assert_eq!(put["cluster"]["capacityProviders"], json!(["od"]));
    let deleted = aws_ok(api, &key, &["delete-capacity-provider", "--capacity-provider", "my_provider"]);
    assert_eq!(deleted["capacityProvider"]["status"], "INACTIVE");
    let gone = aws_ok(api, &key, &["describe-capacity-providers", "--capacity-providers", "my_provider"]);
    assert_eq!(gone["failures"][0]["reason"], "MISSING");

    // A pool its tasks run on cannot be removed (ResourceInUseException).
    aws_ok(api, &key, &["register-task-definition", "--cli-input-json", "file://tests/fixtures/ecs-api/sleep360.json"]);
    let instances: Api<ContainerInstance> = Api::all(client.clone());
    support::wait_for_list(&instances, "the pool's container instance", |all| {
        all.iter().any(|i| {
            i.spec.cluster == cluster
                && i.status.as_ref().is_some_and(|s| s.agent_connected && s.remaining_resources.is_some())
        })
    })
    .await;
    aws_ok(api, &key, &["run-task", "--cluster", &cluster, "--task-definition", "sleep360"]);
    support::wait_for_list(&instances, "a task on the pool's instance", |all| {
        all.iter().any(|i| {
            i.spec.cluster == cluster
                && i.spec.pool.as_deref() == Some("od")
                && i.status.as_ref().is_some_and(|s| s.running_tasks_count + s.pending_tasks_count > 0)
        })
    })
    .await;
    aws_err(
        api,
        &key,
        &[
            "put-cluster-capacity-providers",
            "--cluster",
            &cluster,
            "--capacity-providers",
            "[]",
            "--default-capacity-provider-strategy",
            "[]",
        ],
        "ResourceInUseException",
        "The specified capacity provider is in use and cannot be removed.",
    );
}
