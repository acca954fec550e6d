//! Repository: an ECR repository of kube-ecs's image registry, with its tag mutability and
//! lifecycle policy.
//!
//! Namespaced, like a team's TaskDefinitions: a team's repositories live in its namespace, where its
//! RBAC and its ECS API key's namespace already are. The registry path is `spec.repositoryName`, not
//! the object's name, because ECR names hold `/` (`team/web`) and Kubernetes names cannot. One
//! registry serves every namespace, so a `repositoryName` is unique across the cluster: the
//! controller (to come, docs/ecr.md) serves the first claimant and reports any other with a condition.
//!
//! The spec uses ECR's JSON names (`CreateRepository`'s input, and the lifecycle policy's JSON as a
//! structured object), so the shapes ECR documents paste. The lifecycle policy's rules are checked
//! at apply time (rules.rs) with the messages of `kube_ecs_domain::ecr::parse`, the parser the
//! controller and the ECR API are to run; `tests/repositories.rs` holds both to one table.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, MicroTime, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Tag;
use crate::ecs::{
    EncryptionType, ImageTagMutability, ImageTagMutabilityExclusionFilterType, LifecycleActionType, LifecycleCountType,
    LifecycleCountUnit, LifecycleTagStatus,
};

/// The most rules a lifecycle policy holds. ECR bounds only the policy text (30720 characters); the
/// apply-time rules compare every rule's tag lists with every other's, and the API server cuts a CEL
/// call off at a cost budget, so kube-ecs bounds the rules and their lists instead. At these bounds
/// a near-worst policy (tests/repositories.rs) costs under a quarter of a call's budget; with 20
/// entries per list it cost over half.
pub const MAX_LIFECYCLE_RULES: usize = 50;
/// The most entries of a rule's `tagPrefixList` or `tagPatternList` (a kube-ecs bound, as above).
pub const MAX_TAG_FILTERS: usize = 10;
/// The longest prefix or pattern: ECR's longest image tag (300 characters).
pub const MAX_TAG_FILTER_LENGTH: usize = 300;
/// The most images `status.images` lists (the newest); `status.imageCount` counts them all. Keeps
/// the status well under etcd's object size limit whatever the repository holds.
pub const MAX_STATUS_IMAGES: usize = 1000;
/// The most expired images `status.expiredImages` keeps (the most recent).
pub const MAX_STATUS_EXPIRED_IMAGES: usize = 100;

/// An ECR repository; push and pull its images at `status.repositoryUri`. Namespaced, like a team's
/// TaskDefinitions (an ECS API key's namespace holds both). The registry path is `repositoryName`,
/// not the object's name (ECR names hold `/`, Kubernetes names cannot), and it is unique across the
/// cluster, since one registry serves every namespace: a second claimant is refused by a condition.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecs.kube-ecs.dev",
    version = "v1alpha1",
    kind = "Repository",
    namespaced,
    status = "RepositoryStatus",
    shortname = "ecrrepo",
    category = "ecs",
    doc = "An ECR repository of kube-ecs's registry: tag mutability and a lifecycle policy.",
    printcolumn(name = "RepositoryName", type_ = "string", json_path = ".spec.repositoryName"),
    printcolumn(name = "URI", type_ = "string", json_path = ".status.repositoryUri"),
    printcolumn(name = "Images", type_ = "integer", json_path = ".status.imageCount"),
    printcolumn(name = "Mutability", type_ = "string", json_path = ".status.imageTagMutability"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct RepositorySpec {
    /// The registry path (2-256 characters): lowercase letters and digits, separated by `.`, `_`,
    /// `__` or hyphens, in `/`-separated components, e.g. `web` or `team/web`. Unique across the
    /// cluster (one registry serves every namespace); cannot be changed, as ECR cannot rename.
    pub repository_name: String,
    /// `MUTABLE` (the default: a push may move a tag to a new image) or `IMMUTABLE` (a pushed tag
    /// keeps its image). `IMMUTABLE_WITH_EXCLUSION` and `MUTABLE_WITH_EXCLUSION` are accepted and
    /// enforced as IMMUTABLE and MUTABLE; their exclusion filters are reported as not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<ImageTagMutability>,
    /// Tags exempt from the mutability setting (1 to 5). Accepted and reported as not applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tag_mutability_exclusion_filters: Vec<ImageTagMutabilityExclusionFilter>,
    /// Which images expire: ECR's lifecycle policy JSON, written as an object rather than a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_policy: Option<LifecyclePolicy>,
    /// Scan images on push. Accepted and reported as not applied (kube-ecs's registry has no scanner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_scanning_configuration: Option<ImageScanningConfiguration>,
    /// Encryption at rest. Accepted and reported as not applied (the registry's storage decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_configuration: Option<EncryptionConfiguration>,
    /// Metadata tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl RepositorySpec {
    /// The mutability in effect: MUTABLE when omitted, the base value of a `_WITH_EXCLUSION` one.
    pub fn enforced_image_tag_mutability(&self) -> ImageTagMutability {
        match self.image_tag_mutability.unwrap_or_default() {
            ImageTagMutability::Immutable | ImageTagMutability::ImmutableWithExclusion => ImageTagMutability::Immutable,
            ImageTagMutability::Mutable | ImageTagMutability::MutableWithExclusion => ImageTagMutability::Mutable,
        }
    }
}

/// Tags excluded from the repository's mutability setting.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageTagMutabilityExclusionFilter {
    /// `WILDCARD`.
    pub filter_type: ImageTagMutabilityExclusionFilterType,
    /// A tag pattern (1-128 letters, digits, `.`, `_`, `-` and `*`), e.g. `dev-*`.
    pub filter: String,
}

