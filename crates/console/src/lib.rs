//! The kube-ecs console: the Amazon ECS console's pages (clusters, services, tasks, task definitions)
//! rendered on the server from kube-ecs's resources, for a person with a browser.
//!
//! Invariants, each kept by one module:
//! - every Kubernetes read, watch and write runs with the signed-in identity's client
//!   ([`identity`]); the console has no rights of its own to lend, and the apiserver decides;
//! - every request passes the guard first ([`guard`]: Host allowlist against DNS rebinding, Origin
//!   on writes and streams, the security headers with a Content-Security-Policy that forbids inline
//!   script and framing);
//! - every state-changing request carries the session's CSRF token ([`session`]);
//! - every string reaches HTML through maud, which escapes by default; links built from data pass a
//!   scheme allowlist ([`views::links`]).
//!
//! A page is one value of [`page::Page`], parsed from the path; the same render function answers the
//! page and its live stream ([`live`]), so a page and its updates cannot disagree.

pub mod actions;
pub mod actions_service;
pub mod ecr_routes;
pub mod error;
pub mod extract;
pub mod follow;
pub mod form_fields;
pub mod guard;
pub mod identity;
pub mod live;
pub mod page;
pub mod rights;
pub mod run_task_manifest;
pub mod server;
pub mod service_routes;
pub mod session;
pub mod sign_in;
pub mod static_files;
pub mod td_routes;
pub mod tls;
pub mod views;
pub mod wizard;

pub use server::{Console, ConsoleConfig, SignIn};
