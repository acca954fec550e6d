//! A cluster's page: its summary and the ECS console's tabs (Services, Tasks, Infrastructure,
//! Scheduled tasks, Tags). Tasks, services and schedules are the page's namespace's; clusters and
//! container instances are cluster-scoped. Each list is read as the identity: a list RBAC refuses
//! shows the apiserver's message in its place, the rest of the page still renders.

use kube::api::{Api, ListParams};
use kube_ecs_api::ecs_names::{cluster_name, cluster_reference, schedule_name, service_name};
use kube_ecs_api::{ContainerInstance, EcsCluster, ScheduledTask, Service, Task};
use maud::{Markup, html};

use super::{fmt, layout, links};
use crate::error::{ConsoleError, Result};
use crate::page::ClusterTab;
use crate::session::Session;

/// The page; `cursor` (the Tasks tab's `?next=`) picks a later page of tasks.
pub async fn fragment(
    session: &Session,
    ns: &str,
    object: &str,
    tab: ClusterTab,
    cursor: Option<&str>,
) -> Result<Markup> {
    let client = &session.identity.client;
    let cluster = Api::<EcsCluster>::all(client.clone()).get(object).await.map_err(ConsoleError::from);
    let name = cluster.as_ref().map(cluster_name).unwrap_or_else(|_| object.to_string());
    let summary = match &cluster {
        Ok(cluster) => summary(cluster),
        Err(e) => layout::error_box(e),
    };
    let content = match tab {
        ClusterTab::Services => {
            let (button, list) = futures::join!(
                super::service_actions::create_button(session, ns, object),
                services(client, ns, object)
            );
            list.map(|list| html! { (button) (list) })
        }
        ClusterTab::Tasks => tasks(session, ns, object, false, cursor).await,
        ClusterTab::StoppedTasks => tasks(session, ns, object, true, cursor).await,
        ClusterTab::Infrastructure => infrastructure(client, cluster.as_ref().ok(), object).await,
        ClusterTab::Metrics => super::cluster_metrics::fragment(client, cluster.as_ref().ok(), ns, object).await,
        ClusterTab::ScheduledTasks => scheduled_tasks(client, ns, object).await,
        ClusterTab::Tags => Ok(tags(cluster.as_ref().ok())),
    };
    Ok(html! {
        p.crumbs { a href={ "/ns/" (ns) "/clusters" } { "Clusters" } " › " (name) }
        h1 { (name) }
        (summary)
        nav.tabs {
            @for t in ClusterTab::ALL {
                a class=(if t == tab.in_tab_bar() { "tab current" } else { "tab" })
                    href={ "/ns/" (ns) "/clusters/" (object) "/" (t.slug()) } { (t.label()) }
            }
        }
        section.tab-content #tab {
            @match content { Ok(markup) => (markup), Err(e) => (layout::error_box(&e)) }
        }
    })
}

fn summary(cluster: &EcsCluster) -> Markup {
    let status = cluster.status.clone().unwrap_or_default();
    html! {
        dl.summary #cluster-summary {
            div { dt { "Status" } dd { (fmt::badge(&fmt::opt_word(status.status.as_ref()))) } }
            div { dt { "Registered container instances" } dd { (status.registered_container_instances_count.unwrap_or(0)) } }
            div { dt { "Running tasks" } dd #running-count { (status.running_tasks_count.unwrap_or(0)) } }
            div { dt { "Pending tasks" } dd #pending-count { (status.pending_tasks_count.unwrap_or(0)) } }
            div { dt { "Services" } dd { (status.active_services_count.unwrap_or(0)) } }
        }
    }
}

async fn services(client: &kube::Client, ns: &str, object: &str) -> Result<Markup> {
    let mut services: Vec<Service> = Api::<Service>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|s| cluster_reference(s.spec.cluster.as_deref()) == object)
        .collect();
    services.sort_by_key(service_name);
    Ok(html! {
        table.list #services {
            thead { tr {
                th { "Service name" } th { "Status" } th { "Task definition" } th { "Desired" }
                th { "Running" } th { "Pending" } th { "Deployment" }
            } }
            tbody {
                @for service in &services {
                    @let status = service.status.clone().unwrap_or_default();
                    tr {
                        td { a href={ "/ns/" (ns) "/services/" (service.metadata.name.clone().unwrap_or_default()) } { (service_name(service)) } }
                        td { (fmt::badge(&fmt::opt_word(status.status.as_ref()))) }
                        td { (status.task_definition.as_deref().unwrap_or(&service.spec.task_definition)) }
                        td.num { (fmt::opt(status.desired_count.or(service.spec.desired_count))) }
                        td.num { (status.running_count.unwrap_or(0)) }
                        td.num { (status.pending_count.unwrap_or(0)) }
                        td { (fmt::badge(&fmt::opt_word(status.rollout_state.as_ref()))) }
                    }
                }
                @if services.is_empty() { tr { td colspan="7" { "No services in namespace " (ns) "." } } }
            }
        }
    })
}

