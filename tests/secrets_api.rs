//! Secrets Manager and SSM Parameter Store on the ECS API endpoint (docs/secrets.md), with the AWS
//! CLI: values made with `aws secretsmanager create-secret` and `aws ssm put-parameter` reach a
//! task's container on a real node through its task definition's `secrets[].valueFrom` (the ARNs the
//! API returned, a JSON key of a secret); the services' own errors for bad input; a kubectl-made
//! Secret in the documented shape read through the API; RBAC on `secrets` decides.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube_ecs::api::{Task, TaskDefinition};
use support::apply;
use support::ecs_api::{EcsApi, Key};

/// Every test of this binary shares one cluster: one real node for the task that reads its secrets.
async fn setup(prefix: &str) -> (Client, String, &'static EcsApi) {
    support::with_real_nodes(1);
    let api = support::ecs_api::start();
    let client = support::client().await;
    let ns = support::namespace(&client, prefix).await;
    (client, ns, api)
}

/// What a team may do with Secrets in its namespace (the built-in `edit` grants it).
async fn grant_secrets(client: &Client, user: &str, namespace: &str) {
    let params = PatchParams::apply("test-user").force();
    let name = format!("secrets-{user}");
    let role = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "create", "update", "delete"]}],
    });
    let binding = serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    });
    Api::<k8s_openapi::api::rbac::v1::Role>::namespaced(client.clone(), namespace)
        .patch(&name, &params, &Patch::Apply(&role))
        .await
        .expect("role");
    Api::<k8s_openapi::api::rbac::v1::RoleBinding>::namespaced(client.clone(), namespace)
        .patch(&name, &params, &Patch::Apply(&binding))
        .await
        .expect("binding");
}

/// A key for a user with the team's RBAC and, with `secrets`, rights on Secrets.
async fn team_key(client: &Client, api: &EcsApi, ns: &str, user: &str, secrets: bool) -> Key {
    support::ecs_api::grant(client, user, ns, false).await;
    if secrets {
        grant_secrets(client, user, ns).await;
    }
    support::ecs_api::key(client, api, user, ns).await
}

fn sm(api: &EcsApi, key: &Key, args: &[&str]) -> (bool, serde_json::Value, String) {
    support::ecs_api::aws_service("secretsmanager", &api.url, &api.region, key, args, &[])
}

fn ssm(api: &EcsApi, key: &Key, args: &[&str]) -> (bool, serde_json::Value, String) {
    support::ecs_api::aws_service("ssm", &api.url, &api.region, key, args, &[])
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
async fn values_made_through_the_api_reach_a_task_on_a_real_node() {
    let (client, ns, api) = setup("secrets-task").await;
    support::real_nodes_cluster(&client, &ns).await;
    let key = team_key(&client, api, &ns, "secrets-task", true).await;

    let created = ok(
        "create-secret",
        sm(
            api,
            &key,
            &["create-secret", "--name", "prod/db", "--secret-string", r#"{"username":"app","password":"s3cr3t"}"#],
        ),
    );
    let secret_arn = created["ARN"].as_str().expect("ARN").to_string();
    assert!(
        secret_arn.starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-")
            && secret_arn.len() == 67,
        "{secret_arn}"
    );
    ok(
        "put-parameter",
        ssm(api, &key, &["put-parameter", "--name", "/prod/api-key", "--value", "k3y", "--type", "SecureString"]),
    );
    let parameter = ok("get-parameter", ssm(api, &key, &["get-parameter", "--name", "/prod/api-key"]));
    let parameter_arn = parameter["Parameter"]["ARN"].as_str().expect("ARN").to_string();
    assert_eq!(parameter_arn, "arn:aws:ssm:us-east-1:000000000000:parameter/prod/api-key");
    assert_ne!(parameter["Parameter"]["Value"], "k3y", "a SecureString without --with-decryption is not its value");

    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), &ns);
    apply(
        &definitions,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "TaskDefinition", "metadata": {"name": "reads-secrets"},
            "spec": {"containerDefinitions": [{"name": "app", "image": "busybox:1.36", "memory": 64,
                "entryPoint": ["sh", "-c"], "command": ["echo \"PASSWORD=$DB_PASSWORD KEY=$API_KEY WHOLE=$DB\"; sleep 3600"],
                "secrets": [
                    {"name": "DB_PASSWORD", "valueFrom": format!("{secret_arn}:password::")},
                    {"name": "API_KEY", "valueFrom": parameter_arn},
                    {"name": "DB", "valueFrom": secret_arn},
                ]}]}}),
    )
    .await;
    let tasks: Api<Task> = Api::namespaced(client.clone(), &ns);
    apply(
        &tasks,
        serde_json::json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Task", "metadata": {"name": "reads-secrets"},
            "spec": {"taskDefinition": "reads-secrets", "cluster": ns}}),
    )
    .await;
    let running =
        support::wait_for_within(&tasks, "reads-secrets", "lastStatus RUNNING", Duration::from_secs(120), |t| {
            t.status.as_ref().and_then(|s| s.last_status.map(|v| v.as_str())) == Some("RUNNING")
        })
        .await;
    let pod = running.status.and_then(|s| s.pod).expect("pod");
    let log = support::wait_log(&ns, &pod, "app", "PASSWORD=").await;
    assert!(
        log.contains(r#"PASSWORD=s3cr3t KEY=k3y WHOLE={"username":"app","password":"s3cr3t"}"#),
        "the container sees the JSON key's value, the parameter and the whole secret: {log}"
    );
}

