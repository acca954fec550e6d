//! Which repositories exist: the Repository objects, read from a watch-fed cache.
//!
//! A push or pull names a `repositoryName`; the front needs the object that holds it (its namespace
//! and name decide RBAC, its mutability decides re-pushes). Several objects may claim one name; the
//! holder is the one `kube_ecs_domain::ecr::claim::holder` picks, as the controller and the ECR API
//! pick it. While the holder is being deleted the repository is going away: nothing is served, and
//! a later claimant cannot inherit its images before the finalizer has removed them.

use std::collections::HashMap;

use kube::ResourceExt as _;
use kube::runtime::reflector::Store;
use kube_ecs_api::ecs::ImageTagMutability;
use kube_ecs_api::repository::Repository;
use kube_ecs_domain::ecr::claim::{self, Claimant};

/// A repository the front serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryEntry {
    /// The Repository object's namespace and name (what RBAC is asked about).
    pub namespace: String,
    pub object_name: String,
    /// The registry path, `spec.repositoryName`.
    pub repository_name: String,
    /// A pushed tag keeps its image.
    pub immutable: bool,
}

/// Looks repositories up by `repositoryName`.
pub trait Directory: Send + Sync + 'static {
    /// The repository serving `repository_name`, if one does.
    fn lookup(&self, repository_name: &str) -> Option<RepositoryEntry>;
}

/// The Repository objects of a reflector store.
pub struct StoreDirectory(pub Store<Repository>);

impl Directory for StoreDirectory {
    fn lookup(&self, repository_name: &str) -> Option<RepositoryEntry> {
        let claimants: Vec<_> =
            self.0.state().into_iter().filter(|r| r.spec.repository_name == repository_name).collect();
        entry_of(repository_name, &claimants)
    }
}

/// The holder of `repository_name` among the objects claiming it, unless it is being deleted.
fn entry_of(repository_name: &str, repositories: &[std::sync::Arc<Repository>]) -> Option<RepositoryEntry> {
    let claims: Vec<(Claimant<'_>, &Repository)> = repositories
        .iter()
        .filter_map(|repository| {
            let claimant = Claimant {
                namespace: repository.metadata.namespace.as_deref()?,
                name: repository.metadata.name.as_deref()?,
                created: repository.metadata.creation_timestamp.as_ref().map(|t| t.0),
                deleting: repository.metadata.deletion_timestamp.is_some(),
            };
            Some((claimant, repository.as_ref()))
        })
        .collect();
    let claimants: Vec<Claimant<'_>> = claims.iter().map(|(c, _)| c.clone()).collect();
    let holder = claim::holder(&claimants)?;
    if holder.deleting {
        return None;
    }
    let (_, repository) = claims.iter().find(|(c, _)| c == holder)?;
    Some(RepositoryEntry {
        namespace: repository.namespace().unwrap_or_default(),
        object_name: repository.name_any(),
        repository_name: repository_name.to_string(),
        immutable: repository.spec.enforced_image_tag_mutability() == ImageTagMutability::Immutable,
    })
}

/// A fixed set of repositories (tests, tools).
#[derive(Clone, Debug, Default)]
pub struct StaticDirectory(pub HashMap<String, RepositoryEntry>);

impl StaticDirectory {
    /// A directory of `entries`, keyed by their repository names.
    pub fn new(entries: impl IntoIterator<Item = RepositoryEntry>) -> Self {
        Self(entries.into_iter().map(|e| (e.repository_name.clone(), e)).collect())
    }
}

impl Directory for StaticDirectory {
    fn lookup(&self, repository_name: &str) -> Option<RepositoryEntry> {
        self.0.get(repository_name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use kube::runtime::reflector;
    use kube::runtime::watcher::Event;
    use kube_ecs_api::repository::RepositorySpec;
    use pretty_assertions::assert_eq;

    use super::*;

    fn repository(namespace: &str, name: &str, created: i64, mutability: Option<ImageTagMutability>) -> Repository {
        let mut repository = Repository::new(
            name,
            RepositorySpec {
                repository_name: "team/web".into(),
                image_tag_mutability: mutability,
                ..RepositorySpec::default()
            },
        );
        repository.metadata.namespace = Some(namespace.into());
        repository.metadata.creation_timestamp = Some(Time(jiff::Timestamp::from_second(created).expect("in range")));
        repository
    }

    fn entry(namespace: &str, name: &str, immutable: bool) -> RepositoryEntry {
        RepositoryEntry {
            namespace: namespace.into(),
            object_name: name.into(),
            repository_name: "team/web".into(),
            immutable,
        }
    }

    #[test]
    fn the_oldest_claimant_holds_the_name_unless_it_is_going_away() {
        let immutable = Some(ImageTagMutability::ImmutableWithExclusion);
        let older = repository("team-b", "web", 10, immutable);
        let newer = repository("team-a", "web", 20, None);
        let mut deleting = older.clone();
        deleting.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::from_second(30).expect("in range")));
        let cases = [
            (vec![], None),
            (vec![newer.clone()], Some(entry("team-a", "web", false))),
            (vec![newer.clone(), older.clone()], Some(entry("team-b", "web", true))),
            (vec![newer.clone(), deleting], None),
        ];
        for (repositories, expected) in cases {
            let repositories: Vec<_> = repositories.into_iter().map(Arc::new).collect();
            assert_eq!(entry_of("team/web", &repositories), expected);
        }
    }

    #[test]
    fn a_store_directory_reads_the_reflector_store() {
        let (store, mut writer) = reflector::store::<Repository>();
        writer.apply_watcher_event(&Event::Apply(repository("team-a", "web", 10, None)));
        let directory = StoreDirectory(store);
        assert_eq!(directory.lookup("team/web"), Some(entry("team-a", "web", false)));
        assert_eq!(directory.lookup("team/other"), None);
    }
}