/// Rows a page of the Tasks tab shows (the ECS console pages its task list by 100 too).
pub const TASK_ROWS: u32 = 100;

/// One page of the cluster's tasks of one desired status (the ECS console's filter, RUNNING by
/// default), newest first within the page: standalone tasks, and on the first page the services'
/// tasks (their Pods, `service_tasks`; group `service:<name>`). The apiserver does the filtering and the
/// paging: field selectors on the Task's selectable fields (`status.cluster`,
/// `status.desiredStatus`) and `limit`, so a render reads at most [`TASK_ROWS`] tasks however many
/// the namespace holds. `cursor` is the apiserver's continue token of the page before; the apiserver
/// orders by name (ECS task IDs: random), so a page's set is stable while tasks come and go.
async fn tasks(session: &Session, ns: &str, object: &str, stopped: bool, cursor: Option<&str>) -> Result<Markup> {
    let client = &session.identity.client;
    let api = Api::<Task>::namespaced(client.clone(), ns);
    let desired = if stopped { "STOPPED" } else { "RUNNING" };
    let mut params = ListParams::default()
        .fields(&format!("status.cluster={object},status.desiredStatus={desired}"))
        .limit(TASK_ROWS);
    if let Some(cursor) = cursor {
        params = params.continue_token(cursor);
    }
    // Tasks the operator has not observed yet have no status.cluster (an absent selectable field
    // selects as ""): the first page of running tasks shows those of this cluster too, so a task
    // appears the moment it is created, not once the operator has seen it. They are few (the
    // operator's backlog), filtered here by their spec.
    let unobserved = async {
        if stopped || cursor.is_some() {
            return Ok(Vec::new());
        }
        let params = ListParams::default().fields("status.cluster=").limit(TASK_ROWS);
        let listed = api.list(&params).await?;
        let running = |t: &Task| t.spec.desired_status != Some(kube_ecs_api::ecs::DesiredStatus::Stopped);
        let ours = |t: &Task| cluster_reference(t.spec.cluster.as_deref()) == object;
        Ok::<_, kube::Error>(listed.items.into_iter().filter(|t| running(t) && ours(t)).collect::<Vec<_>>())
    };
    // Services' tasks: on the first page (a service's own page lists all of its tasks).
    let of_services = async {
        match cursor {
            Some(_) => Ok(Vec::new()),
            None => super::service_tasks::of_cluster(client, ns, object, stopped, TASK_ROWS).await,
        }
    };
    let (listed, unobserved, of_services, rights) =
        futures::join!(api.list(&params), unobserved, of_services, session.rights(ns));
    let listed = listed?;
    let next = listed.metadata.continue_.filter(|c| !c.is_empty());
    let mut tasks = listed.items;
    // A full page covers the IDs up to its last one (the apiserver's order): unobserved tasks past
    // it belong to a later page, and the live stream skips changes past it (live::Follower).
    let through = next.as_ref().and_then(|_| tasks.last()).and_then(|t| t.metadata.name.clone());
    let on_page = |t: &Task| through.as_ref().is_none_or(|last| t.metadata.name.as_ref().is_some_and(|n| n <= last));
    tasks.extend(unobserved?.into_iter().filter(on_page));
    // A list of Pods RBAC refuses leaves the standalone tasks, and says so under them.
    let services_refused = match of_services {
        Ok(of_services) => {
            tasks.extend(of_services);
            None
        }
        Err(e) => Some(ConsoleError::from(e)),
    };
    tasks.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp));
    let base = format!("/ns/{ns}/clusters/{object}/{}", if stopped { "stopped-tasks" } else { "tasks" });
    Ok(html! {
        div.actions {
            @if rights.run_tasks {
                a.button.primary #run-task href={ "/ns/" (ns) "/clusters/" (object) "/run-task" } { "Run new task" }
            }
        }
        p.filter #task-filter {
            "Desired status: "
            @for (label, slug, current) in [("Running", "tasks", !stopped), ("Stopped", "stopped-tasks", stopped)] {
                @if current { strong { (label) } } @else { a href={ "/ns/" (ns) "/clusters/" (object) "/" (slug) } { (label) } }
                " "
            }
        }
        table.list #tasks data-through=[through.as_deref()] {
            thead { tr {
                th { "Task" } th { "Last status" } th { "Desired status" } th { "Task definition" }
                th { "Group" } th { "Started by" } th { "Started at" } th { "Stop code" }
            } }
            tbody {
                @for task in &tasks {
                    @let id = task.metadata.name.clone().unwrap_or_default();
                    @let status = task.status.clone().unwrap_or_default();
                    tr data-task=(id) {
                        td { a href={ "/ns/" (ns) "/tasks/" (id) } { (id) } }
                        td.last-status { (fmt::badge(&fmt::opt_word(status.last_status.as_ref()))) }
                        td { (fmt::opt_word(task.spec.desired_status.as_ref().or(status.desired_status.as_ref()))) }
                        td { (status.task_definition.as_deref().unwrap_or(&task.spec.task_definition)) }
                        td.group { (task.spec.group.as_deref().unwrap_or(fmt::NONE)) }
                        td { (task.spec.started_by.as_deref().unwrap_or(fmt::NONE)) }
                        td { (fmt::time(status.started_at.as_ref())) }
                        td { (fmt::opt_word(status.stop_code.as_ref())) }
                    }
                }
                @if tasks.is_empty() {
                    tr { td colspan="8" { "No " (desired.to_lowercase()) " tasks of this cluster in namespace " (ns) "." } }
                }
            }
        }
        @if let Some(refused) = &services_refused {
            p.muted #service-tasks-refused { "Services' tasks are not listed: " (refused) }
        }
        p.pager #task-pages {
            @if cursor.is_some() { a #first-page href=(base) { "First page" } " " }
            @if let Some(next) = &next {
                a #next-page href={ (base) "?next=" (query_value(next)) } { "Next " (TASK_ROWS) " tasks" }
            }
        }
    })
}

