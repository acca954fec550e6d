//! The registry under kube-ecs's ECR: a client of the CNCF distribution registry's HTTP API, for
//! what the Repository controller and the ECR API read and delete (tags, manifests, images).
//!
//! Pushes and pulls of users do not go through here but through [`crate::front`], which streams
//! them. Every repository lives under `<registry host>/` upstream (see the crate's documentation).

use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// The manifest media types asked for: images and indexes, OCI's and Docker's.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

/// Tags asked for per page of `tags/list`.
const TAGS_PAGE: usize = 1000;
/// Manifests read side by side when listing images.
const PARALLEL_READS: usize = 8;
/// One metadata call's limit: the registry is local to the operator.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a call to the registry under failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The registry could not be reached or the connection failed.
    #[error("registry {base}: {message}")]
    Transport { base: String, message: String },
    /// The registry answered a status the call does not expect.
    #[error("registry answered {status} to {method} {path}: {body}")]
    Status { method: String, path: String, status: u16, body: String },
    /// The registry answered something that is not what its API documents.
    #[error("registry answered {path} with {message}")]
    Decode { path: String, message: String },
    /// Configuration (the base URL or credentials) cannot be used.
    #[error("registry configuration: {0}")]
    Config(String),
}

/// A manifest as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// `sha256:<hex>` of `body`, as the registry names it.
    pub digest: String,
    pub media_type: String,
    pub body: Bytes,
    /// Compressed size of what a pull downloads: the config and layers of an image, the referenced
    /// manifests of an index.
    pub size_bytes: i64,
}

/// One image (manifest) with the tags that point at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaggedImage {
    pub digest: String,
    /// Sorted.
    pub tags: Vec<String>,
    pub media_type: String,
    pub size_bytes: i64,
}

/// The registry under, reached with its own credentials.
#[derive(Clone)]
pub struct Upstream {
    base: String,
    host: String,
    authorization: Option<HeaderValue>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Upstream").field("base", &self.base).field("host", &self.host).finish_non_exhaustive()
    }
}

impl Upstream {
    /// `base` is `http://127.0.0.1:5000`; `host` the registry host repositories live under
    /// (`123456789012.dkr.ecr.us-east-1.amazonaws.com`); `credentials` its basic-auth user and password.
    pub fn new(base: &str, host: &str, credentials: Option<(&str, &str)>) -> Result<Self, UpstreamError> {
        let base = base.trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(UpstreamError::Config(format!(
                "{base}: the registry under is reached over http:// (loopback or a pod network)"
            )));
        }
        let authorization = match credentials {
            Some((user, password)) => Some(
                HeaderValue::from_str(&format!("Basic {}", base64(format!("{user}:{password}").as_bytes())))
                    .map_err(|e| UpstreamError::Config(format!("credentials: {e}")))?,
            ),
            None => None,
        };
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(Self { base, host: host.trim_end_matches('/').to_string(), authorization, client })
    }

    /// `http://127.0.0.1:5000`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The registry host repositories live under.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The path of `repository`'s `suffix` (`manifests/<ref>`, `tags/list`) upstream.
    pub fn path(&self, repository: &str, suffix: &str) -> String {
        format!("/v2/{}/{repository}/{suffix}", self.host)
    }

    /// The `Authorization` header the registry under expects, if it has credentials.
    pub fn authorization(&self) -> Option<&HeaderValue> {
        self.authorization.as_ref()
    }

    /// All tags of `repository`; empty when the registry has never stored it.
    pub async fn tags(&self, repository: &str) -> Result<Vec<String>, UpstreamError> {
        #[derive(Deserialize)]
        struct Page {
            tags: Option<Vec<String>>,
        }
        let mut tags = Vec::new();
        let mut next = Some(format!("{}?n={TAGS_PAGE}", self.path(repository, "tags/list")));
        while let Some(path) = next.take() {
            let (status, headers, body) = self.call(Method::GET, &path, None).await?;
            match status {
                StatusCode::OK => {}
                StatusCode::NOT_FOUND => return Ok(tags),
                _ => return Err(self.status(Method::GET, &path, status, &body)),
            }
            let page: Page = decode(&path, &body)?;
            tags.extend(page.tags.unwrap_or_default());
            // `Link: </v2/.../tags/list?last=x&n=1000>; rel="next"` when there is more.
            next = headers
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(|link| link.split(';').next())
                .map(|target| target.trim().trim_start_matches('<').trim_end_matches('>').to_string())
                .filter(|target| target.starts_with('/'));
        }
        tags.sort();
        Ok(tags)
    }

    /// The manifest `reference` (a tag or a digest) names, if stored.
    pub async fn manifest(&self, repository: &str, reference: &str) -> Result<Option<Manifest>, UpstreamError> {
        let path = self.path(repository, &format!("manifests/{reference}"));
        let (status, headers, body) = self.call(Method::GET, &path, Some(MANIFEST_ACCEPT)).await?;
        match status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            _ => return Err(self.status(Method::GET, &path, status, &body)),
        }
        let media_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| media_type_of(&body));
        Ok(Some(Manifest { digest: digest_of(&body), size_bytes: size_of(&body), media_type, body }))
    }

    /// Whether the manifest `digest` is stored (tagged or not).
    pub async fn has_manifest(&self, repository: &str, digest: &str) -> Result<bool, UpstreamError> {
        let path = self.path(repository, &format!("manifests/{digest}"));
        let (status, _, body) = self.call(Method::HEAD, &path, Some(MANIFEST_ACCEPT)).await?;
        match status {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.status(Method::HEAD, &path, status, &body)),
        }
    }

    /// The tagged images of `repository`: one entry per digest, with all its tags.
    pub async fn tagged_images(&self, repository: &str) -> Result<Vec<TaggedImage>, UpstreamError> {
        let tags = self.tags(repository).await?;
        let manifests: Vec<(String, Option<Manifest>)> = futures::stream::iter(tags)
            .map(|tag| async move { self.manifest(repository, &tag).await.map(|m| (tag, m)) })
            .buffer_unordered(PARALLEL_READS)
            .try_collect()
            .await?;
        let mut images: Vec<TaggedImage> = Vec::new();
        for (tag, manifest) in manifests {
            // A tag deleted between the listing and the read is simply gone.
            let Some(manifest) = manifest else { continue };
            match images.iter_mut().find(|i| i.digest == manifest.digest) {
                Some(image) => image.tags.push(tag),
                None => images.push(TaggedImage {
                    digest: manifest.digest,
                    tags: vec![tag],
                    media_type: manifest.media_type,
                    size_bytes: manifest.size_bytes,
                }),
            }
        }
        for image in &mut images {
            image.tags.sort();
        }
        images.sort_by(|a, b| a.digest.cmp(&b.digest));
        Ok(images)
    }

    /// Deletes the image `digest` and every tag on it; false when it was not stored.
    pub async fn delete_manifest(&self, repository: &str, digest: &str) -> Result<bool, UpstreamError> {
        self.delete(&self.path(repository, &format!("manifests/{digest}"))).await
    }

    /// Removes the tag `tag` (the image stays, maybe untagged); false when there was no such tag.
    pub async fn delete_tag(&self, repository: &str, tag: &str) -> Result<bool, UpstreamError> {
        self.delete(&self.path(repository, &format!("manifests/{tag}"))).await
    }

    async fn delete(&self, path: &str) -> Result<bool, UpstreamError> {
        let (status, _, body) = self.call(Method::DELETE, path, Some(MANIFEST_ACCEPT)).await?;
        match status {
            StatusCode::ACCEPTED | StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.status(Method::DELETE, path, status, &body)),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        accept: Option<&str>,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), UpstreamError> {
        let mut request = Request::builder().method(method).uri(format!("{}{path}", self.base));
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        if let Some(authorization) = &self.authorization {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        let request =
            request.body(Full::new(Bytes::new())).map_err(|e| UpstreamError::Config(format!("{path}: {e}")))?;
        let transport = |message: String| UpstreamError::Transport { base: self.base.clone(), message };
        let response = tokio::time::timeout(CALL_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| transport(format!("no answer to {path} within {CALL_TIMEOUT:?}")))?
            .map_err(|e| transport(e.to_string()))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| transport(e.to_string()))?.to_bytes();
        Ok((parts.status, parts.headers, body))
    }

    fn status(&self, method: Method, path: &str, status: StatusCode, body: &[u8]) -> UpstreamError {
        UpstreamError::Status {
            method: method.to_string(),
            path: path.to_string(),
            status: status.as_u16(),
            body: String::from_utf8_lossy(body).chars().take(300).collect(),
        }
    }
}

