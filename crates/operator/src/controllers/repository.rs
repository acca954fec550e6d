//! Repository controller: reports each ECR repository from the registry under it, settles which
//! Repository holds a `repositoryName`, runs lifecycle policies, and removes a deleted
//! repository's images.
//!
//! Pipeline: the claimants of the name (this controller's cache) and the images now (the registry,
//! joined with the push log and the status: `images::current`) and the images tasks use (the shared
//! Pod and workload caches) -> the lifecycle's expiries and the status (pure, `ecr::plan`) ->
//! deletes in the registry, one status apply (skipped when nothing changed), Events for what the
//! lifecycle did. Runs only where the registry is configured, and like every controller only on
//! the leader.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use jiff::{SignedDuration, Timestamp};
use kube::ResourceExt;
use kube::api::Api;
use kube::core::DeserializeGuard;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube_ecs_domain::ecr::plan::{self, Observed, reasons};
use kube_ecs_domain::ecr::{claim, reference};
use kube_ecs_registry::images::{self, PushLog};
use kube_ecs_registry::upstream::Upstream;

use super::runner::HasContext;
use crate::api::repository::{ImageDetail, Repository};
use crate::apply;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::event::EcsEvent;

/// Holds a Repository until its images are gone from the registry: a later Repository claiming the
/// same name must not inherit them.
pub const FINALIZER: &str = "ecs.kube-ecs.dev/repository-images";

/// What the Repository controller needs besides the shared context.
#[derive(Clone, Debug)]
pub struct RegistrySettings {
    pub upstream: Upstream,
    pub push_log: Arc<PushLog>,
    pub registry: plan::Registry,
    /// How often each policy runs (ECR: within 24 hours); a changed spec runs it at once.
    pub lifecycle_period: Duration,
    /// How often the status is refreshed from the registry besides after each push.
    pub refresh_period: Duration,
}

struct RepositoryContext {
    ctx: Arc<Context>,
    settings: RegistrySettings,
    /// Every Repository, for the claims on a name.
    store: Store<DeserializeGuard<Repository>>,
    /// Reconciles asked for from outside the watch (a push, a holder gone).
    wake: tokio::sync::mpsc::UnboundedSender<ObjectRef<DeserializeGuard<Repository>>>,
}

impl HasContext for RepositoryContext {
    fn context(&self) -> &Context {
        &self.ctx
    }
}

