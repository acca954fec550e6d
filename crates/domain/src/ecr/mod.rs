//! Amazon ECR lifecycle policies: the policy text as types ([`parse`], validated as ECR validates
//! `PutLifecyclePolicy` / `StartLifecyclePolicyPreview`), and which images a policy expires
//! ([`evaluate`]), as ECR's lifecycle policy evaluator decides.
//!
//! Sources (Amazon ECR User Guide): "Lifecycle policy properties in Amazon ECR"
//! (`lifecycle_policy_parameters`), "Automate the cleanup of images by using lifecycle policies"
//! (`LifecyclePolicies`, its "Lifecycle policy evaluation rules") and "Examples of lifecycle
//! policies in Amazon ECR" (`lifecycle_policy_examples`), whose worked examples are tests here.
//!
//! Scope: ECR's `expire` action with `imageCountMoreThan` and `sinceImagePushed`. ECR's archive
//! storage class (`storageClass`, the `transition` action, `sinceImagePulled`,
//! `sinceImageTransitioned`) has no counterpart here, so policies using it are refused with a
//! message that says so rather than half-applied.
//!
//! Invariant: a [`LifecyclePolicy`] obtained from [`parse`] (or serde) satisfies every rule of
//! [`parse`]; [`evaluate`] does not re-check them and works on any value.

pub mod claim;
mod lifecycle;
pub mod plan;
mod policy_text;
pub mod reference;

#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod policy_text_tests;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};

pub use lifecycle::{Evaluation, Expiry, ExpiryReason, Image, evaluate};
pub use policy_text::{MAX_POLICY_TEXT_LENGTH, MAX_WILDCARDS_PER_PATTERN, MIN_POLICY_TEXT_LENGTH, parse};

/// A repository's lifecycle policy: one or more rules, applied by ascending `rulePriority`.
///
/// The rules keep the order they were written in; [`evaluate`] orders them itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecyclePolicy {
    pub rules: Vec<Rule>,
}

/// One rule: which images it selects and what happens to those beyond its count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Unique in the policy, at least 1; lower numbers are applied first and win.
    pub rule_priority: u32,
    pub description: Option<String>,
    pub selection: Selection,
    pub action: Action,
}

/// Which images a rule looks at, and the count that decides which of them expire.
///
/// With `tagStatus` `tagged` exactly one of the two lists is non-empty; with `untagged` and `any`
/// both are empty (what [`parse`] guarantees, mirroring ECR).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub tag_status: TagStatus,
    /// Every prefix must be the start of at least one of the image's tags.
    pub tag_prefix_list: Vec<String>,
    /// Every pattern (`*` matches any run of characters) must match at least one of the image's tags.
    pub tag_pattern_list: Vec<String>,
    pub count: Count,
}

/// ECR's `tagStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TagStatus {
    /// Images with at least one tag that satisfy the rule's prefix or pattern list.
    Tagged,
    /// Images without tags.
    Untagged,
    /// Every image.
    Any,
}

impl TagStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TagStatus::Tagged => "tagged",
            TagStatus::Untagged => "untagged",
            TagStatus::Any => "any",
        }
    }
}

/// ECR's `countType` with its `countNumber` (and `countUnit`, which can only be `days`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Count {
    /// `imageCountMoreThan`: keep the newest N selected images, expire the rest.
    ImageCountMoreThan(u32),
    /// `sinceImagePushed` with `countUnit` `days`: expire selected images pushed more than N days ago.
    SinceImagePushed { days: u32 },
}

/// ECR's `action.type`. Only `expire` exists here (ECR's `transition` needs archive storage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Expire,
}

/// Why a policy text was refused. ECR answers `InvalidParameterException` with this message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    pub message: String,
}

impl From<&LifecyclePolicy> for Value {
    /// The policy as ECR's JSON: optional fields are left out rather than written as `null` or
    /// `[]`, because ECR refuses both (a `null` countUnit, an empty tagPrefixList on `untagged`).
    fn from(policy: &LifecyclePolicy) -> Value {
        let rules: Vec<Value> = policy.rules.iter().map(rule_json).collect();
        json!({ "rules": rules })
    }
}

fn rule_json(rule: &Rule) -> Value {
    let selection = &rule.selection;
    let mut out = json!({ "tagStatus": selection.tag_status.as_str() });
    if !selection.tag_prefix_list.is_empty() {
        out["tagPrefixList"] = json!(selection.tag_prefix_list);
    }
    if !selection.tag_pattern_list.is_empty() {
        out["tagPatternList"] = json!(selection.tag_pattern_list);
    }
    match selection.count {
        Count::ImageCountMoreThan(number) => {
            out["countType"] = json!("imageCountMoreThan");
            out["countNumber"] = json!(number);
        }
        Count::SinceImagePushed { days } => {
            out["countType"] = json!("sinceImagePushed");
            out["countUnit"] = json!("days");
            out["countNumber"] = json!(days);
        }
    }
    let action = match rule.action {
        Action::Expire => "expire",
    };
    let mut rule_out = json!({ "rulePriority": rule.rule_priority });
    if let Some(description) = &rule.description {
        rule_out["description"] = json!(description);
    }
    rule_out["selection"] = out;
    rule_out["action"] = json!({ "type": action });
    rule_out
}

impl Serialize for LifecyclePolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::from(self).serialize(serializer)
    }
}

/// Deserializing validates exactly as [`parse`] does (less the text length limits, which belong
/// to the text), so no unchecked policy exists.
impl<'de> Deserialize<'de> for LifecyclePolicy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        policy_text::from_value(&value).map_err(serde::de::Error::custom)
    }
}
