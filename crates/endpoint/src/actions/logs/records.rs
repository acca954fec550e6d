//! The log groups that exist apart from tasks: CreateLogGroup's groups and PutRetentionPolicy's
//! retention, one record per group in the caller's namespace's ConfigMap `kube-ecs-log-groups`
//! (crate::actions::namespace_store). Only the record is kept: events live in the kubelet's
//! container logs and go with the Pod, whatever retention a group records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::namespace_store::Store;
use crate::call::Call;
use crate::error::EcsError;

const CONFIG_MAP: &str = "kube-ecs-log-groups";

/// A group's record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub log_group_name: String,
    pub creation_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<i32>,
}

/// A ConfigMap data key for a group name. Keys allow `[-._a-zA-Z0-9]`, group names also `/` and
/// `#`: other bytes are written `_xx` (hex), `_` itself included, so two names never share a key.
/// Names too long for a key (253) are keyed by their hash; the record holds the name either way.
pub fn key(group: &str) -> String {
    let mut key = String::new();
    for byte in group.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.' {
            key.push(byte as char);
        } else {
            key.push_str(&format!("_{byte:02x}"));
        }
    }
    if key.len() <= 253 {
        key
    } else {
        use sha2::Digest as _;
        format!("sha256-{}", hex::encode(sha2::Sha256::digest(group.as_bytes())))
    }
}

pub async fn read(call: &Call<'_>) -> Result<BTreeMap<String, Record>, EcsError> {
    let data = Store::new(call, CONFIG_MAP).read().await?;
    Ok(data
        .values()
        .filter_map(|value| serde_json::from_str::<Record>(value).ok())
        .map(|record| (record.log_group_name.clone(), record))
        .collect())
}

pub async fn write(call: &Call<'_>, record: &Record) -> Result<(), EcsError> {
    let value =
        serde_json::to_string(record).map_err(|e| EcsError::server(format!("writing a log group record: {e}")))?;
    Store::new(call, CONFIG_MAP).write(&key(&record.log_group_name), Some(&value)).await
}

pub async fn remove(call: &Call<'_>, group: &str) -> Result<(), EcsError> {
    Store::new(call, CONFIG_MAP).write(&key(group), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_valid_and_distinct() {
        let cases = [("web", "web"), ("/ecs/web", "_2fecs_2fweb"), ("a_b", "a_5fb"), ("a#b.c-d", "a_23b.c-d")];
        for (group, expected) in cases {
            assert_eq!(key(group), expected);
        }
        let long = "g".repeat(300);
        assert!(key(&long).starts_with("sha256-") && key(&long).len() < 253);
        assert_ne!(key("_2f"), key("/"));
    }
}
