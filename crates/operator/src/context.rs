//! What every reconcile shares: the client, the configuration parsed once at start, the event recorder.

use kube_ecs_domain::event::{EcsEvent, Severity};
use std::time::Duration;

use kube::Client;
use kube::Resource;

use crate::event_publisher::{EventPublisher, Published};

/// Operator settings, parsed once from the command line.
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// How long a STOPPED task stays visible before it is deleted (ECS: at least one hour).
    pub stopped_task_retention: Duration,
    /// The name events are reported under.
    pub reporter: String,
    /// This instance's identity (pod name), for events and the leader lease.
    pub instance: String,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        Self {
            stopped_task_retention: Duration::from_secs(3600),
            reporter: "kube-ecs".into(),
            instance: std::env::var("HOSTNAME").unwrap_or_else(|_| "kube-ecs".into()),
        }
    }
}

/// Shared state of all controllers.
#[derive(Clone)]
pub struct Context {
    pub client: Client,
    pub config: OperatorConfig,
    events: std::sync::Arc<EventPublisher>,
    /// Sending on it reconciles every object of every controller (SIGHUP; benchmarks' forced resync).
    pub resync: tokio::sync::broadcast::Sender<()>,
    /// Watch-fed caches reconciles read instead of the API server.
    pub caches: std::sync::Arc<crate::caches::SharedCaches>,
    /// When each service's status was last written (count-only changes are spaced out).
    pub service_status_pacer: std::sync::Arc<crate::controllers::pacer::WritePacer<crate::api::service::ServiceStatus>>,
    /// Each task's last status write, kept only until the cache shows it.
    pub task_status_writes: std::sync::Arc<crate::controllers::pacer::WritePacer<crate::api::task::TaskStatus>>,
    /// Each TaskDefinition's last status write (the revisions it records), until the cache shows it.
    pub definition_status_writes:
        std::sync::Arc<crate::controllers::pacer::WritePacer<crate::api::task_definition::TaskDefinitionStatus>>,
    /// Objects whose reconciles the API server refuses permanently, and how often in a row.
    pub permanent_failures: std::sync::Arc<crate::controllers::permanent::Failures>,
}

impl Context {
    pub fn new(client: Client, config: OperatorConfig) -> Self {
        let events =
            std::sync::Arc::new(EventPublisher::new(client.clone(), config.reporter.clone(), config.instance.clone()));
        let (resync, _) = tokio::sync::broadcast::channel(4);
        Self {
            client,
            config,
            events,
            resync,
            caches: Default::default(),
            service_status_pacer: Default::default(),
            task_status_writes: Default::default(),
            definition_status_writes: Default::default(),
            permanent_failures: Default::default(),
        }
    }

    /// The read side of the caches.
    pub fn caches(&self) -> &crate::caches::Caches {
        &self.caches.read
    }

    /// A stream that yields whenever a full resync is requested.
    pub fn resync_requests(&self) -> impl futures::Stream<Item = ()> + Send + 'static {
        futures::stream::unfold(self.resync.subscribe(), |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(()) => return Some(((), rx)),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// Publishes an Event on `object`. Failures are logged, never fatal: events are advisory.
    pub async fn event<K: Resource<DynamicType = ()>>(&self, object: &K, action: &str, event: &EcsEvent) {
        let published = Published {
            warning: event.severity == Severity::Warning,
            reason: &event.reason,
            action,
            note: truncate(event.message.clone(), 1000),
        };
        if let Err(e) = self.events.publish(published, &object.object_ref(&())).await {
            tracing::warn!(error = %e, reason = event.reason, "publishing an event failed");
        }
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}