#[tokio::test]
async fn secrets_manager_actions_and_errors() {
    let (client, ns, api) = setup("secrets-sm").await;
    let key = team_key(&client, api, &ns, "secrets-sm", true).await;

    let created = ok(
        "create",
        sm(
            api,
            &key,
            &[
                "create-secret",
                "--name",
                "db",
                "--secret-string",
                r#"{"user":"a"}"#,
                "--description",
                "the db",
                "--tags",
                "Key=team,Value=a",
            ],
        ),
    );
    let arn = created["ARN"].as_str().expect("ARN").to_string();
    let v1 = created["VersionId"].as_str().expect("VersionId").to_string();
    refused(
        "a second create",
        sm(api, &key, &["create-secret", "--name", "db", "--secret-string", "x"]),
        "ResourceExistsException",
        "already exists",
    );

    // By name, full ARN and partial ARN.
    for id in [arn.as_str(), "db", &arn[..arn.len() - 7]] {
        let value = ok("get-secret-value", sm(api, &key, &["get-secret-value", "--secret-id", id]));
        assert_eq!(
            (value["SecretString"].as_str(), value["VersionId"].as_str()),
            (Some(r#"{"user":"a"}"#), Some(v1.as_str())),
            "{id}"
        );
        assert_eq!(value["VersionStages"], serde_json::json!(["AWSCURRENT"]));
    }
    let put = ok(
        "put-secret-value",
        sm(api, &key, &["put-secret-value", "--secret-id", "db", "--secret-string", r#"{"user":"b"}"#]),
    );
    let v2 = put["VersionId"].as_str().expect("VersionId").to_string();
    assert_ne!(v1, v2);
    refused(
        "the old version",
        sm(api, &key, &["get-secret-value", "--secret-id", "db", "--version-id", &v1]),
        "ResourceNotFoundException",
        &v1,
    );
    let stored = Api::<Secret>::namespaced(client.clone(), &ns).get("db").await.expect("the Secret");
    let data = stored.data.expect("data");
    assert_eq!(data.get("user").map(|v| v.0.as_slice()), Some(&b"b"[..]), "each JSON key is a data key");
    assert_eq!(data.get("SecretString").map(|v| v.0.as_slice()), Some(&br#"{"user":"b"}"#[..]));

    ok("update", sm(api, &key, &["update-secret", "--secret-id", "db", "--description", "the database"]));
    ok("tag", sm(api, &key, &["tag-resource", "--secret-id", "db", "--tags", "Key=env,Value=prod"]));
    ok("untag", sm(api, &key, &["untag-resource", "--secret-id", "db", "--tag-keys", "team"]));
    let described = ok("describe", sm(api, &key, &["describe-secret", "--secret-id", &arn]));
    assert_eq!(described["Description"], "the database");
    assert_eq!(described["Tags"], serde_json::json!([{"Key": "env", "Value": "prod"}]));
    assert_eq!(described["VersionIdsToStages"], serde_json::json!({v2.clone(): ["AWSCURRENT"]}));

    // A kubectl-made Secret in the documented shape is a secret too.
    let kubectl_made: Secret = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "legacy"}, "stringData": {"SecretString": "old"}}),
    )
    .expect("secret");
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &kubectl_made)
        .await
        .expect("kubectl-made secret");
    let legacy = ok("get the kubectl-made secret", sm(api, &key, &["get-secret-value", "--secret-id", "legacy"]));
    assert_eq!(legacy["SecretString"], "old");
    let listed = ok("list", sm(api, &key, &["list-secrets"]));
    let names: Vec<&str> =
        listed["SecretList"].as_array().expect("list").iter().filter_map(|s| s["Name"].as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"db") && names.contains(&"legacy"), "{names:?}");
    let filtered = ok("list by tag", sm(api, &key, &["list-secrets", "--filters", "Key=tag-key,Values=env"]));
    assert_eq!(filtered["SecretList"].as_array().map(Vec::len), Some(1));

    // Deletion with a recovery window: the secret stays, its value is refused.
    let deleted =
        ok("delete", sm(api, &key, &["delete-secret", "--secret-id", "db", "--recovery-window-in-days", "7"]));
    assert!(deleted["DeletionDate"].is_number(), "{deleted}");
    refused(
        "a deleted secret's value",
        sm(api, &key, &["get-secret-value", "--secret-id", "db"]),
        "InvalidRequestException",
        "marked for deletion",
    );
    refused(
        "recreating it",
        sm(api, &key, &["create-secret", "--name", "db", "--secret-string", "x"]),
        "InvalidRequestException",
        "scheduled for deletion",
    );
    let planned = ok("list with planned deletions", sm(api, &key, &["list-secrets", "--include-planned-deletion"]));
    assert_eq!(planned["SecretList"].as_array().map(Vec::len), Some(2));
    assert_eq!(ok("list", sm(api, &key, &["list-secrets"]))["SecretList"].as_array().map(Vec::len), Some(1));
    // Past the window, the next access deletes it.
    let past = serde_json::json!({"metadata": {"annotations": {"secretsmanager.kube-ecs.dev/deletion-date": "2000-01-01T00:00:00Z"}}});
    Api::<Secret>::namespaced(client.clone(), &ns)
        .patch("db", &PatchParams::default(), &Patch::Merge(&past))
        .await
        .expect("backdating");
    refused(
        "past its window",
        sm(api, &key, &["describe-secret", "--secret-id", "db"]),
        "ResourceNotFoundException",
        "can't find the specified secret",
    );
    assert!(
        Api::<Secret>::namespaced(client.clone(), &ns).get_opt("db").await.expect("get").is_none(),
        "deleted on access"
    );
    ok("force delete", sm(api, &key, &["delete-secret", "--secret-id", "legacy", "--force-delete-without-recovery"]));
    refused(
        "force-deleted",
        sm(api, &key, &["get-secret-value", "--secret-id", "legacy"]),
        "ResourceNotFoundException",
        "can't find",
    );

    // Bad inputs, in Secrets Manager's own error types.
    refused(
        "an unknown name",
        sm(api, &key, &["get-secret-value", "--secret-id", "nope"]),
        "ResourceNotFoundException",
        "can't find the specified secret",
    );
    refused(
        "an oversize value",
        sm(api, &key, &["create-secret", "--name", "big", "--secret-string", &"x".repeat(65537)]),
        "ValidationException",
        "65536",
    );
    refused(
        "a malformed ARN",
        sm(api, &key, &["describe-secret", "--secret-id", "arn:aws:ssm:us-east-1:000000000000:parameter/x"]),
        "InvalidParameterException",
        "not a Secrets Manager secret's ARN",
    );
    refused(
        "a bad name",
        sm(api, &key, &["create-secret", "--name", "a b", "--secret-string", "x"]),
        "InvalidParameterException",
        "Invalid name",
    );
    refused(
        "a short window",
        sm(api, &key, &["delete-secret", "--secret-id", "nope", "--recovery-window-in-days", "3"]),
        "InvalidParameterException",
        "between 7 and 30",
    );
    refused(
        "an action kube-ecs does not serve",
        sm(api, &key, &["rotate-secret", "--secret-id", "db"]),
        "UnknownOperationException",
        "RotateSecret is not supported",
    );
}

