//! The Kubernetes Secrets that Secrets Manager's and SSM's actions keep their values in (one per
//! secret or parameter, in the key's namespace; the convention is `kube_ecs_domain::secrets`), read
//! and written through the caller's impersonating client, so RBAC on `secrets` decides. Writes are
//! whole-object (create, replace with the read resourceVersion, delete): a concurrent change is a
//! conflict, never a lost update.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, PostParams};

use crate::FIELD_MANAGER;
use crate::call::Call;
use crate::error::{EcsError, from_kube};

/// The caller's Secrets.
pub fn api(call: &Call<'_>) -> Api<Secret> {
    Api::namespaced(call.client.clone(), call.namespace())
}

fn params() -> PostParams {
    PostParams { dry_run: false, field_manager: Some(FIELD_MANAGER.into()) }
}

pub async fn get(call: &Call<'_>, name: &str) -> Result<Option<Secret>, EcsError> {
    api(call).get_opt(name).await.map_err(|e| from_kube(&e))
}

/// Every Secret of the caller's namespace (the actions pick theirs by label and shape: Secrets
/// made with kubectl carry no label).
pub async fn list(call: &Call<'_>) -> Result<Vec<Secret>, EcsError> {
    api(call).list(&ListParams::default()).await.map(|l| l.items).map_err(|e| from_kube(&e))
}

/// Creates `secret`; None when its name is taken (the caller says what that means in its service).
pub async fn create(call: &Call<'_>, secret: &Secret) -> Result<Option<Secret>, EcsError> {
    match api(call).create(&params(), secret).await {
        Ok(created) => Ok(Some(created)),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(None),
        Err(e) => Err(from_kube(&e)),
    }
}

/// Replaces the Secret with `secret` (which carries the resourceVersion it was read at).
pub async fn replace(call: &Call<'_>, secret: &Secret) -> Result<Secret, EcsError> {
    let name = secret.metadata.name.as_deref().unwrap_or_default();
    api(call).replace(name, &params(), secret).await.map_err(|e| from_kube(&e))
}

/// Deletes the Secret (gone already is fine).
pub async fn delete(call: &Call<'_>, name: &str) -> Result<(), EcsError> {
    match api(call).delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(from_kube(&e)),
    }
}

/// A data value as text (Secrets hold bytes; values written by the API are UTF-8).
pub fn text(secret: &Secret, key: &str) -> Option<String> {
    secret.data.as_ref()?.get(key).map(|v| String::from_utf8_lossy(&v.0).into_owned())
}

pub fn bytes(secret: &Secret, key: &str) -> Option<Vec<u8>> {
    secret.data.as_ref()?.get(key).map(|v| v.0.clone())
}

pub fn has_key(secret: &Secret, key: &str) -> bool {
    secret.data.as_ref().is_some_and(|d| d.contains_key(key))
}

pub fn annotation<'a>(secret: &'a Secret, key: &str) -> Option<&'a str> {
    secret.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

pub fn label<'a>(secret: &'a Secret, key: &str) -> Option<&'a str> {
    secret.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

/// Sets (Some) or removes (None) an annotation.
pub fn set_annotation(secret: &mut Secret, key: &str, value: Option<String>) {
    let annotations = secret.metadata.annotations.get_or_insert_with(BTreeMap::new);
    match value {
        Some(value) => annotations.insert(key.to_string(), value),
        None => annotations.remove(key),
    };
}

/// Data from text values.
pub fn data(entries: impl IntoIterator<Item = (String, Vec<u8>)>) -> BTreeMap<String, ByteString> {
    entries.into_iter().map(|(k, v)| (k, ByteString(v))).collect()
}

/// A timestamp annotation (RFC 3339, as written by [`format_time`]).
pub fn time(secret: &Secret, key: &str) -> Option<jiff::Timestamp> {
    annotation(secret, key)?.parse().ok()
}

pub fn format_time(at: jiff::Timestamp) -> String {
    at.to_string()
}

/// When the Secret was made (its creationTimestamp), else now.
pub fn created(secret: &Secret) -> jiff::Timestamp {
    secret.metadata.creation_timestamp.as_ref().map(|t| t.0).unwrap_or_else(jiff::Timestamp::now)
}

/// Six letters and digits that stay the same for the life of the Secret (from its uid), for
/// Secrets that carry none of their own (made with kubectl).
pub fn stable_suffix(secret: &Secret) -> String {
    use sha2::Digest as _;
    let seed = secret.metadata.uid.as_deref().or(secret.metadata.name.as_deref()).unwrap_or_default();
    let digest = sha2::Sha256::digest(seed.as_bytes());
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    digest.iter().take(6).map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

/// A UUID-shaped ID that stays the same while the Secret's data does (its resourceVersion moves on
/// every change), for Secrets made with kubectl.
pub fn stable_version_id(secret: &Secret) -> String {
    use sha2::Digest as _;
    let uid = secret.metadata.uid.as_deref().unwrap_or_default();
    let version = secret.metadata.resource_version.as_deref().unwrap_or_default();
    let h = hex::encode(sha2::Sha256::digest(format!("{uid}/{version}").as_bytes()));
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Tags kept as a JSON list of `{Key, Value}` in an annotation (ordered by key).
pub fn tags(secret: &Secret, key: &str) -> BTreeMap<String, String> {
    let Some(text) = annotation(secret, key) else { return BTreeMap::new() };
    let list: Vec<serde_json::Value> = serde_json::from_str(text).unwrap_or_default();
    list.iter()
        .filter_map(|t| Some((t["Key"].as_str()?.to_string(), t["Value"].as_str().unwrap_or_default().to_string())))
        .collect()
}

pub fn set_tags(secret: &mut Secret, key: &str, tags: &BTreeMap<String, String>) {
    let value = (!tags.is_empty()).then(|| {
        let list: Vec<serde_json::Value> =
            tags.iter().map(|(k, v)| serde_json::json!({"Key": k, "Value": v})).collect();
        serde_json::Value::Array(list).to_string()
    });
    set_annotation(secret, key, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_through_the_annotation() {
        let mut secret = Secret::default();
        let tags: BTreeMap<String, String> = [("team".to_string(), "a".to_string())].into();
        set_tags(&mut secret, "t", &tags);
        assert_eq!(annotation(&secret, "t"), Some(r#"[{"Key":"team","Value":"a"}]"#));
        assert_eq!(super::tags(&secret, "t"), tags);
        set_tags(&mut secret, "t", &BTreeMap::new());
        assert_eq!(annotation(&secret, "t"), None);
    }

    #[test]
    fn stable_ids() {
        let mut secret = Secret::default();
        secret.metadata.uid = Some("1234".into());
        secret.metadata.resource_version = Some("7".into());
        let suffix = stable_suffix(&secret);
        assert_eq!(suffix.len(), 6);
        assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(stable_suffix(&secret), suffix);
        let version = stable_version_id(&secret);
        assert_eq!(version.len(), 36);
        secret.metadata.resource_version = Some("8".into());
        assert_ne!(stable_version_id(&secret), version);
    }
}
