//! ECR's wire types: the shapes of botocore's `ecr/2015-09-21/service-2.json` that kube-ecs serves
//! (on the same endpoint as ECS, told apart by the `X-Amz-Target` prefix [`TARGET_PREFIX`]),
//! generated into Rust (`ecr/generated.rs`) from the trimmed model `model/ecr-2015-09-21.json` by
//! `hack/gen-ecs-wire.py`. A module of its own as ECS and ECR share shape names (`Tag`,
//! `TagResourceRequest`, ...). The checks of bodies against ECR's model: [`model()`]
//! (`crate::model::ecr()`).

pub mod generated;
pub use generated::*;

/// ECR's model and its checks: `ecr::model().check_input("CreateRepository", &body)`.
pub fn model() -> &'static crate::model::Model {
    crate::model::ecr()
}
