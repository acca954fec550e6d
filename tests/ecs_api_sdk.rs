//! The ECS API with the official Rust SDK (aws-sdk-ecs): its typed client, waiters, paginator and
//! typed errors against the endpoint on the real control plane. Every response must deserialize
//! into the SDK's strict types (enums, timestamps, ARNs), and every error must come back as the
//! SDK's own error variant or code.

mod support;

use std::time::Duration;

use aws_sdk_ecs::client::Waiters;
use aws_sdk_ecs::config::retry::RetryConfig;
use aws_sdk_ecs::config::timeout::TimeoutConfig;
use aws_sdk_ecs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, DesiredStatus, LaunchType, SchedulingStrategy, TaskDefinitionStatus,
    TaskStopCode,
};
use kube::api::Api;
use kube_ecs::api::Service;
use support::ecs_api::{self, EcsApi, Key};

/// An SDK client for `key`, built from the SDK's own Config (no aws-config, no environment or
/// profile lookups): the endpoint's URL, one attempt per call (an error is the test's answer, not
/// something to retry), and timeouts so no call hangs the test.
fn sdk(api: &EcsApi, key: &Key) -> aws_sdk_ecs::Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    // rustls with ring (the workspace's TLS stack); plain http:// URLs go through it unencrypted.
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let config = aws_sdk_ecs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&api.url)
        .region(Region::new(api.region.clone()))
        .credentials_provider(Credentials::new(&key.id, &key.secret, None, None, "kube-ecs-test"))
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_ecs::Client::from_conf(config)
}

/// The SDK's full error text (the Display of an SdkError is only its kind).
fn shown<E: std::error::Error>(e: &E) -> String {
    aws_sdk_ecs::error::DisplayErrorContext(e).to_string()
}

const TASK_DEFINITION_ARN: &str = "arn:aws:ecs:us-east-1:000000000000:task-definition/sdk-sleep:1";