/// `value` percent-encoded for a query string (a continue token is base64: `+`, `/` and `=` must
/// not reach the server as themselves).
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn infrastructure(client: &kube::Client, cluster: Option<&EcsCluster>, object: &str) -> Result<Markup> {
    let mut instances: Vec<ContainerInstance> = Api::<ContainerInstance>::all(client.clone())
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|i| i.spec.cluster == object)
        .collect();
    instances.sort_by_key(|i| i.metadata.name.clone());
    let pools = cluster.map(|c| c.spec.node_pools.clone()).unwrap_or_default();
    let pool_status = cluster.and_then(|c| c.status.as_ref()).map(|s| s.pools.clone()).unwrap_or_default();
    Ok(html! {
        h2 { "Capacity providers" }
        table.list #capacity-providers {
            thead { tr { th { "Capacity provider" } th { "Type" } th { "Instance type" } th { "Capacity" } th { "Desired" } th { "Registered" } } }
            tbody {
                @for pool in &pools {
                    @let seen = pool_status.iter().find(|p| p.name == pool.name);
                    tr {
                        td { (pool.capacity_provider()) }
                        td { (pool.provider.as_deref().unwrap_or("simulated")) }
                        td { (pool.instance_type.as_deref().unwrap_or(fmt::NONE)) }
                        td { (pool.capacity_type.as_deref().unwrap_or(fmt::NONE)) }
                        td.num { (fmt::opt(seen.map(|p| p.desired_instances))) }
                        td.num { (fmt::opt(seen.map(|p| p.registered_instances))) }
                    }
                }
                @if pools.is_empty() { tr { td colspan="6" { "No node pools: the cluster uses the nodes labelled for it." } } }
            }
        }
        h2 { "Container instances" }
        table.list #container-instances {
            thead { tr {
                th { "Container instance" } th { "Status" } th { "Agent connected" } th { "Capacity provider" }
                th { "Instance type" } th { "Running tasks" } th { "CPU available" } th { "Memory available" }
            } }
            tbody {
                @for instance in &instances {
                    @let status = instance.status.clone().unwrap_or_default();
                    @let registered = status.registered_resources.clone().unwrap_or_default();
                    @let remaining = status.remaining_resources.clone().unwrap_or_default();
                    tr {
                        td { (instance.metadata.name.clone().unwrap_or_default()) }
                        td { (fmt::badge(&fmt::opt_word(status.status.as_ref()))) }
                        td { (if status.agent_connected { "true" } else { "false" }) }
                        td { (instance.spec.pool.as_deref().unwrap_or(fmt::NONE)) }
                        td { (instance.spec.instance_type.as_deref().unwrap_or(fmt::NONE)) }
                        td.num { (status.running_tasks_count) }
                        td.num { (remaining.cpu) " / " (registered.cpu) }
                        td.num { (remaining.memory) " / " (registered.memory) " MiB" }
                    }
                }
                @if instances.is_empty() { tr { td colspan="8" { "No container instances." } } }
            }
        }
    })
}

