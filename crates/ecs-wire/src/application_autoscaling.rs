//! Application Auto Scaling's wire types: the shapes of botocore's
//! `application-autoscaling/2016-02-06/service-2.json` that kube-ecs serves (on the same endpoint as
//! ECS, told apart by the `X-Amz-Target` prefix [`TARGET_PREFIX`]), generated into Rust
//! (`application_autoscaling/generated.rs`) from the trimmed model
//! `model/application-autoscaling-2016-02-06.json` by `hack/gen-ecs-wire.py`. The checks: [`model()`].

pub mod generated;
pub use generated::*;

/// Application Auto Scaling's model and its checks.
pub fn model() -> &'static crate::model::Model {
    crate::model::application_autoscaling()
}
