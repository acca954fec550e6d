//! Adding and releasing one of our finalizers, written once: a merge patch of `metadata.finalizers`
//! carrying the object's resourceVersion, so it is a compare-and-swap on the list (a concurrent
//! change makes it fail with 409 and the next reconcile sees the new list), and an object already
//! gone is not an error.

use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};

use crate::error::Result;

/// Adds `finalizer` to `object` unless it is there.
pub async fn ensure<K>(api: &Api<K>, object: &K, finalizer: &str) -> Result<()>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if object.finalizers().iter().any(|f| f == finalizer) {
        return Ok(());
    }
    let mut finalizers = object.finalizers().to_vec();
    finalizers.push(finalizer.into());
    patch(api, object, finalizers).await
}

/// Removes `finalizer` from `object` if it is there.
pub async fn release<K>(api: &Api<K>, object: &K, finalizer: &str) -> Result<()>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let remaining: Vec<String> = object.finalizers().iter().filter(|f| *f != finalizer).cloned().collect();
    if remaining.len() == object.finalizers().len() {
        return Ok(());
    }
    patch(api, object, remaining).await
}

async fn patch<K>(api: &Api<K>, object: &K, finalizers: Vec<String>) -> Result<()>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let body = serde_json::json!({
        "metadata": { "finalizers": finalizers, "resourceVersion": object.resource_version() }
    });
    match api.patch(&object.name_any(), &PatchParams::default(), &Patch::Merge(&body)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}
