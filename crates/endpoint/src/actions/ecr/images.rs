//! ListImages, DescribeImages, BatchGetImage, BatchDeleteImage: a Repository's images in the
//! registry. Reads go through the caller's GET of the Repository (RBAC `get`); BatchDeleteImage,
//! which writes the registry and not Kubernetes, asks RBAC for `update` on the Repository.

use futures::StreamExt as _;
use kube_ecs_api::repository::ImageDetail;
use kube_ecs_registry::authorize::Access;
use kube_ecs_registry::upstream::Manifest;
use kube_ecs_wire::ecr as wire;

use super::context::EcrCall;
use super::errors::{IMAGE_NOT_FOUND_REASON, image_not_found, invalid_parameter_at};
use super::image_ids::{self, Deletion, Missing, Planned, TagStatus};
use crate::error::EcsError;
use crate::pagination::page_by;
use crate::render::repository as render;

/// ListImages' and DescribeImages' page size without maxResults, and their largest (ECR's).
const PAGE: (usize, usize) = (100, 1000);
/// Manifests read side by side (the registry under is the operator's own).
const PARALLEL_READS: usize = 8;

pub async fn list(ecr: &EcrCall<'_>, input: wire::ListImagesRequest) -> Result<wire::ListImagesResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let repository = ecr.existing(&input.repository_name).await?;
    let filter = input.filter.unwrap_or_default();
    let mut images = ecr.images(&repository).await?;
    if !image_ids::image_status_admits(filter.image_status.as_deref()) {
        images.clear();
    }
    let ids = image_ids::listed_ids(&images, TagStatus::parse(filter.tag_status.as_deref()));
    // By digest, then tag: a page boundary stays put while images come and go.
    let key = |id: &wire::ImageIdentifier| {
        format!("{} {}", id.image_digest.as_deref().unwrap_or_default(), id.image_tag.as_deref().unwrap_or_default())
    };
    let (image_ids, next_token) = page_by(ids, key, input.max_results, input.next_token.as_deref(), PAGE, false)?;
    Ok(wire::ListImagesResponse { image_ids, next_token })
}

pub async fn describe(
    ecr: &EcrCall<'_>,
    input: wire::DescribeImagesRequest,
) -> Result<wire::DescribeImagesResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let name = &input.repository_name;
    let repository = ecr.existing(name).await?;
    let images = ecr.images(&repository).await?;
    let (chosen, next_token) = if input.image_ids.is_empty() {
        let filter = input.filter.clone().unwrap_or_default();
        let status = TagStatus::parse(filter.tag_status.as_deref());
        let admitted: Vec<ImageDetail> = if image_ids::image_status_admits(filter.image_status.as_deref()) {
            images.into_iter().filter(|i| status.admits(i)).collect()
        } else {
            Vec::new()
        };
        // Newest first, as kubectl's status lists them.
        page_by(admitted, newest_first, input.max_results, input.next_token.as_deref(), PAGE, true)?
    } else {
        // As ECR: named images are answered whole, so there is nothing to page (a filter is moot).
        if input.max_results.is_some() || input.next_token.is_some() {
            return Err(EcsError::invalid_parameter("maxResults and nextToken cannot be used together with imageIds."));
        }
        let mut chosen: Vec<ImageDetail> = Vec::new();
        for (i, id) in input.image_ids.iter().enumerate() {
            match image_ids::resolve(&images, id) {
                Ok(image) if chosen.iter().any(|c| c.image_digest == image.image_digest) => {}
                Ok(image) => chosen.push(image.clone()),
                Err(Missing::DigestAndTag) => {
                    return Err(invalid_parameter_at(
                        &format!("imageIds.{}.member", i + 1),
                        "An image identifier needs an imageDigest or an imageTag",
                    ));
                }
                Err(Missing::NotFound | Missing::TagDoesNotMatchDigest) => {
                    return Err(image_not_found(id, name, ecr.registry_id()));
                }
            }
        }
        (chosen, None)
    };
    let digests: Vec<String> = chosen.iter().map(|i| i.image_digest.clone()).collect();
    let manifests = manifests(ecr, name, &digests).await?;
    let image_details = chosen
        .iter()
        .zip(manifests)
        .map(|(image, manifest)| render::image_detail(ecr.registry_id(), name, image, manifest.map(|m| m.media_type)))
        .collect();
    Ok(wire::DescribeImagesResponse { image_details, next_token })
}

/// Sorts by push time (to the microsecond), then digest.
fn newest_first(image: &ImageDetail) -> String {
    let micros = image.image_pushed_at.as_ref().map(|t| t.0.as_microsecond()).unwrap_or_default();
    format!("{micros:020} {}", image.image_digest)
}