#[tokio::test]
async fn parameter_store_actions_and_errors() {
    let (client, ns, api) = setup("secrets-ssm").await;
    let key = team_key(&client, api, &ns, "secrets-ssm", true).await;

    let put = ok(
        "put",
        ssm(api, &key, &["put-parameter", "--name", "/app/db/host", "--value", "db.local", "--type", "String"]),
    );
    assert_eq!((put["Version"].as_i64(), put["Tier"].as_str()), (Some(1), Some("Standard")));
    ok(
        "put a list",
        ssm(api, &key, &["put-parameter", "--name", "/app/hosts", "--value", "a,b", "--type", "StringList"]),
    );
    ok(
        "put a secure string",
        ssm(api, &key, &["put-parameter", "--name", "/app/db/password", "--value", "pw", "--type", "SecureString"]),
    );
    ok(
        "put a top-level name",
        ssm(api, &key, &["put-parameter", "--name", "token", "--value", "t", "--type", "String"]),
    );
    refused(
        "a second put",
        ssm(api, &key, &["put-parameter", "--name", "/app/hosts", "--value", "c", "--type", "StringList"]),
        "ParameterAlreadyExists",
        "overwrite",
    );
    let overwritten =
        ok("overwrite", ssm(api, &key, &["put-parameter", "--name", "/app/hosts", "--value", "c", "--overwrite"]));
    assert_eq!(overwritten["Version"].as_i64(), Some(2));

    let got = ok(
        "get with decryption",
        ssm(api, &key, &["get-parameter", "--name", "/app/db/password", "--with-decryption"]),
    );
    assert_eq!(
        (got["Parameter"]["Value"].as_str(), got["Parameter"]["Type"].as_str()),
        (Some("pw"), Some("SecureString"))
    );
    let by_arn = ok(
        "get by ARN with a version",
        ssm(api, &key, &["get-parameter", "--name", "arn:aws:ssm:us-east-1:000000000000:parameter/app/hosts:2"]),
    );
    assert_eq!(by_arn["Parameter"]["Value"], "c");
    refused(
        "an old version",
        ssm(api, &key, &["get-parameter", "--name", "/app/hosts:1"]),
        "ParameterVersionNotFound",
        "version 1",
    );
    let many = ok("get-parameters", ssm(api, &key, &["get-parameters", "--names", "token", "/nope"]));
    assert_eq!(many["InvalidParameters"], serde_json::json!(["/nope"]));
    assert_eq!(many["Parameters"][0]["Value"], "t");

    let names = |json: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = json["Parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["Name"].as_str().map(String::from))
            .collect();
        names.sort();
        names
    };
    let one_level = ok("by path", ssm(api, &key, &["get-parameters-by-path", "--path", "/app"]));
    assert_eq!(names(&one_level), vec!["/app/hosts"]);
    let recursive = ok(
        "by path, recursive",
        ssm(api, &key, &["get-parameters-by-path", "--path", "/app", "--recursive", "--with-decryption"]),
    );
    assert_eq!(names(&recursive), vec!["/app/db/host", "/app/db/password", "/app/hosts"]);
    let described =
        ok("describe", ssm(api, &key, &["describe-parameters", "--parameter-filters", "Key=Type,Values=SecureString"]));
    assert_eq!(names(&described), vec!["/app/db/password"]);
    assert_eq!(described["Parameters"][0]["KeyId"], "alias/aws/ssm");

    // A kubectl-made Secret in the documented shape is a parameter too.
    let kubectl_made: Secret =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "legacy"}, "stringData": {"Value": "old"}}))
            .expect("secret");
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &kubectl_made)
        .await
        .expect("kubectl-made parameter");
    assert_eq!(
        ok("get the kubectl-made parameter", ssm(api, &key, &["get-parameter", "--name", "legacy"]))["Parameter"]["Value"],
        "old"
    );

    let deleted = ok("delete-parameters", ssm(api, &key, &["delete-parameters", "--names", "token", "/nope"]));
    assert_eq!(
        (deleted["DeletedParameters"].clone(), deleted["InvalidParameters"].clone()),
        (serde_json::json!(["token"]), serde_json::json!(["/nope"]))
    );
    ok("delete-parameter", ssm(api, &key, &["delete-parameter", "--name", "/app/hosts"]));

    // Bad inputs, in SSM's own error types.
    refused("an unknown name", ssm(api, &key, &["get-parameter", "--name", "/app/hosts"]), "ParameterNotFound", "");
    refused(
        "deleting an unknown name",
        ssm(api, &key, &["delete-parameter", "--name", "/nope"]),
        "ParameterNotFound",
        "",
    );
    refused(
        "an oversize value",
        ssm(api, &key, &["put-parameter", "--name", "/big", "--value", &"x".repeat(4097), "--type", "String"]),
        "ValidationException",
        "maximum parameter value of 4096",
    );
    refused(
        "a reserved prefix",
        ssm(api, &key, &["put-parameter", "--name", "/aws/x", "--value", "x", "--type", "String"]),
        "ValidationException",
        "can't be prefixed",
    );
    refused(
        "a relative path",
        ssm(api, &key, &["put-parameter", "--name", "a/b", "--value", "x", "--type", "String"]),
        "ValidationException",
        "fully qualified",
    );
    refused(
        "a bad type",
        ssm(api, &key, &["put-parameter", "--name", "/t", "--value", "x", "--type", "Number"]),
        "ValidationException",
        "Number",
    );
    refused(
        "a path without a slash",
        ssm(api, &key, &["get-parameters-by-path", "--path", "app"]),
        "ValidationException",
        "forward slash",
    );
    refused(
        "an action kube-ecs does not serve",
        ssm(api, &key, &["get-parameter-history", "--name", "/app/db/host"]),
        "UnknownOperationException",
        "GetParameterHistory is not supported",
    );
}

#[tokio::test]
async fn a_key_without_rights_on_secrets_is_refused() {
    let (client, ns, api) = setup("secrets-rbac").await;
    let key = team_key(&client, api, &ns, "secrets-nobody", false).await;
    refused(
        "create-secret",
        sm(api, &key, &["create-secret", "--name", "db", "--secret-string", "x"]),
        "AccessDeniedException",
        "secrets-nobody",
    );
    refused(
        "get-secret-value",
        sm(api, &key, &["get-secret-value", "--secret-id", "db"]),
        "AccessDeniedException",
        "secrets-nobody",
    );
    refused(
        "put-parameter",
        ssm(api, &key, &["put-parameter", "--name", "/a", "--value", "x", "--type", "String"]),
        "AccessDeniedException",
        "secrets-nobody",
    );
    refused("describe-parameters", ssm(api, &key, &["describe-parameters"]), "AccessDeniedException", "secrets-nobody");
    assert!(Api::<Secret>::namespaced(client.clone(), &ns).get_opt("db").await.expect("get").is_none());
}
