//! Deleted clusters and services stay visible as INACTIVE for a while, as ECS keeps them
//! (`--ecs-api-inactive-retention-seconds`, an hour by default): DescribeClusters and
//! DescribeServices answer INACTIVE rather than MISSING, so clients that wait for INACTIVE (the AWS
//! CLI's `services-inactive` waiter, Terraform) see the deletion finish.
//!
//! The object itself is gone: what remains is its last ECS description, kept by the API that deleted
//! it in the caller's namespace ([`namespace_store`](super::namespace_store), ConfigMap
//! `kube-ecs-inactive`), with the caller's own rights. A deletion made with kubectl leaves no record
//! (kubectl's deletions are Kubernetes's), nor does one whose caller may not write ConfigMaps there:
//! the deletion itself never fails for it.

use std::time::Duration;

use kube_ecs_wire as wire;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::namespace_store::Store;
use crate::call::Call;
use crate::error::EcsError;

const STORE: &str = "kube-ecs-inactive";

/// One deleted resource's last description.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    /// Epoch seconds of the deletion.
    deleted_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cluster: Option<wire::Cluster>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service: Option<wire::Service>,
}

/// The record's key (ConfigMap keys allow fewer characters and bytes than ECS names).
fn key(kind: &str, name: &str) -> String {
    format!("{kind}.{}", hex::encode(&Sha256::digest(name.as_bytes())[..12]))
}

fn service_key(cluster: &str, service: &str) -> String {
    key("service", &format!("{cluster}/{service}"))
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn live(record: &Record, retention: Duration, now: i64) -> bool {
    now.saturating_sub(record.deleted_at) < i64::try_from(retention.as_secs()).unwrap_or(i64::MAX)
}

/// Keeps `record` under `key`, dropping the records past retention. Best effort: a caller without
/// the rights (or a full ConfigMap) loses only the INACTIVE answer, logged.
async fn remember(call: &Call<'_>, key: &str, record: Record) {
    let store = Store::new(call, STORE);
    let retention = call.endpoint.config.inactive_retention;
    let result = async {
        let value = serde_json::to_string(&record).map_err(|e| EcsError::server(e.to_string()))?;
        for (old, text) in store.read().await? {
            let expired = serde_json::from_str::<Record>(&text).map_or(true, |r| !live(&r, retention, now()));
            if expired && old != key {
                store.write(&old, None).await?;
            }
        }
        store.write(key, Some(&value)).await
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(error = %error.message, user = %call.key.username, "keeping a deleted resource's INACTIVE record");
    }
}

/// The record under `key` while it is retained (none without the right to read it).
async fn recall(call: &Call<'_>, key: &str) -> Option<Record> {
    let records = Store::new(call, STORE).read().await.ok()?;
    let record: Record = serde_json::from_str(records.get(key)?).ok()?;
    live(&record, call.endpoint.config.inactive_retention, now()).then_some(record)
}

/// A new cluster or service of a deleted one's name replaces its INACTIVE record.
async fn forget(call: &Call<'_>, key: &str) {
    let store = Store::new(call, STORE);
    if store.read().await.is_ok_and(|records| records.contains_key(key)) {
        let _ = store.write(key, None).await;
    }
}

pub async fn remember_cluster(call: &Call<'_>, mut cluster: wire::Cluster) {
    let name = cluster.cluster_name.clone().unwrap_or_default();
    cluster.status = Some("INACTIVE".into());
    cluster.registered_container_instances_count = Some(0);
    cluster.running_tasks_count = Some(0);
    cluster.pending_tasks_count = Some(0);
    cluster.active_services_count = Some(0);
    let record = Record { deleted_at: now(), cluster: Some(cluster), service: None };
    remember(call, &key("cluster", &name), record).await;
}

pub async fn remember_service(call: &Call<'_>, cluster: &str, mut service: wire::Service) {
    let name = service.service_name.clone().unwrap_or_default();
    service.status = Some("INACTIVE".into());
    service.desired_count = Some(0);
    service.running_count = Some(0);
    service.pending_count = Some(0);
    service.deployments = Vec::new();
    let record = Record { deleted_at: now(), cluster: None, service: Some(service) };
    remember(call, &service_key(cluster, &name), record).await;
}

/// The deleted cluster `name` (ECS name), while retained.
pub async fn cluster(call: &Call<'_>, name: &str) -> Option<wire::Cluster> {
    recall(call, &key("cluster", name)).await?.cluster
}

/// The deleted service `name` of the cluster `cluster` (ECS names), while retained.
pub async fn service(call: &Call<'_>, cluster: &str, name: &str) -> Option<wire::Service> {
    recall(call, &service_key(cluster, name)).await?.service
}

pub async fn forget_cluster(call: &Call<'_>, name: &str) {
    forget(call, &key("cluster", name)).await;
}

pub async fn forget_service(call: &Call<'_>, cluster: &str, name: &str) {
    forget(call, &service_key(cluster, name)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fit_a_config_map_and_keep_names_apart() {
        let long = "A_".repeat(120);
        for k in [key("cluster", &long), service_key(&long, &long), service_key("a", "b")] {
            assert!(k.len() < 64 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'), "{k}");
        }
        assert_ne!(service_key("a", "bc"), service_key("ab", "c"), "the pair, not its concatenation");
        assert_ne!(key("cluster", "Prod"), key("cluster", "prod"));
    }

    #[test]
    fn retention() {
        let record = Record { deleted_at: 1_000, cluster: None, service: None };
        assert!(live(&record, Duration::from_secs(3600), 1_000 + 3599));
        assert!(!live(&record, Duration::from_secs(3600), 1_000 + 3600));
        assert!(!live(&record, Duration::ZERO, 1_000));
    }
}