#[tokio::test]
async fn rust_sdk_walks_through_tasks_services_and_clusters() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-sdk").await;
    let cluster = format!("{ns}-c");
    ecs_api::cluster_with_nodes(&client, &cluster).await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, true).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let ecs = sdk(api, &key);

    // RegisterTaskDefinition with the SDK's typed builders.
    let container = ContainerDefinition::builder()
        .name("sleep")
        .image("busybox")
        .command("sleep")
        .command("360")
        .memory(16)
        .essential(true)
        .build();
    let registered = ecs
        .register_task_definition()
        .family("sdk-sleep")
        .container_definitions(container)
        .send()
        .await
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition: {}", shown(&e)));
    let definition = registered.task_definition().expect("taskDefinition");
    assert_eq!(definition.family(), Some("sdk-sleep"));
    assert_eq!(definition.revision(), 1);
    assert_eq!(definition.status(), Some(&TaskDefinitionStatus::Active));
    assert_eq!(definition.task_definition_arn(), Some(TASK_DEFINITION_ARN));
    assert_eq!(definition.container_definitions()[0].command(), ["sleep", "360"]);

    // DescribeTaskDefinition: ECS's defaults, as typed enums, and registeredAt.
    let described = ecs
        .describe_task_definition()
        .task_definition("sdk-sleep")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeTaskDefinition: {}", shown(&e)));
    let definition = described.task_definition().expect("taskDefinition");
    assert_eq!(definition.revision(), 1);
    assert_eq!(definition.status(), Some(&TaskDefinitionStatus::Active));
    // Registered without a networkMode: described without one, as ECS does (it means bridge).
    assert_eq!(definition.network_mode(), None);
    assert!(definition.compatibilities().contains(&Compatibility::Ec2), "{definition:?}");
    assert!(definition.registered_at().is_some(), "registeredAt: {definition:?}");
    let sleep = &definition.container_definitions()[0];
    assert_eq!(
        (sleep.name(), sleep.image(), sleep.memory(), sleep.essential()),
        (Some("sleep"), Some("busybox"), Some(16), Some(true))
    );

    // RunTask count 2.
    let run = ecs
        .run_task()
        .cluster(&cluster)
        .task_definition("sdk-sleep")
        .count(2)
        .started_by("sdk")
        .send()
        .await
        .unwrap_or_else(|e| panic!("RunTask: {}", shown(&e)));
    assert!(run.failures().is_empty(), "{:?}", run.failures());
    assert_eq!(run.tasks().len(), 2, "{run:?}");
    let mut task_arns: Vec<String> = Vec::new();
    for task in run.tasks() {
        let arn = task.task_arn().expect("taskArn");
        let id = arn.rsplit('/').next().expect("id");
        assert!(arn.starts_with(&format!("arn:aws:ecs:us-east-1:000000000000:task/{cluster}/")), "{arn}");
        assert_eq!(id.len(), 32, "ECS task IDs are 32 hex digits: {id}");
        assert_eq!(task.desired_status(), Some(DesiredStatus::Running.as_str()));
        assert_eq!(task.launch_type(), Some(&LaunchType::Ec2));
        assert_eq!(task.task_definition_arn(), Some(TASK_DEFINITION_ARN));
        assert!(task.created_at().is_some(), "createdAt: {task:?}");
        task_arns.push(arn.to_string());
    }
    task_arns.sort();

    // ListTasks with the typed DesiredStatus filter.
    let listed = ecs
        .list_tasks()
        .cluster(&cluster)
        .started_by("sdk")
        .desired_status(DesiredStatus::Running)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListTasks: {}", shown(&e)));
    let mut listed_arns = listed.task_arns().to_vec();
    listed_arns.sort();
    assert_eq!(listed_arns, task_arns);

    // The SDK's own waiter (DescribeTasks until every task is RUNNING), then DescribeTasks.
    let mut waiter = ecs.wait_until_tasks_running().cluster(&cluster);
    for arn in &task_arns {
        waiter = waiter.tasks(arn);
    }
    let running = waiter.wait(support::WAIT).await.unwrap_or_else(|e| panic!("tasks-running: {}", shown(&e)));
    let running = running.into_result().unwrap_or_else(|e| panic!("tasks-running's last poll: {}", shown(&e)));
    assert_eq!(running.tasks().len(), 2, "{running:?}");
    let described = ecs
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(task_arns.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeTasks: {}", shown(&e)));
    assert!(described.failures().is_empty(), "{:?}", described.failures());
    for task in described.tasks() {
        assert_eq!(task.last_status(), Some("RUNNING"), "{task:?}");
        assert_eq!(task.desired_status(), Some(DesiredStatus::Running.as_str()));
        assert_eq!(task.started_by(), Some("sdk"));
        assert!(task.created_at().is_some() && task.started_at().is_some(), "createdAt, startedAt: {task:?}");
        assert!(task.started_at() >= task.created_at(), "{task:?}");
        assert!(task.cluster_arn().is_some_and(|a| a.ends_with(&format!("cluster/{cluster}"))), "{task:?}");
        let container = &task.containers()[0];
        assert_eq!(container.name(), Some("sleep"));
        assert_eq!(container.last_status(), Some("RUNNING"), "{container:?}");
    }

    // StopTask; the tasks-stopped waiter; the stop code as the SDK's enum.
    let first = task_arns[0].clone();
    let stopped = ecs
        .stop_task()
        .cluster(&cluster)
        .task(&first)
        .reason("done with it")
        .send()
        .await
        .unwrap_or_else(|e| panic!("StopTask: {}", shown(&e)));
    let task = stopped.task().expect("task");
    assert_eq!(task.task_arn(), Some(first.as_str()));
    assert_eq!(task.desired_status(), Some(DesiredStatus::Stopped.as_str()));
    let done = ecs
        .wait_until_tasks_stopped()
        .cluster(&cluster)
        .tasks(&first)
        .wait(support::WAIT)
        .await
        .unwrap_or_else(|e| panic!("tasks-stopped: {}", shown(&e)));
    let done = done.into_result().unwrap_or_else(|e| panic!("tasks-stopped's last poll: {}", shown(&e)));
    let task = &done.tasks()[0];
    assert_eq!(task.last_status(), Some("STOPPED"), "{task:?}");
    assert_eq!(task.stop_code(), Some(&TaskStopCode::UserInitiated), "{task:?}");
    assert_eq!(task.stopped_reason(), Some("done with it"));
    assert!(task.stopped_at().is_some(), "stoppedAt: {task:?}");

    // CreateService desired 1, DescribeServices, UpdateService desired 2 (services-stable), DeleteService force.
    let created = ecs
        .create_service()
        .cluster(&cluster)
        .service_name("sdk-svc")
        .task_definition("sdk-sleep")
        .desired_count(1)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateService: {}", shown(&e)));
    let service = created.service().expect("service");
    assert_eq!(service.service_name(), Some("sdk-svc"));
    assert_eq!(service.status(), Some("ACTIVE"));
    assert_eq!(service.desired_count(), 1);
    assert_eq!(service.task_definition(), Some(TASK_DEFINITION_ARN));
    assert_eq!(service.launch_type(), Some(&LaunchType::Ec2));
    assert_eq!(service.scheduling_strategy(), Some(&SchedulingStrategy::Replica));
    assert!(service.created_at().is_some(), "createdAt: {service:?}");
    assert!(
        service
            .service_arn()
            .is_some_and(|a| a == format!("arn:aws:ecs:us-east-1:000000000000:service/{cluster}/sdk-svc")),
        "{service:?}"
    );
    let described = ecs
        .describe_services()
        .cluster(&cluster)
        .services("sdk-svc")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeServices: {}", shown(&e)));
    assert!(described.failures().is_empty(), "{:?}", described.failures());
    let service = &described.services()[0];
    assert_eq!((service.service_name(), service.desired_count()), (Some("sdk-svc"), 1));
    assert_eq!(service.task_definition(), Some(TASK_DEFINITION_ARN));
    // The answers' deployments and counts: see rust_sdk_sees_the_new_state_in_create_and_update_service_answers.

    let updated = ecs
        .update_service()
        .cluster(&cluster)
        .service("sdk-svc")
        .desired_count(2)
        .send()
        .await
        .unwrap_or_else(|e| panic!("UpdateService: {}", shown(&e)));
    assert_eq!(updated.service().and_then(|s| s.service_name()), Some("sdk-svc"), "{updated:?}");
    let stable = ecs
        .wait_until_services_stable()
        .cluster(&cluster)
        .services("sdk-svc")
        .wait(support::WAIT)
        .await
        .unwrap_or_else(|e| panic!("services-stable: {}", shown(&e)));
    let stable = stable.into_result().unwrap_or_else(|e| panic!("services-stable's last poll: {}", shown(&e)));
    let service = &stable.services()[0];
    assert_eq!((service.desired_count(), service.running_count()), (2, 2), "{service:?}");
    let deployment = &service.deployments()[0];
    assert_eq!(deployment.status(), Some("PRIMARY"), "{deployment:?}");
    assert_eq!(deployment.task_definition(), Some(TASK_DEFINITION_ARN));
    assert_eq!((deployment.desired_count(), deployment.running_count()), (2, 2), "{deployment:?}");
    assert!(deployment.created_at().is_some() && deployment.updated_at().is_some(), "{deployment:?}");

    let deleted = ecs
        .delete_service()
        .cluster(&cluster)
        .service("sdk-svc")
        .force(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteService: {}", shown(&e)));
    assert_eq!(deleted.service().and_then(|s| s.status()), Some("DRAINING"), "{deleted:?}");
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    support::wait_for_list(&services, "the Service gone", |all| all.is_empty()).await;

    // ListClusters over more than one page (maxResults 1) with the SDK's paginator, over three clusters
    // made through the API (cluster-scoped, so named after this test's namespace).
    let mut made = Vec::new();
    for i in 0..3 {
        let name = format!("{ns}-page-{i}");
        let created = ecs
            .create_cluster()
            .cluster_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateCluster {name}: {}", shown(&e)));
        let made_cluster = created.cluster().expect("cluster");
        assert_eq!((made_cluster.cluster_name(), made_cluster.status()), (Some(name.as_str()), Some("ACTIVE")));
        made.push(made_cluster.cluster_arn().expect("clusterArn").to_string());
    }
    let pages: Vec<_> = ecs
        .list_clusters()
        .max_results(1)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap_or_else(|e| panic!("ListClusters pages: {}", shown(&e)));
    assert!(pages.len() >= 4, "at least this test's four clusters, one a page: {} page(s)", pages.len());
    assert!(pages.iter().all(|p| p.cluster_arns().len() <= 1), "maxResults 1: {pages:?}");
    assert!(pages[..pages.len() - 1].iter().all(|p| p.next_token().is_some()), "every page but the last has a token");
    assert!(pages.last().is_some_and(|p| p.next_token().is_none()), "the last page has none");
    let arns: Vec<String> = ecs
        .list_clusters()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap_or_else(|e| panic!("ListClusters items: {}", shown(&e)));
    for arn in made.iter().chain([&format!("arn:aws:ecs:us-east-1:000000000000:cluster/{cluster}")]) {
        assert!(arns.contains(arn), "{arn} in {arns:?}");
    }
    for arn in &made {
        let deleted = ecs
            .delete_cluster()
            .cluster(arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DeleteCluster {arn}: {}", shown(&e)));
        assert_eq!(deleted.cluster().and_then(|c| c.cluster_arn()), Some(arn.as_str()));
    }

    // DeregisterTaskDefinition.
    let deregistered = ecs
        .deregister_task_definition()
        .task_definition("sdk-sleep:1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeregisterTaskDefinition: {}", shown(&e)));
    let definition = deregistered.task_definition().expect("taskDefinition");
    assert_eq!(definition.status(), Some(&TaskDefinitionStatus::Inactive), "{definition:?}");
    assert_eq!(definition.task_definition_arn(), Some(TASK_DEFINITION_ARN));
}

#[tokio::test]
async fn rust_sdk_gets_typed_errors() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-sdk-err").await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, true).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let ecs = sdk(api, &key);
    let cluster = format!("{ns}-c");
    ecs.create_cluster().cluster_name(&cluster).send().await.unwrap_or_else(|e| panic!("CreateCluster: {}", shown(&e)));

    // DescribeServices on a missing cluster: the SDK's ClusterNotFoundException variant.
    let err = ecs
        .describe_services()
        .cluster(format!("{ns}-missing"))
        .services("web")
        .send()
        .await
        .expect_err("a missing cluster");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400), "{}", shown(&err));
    let err = err.into_service_error();
    assert!(err.is_cluster_not_found_exception(), "{}", shown(&err));
    assert_eq!(err.code(), Some("ClusterNotFoundException"));
    assert_eq!(err.message(), Some("Cluster not found."));

    // UpdateService of a missing service: ServiceNotFoundException.
    let err = ecs
        .update_service()
        .cluster(&cluster)
        .service("nope")
        .desired_count(1)
        .send()
        .await
        .expect_err("a missing service")
        .into_service_error();
    assert!(err.is_service_not_found_exception(), "{}", shown(&err));
    assert_eq!(err.code(), Some("ServiceNotFoundException"));

    // A wrong secret: InvalidSignatureException (not modelled for ECS, so an unhandled error with its code).
    let wrong_secret = Key { secret: "not-the-secret-at-all".into(), ..key.clone() };
    let err = sdk(api, &wrong_secret).list_clusters().send().await.expect_err("a wrong secret");
    assert_eq!(err.code(), Some("InvalidSignatureException"), "{}", shown(&err));
    assert!(err.message().is_some_and(|m| m.contains("does not match")), "{}", shown(&err));

    // An unknown access key: UnrecognizedClientException.
    let unknown = Key { id: "AKIAUNKNOWNKEY000000".into(), ..key.clone() };
    let err = sdk(api, &unknown).list_clusters().send().await.expect_err("an unknown key");
    assert_eq!(err.code(), Some("UnrecognizedClientException"), "{}", shown(&err));
    assert!(
        err.message().is_some_and(|m| m.contains("security token included in the request is invalid")),
        "{}",
        shown(&err)
    );
}

