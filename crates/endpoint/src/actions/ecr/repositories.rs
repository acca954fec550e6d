//! CreateRepository, DescribeRepositories, DeleteRepository and PutImageTagMutability over
//! Repository objects in the key's namespace.

use kube_ecs_api::Repository;
use kube_ecs_wire::ecr as wire;

use super::context::{EcrCall, Holding};
use super::errors::{repository_exists, repository_not_empty};
use super::names;
use super::tags::{MAX_TAGS, too_many_tags};
use crate::call::{manifest, refuse_gitops};
use crate::error::EcsError;
use crate::pagination::page;
use crate::render::repository as render;

/// DescribeRepositories' page size without maxResults, and its largest (ECR's).
const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The Repository spec a CreateRepository asks for, in the CRD's names (ECR's, but for tags:
/// `Key`/`Value` on ECR's wire, `key`/`value` on every kube-ecs kind).
pub fn spec(input: &wire::CreateRepositoryRequest) -> serde_json::Value {
    let mut spec = serde_json::json!({"repositoryName": input.repository_name});
    if let Some(mutability) = &input.image_tag_mutability {
        spec["imageTagMutability"] = mutability.as_str().into();
    }
    if !input.image_tag_mutability_exclusion_filters.is_empty() {
        spec["imageTagMutabilityExclusionFilters"] = input
            .image_tag_mutability_exclusion_filters
            .iter()
            .map(|f| serde_json::json!({"filterType": f.filter_type, "filter": f.filter}))
            .collect();
    }
    if let Some(scan_on_push) = input.image_scanning_configuration.as_ref().and_then(|c| c.scan_on_push) {
        spec["imageScanningConfiguration"] = serde_json::json!({"scanOnPush": scan_on_push});
    }
    if let Some(encryption) = &input.encryption_configuration {
        let mut value = serde_json::json!({"encryptionType": encryption.encryption_type});
        if let Some(key) = &encryption.kms_key {
            value["kmsKey"] = key.as_str().into();
        }
        spec["encryptionConfiguration"] = value;
    }
    if !input.tags.is_empty() {
        spec["tags"] = input.tags.iter().map(|t| serde_json::json!({"key": t.key, "value": t.value})).collect();
    }
    spec
}

pub async fn create(
    ecr: &EcrCall<'_>,
    input: wire::CreateRepositoryRequest,
) -> Result<wire::CreateRepositoryResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let name = &input.repository_name;
    if input.tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    if let Some(existing) = ecr.find(name).await? {
        let mut error = repository_exists(name, ecr.registry_id());
        if existing.metadata.deletion_timestamp.is_some() {
            error.message.push_str(" (it is being deleted: create it again once its images are gone)");
        }
        return Err(error);
    }
    // The name is unique across the cluster: one registry serves every namespace.
    if ecr.registry.directory.lookup(name).is_some() {
        return Err(repository_exists(name, ecr.registry_id()));
    }
    let api = ecr.call.repositories();
    let object = names::object_name(name);
    // A Repository made with kubectl under this object name keeps another repository: applying over
    // it would try to rename it.
    if let Some(other) = ecr.call.get(&api, &object).await? {
        return Err(EcsError::invalid_parameter(format!(
            "kube-ecs keeps the repository {name} as the Repository {object} in namespace {}, which holds the \
             repository {} (made with kubectl?): rename that object, or choose another repositoryName.",
            ecr.call.namespace(),
            other.spec.repository_name
        )));
    }
    let manifest = manifest::<Repository>(&object, Some(ecr.call.namespace()), spec(&input));
    let created = ecr.call.apply(&api, &object, &manifest).await?;
    Ok(wire::CreateRepositoryResponse { repository: Some(render::repository(&ecr.address(), &created)) })
}

pub async fn describe(
    ecr: &EcrCall<'_>,
    input: wire::DescribeRepositoriesRequest,
) -> Result<wire::DescribeRepositoriesResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let address = ecr.address();
    if !input.repository_names.is_empty() {
        if input.max_results.is_some() || input.next_token.is_some() {
            return Err(EcsError::invalid_parameter(
                "maxResults and nextToken cannot be used together with repositoryNames.",
            ));
        }
        let mut repositories = Vec::with_capacity(input.repository_names.len());
        for (i, name) in input.repository_names.iter().enumerate() {
            names::check(name, &format!("repositoryNames.{}.member", i + 1))?;
            repositories.push(render::repository(&address, &ecr.existing(name).await?));
        }
        return Ok(wire::DescribeRepositoriesResponse { repositories, next_token: None });
    }
    let mut all: Vec<Repository> = ecr.call.list(&ecr.call.repositories(), None).await?;
    all.retain(|r| r.metadata.deletion_timestamp.is_none());
    let listed = all.iter().map(|r| r.spec.repository_name.clone()).collect();
    let (names, next_token) = page(listed, input.max_results, input.next_token.as_deref(), PAGE, MAX_PAGE)?;
    let repositories = names
        .iter()
        .filter_map(|name| all.iter().find(|r| &r.spec.repository_name == name))
        .map(|r| render::repository(&address, r))
        .collect();
    Ok(wire::DescribeRepositoriesResponse { repositories, next_token })
}

