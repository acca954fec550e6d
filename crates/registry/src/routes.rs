//! The routes of the registry API (OCI distribution, Docker registry v2) the front understands.
//!
//! Repository names hold `/`, so a path is read from its end: the last segments say what is asked
//! (`manifests/<reference>`, `blobs/uploads/<id>`, `blobs/<digest>`, `tags/list`,
//! `referrers/<digest>`) and everything before them is the name. Names, tags and digests are
//! checked here with ECR's grammar, so the front never forwards a path the registry under would
//! read differently from the front (a `..` or an empty segment in a "name", say).

use std::fmt;

use crate::authorize::Access;

/// A request of the registry API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`: the version check clients make first (and use to learn how to authenticate).
    Base,
    /// `/v2/_catalog`.
    Catalog,
    /// `/v2/<name>/manifests/<reference>`.
    Manifest { name: String, reference: Reference },
    /// `/v2/<name>/blobs/<digest>`.
    Blob { name: String, digest: String },
    /// `POST /v2/<name>/blobs/uploads/`, with the cross-repository mount it asks for, if any.
    UploadStart { name: String, mount: Option<Mount> },
    /// `/v2/<name>/blobs/uploads/<id>`: an upload in progress.
    Upload { name: String, id: String },
    /// `/v2/<name>/tags/list`.
    Tags { name: String },
    /// `/v2/<name>/referrers/<digest>`.
    Referrers { name: String, digest: String },
    /// Any other path.
    Unknown,
}

/// What a manifest path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(String),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Tag(tag) => f.write_str(tag),
            Reference::Digest(digest) => f.write_str(digest),
        }
    }
}

/// `?mount=<digest>&from=<repository>` of an upload start: "take this blob from that repository".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub digest: String,
    pub from: Option<String>,
}

/// A path of the API that is not well-formed.
#[derive(thiserror::Error, Clone, Debug, PartialEq, Eq)]
pub enum RouteError {
    #[error(
        "Invalid repository name '{0}': 2-256 lowercase letters and digits, separated by '.', '_', '__', hyphens or '/'."
    )]
    NameInvalid(String),
    #[error("Invalid image tag '{0}': 1-128 letters, digits, '_', '.' and '-', not starting with '.' or '-'.")]
    TagInvalid(String),
    #[error("Invalid digest '{0}'.")]
    DigestInvalid(String),
}

impl RouteError {
    /// The registry API error code.
    pub fn code(&self) -> &'static str {
        match self {
            RouteError::NameInvalid(_) => "NAME_INVALID",
            RouteError::TagInvalid(_) => "TAG_INVALID",
            RouteError::DigestInvalid(_) => "DIGEST_INVALID",
        }
    }
}

impl Route {
    /// The route of a request's path and query (without `?`).
    pub fn parse(path: &str, query: &str) -> Result<Route, RouteError> {
        if path == "/v2" || path == "/v2/" {
            return Ok(Route::Base);
        }
        let Some(rest) = path.strip_prefix("/v2/") else { return Ok(Route::Unknown) };
        if rest == "_catalog" {
            return Ok(Route::Catalog);
        }
        let segments: Vec<&str> = rest.split('/').collect();
        let Some(tail) = Tail::of(&segments) else { return Ok(Route::Unknown) };
        let name = segments[..segments.len() - tail.len(&segments)].join("/");
        if !valid_name(&name) {
            return Err(RouteError::NameInvalid(name));
        }
        Ok(match tail {
            Tail::Tags => Route::Tags { name },
            Tail::Manifest(reference) => Route::Manifest { name, reference: reference_of(reference)? },
            Tail::Blob(digest) => Route::Blob { name, digest: digest_of(digest)? },
            Tail::Referrers(digest) => Route::Referrers { name, digest: digest_of(digest)? },
            Tail::UploadStart => Route::UploadStart { name, mount: mount_of(query) },
            Tail::Upload(id) => Route::Upload { name, id: id.to_string() },
        })
    }

