//! ECR's actions (`AmazonEC2ContainerRegistry_V20150921.<Action>`), over Repository objects in the
//! key's namespace and the images of kube-ecs's registry. Like ECS's, they read and write through the
//! caller's impersonating client, so RBAC decides; the registry itself is read only for images.

mod authorization;
mod context;
mod errors;
mod image_ids;
mod images;
mod lifecycle;
mod names;
mod repositories;
mod tags;

pub use names::object_name;

use context::EcrCall;

use super::decode;
use crate::call::Call;
use crate::error::EcsError;
use crate::registry::RegistryParts;

/// Runs `operation` (one of ECR's supported ones) with its checked input; errors in ECR's vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    registry: &RegistryParts,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    let ecr = EcrCall { call, registry };
    route!(operation, errors: errors::in_ecr_terms, {
        "CreateRepository" => repositories::create(&ecr, decode(&input)?),
        "DescribeRepositories" => repositories::describe(&ecr, decode(&input)?),
        "DeleteRepository" => repositories::delete(&ecr, decode(&input)?),
        "PutImageTagMutability" => repositories::put_image_tag_mutability(&ecr, decode(&input)?),
        "ListImages" => images::list(&ecr, decode(&input)?),
        "DescribeImages" => images::describe(&ecr, decode(&input)?),
        "BatchGetImage" => images::batch_get(&ecr, decode(&input)?),
        "BatchDeleteImage" => images::batch_delete(&ecr, decode(&input)?),
        "GetAuthorizationToken" => authorization::get_token(&ecr, decode(&input)?),
        "PutLifecyclePolicy" => lifecycle::put(&ecr, decode(&input)?),
        "GetLifecyclePolicy" => lifecycle::get(&ecr, decode(&input)?),
        "DeleteLifecyclePolicy" => lifecycle::delete(&ecr, decode(&input)?),
        "TagResource" => tags::tag(&ecr, decode(&input)?),
        "UntagResource" => tags::untag(&ecr, decode(&input)?),
        "ListTagsForResource" => tags::list(&ecr, decode(&input)?),
    })
}