pub async fn delete(
    ecr: &EcrCall<'_>,
    input: wire::DeleteRepositoryRequest,
) -> Result<wire::DeleteRepositoryResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let name = &input.repository_name;
    let repository = ecr.existing(name).await?;
    refuse_gitops(&repository.metadata, &format!("The repository {name}"))?;
    if !input.force.unwrap_or(false) {
        // A Repository that does not hold its name has no images of its own to lose.
        let images = match ecr.holding(&repository) {
            Holding::Holds(_) => ecr.images(&repository).await?,
            Holding::HeldBy(_) | Holding::Unserved => Vec::new(),
        };
        if !images.is_empty() {
            return Err(repository_not_empty(name, ecr.registry_id()));
        }
    }
    // Deleting the object is enough: its finalizer removes the images from the registry.
    let object = repository.metadata.name.clone().unwrap_or_default();
    ecr.call.delete(&ecr.call.repositories(), &object).await?;
    Ok(wire::DeleteRepositoryResponse { repository: Some(render::repository(&ecr.address(), &repository)) })
}

pub async fn put_image_tag_mutability(
    ecr: &EcrCall<'_>,
    input: wire::PutImageTagMutabilityRequest,
) -> Result<wire::PutImageTagMutabilityResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let name = &input.repository_name;
    let repository = ecr.existing(name).await?;
    refuse_gitops(&repository.metadata, &format!("The repository {name}"))?;
    let filters: Vec<serde_json::Value> = input
        .image_tag_mutability_exclusion_filters
        .iter()
        .map(|f| serde_json::json!({"filterType": f.filter_type, "filter": f.filter}))
        .collect();
    // The filters belong to the setting: a setting without them drops the old ones.
    let filters = if filters.is_empty() { serde_json::Value::Null } else { filters.into() };
    let patch = serde_json::json!({"spec": {
        "imageTagMutability": input.image_tag_mutability,
        "imageTagMutabilityExclusionFilters": filters,
    }});
    let object = repository.metadata.name.clone().unwrap_or_default();
    let updated = ecr.call.merge(&ecr.call.repositories(), &object, &patch).await?;
    let rendered = render::repository(&ecr.address(), &updated);
    Ok(wire::PutImageTagMutabilityResponse {
        registry_id: Some(ecr.registry_id().to_string()),
        repository_name: Some(name.clone()),
        image_tag_mutability: rendered.image_tag_mutability,
        image_tag_mutability_exclusion_filters: rendered.image_tag_mutability_exclusion_filters,
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_spec_is_the_request_in_the_crds_names() {
        let cases = [
            (json!({"repositoryName": "web"}), json!({"repositoryName": "web"})),
            (
                json!({
                    "repositoryName": "team-a/web",
                    "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                    "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}],
                    "imageScanningConfiguration": {"scanOnPush": true},
                    "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/web"},
                    "tags": [{"Key": "team", "Value": "a"}, {"Key": "empty", "Value": ""}],
                    "registryId": "123456789012"
                }),
                json!({
                    "repositoryName": "team-a/web",
                    "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                    "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}],
                    "imageScanningConfiguration": {"scanOnPush": true},
                    "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/web"},
                    "tags": [{"key": "team", "value": "a"}, {"key": "empty", "value": ""}]
                }),
            ),
            // What says nothing is left out, so the CRD's defaults and other managers' fields stay.
            (
                json!({"repositoryName": "web", "imageScanningConfiguration": {}, "tags": []}),
                json!({"repositoryName": "web"}),
            ),
        ];
        for (request, expected) in cases {
            let request: wire::CreateRepositoryRequest = serde_json::from_value(request).expect("request");
            let spec = spec(&request);
            assert_eq!(spec, expected);
            let _: kube_ecs_api::RepositorySpec = serde_json::from_value(spec).expect("the CRD's spec type reads it");
        }
    }
}
