//! The Cloud Map names (`<service>.<namespace>`) in the local cluster's DNS: kube-ecs publishes one
//! CoreDNS rewrite rule per Cloud Map DNS namespace in a ConfigMap labelled
//! [`RULE_LABEL`] (`kube_ecs_domain::service_plan::service_discovery`); this watcher keeps the
//! Corefile in step with them, as the admin of a real cluster adds the rules to theirs
//! (docs/mapping.md). CoreDNS's `reload` plugin notices the changed Corefile within its interval.
//!
//! A rule is rebuilt from the ConfigMap's `zone` and `replacement` after checking both are DNS
//! names, never copied as text: a ConfigMap any namespace's user can write cannot inject other
//! Corefile directives.
//!
//! The watch runs on a thread of its own with its own runtime (the cluster outlives the runtime
//! that started it, as each test's does); dropping the handle stops it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use kube::runtime::{WatchStreamExt as _, reflector, watcher};

use super::super::Error;

/// The label of the ConfigMaps holding a rule (kube-ecs's `service_discovery::DNS_RULE_LABEL`).
pub(crate) const RULE_LABEL: &str = "ecs.kube-ecs.dev/coredns-rewrite";

/// One Cloud Map namespace's rule: names under `zone` are answered as `<first label><replacement>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Rule {
    pub zone: String,
    pub replacement: String,
}

impl Rule {
    /// The rule a ConfigMap holds, if its members are DNS names.
    fn of(map: &ConfigMap) -> Option<Rule> {
        let data = map.data.as_ref()?;
        let zone = data.get("zone")?.trim_end_matches('.').to_ascii_lowercase();
        let replacement = data.get("replacement")?.to_ascii_lowercase();
        let dns = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        (dns(&zone) && dns(&replacement) && replacement.ends_with('.') && !zone.starts_with('.'))
            .then_some(Rule { zone, replacement })
    }

    /// The Corefile line.
    pub(crate) fn directive(&self) -> String {
        format!("rewrite name suffix .{}. {} answer auto", self.zone, self.replacement)
    }
}

/// The rules of `maps`, one per zone (the first by name order wins, as kube-ecs publishes one per
/// name), sorted so the Corefile changes only when a rule does.
fn rules(maps: &[Arc<ConfigMap>]) -> Vec<Rule> {
    let mut maps: Vec<&Arc<ConfigMap>> = maps.iter().collect();
    maps.sort_by_key(|m| (m.metadata.creation_timestamp.clone().map(|t| t.0), m.metadata.name.clone()));
    let mut out: Vec<Rule> = Vec::new();
    for rule in maps.iter().filter_map(|m| Rule::of(m)) {
        if out.iter().all(|r| r.zone != rule.zone) {
            out.push(rule);
        }
    }
    out.sort();
    out
}

/// A running watcher; dropping it stops the watch (the Corefile stays as last written).
#[derive(Debug)]
pub(crate) struct RuleWatcher {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RuleWatcher {
    /// Watches the rule ConfigMaps with the admin `kubeconfig`; writes `corefile` with `render(rules)`
    /// whenever the rules change.
    pub(crate) fn start(
        kubeconfig: PathBuf,
        corefile: PathBuf,
        render: impl Fn(&[Rule]) -> String + Send + 'static,
    ) -> Result<Self, Error> {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("coredns-rules".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                runtime.block_on(async move {
                    tokio::select! {
                        _ = stopped => {}
                        outcome = watch(&kubeconfig, &corefile, render) => {
                            if let Err(e) = outcome {
                                tracing::warn!(error = %e, "the CoreDNS rule watcher stopped");
                            }
                        }
                    }
                });
            })
            .map_err(|e| Error::io("starting the CoreDNS rule watcher", e))?;
        Ok(Self { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for RuleWatcher {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn watch(kubeconfig: &Path, corefile: &Path, render: impl Fn(&[Rule]) -> String) -> Result<(), Error> {
    let config = kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| Error::Startup(e.to_string()))?;
    let config = kube::Config::from_custom_kubeconfig(config, &Default::default())
        .await
        .map_err(|e| Error::Startup(e.to_string()))?;
    let client = kube::Client::try_from(config)?;
    let api: Api<ConfigMap> = Api::all(client);
    let (reader, writer) = reflector::store();
    let events = reflector(writer, watcher(api, watcher::Config::default().labels(RULE_LABEL))).default_backoff();
    let mut events = std::pin::pin!(events);
    let mut written: Option<Vec<Rule>> = None;
    while let Some(event) = events.next().await {
        if event.is_err() {
            continue;
        }
        let current = rules(&reader.state());
        if written.as_ref() != Some(&current) {
            // Written whole then renamed: CoreDNS never reads half a Corefile.
            let partial = corefile.with_extension("partial");
            std::fs::write(&partial, render(&current)).map_err(|e| Error::io("writing the Corefile", e))?;
            std::fs::rename(&partial, corefile).map_err(|e| Error::io("replacing the Corefile", e))?;
            written = Some(current);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(name: &str, zone: &str, replacement: &str) -> Arc<ConfigMap> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": name, "namespace": "shop"},
                "data": {"zone": zone, "replacement": replacement},
            }))
            .expect("config map"),
        )
    }

    #[test]
    fn rules_are_rebuilt_from_dns_names_only() {
        let maps = [
            map("b", "Corp.Local", "-ns-1.shop.svc.cluster.local."),
            map("a", "evil.local", "x. answer auto\n}\nimport /etc/passwd"),
            map("c", "corp.local", "-ns-2.other.svc.cluster.local."),
        ];
        let rules = rules(&maps);
        assert_eq!(rules.len(), 1, "a value that is no DNS name is ignored; one rule per zone: {rules:?}");
        assert_eq!(rules[0].directive(), "rewrite name suffix .corp.local. -ns-1.shop.svc.cluster.local. answer auto");
    }
}