async fn scheduled_tasks(client: &kube::Client, ns: &str, object: &str) -> Result<Markup> {
    let mut schedules: Vec<ScheduledTask> = Api::<ScheduledTask>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|s| cluster_reference(s.spec.target.cluster.as_deref()) == object)
        .collect();
    schedules.sort_by_key(schedule_name);
    Ok(html! {
        table.list #scheduled-tasks {
            thead { tr { th { "Schedule" } th { "Expression" } th { "Time zone" } th { "State" } th { "Task definition" } th { "Last run" } th { "Next run" } } }
            tbody {
                @for schedule in &schedules {
                    @let status = schedule.status.clone().unwrap_or_default();
                    tr {
                        td { (schedule_name(schedule)) }
                        td { code { (schedule.spec.schedule_expression) } }
                        td { (schedule.spec.schedule_expression_timezone.as_deref().unwrap_or("UTC")) }
                        td { (fmt::badge(&status.state.clone().unwrap_or_else(|| fmt::opt_word(schedule.spec.state.as_ref())))) }
                        td { (schedule.spec.target.task_definition) }
                        td { (fmt::time(status.last_run_time.as_ref())) }
                        td { (status.next_run_time.as_deref().unwrap_or(fmt::NONE)) }
                    }
                }
                @if schedules.is_empty() { tr { td colspan="7" { "No scheduled tasks in namespace " (ns) "." } } }
            }
        }
    })
}

fn tags(cluster: Option<&EcsCluster>) -> Markup {
    let tags = cluster.map(|c| c.spec.tags.clone()).unwrap_or_default();
    html! {
        table.list #tags {
            thead { tr { th { "Key" } th { "Value" } } }
            tbody {
                @for tag in &tags {
                    tr { td { (tag.key.as_deref().unwrap_or_default()) } td { (links::external(tag.value.as_deref().unwrap_or_default())) } }
                }
                @if tags.is_empty() { tr { td colspan="2" { "No tags." } } }
            }
        }
    }
}
