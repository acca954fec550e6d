//! Repository -> ECR's Repository, its images -> ECR's ImageDetail, and its tags and lifecycle
//! policy as ECR writes them. What the controller has recorded (`status`) wins; before it has (right
//! after CreateRepository) the same values are computed here from the registry's address.

use kube_ecs_api::Repository;
use kube_ecs_api::common::Tag;
use kube_ecs_api::repository::{ImageDetail, LifecyclePolicy};
use kube_ecs_wire::ecr as wire;

use crate::arn::Arns;

/// Where the repositories live: what their ARNs, registry IDs and URIs are made of.
#[derive(Clone, Copy, Debug)]
pub struct RegistryAddress<'a> {
    pub arns: &'a Arns,
    /// The account, ECR's registry ID.
    pub registry_id: &'a str,
    /// The registry host of every `repositoryUri`.
    pub host: &'a str,
}

impl RegistryAddress<'_> {
    pub fn uri(&self, repository_name: &str) -> String {
        format!("{}/{repository_name}", self.host)
    }
}

/// The repository as CreateRepository and DescribeRepositories answer it.
pub fn repository(address: &RegistryAddress<'_>, repository: &Repository) -> wire::Repository {
    let spec = &repository.spec;
    let name = &spec.repository_name;
    let status = repository.status.clone().unwrap_or_default();
    let created = status.created_at.as_ref().or(repository.metadata.creation_timestamp.as_ref());
    wire::Repository {
        repository_arn: Some(status.repository_arn.unwrap_or_else(|| address.arns.repository(name))),
        registry_id: Some(status.registry_id.unwrap_or_else(|| address.registry_id.to_string())),
        repository_name: Some(name.clone()),
        repository_uri: Some(status.repository_uri.unwrap_or_else(|| address.uri(name))),
        created_at: super::timestamp(created),
        // What was asked for (ECR answers IMMUTABLE_WITH_EXCLUSION as such); status has what is enforced.
        image_tag_mutability: Some(spec.image_tag_mutability.unwrap_or_default().as_str().to_string()),
        image_tag_mutability_exclusion_filters: spec
            .image_tag_mutability_exclusion_filters
            .iter()
            .map(|f| wire::ImageTagMutabilityExclusionFilter {
                filter_type: f.filter_type.as_str().to_string(),
                filter: f.filter.clone(),
            })
            .collect(),
        image_scanning_configuration: Some(wire::ImageScanningConfiguration {
            scan_on_push: Some(
                spec.image_scanning_configuration.as_ref().and_then(|c| c.scan_on_push).unwrap_or(false),
            ),
        }),
        encryption_configuration: Some(match &spec.encryption_configuration {
            Some(c) => wire::EncryptionConfiguration {
                encryption_type: c.encryption_type.as_str().to_string(),
                kms_key: c.kms_key.clone(),
            },
            // ECR's default.
            None => wire::EncryptionConfiguration { encryption_type: "AES256".into(), kms_key: None },
        }),
    }
}

/// One image as DescribeImages answers it; `media_type` is the manifest's, read from the registry.
pub fn image_detail(
    registry_id: &str,
    repository_name: &str,
    image: &ImageDetail,
    media_type: Option<String>,
) -> wire::ImageDetail {
    wire::ImageDetail {
        registry_id: Some(registry_id.to_string()),
        repository_name: Some(repository_name.to_string()),
        image_digest: Some(image.image_digest.clone()),
        image_tags: image.image_tags.clone(),
        image_size_in_bytes: image.image_size_in_bytes,
        image_pushed_at: image.image_pushed_at.as_ref().map(|t| kube_ecs_wire::Timestamp::from(t.0)),
        image_manifest_media_type: media_type,
        ..Default::default()
    }
}

/// kube-ecs tags (`key`/`value`) as ECR's (`Key`/`Value`, both required: a missing value is empty).
pub fn tags(tags: &[Tag]) -> Vec<wire::Tag> {
    tags.iter()
        .filter_map(|t| Some(wire::Tag { key: t.key.clone()?, value: t.value.clone().unwrap_or_default() }))
        .collect()
}

