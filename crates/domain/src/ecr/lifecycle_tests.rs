//! What lifecycle policies expire, table by table: ECR's documented examples ("Examples of
//! lifecycle policies in Amazon ECR", with their repositories and results), then the edges.
//!
//! Images are named by a letter; their digest is `sha256:<letter>`. Every table evaluates at
//! `NOW` and compares the whole outcome: expired images with the rule that expires them, and
//! images kept because they are in use with the rule that would have expired them, oldest first.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::lifecycle::wildcard_match;
use super::*;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_800_000_000).expect("time")
}

fn hours_ago(hours: i64) -> jiff::Timestamp {
    now().checked_sub(jiff::SignedDuration::from_hours(hours)).expect("time")
}

fn days_ago(days: i64) -> jiff::Timestamp {
    hours_ago(days * 24)
}

fn image(name: &str, tags: &[&str], pushed_at: jiff::Timestamp) -> Image {
    Image { digest: format!("sha256:{name}"), tags: tags.iter().map(|tag| tag.to_string()).collect(), pushed_at }
}

fn rule(priority: u32, selection: Value) -> Value {
    json!({ "rulePriority": priority, "selection": selection, "action": { "type": "expire" } })
}

fn keep(status: &str, tags: Option<(&str, Value)>, count: u32) -> Value {
    let mut selection = json!({ "tagStatus": status, "countType": "imageCountMoreThan", "countNumber": count });
    if let Some((list, values)) = tags {
        selection[list] = values;
    }
    selection
}

