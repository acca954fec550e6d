//! `kube-ecs logs`: a task's or a service's container logs, for kubectl users, read the way the
//! endpoint's CloudWatch Logs API reads them (crate::ecs_api::actions::logs: the same streams, named
//! from `awslogs`, and the same events from `pods/log`), with the kubeconfig's identity.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use kube::api::Api;
use kube_ecs_api::Service;
use kube_ecs_api::ecs_names::{cluster_object_name, cluster_reference, service_name};
use kube_ecs_endpoint::actions::logs::events::{Event, Gap};
use kube_ecs_endpoint::actions::logs::source::{Source, Stream};

/// How often `--follow` asks the kubelet for new lines.
const FOLLOW_POLL: Duration = Duration::from_secs(1);

/// Options of `kube-ecs logs`.
#[derive(clap::Args, Debug, Clone)]
pub struct LogsArgs {
    /// The ECS cluster of the task or service.
    #[arg(long, default_value = "default")]
    pub cluster: String,
    /// The task (ID or ARN).
    #[arg(long, conflicts_with = "service", required_unless_present = "service")]
    pub task: Option<String>,
    /// The service (its ECS name): the logs of all its tasks.
    #[arg(long)]
    pub service: Option<String>,
    /// Only this container (its ECS name).
    #[arg(long)]
    pub container: Option<String>,
    /// Keep printing new lines until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// The namespace (default: the kubeconfig's).
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
}

impl LogsArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = kube::Client::try_default().await.context("connecting to the cluster (kubeconfig)")?;
        let namespace = self.namespace.clone().unwrap_or_else(|| client.default_namespace().to_string());
        let source = Source::new(client.clone(), &namespace);
        let service_label = match &self.service {
            Some(name) => Some(self.service_label(client, &namespace, name).await?),
            None => None,
        };
        let wanted = |s: &Stream| {
            let task = self.task.as_deref().map(|t| t.rsplit('/').next().unwrap_or(t));
            task.is_none_or(|t| s.pod == t)
                && service_label.as_ref().is_none_or(|l| s.service.as_deref() == Some(l.as_str()))
                && self.container.as_ref().is_none_or(|c| s.target.ecs_container == *c || s.target.container == *c)
        };
        let mut after: BTreeMap<(String, String), Gap> = BTreeMap::new();
        loop {
            let streams: Vec<Stream> =
                source.streams().await.map_err(anyhow::Error::msg)?.into_iter().filter(wanted).collect();
            if streams.is_empty() && after.is_empty() {
                bail!(
                    "no awslogs log stream matches: the task definition's containers need logConfiguration.logDriver \
                     awslogs with awslogs-group (`kubectl logs` reads any Pod's containers)"
                );
            }
            let mut lines: Vec<(Event, String)> = Vec::new();
            for stream in &streams {
                let key = (stream.pod.clone(), stream.target.container.clone());
                let gap = after.get(&key).copied();
                let events = source.events(stream, gap.map(|g| g.timestamp)).await.map_err(anyhow::Error::msg)?;
                let new: Vec<Event> = events.into_iter().filter(|e| gap.is_none_or(|g| e.after(g))).collect();
                if let Some(last) = new.last() {
                    after.insert(key, last.gap_after());
                } else {
                    after.entry(key).or_default();
                }
                lines.extend(new.into_iter().map(|e| (e, stream.target.stream.clone())));
            }
            lines.sort_by(|a, b| (a.0.timestamp, &a.1, a.0.seq).cmp(&(b.0.timestamp, &b.1, b.0.seq)));
            for (event, stream) in lines {
                if streams.len() > 1 { println!("[{stream}] {}", event.message) } else { println!("{}", event.message) }
            }
            if !self.follow {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(FOLLOW_POLL) => {}
                _ = tokio::signal::ctrl_c() => return Ok(()),
            }
        }
    }

    /// The label value the service's Pods carry, for the service named `name` in the cluster.
    async fn service_label(&self, client: kube::Client, namespace: &str, name: &str) -> anyhow::Result<String> {
        let services: Api<Service> = Api::namespaced(client, namespace);
        let cluster = cluster_object_name(&self.cluster);
        let all = services.list(&Default::default()).await.context("listing services")?;
        let found = all
            .items
            .into_iter()
            .find(|s| service_name(s) == name && cluster_reference(s.spec.cluster.as_deref()) == cluster)
            .with_context(|| format!("no service {name} in cluster {} (namespace {namespace})", self.cluster))?;
        Ok(kube_ecs_api::labels::value(&found.metadata.name.unwrap_or_default()))
    }
}
