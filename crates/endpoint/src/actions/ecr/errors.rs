//! ECR's errors in ECR's words, and the endpoint's shared errors in ECR's vocabulary (ECR has no
//! `ClientException`: what the API server refuses is an `InvalidParameterException` there).

use kube_ecs_wire::ecr as wire;

use crate::error::{EcsError, ErrorCode};

/// `failureReason` of an image ECR cannot find (BatchGetImage, BatchDeleteImage).
pub const IMAGE_NOT_FOUND_REASON: &str = "Requested image not found";
/// `failureReason` of an image ID whose tag is not on the image its digest names.
pub const TAG_DOES_NOT_MATCH_DIGEST_REASON: &str = "Invalid request parameters: image tag does not match digest";
/// `failureReason` of an image ID with neither digest nor tag.
pub const MISSING_DIGEST_AND_TAG_REASON: &str = "Invalid request parameters: both tag and digest cannot be null";

/// ECR's validation wording, as its model checks word it: `Invalid parameter at '<path>' failed to
/// satisfy constraint: '<constraint>'`.
pub fn invalid_parameter_at(path: &str, constraint: &str) -> EcsError {
    EcsError::invalid_parameter(format!("Invalid parameter at '{path}' failed to satisfy constraint: '{constraint}'"))
}

pub fn repository_not_found(repository_name: &str, registry_id: &str) -> EcsError {
    EcsError::new(
        ErrorCode::RepositoryNotFoundException,
        format!("The repository with name '{repository_name}' does not exist in the registry with id '{registry_id}'"),
    )
}

pub fn repository_exists(repository_name: &str, registry_id: &str) -> EcsError {
    EcsError::new(
        ErrorCode::RepositoryAlreadyExistsException,
        format!("The repository with name '{repository_name}' already exists in the registry with id '{registry_id}'"),
    )
}

pub fn repository_not_empty(repository_name: &str, registry_id: &str) -> EcsError {
    EcsError::new(
        ErrorCode::RepositoryNotEmptyException,
        format!(
            "The repository with name '{repository_name}' in registry with id '{registry_id}' cannot be deleted \
             because it still contains images"
        ),
    )
}

pub fn lifecycle_policy_not_found(repository_name: &str, registry_id: &str) -> EcsError {
    EcsError::new(
        ErrorCode::LifecyclePolicyNotFoundException,
        format!(
            "Lifecycle policy does not exist for the repository with name '{repository_name}' in the registry with \
             id '{registry_id}'"
        ),
    )
}

/// ECR writes an absent part of the image ID as `'null'`.
pub fn image_not_found(id: &wire::ImageIdentifier, repository_name: &str, registry_id: &str) -> EcsError {
    let part = |value: &Option<String>| value.as_deref().unwrap_or("null").to_string();
    EcsError::new(
        ErrorCode::ImageNotFoundException,
        format!(
            "The image with imageId {{imageDigest:'{}', imageTag:'{}'}} does not exist within the repository with \
             name '{repository_name}' in the registry with id '{registry_id}'",
            part(&id.image_digest),
            part(&id.image_tag)
        ),
    )
}

/// The caller's Repository claims a name another Repository (older) holds: the registry's images
/// under that name are the holder's, never this one's.
pub fn held_elsewhere(repository_name: &str, registry_id: &str, holder: &str) -> EcsError {
    let mut error = repository_not_found(repository_name, registry_id);
    error.message = format!(
        "{}: the name is held by the Repository {holder}, which claimed it first (one registry serves every \
         namespace; docs/ecr.md)",
        error.message
    );
    error
}

/// A `registryId` that is not this registry's: kube-ecs serves one registry, whose ID is the account.
pub fn other_registry(requested: &str, registry_id: &str) -> EcsError {
    invalid_parameter_at("registryId", &format!("kube-ecs serves one registry, with id {registry_id}, not {requested}"))
}

