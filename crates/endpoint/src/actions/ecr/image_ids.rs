//! Image IDs against a repository's images (`kube_ecs_registry::images::current`, newest first):
//! which image an ID names, ECR's filters, the IDs ListImages lists, and what BatchDeleteImage
//! deletes. Pure: the actions read the registry, this decides.

use kube_ecs_api::repository::ImageDetail;
use kube_ecs_wire::ecr as wire;

use super::errors::{IMAGE_NOT_FOUND_REASON, MISSING_DIGEST_AND_TAG_REASON, TAG_DOES_NOT_MATCH_DIGEST_REASON};

/// ECR's `tagStatus` filter of ListImages and DescribeImages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

impl TagStatus {
    /// The filter's value (checked against the model's enum); no filter lists every image, as ECR.
    pub fn parse(value: Option<&str>) -> TagStatus {
        match value {
            Some("TAGGED") => TagStatus::Tagged,
            Some("UNTAGGED") => TagStatus::Untagged,
            _ => TagStatus::Any,
        }
    }

    pub fn admits(self, image: &ImageDetail) -> bool {
        match self {
            TagStatus::Tagged => !image.image_tags.is_empty(),
            TagStatus::Untagged => image.image_tags.is_empty(),
            TagStatus::Any => true,
        }
    }
}

/// ECR's `imageStatus` filter: every image of kube-ecs's registry is ACTIVE (there is no archive).
pub fn image_status_admits(value: Option<&str>) -> bool {
    matches!(value, None | Some("ACTIVE" | "ANY"))
}

/// The IDs ListImages answers for `images`: one per tag, as ECR lists them (digest and tag), and the
/// digest alone for an untagged image.
pub fn listed_ids(images: &[ImageDetail], status: TagStatus) -> Vec<wire::ImageIdentifier> {
    images
        .iter()
        .filter(|image| status.admits(image))
        .flat_map(|image| ids_of(&image.image_digest, &image.image_tags))
        .collect()
}

fn ids_of(digest: &str, tags: &[String]) -> Vec<wire::ImageIdentifier> {
    if tags.is_empty() {
        return vec![id(digest, None)];
    }
    tags.iter().map(|tag| id(digest, Some(tag))).collect()
}

fn id(digest: &str, tag: Option<&str>) -> wire::ImageIdentifier {
    wire::ImageIdentifier { image_digest: Some(digest.to_string()), image_tag: tag.map(String::from) }
}

/// Why an image ID names no image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    NotFound,
    /// The digest names an image, which does not carry the tag.
    TagDoesNotMatchDigest,
    /// Neither a digest nor a tag.
    DigestAndTag,
}

/// The image `id` names: by digest (and then the tag must be one of its tags) or by tag.
pub fn resolve<'a>(images: &'a [ImageDetail], id: &wire::ImageIdentifier) -> Result<&'a ImageDetail, Missing> {
    let has_tag = |image: &ImageDetail, tag: &str| image.image_tags.iter().any(|t| t == tag);
    match (id.image_digest.as_deref(), id.image_tag.as_deref()) {
        (None, None) => Err(Missing::DigestAndTag),
        (Some(digest), tag) => match images.iter().find(|i| i.image_digest == digest) {
            None => Err(Missing::NotFound),
            Some(image) if tag.is_some_and(|tag| !has_tag(image, tag)) => Err(Missing::TagDoesNotMatchDigest),
            Some(image) => Ok(image),
        },
        (None, Some(tag)) => images.iter().find(|i| has_tag(i, tag)).ok_or(Missing::NotFound),
    }
}

/// The failure ECR answers for an ID that names no image (BatchGetImage, BatchDeleteImage).
pub fn failure(id: &wire::ImageIdentifier, missing: Missing) -> wire::ImageFailure {
    let (code, reason) = match missing {
        Missing::NotFound => ("ImageNotFound", IMAGE_NOT_FOUND_REASON),
        Missing::TagDoesNotMatchDigest => ("ImageTagDoesNotMatchDigest", TAG_DOES_NOT_MATCH_DIGEST_REASON),
        Missing::DigestAndTag => ("MissingDigestAndTag", MISSING_DIGEST_AND_TAG_REASON),
    };
    wire::ImageFailure {
        image_id: Some(id.clone()),
        failure_code: Some(code.into()),
        failure_reason: Some(reason.into()),
    }
}

