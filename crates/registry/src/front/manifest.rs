//! Manifest uploads: read whole (at most ECR's 4 MiB), checked against an IMMUTABLE tag, forwarded,
//! and reported to the push observer once the registry under has accepted them.
//!
//! ECR refuses a push that would move an IMMUTABLE tag but accepts the same image again, so the
//! check compares digests: the upload's (sha256 of its bytes, as the registry under computes it)
//! and the one the tag points at upstream.

use std::time::Duration;

use http::request::Parts;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use jiff::Timestamp;
use sha2::{Digest as _, Sha256};

use super::errors::RegistryError;
use super::request::{Body, Front, full};
use crate::directory::RepositoryEntry;
use crate::routes::Reference;

/// ECR's limit on a manifest.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;
/// A manifest is small: one that has not arrived by then is not coming.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// `PUT /v2/<name>/manifests/<reference>` for `repository`.
pub async fn put(
    front: &Front,
    parts: Parts,
    body: Incoming,
    repository: RepositoryEntry,
    reference: Reference,
) -> Result<Response<Body>, RegistryError> {
    let name = &repository.repository_name;
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|size| size > MAX_MANIFEST_BYTES) {
        return Err(RegistryError::manifest_too_large(MAX_MANIFEST_BYTES));
    }
    let manifest = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_MANIFEST_BYTES).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return Err(RegistryError::manifest_too_large(MAX_MANIFEST_BYTES));
        }
        Ok(Err(error)) => return Err(RegistryError::manifest_unreadable(&error.to_string())),
        Err(_) => {
            return Err(RegistryError::manifest_unreadable(&format!("it did not arrive within {BODY_TIMEOUT:?}")));
        }
    };
    let tag = match &reference {
        Reference::Tag(tag) => Some(tag.as_str()),
        Reference::Digest(_) => None,
    };
    // Held until the registry under has answered the upload, so no other push slips in between.
    let _lock = match tag {
        Some(tag) if repository.immutable => {
            let lock = front.tag_locks.lock(name).await;
            let pushed = format!("sha256:{}", hex::encode(Sha256::digest(&manifest)));
            let current = front.upstream.tag_digest(name, tag).await?;
            if current.is_some_and(|current| current != pushed) {
                return Err(RegistryError::tag_immutable(tag, name));
            }
            Some(lock)
        }
        _ => None,
    };
    let mut headers = parts.headers.clone();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(manifest.len()));
    let response = front
        .upstream
        .send(parts.method.clone(), parts.uri.path(), parts.uri.query().unwrap_or(""), &headers, full(manifest))
        .await?;
    if response.status() == StatusCode::CREATED {
        match response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()) {
            Some(digest) => front.observer.pushed(name, digest, tag, Timestamp::now()),
            None => {
                tracing::warn!(repository = name, "the registry under accepted a manifest without naming its digest")
            }
        }
    }
    front.upstream.answer(response)
}
