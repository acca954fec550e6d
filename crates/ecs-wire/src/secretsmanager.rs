//! Secrets Manager's wire types: the shapes of botocore's `secretsmanager/2017-10-17/service-2.json`
//! that kube-ecs serves (on the same endpoint as ECS, told apart by the `X-Amz-Target` prefix
//! [`TARGET_PREFIX`]), generated into Rust (`secretsmanager/generated.rs`) from the trimmed model
//! `model/secretsmanager-2017-10-17.json` by `hack/gen-ecs-wire.py`. A module of its own as the
//! services share shape names (`Tag`, `TagResourceRequest`, ...). The checks: [`model()`].

pub mod generated;
pub use generated::*;

/// Secrets Manager's model and its checks: `secretsmanager::model().check_input("CreateSecret", &body)`.
pub fn model() -> &'static crate::model::Model {
    crate::model::secretsmanager()
}
