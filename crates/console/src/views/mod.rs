//! The pages' HTML, one file per page. Every value is interpolated through maud (escaped); no view
//! writes `PreEscaped` of data.

pub mod cluster;
pub mod cluster_metrics;
pub mod clusters;
pub mod compute_options;
pub mod create_cluster;
pub mod ecr;
pub mod events;
pub mod fmt;
pub mod gitops;
pub mod layout;
pub mod links;
pub mod run_task;
pub mod service;
pub mod service_actions;
pub mod service_form;
pub mod service_logs;
pub mod service_tasks;
pub mod task;
pub mod task_definitions;
pub mod td_compare;
pub mod td_wizard;

use maud::Markup;

use crate::error::Result;
use crate::page::Page;
use crate::session::Session;

/// The content of `page` (what the live stream replaces), read as the session's identity.
pub async fn fragment(page: &Page, session: &Session) -> Result<Markup> {
    let client = &session.identity.client;
    match page {
        Page::Clusters { ns } => clusters::fragment(client, ns).await,
        Page::Cluster { ns, cluster, tab } => cluster::fragment(session, ns, cluster, *tab, None).await,
        Page::Task { ns, id } => task::fragment(session, ns, id).await,
        Page::Service { ns, name } => service::fragment(session, ns, name).await,
        Page::ServiceLogs { ns, name } => service_logs::fragment(session, ns, name).await,
        Page::Repositories { ns } => ecr::repositories(client, ns).await,
        Page::Repository { ns, name } => ecr::repository_live(client, ns, name).await,
        Page::Families { ns } => task_definitions::families(client, ns).await,
        Page::Family { ns, family } => task_definitions::family(client, ns, family).await,
        Page::Revision { ns, family, revision } => task_definitions::revision(client, ns, family, *revision).await,
    }
}
