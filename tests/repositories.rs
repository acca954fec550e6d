//! The Repository kind on the real control plane: a valid repository applies; `kubectl apply`
//! refuses a bad repositoryName, a bad mutability and every lifecycle policy ECR refuses, naming the
//! field and the rule; and `kube_ecs_domain::ecr::parse`, the parser of the ECR API and controller to
//! come, accepts exactly the policies the API server accepts (one table, one set of rules for both paths).

mod support;

use kube::api::Api;
use kube_ecs::api::Repository;
use kube_ecs::api::ecs::{ImageTagMutability, LifecycleCountType};
use kube_ecs_domain::ecr;
use serde_json::{Value, json};

fn manifest(name: &str, spec: Value) -> String {
    json!({"apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository", "metadata": {"name": name}, "spec": spec})
        .to_string()
}

/// `kubectl apply` of a Repository: Ok, or the refusal kubectl printed.
fn kubectl_apply(ns: &str, name: &str, spec: Value) -> Result<(), String> {
    let (ok, out, err) = support::kubectl(&["apply", "-n", ns, "-f", "-"], Some(&manifest(name, spec)));
    if ok { Ok(()) } else { Err(format!("{out}{err}")) }
}

fn rule(priority: Value, selection: Value) -> Value {
    json!({"rulePriority": priority, "selection": selection, "action": {"type": "expire"}})
}

fn untagged(count: u32) -> Value {
    json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": count})
}

fn any(count: u32) -> Value {
    json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": count})
}

fn prefixes(list: Value) -> Value {
    json!({"tagStatus": "tagged", "tagPrefixList": list, "countType": "imageCountMoreThan", "countNumber": 5})
}

fn patterns(list: Value) -> Value {
    json!({"tagStatus": "tagged", "tagPatternList": list, "countType": "imageCountMoreThan", "countNumber": 5})
}

/// `selection` with `field` set to `value`, or removed when `value` is null.
fn with(mut selection: Value, field: &str, value: Value) -> Value {
    match value {
        Value::Null => {
            selection.as_object_mut().map(|s| s.remove(field));
        }
        value => selection[field] = value,
    }
    selection
}

fn policy(rules: Vec<Value>) -> Value {
    json!({"rules": rules})
}

/// What the API server and `ecr::parse` say of one policy: both accept it, or both refuse it, the
/// API server's message containing the first text and parse's the second. Where the CEL rule carries
/// parse's own words, the two texts are the same.
enum Verdict {
    Valid,
    Refused { apiserver: &'static str, parse: &'static str },
}

fn refused(both: &'static str) -> Verdict {
    Verdict::Refused { apiserver: both, parse: both }
}

