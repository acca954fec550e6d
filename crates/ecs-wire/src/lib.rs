//! ECS's and ECR's wire types: the shapes of botocore's `ecs/2014-11-13/service-2.json` (in the
//! crate's root) and `ecr/2015-09-21/service-2.json` (in [`ecr`]) that kube-ecs serves, generated
//! into Rust (`generated.rs`, `ecr/generated.rs`) from trimmed copies of the models (`model/`), and
//! checks of requests and responses against those models ([`model::ecs()`], [`model::ecr()`]). One
//! source of truth: `hack/gen-ecs-wire.py` writes all of it from the pinned botocore, and a test
//! fails when they drift. Secrets Manager's and SSM's (Parameter Store) are in [`secretsmanager`]
//! and [`ssm`], made the same way; CloudWatch Logs' in [`logs`];
//! EventBridge Scheduler's (restJson1) in [`scheduler`]; Cloud Map's in [`servicediscovery`].

pub mod generated;
pub use generated::*;
pub mod application_autoscaling;
pub mod ecr;
pub mod logs;
pub mod scheduler;
pub mod secretsmanager;
pub mod servicediscovery;
pub mod ssm;
mod timestamp;
pub use timestamp::{ParseTimestampError, Timestamp};
pub mod model;
