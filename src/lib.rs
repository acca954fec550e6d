//! kube-ecs: the Amazon ECS model (clusters, task definitions, tasks, services) on Kubernetes.

pub mod api;
pub mod cli;
pub mod crdgen;
pub mod local_cluster;