fn policies() -> Vec<(&'static str, Value, Verdict)> {
    use Verdict::Valid;
    let since_pushed =
        json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14});
    vec![
        ("one untagged rule", policy(vec![rule(json!(1), untagged(1))]), Valid),
        (
            // Every tagStatus in one policy, the `any` rule last.
            "tagged, untagged and any",
            policy(vec![
                rule(json!(1), prefixes(json!(["prod", "release"]))),
                rule(json!(2), patterns(json!(["*-rc*", "v*.*.*-*"]))),
                rule(json!(3), since_pushed.clone()),
                rule(json!(10), any(100)),
            ]),
            Valid,
        ),
        (
            "rule priorities need not be sequential nor in order",
            policy(vec![rule(json!(20), prefixes(json!(["b"]))), rule(json!(5), prefixes(json!(["a"])))]),
            Valid,
        ),
        (
            "the same tags as prefixes and as patterns",
            policy(vec![rule(json!(1), prefixes(json!(["prod"]))), rule(json!(2), patterns(json!(["prod"])))]),
            Valid,
        ),
        ("four wildcards", policy(vec![rule(json!(1), patterns(json!(["*a*b*c*"])))]), Valid),
        (
            "a description",
            policy(vec![json!({"rulePriority": 1, "description": "keep the last release", "selection": untagged(1),
                "action": {"type": "expire"}})]),
            Valid,
        ),
        (
            "no rules",
            policy(vec![]),
            Verdict::Refused {
                apiserver: "array is too short: must have at least 1 elements but instance has 0 elements",
                parse: "array is too short: must have at least 1 elements but instance has 0 elements at /rules",
            },
        ),
        (
            "rulePriority 0",
            policy(vec![rule(json!(0), untagged(1))]),
            Verdict::Refused {
                apiserver: "spec.lifecyclePolicy.rules[0].rulePriority: Invalid value: 0: numeric instance is lower than the required minimum (minimum: 1)",
                parse: "numeric instance is lower than the required minimum (minimum: 1, found: 0) at /rules/0/rulePriority",
            },
        ),
        (
            "rulePriority beyond a 32-bit integer",
            policy(vec![rule(json!(2_147_483_648_u64), untagged(1))]),
            Verdict::Refused {
                apiserver: "spec.lifecyclePolicy.rules[0].rulePriority: Invalid value: 2147483648: numeric instance is greater than the required maximum (maximum: 2147483647)",
                parse: "numeric instance is greater than the required maximum (maximum: 2147483647, found: 2147483648)",
            },
        ),
        (
            "rulePriority a string",
            policy(vec![rule(json!("1"), untagged(1))]),
            Verdict::Refused {
                apiserver: "rulePriority: Invalid value: \"string\": spec.lifecyclePolicy.rules[0].rulePriority in body must be of type integer",
                parse: "instance type (string) does not match any allowed primitive type (allowed: [\"integer\"])",
            },
        ),
        (
            "two rules with one rulePriority",
            policy(vec![rule(json!(3), prefixes(json!(["a"]))), rule(json!(3), untagged(1))]),
            Verdict::Refused {
                apiserver: "rulePriority is used by more than one rule; each rule must have a unique value for rulePriority",
                parse: "rulePriority 3 is used by more than one rule; each rule must have a unique value for rulePriority",
            },
        ),
        (
            "tagStatus unknown",
            policy(vec![rule(json!(1), with(untagged(1), "tagStatus", json!("TAGGED")))]),
            Verdict::Refused {
                apiserver: "Unsupported value: \"TAGGED\": supported values: \"tagged\", \"untagged\", \"any\"",
                parse: "instance value (\"TAGGED\") not found in enum (possible values: [\"any\",\"tagged\",\"untagged\"])",
            },
        ),
        (
            "tagged without a tag list",
            policy(vec![rule(json!(1), with(untagged(1), "tagStatus", json!("tagged")))]),
            refused("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."),
        ),
        (
            "tagged with both tag lists",
            policy(vec![rule(json!(1), with(prefixes(json!(["a"])), "tagPatternList", json!(["b*"])))]),
            refused("A lifecycle policy rule may specify either tagPatternList or tagPrefixList, but not both"),
        ),
        (
            "tagged with an empty tag list",
            policy(vec![rule(json!(1), prefixes(json!([])))]),
            Verdict::Refused {
                apiserver: "tagPrefixList: Invalid value: 0: spec.lifecyclePolicy.rules[0].selection.tagPrefixList in body should have at least 1 items",
                parse: "array is too short: must have at least 1 elements but instance has 0 elements at /rules/0/selection/tagPrefixList",
            },
        ),
        (
            "an empty prefix",
            policy(vec![rule(json!(1), prefixes(json!([""])))]),
            Verdict::Refused {
                apiserver: "tagPrefixList[0]: Invalid value: \"\": spec.lifecyclePolicy.rules[0].selection.tagPrefixList[0] in body should be at least 1 chars long",
                parse: "string \"\" is too short (length: 0, required minimum: 1)",
            },
        ),
        (
            "untagged with a prefix list",
            policy(vec![rule(json!(1), with(untagged(1), "tagPrefixList", json!(["a"])))]),
            refused("The tagPatternList or tagPrefixList parameters may only be used if the tagStatus is tagged"),
        ),
        (
            "any with a pattern list",
            policy(vec![rule(json!(1), with(any(1), "tagPatternList", json!(["a*"])))]),
            refused("The tagPatternList or tagPrefixList parameters may only be used if the tagStatus is tagged"),
        ),
        (
            "five wildcards",
            policy(vec![rule(json!(1), patterns(json!(["*a*b*c*d*"])))]),
            Verdict::Refused {
                apiserver: "tagPatternList entry \"*a*b*c*d*\" has more than four wildcards (*); there is a maximum limit of four wildcards (*) per string",
                parse: "tagPatternList entry \"*a*b*c*d*\" has 5 wildcards (*); there is a maximum limit of four wildcards (*) per string",
            },
        ),
        (
            "any below another rule",
            policy(vec![rule(json!(1), any(5)), rule(json!(2), untagged(1))]),
            Verdict::Refused {
                apiserver: "Rule for tagStatus=ANY must have the lowest priority: a rule with tagStatus any must have the highest value for rulePriority",
                parse: "Rule for tagStatus=ANY must have the lowest priority: the rule with rulePriority 1 has tagStatus any, so it must have the highest value for rulePriority (2 is higher)",
            },
        ),
        (
            "two any rules",
            policy(vec![rule(json!(1), any(5)), rule(json!(2), any(3))]),
            refused("Rule for tagStatus=ANY must have the lowest priority"),
        ),
        (
            "two untagged rules",
            policy(vec![rule(json!(1), untagged(1)), rule(json!(2), since_pushed.clone())]),
            Verdict::Refused {
                apiserver: "Only one rule can select Untagged images: at most one rule may have tagStatus untagged",
                parse: "Only one rule can select Untagged images: the rules with rulePriority 1 and 2 both have tagStatus untagged",
            },
        ),
        (
            "two rules with the same prefixes",
            policy(vec![
                rule(json!(1), prefixes(json!(["prod", "web"]))),
                rule(json!(2), untagged(1)),
                rule(json!(3), prefixes(json!(["prod", "web"]))),
            ]),
            Verdict::Refused {
                apiserver: "The set of rules must contain a unique set of tag prefixes: two rules have the same tagPrefixList",
                parse: "The set of rules must contain a unique set of tag prefixes: the rules with rulePriority 1 and 3 both have tagPrefixList [\"prod\",\"web\"]",
            },
        ),
        (
            "two rules with the same patterns in another order",
            policy(vec![rule(json!(1), patterns(json!(["a*", "b*"]))), rule(json!(2), patterns(json!(["b*", "a*"])))]),
            Verdict::Refused {
                apiserver: "The set of rules must contain a unique set of tag prefixes: two rules have the same tagPatternList",
                parse: "The set of rules must contain a unique set of tag prefixes: the rules with rulePriority 1 and 2 both have tagPatternList [\"a*\",\"b*\"]",
            },
        ),
        (
            "countType unknown",
            policy(vec![rule(json!(1), with(untagged(1), "countType", json!("imageCountLessThan")))]),
            Verdict::Refused {
                apiserver: "Unsupported value: \"imageCountLessThan\": supported values: \"imageCountMoreThan\", \"sinceImagePushed\"",
                parse: "not found in enum (possible values: [\"imageCountMoreThan\",\"sinceImagePushed\"])",
            },
        ),
        (
            "sinceImagePushed without countUnit",
            policy(vec![rule(json!(1), with(since_pushed.clone(), "countUnit", Value::Null))]),
            refused("countUnit is required when countType is sinceImagePushed (its value is days)"),
        ),
        (
            "imageCountMoreThan with countUnit",
            policy(vec![rule(json!(1), with(untagged(1), "countUnit", json!("days")))]),
            refused("countUnit must be omitted when countType is imageCountMoreThan"),
        ),
        (
            "countUnit hours",
            policy(vec![rule(json!(1), with(since_pushed.clone(), "countUnit", json!("hours")))]),
            Verdict::Refused {
                apiserver: "Unsupported value: \"hours\": supported values: \"days\"",
                parse: "instance value (\"hours\") not found in enum (possible values: [\"days\"])",
            },
        ),
        (
            "countNumber 0",
            policy(vec![rule(json!(1), untagged(0))]),
            Verdict::Refused {
                apiserver: "spec.lifecyclePolicy.rules[0].selection.countNumber: Invalid value: 0: numeric instance is lower than the required minimum (minimum: 1)",
                parse: "numeric instance is lower than the required minimum (minimum: 1, found: 0) at /rules/0/selection/countNumber",
            },
        ),
        (
            "countNumber missing",
            policy(vec![rule(json!(1), with(untagged(1), "countNumber", Value::Null))]),
            Verdict::Refused {
                apiserver: "spec.lifecyclePolicy.rules[0].selection.countNumber: Required value",
                parse: "object has missing required properties ([\"countNumber\"])",
            },
        ),
        (
            "action transition (ECR's archive)",
            policy(vec![json!({"rulePriority": 1, "selection": untagged(1), "action": {"type": "transition"}})]),
            Verdict::Refused {
                apiserver: "Unsupported value: \"transition\": supported values: \"expire\"",
                parse: "(possible values: [\"expire\"]) at /rules/0/action/type (kube-ecs has no archive storage",
            },
        ),
        (
            "an unknown selection field (ECR's storageClass)",
            policy(vec![rule(json!(1), with(untagged(1), "storageClass", json!("archive")))]),
            Verdict::Refused {
                apiserver: "unknown field \"spec.lifecyclePolicy.rules[0].selection.storageClass\"",
                parse: "object instance has properties which are not allowed by the schema: ([\"storageClass\"])",
            },
        ),
    ]
}