/// The lifecycle policy as ECR's policy text: its JSON, in ECR's field names.
pub fn policy_text(policy: &LifecyclePolicy) -> String {
    // The policy is plain strings and numbers: serialising it cannot fail.
    serde_json::to_string(policy).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn object(value: serde_json::Value) -> Repository {
        serde_json::from_value(value).expect("a Repository")
    }

    fn address(arns: &Arns) -> RegistryAddress<'_> {
        RegistryAddress { arns, registry_id: "123456789012", host: "123456789012.dkr.ecr.us-east-1.amazonaws.com" }
    }

    #[test]
    fn a_new_repository_is_answered_with_ecrs_defaults_before_the_controller_has_seen_it() {
        let arns = Arns::new("us-east-1", "123456789012");
        let repository = object(json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": "team-a.web-1a2b3c4d", "namespace": "team-a", "creationTimestamp": "2026-01-02T03:04:05Z"},
            "spec": {"repositoryName": "team-a/web"}
        }));
        let rendered = serde_json::to_value(super::repository(&address(&arns), &repository)).expect("json");
        assert_eq!(
            rendered,
            json!({
                "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/team-a/web",
                "registryId": "123456789012",
                "repositoryName": "team-a/web",
                "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web",
                "createdAt": 1767323045,
                "imageTagMutability": "MUTABLE",
                "imageTagMutabilityExclusionFilters": [],
                "imageScanningConfiguration": {"scanOnPush": false},
                "encryptionConfiguration": {"encryptionType": "AES256"}
            })
        );
        let problems =
            kube_ecs_wire::ecr::model().check_output("DescribeRepositories", &json!({"repositories": [rendered]}));
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn the_spec_and_the_controllers_status_are_answered_as_they_are() {
        let arns = Arns::new("us-east-1", "123456789012");
        let repository = object(json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": "web", "namespace": "team-a", "creationTimestamp": "2026-01-02T03:04:05Z"},
            "spec": {
                "repositoryName": "web",
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}],
                "imageScanningConfiguration": {"scanOnPush": true},
                "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/web"}
            },
            "status": {
                "repositoryArn": "arn:aws:ecr:eu-west-1:000000000000:repository/web",
                "registryId": "000000000000",
                "repositoryUri": "registry.example/web",
                "createdAt": "2026-01-02T03:04:06Z",
                "imageTagMutability": "IMMUTABLE"
            }
        }));
        let rendered = serde_json::to_value(super::repository(&address(&arns), &repository)).expect("json");
        assert_eq!(
            rendered,
            json!({
                "repositoryArn": "arn:aws:ecr:eu-west-1:000000000000:repository/web",
                "registryId": "000000000000",
                "repositoryName": "web",
                "repositoryUri": "registry.example/web",
                "createdAt": 1767323046,
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}],
                "imageScanningConfiguration": {"scanOnPush": true},
                "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/web"}
            })
        );
    }

    #[test]
    fn images_tags_and_policies_in_ecrs_shapes() {
        let image: ImageDetail = serde_json::from_value(json!({
            "imageDigest": "sha256:aa", "imageTags": ["v1", "latest"],
            "imagePushedAt": "2026-01-02T03:04:05.123456Z", "imageSizeInBytes": 1024, "inUse": true
        }))
        .expect("image");
        let detail =
            image_detail("123456789012", "web", &image, Some("application/vnd.oci.image.manifest.v1+json".into()));
        assert_eq!(
            serde_json::to_value(&detail).expect("json"),
            json!({
                "registryId": "123456789012", "repositoryName": "web", "imageDigest": "sha256:aa",
                "imageTags": ["v1", "latest"], "imageSizeInBytes": 1024, "imagePushedAt": 1767323045.123,
                "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"
            })
        );
        let kube_tags = vec![
            Tag { key: Some("team".into()), value: Some("a".into()) },
            Tag { key: Some("empty".into()), value: None },
            Tag { key: None, value: Some("keyless".into()) },
        ];
        assert_eq!(
            serde_json::to_value(tags(&kube_tags)).expect("json"),
            json!([{"Key": "team", "Value": "a"}, {"Key": "empty", "Value": ""}])
        );
        let policy: LifecyclePolicy = serde_json::from_value(json!({"rules": [{
            "rulePriority": 1,
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
            "action": {"type": "expire"}
        }]}))
        .expect("policy");
        assert_eq!(
            policy_text(&policy),
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#
        );
    }
}