    /// The repository the route is about, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Route::Manifest { name, .. }
            | Route::Blob { name, .. }
            | Route::UploadStart { name, .. }
            | Route::Upload { name, .. }
            | Route::Tags { name }
            | Route::Referrers { name, .. } => Some(name),
            Route::Base | Route::Catalog | Route::Unknown => None,
        }
    }

    /// A bounded label for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Route::Base => "base",
            Route::Catalog => "catalog",
            Route::Manifest { .. } => "manifest",
            Route::Blob { .. } => "blob",
            Route::UploadStart { .. } => "upload_start",
            Route::Upload { .. } => "upload",
            Route::Tags { .. } => "tags",
            Route::Referrers { .. } => "referrers",
            Route::Unknown => "unknown",
        }
    }

    /// Whether `method` on this route reads or writes the repository; `None` for what the front
    /// refuses (DELETE: ECR deletes images through `BatchDeleteImage`, not the registry API).
    pub fn access(&self, method: &http::Method) -> Option<Access> {
        let by_method = match *method {
            http::Method::GET | http::Method::HEAD => Access::Pull,
            http::Method::POST | http::Method::PUT | http::Method::PATCH => Access::Push,
            _ => return None,
        };
        // Reading an upload's progress is part of pushing it: a puller has no business there.
        Some(if matches!(self, Route::Upload { .. }) { Access::Push } else { by_method })
    }

    /// The ECR action that `method` on this route is, for ECR-worded refusals.
    pub fn ecr_action(&self, method: &http::Method) -> &'static str {
        let write = matches!(*method, http::Method::POST | http::Method::PUT | http::Method::PATCH);
        match self {
            Route::Manifest { .. } if write => "PutImage",
            Route::Manifest { .. } | Route::Referrers { .. } => "BatchGetImage",
            Route::Blob { .. } if *method == http::Method::HEAD => "BatchCheckLayerAvailability",
            Route::Blob { .. } => "GetDownloadUrlForLayer",
            Route::UploadStart { .. } => "InitiateLayerUpload",
            Route::Upload { .. } if *method == http::Method::PUT => "CompleteLayerUpload",
            Route::Upload { .. } => "UploadLayerPart",
            Route::Tags { .. } => "ListImages",
            Route::Catalog => "DescribeRepositories",
            Route::Base | Route::Unknown => "GetAuthorizationToken",
        }
    }
}