/// One deletion in the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The image and every tag on it.
    Image { digest: String },
    /// One tag; the image keeps its other tags.
    Tag { tag: String },
}

/// What one requested ID comes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Planned {
    /// Delete, then answer `deleted` among the response's `imageIds`.
    Delete {
        deletion: Deletion,
        deleted: Vec<wire::ImageIdentifier>,
    },
    Failed(wire::ImageFailure),
}

/// BatchDeleteImage's deletions, one per requested ID, in order, each seeing what the ones before
/// it left: a digest deletes the image with its tags; a tag removes the tag, and the image with it
/// when that was its last tag, as ECR does (so an image is never left untagged by a tag deletion).
pub fn plan_deletes(images: &[ImageDetail], ids: &[wire::ImageIdentifier]) -> Vec<Planned> {
    let mut left: Vec<ImageDetail> = images.to_vec();
    let mut plan = Vec::with_capacity(ids.len());
    for requested in ids {
        let image = match resolve(&left, requested) {
            Ok(image) => image.clone(),
            Err(missing) => {
                plan.push(Planned::Failed(failure(requested, missing)));
                continue;
            }
        };
        let digest = image.image_digest.clone();
        let planned = match requested.image_tag.as_deref() {
            Some(tag) if image.image_tags.len() > 1 => {
                if let Some(kept) = left.iter_mut().find(|i| i.image_digest == digest) {
                    kept.image_tags.retain(|t| t != tag);
                }
                Planned::Delete {
                    deletion: Deletion::Tag { tag: tag.to_string() },
                    deleted: vec![id(&digest, Some(tag))],
                }
            }
            Some(tag) => {
                left.retain(|i| i.image_digest != digest);
                Planned::Delete {
                    deletion: Deletion::Image { digest: digest.clone() },
                    deleted: vec![id(&digest, Some(tag))],
                }
            }
            None => {
                left.retain(|i| i.image_digest != digest);
                Planned::Delete { deleted: ids_of(&digest, &image.image_tags), deletion: Deletion::Image { digest } }
            }
        };
        plan.push(planned);
    }
    plan
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn image(digest: &str, tags: &[&str]) -> ImageDetail {
        ImageDetail {
            image_digest: digest.into(),
            image_tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        }
    }

    fn images() -> Vec<ImageDetail> {
        vec![image("sha256:new", &["latest", "v2"]), image("sha256:old", &["v1"]), image("sha256:bare", &[])]
    }

    fn req(digest: Option<&str>, tag: Option<&str>) -> wire::ImageIdentifier {
        wire::ImageIdentifier { image_digest: digest.map(String::from), image_tag: tag.map(String::from) }
    }

    #[test]
    fn listed_ids_are_one_per_tag_and_filtered_by_tag_status() {
        let cases = [
            (
                None,
                vec![
                    req(Some("sha256:new"), Some("latest")),
                    req(Some("sha256:new"), Some("v2")),
                    req(Some("sha256:old"), Some("v1")),
                    req(Some("sha256:bare"), None),
                ],
            ),
            (Some("ANY"), listed_ids(&images(), TagStatus::Any)),
            (
                Some("TAGGED"),
                vec![
                    req(Some("sha256:new"), Some("latest")),
                    req(Some("sha256:new"), Some("v2")),
                    req(Some("sha256:old"), Some("v1")),
                ],
            ),
            (Some("UNTAGGED"), vec![req(Some("sha256:bare"), None)]),
        ];
        for (filter, expected) in cases {
            assert_eq!(listed_ids(&images(), TagStatus::parse(filter)), expected, "{filter:?}");
        }
        let statuses = [(None, true), (Some("ACTIVE"), true), (Some("ANY"), true), (Some("ARCHIVED"), false)];
        for (status, admits) in statuses {
            assert_eq!(image_status_admits(status), admits, "{status:?}");
        }
    }

    #[test]
    fn ids_resolve_by_digest_or_tag() {
        let images = images();
        let cases = [
            (req(Some("sha256:old"), None), Ok(&images[1])),
            (req(None, Some("v2")), Ok(&images[0])),
            (req(Some("sha256:new"), Some("latest")), Ok(&images[0])),
            (req(Some("sha256:new"), Some("v1")), Err(Missing::TagDoesNotMatchDigest)),
            (req(Some("sha256:gone"), Some("v1")), Err(Missing::NotFound)),
            (req(None, Some("v9")), Err(Missing::NotFound)),
            (req(None, None), Err(Missing::DigestAndTag)),
        ];
        for (id, expected) in cases {
            assert_eq!(resolve(&images, &id), expected, "{id:?}");
        }
        let failures = [
            (req(None, Some("v9")), Missing::NotFound, "ImageNotFound", "Requested image not found"),
            (
                req(Some("sha256:new"), Some("v1")),
                Missing::TagDoesNotMatchDigest,
                "ImageTagDoesNotMatchDigest",
                "Invalid request parameters: image tag does not match digest",
            ),
            (
                req(None, None),
                Missing::DigestAndTag,
                "MissingDigestAndTag",
                "Invalid request parameters: both tag and digest cannot be null",
            ),
        ];
        for (id, missing, code, reason) in failures {
            let failed = failure(&id, missing);
            assert_eq!(failed.image_id.as_ref(), Some(&id));
            assert_eq!((failed.failure_code.as_deref(), failed.failure_reason.as_deref()), (Some(code), Some(reason)));
            assert!(wire::IMAGE_FAILURE_CODE.contains(&code), "{code}");
        }
    }

    #[test]
    fn deletions_follow_ecr_and_see_the_ones_before_them() {
        let delete_image = |digest: &str, deleted: Vec<wire::ImageIdentifier>| Planned::Delete {
            deletion: Deletion::Image { digest: digest.into() },
            deleted,
        };
        let delete_tag = |tag: &str, deleted: wire::ImageIdentifier| Planned::Delete {
            deletion: Deletion::Tag { tag: tag.into() },
            deleted: vec![deleted],
        };
        let failed = |id: wire::ImageIdentifier, missing: Missing| Planned::Failed(failure(&id, missing));
        let cases = vec![
            // A digest takes the image and all its tags.
            (
                vec![req(Some("sha256:new"), None)],
                vec![delete_image(
                    "sha256:new",
                    vec![req(Some("sha256:new"), Some("latest")), req(Some("sha256:new"), Some("v2"))],
                )],
            ),
            (
                vec![req(Some("sha256:bare"), None)],
                vec![delete_image("sha256:bare", vec![req(Some("sha256:bare"), None)])],
            ),
            // A tag that is not the image's last only untags.
            (vec![req(None, Some("latest"))], vec![delete_tag("latest", req(Some("sha256:new"), Some("latest")))]),
            // The last tag takes the image.
            (vec![req(None, Some("v1"))], vec![delete_image("sha256:old", vec![req(Some("sha256:old"), Some("v1"))])]),
            // Both tags of one image, one after the other: the second is then its last.
            (
                vec![req(None, Some("latest")), req(Some("sha256:new"), Some("v2"))],
                vec![
                    delete_tag("latest", req(Some("sha256:new"), Some("latest"))),
                    delete_image("sha256:new", vec![req(Some("sha256:new"), Some("v2"))]),
                ],
            ),
            // What an earlier ID deleted is not found again.
            (
                vec![req(Some("sha256:old"), None), req(None, Some("v1"))],
                vec![
                    delete_image("sha256:old", vec![req(Some("sha256:old"), Some("v1"))]),
                    failed(req(None, Some("v1")), Missing::NotFound),
                ],
            ),
            (
                vec![req(Some("sha256:old"), Some("latest")), req(None, None), req(Some("sha256:nope"), None)],
                vec![
                    failed(req(Some("sha256:old"), Some("latest")), Missing::TagDoesNotMatchDigest),
                    failed(req(None, None), Missing::DigestAndTag),
                    failed(req(Some("sha256:nope"), None), Missing::NotFound),
                ],
            ),
        ];
        for (ids, expected) in cases {
            assert_eq!(plan_deletes(&images(), &ids), expected, "{ids:?}");
        }
    }
}