pub async fn run(
    ctx: Arc<Context>,
    settings: RegistrySettings,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let api = Api::<DeserializeGuard<Repository>>::all(ctx.client.clone());
    let controller =
        Controller::new(api, watcher::Config::default().any_semantic()).with_config(super::runner::config());
    let store = controller.store();
    let (wake, woken) = tokio::sync::mpsc::unbounded_channel();
    // A push reconciles the repository at once: its status lists the image with its push time.
    let mut pushes = settings.push_log.subscribe();
    let (push_store, push_wake) = (store.clone(), wake.clone());
    let relay = tokio::spawn(async move {
        loop {
            match pushes.recv().await {
                Ok(name) => {
                    for object in claimants_of(&push_store, &name) {
                        let _ = push_wake.send(ObjectRef::from_obj(object.as_ref()));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let woken = futures::stream::unfold(woken, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) });
    let controller = controller.reconcile_on(woken.boxed());
    let rc = Arc::new(RepositoryContext { ctx, settings, store, wake });
    super::runner::run(controller, rc, shutdown, reconcile).await;
    relay.abort();
}

/// The Repositories (well-formed) claiming `repository_name`.
fn claimants_of(
    store: &Store<DeserializeGuard<Repository>>,
    repository_name: &str,
) -> Vec<Arc<DeserializeGuard<Repository>>> {
    store
        .state()
        .into_iter()
        .filter(|g| g.0.as_ref().is_ok_and(|r| r.spec.repository_name == repository_name))
        .collect()
}

/// `namespace/name` of the Repository holding `repository`'s name, if any.
fn holder_of(store: &Store<DeserializeGuard<Repository>>, repository: &Repository) -> Option<String> {
    let claimants = claimants_of(store, &repository.spec.repository_name);
    let objects: Vec<&Repository> = claimants.iter().filter_map(|g| g.0.as_ref().ok()).collect();
    let mut claims: Vec<claim::Claimant<'_>> = objects
        .iter()
        .map(|r| claim::Claimant {
            namespace: r.metadata.namespace.as_deref().unwrap_or_default(),
            name: r.metadata.name.as_deref().unwrap_or_default(),
            created: r.metadata.creation_timestamp.as_ref().map(|t| t.0),
            deleting: r.metadata.deletion_timestamp.is_some(),
        })
        .collect();
    // The cache may not show this very object yet (just created): it claims all the same.
    let me = claim::Claimant {
        namespace: repository.metadata.namespace.as_deref().unwrap_or_default(),
        name: repository.metadata.name.as_deref().unwrap_or_default(),
        created: repository.metadata.creation_timestamp.as_ref().map(|t| t.0),
        deleting: repository.metadata.deletion_timestamp.is_some(),
    };
    if !claims.iter().any(|c| c.namespace == me.namespace && c.name == me.name) {
        claims.push(me);
    }
    claim::holder(&claims).map(|c| format!("{}/{}", c.namespace, c.name))
}

#[tracing::instrument(skip_all, fields(name = %repository.name_any(), namespace = repository.namespace().unwrap_or_default()))]
async fn reconcile(repository: Arc<Repository>, rc: Arc<RepositoryContext>) -> Result<Action> {
    let settings = &rc.settings;
    let namespace = repository.namespace().unwrap_or_default();
    let api: Api<Repository> = Api::namespaced(rc.ctx.client.clone(), &namespace);
    let name = &repository.spec.repository_name;
    let key = plan::key(&repository);
    let holder = holder_of(&rc.store, &repository);
    let holds = holder.as_deref() == Some(key.as_str());
    let now = Timestamp::now();

    if repository.metadata.deletion_timestamp.is_some() {
        if holds {
            remove_images(&settings.upstream, &settings.push_log, &repository).await?;
        }
        super::finalizers::release(&api, &repository, FINALIZER).await?;
        // The next claimant, if any, takes the name over now.
        for other in claimants_of(&rc.store, name) {
            if other.0.as_ref().is_ok_and(|r| plan::key(r) != key) {
                let _ = rc.wake.send(ObjectRef::from_obj(other.as_ref()));
            }
        }
        return Ok(Action::await_change());
    }
    super::finalizers::ensure(&api, &repository, FINALIZER).await?;

    let previous = repository.status.clone().unwrap_or_default();
    let used = used_images(&rc.ctx, &settings.registry.host).remove(name.as_str()).unwrap_or_default();
    let policy = plan::policy(&repository);
    let policy_error = match &policy {
        Some(Err(e)) => Some(e.message.clone()),
        _ => None,
    };
    let mut expired = Vec::new();
    let mut lifecycle_ran = None;
    let images = if holds {
        let current = images::current(&settings.upstream, name, &previous.images, &settings.push_log, now).await;
        match current {
            Ok(mut images) => {
                let period = SignedDuration::try_from(settings.lifecycle_period).unwrap_or(SignedDuration::MAX);
                if let Some(Ok(policy)) = &policy
                    && plan::lifecycle_due(&repository, now, period)
                {
                    let evaluation = plan::evaluate(policy, &images, &used, now);
                    expired = expire(&rc.ctx, &settings.upstream, &repository, &mut images, &evaluation, now).await;
                    lifecycle_ran = Some(now);
                }
                Ok(images)
            }
            Err(e) => Err(e.to_string()),
        }
    } else {
        Ok(Vec::new())
    };
    let held_by = holder.filter(|_| !holds);
    let status = plan::status(Observed {
        repository: &repository,
        registry: &settings.registry,
        held_by: held_by.clone(),
        images: images.as_deref().map_err(Clone::clone),
        used: &used,
        policy_error,
        expired,
        lifecycle_ran,
        now,
    });
    if status != previous {
        let was_taken = previous.conditions.iter().any(|c| c.reason == reasons::NAME_TAKEN);
        if let (Some(holder), false) = (&held_by, was_taken) {
            let message = format!("repositoryName {name} is held by Repository {holder}");
            rc.ctx.event(repository.as_ref(), "Claim", &EcsEvent::warning(reasons::NAME_TAKEN, message)).await;
        }
        apply::apply_status(&api, &repository.name_any(), serde_json::to_value(&status)?).await?;
    }
    Ok(Action::requeue(next_look(settings, status.last_lifecycle_run.as_ref().map(|t| t.0), now)))
}

/// Deletes what the evaluation expires, returns what went (oldest first) and takes it out of
/// `images`; Events say what was expired and what was kept because a task uses it.
async fn expire(
    ctx: &Context,
    upstream: &Upstream,
    repository: &Repository,
    images: &mut Vec<ImageDetail>,
    evaluation: &kube_ecs_domain::ecr::Evaluation,
    now: Timestamp,
) -> Vec<kube_ecs_api::repository::ExpiredImage> {
    let name = &repository.spec.repository_name;
    let mut expired = Vec::new();
    let mut failed = Vec::new();
    for expiry in &evaluation.expired {
        let Some(image) = images.iter().find(|i| i.image_digest == expiry.digest).cloned() else { continue };
        match upstream.delete_manifest(name, &expiry.digest).await {
            Ok(_) => {
                images.retain(|i| i.image_digest != expiry.digest);
                expired.push(plan::expired_image(&image, expiry.rule_priority, now));
            }
            Err(e) => failed.push(format!("{} ({e})", expiry.digest)),
        }
    }
    if !expired.is_empty() {
        let list: Vec<String> = expired.iter().map(describe_expired).collect();
        let message = format!("lifecycle policy expired {} image(s): {}", expired.len(), list.join(", "));
        ctx.event(repository, "Lifecycle", &EcsEvent::normal(reasons::EXPIRED, message)).await;
    }
    if !evaluation.kept_in_use.is_empty() {
        let list: Vec<String> =
            evaluation.kept_in_use.iter().map(|(digest, rule)| format!("{digest} (rule {rule})")).collect();
        let message = format!(
            "lifecycle policy would expire {} image(s) that running tasks or services use; kept: {}",
            list.len(),
            list.join(", ")
        );
        ctx.event(repository, "Lifecycle", &EcsEvent::warning(reasons::KEPT_IN_USE, message)).await;
    }
    if !failed.is_empty() {
        let message = format!("deleting expired images failed (retried at the next run): {}", failed.join(", "));
        ctx.event(repository, "Lifecycle", &EcsEvent::warning(reasons::EXPIRY_FAILED, message)).await;
    }
    expired
}

fn describe_expired(image: &kube_ecs_api::repository::ExpiredImage) -> String {
    let short = image.image_digest.get(..19).unwrap_or(&image.image_digest);
    match image.image_tags.as_slice() {
        [] => format!("{short} (untagged, rule {})", image.applied_rule_priority.unwrap_or_default()),
        tags => format!("{short} ({}, rule {})", tags.join(", "), image.applied_rule_priority.unwrap_or_default()),
    }
}

/// Deletes every image of a deleted repository from the registry.
async fn remove_images(upstream: &Upstream, log: &PushLog, repository: &Repository) -> Result<()> {
    let name = &repository.spec.repository_name;
    let known = repository.status.as_ref().map(|s| s.images.clone()).unwrap_or_default();
    let images = images::current(upstream, name, &known, log, Timestamp::now())
        .await
        .map_err(|e| Error::Registry(e.to_string()))?;
    for image in images {
        upstream.delete_manifest(name, &image.image_digest).await.map_err(|e| Error::Registry(e.to_string()))?;
    }
    Ok(())
}

/// Images kube-ecs's Pods (not finished) and its workloads' pod templates name, by repository.
fn used_images(ctx: &Context, registry_host: &str) -> std::collections::BTreeMap<String, reference::Used> {
    let caches = ctx.caches();
    let mut references: BTreeSet<String> = BTreeSet::new();
    for pod in caches.task_pods.state() {
        if pod.phase().is_some_and(|p| p == "Succeeded" || p == "Failed") {
            continue;
        }
        references.extend(pod.images().map(str::to_string));
    }
    let templates = caches
        .deployments
        .state()
        .into_iter()
        .filter_map(|d| d.spec.as_ref().and_then(|s| s.template.spec.clone()))
        .chain(
            caches
                .daemon_sets
                .state()
                .into_iter()
                .filter_map(|d| d.spec.as_ref().and_then(|s| s.template.spec.clone())),
        );
    for spec in templates {
        references.extend(
            spec.containers.iter().chain(spec.init_containers.iter().flatten()).filter_map(|c| c.image.clone()),
        );
    }
    reference::used(references.iter().map(String::as_str), registry_host)
}

/// When to look again: the refresh period, or sooner when the lifecycle is due before it.
fn next_look(settings: &RegistrySettings, last_run: Option<Timestamp>, now: Timestamp) -> Duration {
    let Some(last) = last_run else { return settings.refresh_period };
    let since = now.duration_since(last);
    let until_due = SignedDuration::try_from(settings.lifecycle_period).unwrap_or(SignedDuration::MAX) - since;
    let until_due = Duration::try_from(until_due).unwrap_or(Duration::ZERO).max(Duration::from_millis(100));
    until_due.min(settings.refresh_period)
}
