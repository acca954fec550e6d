//! The service page's actions (Update, Delete) and the cluster's Create service button, each shown
//! only when RBAC allows the write (SelfSubjectAccessReview, a courtesy: the apiserver decides) and
//! the service is not a GitOps tool's (then the page says to change it in Git instead).

use kube_ecs_api::Service;
use maud::{Markup, html};

use super::gitops;
use crate::rights::allowed;
use crate::session::Session;

/// What the identity may do with the namespace's services.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceRights {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

impl ServiceRights {
    pub async fn of(session: &Session, ns: &str) -> Self {
        let client = &session.identity.client;
        let (create, update, delete) = futures::join!(
            allowed(client, ns, "create", "services"),
            allowed(client, ns, "update", "services"),
            allowed(client, ns, "delete", "services"),
        );
        Self { create, update, delete }
    }
}

/// The service page's action bar, or the GitOps notice.
pub async fn actions(session: &Session, ns: &str, object: &str, service: &Service) -> Markup {
    if let Some(owner) = gitops::owned_by(&service.metadata) {
        return html! {
            (gitops::read_only(&owner, "This service"))
            div.actions { a.button #show-manifest href={ "/ns/" (ns) "/services/" (object) "/update" } { "Edit as manifest" } }
        };
    }
    render(ns, object, ServiceRights::of(session, ns).await)
}

fn render(ns: &str, object: &str, rights: ServiceRights) -> Markup {
    html! {
        div.actions {
            @if rights.update { a.button.primary #update-service href={ "/ns/" (ns) "/services/" (object) "/update" } { "Update service" } }
            @if rights.delete { a.button #delete-service href={ "/ns/" (ns) "/services/" (object) "/delete" } { "Delete service" } }
        }
    }
}

/// The cluster's Services tab button.
pub async fn create_button(session: &Session, ns: &str, cluster: &str) -> Markup {
    let create = allowed(&session.identity.client, ns, "create", "services").await;
    html! {
        div.actions {
            @if create { a.button.primary #create-service href={ "/ns/" (ns) "/clusters/" (cluster) "/create-service" } { "Create service" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_follow_the_rights() {
        let none = render("a", "web", ServiceRights::default()).into_string();
        assert!(!none.contains("update-service") && !none.contains("delete-service"), "{none}");
        let all = render("a", "web", ServiceRights { create: true, update: true, delete: true }).into_string();
        assert!(all.contains("/ns/a/services/web/update") && all.contains("/ns/a/services/web/delete"), "{all}");
    }
}
