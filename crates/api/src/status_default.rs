//! A status before the operator's first write: `{observedGeneration: 0}`, a schema default.
//!
//! kstatus (Flux's `wait`, kpt, Config Sync, `kubectl wait --for=jsonpath`-style checks) reads an object
//! that has no status at all as Current: a Service applied by Flux was Ready before the operator had
//! seen it. The apiserver fills schema defaults in when it reads an object, so until the operator
//! writes status every object carries `observedGeneration: 0`, below `metadata.generation` (1 and up):
//! InProgress to kstatus, Progressing to the Argo CD health checks, as "not observed yet" should be.
//! The operator's status writes replace it; Argo CD and Flux do not compare status, so no drift.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{CustomResourceDefinition, JSON};

/// Adds the default to `crd`'s status schema where the status has `observedGeneration`.
pub fn apply(crd: &mut CustomResourceDefinition) {
    for version in &mut crd.spec.versions {
        let Some(schema) = version.schema.as_mut().and_then(|s| s.open_api_v3_schema.as_mut()) else { continue };
        let Some(status) = schema.properties.as_mut().and_then(|p| p.get_mut("status")) else { continue };
        if status.properties.as_ref().is_some_and(|p| p.contains_key("observedGeneration")) {
            status.default = Some(JSON(serde_json::json!({"observedGeneration": 0})));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kind_users_apply_defaults_an_unobserved_status() {
        // ContainerInstances are the operator's own (one per node), with no generation to observe.
        for (file, crd) in crate::crdgen::all().into_iter().filter(|(file, _)| *file != "containerinstances.yaml") {
            let schema =
                crd.spec.versions[0].schema.as_ref().and_then(|s| s.open_api_v3_schema.as_ref()).expect("schema");
            let default = schema.properties.as_ref().and_then(|p| p.get("status")).and_then(|s| s.default.clone());
            assert_eq!(default.map(|d| d.0), Some(serde_json::json!({"observedGeneration": 0})), "{file}");
        }
    }
}