/// As ECS: UpdateService answers with the requested desiredCount (also once the Service's status has
/// an older one), and CreateService answers with the PRIMARY deployment (the endpoint waits, bounded,
/// for the Service controller to record it). Found by this test with the SDK's typed answers.
#[tokio::test]
async fn rust_sdk_sees_the_new_state_in_create_and_update_service_answers() {
    let api = ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecs-sdk-svc").await;
    let cluster = format!("{ns}-c");
    ecs_api::cluster_with_nodes(&client, &cluster).await;
    let user = format!("{ns}-ci");
    ecs_api::grant(&client, &user, &ns, false).await;
    let key = ecs_api::key(&client, api, &user, &ns).await;
    let ecs = sdk(api, &key);
    let container = ContainerDefinition::builder()
        .name("sleep")
        .image("busybox")
        .command("sleep")
        .command("360")
        .memory(16)
        .build();
    ecs.register_task_definition()
        .family("sdk-sleep")
        .container_definitions(container)
        .send()
        .await
        .unwrap_or_else(|e| panic!("RegisterTaskDefinition: {}", shown(&e)));
    let mut findings = Vec::new();
    let created = ecs
        .create_service()
        .cluster(&cluster)
        .service_name("web")
        .task_definition("sdk-sleep")
        .desired_count(1)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateService: {}", shown(&e)));
    let service = created.service().expect("service");
    if !service.deployments().iter().any(|d| d.status() == Some("PRIMARY") && d.desired_count() == 1) {
        findings.push(format!("CreateService answers without its PRIMARY deployment: {:?}", service.deployments()));
    }
    // Once the operator has reconciled the Service (its status has the count), UpdateService.
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    support::wait_for(&services, "web", "the operator's status", |s| {
        s.status.as_ref().is_some_and(|st| st.desired_count == Some(1))
    })
    .await;
    let updated = ecs
        .update_service()
        .cluster(&cluster)
        .service("web")
        .desired_count(2)
        .send()
        .await
        .unwrap_or_else(|e| panic!("UpdateService: {}", shown(&e)));
    let service = updated.service().expect("service");
    if service.desired_count() != 2 {
        findings.push(format!("UpdateService desiredCount 2 answers desired_count {}", service.desired_count()));
    }
    assert!(findings.is_empty(), "{findings:#?}");
}
