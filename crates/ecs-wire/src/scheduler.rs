//! EventBridge Scheduler's wire types, trimmed to the schedule actions kube-ecs serves: the shapes of
//! botocore's `scheduler/2021-06-30/service-2.json`, generated into Rust (`scheduler/generated.rs`)
//! from the trimmed model `model/scheduler-2021-06-30.json` by `hack/gen-ecs-wire.py`. Scheduler
//! speaks restJson1, not JSON 1.1: it has no `X-Amz-Target` prefix; the endpoint finds the operation
//! from the method and path (each operation's `http` in the model) and gathers the members the
//! model places in the path and query string into the input before [`model()`] checks it.

pub mod generated;
pub use generated::*;

/// Scheduler's model and its checks: `scheduler::model().check_input("CreateSchedule", &input)`.
pub fn model() -> &'static crate::model::Model {
    crate::model::scheduler()
}
