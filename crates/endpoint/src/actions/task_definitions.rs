//! RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies,
//! DeregisterTaskDefinition, DeleteTaskDefinitions over TaskDefinition and its revision snapshots
//! (the same ControllerRevisions a `kubectl apply` of the TaskDefinition makes).

use std::time::Duration;

use kube_ecs_api::TaskDefinition;
use kube_ecs_api::conditions::VALID;
use kube_ecs_api::ecs::RevisionStatus;
use kube_ecs_domain::revisions::{self as domain_revisions, Reference, family_of};
use kube_ecs_domain::revisions::{ResolveError, ResolvedRevision};
use kube_ecs_wire as wire;

use super::wants_tags;
use crate::call::{Call, manifest, members_except, refuse_gitops};
use crate::error::EcsError;
use crate::pagination::{page, page_ordered};
use crate::render;
use crate::render::task_definition::AsEcsDescribes;

/// A reference that does not resolve, in ECS's words.
pub fn unresolved(error: ResolveError) -> EcsError {
    match error {
        ResolveError::Read(message) => EcsError::server(message),
        ResolveError::Inactive { reference } => EcsError::client(format!("TaskDefinition {reference} is inactive")),
        ResolveError::InvalidReference(message) => EcsError::client(message),
        _ => EcsError::client("Unable to describe task definition."),
    }
}

/// Resolves `reference` in the caller's namespace with the caller's rights (what RBAC refuses is
/// AccessDenied, not a failed resolution).
pub async fn resolve(call: &Call<'_>, reference: &str, allow_inactive: bool) -> Result<ResolvedRevision, EcsError> {
    let all = call.list(&call.definitions(), None).await?;
    let selected = domain_revisions::select(&all, call.namespace(), reference, allow_inactive).map_err(unresolved)?;
    let snapshot = call.get(&call.revisions(), &selected.snapshot_name()).await?.ok_or_else(|| {
        EcsError::client(format!(
            "Task definition {} is registered but its revision snapshot is missing.",
            selected.reference
        ))
    })?;
    selected.with_snapshot(&snapshot).map_err(unresolved)
}

/// The TaskDefinition object of `family` in the caller's namespace, if registered.
async fn family_object(call: &Call<'_>, family: &str) -> Result<Option<TaskDefinition>, EcsError> {
    let all = call.list(&call.definitions(), None).await?;
    let named = all.iter().find(|td| td.metadata.name.as_deref() == Some(family) && family_of(td) == family).cloned();
    Ok(named.or_else(|| all.into_iter().find(|td| family_of(td) == family)))
}

/// Resolves a reference (family, family:revision or ARN), INACTIVE revisions included, with its
/// TaskDefinition object.
async fn resolved(
    call: &Call<'_>,
    reference: &str,
) -> Result<(TaskDefinition, domain_revisions::ResolvedRevision), EcsError> {
    let resolved = resolve(call, reference, true).await?;
    let td = call
        .get(&call.definitions(), &resolved.task_definition_name)
        .await?
        .ok_or_else(|| EcsError::client("Unable to describe task definition."))?;
    Ok((td, resolved))
}

