//! ECR repository names: ECR's pattern (the model's `RepositoryName`, which the model check leaves to
//! the server), and the Repository object a name is kept in.
//!
//! A `repositoryName` may hold `/` and `_`, a Kubernetes name cannot, so the object's name is a
//! readable mapping (`team-a/web` -> `team-a.web-<hash>`); the name itself stays in
//! `spec.repositoryName`, which is what every lookup compares. A name that maps to itself keeps it
//! without a hash, so `kubectl get ecrrepo web` finds ECR's `web`.

use sha2::{Digest, Sha256};

use super::errors::invalid_parameter_at;
use crate::error::EcsError;

/// The longest Kubernetes object name (a DNS subdomain).
const MAX_OBJECT_NAME: usize = 253;
/// Hex digits of the name's SHA-256 that keep lossy mappings apart.
const HASH_DIGITS: usize = 8;

/// ECR's pattern for repository names, as its messages quote it.
pub fn pattern() -> &'static str {
    kube_ecs_wire::ecr::model()
        .pattern("RepositoryName")
        .unwrap_or(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
}

/// Refuses a name outside ECR's pattern with ECR's words; `path` is the member (`repositoryName`).
/// Lengths are the model check's. Checked before any lookup, so no odd name reaches the registry's URLs.
pub fn check(repository_name: &str, path: &str) -> Result<(), EcsError> {
    if matches_pattern(repository_name) {
        Ok(())
    } else {
        Err(invalid_parameter_at(path, &format!("Member must satisfy regular expression pattern: {}", pattern())))
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` components joined by `/`.
fn matches_pattern(name: &str) -> bool {
    name.split('/').all(component)
}

fn component(part: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut rest = part;
    loop {
        // A run of letters and digits...
        let run = rest.bytes().take_while(alnum).count();
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        if rest.is_empty() {
            return true;
        }
        // ...then one separator: `.`, `_`, `__` or any number of `-` (a longer `_` run cannot be
        // followed by a letter, so taking `__` first is never wrong).
        let separator = if rest.starts_with("__") {
            2
        } else if rest.starts_with(['.', '_']) {
            1
        } else {
            rest.bytes().take_while(|b| *b == b'-').count()
        };
        if separator == 0 {
            return false;
        }
        rest = &rest[separator..];
    }
}

/// The Repository object that keeps `repository_name` (checked against the pattern first): the
/// name with `/` as `.` and `_` as `-`, and a short hash of the name when that changed anything or
/// the name is too long, so two names never share an object.
pub fn object_name(repository_name: &str) -> String {
    let mapped: String = repository_name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' => c,
            '/' => '.',
            _ => '-',
        })
        .collect();
    if mapped == repository_name && mapped.len() <= MAX_OBJECT_NAME {
        return mapped;
    }
    let hash = hex::encode(Sha256::digest(repository_name.as_bytes()));
    let hash = &hash[..HASH_DIGITS];
    let keep = MAX_OBJECT_NAME - HASH_DIGITS - 1;
    let head = mapped.get(..keep).unwrap_or(&mapped);
    let head = head.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if head.is_empty() { format!("r-{hash}") } else { format!("{head}-{hash}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kubernetes' IsDNS1123Subdomain.
    fn dns_subdomain(name: &str) -> bool {
        name.len() <= MAX_OBJECT_NAME
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    }

    #[test]
    fn names_are_held_to_ecrs_pattern() {
        let cases = [
            ("web", true),
            ("team-a/web", true),
            ("team_a/web.api", true),
            ("a__b", true),
            ("a---b", true),
            ("ns/team/app-1", true),
            ("Web", false),
            ("a___b", false),
            ("a..b", false),
            ("a.-b", false),
            ("a-.b", false),
            ("_a", false),
            ("a_", false),
            ("a/", false),
            ("/a", false),
            ("a//b", false),
            ("a b", false),
            ("../etc", false),
            ("", false),
        ];
        for (name, ok) in cases {
            assert_eq!(matches_pattern(name), ok, "{name:?}");
        }
        let error = check("Web", "repositoryName").unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::InvalidParameterException);
        assert_eq!(
            error.message,
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must satisfy regular \
             expression pattern: [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*'"
        );
    }

    #[test]
    fn object_names_are_readable_distinct_dns_subdomains() {
        let long = format!("team/{}", "a".repeat(251));
        let cases = [
            ("web", "web"),
            ("web.api", "web.api"),
            ("web-api", "web-api"),
            ("team-a/web", "team-a.web-"),
            ("team_a/web", "team-a.web-"),
            ("a__b", "a--b-"),
            (long.as_str(), "team.aaaa"),
        ];
        for (repository_name, prefix) in cases {
            let name = object_name(repository_name);
            assert!(name.starts_with(prefix), "{repository_name} -> {name}");
            assert!(dns_subdomain(&name), "{repository_name} -> {name}");
            assert_eq!(object_name(repository_name), name, "deterministic");
            if name != repository_name {
                assert!(name.rsplit('-').next().is_some_and(|h| h.len() == HASH_DIGITS), "{name}");
            }
        }
        assert_eq!(object_name(&long).len(), MAX_OBJECT_NAME);
        // Names that map to the same text stay apart.
        let clashing = ["team-a/web", "team-a.web", "team_a/web", "team-a_web", "team-a/web-"];
        let objects: std::collections::BTreeSet<String> = clashing.iter().map(|n| object_name(n)).collect();
        assert_eq!(objects.len(), clashing.len(), "{objects:?}");
    }
}