fn older_than(status: &str, tags: Option<(&str, Value)>, days: u32) -> Value {
    let mut selection =
        json!({ "tagStatus": status, "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days });
    if let Some((list, values)) = tags {
        selection[list] = values;
    }
    selection
}

fn prefixes(values: &[&str]) -> Option<(&'static str, Value)> {
    Some(("tagPrefixList", json!(values)))
}

fn patterns(values: &[&str]) -> Option<(&'static str, Value)> {
    Some(("tagPatternList", json!(values)))
}

/// Goes through [`parse`], so every table's policy is one ECR accepts.
fn policy(rules: Vec<Value>) -> LifecyclePolicy {
    let mut text = serde_json::to_string(&json!({ "rules": rules })).expect("json");
    while text.len() < MIN_POLICY_TEXT_LENGTH {
        text.push(' ');
    }
    parse(&text).unwrap_or_else(|error| panic!("{}", error.message))
}

/// `(image, rulePriority)`, oldest first.
type Outcome = Vec<(&'static str, u32)>;

struct Case {
    name: &'static str,
    policy: LifecyclePolicy,
    images: Vec<Image>,
    in_use: &'static [&'static str],
    expired: Outcome,
    kept_in_use: Outcome,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let in_use = |image: &Image| case.in_use.iter().any(|name| image.digest == format!("sha256:{name}"));
        let evaluation = evaluate(&case.policy, &case.images, now(), &in_use);
        let name_of = |digest: &str| digest.trim_start_matches("sha256:").to_owned();
        let expired: Vec<(String, u32)> =
            evaluation.expired.iter().map(|expiry| (name_of(&expiry.digest), expiry.rule_priority)).collect();
        let kept: Vec<(String, u32)> =
            evaluation.kept_in_use.iter().map(|(digest, priority)| (name_of(digest), *priority)).collect();
        let owned = |outcome: &Outcome| outcome.iter().map(|(name, p)| (name.to_string(), *p)).collect::<Vec<_>>();
        assert_eq!(expired, owned(&case.expired), "{}: expired", case.name);
        assert_eq!(kept, owned(&case.kept_in_use), "{}: kept in use", case.name);
    }
}

/// The repository of "Filtering on multiple rules", examples A and B.
fn beta_prod_repository() -> Vec<Image> {
    vec![
        image("A", &["beta-1", "prod-1"], days_ago(10)),
        image("B", &["beta-2", "prod-2"], days_ago(9)),
        image("C", &["beta-3"], days_ago(8)),
    ]
}

/// The repository of "Filtering on all images", example B. ECR pushes D and E "1 day ago"; its
/// result (D expired by Rule 3, E kept by Rule 2 as not older than a day) needs E pushed after D
/// and less than a day ago.
fn all_rule_types_repository() -> Vec<Image> {
    vec![
        image("A", &["alpha-1", "beta-1"], days_ago(4)),
        image("B", &[], days_ago(3)),
        image("C", &["alpha-2"], days_ago(2)),
        image("D", &["git hash"], days_ago(1)),
        image("E", &[], hours_ago(23)),
    ]
}

// ---------------------------------------------------------------------------------------------
// ECR's documented examples
// ---------------------------------------------------------------------------------------------

#[test]
fn ecr_documented_examples_expire_what_ecr_says() {
    run(vec![
        Case {
            name: "Filtering on image age: prod* images older than 14 days",
            policy: policy(vec![rule(1, older_than("tagged", patterns(&["prod*"]), 14))]),
            images: vec![
                image("A", &["prod"], days_ago(30)),
                image("B", &["production-team1"], days_ago(15)),
                image("C", &["prod1"], days_ago(13)),
                image("D", &["dev-prod"], days_ago(30)),
                image("E", &[], days_ago(30)),
            ],
            in_use: &[],
            expired: vec![("A", 1), ("B", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on image age: untagged images older than 14 days",
            policy: policy(vec![rule(1, older_than("untagged", None, 14))]),
            images: vec![
                image("A", &[], days_ago(20)),
                image("B", &["v1"], days_ago(20)),
                image("C", &[], days_ago(2)),
            ],
            in_use: &[],
            expired: vec![("A", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on image count: keep only one untagged image",
            policy: policy(vec![rule(1, keep("untagged", None, 1))]),
            images: vec![
                image("A", &[], days_ago(3)),
                image("B", &[], days_ago(2)),
                image("C", &[], days_ago(1)),
                image("D", &["latest"], days_ago(9)),
            ],
            in_use: &[],
            expired: vec![("A", 1), ("B", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on multiple rules, example A (tagPrefixList): B is Rule 1's to keep",
            policy: policy(vec![
                rule(1, keep("tagged", prefixes(&["prod"]), 1)),
                rule(2, keep("tagged", prefixes(&["beta"]), 1)),
            ]),
            images: beta_prod_repository(),
            in_use: &[],
            expired: vec![("A", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on multiple rules, example A (tagPatternList)",
            policy: policy(vec![
                rule(1, keep("tagged", patterns(&["prod*"]), 1)),
                rule(2, keep("tagged", patterns(&["beta*"]), 1)),
            ]),
            images: beta_prod_repository(),
            in_use: &[],
            expired: vec![("A", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on multiple rules, example B: Rule 1 sees all three",
            policy: policy(vec![
                rule(1, keep("tagged", patterns(&["beta*"]), 1)),
                rule(2, keep("tagged", patterns(&["prod*"]), 1)),
            ]),
            images: beta_prod_repository(),
            in_use: &[],
            expired: vec![("A", 1), ("B", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on multiple tags in a single rule, example A: all prefixes must match",
            policy: policy(vec![rule(1, older_than("tagged", prefixes(&["alpha", "beta"]), 5))]),
            images: vec![
                image("A", &["alpha-1"], days_ago(12)),
                image("B", &["beta-1"], days_ago(11)),
                image("C", &["alpha-2", "beta-2"], days_ago(10)),
                image("D", &["alpha-3"], days_ago(4)),
                image("E", &["beta-3"], days_ago(3)),
                image("F", &["alpha-4", "beta-4"], days_ago(2)),
            ],
            in_use: &[],
            expired: vec![("C", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on multiple tags in a single rule, example B: tags are not exclusive",
            policy: policy(vec![rule(1, keep("tagged", patterns(&["alpha*", "beta*"]), 1))]),
            images: vec![
                image("A", &["alpha-1", "beta-1", "gamma-1"], days_ago(10)),
                image("B", &["alpha-2", "beta-2"], days_ago(9)),
                image("C", &["alpha-3", "beta-3", "gamma-2"], days_ago(8)),
            ],
            in_use: &[],
            expired: vec![("A", 1), ("B", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on all images, example A: keep one image",
            policy: policy(vec![rule(1, keep("any", None, 1))]),
            images: vec![
                image("A", &["alpha-1"], days_ago(4)),
                image("B", &["beta-1"], days_ago(3)),
                image("C", &[], days_ago(2)),
                image("D", &["alpha-2"], days_ago(1)),
            ],
            in_use: &[],
            expired: vec![("A", 1), ("B", 1), ("C", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "Filtering on all images, example B: all rule types; Rule 3 counts A, B, C, E but marks only D",
            policy: policy(vec![
                rule(1, keep("tagged", patterns(&["alpha*"]), 1)),
                rule(2, older_than("untagged", None, 1)),
                rule(3, keep("any", None, 1)),
            ]),
            images: all_rule_types_repository(),
            in_use: &[],
            expired: vec![("A", 1), ("B", 2), ("D", 3)],
            kept_in_use: vec![],
        },
    ]);
}

// ---------------------------------------------------------------------------------------------
// Beyond the examples
// ---------------------------------------------------------------------------------------------

fn four_tagged() -> Vec<Image> {
    vec![
        image("A", &["v1"], days_ago(4)),
        image("B", &["v2"], days_ago(3)),
        image("C", &["v3"], days_ago(2)),
        image("D", &["v4", "latest"], days_ago(1)),
    ]
}

#[test]
fn ecr_lifecycle_edges_and_images_in_use() {
    run(vec![
        Case {
            name: "keep the last 2 tagged images of 4",
            policy: policy(vec![rule(1, keep("tagged", patterns(&["*"]), 2))]),
            images: four_tagged(),
            in_use: &[],
            expired: vec![("A", 1), ("B", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "an image in use is kept, and still counts: the rule keeps C and D, not A's place",
            policy: policy(vec![rule(1, keep("tagged", patterns(&["*"]), 2))]),
            images: four_tagged(),
            in_use: &["A"],
            expired: vec![("B", 1)],
            kept_in_use: vec![("A", 1)],
        },
        Case {
            name: "an image in use stays claimed: the later any rule cannot expire it either",
            policy: policy(vec![rule(1, older_than("untagged", None, 1)), rule(2, keep("any", None, 1))]),
            images: vec![
                image("U", &[], days_ago(5)),
                image("T1", &["a"], days_ago(3)),
                image("T2", &["b"], days_ago(1)),
            ],
            in_use: &["U"],
            expired: vec![("T1", 2)],
            kept_in_use: vec![("U", 1)],
        },
        Case {
            name: "an image in use is not expired under an age rule",
            policy: policy(vec![rule(1, older_than("any", None, 7))]),
            images: four_tagged()
                .into_iter()
                .map(|mut image| {
                    image.pushed_at = days_ago(30);
                    image
                })
                .collect(),
            in_use: &["C", "D"],
            expired: vec![("A", 1), ("B", 1)],
            kept_in_use: vec![("C", 1), ("D", 1)],
        },
        Case {
            name: "rules apply by rulePriority, not by the order they are written",
            policy: policy(vec![
                rule(20, keep("tagged", prefixes(&["beta"]), 1)),
                rule(10, keep("tagged", prefixes(&["prod"]), 1)),
            ]),
            images: beta_prod_repository(),
            in_use: &[],
            expired: vec![("A", 10)],
            kept_in_use: vec![],
        },
        Case {
            name: "a keep-everything rule first shields its images from a later any rule",
            policy: policy(vec![rule(1, keep("tagged", prefixes(&["release-"]), 9999)), rule(2, keep("any", None, 1))]),
            images: vec![
                image("R1", &["release-1"], days_ago(40)),
                image("R2", &["release-2"], days_ago(30)),
                image("X", &["dev"], days_ago(20)),
                image("Y", &[], days_ago(10)),
            ],
            in_use: &[],
            expired: vec![("X", 2)],
            kept_in_use: vec![],
        },
        Case {
            name: "one prefix matched by any of the image's tags",
            policy: policy(vec![rule(1, older_than("tagged", prefixes(&["prod"]), 1))]),
            images: vec![image("A", &["latest", "prod-7"], days_ago(2)), image("B", &["latest"], days_ago(2))],
            in_use: &[],
            expired: vec![("A", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "a pattern without a wildcard is the whole tag",
            policy: policy(vec![rule(1, older_than("tagged", patterns(&["prod"]), 1))]),
            images: vec![image("A", &["prod"], days_ago(2)), image("B", &["prod1"], days_ago(2))],
            in_use: &[],
            expired: vec![("A", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "tagged with the pattern * never selects untagged images",
            policy: policy(vec![rule(1, older_than("tagged", patterns(&["*"]), 1))]),
            images: vec![image("A", &[], days_ago(2)), image("B", &["x"], days_ago(2))],
            in_use: &[],
            expired: vec![("B", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "an image exactly countNumber days old is not older than countNumber days",
            policy: policy(vec![rule(1, older_than("any", None, 14))]),
            images: vec![
                image("A", &[], days_ago(14)),
                image("B", &[], days_ago(14).checked_sub(jiff::SignedDuration::from_secs(1)).expect("time")),
            ],
            in_use: &[],
            expired: vec![("B", 1)],
            kept_in_use: vec![],
        },
        Case {
            name: "countNumber at ECR's maximum expires nothing (and does not overflow)",
            policy: policy(vec![rule(1, older_than("any", None, 2_147_483_647))]),
            images: vec![image("A", &[], days_ago(100_000)), image("B", &[], days_ago(1))],
            in_use: &[],
            expired: vec![],
            kept_in_use: vec![],
        },
        Case {
            name: "no images, nothing to do",
            policy: policy(vec![rule(1, keep("any", None, 1))]),
            images: vec![],
            in_use: &[],
            expired: vec![],
            kept_in_use: vec![],
        },
    ]);
}

#[test]
fn ecr_equal_push_times_are_ordered_by_digest_whatever_the_input_order() {
    let policy = policy(vec![rule(1, keep("any", None, 1))]);
    let at = days_ago(1);
    let forward = vec![image("a", &[], at), image("b", &[], at), image("c", &[], at)];
    let backward: Vec<Image> = forward.iter().rev().cloned().collect();
    for images in [forward, backward] {
        let evaluation = evaluate(&policy, &images, now(), &|_| false);
        let digests: Vec<&str> = evaluation.expired.iter().map(|expiry| expiry.digest.as_str()).collect();
        // The "newest" of equals is the greatest digest; the others expire, oldest first.
        assert_eq!(digests, vec!["sha256:a", "sha256:b"]);
    }
}

#[test]
fn ecr_expiries_carry_their_reason() {
    let policy = policy(vec![rule(1, older_than("untagged", None, 14)), rule(2, keep("tagged", patterns(&["v*"]), 2))]);
    let mut images = four_tagged();
    images.push(image("U", &[], days_ago(15)));
    let evaluation = evaluate(&policy, &images, now(), &|_| false);
    assert_eq!(
        evaluation,
        Evaluation {
            expired: vec![
                Expiry {
                    digest: "sha256:U".into(),
                    rule_priority: 1,
                    reason: ExpiryReason::SinceImagePushed { days: 14 },
                },
                Expiry {
                    digest: "sha256:A".into(),
                    rule_priority: 2,
                    reason: ExpiryReason::ImageCountMoreThan { count_number: 2, position: 4 },
                },
                Expiry {
                    digest: "sha256:B".into(),
                    rule_priority: 2,
                    reason: ExpiryReason::ImageCountMoreThan { count_number: 2, position: 3 },
                },
            ],
            kept_in_use: vec![],
        }
    );
    assert_eq!(
        ExpiryReason::ImageCountMoreThan { count_number: 2, position: 3 }.to_string(),
        "imageCountMoreThan 2: number 3 of the rule's images, newest first"
    );
    assert_eq!(
        ExpiryReason::SinceImagePushed { days: 14 }.to_string(),
        "sinceImagePushed: pushed more than 14 days ago"
    );
}

#[test]
fn ecr_tag_patterns_match_whole_tags_with_wildcards() {
    let cases = [
        ("prod*", "prod", true),
        ("prod*", "prod1", true),
        ("prod*", "production-team1", true),
        ("prod*", "xprod", false),
        ("*prod*", "repo-production", true),
        ("*prod*", "prod-team", true),
        ("*prod*", "pro-d", false),
        ("prod", "prod", true),
        ("prod", "prod1", false),
        ("*", "anything", true),
        ("*", "", true),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("a*b*c", "acb", false),
        ("a*b*c", "a-b-b-c", true),
        ("*test*1*2*3", "my-test-1-2-3", true),
        ("*test*1*2*3", "my-test-1-2-3-4", false),
        ("test*1*2*3*", "test123", true),
        ("**", "", true),
        ("v*-rc", "v1.2-rc", true),
        ("v*-rc", "v1.2-rc1", false),
    ];
    for (pattern, tag, expected) in cases {
        assert_eq!(wildcard_match(pattern, tag), expected, "{pattern} against {tag}");
    }
}
