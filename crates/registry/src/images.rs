//! What a repository holds now: the registry under's tagged images, joined with what kube-ecs
//! remembers about them (push times, untagged images). The Repository controller writes this into
//! `status.images`, and the ECR API answers from it, so kubectl and `aws ecr describe-images` agree.
//!
//! The distribution API neither lists untagged manifests nor says when a manifest was pushed, so
//! both come from kube-ecs: the front records each push ([`PushLog`]), and the Repository's status
//! keeps every image it has seen. An image that lost its last tag stays listed (untagged, as ECR
//! lists it) for as long as its manifest is stored.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube_ecs_api::repository::ImageDetail;
use tokio::sync::broadcast;

use crate::front::PushObserver;
use crate::upstream::{Upstream, UpstreamError};

/// How long a push time is remembered in memory: far longer than the controller takes to record it
/// in the Repository's status.
const REMEMBER: SignedDuration = SignedDuration::from_hours(1);

/// The pushes the front saw, by repository and digest, and a signal per push for the controller.
#[derive(Debug)]
pub struct PushLog {
    pushes: Mutex<HashMap<(String, String), Timestamp>>,
    signal: broadcast::Sender<String>,
}

impl Default for PushLog {
    fn default() -> Self {
        Self { pushes: Mutex::new(HashMap::new()), signal: broadcast::channel(256).0 }
    }
}

impl PushLog {
    /// When `digest` was pushed to `repository_name`, if this process saw the push.
    pub fn pushed_at(&self, repository_name: &str, digest: &str) -> Option<Timestamp> {
        let pushes = self.pushes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pushes.get(&(repository_name.to_string(), digest.to_string())).copied()
    }

    /// The digests pushed to `repository_name` that are remembered.
    pub fn digests(&self, repository_name: &str) -> Vec<(String, Timestamp)> {
        let pushes = self.pushes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pushes.iter().filter(|((repo, _), _)| repo == repository_name).map(|((_, d), at)| (d.clone(), *at)).collect()
    }

    /// The repository names of pushes from now on (a lagging receiver misses some: it then
    /// reconciles everything, which the controller's periodic resync does anyway).
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.signal.subscribe()
    }
}

impl PushObserver for PushLog {
    fn pushed(&self, repository_name: &str, digest: &str, _tag: Option<&str>, at: Timestamp) {
        {
            let mut pushes = self.pushes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            pushes.retain(|_, pushed| at.duration_since(*pushed) < REMEMBER);
            // A re-push of the same image is not a new push: the first time stays.
            pushes.entry((repository_name.to_string(), digest.to_string())).or_insert(at);
        }
        // No receiver (no controller in this process) is fine.
        let _ = self.signal.send(repository_name.to_string());
    }
}

/// The images of `repository_name` now, newest first. `known` is what the Repository's status
/// listed; `now` stamps an image nobody saw pushed (pushed around the registry, or while kube-ecs
/// was down).
pub async fn current(
    upstream: &Upstream,
    repository_name: &str,
    known: &[ImageDetail],
    log: &PushLog,
    now: Timestamp,
) -> Result<Vec<ImageDetail>, UpstreamError> {
    let tagged = upstream.tagged_images(repository_name).await?;
    let known_at = |digest: &str| {
        known.iter().find(|k| k.image_digest == digest).and_then(|k| k.image_pushed_at.as_ref()).map(|t| t.0)
    };
    let mut images: Vec<ImageDetail> = tagged
        .iter()
        .map(|image| ImageDetail {
            image_digest: image.digest.clone(),
            image_tags: image.tags.clone(),
            image_pushed_at: Some(MicroTime(
                known_at(&image.digest).or_else(|| log.pushed_at(repository_name, &image.digest)).unwrap_or(now),
            )),
            image_size_in_bytes: Some(image.size_bytes),
            in_use: None,
        })
        .collect();
    // Untagged: seen before (in the status or pushed by digest), no tag now, manifest still stored.
    let mut candidates: Vec<(String, Option<Timestamp>, Option<i64>)> = known
        .iter()
        .map(|k| (k.image_digest.clone(), k.image_pushed_at.as_ref().map(|t| t.0), k.image_size_in_bytes))
        .collect();
    candidates.extend(log.digests(repository_name).into_iter().map(|(d, at)| (d, Some(at), None)));
    for (digest, pushed_at, size) in candidates {
        if images.iter().any(|i| i.image_digest == digest) {
            continue;
        }
        let Some(manifest) = upstream.manifest(repository_name, &digest).await? else { continue };
        images.push(ImageDetail {
            image_digest: digest,
            image_tags: Vec::new(),
            image_pushed_at: Some(MicroTime(pushed_at.unwrap_or(now))),
            image_size_in_bytes: size.or(Some(manifest.size_bytes)),
            in_use: None,
        });
    }
    images.sort_by(|a, b| {
        let at = |i: &ImageDetail| i.image_pushed_at.as_ref().map(|t| t.0);
        at(b).cmp(&at(a)).then_with(|| a.image_digest.cmp(&b.image_digest))
    });
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_push_of_a_digest_is_remembered_and_signalled() {
        let log = PushLog::default();
        let mut pushes = log.subscribe();
        let t1 = Timestamp::from_second(1_000).expect("time");
        let t2 = Timestamp::from_second(1_005).expect("time");
        log.pushed("team-a/web", "sha256:a", Some("1"), t1);
        log.pushed("team-a/web", "sha256:a", Some("2"), t2);
        log.pushed("team-b/api", "sha256:b", None, t2);
        assert_eq!(log.pushed_at("team-a/web", "sha256:a"), Some(t1));
        assert_eq!(log.pushed_at("team-a/web", "sha256:b"), None);
        assert_eq!(log.digests("team-b/api"), vec![("sha256:b".to_string(), t2)]);
        assert_eq!(pushes.try_recv().ok().as_deref(), Some("team-a/web"));
    }
}