/// `sha256:<hex>` of `bytes`: how the registry names a manifest.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// What a pull of this manifest downloads: config plus layers, or the manifests an index names.
fn size_of(body: &[u8]) -> i64 {
    #[derive(Deserialize)]
    struct Sized {
        size: Option<i64>,
    }
    #[derive(Deserialize)]
    struct Parts {
        config: Option<Sized>,
        #[serde(default)]
        layers: Vec<Sized>,
        #[serde(default)]
        manifests: Vec<Sized>,
    }
    let Ok(parts) = serde_json::from_slice::<Parts>(body) else { return 0 };
    let sizes = parts.config.into_iter().chain(parts.layers).chain(parts.manifests);
    sizes.filter_map(|s| s.size).sum()
}

fn media_type_of(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Typed {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Typed>(body)
        .ok()
        .and_then(|t| t.media_type)
        .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".to_string())
}

fn decode<T: serde::de::DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, UpstreamError> {
    serde_json::from_slice(body).map_err(|e| UpstreamError::Decode { path: path.to_string(), message: e.to_string() })
}

/// Standard base64 with padding (RFC 4648), for the basic-auth header.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up_what_a_pull_downloads() {
        let image = br#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"size":100},"layers":[{"size":1000},{"size":24}]}"#;
        let index =
            br#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"size":500},{"size":501}]}"#;
        for (body, size, media_type) in [
            (&image[..], 1124, "application/vnd.oci.image.manifest.v1+json"),
            (&index[..], 1001, "application/vnd.oci.image.index.v1+json"),
            (&b"not json"[..], 0, "application/vnd.oci.image.manifest.v1+json"),
        ] {
            assert_eq!(size_of(body), size);
            assert_eq!(media_type_of(body), media_type);
        }
    }

    #[test]
    fn digests_and_basic_auth_are_the_standard_encodings() {
        assert_eq!(digest_of(b""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(base64(b"AWS:s3cret-pw"), "QVdTOnMzY3JldC1wdw==");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn only_http_bases_are_accepted_and_credentials_never_print() {
        assert!(Upstream::new("https://x", "h", None).is_err());
        let upstream = Upstream::new("http://127.0.0.1:5000/", "h.example", Some(("AWS", "secret"))).expect("upstream");
        assert_eq!(upstream.base(), "http://127.0.0.1:5000");
        assert_eq!(upstream.path("team-a/web", "tags/list"), "/v2/h.example/team-a/web/tags/list");
        assert!(!format!("{upstream:?}").contains("secret"));
    }
}
