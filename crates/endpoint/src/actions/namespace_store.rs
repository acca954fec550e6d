//! Records the ECS API keeps that no custom resource holds (account settings, capacity providers
//! made by CreateCapacityProvider): one ConfigMap per kind in the caller's namespace, one data key
//! per record. Every read and write is the caller's own (impersonated), so RBAC on that ConfigMap
//! decides who may read and change them, as for every other object of the API.
//!
//! Writes are JSON merge patches of single data keys, so two callers changing different records
//! never overwrite each other (no read-modify-write of the whole map).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};

use crate::FIELD_MANAGER;
use crate::call::Call;
use crate::error::{EcsError, ErrorCode, from_kube};

/// One ConfigMap of records in the caller's namespace.
pub struct Store<'c, 'a> {
    call: &'c Call<'a>,
    name: &'static str,
}

impl<'c, 'a> Store<'c, 'a> {
    pub fn new(call: &'c Call<'a>, name: &'static str) -> Self {
        Self { call, name }
    }

    fn api(&self) -> Api<ConfigMap> {
        Api::namespaced(self.call.client.clone(), self.call.namespace())
    }

    /// Every record (none when the ConfigMap does not exist yet).
    pub async fn read(&self) -> Result<BTreeMap<String, String>, EcsError> {
        let map = self.call.get(&self.api(), self.name).await?;
        Ok(map.and_then(|m| m.data).unwrap_or_default())
    }

    /// Sets (`Some`) or removes (`None`) the record `key`. The ConfigMap is made on the first write.
    pub async fn write(&self, key: &str, value: Option<&str>) -> Result<(), EcsError> {
        let patch = serde_json::json!({"data": {key: value}});
        match self.call.merge(&self.api(), self.name, &patch).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == ErrorCode::ResourceNotFoundException => match value {
                // Removing from a map that does not exist: nothing to remove.
                None => Ok(()),
                Some(value) => self.create(key, value, &patch).await,
            },
            Err(e) => Err(e),
        }
    }

    async fn create(&self, key: &str, value: &str, patch: &serde_json::Value) -> Result<(), EcsError> {
        let map = ConfigMap {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(self.name.into()),
                labels: Some([("app.kubernetes.io/part-of".to_string(), "kube-ecs".to_string())].into()),
                ..Default::default()
            },
            data: Some([(key.to_string(), value.to_string())].into()),
            ..Default::default()
        };
        let params = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        match self.api().create(&params, &map).await {
            Ok(_) => Ok(()),
            // Another call made it meanwhile: patch it as if it had been there.
            Err(kube::Error::Api(status)) if status.code == 409 => {
                self.call.merge(&self.api(), self.name, patch).await.map(drop)
            }
            Err(e) => Err(from_kube(&e)),
        }
    }
}
