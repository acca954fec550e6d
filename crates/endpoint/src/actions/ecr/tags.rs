//! TagResource, UntagResource, ListTagsForResource on repositories (named by their ARNs): the
//! Repository's `spec.tags`, ECR's `Key`/`Value` as kube-ecs's `key`/`value`.

use kube_ecs_api::Repository;
use kube_ecs_api::common::Tag;
use kube_ecs_wire::ecr as wire;

use super::context::EcrCall;
use crate::arn;
use crate::call::refuse_gitops;
use crate::error::{EcsError, ErrorCode};
use crate::render::repository::tags as render_tags;

/// The most tags a repository has (ECR's).
pub const MAX_TAGS: usize = 50;

pub fn too_many_tags() -> EcsError {
    EcsError::new(ErrorCode::TooManyTagsException, format!("A repository can have at most {MAX_TAGS} tags."))
}

/// The repository the ARN names (after the GitOps guard when writing).
async fn target(ecr: &EcrCall<'_>, resource_arn: &str, writing: bool) -> Result<Repository, EcsError> {
    let name = arn::repository_name(resource_arn).ok_or_else(|| {
        EcsError::invalid_parameter(format!(
            "Invalid parameter at 'resourceArn' failed to satisfy constraint: '{resource_arn} is not an ECR \
             repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>)'"
        ))
    })?;
    let repository = ecr.existing(name).await?;
    if writing {
        refuse_gitops(&repository.metadata, &format!("The repository {name}"))?;
    }
    Ok(repository)
}

async fn write(ecr: &EcrCall<'_>, repository: &Repository, tags: Vec<Tag>) -> Result<(), EcsError> {
    let object = repository.metadata.name.clone().unwrap_or_default();
    let patch = serde_json::json!({"spec": {"tags": tags}});
    ecr.call.merge(&ecr.call.repositories(), &object, &patch).await.map(drop)
}

/// `tags` with `new` set (a key already there takes the new value).
pub fn merged(mut tags: Vec<Tag>, new: &[wire::Tag]) -> Result<Vec<Tag>, EcsError> {
    for tag in new {
        tags.retain(|t| t.key.as_deref() != Some(tag.key.as_str()));
        tags.push(Tag { key: Some(tag.key.clone()), value: Some(tag.value.clone()) });
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(tags)
}

pub async fn tag(ecr: &EcrCall<'_>, input: wire::TagResourceRequest) -> Result<wire::TagResourceResponse, EcsError> {
    let repository = target(ecr, &input.resource_arn, true).await?;
    let tags = merged(repository.spec.tags.clone(), &input.tags)?;
    write(ecr, &repository, tags).await?;
    Ok(wire::TagResourceResponse::default())
}

pub async fn untag(
    ecr: &EcrCall<'_>,
    input: wire::UntagResourceRequest,
) -> Result<wire::UntagResourceResponse, EcsError> {
    let repository = target(ecr, &input.resource_arn, true).await?;
    let mut tags = repository.spec.tags.clone();
    tags.retain(|t| !t.key.as_ref().is_some_and(|k| input.tag_keys.contains(k)));
    write(ecr, &repository, tags).await?;
    Ok(wire::UntagResourceResponse::default())
}

pub async fn list(
    ecr: &EcrCall<'_>,
    input: wire::ListTagsForResourceRequest,
) -> Result<wire::ListTagsForResourceResponse, EcsError> {
    let repository = target(ecr, &input.resource_arn, false).await?;
    Ok(wire::ListTagsForResourceResponse { tags: render_tags(&repository.spec.tags) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kube(key: &str, value: &str) -> Tag {
        Tag { key: Some(key.into()), value: Some(value.into()) }
    }

    fn ecr(key: &str, value: &str) -> wire::Tag {
        wire::Tag { key: key.into(), value: value.into() }
    }

    #[test]
    fn new_tags_replace_those_with_their_keys_up_to_ecrs_limit() {
        let cases = [
            (vec![], vec![ecr("team", "a")], vec![kube("team", "a")]),
            (
                vec![kube("team", "a"), kube("env", "prod")],
                vec![ecr("team", "b"), ecr("cost", "")],
                vec![kube("env", "prod"), kube("team", "b"), kube("cost", "")],
            ),
        ];
        for (old, new, expected) in cases {
            assert_eq!(merged(old, &new).expect("merged"), expected);
        }
        let full: Vec<Tag> = (0..MAX_TAGS).map(|i| kube(&format!("k{i}"), "v")).collect();
        assert_eq!(merged(full.clone(), &[ecr("k0", "w")]).expect("replacing keeps the count").len(), MAX_TAGS);
        assert_eq!(merged(full, &[ecr("one-more", "v")]).unwrap_err().code, ErrorCode::TooManyTagsException);
    }
}
