//! Cloud Map's wire types: the shapes of botocore's `servicediscovery/2017-03-14/service-2.json`
//! that kube-ecs serves (on the same endpoint as ECS, told apart by the `X-Amz-Target` prefix
//! [`TARGET_PREFIX`]), generated into Rust (`servicediscovery/generated.rs`) from the trimmed model
//! `model/servicediscovery-2017-03-14.json` by `hack/gen-ecs-wire.py`. The checks: [`model()`].

pub mod generated;
pub use generated::*;

/// Cloud Map's model and its checks.
pub fn model() -> &'static crate::model::Model {
    crate::model::servicediscovery()
}
