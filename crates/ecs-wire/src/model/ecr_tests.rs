//! The checks over ECR's model (`ecr()`) and ECR's generated types (`crate::ecr`).

use super::tests::round_trip_in;
use super::*;
use crate::Timestamp;
use crate::ecr::*;
use pretty_assertions::assert_eq;
use serde::Serialize;
use serde_json::json;

const EXAMPLES_JSON: &str = include_str!("../../model/ecr-2015-09-21.examples.json");

/// What `check_input` should answer: `Ok`, or the error's code and message.
type Want = Result<(), (&'static str, String)>;

fn ok() -> Want {
    Ok(())
}

fn err(code: &'static str, message: &str) -> Want {
    Err((code, message.to_string()))
}

/// ECR's wording of a violation: `Invalid parameter at '<path>' failed to satisfy constraint: '<constraint>'`.
fn invalid(path: &str, constraint: &str) -> Want {
    err(
        "InvalidParameterException",
        &format!("Invalid parameter at '{path}' failed to satisfy constraint: '{constraint}'"),
    )
}

const NOT_NULL: &str = "Member must not be null";

fn policy_text() -> String {
    json!({"rules": [{"rulePriority": 1, "description": "expire untagged images",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
        "action": {"type": "expire"}}]})
    .to_string()
}

#[test]
fn check_input_table() {
    let cases: Vec<(&str, Value, Want)> = vec![
        // CreateRepository
        ("CreateRepository", json!({"repositoryName": "project-a/nginx-web-app"}), ok()),
        (
            "CreateRepository",
            json!({"repositoryName": "web", "imageTagMutability": "IMMUTABLE", "tags": [{"Key": "team", "Value": "a"}],
                "imageScanningConfiguration": {"scanOnPush": true}, "encryptionConfiguration": {"encryptionType": "AES256"},
                "notAMember": 1}),
            ok(),
        ),
        ("CreateRepository", json!({}), invalid("repositoryName", NOT_NULL)),
        ("CreateRepository", json!({"repositoryName": null}), invalid("repositoryName", NOT_NULL)),
        (
            "CreateRepository",
            json!({"repositoryName": "web", "imageTagMutability": "WRONG"}),
            invalid(
                "imageTagMutability",
                "Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]",
            ),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": "web", "imageTagMutability": "mutable"}),
            invalid(
                "imageTagMutability",
                "Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]",
            ),
        ),
        // ECR reports the first violation (members in the model's order), not a count of them.
        (
            "CreateRepository",
            json!({"imageTagMutability": "WRONG"}),
            invalid(
                "imageTagMutability",
                "Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]",
            ),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": "a"}),
            invalid("repositoryName", "Member must have length greater than or equal to 2"),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": "a".repeat(257)}),
            invalid("repositoryName", "Member must have length less than or equal to 256"),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": 7}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'repositoryName': expected a string, found number 7",
            ),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": "web", "imageScanningConfiguration": {"scanOnPush": "true"}}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'imageScanningConfiguration.scanOnPush': expected a boolean, found string",
            ),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": "web", "tags": [{"Key": "team", "Value": "a"}, {"Key": "env"}]}),
            invalid("tags.2.member.Value", NOT_NULL),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": "web", "encryptionConfiguration": {"encryptionType": "PLAIN"}}),
            invalid(
                "encryptionConfiguration.encryptionType",
                "Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]",
            ),
        ),
        (
            "CreateRepository",
            json!({"repositoryName": "web", "imageTagMutabilityExclusionFilters": []}),
            invalid("imageTagMutabilityExclusionFilters", "Member must have length greater than or equal to 1"),
        ),
        // PutLifecyclePolicy
        ("PutLifecyclePolicy", json!({"repositoryName": "web", "lifecyclePolicyText": policy_text()}), ok()),
        ("PutLifecyclePolicy", json!({"repositoryName": "web"}), invalid("lifecyclePolicyText", NOT_NULL)),
        (
            "PutLifecyclePolicy",
            json!({"repositoryName": "web", "lifecyclePolicyText": null}),
            invalid("lifecyclePolicyText", NOT_NULL),
        ),
        ("PutLifecyclePolicy", json!({}), invalid("lifecyclePolicyText", NOT_NULL)),
        (
            "PutLifecyclePolicy",
            json!({"repositoryName": "web", "lifecyclePolicyText": "{}"}),
            invalid("lifecyclePolicyText", "Member must have length greater than or equal to 100"),
        ),
        (
            "PutLifecyclePolicy",
            json!({"repositoryName": "web", "lifecyclePolicyText": {"rules": []}}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'lifecyclePolicyText': expected a string, found object",
            ),
        ),
        // Others
        ("DescribeRepositories", json!({}), ok()),
        ("DescribeRepositories", json!({"repositoryNames": ["web"], "maxResults": 2.0}), ok()),
        (
            "DescribeRepositories",
            json!({"repositoryNames": []}),
            invalid("repositoryNames", "Member must have length greater than or equal to 1"),
        ),
        (
            "DescribeRepositories",
            json!({"maxResults": 1001}),
            invalid("maxResults", "Member must have value less than or equal to 1000"),
        ),
        (
            "BatchDeleteImage",
            json!({"repositoryName": "ubuntu", "imageIds": []}),
            invalid("imageIds", "Member must have length greater than or equal to 1"),
        ),
        ("BatchDeleteImage", json!({"repositoryName": "ubuntu"}), invalid("imageIds", NOT_NULL)),
        (
            "BatchGetImage",
            json!({"repositoryName": "ubuntu", "imageIds": [{"imageTag": ""}]}),
            invalid("imageIds.1.member.imageTag", "Member must have length greater than or equal to 1"),
        ),
        (
            "ListImages",
            json!({"repositoryName": "ubuntu", "filter": {"tagStatus": "untagged"}}),
            invalid("filter.tagStatus", "Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]"),
        ),
        ("GetAuthorizationToken", json!({}), ok()),
        (
            "GetAuthorizationToken",
            json!({"registryIds": "123456789012"}),
            err(
                "SerializationException",
                "Cannot deserialize value at 'registryIds': expected a list (JSON array), found string",
            ),
        ),
        ("PutImageTagMutability", json!({"repositoryName": "web"}), invalid("imageTagMutability", NOT_NULL)),
        (
            "TagResource",
            json!({"resourceArn": "arn:aws:ecr:us-east-1:123456789012:repository/web"}),
            invalid("tags", NOT_NULL),
        ),
        ("UntagResource", json!({"resourceArn": "arn", "tagKeys": ["team"]}), ok()),
        // ECR's TagKey has no length constraint (ECS's has).
        ("UntagResource", json!({"resourceArn": "arn", "tagKeys": [""]}), ok()),
        ("UntagResource", json!({"resourceArn": "arn", "tagKeys": []}), ok()),
        ("ListTagsForResource", json!({}), invalid("resourceArn", NOT_NULL)),
        (
            "CreateRepository",
            json!(["web"]),
            err("SerializationException", "Cannot deserialize the request body: expected a JSON object, found array"),
        ),
        (
            "PutImage",
            json!({}),
            err("UnknownOperationException", "Operation PutImage is not supported by this endpoint"),
        ),
        // An ECS operation is no ECR operation.
        ("RunTask", json!({}), err("UnknownOperationException", "Unknown operation RunTask")),
    ];
    for (op, body, want) in cases {
        let got = ecr().check_input(op, &body).map_err(|e| (e.code, e.message));
        assert_eq!(got, want, "{op} {body}");
    }
    // The same operation name, each service's model: ECS's TagResource is not ECR's.
    let ecs_tags = json!({"resourceArn": "arn", "tags": [{"key": "team", "value": "a"}]});
    assert_eq!(ecs().check_input("TagResource", &ecs_tags), Ok(()));
    assert_eq!(
        ecr().check_input("TagResource", &ecs_tags).map_err(|e| e.message),
        Err(format!("Invalid parameter at 'tags.1.member.Key' failed to satisfy constraint: '{NOT_NULL}'"))
    );
}

