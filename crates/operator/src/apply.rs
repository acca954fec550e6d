//! Server-side apply with kube-ecs's one field manager, for children and for status.
//!
//! Every object the operator writes goes through here so that ownership of fields is tracked under a
//! single manager (`kube-ecs`): a conflicting writer's fields are taken back on the next apply, without
//! the two managers fighting over fields the operator does not set.

use kube::Resource;
use kube::api::{Api, Patch, PatchParams};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The field manager of every write kube-ecs makes.
pub const FIELD_MANAGER: &str = "kube-ecs";

/// Applies `object` (a complete desired state) with force, so fields last set by others are taken over.
pub async fn apply<K>(api: &Api<K>, name: &str, object: &K) -> Result<K, kube::Error>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    api.patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(object)).await
}

/// Applies the status subresource from a `{"apiVersion", "kind", "status"}` document.
pub async fn apply_status<K>(api: &Api<K>, name: &str, status: serde_json::Value) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
{
    let patch = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    api.patch_status(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&patch)).await
}

/// The top-level fields of `next` that differ from `previous`, as `field=value` (for debug logs of
/// status writes).
pub fn changed_fields<T: serde::Serialize>(previous: &T, next: &T) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(previous), serde_json::to_value(next))
    else {
        return Vec::new();
    };
    b.iter().filter(|(k, v)| a.get(*k) != Some(*v)).map(|(k, v)| format!("{k}={v}")).collect()
}