/// The manifests of `digests`, in their order (None: deleted meanwhile).
async fn manifests(ecr: &EcrCall<'_>, name: &str, digests: &[String]) -> Result<Vec<Option<Manifest>>, EcsError> {
    let upstream = &ecr.registry.upstream;
    // Owned digests: a future borrowing the stream's items is not `Send` for every lifetime, which
    // the server's spawned task needs.
    let read: Vec<_> = futures::stream::iter(digests.to_vec())
        .map(|digest| async move { upstream.manifest(name, &digest).await })
        .buffered(PARALLEL_READS)
        .collect()
        .await;
    read.into_iter()
        .map(|result| result.map_err(|e| EcsError::server(format!("reading a manifest from the registry: {e}"))))
        .collect()
}

pub async fn batch_get(
    ecr: &EcrCall<'_>,
    input: wire::BatchGetImageRequest,
) -> Result<wire::BatchGetImageResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let name = &input.repository_name;
    let repository = ecr.existing(name).await?;
    let images = ecr.images(&repository).await?;
    let resolved: Vec<_> = input.image_ids.iter().map(|id| image_ids::resolve(&images, id)).collect();
    let digests: Vec<String> = resolved.iter().flatten().map(|image| image.image_digest.clone()).collect();
    let mut manifests = manifests(ecr, name, &digests).await?.into_iter();
    let mut response = wire::BatchGetImageResponse::default();
    for (id, resolution) in input.image_ids.iter().zip(resolved) {
        let image = match resolution {
            Ok(image) => image,
            Err(missing) => {
                response.failures.push(image_ids::failure(id, missing));
                continue;
            }
        };
        let Some(manifest) = manifests.next().flatten() else {
            response.failures.push(image_ids::failure(id, Missing::NotFound));
            continue;
        };
        if !input.accepted_media_types.is_empty() && !input.accepted_media_types.contains(&manifest.media_type) {
            // kube-ecs's registry stores what was pushed and converts nothing.
            let mut failure = image_ids::failure(id, Missing::NotFound);
            failure.failure_reason = Some(format!(
                "{IMAGE_NOT_FOUND_REASON} in the accepted media types: it is stored as {}",
                manifest.media_type
            ));
            response.failures.push(failure);
            continue;
        }
        response.images.push(wire::Image {
            registry_id: Some(ecr.registry_id().to_string()),
            repository_name: Some(name.clone()),
            image_id: Some(wire::ImageIdentifier {
                image_digest: Some(image.image_digest.clone()),
                image_tag: id.image_tag.clone(),
            }),
            image_manifest: Some(String::from_utf8_lossy(&manifest.body).into_owned()),
            image_manifest_media_type: Some(manifest.media_type),
        });
    }
    Ok(response)
}

pub async fn batch_delete(
    ecr: &EcrCall<'_>,
    input: wire::BatchDeleteImageRequest,
) -> Result<wire::BatchDeleteImageResponse, EcsError> {
    ecr.check_registry(input.registry_id.as_deref())?;
    let name = &input.repository_name;
    let repository = ecr.existing(name).await?;
    // A registry write, not a Kubernetes one: the caller's RBAC is asked as for a push.
    let entry = ecr.entry(&repository);
    let identity = ecr.identity();
    let allowed = ecr
        .registry
        .authorizer
        .allowed(&identity, Access::Push, &entry)
        .await
        .map_err(|e| EcsError::server(format!("authorizing BatchDeleteImage: {e}")))?;
    if !allowed {
        return Err(EcsError::access_denied(format!(
            "User: {} is not authorized to perform: ecr:BatchDeleteImage on resource: {} because no Kubernetes \
             RBAC rule allows it to {} the Repository {} in namespace {}",
            identity.username,
            ecr.call.arns().repository(name),
            Access::Push.verb(),
            entry.object_name,
            entry.namespace
        )));
    }
    let images = ecr.images(&repository).await?;
    let upstream = &ecr.registry.upstream;
    let mut response = wire::BatchDeleteImageResponse::default();
    for (requested, planned) in input.image_ids.iter().zip(image_ids::plan_deletes(&images, &input.image_ids)) {
        let (deletion, deleted) = match planned {
            Planned::Delete { deletion, deleted } => (deletion, deleted),
            Planned::Failed(failure) => {
                response.failures.push(failure);
                continue;
            }
        };
        let done = match &deletion {
            Deletion::Image { digest } => upstream.delete_manifest(name, digest).await,
            Deletion::Tag { tag } => upstream.delete_tag(name, tag).await,
        }
        .map_err(|e| EcsError::server(format!("deleting from the registry: {e}")))?;
        if done {
            response.image_ids.extend(deleted);
        } else {
            // Gone meanwhile (another delete, the lifecycle policy).
            response.failures.push(image_ids::failure(requested, Missing::NotFound));
        }
    }
    Ok(response)
}
