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

use super::{decode, encode};
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};
use crate::registry::RegistryParts;

/// Runs `operation` (one of ECR's supported ones) with its checked input; errors in ECR's vocabulary.
pub async fn dispatch(
    call: &Call<'_>,
    registry: &RegistryParts,
    operation: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, EcsError> {
    let ecr = EcrCall { call, registry };
    macro_rules! route {
        ($($name:literal => $action:path),* $(,)?) => {
            match operation {
                $($name => encode($action(&ecr, decode(&input)?).await?),)*
                other => Err(EcsError::new(
                    ErrorCode::UnknownOperationException,
                    format!("The action {other} is not supported by kube-ecs (docs/ecr.md lists the supported actions)."),
                )),
            }
        };
    }
    let result = async {
        route! {
            "CreateRepository" => repositories::create,
            "DescribeRepositories" => repositories::describe,
            "DeleteRepository" => repositories::delete,
            "PutImageTagMutability" => repositories::put_image_tag_mutability,
            "ListImages" => images::list,
            "DescribeImages" => images::describe,
            "BatchGetImage" => images::batch_get,
            "BatchDeleteImage" => images::batch_delete,
            "GetAuthorizationToken" => authorization::get_token,
            "PutLifecyclePolicy" => lifecycle::put,
            "GetLifecyclePolicy" => lifecycle::get,
            "DeleteLifecyclePolicy" => lifecycle::delete,
            "TagResource" => tags::tag,
            "UntagResource" => tags::untag,
            "ListTagsForResource" => tags::list,
        }
    }
    .await;
    result.map_err(errors::in_ecr_terms)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_the_model_serves_is_routed() {
        // The routes above, by name: a supported operation without a route would answer
        // UnknownOperationException, which this keeps from happening silently.
        let source = include_str!("mod.rs");
        for operation in kube_ecs_wire::ecr::SUPPORTED_OPERATIONS {
            assert!(source.contains(&format!("\"{operation}\" => ")), "{operation} has no route");
        }
    }
}
