//! kube-ecs: the Amazon ECS model (clusters, task definitions, tasks, services) on Kubernetes.
// kube's `#[kube(printcolumn(...))]` repeats `type_ = ...` by design; clippy reads it as a duplicate.
#![allow(clippy::duplicated_attributes)]

pub mod api;
pub mod apply;
pub mod caches;
pub mod cli;
pub mod cluster;
pub mod context;
pub mod controllers;
pub mod crd_install;
pub mod crdgen;
pub mod demo;
pub mod error;
pub mod http_server;
pub mod import;
pub mod insights;
pub mod labels;
pub mod leader;
pub mod local_cluster;
pub mod metrics;
pub mod pod_security;
pub mod rate_limit;
pub mod revisions;
pub mod service_plan;
pub mod signals;
pub mod task_status;
pub mod translate;
pub mod user_agent;
