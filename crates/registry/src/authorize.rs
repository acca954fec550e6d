//! Who may push and pull: Kubernetes RBAC on the Repository object, asked per request.
//!
//! A pull is `get` on the repository, a push is `update`, so the chart's repository roles (view,
//! edit, admin) and any RoleBinding a team writes decide registry access the way they decide
//! `kubectl` access. The API server answers a SubjectAccessReview for the token's user and groups;
//! its answers are cached for a few seconds, since one `docker push` makes dozens of requests.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::authorization::v1::{ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec};
use kube::api::{Api, PostParams};

use crate::directory::RepositoryEntry;
use crate::token::TokenIdentity;

/// What a request does to a repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Pull,
    Push,
}

impl Access {
    /// The Kubernetes verb on the Repository object that grants it.
    pub fn verb(self) -> &'static str {
        match self {
            Access::Pull => "get",
            Access::Push => "update",
        }
    }
}

/// The answer of an authorizer: allowed or not, or why it could not tell.
pub type Decision<'a> = Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>>;

/// Decides whether `who` may `access` `repository`.
pub trait Authorizer: Send + Sync + 'static {
    fn allowed<'a>(&'a self, who: &'a TokenIdentity, access: Access, repository: &'a RepositoryEntry) -> Decision<'a>;
}

/// Everyone may do everything (tests, single-user setups).
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn allowed<'a>(&'a self, _: &'a TokenIdentity, _: Access, _: &'a RepositoryEntry) -> Decision<'a> {
        Box::pin(async { Ok(true) })
    }
}

/// Nobody may do anything (tests).
pub struct Deny;

impl Authorizer for Deny {
    fn allowed<'a>(&'a self, _: &'a TokenIdentity, _: Access, _: &'a RepositoryEntry) -> Decision<'a> {
        Box::pin(async { Ok(false) })
    }
}

/// How long an answer of the API server is reused: a revoked RoleBinding takes effect within this.
pub const DECISION_TTL: Duration = Duration::from_secs(10);
/// The most answers kept; one per user, verb and repository in use, so this is plenty.
const MAX_DECISIONS: usize = 4096;

/// RBAC through SubjectAccessReviews (the operator needs `create` on `subjectaccessreviews`).
pub struct SubjectAccessReviews {
    client: kube::Client,
    cache: Mutex<DecisionCache>,
}

impl SubjectAccessReviews {
    pub fn new(client: kube::Client) -> Self {
        Self { client, cache: Mutex::new(DecisionCache::default()) }
    }

    async fn review(&self, who: &TokenIdentity, access: Access, repository: &RepositoryEntry) -> Result<bool, String> {
        let key = DecisionKey::new(who, access, repository);
        let cached =
            self.cache.lock().map_err(|_| "the decision cache is poisoned".to_string())?.get(&key, Instant::now());
        if let Some(allowed) = cached {
            return Ok(allowed);
        }
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(who.username.clone()),
                groups: Some(who.groups.clone()),
                resource_attributes: Some(ResourceAttributes {
                    group: Some("ecs.kube-ecs.dev".into()),
                    resource: Some("repositories".into()),
                    namespace: Some(repository.namespace.clone()),
                    name: Some(repository.object_name.clone()),
                    verb: Some(access.verb().into()),
                    ..ResourceAttributes::default()
                }),
                ..SubjectAccessReviewSpec::default()
            },
            ..SubjectAccessReview::default()
        };
        let api: Api<SubjectAccessReview> = Api::all(self.client.clone());
        let answer = api
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| format!("asking the API server whether {} may {} ({e})", who.username, access.verb()))?;
        let allowed = answer.status.is_some_and(|status| status.allowed);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, allowed, Instant::now());
        }
        Ok(allowed)
    }
}

impl Authorizer for SubjectAccessReviews {
    fn allowed<'a>(&'a self, who: &'a TokenIdentity, access: Access, repository: &'a RepositoryEntry) -> Decision<'a> {
        Box::pin(self.review(who, access, repository))
    }
}

/// What an answer was about: everything the API server's decision depended on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct DecisionKey {
    user: String,
    groups: Vec<String>,
    verb: &'static str,
    namespace: String,
    name: String,
}

impl DecisionKey {
    fn new(who: &TokenIdentity, access: Access, repository: &RepositoryEntry) -> Self {
        Self {
            user: who.username.clone(),
            groups: who.groups.clone(),
            verb: access.verb(),
            namespace: repository.namespace.clone(),
            name: repository.object_name.clone(),
        }
    }
}

/// Answers until they are [`DECISION_TTL`] old, at most [`MAX_DECISIONS`] of them.
#[derive(Default)]
struct DecisionCache {
    decisions: HashMap<DecisionKey, (bool, Instant)>,
}

impl DecisionCache {
    fn get(&self, key: &DecisionKey, now: Instant) -> Option<bool> {
        let (allowed, at) = self.decisions.get(key)?;
        (now.saturating_duration_since(*at) < DECISION_TTL).then_some(*allowed)
    }

    fn insert(&mut self, key: DecisionKey, allowed: bool, now: Instant) {
        if self.decisions.len() >= MAX_DECISIONS {
            self.decisions.retain(|_, (_, at)| now.saturating_duration_since(*at) < DECISION_TTL);
        }
        // Still full of fresh answers: start over rather than grow (they are cheap to ask again).
        if self.decisions.len() >= MAX_DECISIONS {
            self.decisions.clear();
        }
        self.decisions.insert(key, (allowed, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user: &str) -> DecisionKey {
        DecisionKey { user: user.into(), groups: vec![], verb: "get", namespace: "team-a".into(), name: "web".into() }
    }

    #[test]
    fn answers_are_reused_until_they_are_ten_seconds_old() {
        let mut cache = DecisionCache::default();
        let start = Instant::now();
        cache.insert(key("alice"), true, start);
        cache.insert(key("bob"), false, start);
        assert_eq!(cache.get(&key("alice"), start + Duration::from_secs(9)), Some(true));
        assert_eq!(cache.get(&key("bob"), start + Duration::from_secs(9)), Some(false));
        assert_eq!(cache.get(&key("alice"), start + DECISION_TTL), None);
        assert_eq!(cache.get(&key("carol"), start), None);
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let mut cache = DecisionCache::default();
        let start = Instant::now();
        for i in 0..MAX_DECISIONS * 2 {
            cache.insert(key(&format!("user-{i}")), true, start);
            assert!(cache.decisions.len() <= MAX_DECISIONS);
        }
        // Expired answers go first when it is full.
        let mut cache = DecisionCache::default();
        for i in 0..MAX_DECISIONS {
            cache.insert(key(&format!("old-{i}")), true, start);
        }
        let later = start + DECISION_TTL;
        cache.insert(key("new"), false, later);
        assert_eq!(cache.decisions.len(), 1);
        assert_eq!(cache.get(&key("new"), later), Some(false));
    }

    #[test]
    fn pulls_are_get_and_pushes_are_update() {
        assert_eq!((Access::Pull.verb(), Access::Push.verb()), ("get", "update"));
    }
}
