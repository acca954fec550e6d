//! SSM's wire types, trimmed to Parameter Store's actions kube-ecs serves: the shapes of botocore's
//! `ssm/2014-11-06/service-2.json` (on the same endpoint as ECS, told apart by the `X-Amz-Target`
//! prefix [`TARGET_PREFIX`]), generated into Rust (`ssm/generated.rs`) from the trimmed model
//! `model/ssm-2014-11-06.json` by `hack/gen-ecs-wire.py`. The checks: [`model()`].

pub mod generated;
pub use generated::*;

/// SSM's model and its checks: `ssm::model().check_input("PutParameter", &body)`.
pub fn model() -> &'static crate::model::Model {
    crate::model::ssm()
}
