//! One ECR call: the caller's [`Call`] (its namespace and impersonating client) with the registry,
//! and what every ECR action shares: finding the caller's Repository by `repositoryName`, whether it
//! holds that name in the registry, and its images now.

use kube::ResourceExt as _;
use kube_ecs_api::Repository;
use kube_ecs_api::ecs::ImageTagMutability;
use kube_ecs_api::repository::ImageDetail;
use kube_ecs_domain::ecr::claim::{self, Claimant};
use kube_ecs_registry::directory::RepositoryEntry;
use kube_ecs_registry::token::TokenIdentity;

use super::errors::{held_elsewhere, other_registry, repository_not_found};
use super::names;
use crate::call::Call;
use crate::error::EcsError;
use crate::registry::RegistryParts;
use crate::render::repository::RegistryAddress;

pub struct EcrCall<'a> {
    pub call: &'a Call<'a>,
    pub registry: &'a RegistryParts,
}

/// Whose images the registry holds under a Repository's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holding {
    /// This Repository holds the name: the images are its own.
    Holds(RepositoryEntry),
    /// Another Repository (`namespace/name`), older, holds it.
    HeldBy(String),
    /// Nobody serves the name yet (the operator's cache has not seen this Repository): nothing can
    /// have been pushed to it, as the registry's front serves only the names it knows.
    Unserved,
}

impl<'a> EcrCall<'a> {
    /// The registry's ID: the account.
    pub fn registry_id(&self) -> &str {
        &self.call.endpoint.config.account
    }

    pub fn address(&self) -> RegistryAddress<'_> {
        RegistryAddress { arns: self.call.arns(), registry_id: self.registry_id(), host: &self.registry.registry_host }
    }

    /// Refuses a `registryId` member naming another registry.
    pub fn check_registry(&self, requested: Option<&str>) -> Result<(), EcsError> {
        match requested {
            Some(id) if id != self.registry_id() => Err(other_registry(id, self.registry_id())),
            _ => Ok(()),
        }
    }

    /// Who the caller is, for tokens and registry authorization.
    pub fn identity(&self) -> TokenIdentity {
        TokenIdentity {
            username: self.call.key.username.clone(),
            groups: self.call.key.groups.clone(),
            access_key_id: self.call.key.access_key_id.clone(),
        }
    }

    /// The caller's Repository with `spec.repositoryName` = `repository_name`, if its namespace has
    /// one, being deleted or not. Read through the caller's client: a GET of the object the name
    /// maps to, then (for Repositories made with kubectl under other names) a list of the namespace.
    pub async fn find(&self, repository_name: &str) -> Result<Option<Repository>, EcsError> {
        names::check(repository_name, "repositoryName")?;
        let api = self.call.repositories();
        let derived = names::object_name(repository_name);
        if let Some(found) = self.call.get(&api, &derived).await?
            && found.spec.repository_name == repository_name
        {
            return Ok(Some(found));
        }
        let claimants: Vec<Repository> = self
            .call
            .list(&api, None)
            .await?
            .into_iter()
            .filter(|r| r.spec.repository_name == repository_name)
            .collect();
        Ok(oldest(claimants))
    }

    /// The caller's Repository named `repository_name`, which must exist and not be going away
    /// (ECR: RepositoryNotFoundException).
    pub async fn existing(&self, repository_name: &str) -> Result<Repository, EcsError> {
        match self.find(repository_name).await? {
            Some(found) if found.metadata.deletion_timestamp.is_none() => Ok(found),
            _ => Err(repository_not_found(repository_name, self.registry_id())),
        }
    }

    /// Whether `repository` holds its name in the registry (the directory sees every namespace).
    pub fn holding(&self, repository: &Repository) -> Holding {
        let Some(entry) = self.registry.directory.lookup(&repository.spec.repository_name) else {
            return Holding::Unserved;
        };
        if Some(entry.namespace.as_str()) == repository.metadata.namespace.as_deref()
            && entry.object_name == repository.name_any()
        {
            Holding::Holds(entry)
        } else {
            Holding::HeldBy(format!("{}/{}", entry.namespace, entry.object_name))
        }
    }

    /// What the registry's authorizer is asked about for `repository`: the directory's entry when
    /// it holds its name, else the object itself (RBAC is the object's either way).
    pub fn entry(&self, repository: &Repository) -> RepositoryEntry {
        match self.holding(repository) {
            Holding::Holds(entry) => entry,
            Holding::HeldBy(_) | Holding::Unserved => RepositoryEntry {
                namespace: repository.namespace().unwrap_or_default(),
                object_name: repository.name_any(),
                repository_name: repository.spec.repository_name.clone(),
                immutable: repository.spec.enforced_image_tag_mutability() == ImageTagMutability::Immutable,
            },
        }
    }

    /// The images of `repository` now, newest first: the registry's, joined with what the
    /// controller recorded, so an answer right after a push or a delete is current. A Repository
    /// that does not hold its name has none of its own, and another's are never shown: one that
    /// lost the name to an older claimant is refused, naming the holder.
    pub async fn images(&self, repository: &Repository) -> Result<Vec<ImageDetail>, EcsError> {
        match self.holding(repository) {
            Holding::Holds(_) => {}
            Holding::Unserved => return Ok(Vec::new()),
            Holding::HeldBy(holder) => {
                return Err(held_elsewhere(&repository.spec.repository_name, self.registry_id(), &holder));
            }
        }
        let known = repository.status.as_ref().map(|s| s.images.as_slice()).unwrap_or_default();
        kube_ecs_registry::images::current(
            &self.registry.upstream,
            &repository.spec.repository_name,
            known,
            &self.registry.push_log,
            jiff::Timestamp::now(),
        )
        .await
        .map_err(|e| EcsError::server(format!("reading the registry: {e}")))
    }
}

/// Of several Repositories of one namespace claiming a name, the one holding it (the rule every
/// reader applies: `claim::holder`).
fn oldest(claimants: Vec<Repository>) -> Option<Repository> {
    let index = {
        let claims: Vec<Claimant<'_>> = claimants
            .iter()
            .map(|r| Claimant {
                namespace: r.metadata.namespace.as_deref().unwrap_or_default(),
                name: r.metadata.name.as_deref().unwrap_or_default(),
                created: r.metadata.creation_timestamp.as_ref().map(|t| t.0),
                deleting: r.metadata.deletion_timestamp.is_some(),
            })
            .collect();
        let holder = claim::holder(&claims)?;
        claims.iter().position(|c| c == holder)?
    };
    claimants.into_iter().nth(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository(name: &str, created: i64) -> Repository {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.kube-ecs.dev/v1alpha1", "kind": "Repository",
            "metadata": {"name": name, "namespace": "team-a",
                         "creationTimestamp": jiff::Timestamp::from_second(created).expect("time").to_string()},
            "spec": {"repositoryName": "web"}
        }))
        .expect("a Repository")
    }

    #[test]
    fn of_one_namespaces_claimants_the_oldest_is_the_one() {
        let cases = [
            (vec![], None),
            (vec![repository("b", 10)], Some("b")),
            (vec![repository("b", 20), repository("a", 30), repository("c", 10)], Some("c")),
            (vec![repository("b", 10), repository("a", 10)], Some("a")),
        ];
        for (claimants, expected) in cases {
            let got = oldest(claimants);
            assert_eq!(got.as_ref().and_then(|r| r.metadata.name.as_deref()), expected);
        }
    }
}
