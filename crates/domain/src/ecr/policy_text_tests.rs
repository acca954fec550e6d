//! Lifecycle policy texts ECR accepts and refuses, table by table: every refusal is checked for
//! ECR's frame and for the words that say what is wrong and where.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;

const FRAME: &str = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The text of a policy, padded with spaces to ECR's minimum length so that short test policies
/// meet the rule they are about rather than the length limit.
fn text(policy: &Value) -> String {
    let mut out = serde_json::to_string(policy).expect("json");
    while out.chars().count() < MIN_POLICY_TEXT_LENGTH {
        out.push(' ');
    }
    out
}

fn policy(rules: Vec<Value>) -> Value {
    json!({ "rules": rules })
}

fn rule(priority: Value, selection: Value) -> Value {
    json!({ "rulePriority": priority, "selection": selection, "action": { "type": "expire" } })
}

fn untagged_keep_one() -> Value {
    json!({ "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1 })
}

fn tagged_prefixes(prefixes: Value) -> Value {
    json!({ "tagStatus": "tagged", "tagPrefixList": prefixes, "countType": "imageCountMoreThan", "countNumber": 1 })
}

fn tagged_patterns(patterns: Value) -> Value {
    json!({ "tagStatus": "tagged", "tagPatternList": patterns, "countType": "imageCountMoreThan", "countNumber": 1 })
}

fn any_keep_one() -> Value {
    json!({ "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1 })
}

/// One valid rule with one field of its selection replaced (`null` removes it).
fn selection_with(field: &str, value: Value) -> Value {
    let mut selection = untagged_keep_one();
    match value {
        Value::Null => {
            selection.as_object_mut().expect("object").remove(field);
        }
        value => selection[field] = value,
    }
    policy(vec![rule(json!(1), selection)])
}

/// One valid rule with one of its own fields replaced (`null` removes it).
fn rule_with(field: &str, value: Value) -> Value {
    let mut one = rule(json!(1), untagged_keep_one());
    match value {
        Value::Null => {
            one.as_object_mut().expect("object").remove(field);
        }
        value => one[field] = value,
    }
    policy(vec![one])
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

#[test]
fn ecr_refuses_policy_texts_with_a_message_naming_the_rule_and_the_place() {
    let valid_padded_to = |length: usize| {
        let mut out = serde_json::to_string(&policy(vec![rule(json!(1), untagged_keep_one())])).expect("json");
        while out.len() < length {
            out.push(' ');
        }
        out
    };
    let cases: Vec<(&str, String, &str)> = vec![
        // The text as a whole.
        (
            "shorter than 100 characters",
            r#"{"rules":[]}"#.to_owned(),
            "Member must have length greater than or equal to 100",
        ),
        ("longer than 30720 characters", valid_padded_to(30721), "Member must have length less than or equal to 30720"),
        (
            "not JSON",
            "x".repeat(100),
            "Lifecycle policy validation failure: Could not map policyString into LifecyclePolicy.",
        ),
        ("JSON but not an object", text(&json!([policy(vec![])])), "Could not map policyString into LifecyclePolicy."),
        // The document.
        ("no rules", text(&json!({ "rule": [] })), r#"object has missing required properties (["rules"])"#),
        (
            "an unknown top-level field",
            text(&json!({ "rules": [rule(json!(1), untagged_keep_one())], "version": 1 })),
            r#"object instance has properties which are not allowed by the schema: (["version"])"#,
        ),
        (
            "zero rules",
            text(&policy(vec![])),
            "array is too short: must have at least 1 elements but instance has 0 elements at /rules",
        ),
        (
            "rules not a list",
            text(&json!({ "rules": rule(json!(1), untagged_keep_one()) })),
            r#"instance type (object) does not match any allowed primitive type (allowed: ["array"]) at /rules"#,
        ),
        (
            "a rule not an object",
            text(&json!({ "rules": ["expire"] })),
            r#"instance type (string) does not match any allowed primitive type (allowed: ["object"]) at /rules/0"#,
        ),
        // A rule.
        (
            "rulePriority missing",
            text(&rule_with("rulePriority", Value::Null)),
            r#"object has missing required properties (["rulePriority"]) at /rules/0'"#,
        ),
        (
            "selection and action missing",
            text(&policy(vec![json!({ "rulePriority": 1 })])),
            r#"object has missing required properties (["action","selection"]) at /rules/0'"#,
        ),
        (
            "an unknown rule field",
            text(&rule_with("priority", json!(1))),
            r#"not allowed by the schema: (["priority"]) at /rules/0'"#,
        ),
        (
            "rulePriority 0",
            text(&rule_with("rulePriority", json!(0))),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0) at /rules/0/rulePriority",
        ),
        (
            "rulePriority negative",
            text(&rule_with("rulePriority", json!(-1))),
            "(minimum: 1, found: -1) at /rules/0/rulePriority",
        ),
        (
            "rulePriority beyond a 32-bit integer",
            text(&rule_with("rulePriority", json!(2_147_483_648_u64))),
            "numeric instance is greater than the required maximum (maximum: 2147483647, found: 2147483648)",
        ),
        (
            "rulePriority a string",
            text(&rule_with("rulePriority", json!("1"))),
            r#"instance type (string) does not match any allowed primitive type (allowed: ["integer"]) at /rules/0/rulePriority"#,
        ),
        (
            "rulePriority a fraction",
            text(&rule_with("rulePriority", json!(1.5))),
            r#"instance type (number) does not match any allowed primitive type (allowed: ["integer"])"#,
        ),
        (
            "description not a string",
            text(&rule_with("description", json!(7))),
            r#"(allowed: ["string"]) at /rules/0/description"#,
        ),
        // Its action.
        (
            "action not an object",
            text(&rule_with("action", json!("expire"))),
            r#"(allowed: ["object"]) at /rules/0/action'"#,
        ),
        (
            "action type missing",
            text(&rule_with("action", json!({}))),
            r#"object has missing required properties (["type"]) at /rules/0/action'"#,
        ),
        (
            "action type unknown",
            text(&rule_with("action", json!({ "type": "delete" }))),
            r#"instance value ("delete") not found in enum (possible values: ["expire"]) at /rules/0/action/type'"#,
        ),
        (
            "action transition (ECR's archive)",
            text(&rule_with("action", json!({ "type": "transition" }))),
            r#"(possible values: ["expire"]) at /rules/0/action/type (kube-ecs has no archive storage"#,
        ),
        (
            "action targetStorageClass (ECR's archive)",
            text(&rule_with("action", json!({ "type": "expire", "targetStorageClass": "archive" }))),
            r#"(["targetStorageClass"]) at /rules/0/action (kube-ecs has no archive storage"#,
        ),
        // Its selection: tagStatus and the tag lists.
        (
            "tagStatus missing",
            text(&selection_with("tagStatus", Value::Null)),
            r#"object has missing required properties (["tagStatus"]) at /rules/0/selection'"#,
        ),
        (
            "tagStatus in capitals",
            text(&selection_with("tagStatus", json!("TAGGED"))),
            r#"instance value ("TAGGED") not found in enum (possible values: ["any","tagged","untagged"]) at /rules/0/selection/tagStatus"#,
        ),
        (
            "tagged without a list",
            text(&selection_with("tagStatus", json!("tagged"))),
            "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED. at /rules/0/selection'",
        ),
        (
            "tagged with both lists",
            text(&policy(vec![rule(
                json!(1),
                json!({ "tagStatus": "tagged", "tagPrefixList": ["prod"], "tagPatternList": ["prod*"],
                        "countType": "imageCountMoreThan", "countNumber": 1 }),
            )])),
            "A lifecycle policy rule may specify either tagPatternList or tagPrefixList, but not both at /rules/0/selection'",
        ),
        (
            "tagged with an empty prefix list",
            text(&policy(vec![rule(json!(1), tagged_prefixes(json!([])))])),
            "array is too short: must have at least 1 elements but instance has 0 elements at /rules/0/selection/tagPrefixList'",
        ),
        (
            "tagged with an empty pattern list",
            text(&policy(vec![rule(json!(1), tagged_patterns(json!([])))])),
            "instance has 0 elements at /rules/0/selection/tagPatternList'",
        ),
        (
            "an empty prefix",
            text(&policy(vec![rule(json!(1), tagged_prefixes(json!(["prod", ""])))])),
            r#"string "" is too short (length: 0, required minimum: 1) at /rules/0/selection/tagPrefixList/1'"#,
        ),
        (
            "a prefix not a string",
            text(&policy(vec![rule(json!(1), tagged_prefixes(json!(["prod", 1])))])),
            r#"(allowed: ["string"]) at /rules/0/selection/tagPrefixList/1'"#,
        ),
        (
            "a prefix list a string",
            text(&policy(vec![rule(json!(1), tagged_prefixes(json!("prod")))])),
            r#"(allowed: ["array"]) at /rules/0/selection/tagPrefixList'"#,
        ),
        (
            "untagged with a prefix list",
            text(&selection_with("tagPrefixList", json!(["prod"]))),
            "The tagPatternList or tagPrefixList parameters may only be used if the tagStatus is tagged at /rules/0/selection'",
        ),
        (
            "any with an empty pattern list",
            text(&policy(vec![rule(
                json!(1),
                json!({ "tagStatus": "any", "tagPatternList": [], "countType": "imageCountMoreThan", "countNumber": 1 }),
            )])),
            "may only be used if the tagStatus is tagged at /rules/0/selection'",
        ),
        (
            "ECR's invalid wildcard example",
            text(&policy(vec![rule(json!(1), tagged_patterns(json!(["test*1*2*3*4*5*6"])))])),
            r#"tagPatternList entry "test*1*2*3*4*5*6" has 6 wildcards (*); there is a maximum limit of four wildcards (*) per string at /rules/0/selection/tagPatternList/0'"#,
        ),
        (
            "five wildcards",
            text(&policy(vec![rule(json!(1), tagged_patterns(json!(["prod*", "*a*b*c*d*"])))])),
            "has 5 wildcards (*); there is a maximum limit of four wildcards (*) per string at /rules/0/selection/tagPatternList/1'",
        ),
        (
            "storageClass (ECR's archive)",
            text(&selection_with("storageClass", json!("standard"))),
            r#"not allowed by the schema: (["storageClass"]) at /rules/0/selection (kube-ecs has no archive storage"#,
        ),
        // Its selection: the count.
        (
            "countType missing",
            text(&selection_with("countType", Value::Null)),
            r#"object has missing required properties (["countType"]) at /rules/0/selection'"#,
        ),
        (
            "countType unknown",
            text(&selection_with("countType", json!("imageCountLessThan"))),
            r#"instance value ("imageCountLessThan") not found in enum (possible values: ["imageCountMoreThan","sinceImagePushed"]) at /rules/0/selection/countType'"#,
        ),
        (
            "countType sinceImagePulled (ECR's archive)",
            text(&selection_with("countType", json!("sinceImagePulled"))),
            "at /rules/0/selection/countType (kube-ecs has no archive storage",
        ),
        (
            "countNumber missing",
            text(&selection_with("countNumber", Value::Null)),
            r#"object has missing required properties (["countNumber"]) at /rules/0/selection'"#,
        ),
        (
            "countNumber 0",
            text(&selection_with("countNumber", json!(0))),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0) at /rules/0/selection/countNumber'",
        ),
        (
            "countNumber a string",
            text(&selection_with("countNumber", json!("1"))),
            r#"(allowed: ["integer"]) at /rules/0/selection/countNumber'"#,
        ),
        (
            "countUnit with imageCountMoreThan",
            text(&selection_with("countUnit", json!("days"))),
            "countUnit must be omitted when countType is imageCountMoreThan (it is only used if countType is sinceImagePushed) at /rules/0/selection'",
        ),
        (
            "sinceImagePushed without countUnit",
            text(&selection_with("countType", json!("sinceImagePushed"))),
            "countUnit is required when countType is sinceImagePushed (its value is days) at /rules/0/selection'",
        ),
        (
            "countUnit hours",
            text(&policy(vec![rule(
                json!(1),
                json!({ "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "hours", "countNumber": 1 }),
            )])),
            r#"instance value ("hours") not found in enum (possible values: ["days"]) at /rules/0/selection/countUnit'"#,
        ),
        (
            "countUnit null",
            text(&policy(vec![rule(
                json!(1),
                json!({ "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": null, "countNumber": 1 }),
            )])),
            r#"instance type (null) does not match any allowed primitive type (allowed: ["string"]) at /rules/0/selection/countUnit'"#,
        ),
        // Across rules.
        (
            "two rules with one rulePriority",
            text(&policy(vec![rule(json!(1), tagged_prefixes(json!(["prod"]))), rule(json!(1), untagged_keep_one())])),
            "rulePriority 1 is used by more than one rule; each rule must have a unique value for rulePriority'",
        ),
        (
            "an any rule before another rule",
            text(&policy(vec![rule(json!(1), any_keep_one()), rule(json!(2), untagged_keep_one())])),
            "Rule for tagStatus=ANY must have the lowest priority: the rule with rulePriority 1 has tagStatus any, so it must have the highest value for rulePriority (2 is higher)'",
        ),
        (
            "two any rules",
            text(&policy(vec![rule(json!(5), any_keep_one()), rule(json!(3), any_keep_one())])),
            "the rule with rulePriority 3 has tagStatus any",
        ),
        (
            "two untagged rules",
            text(&policy(vec![rule(json!(1), untagged_keep_one()), rule(json!(2), untagged_keep_one())])),
            "Only one rule can select Untagged images: the rules with rulePriority 1 and 2 both have tagStatus untagged'",
        ),
        (
            "two rules with the same prefixes",
            text(&policy(vec![
                rule(json!(1), tagged_prefixes(json!(["prod", "beta"]))),
                rule(json!(2), tagged_prefixes(json!(["beta", "prod"]))),
            ])),
            r#"The set of rules must contain a unique set of tag prefixes: the rules with rulePriority 1 and 2 both have tagPrefixList ["beta","prod"]'"#,
        ),
        (
            "two rules with the same patterns",
            text(&policy(vec![
                rule(json!(1), tagged_patterns(json!(["prod*"]))),
                rule(json!(3), tagged_patterns(json!(["prod*"]))),
            ])),
            r#"the rules with rulePriority 1 and 3 both have tagPatternList ["prod*"]'"#,
        ),
    ];

    for (name, policy_text, expected) in cases {
        let message = match parse(&policy_text) {
            Ok(parsed) => panic!("{name}: accepted as {parsed:?}"),
            Err(error) => error.message,
        };
        assert!(message.starts_with(FRAME) && message.ends_with('\''), "{name}: not in ECR's frame: {message}");
        assert!(message.contains(expected), "{name}:\n  message: {message}\n  wanted:  {expected}");
    }
}

// ---------------------------------------------------------------------------------------------
// Acceptance
// ---------------------------------------------------------------------------------------------

/// The policies of ECR's "Examples of lifecycle policies" and "Lifecycle policy properties".
fn documented_policies() -> Vec<(&'static str, Value)> {
    let since = |status: &str, days: u32| json!({ "tagStatus": status, "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days });
    vec![
        (
            "expire prod* images older than 14 days",
            policy(vec![rule(
                json!(1),
                json!({ "tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed",
                        "countUnit": "days", "countNumber": 14 }),
            )]),
        ),
        ("expire untagged images older than 14 days", policy(vec![rule(json!(1), since("untagged", 14))])),
        ("keep only one untagged image", policy(vec![rule(json!(1), untagged_keep_one())])),
        (
            "multiple rules",
            policy(vec![
                rule(json!(1), tagged_patterns(json!(["prod*"]))),
                rule(json!(2), tagged_patterns(json!(["beta*"]))),
            ]),
        ),
        ("multiple tag prefixes in one rule", policy(vec![rule(json!(1), tagged_prefixes(json!(["alpha", "beta"])))])),
        (
            "the valid wildcard example",
            policy(vec![rule(json!(1), tagged_patterns(json!(["*test*1*2*3", "test*1*2*3*"])))]),
        ),
        (
            "all rule types in one policy",
            policy(vec![
                rule(json!(1), tagged_patterns(json!(["alpha*"]))),
                rule(json!(2), since("untagged", 1)),
                rule(json!(3), any_keep_one()),
            ]),
        ),
        (
            "priorities need not be sequential nor written in order",
            policy(vec![rule(json!(100), any_keep_one()), rule(json!(10), tagged_prefixes(json!(["v"])))]),
        ),
        (
            "a prefix list and a pattern list may say the same",
            policy(vec![
                rule(json!(1), tagged_prefixes(json!(["prod"]))),
                rule(json!(2), tagged_patterns(json!(["prod"]))),
            ]),
        ),
    ]
}

#[test]
fn ecr_accepts_its_documented_policies() {
    for (name, value) in documented_policies() {
        let parsed = parse(&text(&value)).unwrap_or_else(|error| panic!("{name}: {}", error.message));
        // Written back, the policy is the text it was read from.
        assert_eq!(Value::from(&parsed), value, "{name}");
    }
}

#[test]
fn ecr_parses_a_policy_into_its_rules() {
    let value = policy(vec![
        json!({ "rulePriority": 2, "description": "Keep the last 2 tagged images",
                "selection": { "tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                               "countNumber": 2 },
                "action": { "type": "expire" } }),
        json!({ "rulePriority": 1,
                "selection": { "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                               "countNumber": 14 },
                "action": { "type": "expire" } }),
    ]);
    let expected = LifecyclePolicy {
        rules: vec![
            Rule {
                rule_priority: 2,
                description: Some("Keep the last 2 tagged images".into()),
                selection: Selection {
                    tag_status: TagStatus::Tagged,
                    tag_prefix_list: vec![],
                    tag_pattern_list: vec!["*".into()],
                    count: Count::ImageCountMoreThan(2),
                },
                action: Action::Expire,
            },
            Rule {
                rule_priority: 1,
                description: None,
                selection: Selection {
                    tag_status: TagStatus::Untagged,
                    tag_prefix_list: vec![],
                    tag_pattern_list: vec![],
                    count: Count::SinceImagePushed { days: 14 },
                },
                action: Action::Expire,
            },
        ],
    };
    assert_eq!(parse(&text(&value)), Ok(expected));
}

#[test]
fn ecr_length_limits_count_characters_and_include_the_bounds() {
    let base = serde_json::to_string(&policy(vec![rule(json!(1), untagged_keep_one())])).expect("json");
    let padded = |length: usize, pad: char| {
        let mut out = base.clone();
        while out.chars().count() < length {
            out.push(pad);
        }
        out
    };
    assert!(parse(&padded(MIN_POLICY_TEXT_LENGTH, ' ')).is_ok());
    assert!(parse(&padded(MAX_POLICY_TEXT_LENGTH, ' ')).is_ok());
    // Inside the description, multi-byte characters count once each.
    let description = "é".repeat(MAX_POLICY_TEXT_LENGTH - base.len() - r#","description":"""#.len());
    let mut value = policy(vec![rule(json!(1), untagged_keep_one())]);
    value["rules"][0]["description"] = json!(description);
    let text = serde_json::to_string(&value).expect("json");
    assert!(text.len() > MAX_POLICY_TEXT_LENGTH && text.chars().count() <= MAX_POLICY_TEXT_LENGTH);
    assert!(parse(&text).is_ok());
}

#[test]
fn ecr_serde_validates_like_parse_and_writes_ecr_json() {
    let value = policy(vec![rule(json!(1), untagged_keep_one())]);
    let parsed: LifecyclePolicy = serde_json::from_value(value.clone()).expect("valid");
    assert_eq!(serde_json::to_value(&parsed).expect("json"), value);

    let refused = serde_json::from_value::<LifecyclePolicy>(policy(vec![rule(json!(0), untagged_keep_one())]));
    let message = refused.expect_err("rulePriority 0").to_string();
    assert!(
        message.starts_with(FRAME) && message.contains("(minimum: 1, found: 0) at /rules/0/rulePriority"),
        "{message}"
    );
}

#[test]
fn ecr_writes_count_units_only_for_since_image_pushed() {
    let policy = LifecyclePolicy {
        rules: vec![Rule {
            rule_priority: 1,
            description: None,
            selection: Selection {
                tag_status: TagStatus::Tagged,
                tag_prefix_list: vec!["prod".into()],
                tag_pattern_list: vec![],
                count: Count::SinceImagePushed { days: 14 },
            },
            action: Action::Expire,
        }],
    };
    assert_eq!(
        Value::from(&policy),
        json!({ "rules": [{ "rulePriority": 1,
            "selection": { "tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "sinceImagePushed",
                           "countUnit": "days", "countNumber": 14 },
            "action": { "type": "expire" } }] })
    );
}
