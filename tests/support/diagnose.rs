//! What a failed wait prints: the object without its field-manager bookkeeping, and the story of its
//! namespace (each Pod in one line, the newest Events). CI shows a bounded part of a failed run's
//! output, so a failure says why in tens of lines rather than one object's managedFields.

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::Client;
use kube::api::{Api, ListParams};

/// Events shown after a failed wait, newest last.
const EVENTS: usize = 30;
/// Longest message of an Event or a container state shown.
const MESSAGE: usize = 200;

/// `object` as YAML without `metadata.managedFields` and the last-applied annotation.
pub fn concise<T: serde::Serialize>(object: &T) -> String {
    let mut value = serde_json::to_value(object).unwrap_or_default();
    if let Some(metadata) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        metadata.remove("managedFields");
        if let Some(annotations) = metadata.get_mut("annotations").and_then(|a| a.as_object_mut()) {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    serde_yaml::to_string(&value).unwrap_or_default()
}

/// The namespaces whose story explains `object`: its own, and for an Argo CD Application the one it
/// deploys to (where the Pods whose health it waits on live).
pub fn namespaces_of<T: serde::Serialize>(object: &T) -> Vec<String> {
    let value = serde_json::to_value(object).unwrap_or_default();
    let mut namespaces: Vec<String> = [&value["metadata"]["namespace"], &value["spec"]["destination"]["namespace"]]
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    namespaces.dedup();
    namespaces
}

/// The namespace's Pods, one line each (node, phase, each container's state), the nodes that are not
/// healthy, and the namespace's newest Events.
pub async fn namespace_story(client: &Client, namespace: &str) -> String {
    let mut out = format!("pods in {namespace}:\n");
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match pods.list(&ListParams::default()).await {
        Ok(list) => list.items.iter().for_each(|p| out.push_str(&format!("  {}\n", pod_line(p)))),
        Err(e) => out.push_str(&format!("  (listing Pods failed: {e})\n")),
    }
    out.push_str("nodes:\n");
    match Api::<Node>::all(client.clone()).list(&ListParams::default()).await {
        Ok(list) => list.items.iter().for_each(|n| out.push_str(&format!("  {}\n", node_line(n)))),
        Err(e) => out.push_str(&format!("  (listing Nodes failed: {e})\n")),
    }
    out.push_str(&format!("newest events in {namespace}:\n"));
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    match events.list(&ListParams::default()).await {
        Ok(list) => {
            let mut items = list.items;
            items.sort_by_key(when);
            let skip = items.len().saturating_sub(EVENTS);
            items.iter().skip(skip).for_each(|e| out.push_str(&format!("  {}\n", event_line(e))));
        }
        Err(e) => out.push_str(&format!("  (listing Events failed: {e})\n")),
    }
    out
}

fn pod_line(pod: &Pod) -> String {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_else(|| "-".into());
    let status = pod.status.clone().unwrap_or_default();
    let containers: Vec<String> = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten())
        .map(|c| {
            let state = c.state.clone().unwrap_or_default();
            let shown = if let Some(t) = state.terminated {
                format!("exited {} {}", t.exit_code, t.reason.unwrap_or_default())
            } else if let Some(w) = state.waiting {
                format!("waiting {} {}", w.reason.unwrap_or_default(), short(&w.message.unwrap_or_default()))
            } else {
                format!("running ready={}", c.ready)
            };
            format!("{}: {}", c.name, shown.trim())
        })
        .collect();
    format!("{name} node={node} phase={} [{}]", status.phase.unwrap_or_default(), containers.join("; "))
}

/// A node's name, its conditions that are not as a healthy node's (Ready True, pressures False) and
/// its taints.
fn node_line(node: &Node) -> String {
    let name = node.metadata.name.clone().unwrap_or_default();
    let conditions: Vec<String> = node
        .status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .filter(|c| (c.type_ == "Ready") != (c.status == "True"))
        .map(|c| format!("{}={} {}", c.type_, c.status, short(&c.message.clone().unwrap_or_default())))
        .collect();
    let taints: Vec<String> =
        node.spec.iter().flat_map(|s| s.taints.iter().flatten()).map(|t| format!("{}:{}", t.key, t.effect)).collect();
    let health = if conditions.is_empty() { "Ready".to_string() } else { conditions.join("; ") };
    format!("{name} {health} taints=[{}]", taints.join(","))
}

fn when(event: &Event) -> String {
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .or_else(|| event.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()))
        .unwrap_or_default()
}

fn event_line(event: &Event) -> String {
    format!(
        "{} {} {}/{} x{}: {}",
        when(event),
        event.reason.clone().unwrap_or_default(),
        event.involved_object.kind.clone().unwrap_or_default(),
        event.involved_object.name.clone().unwrap_or_default(),
        event.count.unwrap_or(1),
        short(&event.message.clone().unwrap_or_default())
    )
}

fn short(text: &str) -> String {
    let line = text.replace('\n', " ");
    match line.char_indices().nth(MESSAGE) {
        Some((at, _)) => format!("{}...", &line[..at]),
        None => line,
    }
}
