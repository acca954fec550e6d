//! Image references that name kube-ecs's registry, as Pods and pod templates write them, and which
//! images of a repository they keep in use (a lifecycle policy must not delete them).

use std::collections::{BTreeMap, BTreeSet};

/// What a reference names in one repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Used {
    pub tags: BTreeSet<String>,
    pub digests: BTreeSet<String>,
}

impl Used {
    /// Whether an image with `digest` and `tags` is among the used ones.
    pub fn covers(&self, digest: &str, tags: &[String]) -> bool {
        self.digests.contains(digest) || tags.iter().any(|t| self.tags.contains(t))
    }
}

/// `(repository, tag, digest)` of `reference` when it names a repository of `registry_host`:
/// `<host>/<repo>:<tag>`, `<host>/<repo>@sha256:...`, `<host>/<repo>:<tag>@sha256:...`, or
/// `<host>/<repo>` (the tag `latest`, as every client defaults it). The kubelet reports pulled
/// images' IDs as `<host>/<repo>@sha256:...`, so they parse too.
pub fn parse<'a>(reference: &'a str, registry_host: &str) -> Option<(&'a str, Option<&'a str>, Option<&'a str>)> {
    let rest = reference.strip_prefix(registry_host)?.strip_prefix('/')?;
    let (named, digest) = match rest.split_once('@') {
        Some((named, digest)) => (named, Some(digest)),
        None => (rest, None),
    };
    // A tag follows the last ':' after the last '/'; the host (with a port) is already gone.
    let last_segment = named.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match named[last_segment..].rfind(':') {
        Some(i) => (&named[..last_segment + i], Some(&named[last_segment + i + 1..])),
        None => (named, None),
    };
    if repository.is_empty() {
        return None;
    }
    let tag = match (tag, digest) {
        (None, None) => Some("latest"),
        (tag, _) => tag,
    };
    Some((repository, tag, digest))
}

/// Every repository's used tags and digests among `references`.
pub fn used<'a>(references: impl IntoIterator<Item = &'a str>, registry_host: &str) -> BTreeMap<String, Used> {
    let mut used: BTreeMap<String, Used> = BTreeMap::new();
    for reference in references {
        let Some((repository, tag, digest)) = parse(reference, registry_host) else { continue };
        let entry = used.entry(repository.to_string()).or_default();
        if let Some(tag) = tag {
            entry.tags.insert(tag.to_string());
        }
        if let Some(digest) = digest {
            entry.digests.insert(digest.to_string());
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

    #[test]
    fn references_of_the_registry_parse_and_others_do_not() {
        type Parsed<'a> = Option<(&'a str, Option<&'a str>, Option<&'a str>)>;
        let cases: &[(&str, Parsed<'_>)] = &[
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1", Some(("web", Some("1"), None))),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web", Some(("team-a/web", Some("latest"), None))),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web@sha256:ab",
                Some(("team-a/web", None, Some("sha256:ab"))),
            ),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web:v2@sha256:ab",
                Some(("team-a/web", Some("v2"), Some("sha256:ab"))),
            ),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil/web:1", None),
            ("docker.io/library/busybox:1.36", None),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com/", None),
        ];
        for (reference, expected) in cases {
            assert_eq!(parse(reference, HOST), *expected, "{reference}");
        }
    }

    #[test]
    fn used_images_are_covered_by_tag_or_digest() {
        let references = [
            format!("{HOST}/web:1"),
            format!("{HOST}/web@sha256:d2"),
            format!("{HOST}/api:prod"),
            "busybox".to_string(),
        ];
        let used = used(references.iter().map(String::as_str), HOST);
        let web = &used["web"];
        assert!(web.covers("sha256:x", &["1".into()]));
        assert!(web.covers("sha256:d2", &[]));
        assert!(!web.covers("sha256:x", &["2".into()]));
        assert!(used["api"].covers("sha256:y", &["prod".into(), "v9".into()]));
        assert_eq!(used.len(), 2);
    }
}
