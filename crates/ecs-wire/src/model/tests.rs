use super::*;
use crate::*;
use pretty_assertions::assert_eq;
use serde::Serialize;
use serde_json::json;

const EXAMPLES_JSON: &str = include_str!("../../model/ecs-2014-11-13.examples.json");

/// What `check_input` should answer: `Ok`, or the error's code and message.
type Want = Result<(), (&'static str, String)>;

fn ok() -> Want {
    Ok(())
}

fn err(code: &'static str, message: &str) -> Want {
    Err((code, message.to_string()))
}

const NOT_NULL: &str = "failed to satisfy constraint: Member must not be null";

#[test]
fn check_input_table() {
    let many_tags: Vec<Value> = (0..51).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    let cases: Vec<(&str, Value, Want)> = vec![
        // RunTask
        ("RunTask", json!({"taskDefinition": "web:1"}), ok()),
        ("RunTask", json!({"taskDefinition": "web:1", "notAMember": [1, 2]}), ok()),
        ("RunTask", json!({"taskDefinition": "web", "count": 2.0, "launchType": "FARGATE"}), ok()),
        (
            "RunTask",
            json!({}),
            err(
                "InvalidParameterException",
                &format!("1 validation error detected: Value null at 'taskDefinition' {NOT_NULL}"),
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": null}),
            err(
                "InvalidParameterException",
                &format!("1 validation error detected: Value null at 'taskDefinition' {NOT_NULL}"),
            ),
        ),
        (
            "RunTask",
            json!([{"taskDefinition": "web"}]),
            err("SerializationException", "Cannot deserialize the request body: expected a JSON object, found array"),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "count": "3"}),
            err("SerializationException", "Cannot deserialize value at 'count': expected an integer, found string"),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "count": 1.5}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'count': expected an integer, found number 1.5 (not a whole number)",
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "count": 3_000_000_000_u64}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'count': expected an integer, found number 3000000000 (out of range)",
            ),
        ),
        (
            // A type error wins over the missing required member, as deserializing comes first.
            "RunTask",
            json!({"enableExecuteCommand": "yes"}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'enableExecuteCommand': expected a boolean, found string",
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "launchType": "SPOT"}),
            err(
                "InvalidParameterException",
                "1 validation error detected: Value 'SPOT' at 'launchType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]",
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "overrides": {"containerOverrides": [{"name": "a"}, {"name": "b", "cpu": "x"}]}}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'overrides.containerOverrides.2.member.cpu': expected an integer, found string",
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "overrides": {"containerOverrides": [null]}}),
            err(
                "InvalidParameterException",
                &format!(
                    "1 validation error detected: Value null at 'overrides.containerOverrides.1.member' {NOT_NULL}"
                ),
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "overrides": {"containerOverrides": {"name": "a"}}}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'overrides.containerOverrides': expected a list (JSON array), found object",
            ),
        ),
        (
            "RunTask",
            json!({"networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "YES"}}}),
            err(
                "InvalidParameterException",
                &format!(
                    "3 validation errors detected: \
                     Value 'YES' at 'networkConfiguration.awsvpcConfiguration.assignPublicIp' failed to satisfy constraint: \
                     Member must satisfy enum value set: [ENABLED, DISABLED]; \
                     Value null at 'networkConfiguration.awsvpcConfiguration.subnets' {NOT_NULL}; \
                     Value null at 'taskDefinition' {NOT_NULL}"
                ),
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "tags": many_tags}),
            err(
                "InvalidParameterException",
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: \
                 Member must have length less than or equal to 50",
            ),
        ),
        (
            "RunTask",
            json!({"taskDefinition": "web", "tags": [{"key": "a", "value": "b"}, {"key": "", "value": "c"}]}),
            err(
                "InvalidParameterException",
                "1 validation error detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: \
                 Member must have length greater than or equal to 1",
            ),
        ),
        // RegisterTaskDefinition
        (
            "RegisterTaskDefinition",
            json!({"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 512,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}}],
                "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512"}),
            ok(),
        ),
        (
            "RegisterTaskDefinition",
            json!({}),
            err(
                "InvalidParameterException",
                &format!(
                    "2 validation errors detected: Value null at 'containerDefinitions' {NOT_NULL}; \
                     Value null at 'family' {NOT_NULL}"
                ),
            ),
        ),
        (
            "RegisterTaskDefinition",
            json!({"family": "web", "containerDefinitions": "nginx"}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'containerDefinitions': expected a list (JSON array), found string",
            ),
        ),
        (
            "RegisterTaskDefinition",
            json!({"family": "web", "containerDefinitions": [{"name": "web", "logConfiguration": {"options": {}}}],
                "networkMode": "bridged"}),
            err(
                "InvalidParameterException",
                &format!(
                    "2 validation errors detected: \
                     Value null at 'containerDefinitions.1.member.logConfiguration.logDriver' {NOT_NULL}; \
                     Value 'bridged' at 'networkMode' failed to satisfy constraint: \
                     Member must satisfy enum value set: [bridge, host, awsvpc, none]"
                ),
            ),
        ),
        (
            "RegisterTaskDefinition",
            json!({"family": "web", "containerDefinitions": [{"name": "web",
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": 7}}}]}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'containerDefinitions.1.member.logConfiguration.options.awslogs-group': \
                 expected a string, found number 7",
            ),
        ),
        (
            "RegisterTaskDefinition",
            json!({"family": "web", "containerDefinitions": [{"name": "web", "portMappings": [{"containerPort": 80}]}],
                "tags": [{"key": "k".repeat(129), "value": "v"}]}),
            err(
                "InvalidParameterException",
                &format!(
                    "1 validation error detected: Value '{}' at 'tags.1.member.key' failed to satisfy constraint: \
                     Member must have length less than or equal to 128",
                    "k".repeat(129)
                ),
            ),
        ),
        // CreateService
        (
            "CreateService",
            json!({"serviceName": "web", "taskDefinition": "web:3", "desiredCount": 2, "launchType": "FARGATE",
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}},
                "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50,
                    "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
                "tags": [{"key": "team", "value": "a"}]}),
            ok(),
        ),
        (
            "CreateService",
            json!({"serviceName": "web", "desiredCount": true}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'desiredCount': expected an integer, found boolean",
            ),
        ),
        (
            "CreateService",
            json!({"serviceName": "web", "capacityProviderStrategy": [{"weight": 1001}],
                "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true}}}),
            err(
                "InvalidParameterException",
                &format!(
                    "3 validation errors detected: \
                     Value null at 'capacityProviderStrategy.1.member.capacityProvider' {NOT_NULL}; \
                     Value '1001' at 'capacityProviderStrategy.1.member.weight' failed to satisfy constraint: \
                     Member must have value less than or equal to 1000; \
                     Value null at 'deploymentConfiguration.deploymentCircuitBreaker.rollback' {NOT_NULL}"
                ),
            ),
        ),
        (
            "CreateService",
            json!({"serviceName": "web", "serviceConnectConfiguration": {"enabled": true,
                "services": [{"portName": "http", "clientAliases": [{"port": 8080}, {"port": 70000}]}]}}),
            err(
                "InvalidParameterException",
                "1 validation error detected: Value '70000' at \
                 'serviceConnectConfiguration.services.1.member.clientAliases.2.member.port' failed to satisfy constraint: \
                 Member must have value less than or equal to 65535",
            ),
        ),
        (
            "CreateService",
            json!({"serviceName": "web", "schedulingStrategy": "daemon"}),
            err(
                "InvalidParameterException",
                "1 validation error detected: Value 'daemon' at 'schedulingStrategy' failed to satisfy constraint: \
                 Member must satisfy enum value set: [REPLICA, DAEMON]",
            ),
        ),
        // Others
        ("ListClusters", json!({}), ok()),
        ("ListClusters", json!({"maxResults": 10, "nextToken": "t"}), ok()),
        (
            "TagResource",
            json!({"resourceArn": "arn:aws:ecs:us-east-1:1:cluster/a"}),
            err("InvalidParameterException", &format!("1 validation error detected: Value null at 'tags' {NOT_NULL}")),
        ),
        ("Frobnicate", json!({}), err("UnknownOperationException", "Unknown operation Frobnicate")),
        (
            "StartTask",
            json!({}),
            err("UnknownOperationException", "Operation StartTask is not supported by this endpoint"),
        ),
    ];
    for (op, body, want) in cases {
        let got = check_input(op, &body).map_err(|e| (e.code, e.message));
        assert_eq!(got, want, "{op} {body}");
    }
}

#[test]
fn parse_input_normalizes_nulls_and_whole_numbers() {
    let body = json!({"taskDefinition": "web", "count": 2.0, "overrides": null, "tags": null,
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "securityGroups": null}}});
    let req: RunTaskRequest = parse_input("RunTask", &body).unwrap();
    assert_eq!(req.task_definition, "web");
    assert_eq!(req.count, Some(2));
    assert_eq!(req.overrides, None);
    assert!(req.tags.is_empty());
    let vpc = req.network_configuration.unwrap().awsvpc_configuration.unwrap();
    assert_eq!(vpc.subnets, vec!["s-1".to_string()]);
    assert!(vpc.security_groups.is_empty());

    let e = parse_input::<RunTaskRequest>("RunTask", &json!({"count": 1})).unwrap_err();
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn check_output_table() {
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("RunTask", json!({"tasks": [], "failures": []}), vec![]),
        ("RunTask", json!({}), vec![]),
        (
            "RunTask",
            json!({"tasks": [{"taskArn": "arn", "lastStatus": "RUNNING", "createdAt": 1700000000.5,
                "containers": [{"name": "web", "exitCode": 0, "networkBindings": [{"containerPort": 80}]}],
                "overrides": {"containerOverrides": []}, "enableExecuteCommand": false, "version": 1}],
                "failures": [{"arn": "arn", "reason": "MISSING"}]}),
            vec![],
        ),
        // An invented member, at the top and deep down.
        (
            "RunTask",
            json!({"tasks": [{"taskArn": "arn", "containers": [{"name": "web", "pid": 7}]}], "requestId": "x"}),
            vec!["requestId: not a member of RunTaskResponse", "tasks[0].containers[0].pid: not a member of Container"],
        ),
        // Wrong types.
        (
            "DescribeTasks",
            json!({"tasks": [{"taskArn": 7, "version": "1", "createdAt": "2023-11-14T22:13:20Z", "containers": {}}],
                "failures": [{"arn": ["a"]}]}),
            vec![
                "failures[0].arn: expected a string, found array",
                "tasks[0].containers: expected a list (JSON array), found object",
                "tasks[0].createdAt: expected a timestamp (epoch seconds, or an ISO-8601 string), found string \
                 (AWS JSON 1.1 writes epoch seconds as a number)",
                "tasks[0].taskArn: expected a string, found number 7",
                "tasks[0].version: expected an integer, found string",
            ],
        ),
        (
            "DescribeClusters",
            json!({"clusters": [{"runningTasksCount": 1.0}]}),
            vec!["clusters[0].runningTasksCount: expected an integer, found number 1.0 (written with a fraction)"],
        ),
        // Missing required members.
        (
            "DescribeServices",
            json!({"services": [{"serviceName": "web", "deploymentController": {},
                "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "DISABLED"}}}]}),
            vec![
                "services[0].deploymentController.type: required member of DeploymentController missing",
                "services[0].networkConfiguration.awsvpcConfiguration.subnets: required member of AwsVpcConfiguration missing",
            ],
        ),
        (
            "DescribeTaskDefinition",
            json!({"taskDefinition": {"family": "web", "containerDefinitions": [{"name": "web",
                "logConfiguration": {"options": {"a": "b"}}, "secrets": [{"name": "s"}]}]}}),
            vec![
                "taskDefinition.containerDefinitions[0].logConfiguration.logDriver: required member of LogConfiguration missing",
                "taskDefinition.containerDefinitions[0].secrets[0].valueFrom: required member of Secret missing",
            ],
        ),
        // Bad enum values, nulls, constraints.
        (
            "DescribeTasks",
            json!({"tasks": [{"launchType": "SPOT", "healthStatus": null, "tags": [{"key": ""}]}]}),
            vec![
                "tasks[0].healthStatus: null (AWS leaves an absent member out)",
                "tasks[0].launchType ('SPOT'): fails the model's LaunchType: \
                 Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]",
                "tasks[0].tags[0].key (''): fails the model's TagKey: Member must have length greater than or equal to 1",
            ],
        ),
        (
            "DescribeTaskDefinition",
            json!({"taskDefinition": {"containerDefinitions": [{"dockerLabels": {"a": 1}}]}}),
            vec![r#"taskDefinition.containerDefinitions[0].dockerLabels["a"]: expected a string, found number 1"#],
        ),
        ("ListClusters", json!([]), vec!["(body): expected a structure (JSON object), found array"]),
        ("Frobnicate", json!({}), vec!["unknown operation Frobnicate"]),
    ];
    for (op, body, want) in cases {
        assert_eq!(check_output(op, &body), want, "{op} {body}");
    }
}

#[test]
fn check_error_knows_declared_and_common_codes() {
    let cases = [
        ("ClusterNotFoundException", "RunTask", true),
        ("PlatformUnknownException", "RunTask", true),
        ("ServiceNotActiveException", "UpdateService", true),
        ("ServiceNotActiveException", "RunTask", false),
        ("ClusterContainsServicesException", "DeleteCluster", true),
        ("ClusterContainsServicesException", "CreateCluster", false),
        ("SerializationException", "RunTask", true),
        ("UnknownOperationException", "Frobnicate", true),
        ("AccessDeniedException", "ListClusters", true),
        ("NoSuchThingException", "RunTask", false),
        ("ClientException", "Frobnicate", false),
    ];
    for (code, op, want) in cases {
        assert_eq!(check_error(code, op), want, "{code} {op}");
    }
    assert!(is_server_fault("ServerException"));
    assert!(!is_server_fault("ClientException"));
    for code in ERROR_CODES {
        assert!(SUPPORTED_OPERATIONS.iter().any(|op| check_error(code, op)), "{code} is declared by no operation");
    }
}

#[test]
fn model_and_constants_agree() {
    assert_eq!(model()["metadata"]["targetPrefix"], TARGET_PREFIX);
    assert_eq!(model()["botocoreVersion"], BOTOCORE_VERSION);
    assert_eq!(ALL_OPERATIONS.len(), 88);
    let all: Vec<&str> = model()["allOperations"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(all, ALL_OPERATIONS);
    let ops: Vec<&str> = model()["operations"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(ops, SUPPORTED_OPERATIONS);
    assert_eq!(SUPPORTED_OPERATIONS.len(), 34);
    assert!(SUPPORTED_OPERATIONS.iter().all(|op| ALL_OPERATIONS.contains(op)));
    assert_eq!(input_shape("RunTask"), Some("RunTaskRequest"));
    assert_eq!(output_shape("RunTask"), Some("RunTaskResponse"));
    assert_eq!(LAUNCH_TYPE, ["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]);
    assert!(ERROR_CODES.contains(&"ClusterNotFoundException"));
    assert!(!MODEL_JSON.contains("\"documentation\""));
}

#[test]
fn the_free_functions_are_ecss_model() {
    assert_eq!(ecs().service(), "ECS");
    assert_eq!(ecs().target_prefix(), TARGET_PREFIX);
    assert_eq!(ecs().validation_style(), ValidationStyle::Counted);
    assert!(std::ptr::eq(model(), ecs().json()));
    assert!(std::ptr::eq(for_target_prefix(TARGET_PREFIX).unwrap(), ecs()));
    assert!(std::ptr::eq(for_target_prefix(crate::ecr::TARGET_PREFIX).unwrap(), ecr()));
    assert!(for_target_prefix("DynamoDB_20120810").is_none());
    assert!(ecs().supports("RunTask") && !ecs().supports("StartTask"));
    assert!(ecs().has_operation("StartTask") && !ecs().has_operation("CreateRepository"));
    assert_eq!(ecs().pattern("TagKey"), Some(r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"));
    let body = json!({"family": null});
    assert_eq!(check_input("RegisterTaskDefinition", &body), ecs().check_input("RegisterTaskDefinition", &body));
    assert_eq!(operation_errors("RunTask"), ecs().operation_errors("RunTask"));
}

#[test]
fn default_response_serializes_lists_and_omits_options() {
    let body = serde_json::to_value(RunTaskResponse::default()).unwrap();
    assert_eq!(body, json!({"tasks": [], "failures": []}));
    let task =
        Task { task_arn: Some("arn".into()), created_at: Timestamp::from_epoch_millis(1_500), ..Task::default() };
    let body = serde_json::to_value(RunTaskResponse { tasks: vec![task], ..Default::default() }).unwrap();
    assert_eq!(body["tasks"][0]["createdAt"], json!(1.5));
    assert_eq!(body["tasks"][0]["containers"], json!([]));
    assert_eq!(body["tasks"][0].get("lastStatus"), None);
    assert_eq!(check_output("RunTask", &body), Vec::<String>::new());
    let back: RunTaskResponse = serde_json::from_value(body).unwrap();
    assert_eq!(back.tasks[0].task_arn.as_deref(), Some("arn"));
}

/// ECS: [`round_trip_in`].
fn round_trip<Req, Resp>(op: &str, input: Option<&Value>, output: Option<&Value>)
where
    Req: DeserializeOwned + Serialize + PartialEq + fmt::Debug,
    Resp: DeserializeOwned + Serialize + PartialEq + fmt::Debug,
{
    round_trip_in::<Req, Resp>(ecs(), op, input, output)
}

/// Deserializes `input` and `output` into the operation's generated types, checks both bodies
/// against the service's model, and checks that the types serialize them back into conforming
/// bodies.
pub(super) fn round_trip_in<Req, Resp>(model: &Model, op: &str, input: Option<&Value>, output: Option<&Value>)
where
    Req: DeserializeOwned + Serialize + PartialEq + fmt::Debug,
    Resp: DeserializeOwned + Serialize + PartialEq + fmt::Debug,
{
    if let Some(input) = input {
        let req: Req = model.parse_input(op, input).unwrap_or_else(|e| panic!("{op} input: {e}\n{input}"));
        let again = serde_json::to_value(&req).unwrap();
        assert_eq!(model.check_input(op, &again), Ok(()), "{op} input serialized back: {again}");
        assert_eq!(serde_json::from_value::<Req>(again).unwrap(), req);
    }
    if let Some(output) = output {
        // botocore's examples write timestamps as ISO-8601 strings (the docs' rendering), where the
        // wire has epoch seconds: that is the one departure from the model allowed here.
        let problems = model.check_output(op, output);
        let wire = "(AWS JSON 1.1 writes epoch seconds as a number)";
        assert_eq!(
            problems.iter().filter(|p| !p.ends_with(wire)).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{op} {output}"
        );
        let resp: Resp =
            serde_json::from_value(output.clone()).unwrap_or_else(|e| panic!("{op} output: {e}\n{output}"));
        let again = serde_json::to_value(&resp).unwrap();
        assert_eq!(model.check_output(op, &again), Vec::<String>::new(), "{op} output serialized back: {again}");
        assert_eq!(serde_json::from_value::<Resp>(again).unwrap(), resp);
    }
}

/// The generated request and response types of each supported operation.
fn round_trip_op(op: &str, input: Option<&Value>, output: Option<&Value>) {
    match op {
        "CreateCluster" => round_trip::<CreateClusterRequest, CreateClusterResponse>(op, input, output),
        "CreateService" => round_trip::<CreateServiceRequest, CreateServiceResponse>(op, input, output),
        "DeleteCluster" => round_trip::<DeleteClusterRequest, DeleteClusterResponse>(op, input, output),
        "DeleteService" => round_trip::<DeleteServiceRequest, DeleteServiceResponse>(op, input, output),
        "DeleteTaskDefinitions" => {
            round_trip::<DeleteTaskDefinitionsRequest, DeleteTaskDefinitionsResponse>(op, input, output)
        }
        "DeregisterTaskDefinition" => {
            round_trip::<DeregisterTaskDefinitionRequest, DeregisterTaskDefinitionResponse>(op, input, output)
        }
        "DescribeClusters" => round_trip::<DescribeClustersRequest, DescribeClustersResponse>(op, input, output),
        "DescribeContainerInstances" => {
            round_trip::<DescribeContainerInstancesRequest, DescribeContainerInstancesResponse>(op, input, output)
        }
        "DescribeServices" => round_trip::<DescribeServicesRequest, DescribeServicesResponse>(op, input, output),
        "DescribeTaskDefinition" => {
            round_trip::<DescribeTaskDefinitionRequest, DescribeTaskDefinitionResponse>(op, input, output)
        }
        "DescribeTasks" => round_trip::<DescribeTasksRequest, DescribeTasksResponse>(op, input, output),
        "ListClusters" => round_trip::<ListClustersRequest, ListClustersResponse>(op, input, output),
        "ListContainerInstances" => {
            round_trip::<ListContainerInstancesRequest, ListContainerInstancesResponse>(op, input, output)
        }
        "ListServices" => round_trip::<ListServicesRequest, ListServicesResponse>(op, input, output),
        "ListTagsForResource" => {
            round_trip::<ListTagsForResourceRequest, ListTagsForResourceResponse>(op, input, output)
        }
        "ListTaskDefinitionFamilies" => {
            round_trip::<ListTaskDefinitionFamiliesRequest, ListTaskDefinitionFamiliesResponse>(op, input, output)
        }
        "ListTaskDefinitions" => {
            round_trip::<ListTaskDefinitionsRequest, ListTaskDefinitionsResponse>(op, input, output)
        }
        "ListTasks" => round_trip::<ListTasksRequest, ListTasksResponse>(op, input, output),
        "RegisterTaskDefinition" => {
            round_trip::<RegisterTaskDefinitionRequest, RegisterTaskDefinitionResponse>(op, input, output)
        }
        "RunTask" => round_trip::<RunTaskRequest, RunTaskResponse>(op, input, output),
        "StopTask" => round_trip::<StopTaskRequest, StopTaskResponse>(op, input, output),
        "TagResource" => round_trip::<TagResourceRequest, TagResourceResponse>(op, input, output),
        "UntagResource" => round_trip::<UntagResourceRequest, UntagResourceResponse>(op, input, output),
        "UpdateCluster" => round_trip::<UpdateClusterRequest, UpdateClusterResponse>(op, input, output),
        "UpdateService" => round_trip::<UpdateServiceRequest, UpdateServiceResponse>(op, input, output),
        "PutAccountSetting" => round_trip::<PutAccountSettingRequest, PutAccountSettingResponse>(op, input, output),
        "PutAccountSettingDefault" => {
            round_trip::<PutAccountSettingDefaultRequest, PutAccountSettingDefaultResponse>(op, input, output)
        }
        "ListAccountSettings" => {
            round_trip::<ListAccountSettingsRequest, ListAccountSettingsResponse>(op, input, output)
        }
        "DeleteAccountSetting" => {
            round_trip::<DeleteAccountSettingRequest, DeleteAccountSettingResponse>(op, input, output)
        }
        "CreateCapacityProvider" => {
            round_trip::<CreateCapacityProviderRequest, CreateCapacityProviderResponse>(op, input, output)
        }
        "DescribeCapacityProviders" => {
            round_trip::<DescribeCapacityProvidersRequest, DescribeCapacityProvidersResponse>(op, input, output)
        }
        "UpdateCapacityProvider" => {
            round_trip::<UpdateCapacityProviderRequest, UpdateCapacityProviderResponse>(op, input, output)
        }
        "DeleteCapacityProvider" => {
            round_trip::<DeleteCapacityProviderRequest, DeleteCapacityProviderResponse>(op, input, output)
        }
        "PutClusterCapacityProviders" => {
            round_trip::<PutClusterCapacityProvidersRequest, PutClusterCapacityProvidersResponse>(op, input, output)
        }
        other => panic!("no generated types listed for {other}"),
    }
}

#[test]
fn every_supported_operation_round_trips_its_defaults() {
    for op in SUPPORTED_OPERATIONS {
        // No output shape of a supported operation has required members: `{}` is a valid response.
        round_trip_op(op, None, Some(&json!({})));
    }
}

#[test]
fn botocore_examples_pass_the_checks_and_round_trip() {
    let examples: Value = serde_json::from_str(EXAMPLES_JSON).unwrap();
    let mut count = 0;
    for (op, cases) in examples["examples"].as_object().unwrap() {
        for case in cases.as_array().unwrap() {
            round_trip_op(op, case.get("input"), case.get("output"));
            count += 1;
        }
    }
    // RegisterTaskDefinition's and DescribeTasks' examples among them.
    assert!(examples["examples"]["RegisterTaskDefinition"][0]["input"]["containerDefinitions"].is_array());
    assert!(examples["examples"]["DescribeTasks"][0]["output"]["tasks"].is_array());
    assert!(count >= 25, "{count} examples");
}