/// Waits until the TaskDefinition controller has answered generation `generation`: a revision
/// number, or a refusal (the Valid condition's message, as kubectl describe shows it).
async fn numbered(call: &Call<'_>, name: &str, generation: i64) -> Result<i64, EcsError> {
    let api = call.definitions();
    let timeout = call.endpoint.config.registration_timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(td) = call.get(&api, name).await? {
            let status = td.status.clone().unwrap_or_default();
            if status.observed_generation.unwrap_or(0) >= generation {
                let refused = status.conditions.iter().find(|c| c.type_ == VALID && c.status == "False");
                if let Some(refused) = refused {
                    return Err(EcsError::client(refused.message.clone()));
                }
                if let Some(revision) = status.revision {
                    return Ok(revision);
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(EcsError::server(format!(
                "the TaskDefinition controller has not registered {name} within {timeout:?}: is the operator running?"
            )));
        }
        // The controller answers within a reconcile; a short poll keeps this call free of a watch
        // permission the caller may not have.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn register(
    call: &Call<'_>,
    input: wire::RegisterTaskDefinitionRequest,
    raw: &serde_json::Value,
) -> Result<AsEcsDescribes<wire::RegisterTaskDefinitionResponse>, EcsError> {
    let family = input.family.clone();
    // ECS's own checks and messages first; what the spec cannot even be read as, the apiserver's
    // strict validation answers below, naming the member.
    kube_ecs_domain::ecs_checks::container_members(raw).map_err(EcsError::client)?;
    if let Ok(spec) = serde_json::from_value::<kube_ecs_api::TaskDefinitionSpec>(raw.clone()) {
        kube_ecs_domain::ecs_checks::task_definition(&spec).map_err(EcsError::client)?;
    }
    let existing = family_object(call, &family).await?;
    if let Some(existing) = &existing {
        refuse_gitops(&existing.metadata, &format!("The task definition family {family}"))?;
    }
    let name = existing
        .as_ref()
        .and_then(|td| td.metadata.name.clone())
        .unwrap_or_else(|| kube_ecs_api::ecs_names::family_object_name(&family));
    // The request is the revision's whole content; deregistrations so far are kept. A fresh
    // registration value makes this a new revision even when the definition is unchanged, as each
    // RegisterTaskDefinition is in ECS (kubectl's applies register a revision per distinct spec).
    let mut spec = members_except(raw, &[]);
    let deregistered = existing.as_ref().map(|td| td.spec.deregistered_revisions.clone()).unwrap_or_default();
    if !deregistered.is_empty() {
        spec["deregisteredRevisions"] = serde_json::json!(deregistered);
    }
    spec["registration"] = crate::ids::task_id().into();
    let applied = call
        .apply(&call.definitions(), &name, &manifest::<TaskDefinition>(&name, Some(call.namespace()), spec))
        .await?;
    let revision = numbered(call, &name, applied.metadata.generation.unwrap_or(1)).await?;
    let (td, resolved) = resolved(call, &format!("{family}:{revision}")).await?;
    if resolved.status == RevisionStatus::Inactive {
        // Only when the controller saw an older registration value (another writer raced this one).
        return Err(EcsError::server(format!(
            "The registration answered with {family}:{revision}, which is INACTIVE: register again."
        )));
    }
    Ok(AsEcsDescribes(wire::RegisterTaskDefinitionResponse {
        task_definition: Some(render::task_definition::revision(call.arns(), &td, &resolved)?),
        tags: render::task_definition::tags(&resolved),
    }))
}

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeTaskDefinitionRequest,
    _raw: &serde_json::Value,
) -> Result<AsEcsDescribes<wire::DescribeTaskDefinitionResponse>, EcsError> {
    let (td, resolved) = resolved(call, &input.task_definition).await?;
    Ok(AsEcsDescribes(wire::DescribeTaskDefinitionResponse {
        task_definition: Some(render::task_definition::revision(call.arns(), &td, &resolved)?),
        tags: if wants_tags(&input.include) { render::task_definition::tags(&resolved) } else { Vec::new() },
    }))
}

/// Every (family, revision, status) registered in the caller's namespace.
async fn registered(call: &Call<'_>) -> Result<Vec<(String, i64, RevisionStatus)>, EcsError> {
    let all = call.list(&call.definitions(), None).await?;
    Ok(all
        .iter()
        .flat_map(|td| {
            let family = family_of(td);
            td.status.iter().flat_map(|s| s.revisions.clone()).map(move |r| (family.clone(), r.revision, r.status))
        })
        .collect())
}

pub async fn list(
    call: &Call<'_>,
    input: wire::ListTaskDefinitionsRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListTaskDefinitionsResponse, EcsError> {
    let wanted = input.status.as_deref().unwrap_or("ACTIVE");
    let prefix = input.family_prefix.clone().unwrap_or_default();
    let mut revisions: Vec<(String, i64)> = registered(call)
        .await?
        .into_iter()
        // ECS's familyPrefix here is the whole family name (ListTaskDefinitionFamilies matches prefixes).
        .filter(|(family, _, status)| {
            (prefix.is_empty() || *family == prefix) && (wanted == "ALL" || status.as_str() == wanted)
        })
        .map(|(family, revision, _)| (family, revision))
        .collect();
    // Pages are cut over a sortable key (family, zero-padded revision); the order is ECS's: by
    // family, then revision, ascending unless sort is DESC.
    revisions.sort();
    let keys: Vec<String> = revisions.iter().map(|(f, r)| format!("{f}:{r:010}")).collect();
    let descending = input.sort.as_deref() == Some("DESC");
    let (page_keys, next_token) =
        page_ordered(keys, input.max_results, input.next_token.as_deref(), 100, 100, descending)?;
    let task_definition_arns = page_keys
        .iter()
        .map(|key| {
            let (family, revision) = key.rsplit_once(':').unwrap_or((key, "0"));
            call.arns().task_definition(family, revision.parse().unwrap_or(0))
        })
        .collect();
    Ok(wire::ListTaskDefinitionsResponse { task_definition_arns, next_token })
}

pub async fn families(
    call: &Call<'_>,
    input: wire::ListTaskDefinitionFamiliesRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListTaskDefinitionFamiliesResponse, EcsError> {
    let wanted = input.status.as_deref().unwrap_or("ACTIVE");
    let prefix = input.family_prefix.clone().unwrap_or_default();
    let registered = registered(call).await?;
    let mut families: Vec<String> =
        registered.iter().map(|(f, _, _)| f.clone()).filter(|f| f.starts_with(&prefix)).collect();
    families.sort();
    families.dedup();
    let active = |family: &str| registered.iter().any(|(f, _, s)| f == family && *s == RevisionStatus::Active);
    let families = families
        .into_iter()
        .filter(|f| match wanted {
            "ACTIVE" => active(f),
            "INACTIVE" => !active(f),
            _ => true,
        })
        .collect();
    let (families, next_token) = page(families, input.max_results, input.next_token.as_deref(), 100, 100)?;
    Ok(wire::ListTaskDefinitionFamiliesResponse { families, next_token })
}

pub async fn deregister(
    call: &Call<'_>,
    input: wire::DeregisterTaskDefinitionRequest,
    _raw: &serde_json::Value,
) -> Result<AsEcsDescribes<wire::DeregisterTaskDefinitionResponse>, EcsError> {
    let reference = Reference::parse(&input.task_definition).map_err(EcsError::client)?;
    let Some(revision) = reference.revision else {
        return Err(EcsError::client("A task definition revision is required: family:revision or its ARN."));
    };
    let (td, resolved) = resolved(call, &format!("{}:{revision}", reference.family)).await?;
    refuse_gitops(&td.metadata, &format!("The task definition family {}", reference.family))?;
    let name = td.metadata.name.clone().unwrap_or_default();
    let mut deregistered = td.spec.deregistered_revisions.clone();
    if !deregistered.contains(&revision) {
        deregistered.push(revision);
        deregistered.sort_unstable();
        let patch = serde_json::json!({"spec": {"deregisteredRevisions": deregistered}});
        call.merge(&call.definitions(), &name, &patch).await?;
    }
    let mut definition = render::task_definition::revision(call.arns(), &td, &resolved)?;
    definition.status = Some(RevisionStatus::Inactive.as_str().into());
    definition.deregistered_at = Some(jiff::Timestamp::now().into());
    Ok(AsEcsDescribes(wire::DeregisterTaskDefinitionResponse { task_definition: Some(definition) }))
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteTaskDefinitionsRequest,
    _raw: &serde_json::Value,
) -> Result<AsEcsDescribes<wire::DeleteTaskDefinitionsResponse>, EcsError> {
    if input.task_definitions.len() > 10 {
        return Err(EcsError::invalid_parameter("taskDefinitions can have at most 10 items."));
    }
    let mut response = wire::DeleteTaskDefinitionsResponse::default();
    for requested in &input.task_definitions {
        let failure = |reason: &str| wire::Failure {
            arn: Some(requested.clone()),
            reason: Some(reason.into()),
            ..Default::default()
        };
        let Ok(Reference { family, revision: Some(revision) }) = Reference::parse(requested) else {
            response.failures.push(failure(
                "The specified task definition identifier is invalid. Specify a valid name or ARN and try again.",
            ));
            continue;
        };
        let (td, resolved) = match resolved(call, &format!("{family}:{revision}")).await {
            Ok(found) => found,
            Err(_) => {
                response.failures.push(failure(
                    "The specified task definition does not exist. Specify a valid task definition and try again.",
                ));
                continue;
            }
        };
        let current = td.status.as_ref().and_then(|s| s.revision) == Some(revision);
        if current {
            // The TaskDefinition's spec is this revision: without its snapshot the controller would
            // register the same definition again.
            response.failures.push(failure("The revision is the family's current definition in kube-ecs: register another revision (or delete the TaskDefinition) first."));
            continue;
        }
        if resolved.status == RevisionStatus::Active {
            response.failures.push(failure("The specified task definition is still in ACTIVE status. Deregister the target task definition before deleting it."));
            continue;
        }
        refuse_gitops(&td.metadata, &format!("The task definition family {family}"))?;
        let mut definition = render::task_definition::revision(call.arns(), &td, &resolved)?;
        // The snapshot goes; what already runs it keeps its Pods, and the number is never reused.
        call.delete(&call.revisions(), &domain_revisions::snapshot_name(&resolved.task_definition_name, revision))
            .await?;
        definition.status = Some("DELETE_IN_PROGRESS".into());
        definition.delete_requested_at = Some(jiff::Timestamp::now().into());
        response.task_definitions.push(definition);
    }
    Ok(AsEcsDescribes(response))
}
