//! Revision resolution straight from the API server, for tools and tests that hold no caches (the
//! controllers select from the read model: [`crate::Caches::definitions_in`] and
//! [`crate::Caches::snapshot`]).

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::Client;
use kube::api::{Api, ListParams};
pub use kube_ecs_domain::revisions::*;

use crate::api::task_definition::TaskDefinition;

fn read(error: kube::Error) -> ResolveError {
    ResolveError::Read(error.to_string())
}

/// Resolves `reference` in `namespace` by reading the API server (tools and tests; the controllers
/// resolve from their caches).
pub async fn resolve(
    client: &Client,
    namespace: &str,
    reference: &str,
    allow_inactive: bool,
) -> Result<ResolvedRevision, ResolveError> {
    let definitions: Api<TaskDefinition> = Api::namespaced(client.clone(), namespace);
    let all = definitions.list(&ListParams::default()).await.map_err(read)?.items;
    let selected = select(&all, namespace, reference, allow_inactive)?;
    let snapshot = Api::<ControllerRevision>::namespaced(client.clone(), namespace)
        .get(&selected.snapshot_name())
        .await
        .map_err(read)?;
    selected.with_snapshot(&snapshot)
}
