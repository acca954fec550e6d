//! The kube-ecs operator: its controllers, their shared context, and what serves them (leader
//! election, metrics and health endpoints, request pacing, signal handling).
//!
//! Each controller observes the read model, plans with the domain and applies with one field
//! manager. Nothing here is imported by the layers below, and the local control plane is not a
//! dependency of this crate.

pub mod apply;
pub mod context;
pub mod controllers;
pub mod crd_install;
pub mod error;
pub mod event_publisher;
pub mod http_server;
pub mod insights;
pub mod leader;
pub mod metrics;
pub mod rate_limit;
pub mod signals;
pub mod user_agent;

// The layers below, by the names the modules use.
use kube_ecs_api as api;
use kube_ecs_api::{crdgen, labels};
use kube_ecs_domain::{cluster, event, registration, revisions, service_plan, task_definition_plan, translate};
use kube_ecs_read_model as caches;