/// ECR's lifecycle policy: rules applied by ascending `rulePriority`; an image is expired by at
/// most one rule, the first whose tags it matches. Images a task or service uses are never expired.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePolicy {
    /// The rules (1 to 50).
    pub rules: Vec<LifecyclePolicyRule>,
}

/// One lifecycle policy rule.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePolicyRule {
    /// Order of application, lowest first: unique in the policy, at least 1. A rule with tagStatus
    /// `any` must have the highest.
    pub rule_priority: i32,
    /// What the rule is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which images the rule looks at, and which of them it expires.
    pub selection: LifecyclePolicySelection,
    /// What happens to the images the rule selects beyond its count.
    pub action: LifecyclePolicyAction,
}

/// The images a rule selects and the count that decides which of them expire.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePolicySelection {
    /// `tagged` (images with a tag matching the prefix or pattern list; exactly one of the two is
    /// given), `untagged` (images without tags; at most one such rule) or `any` (every image).
    pub tag_status: LifecycleTagStatus,
    /// With `tagged`: every prefix must start one of the image's tags (1 to 10 prefixes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_prefix_list: Vec<String>,
    /// With `tagged`: every pattern must match one of the image's tags; `*` matches any run of
    /// characters, at most four per pattern (1 to 10 patterns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_pattern_list: Vec<String>,
    /// `imageCountMoreThan` (keep the newest countNumber images) or `sinceImagePushed` (expire
    /// images pushed more than countNumber days ago).
    pub count_type: LifecycleCountType,
    /// `days`: required with `sinceImagePushed`, omitted with `imageCountMoreThan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_unit: Option<LifecycleCountUnit>,
    /// The image count or the number of days (at least 1).
    pub count_number: i32,
}

/// A rule's action.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePolicyAction {
    /// `expire`.
    #[serde(rename = "type")]
    pub type_: LifecycleActionType,
}

/// Image scanning settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanningConfiguration {
    /// Scan each image after it is pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_on_push: Option<bool>,
}

/// Encryption at rest.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionConfiguration {
    /// `AES256`, `KMS` or `KMS_DSSE`.
    pub encryption_type: EncryptionType,
    /// The KMS key (alias, key ID or ARN) for `KMS` and `KMS_DSSE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
}

/// Observed state of a repository, as ECR's `DescribeRepositories` and `DescribeImages` report it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `arn:aws:ecr:<region>:<registryId>:repository/<repositoryName>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_arn: Option<String>,
    /// The registry's account ID (12 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_id: Option<String>,
    /// Where images are pushed and pulled: `<registry host>/<repositoryName>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_uri: Option<String>,
    /// When the registry created the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// The mutability in effect: `MUTABLE` or `IMMUTABLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag_mutability: Option<ImageTagMutability>,
    /// Number of images in the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_count: Option<i64>,
    /// The images, newest first (at most 1000; imageCount counts them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageDetail>,
    /// When the lifecycle policy last ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_lifecycle_run: Option<Time>,
    /// Images the lifecycle policy expired, most recent first (at most 100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired_images: Vec<ExpiredImage>,
    /// Fields accepted for compatibility that kube-ecs does not act on, as JSON paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported_fields: Vec<String>,
    /// `Ready`, `Valid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
}

/// One image of the repository, as ECR's `ImageDetail`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageDetail {
    /// `sha256:...` of the image manifest.
    pub image_digest: String,
    /// The image's tags; empty for an untagged image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tags: Vec<String>,
    /// When the image was pushed, to the microsecond: a lifecycle policy orders images by it, and
    /// images pushed within one second must keep their order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pushed_at: Option<MicroTime>,
    /// Size in the registry, in bytes (compressed layers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_size_in_bytes: Option<i64>,
    /// A task or service uses the image, so the lifecycle policy keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use: Option<bool>,
}

/// An image the lifecycle policy expired.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpiredImage {
    /// `sha256:...` of the image manifest.
    pub image_digest: String,
    /// The tags it had.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tags: Vec<String>,
    /// When it was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pushed_at: Option<MicroTime>,
    /// When it was expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<Time>,
    /// The rule that expired it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_rule_priority: Option<i32>,
}

#[cfg(test)]
mod tests {
    use kube::CustomResourceExt;
    use serde_json::{Value, json};

    use super::*;

