//! ECS's wire types: the shapes of botocore's `ecs/2014-11-13/service-2.json` that kube-ecs serves,
//! generated into Rust (`generated.rs`) from a trimmed copy of the model (`model/`), and checks of
//! requests and responses against that model. One source of truth: `hack/gen-ecs-wire.py` writes
//! both from the pinned botocore, and a test fails when they drift.

pub mod generated;
pub use generated::*;
mod timestamp;
pub use timestamp::{ParseTimestampError, Timestamp};
pub mod model;