#[test]
fn parse_input_reads_the_generated_request_types() {
    let body = json!({"repositoryName": "web", "imageTagMutability": "IMMUTABLE", "registryId": null,
        "tags": [{"Key": "team", "Value": "a"}], "imageScanningConfiguration": {"scanOnPush": true}});
    let req: CreateRepositoryRequest = ecr().parse_input("CreateRepository", &body).unwrap();
    assert_eq!(req.repository_name, "web");
    assert_eq!(req.image_tag_mutability.as_deref(), Some("IMMUTABLE"));
    assert_eq!(req.registry_id, None);
    assert_eq!(req.tags, vec![Tag { key: "team".into(), value: "a".into() }]);
    assert_eq!(req.image_scanning_configuration.and_then(|c| c.scan_on_push), Some(true));
    assert!(req.image_tag_mutability_exclusion_filters.is_empty());

    let req: PutLifecyclePolicyRequest = ecr()
        .parse_input("PutLifecyclePolicy", &json!({"repositoryName": "web", "lifecyclePolicyText": policy_text()}))
        .unwrap();
    assert_eq!(req.lifecycle_policy_text, policy_text());

    let req: DescribeImagesRequest = ecr()
        .parse_input("DescribeImages", &json!({"repositoryName": "web", "maxResults": 10.0, "imageIds": null}))
        .unwrap();
    assert_eq!(req.max_results, Some(10));
    // Request-only lists with a minimum length are left out when empty, not written `[]`.
    assert_eq!(serde_json::to_value(&req).unwrap(), json!({"repositoryName": "web", "maxResults": 10}));
    let body = serde_json::to_value(DescribeRepositoriesRequest::default()).unwrap();
    assert_eq!(body, json!({}));
    assert_eq!(ecr().check_input("DescribeRepositories", &body), Ok(()));

    let mut body = json!({"repositoryName": "web", "maxResults": 5.0, "nextToken": null});
    ecr().normalize_input("ListImages", &mut body);
    assert_eq!(body, json!({"repositoryName": "web", "maxResults": 5}));
}

