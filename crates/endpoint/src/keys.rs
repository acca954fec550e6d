//! Access keys: Kubernetes Secrets of type `ecs.kube-ecs.dev/access-key` in the endpoint's keys
//! namespace, each mapping an AWS access key to a Kubernetes identity and a namespace.
//!
//! Keys live only in the keys namespace (the operator's), never in a team's namespace: a key names
//! the identity the endpoint impersonates, so whoever may create one may act as anyone. Only the
//! operator's admins may write Secrets there (docs/ecs-api.md).

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};

/// The Secret type of an access key.
pub const SECRET_TYPE: &str = "ecs.kube-ecs.dev/access-key";

/// One access key and whom it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The Kubernetes user the endpoint impersonates for this key's requests.
    pub username: String,
    /// Groups impersonated along with the user.
    pub groups: Vec<String>,
    /// Where this key's task definitions, tasks and services live.
    pub namespace: String,
    /// The Secret, `namespace/name`, for messages and logs.
    pub secret: String,
}

/// Reads an access key from its Secret; the message names the missing or malformed key.
pub fn from_secret(secret: &Secret) -> Result<AccessKey, String> {
    let name = format!(
        "{}/{}",
        secret.metadata.namespace.as_deref().unwrap_or_default(),
        secret.metadata.name.as_deref().unwrap_or_default()
    );
    let data = secret.data.clone().unwrap_or_default();
    let field = |key: &str| -> Result<String, String> {
        let value = data.get(key).ok_or_else(|| format!("access key Secret {name} has no {key:?}"))?;
        let text = String::from_utf8(value.0.clone()).map_err(|_| format!("{key:?} of {name} is not UTF-8"))?;
        Ok(text.trim().to_string())
    };
    let access_key_id = field("accessKeyId")?;
    if access_key_id.len() < 16 || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("accessKeyId of {name} must be 16 or more letters and digits, as AWS's"));
    }
    let secret_access_key = field("secretAccessKey")?;
    if secret_access_key.len() < 16 {
        return Err(format!("secretAccessKey of {name} is shorter than 16 characters"));
    }
    let username = field("username")?;
    if username.is_empty() {
        return Err(format!("username of {name} is empty: say which Kubernetes user the key acts as"));
    }
    let namespace = field("namespace")?;
    if namespace.is_empty() {
        return Err(format!("namespace of {name} is empty: say where the key's tasks and services live"));
    }
    let groups = match data.get("groups") {
        Some(_) => field("groups")?.split(',').map(str::trim).filter(|g| !g.is_empty()).map(String::from).collect(),
        None => Vec::new(),
    };
    Ok(AccessKey { access_key_id, secret_access_key, username, groups, namespace, secret: name })
}

/// The access keys, kept current by a watch on the keys namespace.
#[derive(Clone)]
pub struct KeyStore {
    store: Store<Secret>,
}

impl KeyStore {
    /// Starts watching the access-key Secrets of `namespace` (the caller spawns the returned future).
    pub fn watch(
        client: kube::Client,
        namespace: &str,
    ) -> (Self, impl std::future::Future<Output = ()> + Send + 'static) {
        let secrets: Api<Secret> = Api::namespaced(client, namespace);
        let (store, writer) = reflector::store();
        let config = watcher::Config::default().fields(&format!("type={SECRET_TYPE}"));
        let feed = async move {
            let stream = watcher(secrets, config).default_backoff().reflect(writer).applied_objects();
            futures::pin_mut!(stream);
            while let Some(event) = stream.next().await {
                if let Err(error) = event {
                    tracing::warn!(%error, "watching the ECS API access keys");
                }
            }
        };
        (Self { store }, feed)
    }

    /// Waits until the first list of keys has arrived.
    pub async fn ready(&self) {
        let _ = self.store.wait_until_ready().await;
    }

    /// The key with this ID. A Secret that does not parse is skipped (and logged): it grants nothing.
    pub fn lookup(&self, access_key_id: &str) -> Option<AccessKey> {
        self.store.state().iter().find_map(|secret: &Arc<Secret>| match from_secret(secret) {
            Ok(key) if key.access_key_id == access_key_id => Some(key),
            Ok(_) => None,
            Err(problem) => {
                tracing::warn!(%problem, "ignoring a malformed ECS API access key");
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(data: &[(&str, &str)]) -> Secret {
        let data: serde_json::Map<String, serde_json::Value> =
            data.iter().map(|(k, v)| (k.to_string(), serde_json::json!(hex_free_base64(v)))).collect();
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "team-a", "namespace": "kube-ecs-system"},
            "type": SECRET_TYPE,
            "data": data,
        }))
        .expect("secret")
    }

    /// Base64 without a dependency: the Secret's data is base64 on the wire.
    fn hex_free_base64(text: &str) -> String {
        const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes = text.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn keys_from_secrets() {
        let good = [
            ("accessKeyId", "AKIAKUBEECSTEAMA0001"),
            ("secretAccessKey", "team-a-secret-key-0123456789"),
            ("username", "team-a-ci"),
            ("groups", "team-a, ci"),
            ("namespace", "team-a"),
        ];
        let key = from_secret(&secret(&good)).expect("a key");
        assert_eq!(key.username, "team-a-ci");
        assert_eq!(key.groups, vec!["team-a".to_string(), "ci".to_string()]);
        assert_eq!(key.namespace, "team-a");
        assert_eq!(key.secret, "kube-ecs-system/team-a");

        let cases: &[(&str, Option<&str>, &str)] = &[
            ("accessKeyId", None, "has no \"accessKeyId\""),
            ("accessKeyId", Some("short"), "16 or more letters"),
            ("secretAccessKey", Some("tiny"), "shorter than 16"),
            ("username", Some(" "), "username of kube-ecs-system/team-a is empty"),
            ("namespace", None, "has no \"namespace\""),
        ];
        for (field, value, message) in cases {
            let data: Vec<(&str, &str)> =
                good.iter().filter(|(k, _)| k != field).copied().chain(value.map(|v| (*field, v))).collect();
            let error = from_secret(&secret(&data)).expect_err(field);
            assert!(error.contains(message), "{field}: {error}");
        }
    }
}
