//! CloudWatch Logs' wire types: the shapes of botocore's `logs/2014-03-28/service-2.json` that
//! kube-ecs serves (on the same endpoint as ECS, told apart by the `X-Amz-Target` prefix
//! [`TARGET_PREFIX`]), generated into Rust (`logs/generated.rs`) from the trimmed model
//! `model/logs-2014-03-28.json` by `hack/gen-ecs-wire.py`. A module of its own as the services share
//! shape names (`ResourceNotFoundException`, ...). The checks: [`model()`].

pub mod generated;
pub use generated::*;

/// CloudWatch Logs' model and its checks: `logs::model().check_input("GetLogEvents", &body)`.
pub fn model() -> &'static crate::model::Model {
    crate::model::logs()
}