#[test]
fn describe_images_response_round_trips_with_lists() {
    let pushed = Timestamp::from_epoch_millis(1_700_000_000_500).unwrap();
    let detail = ImageDetail {
        registry_id: Some("123456789012".into()),
        repository_name: Some("web".into()),
        image_digest: Some("sha256:0123".into()),
        image_tags: vec!["v1".into(), "latest".into()],
        image_size_in_bytes: Some(52_428_800),
        image_pushed_at: Some(pushed),
        image_manifest_media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
        image_scan_findings_summary: Some(ImageScanFindingsSummary {
            finding_severity_counts: [("HIGH".to_string(), 2), ("LOW".to_string(), 5)].into_iter().collect(),
            ..Default::default()
        }),
        image_status: Some("ACTIVE".into()),
        ..Default::default()
    };
    let untagged = ImageDetail { image_digest: Some("sha256:4567".into()), ..Default::default() };
    let response = DescribeImagesResponse { image_details: vec![detail, untagged], next_token: Some("t".into()) };
    let body = serde_json::to_value(&response).unwrap();
    assert_eq!(
        body,
        json!({"imageDetails": [
            {"registryId": "123456789012", "repositoryName": "web", "imageDigest": "sha256:0123",
             "imageTags": ["v1", "latest"], "imageSizeInBytes": 52428800, "imagePushedAt": 1700000000.5,
             "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
             "imageScanFindingsSummary": {"findingSeverityCounts": {"HIGH": 2, "LOW": 5}}, "imageStatus": "ACTIVE"},
            {"imageDigest": "sha256:4567", "imageTags": []}],
            "nextToken": "t"})
    );
    assert_eq!(ecr().check_output("DescribeImages", &body), Vec::<String>::new());
    let back: DescribeImagesResponse = serde_json::from_value(body).unwrap();
    assert_eq!(back, response);
    assert_eq!(back.image_details[0].image_pushed_at.unwrap().epoch_millis(), 1_700_000_000_500);
}

