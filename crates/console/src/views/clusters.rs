//! Clusters: the ECS console's cluster list (DescribeClusters' counts, from each EcsCluster's status).

use kube::api::{Api, ListParams};
use kube_ecs_api::EcsCluster;
use kube_ecs_api::ecs_names::cluster_name;
use maud::{Markup, html};

use super::fmt;
use crate::error::Result;

pub async fn fragment(client: &kube::Client, ns: &str) -> Result<Markup> {
    // ECS clusters are cluster-scoped: creating one is asked of the apiserver without a namespace.
    let (api, params) = (Api::<EcsCluster>::all(client.clone()), ListParams::default());
    let (clusters, may_create) =
        futures::join!(api.list(&params), crate::rights::allowed(client, "", "create", "ecsclusters"));
    let mut clusters = clusters?.items;
    clusters.sort_by_key(cluster_name);
    Ok(html! {
        h1 { "Clusters" span.count { " (" (clusters.len()) ")" } }
        @if may_create {
            div.actions { a.button.primary #create-cluster href={ "/ns/" (ns) "/clusters/new" } { "Create cluster" } }
        }
        table.list #clusters {
            thead { tr {
                th { "Cluster" } th { "Status" } th { "Registered container instances" }
                th { "Running tasks" } th { "Pending tasks" } th { "Services" } th { "Container Insights" }
            } }
            tbody {
                @for cluster in &clusters {
                    @let object = cluster.metadata.name.clone().unwrap_or_default();
                    @let status = cluster.status.clone().unwrap_or_default();
                    tr {
                        td { a href={ "/ns/" (ns) "/clusters/" (object) "/services" } { (cluster_name(cluster)) } }
                        td { (fmt::badge(&fmt::opt_word(status.status.as_ref()))) }
                        td.num { (status.registered_container_instances_count.unwrap_or(0)) }
                        td.num { (status.running_tasks_count.unwrap_or(0)) }
                        td.num { (status.pending_tasks_count.unwrap_or(0)) }
                        td.num { (status.active_services_count.unwrap_or(0)) }
                        td { (cluster.spec.container_insights.as_deref().unwrap_or("disabled")) }
                    }
                }
                @if clusters.is_empty() { tr { td colspan="7" { "No clusters." } } }
            }
        }
    })
}
