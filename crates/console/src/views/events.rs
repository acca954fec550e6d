//! The Kubernetes Events about an object (a task's: the operator's own and its Pod's: scheduling,
//! image pulls, probes), newest first: what ECS shows as a task's events. Read as the identity; a
//! list RBAC refuses shows the apiserver's message in their place.

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, ListParams};
use maud::{Markup, html};

use super::{fmt, layout};
use crate::error::{ConsoleError, Result};

/// Events shown, newest first.
pub const EVENTS_SHOWN: usize = 50;

/// The Events of the objects named `names` (any kind) in `ns`.
pub async fn about(client: &kube::Client, ns: &str, names: &[&str]) -> Result<Vec<Event>> {
    let api = Api::<Event>::namespaced(client.clone(), ns);
    let lists = futures::future::join_all(names.iter().map(|name| {
        let params = ListParams::default().fields(&format!("involvedObject.name={name}"));
        let api = api.clone();
        async move { api.list(&params).await }
    }))
    .await;
    let mut events = Vec::new();
    for list in lists {
        events.extend(list.map_err(ConsoleError::from)?.items);
    }
    events.sort_by_key(|e| std::cmp::Reverse(when(e)));
    events.truncate(EVENTS_SHOWN);
    Ok(events)
}

/// When an event last happened (core/v1 events carry it in one of three fields).
fn when(event: &Event) -> Option<Time> {
    event
        .last_timestamp
        .clone()
        .or_else(|| event.event_time.as_ref().map(|t| Time(t.0)))
        .or_else(|| event.metadata.creation_timestamp.clone())
}

/// The events table: pure (every field is data someone else wrote, escaped by maud).
pub fn render(events: &Result<Vec<Event>>) -> Markup {
    html! {
        h2 { "Events" }
        @match events {
            Err(e) => (layout::error_box(e)),
            Ok(events) => table.list #events {
                thead { tr { th { "Time" } th { "Type" } th { "Object" } th { "Reason" } th { "Message" } th { "From" } } }
                tbody {
                    @for e in events {
                        tr data-reason=(e.reason.as_deref().unwrap_or_default()) {
                            td { (fmt::time(when(e).as_ref())) }
                            td { (e.type_.as_deref().unwrap_or(fmt::NONE)) }
                            td { (e.involved_object.kind.as_deref().unwrap_or_default()) }
                            td { (e.reason.as_deref().unwrap_or(fmt::NONE)) }
                            td { (e.message.as_deref().unwrap_or_default()) }
                            td { (e.reporting_component.as_deref().filter(|c| !c.is_empty())
                                .or(e.source.as_ref().and_then(|s| s.component.as_deref())).unwrap_or(fmt::NONE)) }
                        }
                    }
                    @if events.is_empty() { tr { td colspan="6" { "No events." } } }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_text_renders_as_text() {
        let event: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "e1", "namespace": "team"},
            "involvedObject": {"kind": "Task", "name": "t1"},
            "type": "Warning", "reason": "<b>Stopped</b>",
            "message": "<script>alert(1)</script> javascript:alert(2)",
            "source": {"component": "kube-ecs"},
        }))
        .expect("event");
        let html = render(&Ok(vec![event])).into_string();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(2)"), "{html}");
        assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
        assert!(html.contains("kube-ecs"), "{html}");
        assert!(render(&Ok(Vec::new())).into_string().contains("No events."));
    }
}