#[test]
fn check_output_table() {
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("DescribeRepositories", json!({"repositories": []}), vec![]),
        (
            "CreateRepository",
            json!({"repository": {"repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/web",
                "registryId": "123456789012", "repositoryName": "web",
                "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web", "createdAt": 1700000000,
                "imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": false},
                "encryptionConfiguration": {"encryptionType": "AES256"}}}),
            vec![],
        ),
        // AWS answers none as `[]` even where the list has a minimum length (that constrains requests).
        ("ListImages", json!({"imageIds": []}), vec![]),
        (
            "BatchDeleteImage",
            json!({"imageIds": [], "failures": [{"imageId": {"imageTag": "x"},
            "failureCode": "ImageNotFound", "failureReason": "Requested image not found"}]}),
            vec![],
        ),
        (
            "DescribeRepositories",
            json!({"repositories": [{"repositoryName": "web", "createdAt": "2023-11-14T22:13:20Z",
                "imageTagMutability": "WRONG", "encryptionConfiguration": {},
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD"}], "policy": "{}"}]}),
            vec![
                "repositories[0].createdAt: expected a timestamp (epoch seconds, or an ISO-8601 string), found string \
                 (AWS JSON 1.1 writes epoch seconds as a number)",
                "repositories[0].encryptionConfiguration.encryptionType: required member of EncryptionConfiguration missing",
                "repositories[0].imageTagMutability ('WRONG'): fails the model's ImageTagMutability: \
                 Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]",
                "repositories[0].imageTagMutabilityExclusionFilters[0].filter: required member of \
                 ImageTagMutabilityExclusionFilter missing",
                "repositories[0].policy: not a member of Repository",
            ],
        ),
        (
            "ListTagsForResource",
            json!({"tags": [{"Key": "team"}, {"key": "env", "Value": "dev"}]}),
            vec![
                "tags[0].Value: required member of Tag missing",
                "tags[1].Key: required member of Tag missing",
                "tags[1].key: not a member of Tag",
            ],
        ),
        (
            "GetAuthorizationToken",
            json!({"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA==", "expiresAt": 1700043200,
                "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]}),
            vec![],
        ),
        (
            "DescribeImages",
            json!({"imageDetails": [{"imageScanFindingsSummary": {"findingSeverityCounts": {"SEVERE": 1, "LOW": -1}}}]}),
            vec![
                r#"imageDetails[0].imageScanFindingsSummary.findingSeverityCounts["LOW"] (-1): fails the model's SeverityCount: Member must have value greater than or equal to 0"#,
                "imageDetails[0].imageScanFindingsSummary.findingSeverityCounts: key 'SEVERE' fails the model's \
                 FindingSeverity: Member must satisfy enum value set: [INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNDEFINED]",
            ],
        ),
        ("DeleteLifecyclePolicy", json!({"repositoryName": "web", "lastEvaluatedAt": 1700000000.123}), vec![]),
        ("RunTask", json!({}), vec!["unknown operation RunTask"]),
    ];
    for (op, body, want) in cases {
        assert_eq!(ecr().check_output(op, &body), want, "{op} {body}");
    }
}

#[test]
fn check_error_knows_ecrs_codes() {
    let cases = [
        ("RepositoryNotFoundException", "DescribeImages", true),
        ("ImageNotFoundException", "DescribeImages", true),
        ("ImageNotFoundException", "ListImages", false),
        ("RepositoryAlreadyExistsException", "CreateRepository", true),
        ("RepositoryNotEmptyException", "DeleteRepository", true),
        ("LifecyclePolicyNotFoundException", "GetLifecyclePolicy", true),
        ("LifecyclePolicyNotFoundException", "PutLifecyclePolicy", false),
        ("InvalidParameterException", "GetAuthorizationToken", true),
        ("ClusterNotFoundException", "DescribeImages", false),
        ("SerializationException", "CreateRepository", true),
    ];
    for (code, op, want) in cases {
        assert_eq!(ecr().check_error(code, op), want, "{code} {op}");
    }
    assert!(ecr().is_server_fault("ServerException"));
    assert!(!ecr().is_server_fault("RepositoryNotFoundException"));
    for code in ERROR_CODES {
        assert!(
            SUPPORTED_OPERATIONS.iter().any(|op| ecr().check_error(code, op)),
            "{code} is declared by no operation"
        );
    }
    assert_eq!(
        ERROR_CODES,
        [
            "ImageNotFoundException",
            "InvalidParameterException",
            "InvalidTagParameterException",
            "KmsException",
            "LifecyclePolicyNotFoundException",
            "LimitExceededException",
            "RepositoryAlreadyExistsException",
            "RepositoryNotEmptyException",
            "RepositoryNotFoundException",
            "ServerException",
            "TooManyTagsException",
            "UnableToGetUpstreamImageException",
            "ValidationException",
        ]
    );
}

#[test]
fn model_and_constants_agree() {
    let m = ecr();
    assert!(std::ptr::eq(m, crate::ecr::model()));
    assert_eq!(m.service(), "ECR");
    assert_eq!(m.validation_style(), ValidationStyle::InvalidParameterAt);
    assert_eq!(m.target_prefix(), TARGET_PREFIX);
    assert_eq!(TARGET_PREFIX, "AmazonEC2ContainerRegistry_V20150921");
    assert_eq!(m.json()["botocoreVersion"], BOTOCORE_VERSION);
    assert_eq!(BOTOCORE_VERSION, crate::BOTOCORE_VERSION);
    let all: Vec<&str> = m.json()["allOperations"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(all, ALL_OPERATIONS);
    assert_eq!(ALL_OPERATIONS.len(), 62);
    let ops: Vec<&str> = m.json()["operations"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(ops, SUPPORTED_OPERATIONS);
    assert_eq!(SUPPORTED_OPERATIONS.len(), 15);
    assert!(SUPPORTED_OPERATIONS.iter().all(|op| ALL_OPERATIONS.contains(op) && m.supports(op)));
    assert!(m.has_operation("PutImage") && !m.supports("PutImage"));
    assert_eq!(m.input_shape("CreateRepository"), Some("CreateRepositoryRequest"));
    assert_eq!(m.output_shape("GetAuthorizationToken"), Some("GetAuthorizationTokenResponse"));
    assert_eq!(IMAGE_TAG_MUTABILITY, ["MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"]);
    assert_eq!(TAG_STATUS, ["TAGGED", "UNTAGGED", "ANY"]);
    assert_eq!(m.pattern("RegistryId"), Some("[0-9]{12}"));
    assert!(m.pattern("RepositoryName").is_some());
    assert_eq!(m.pattern("ImageTag"), None);
    assert!(!ECR_MODEL_JSON.contains("\"documentation\""));
    // No blob reaches the supported operations; the authorization token is a (base64) string.
    assert!(m.json()["shapes"].as_object().unwrap().values().all(|s| s["type"] != "blob"));
    assert_eq!(m.shape("Base64").unwrap()["type"], "string");
}

/// The generated request and response types of each supported ECR operation.
fn round_trip_op(op: &str, input: Option<&Value>, output: Option<&Value>) {
    fn rt<Req, Resp>(op: &str, input: Option<&Value>, output: Option<&Value>)
    where
        Req: DeserializeOwned + Serialize + PartialEq + fmt::Debug,
        Resp: DeserializeOwned + Serialize + PartialEq + fmt::Debug,
    {
        round_trip_in::<Req, Resp>(ecr(), op, input, output)
    }
    match op {
        "BatchDeleteImage" => rt::<BatchDeleteImageRequest, BatchDeleteImageResponse>(op, input, output),
        "BatchGetImage" => rt::<BatchGetImageRequest, BatchGetImageResponse>(op, input, output),
        "CreateRepository" => rt::<CreateRepositoryRequest, CreateRepositoryResponse>(op, input, output),
        "DeleteLifecyclePolicy" => rt::<DeleteLifecyclePolicyRequest, DeleteLifecyclePolicyResponse>(op, input, output),
        "DeleteRepository" => rt::<DeleteRepositoryRequest, DeleteRepositoryResponse>(op, input, output),
        "DescribeImages" => rt::<DescribeImagesRequest, DescribeImagesResponse>(op, input, output),
        "DescribeRepositories" => rt::<DescribeRepositoriesRequest, DescribeRepositoriesResponse>(op, input, output),
        "GetAuthorizationToken" => rt::<GetAuthorizationTokenRequest, GetAuthorizationTokenResponse>(op, input, output),
        "GetLifecyclePolicy" => rt::<GetLifecyclePolicyRequest, GetLifecyclePolicyResponse>(op, input, output),
        "ListImages" => rt::<ListImagesRequest, ListImagesResponse>(op, input, output),
        "ListTagsForResource" => rt::<ListTagsForResourceRequest, ListTagsForResourceResponse>(op, input, output),
        "PutImageTagMutability" => rt::<PutImageTagMutabilityRequest, PutImageTagMutabilityResponse>(op, input, output),
        "PutLifecyclePolicy" => rt::<PutLifecyclePolicyRequest, PutLifecyclePolicyResponse>(op, input, output),
        "TagResource" => rt::<TagResourceRequest, TagResourceResponse>(op, input, output),
        "UntagResource" => rt::<UntagResourceRequest, UntagResourceResponse>(op, input, output),
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
fn more_operations_round_trip() {
    let policy = policy_text();
    let cases = [
        (
            "PutLifecyclePolicy",
            json!({"repositoryName": "web", "lifecyclePolicyText": policy}),
            json!({"registryId": "123456789012", "repositoryName": "web", "lifecyclePolicyText": policy}),
        ),
        (
            "GetLifecyclePolicy",
            json!({"repositoryName": "web"}),
            json!({"registryId": "123456789012", "repositoryName": "web", "lifecyclePolicyText": policy,
                "lastEvaluatedAt": 1700000000.25}),
        ),
        (
            "GetAuthorizationToken",
            json!({}),
            json!({"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA==", "expiresAt": 1700043200,
                "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]}),
        ),
        (
            "PutImageTagMutability",
            json!({"repositoryName": "web", "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}]}),
            json!({"registryId": "123456789012", "repositoryName": "web", "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}]}),
        ),
        (
            "ListTagsForResource",
            json!({"resourceArn": "arn:aws:ecr:us-east-1:123456789012:repository/web"}),
            json!({"tags": [{"Key": "team", "Value": "a"}]}),
        ),
        (
            "DescribeImages",
            json!({"repositoryName": "web", "imageIds": [{"imageTag": "v1"}], "filter": {"tagStatus": "TAGGED"}}),
            json!({"imageDetails": [{"imageDigest": "sha256:0123", "imageTags": ["v1"], "imagePushedAt": 1700000000}]}),
        ),
    ];
    for (op, input, output) in cases {
        round_trip_op(op, Some(&input), Some(&output));
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
    assert!(examples["examples"]["BatchGetImage"][0]["output"]["images"].is_array());
    assert!(examples["examples"]["CreateRepository"][0]["input"]["repositoryName"].is_string());
    // botocore has examples of 6 of the 15 (BatchDeleteImage, BatchGetImage, CreateRepository,
    // DeleteRepository, DescribeRepositories, ListImages).
    assert_eq!(count, 6, "{count} examples");
}