/// The last segments of a path, which say what it asks for.
enum Tail<'a> {
    Tags,
    Manifest(&'a str),
    Blob(&'a str),
    Referrers(&'a str),
    UploadStart,
    Upload(&'a str),
}

impl<'a> Tail<'a> {
    fn of(segments: &[&'a str]) -> Option<Tail<'a>> {
        // Longest patterns first: `blobs/uploads/<id>` also ends like `blobs/<digest>` would.
        match segments {
            [_, .., "tags", "list"] => Some(Tail::Tags),
            [_, .., "blobs", "uploads", ""] | [_, .., "blobs", "uploads"] => Some(Tail::UploadStart),
            [_, .., "blobs", "uploads", id] => Some(Tail::Upload(id)),
            [_, .., "blobs", digest] => Some(Tail::Blob(digest)),
            [_, .., "manifests", reference] => Some(Tail::Manifest(reference)),
            [_, .., "referrers", digest] => Some(Tail::Referrers(digest)),
            _ => None,
        }
    }

    /// How many segments the tail takes (`blobs/uploads` without the trailing slash: two).
    fn len(&self, segments: &[&str]) -> usize {
        match self {
            Tail::UploadStart if segments.last() == Some(&"uploads") => 2,
            Tail::UploadStart | Tail::Upload(_) => 3,
            Tail::Tags | Tail::Manifest(_) | Tail::Blob(_) | Tail::Referrers(_) => 2,
        }
    }
}

fn reference_of(reference: &str) -> Result<Reference, RouteError> {
    if reference.contains(':') {
        return digest_of(reference).map(Reference::Digest);
    }
    if valid_tag(reference) {
        Ok(Reference::Tag(reference.to_string()))
    } else {
        Err(RouteError::TagInvalid(reference.to_string()))
    }
}

fn digest_of(digest: &str) -> Result<String, RouteError> {
    if valid_digest(digest) { Ok(digest.to_string()) } else { Err(RouteError::DigestInvalid(digest.to_string())) }
}

fn mount_of(query: &str) -> Option<Mount> {
    let value =
        |key: &str| query.split('&').find_map(|pair| pair.strip_prefix(key)?.strip_prefix('=')).map(str::to_string);
    Some(Mount { digest: value("mount")?, from: value("from") })
}

/// ECR's repositoryName: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`,
/// 2 to 256 characters.
pub fn valid_name(name: &str) -> bool {
    (2..=256).contains(&name.len()) && name.split('/').all(valid_component)
}

/// One `/`-separated component: alphanumeric runs joined by `.`, `_`, `__` or one or more `-`.
fn valid_component(component: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let bytes = component.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return false };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Every run of separators between alphanumerics must be one of the allowed ones.
    let mut separators = String::new();
    for &byte in bytes {
        if alnum(byte) {
            if !matches!(separators.as_str(), "" | "." | "_" | "__") && !separators.bytes().all(|b| b == b'-') {
                return false;
            }
            separators.clear();
        } else if matches!(byte, b'.' | b'_' | b'-') {
            separators.push(char::from(byte));
        } else {
            return false;
        }
    }
    true
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    let Some(&first) = bytes.first() else { return false };
    bytes.len() <= 128
        && (first.is_ascii_alphanumeric() || first == b'_')
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// An OCI digest: `algorithm:encoded`, the algorithm `[a-z0-9]+([+._-][a-z0-9]+)*`, the encoded
/// part `[a-zA-Z0-9=_-]+`; for sha256 exactly 64 lowercase hex digits.
pub fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else { return false };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .split(['+', '.', '_', '-'])
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let encoded_ok =
        !encoded.is_empty() && encoded.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    let sha256_ok = algorithm != "sha256"
        || (encoded.len() == 64 && encoded.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    algorithm_ok && encoded_ok && sha256_ok
}

#[cfg(test)]
mod tests {
    use http::Method;
    use pretty_assertions::assert_eq;

    use super::*;

    const DIGEST: &str = "sha256:f308a270ad264beb82b6a531d9808ab0b4fc32743f5d8d3e23ff5b62aa535d8e";

    fn manifest(name: &str, reference: Reference) -> Route {
        Route::Manifest { name: name.into(), reference }
    }

    #[test]
    fn paths_are_read_from_their_end() {
        let tag = |t: &str| Reference::Tag(t.into());
        let by_digest = format!("/v2/team-a/web/manifests/{DIGEST}");
        let blob = format!("/v2/a/b/c/blobs/{DIGEST}");
        let mount = format!("mount={DIGEST}&from=team-b/secret");
        let referrers = format!("/v2/team-a/web/referrers/{DIGEST}");
        let cases: Vec<(&str, &str, Result<Route, RouteError>)> = vec![
            ("/v2/", "", Ok(Route::Base)),
            ("/v2", "", Ok(Route::Base)),
            ("/v2/_catalog", "n=10", Ok(Route::Catalog)),
            ("/v2/team-a/web/manifests/1", "", Ok(manifest("team-a/web", tag("1")))),
            ("/v2/web/manifests/latest", "", Ok(manifest("web", tag("latest")))),
            (&by_digest, "", Ok(manifest("team-a/web", Reference::Digest(DIGEST.into())))),
            (&blob, "", Ok(Route::Blob { name: "a/b/c".into(), digest: DIGEST.into() })),
            ("/v2/team-a/web/blobs/uploads/", "", Ok(Route::UploadStart { name: "team-a/web".into(), mount: None })),
            ("/v2/team-a/web/blobs/uploads", "", Ok(Route::UploadStart { name: "team-a/web".into(), mount: None })),
            (
                "/v2/team-a/web/blobs/uploads/",
                &mount,
                Ok(Route::UploadStart {
                    name: "team-a/web".into(),
                    mount: Some(Mount { digest: DIGEST.into(), from: Some("team-b/secret".into()) }),
                }),
            ),
            (
                "/v2/team-a/web/blobs/uploads/2b1c-uuid",
                "_state=abc",
                Ok(Route::Upload { name: "team-a/web".into(), id: "2b1c-uuid".into() }),
            ),
            ("/v2/team-a/web/tags/list", "n=5", Ok(Route::Tags { name: "team-a/web".into() })),
            (&referrers, "", Ok(Route::Referrers { name: "team-a/web".into(), digest: DIGEST.into() })),
            // A component spelled like a route keyword is still part of the name.
            ("/v2/team/manifests/x/manifests/1", "", Ok(manifest("team/manifests/x", tag("1")))),
            ("/v2/team/blobs/tags/list", "", Ok(Route::Tags { name: "team/blobs".into() })),
            ("/v2/web/uploads/manifests/1", "", Ok(manifest("web/uploads", tag("1")))),
            ("/", "", Ok(Route::Unknown)),
            ("/v1/web/manifests/1", "", Ok(Route::Unknown)),
            ("/v2/web", "", Ok(Route::Unknown)),
            ("/v2/manifests/1", "", Ok(Route::Unknown)),
            ("/v2/web/manifests/1/extra", "", Ok(Route::Unknown)),
            ("/v2/Team/web/manifests/1", "", Err(RouteError::NameInvalid("Team/web".into()))),
            ("/v2/team//web/manifests/1", "", Err(RouteError::NameInvalid("team//web".into()))),
            ("/v2/../web/manifests/1", "", Err(RouteError::NameInvalid("../web".into()))),
            ("/v2/web/manifests/.hidden", "", Err(RouteError::TagInvalid(".hidden".into()))),
            ("/v2/web/manifests/sha256:abc", "", Err(RouteError::DigestInvalid("sha256:abc".into()))),
            ("/v2/web/blobs/latest", "", Err(RouteError::DigestInvalid("latest".into()))),
        ];
        for (path, query, expected) in cases {
            assert_eq!(Route::parse(path, query), expected, "{path}?{query}");
        }
    }

    #[test]
    fn names_follow_ecr_s_repository_name_pattern() {
        let valid = [
            "ab",
            "web",
            "team-a/web",
            "a.b_c__d---e",
            "a/b/c/d",
            "0/1",
            "x9",
            &"a".repeat(256),
            &format!("{}/{}", "a".repeat(100), "b".repeat(155)),
        ];
        let invalid = [
            "",
            "a",
            "Web",
            "web/",
            "/web",
            "a//b",
            "-a",
            "a-",
            "a.-b",
            "a___b",
            "a..b",
            "a._b",
            "a b",
            "a:b",
            "..",
            "a/./b",
            &"a".repeat(257),
        ];
        for name in valid {
            assert!(valid_name(name), "{name} should be valid");
        }
        for name in invalid {
            assert!(!valid_name(name), "{name} should be invalid");
        }
    }

    #[test]
    fn tags_follow_the_distribution_tag_pattern() {
        for tag in ["1", "latest", "_x", "v1.2.3-rc_1", "A", &"a".repeat(128)] {
            assert!(valid_tag(tag), "{tag} should be valid");
        }
        for tag in ["", ".x", "-x", "a/b", "a:b", "a b", &"a".repeat(129)] {
            assert!(!valid_tag(tag), "{tag} should be invalid");
        }
    }

    #[test]
    fn digests_follow_the_oci_digest_grammar() {
        let sha512 = format!("sha512:{}", "a".repeat(128));
        for digest in [DIGEST, &sha512, "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"] {
            assert!(valid_digest(digest), "{digest} should be valid");
        }
        let upper = DIGEST.to_uppercase().replace("SHA256", "sha256");
        for digest in ["", "sha256", "sha256:", ":abc", "sha256:abc", &upper, "SHA256:ab", "a..b:x", "a:b/c"] {
            assert!(!valid_digest(digest), "{digest} should be invalid");
        }
    }

    #[test]
    fn reads_pull_writes_push_deletes_are_refused() {
        let web = manifest("web", Reference::Tag("1".into()));
        let upload = Route::Upload { name: "web".into(), id: "u".into() };
        let cases = [
            (&web, Method::GET, Some(Access::Pull), "BatchGetImage"),
            (&web, Method::HEAD, Some(Access::Pull), "BatchGetImage"),
            (&web, Method::PUT, Some(Access::Push), "PutImage"),
            (&web, Method::DELETE, None, "BatchGetImage"),
            (&web, Method::OPTIONS, None, "BatchGetImage"),
            (&upload, Method::PATCH, Some(Access::Push), "UploadLayerPart"),
            (&upload, Method::PUT, Some(Access::Push), "CompleteLayerUpload"),
            (&upload, Method::GET, Some(Access::Push), "UploadLayerPart"),
            (&upload, Method::DELETE, None, "UploadLayerPart"),
        ];
        for (route, method, access, action) in cases {
            assert_eq!((route.access(&method), route.ecr_action(&method)), (access, action), "{method} {route:?}");
        }
        let blob = Route::Blob { name: "web".into(), digest: DIGEST.into() };
        assert_eq!(blob.ecr_action(&Method::HEAD), "BatchCheckLayerAvailability");
        assert_eq!(blob.ecr_action(&Method::GET), "GetDownloadUrlForLayer");
        let start = Route::UploadStart { name: "web".into(), mount: None };
        assert_eq!(
            (start.access(&Method::POST), start.ecr_action(&Method::POST)),
            (Some(Access::Push), "InitiateLayerUpload")
        );
    }
}