    fn spec_schema() -> Value {
        let crd = crate::crdgen::all()
            .into_iter()
            .find_map(|(file, crd)| (file == "repositories.yaml").then_some(crd))
            .expect("crdgen::all() serves the Repository CRD");
        let schema = &crd.spec.versions[0].schema;
        serde_json::to_value(schema).expect("schema serialises")["openAPIV3Schema"]["properties"]["spec"].clone()
    }

    #[test]
    fn a_namespaced_kind_in_the_ecs_category() {
        let crd = Repository::crd();
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.plural, "repositories");
        assert_eq!(crd.spec.names.short_names, Some(vec!["ecrrepo".to_string()]));
        assert_eq!(crd.spec.names.categories, Some(vec!["ecs".to_string()]));
        let columns: Vec<String> = crd.spec.versions[0]
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| format!("{}={}", c.name, c.json_path))
            .collect();
        assert_eq!(
            columns,
            [
                "RepositoryName=.spec.repositoryName",
                "URI=.status.repositoryUri",
                "Images=.status.imageCount",
                "Mutability=.status.imageTagMutability",
                "Age=.metadata.creationTimestamp",
            ]
        );
    }

    #[test]
    fn the_spec_schema_has_ecrs_names_and_vocabularies() {
        let spec = spec_schema();
        assert_eq!(spec["required"], json!(["repositoryName"]));
        assert_eq!(
            spec["properties"]["imageTagMutability"]["enum"],
            json!(["MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"])
        );
        assert_eq!(
            spec["properties"]["encryptionConfiguration"]["properties"]["encryptionType"]["enum"],
            json!(["AES256", "KMS", "KMS_DSSE"])
        );
        let rule = &spec["properties"]["lifecyclePolicy"]["properties"]["rules"]["items"];
        assert_eq!(rule["required"], json!(["action", "rulePriority", "selection"]));
        let selection = &rule["properties"]["selection"];
        assert_eq!(selection["required"], json!(["countNumber", "countType", "tagStatus"]));
        assert_eq!(selection["properties"]["tagStatus"]["enum"], json!(["tagged", "untagged", "any"]));
        assert_eq!(selection["properties"]["countType"]["enum"], json!(["imageCountMoreThan", "sinceImagePushed"]));
        assert_eq!(selection["properties"]["countUnit"]["enum"], json!(["days"]));
        assert_eq!(rule["properties"]["action"]["properties"]["type"]["enum"], json!(["expire"]));
    }

    #[test]
    fn every_list_and_string_a_rule_reads_is_bounded() {
        // The API server refuses a CRD whose CEL rules could cost more than its budget: every list and
        // string a rule walks needs a bound.
        let spec = spec_schema();
        assert_eq!(spec["properties"]["repositoryName"]["maxLength"], json!(256));
        let rules = &spec["properties"]["lifecyclePolicy"]["properties"]["rules"];
        assert_eq!(rules["maxItems"], json!(50));
        let selection = &rules["items"]["properties"]["selection"]["properties"];
        for list in ["tagPrefixList", "tagPatternList"] {
            assert_eq!(selection[list]["minItems"], json!(1), "{list}");
            assert_eq!(selection[list]["maxItems"], json!(10), "{list}");
            assert_eq!(selection[list]["items"]["maxLength"], json!(300), "{list}");
        }
    }

    #[test]
    fn mutability_defaults_to_mutable_and_exclusions_enforce_their_base_value() {
        let spec = |mutability: Value| -> RepositorySpec {
            let mut spec = json!({"repositoryName": "team/web"});
            if !mutability.is_null() {
                spec["imageTagMutability"] = mutability;
            }
            serde_json::from_value(spec).expect("spec")
        };
        assert_eq!(spec(Value::Null).image_tag_mutability, None, "the default is resolved, never written to spec");
        assert_eq!(spec(Value::Null).enforced_image_tag_mutability(), ImageTagMutability::Mutable);
        assert_eq!(spec(json!("IMMUTABLE")).enforced_image_tag_mutability(), ImageTagMutability::Immutable);
        assert_eq!(
            spec(json!("IMMUTABLE_WITH_EXCLUSION")).enforced_image_tag_mutability(),
            ImageTagMutability::Immutable
        );
        assert_eq!(spec(json!("MUTABLE_WITH_EXCLUSION")).enforced_image_tag_mutability(), ImageTagMutability::Mutable);
    }

    #[test]
    fn a_pasted_policy_round_trips_with_ecrs_field_names() {
        let policy = json!({"rules": [
            {"rulePriority": 1, "description": "keep ten releases",
             "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 10},
             "action": {"type": "expire"}},
            {"rulePriority": 2,
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
             "action": {"type": "expire"}}
        ]});
        let parsed: LifecyclePolicy = serde_json::from_value(policy.clone()).expect("policy");
        assert_eq!(parsed.rules[1].selection.count_unit, Some(LifecycleCountUnit::Days));
        assert_eq!(serde_json::to_value(&parsed).expect("serialises"), policy);
    }
}