/// An error of the shared machinery (the API server's answers, `call.rs`) in ECR's vocabulary.
pub fn in_ecr_terms(error: EcsError) -> EcsError {
    let code = match error.code {
        ErrorCode::ClientException => ErrorCode::InvalidParameterException,
        ErrorCode::ResourceNotFoundException => ErrorCode::RepositoryNotFoundException,
        other => other,
    };
    EcsError { code, ..error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_ecrs() {
        let id = |digest: Option<&str>, tag: Option<&str>| wire::ImageIdentifier {
            image_digest: digest.map(String::from),
            image_tag: tag.map(String::from),
        };
        let cases = [
            (
                repository_not_found("team-a/web", "123456789012"),
                ErrorCode::RepositoryNotFoundException,
                "The repository with name 'team-a/web' does not exist in the registry with id '123456789012'",
            ),
            (
                repository_exists("web", "123456789012"),
                ErrorCode::RepositoryAlreadyExistsException,
                "The repository with name 'web' already exists in the registry with id '123456789012'",
            ),
            (
                repository_not_empty("web", "123456789012"),
                ErrorCode::RepositoryNotEmptyException,
                "The repository with name 'web' in registry with id '123456789012' cannot be deleted because it \
                 still contains images",
            ),
            (
                lifecycle_policy_not_found("web", "123456789012"),
                ErrorCode::LifecyclePolicyNotFoundException,
                "Lifecycle policy does not exist for the repository with name 'web' in the registry with id \
                 '123456789012'",
            ),
            (
                image_not_found(&id(None, Some("latest")), "web", "123456789012"),
                ErrorCode::ImageNotFoundException,
                "The image with imageId {imageDigest:'null', imageTag:'latest'} does not exist within the \
                 repository with name 'web' in the registry with id '123456789012'",
            ),
            (
                image_not_found(&id(Some("sha256:ab"), Some("v1")), "web", "123456789012"),
                ErrorCode::ImageNotFoundException,
                "The image with imageId {imageDigest:'sha256:ab', imageTag:'v1'} does not exist within the \
                 repository with name 'web' in the registry with id '123456789012'",
            ),
            (
                invalid_parameter_at("imageIds.1.member", "An image identifier needs an imageDigest or an imageTag"),
                ErrorCode::InvalidParameterException,
                "Invalid parameter at 'imageIds.1.member' failed to satisfy constraint: 'An image identifier needs \
                 an imageDigest or an imageTag'",
            ),
        ];
        for (error, code, message) in cases {
            assert_eq!((error.code, error.message.as_str()), (code, message));
        }
        assert_eq!(
            other_registry("999999999999", "123456789012").message,
            "Invalid parameter at 'registryId' failed to satisfy constraint: 'kube-ecs serves one registry, with id \
             123456789012, not 999999999999'"
        );
        let held = held_elsewhere("web", "123456789012", "team-b/web");
        assert_eq!(held.code, ErrorCode::RepositoryNotFoundException);
        assert!(held.message.contains("held by the Repository team-b/web"), "{held}");
    }

    #[test]
    fn every_code_the_ecr_actions_answer_is_one_ecr_declares() {
        let codes = [
            repository_not_found("a", "1").code,
            repository_exists("a", "1").code,
            repository_not_empty("a", "1").code,
            lifecycle_policy_not_found("a", "1").code,
            image_not_found(&wire::ImageIdentifier::default(), "a", "1").code,
            other_registry("2", "1").code,
            ErrorCode::TooManyTagsException,
            ErrorCode::InvalidTagParameterException,
        ];
        let shared = [
            ErrorCode::ClientException,
            ErrorCode::ResourceNotFoundException,
            ErrorCode::AccessDeniedException,
            ErrorCode::ServerException,
            ErrorCode::ThrottlingException,
        ];
        let translated = shared.into_iter().map(|code| in_ecr_terms(EcsError::new(code, "x")).code);
        for code in codes.into_iter().chain(translated) {
            assert!(
                wire::ERROR_CODES.contains(&code.as_str())
                    || kube_ecs_wire::model::COMMON_ERROR_CODES.contains(&code.as_str()),
                "{code} is not one of ECR's error codes"
            );
        }
    }
}
