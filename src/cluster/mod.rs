//! STUB: EcsCluster building blocks.
pub mod placement;