/// ECR's `PutLifecyclePolicy` text of `policy`: its JSON, padded with spaces to ECR's minimum text
/// length so that parse judges the rules rather than the length of a short test policy.
fn policy_text(policy: &Value) -> String {
    format!("{:<width$}", policy.to_string(), width = ecr::MIN_POLICY_TEXT_LENGTH)
}

#[tokio::test]
async fn the_api_server_and_ecr_parse_accept_and_refuse_the_same_lifecycle_policies() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecr-policies").await;
    let cases = policies();
    assert!(cases.len() >= 30, "the table has {} policies", cases.len());
    let mut failures = Vec::new();
    for (i, (what, policy, verdict)) in cases.into_iter().enumerate() {
        let applied = kubectl_apply(
            &ns,
            &format!("policy-{i}"),
            json!({"repositoryName": format!("p/{i}"), "lifecyclePolicy": policy}),
        );
        let parsed = ecr::parse(&policy_text(&policy));
        match (&verdict, &applied, &parsed) {
            (Verdict::Valid, Ok(()), Ok(_)) => {}
            (Verdict::Refused { apiserver, parse }, Err(refusal), Err(error))
                if refusal.contains(apiserver) && error.message.contains(parse) => {}
            _ => failures.push(format!(
                "{what}: expected {}; kubectl apply: {applied:?}; ecr::parse: {parsed:?}",
                match verdict {
                    Verdict::Valid => "both to accept".to_string(),
                    Verdict::Refused { apiserver, parse } => format!("refusals naming {apiserver:?} / {parse:?}"),
                }
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_repository_applies_with_every_field_and_reads_back_typed() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecr-repo").await;
    let spec = json!({
        "repositoryName": "team/web",
        "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}],
        "imageScanningConfiguration": {"scanOnPush": true},
        "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/ecr"},
        "tags": [{"key": "team", "value": "web"}],
        "lifecyclePolicy": {"rules": [
            {"rulePriority": 1, "description": "keep ten releases",
             "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 10},
             "action": {"type": "expire"}},
            {"rulePriority": 2,
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
             "action": {"type": "expire"}}
        ]}
    });
    // An explicit null in the policy is dropped as if absent (what the Rust types read), not judged.
    let mut with_nulls = spec.clone();
    with_nulls["lifecyclePolicy"]["rules"][0]["selection"]["countUnit"] = Value::Null;
    with_nulls["lifecyclePolicy"]["rules"][1]["description"] = Value::Null;
    kubectl_apply(&ns, "web", with_nulls).unwrap_or_else(|e| panic!("a valid repository applies: {e}"));

    let repositories: Api<Repository> = Api::namespaced(client.clone(), &ns);
    let stored = repositories.get("web").await.expect("the repository reads back as the Rust type");
    assert_eq!(
        serde_json::to_value(&stored.spec).expect("spec serialises"),
        spec,
        "the spec is stored as written, less the nulls"
    );
    assert_eq!(stored.spec.enforced_image_tag_mutability(), ImageTagMutability::Immutable);
    let rules = &stored.spec.lifecycle_policy.as_ref().expect("policy").rules;
    assert_eq!(rules[1].selection.count_type, LifecycleCountType::SinceImagePushed);

    // The short name and category list it, with the repository name in its column.
    let (ok, out, err) = support::kubectl(&["get", "ecrrepo", "-n", &ns], None);
    assert!(ok && out.contains("REPOSITORYNAME") && out.contains("team/web"), "{out}{err}");
    let (ok, out, err) = support::kubectl(&["get", "ecs", "-n", &ns, "-o", "name"], None);
    assert!(ok && out.contains("repository.ecs.kube-ecs.dev/web"), "{out}{err}");

    // ECR cannot rename a repository, and neither can a re-apply.
    let renamed = kubectl_apply(&ns, "web", json!({"repositoryName": "team/api"}));
    assert!(
        renamed.as_ref().is_err_and(|e| e.contains("repositoryName is immutable")),
        "renaming is refused: {renamed:?}"
    );
}

#[tokio::test]
async fn kubectl_refuses_bad_names_and_mutabilities_in_ecrs_words() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecr-names").await;
    let pattern = "failed to satisfy constraint: Member must satisfy regular expression pattern: \
                   [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*";
    let long = "a".repeat(256);
    let too_long = "a".repeat(257);
    let mut failures = Vec::new();
    for (i, name) in ["ab", "web", "team/web", "a.b_c-d", "a__b", "a---b", "x9/y9/z9", long.as_str()].iter().enumerate()
    {
        if let Err(e) = kubectl_apply(&ns, &format!("ok-{i}"), json!({"repositoryName": name})) {
            failures.push(format!("{name:?} is a valid ECR repository name, refused: {e}"));
        }
    }
    let refusals: Vec<(Value, String)> = vec![
        (json!({"repositoryName": "a"}), "Value 'a' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2".into()),
        (json!({"repositoryName": too_long}), "spec.repositoryName: Too long: may not be more than 256".into()),
        (
            json!({"repositoryName": "Web"}),
            format!("spec.repositoryName: Invalid value: \"Web\": Value 'Web' at 'repositoryName' {pattern}"),
        ),
        (json!({"repositoryName": "team/"}), format!("Value 'team/' at 'repositoryName' {pattern}")),
        (json!({"repositoryName": "/web"}), format!("Value '/web' at 'repositoryName' {pattern}")),
        (json!({"repositoryName": "team//web"}), format!("Value 'team//web' at 'repositoryName' {pattern}")),
        (json!({"repositoryName": "-web"}), format!("Value '-web' at 'repositoryName' {pattern}")),
        (json!({"repositoryName": "a..b"}), format!("Value 'a..b' at 'repositoryName' {pattern}")),
        (json!({"repositoryName": "a___b"}), format!("Value 'a___b' at 'repositoryName' {pattern}")),
        (json!({"repositoryName": "web:latest"}), format!("Value 'web:latest' at 'repositoryName' {pattern}")),
        (json!({}), "spec.repositoryName: Required value".into()),
        (
            json!({"repositoryName": "web", "imageTagMutability": "mutable"}),
            "spec.imageTagMutability: Unsupported value: \"mutable\": supported values: \"MUTABLE\", \"IMMUTABLE\"".into(),
        ),
        (
            json!({"repositoryName": "web", "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev/*"}]}),
            "spec.imageTagMutabilityExclusionFilters[0].filter: Invalid value: \"dev/*\"".into(),
        ),
        (
            json!({"repositoryName": "web", "encryptionConfiguration": {"encryptionType": "DES"}}),
            "spec.encryptionConfiguration.encryptionType: Unsupported value: \"DES\": supported values: \"AES256\", \"KMS\", \"KMS_DSSE\"".into(),
        ),
    ];
    for (i, (spec, expected)) in refusals.into_iter().enumerate() {
        match kubectl_apply(&ns, &format!("bad-{i}"), spec.clone()) {
            Ok(()) => failures.push(format!("{spec} was accepted; expected: {expected}")),
            Err(e) if e.contains(&expected) => {}
            Err(e) => failures.push(format!("{spec}: expected {expected:?} in: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_largest_policy_the_bounds_allow_is_judged_within_the_cel_budget() {
    support::operator::start();
    let client = support::client().await;
    let ns = support::namespace(&client, "ecr-largest").await;
    use kube_ecs::api::repository::{MAX_LIFECYCLE_RULES, MAX_TAG_FILTER_LENGTH, MAX_TAG_FILTERS};
    // The rules' worst case: every rule's prefixes equal another's but for the last, and every prefix
    // as long as allowed and alike up to its last characters, so each set comparison runs to the end.
    let prefix = |i: usize| format!("{}{i:04}", "p".repeat(MAX_TAG_FILTER_LENGTH - 4));
    let rules: Vec<Value> = (0..MAX_LIFECYCLE_RULES)
        .map(|r| {
            let mut list: Vec<String> = (0..MAX_TAG_FILTERS - 1).map(prefix).collect();
            list.push(prefix(1000 + r));
            rule(json!(r + 1), prefixes(json!(list)))
        })
        .collect();
    let spec = json!({"repositoryName": "largest", "lifecyclePolicy": policy(rules)});
    // Server-side: a client-side apply would not fit the policy in its last-applied annotation.
    let (ok, out, err) =
        support::kubectl(&["apply", "--server-side", "-n", &ns, "-f", "-"], Some(&manifest("largest", spec.clone())));
    assert!(ok, "the largest policy the bounds allow applies:\n{out}{err}");
    // The one known difference from ECR: ECR bounds the policy text, not the rules, and this
    // policy's text is longer than ECR takes (docs/ecr.md).
    let text = ecr::parse(&policy_text(&spec["lifecyclePolicy"]));
    assert!(text.as_ref().is_err_and(|e| e.message.contains("less than or equal to 30720")), "{text:?}");

    // One rule more, or one prefix more, is refused by the bounds themselves.
    let mut more_rules = spec.clone();
    let extra = rule(json!(MAX_LIFECYCLE_RULES + 1), untagged(1));
    more_rules["lifecyclePolicy"]["rules"].as_array_mut().expect("rules").push(extra);
    let (ok, out, err) =
        support::kubectl(&["apply", "--server-side", "-n", &ns, "-f", "-"], Some(&manifest("largest", more_rules)));
    assert!(!ok && err.contains(&format!("must have at most {MAX_LIFECYCLE_RULES} items")), "{out}{err}");
}
