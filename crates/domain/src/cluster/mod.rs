//! EcsCluster building blocks (pure): the instance catalog, node pools and their providers,
//! placement, `memberOf` constraints, container instances and cluster status.
pub mod catalog;
pub mod constraints;
pub mod karpenter;
pub mod placement;
pub mod plan;
pub mod pools;
pub mod status;
