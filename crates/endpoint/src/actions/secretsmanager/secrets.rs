//! Secrets Manager's actions over the caller's Secrets ([`record`] says how a secret is kept). A
//! secret is found by name or ARN (full, or partial without the six characters); one scheduled for
//! deletion whose recovery window has passed is deleted when an action next finds it (there is no
//! sweeper), so it is gone for every caller from then on.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube_ecs_domain::secrets::{parse_secret_arn, secret_object_name, split_suffix};
use kube_ecs_wire::Timestamp;
use kube_ecs_wire::secretsmanager as wire;

use super::errors::{exists, invalid_parameter, invalid_request, marked_for_deletion, not_found, object_taken};
use super::filters;
use super::record::{self, CURRENT, Stored, Value};
use crate::actions::secret_store as store;
use crate::call::{Call, refuse_gitops};
use crate::error::EcsError;

const MAX_TAGS: usize = 50;
const DEFAULT_RECOVERY_DAYS: i64 = 30;

/// A secret and the Secret that holds it.
struct Found {
    object: Secret,
    stored: Stored,
}

fn arn(call: &Call<'_>, stored: &Stored) -> String {
    let config = &call.endpoint.config;
    record::arn(&config.region, &config.account, stored)
}

fn at(time: jiff::Timestamp) -> Timestamp {
    Timestamp::from(time)
}

/// The secret `secret_id` (a name or an ARN) names, if the caller's namespace has it.
async fn find(call: &Call<'_>, secret_id: &str) -> Result<Option<Found>, EcsError> {
    // (name, the ARN's suffix when it gives one): a full ARN ends `-XXXXXX`, but a partial ARN of a
    // name ending so looks the same, so both readings are tried.
    let mut candidates: Vec<(&str, Option<&str>)> = Vec::new();
    if secret_id.starts_with("arn:") {
        let arn = parse_secret_arn(secret_id)
            .filter(|a| a.json_key.is_none())
            .ok_or_else(|| invalid_parameter(format!("The ARN {secret_id} is not a Secrets Manager secret's ARN.")))?;
        let config = &call.endpoint.config;
        let mut parts = secret_id.split(':').skip(3);
        if parts.next() != Some(config.region.as_str()) || parts.next() != Some(config.account.as_str()) {
            return Ok(None);
        }
        if let Some((name, suffix)) = split_suffix(arn.name_with_suffix) {
            candidates.push((name, Some(suffix)));
        }
        candidates.push((arn.name_with_suffix, None));
    } else {
        candidates.push((secret_id, None));
    }
    for (name, suffix) in candidates {
        let object_name = secret_object_name(name);
        let Some(object) = store::get(call, &object_name).await? else { continue };
        let Some(stored) = record::read(&object) else { continue };
        if stored.name != name || suffix.is_some_and(|s| s != stored.suffix) {
            continue;
        }
        if stored.deletion_date.is_some_and(|date| date <= jiff::Timestamp::now()) {
            store::delete(call, &object_name).await?;
            return Ok(None);
        }
        return Ok(Some(Found { object, stored }));
    }
    Ok(None)
}

async fn existing(call: &Call<'_>, secret_id: &str) -> Result<Found, EcsError> {
    find(call, secret_id).await?.ok_or_else(not_found)
}

/// An existing secret not scheduled for deletion, which the API may change (not a GitOps tool's).
async fn writable(call: &Call<'_>, secret_id: &str) -> Result<Found, EcsError> {
    let found = existing(call, secret_id).await?;
    if found.stored.deletion_date.is_some() {
        return Err(marked_for_deletion());
    }
    refuse_gitops(&found.object.metadata, &format!("The secret {}", found.stored.name))?;
    Ok(found)
}

/// The value a request gives (SecretString or the base64 SecretBinary), if any.
fn value(secret_string: Option<String>, secret_binary: Option<String>) -> Result<Option<Value>, EcsError> {
    match (secret_string, secret_binary) {
        (Some(_), Some(_)) => Err(invalid_parameter(
            "You can't specify both a binary secret value and a string secret value in the same secret.",
        )),
        (Some(s), None) => Ok(Some(Value::String(s))),
        (None, Some(b)) => {
            let bytes: k8s_openapi::ByteString = serde_json::from_value(serde_json::Value::String(b))
                .map_err(|_| invalid_parameter("SecretBinary must be base64-encoded."))?;
            Ok(Some(Value::Binary(bytes.0)))
        }
        (None, None) => Ok(None),
    }
}

fn binary(bytes: &[u8]) -> Option<String> {
    serde_json::to_value(k8s_openapi::ByteString(bytes.to_vec())).ok()?.as_str().map(String::from)
}

fn tag_map(tags: &[wire::Tag]) -> Result<BTreeMap<String, String>, EcsError> {
    let mut out = BTreeMap::new();
    for tag in tags {
        let key =
            tag.key.clone().filter(|k| !k.is_empty()).ok_or_else(|| invalid_parameter("A tag key is required."))?;
        out.insert(key, tag.value.clone().unwrap_or_default());
    }
    Ok(out)
}

fn check_tag_count(tags: &BTreeMap<String, String>) -> Result<(), EcsError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_parameter(format!("A secret can have at most {MAX_TAGS} tags, not {}.", tags.len())));
    }
    Ok(())
}

fn wire_tags(tags: &BTreeMap<String, String>) -> Vec<wire::Tag> {
    tags.iter().map(|(k, v)| wire::Tag { key: Some(k.clone()), value: Some(v.clone()) }).collect()
}

fn stages(stored: &Stored) -> BTreeMap<String, Vec<String>> {
    stored.version_id.iter().map(|id| (id.clone(), vec![CURRENT.to_string()])).collect()
}

pub async fn create(
    call: &Call<'_>,
    request: wire::CreateSecretRequest,
) -> Result<wire::CreateSecretResponse, EcsError> {
    record::check_name(&request.name).map_err(invalid_parameter)?;
    if !request.add_replica_regions.is_empty() {
        return Err(invalid_request("kube-ecs does not replicate secrets: AddReplicaRegions is not supported."));
    }
    let value = value(request.secret_string, request.secret_binary)?;
    let tags = tag_map(&request.tags)?;
    check_tag_count(&tags)?;
    if let Some(found) = find(call, &request.name).await? {
        return Err(if found.stored.deletion_date.is_some() {
            invalid_request(
                "You can't create this secret because a secret with this name is already scheduled for deletion.",
            )
        } else {
            exists(&request.name)
        });
    }
    let now = jiff::Timestamp::now();
    let mut object = record::new_object(&request.name, &record::new_suffix(), now);
    store::set_annotation(&mut object, record::DESCRIPTION, request.description.clone());
    store::set_annotation(&mut object, record::KMS_KEY_ID, request.kms_key_id.clone());
    store::set_tags(&mut object, record::TAGS, &tags);
    let version_id =
        value.as_ref().map(|_| request.client_request_token.clone().unwrap_or_else(crate::ids::request_id));
    if let (Some(value), Some(version_id)) = (&value, &version_id) {
        record::set_value(&mut object, value, version_id, now);
    }
    let object_name = secret_object_name(&request.name);
    let Some(created) = store::create(call, &object).await? else {
        // Taken between the look-up and the create, or by a Secret that holds no secret of this name.
        let holder = store::get(call, &object_name).await?.and_then(|o| record::read(&o));
        return Err(match holder {
            Some(stored) if stored.name == request.name => exists(&request.name),
            _ => object_taken(&request.name, &object_name),
        });
    };
    let stored = record::read(&created).ok_or_else(|| EcsError::server("the created Secret does not read back"))?;
    Ok(wire::CreateSecretResponse {
        arn: Some(arn(call, &stored)),
        name: Some(stored.name.clone()),
        version_id,
        replication_status: Vec::new(),
    })
}

pub async fn get_value(
    call: &Call<'_>,
    request: wire::GetSecretValueRequest,
) -> Result<wire::GetSecretValueResponse, EcsError> {
    let Found { stored, .. } = existing(call, &request.secret_id).await?;
    if stored.deletion_date.is_some() {
        return Err(marked_for_deletion());
    }
    // Only the current version is kept: any other version or stage is not found.
    if let Some(id) = request.version_id.as_deref().filter(|id| stored.version_id.as_deref() != Some(id)) {
        return Err(super::errors::version_not_found("VersionId", id));
    }
    if let Some(stage) = request.version_stage.as_deref().filter(|s| *s != CURRENT) {
        return Err(super::errors::version_not_found("staging label", stage));
    }
    let Some(version_id) = stored.version_id.clone() else {
        return Err(super::errors::version_not_found("staging label", CURRENT));
    };
    Ok(wire::GetSecretValueResponse {
        arn: Some(arn(call, &stored)),
        name: Some(stored.name.clone()),
        version_id: Some(version_id),
        secret_binary: stored.secret_binary.as_deref().and_then(binary),
        secret_string: stored.secret_string.clone(),
        version_stages: vec![CURRENT.to_string()],
        created_date: Some(at(stored.version_created)),
    })
}

/// Makes `value` the secret's new current version (the same token and value again is a no-op, as
/// Secrets Manager's idempotent retries; the same token with another value is refused).
async fn new_version(
    call: &Call<'_>,
    found: Found,
    value: &Value,
    token: Option<String>,
) -> Result<(Stored, String), EcsError> {
    if let Some(token) = &token
        && found.stored.version_id.as_ref() == Some(token)
    {
        if value.matches(&found.stored) {
            return Ok((found.stored, token.clone()));
        }
        return Err(super::errors::exists_version());
    }
    let version_id = token.unwrap_or_else(crate::ids::request_id);
    let mut object = found.object;
    record::set_value(&mut object, value, &version_id, jiff::Timestamp::now());
    let replaced = store::replace(call, &object).await?;
    let stored = record::read(&replaced).ok_or_else(|| EcsError::server("the replaced Secret does not read back"))?;
    Ok((stored, version_id))
}

pub async fn put_value(
    call: &Call<'_>,
    request: wire::PutSecretValueRequest,
) -> Result<wire::PutSecretValueResponse, EcsError> {
    if request.version_stages.iter().any(|s| s != CURRENT) {
        return Err(invalid_request(format!(
            "kube-ecs keeps only the current version of a secret: VersionStages may only be {CURRENT}."
        )));
    }
    let value = value(request.secret_string, request.secret_binary)?
        .ok_or_else(|| invalid_request("You must provide either SecretString or SecretBinary."))?;
    let found = writable(call, &request.secret_id).await?;
    let (stored, version_id) = new_version(call, found, &value, request.client_request_token).await?;
    Ok(wire::PutSecretValueResponse {
        arn: Some(arn(call, &stored)),
        name: Some(stored.name.clone()),
        version_id: Some(version_id),
        version_stages: vec![CURRENT.to_string()],
    })
}

pub async fn update(
    call: &Call<'_>,
    request: wire::UpdateSecretRequest,
) -> Result<wire::UpdateSecretResponse, EcsError> {
    let value = value(request.secret_string, request.secret_binary)?;
    let mut found = writable(call, &request.secret_id).await?;
    if request.description.is_some() || request.kms_key_id.is_some() {
        if let Some(description) = request.description {
            store::set_annotation(&mut found.object, record::DESCRIPTION, Some(description));
        }
        if let Some(key) = request.kms_key_id {
            store::set_annotation(&mut found.object, record::KMS_KEY_ID, Some(key));
        }
        store::set_annotation(
            &mut found.object,
            record::LAST_CHANGED,
            Some(store::format_time(jiff::Timestamp::now())),
        );
        if value.is_none() {
            found.object = store::replace(call, &found.object).await?;
            found.stored = record::read(&found.object).unwrap_or(found.stored);
        }
    }
    let (stored, version_id) = match value {
        Some(value) => {
            let (stored, id) = new_version(call, found, &value, request.client_request_token).await?;
            (stored, Some(id))
        }
        None => (found.stored, None),
    };
    Ok(wire::UpdateSecretResponse { arn: Some(arn(call, &stored)), name: Some(stored.name.clone()), version_id })
}

pub async fn describe(
    call: &Call<'_>,
    request: wire::DescribeSecretRequest,
) -> Result<wire::DescribeSecretResponse, EcsError> {
    let Found { stored, .. } = existing(call, &request.secret_id).await?;
    Ok(wire::DescribeSecretResponse {
        arn: Some(arn(call, &stored)),
        name: Some(stored.name.clone()),
        description: stored.description.clone(),
        kms_key_id: stored.kms_key_id.clone(),
        last_changed_date: Some(at(stored.last_changed)),
        deleted_date: stored.deletion_date.map(at),
        tags: wire_tags(&stored.tags),
        version_ids_to_stages: stages(&stored),
        created_date: Some(at(stored.created)),
        ..Default::default()
    })
}

pub async fn list(call: &Call<'_>, request: wire::ListSecretsRequest) -> Result<wire::ListSecretsResponse, EcsError> {
    let now = jiff::Timestamp::now();
    let include_deleted = request.include_planned_deletion.unwrap_or(false);
    let mut secrets = Vec::new();
    for object in store::list(call).await? {
        let Some(stored) = record::read(&object) else { continue };
        // Past its recovery window: deleted now, as a look-up would (one gone already is fine).
        if stored.deletion_date.is_some_and(|date| date <= now) {
            if let Some(name) = object.metadata.name.as_deref() {
                store::delete(call, name).await?;
            }
            continue;
        }
        if (stored.deletion_date.is_none() || include_deleted) && filters::matches(&request.filters, &stored) {
            secrets.push(stored);
        }
    }
    // ListSecrets sorts by creation date (SortOrder, newest first by default); the name breaks ties.
    let descending = request.sort_order.as_deref() != Some("asc");
    let key = |s: &Stored| format!("{:020}/{}", s.created.as_second(), s.name);
    let (page, next_token) = crate::pagination::page_by(
        secrets,
        key,
        request.max_results,
        request.next_token.as_deref(),
        (100, 100),
        descending,
    )?;
    let secret_list = page
        .iter()
        .map(|stored| wire::SecretListEntry {
            arn: Some(arn(call, stored)),
            name: Some(stored.name.clone()),
            description: stored.description.clone(),
            kms_key_id: stored.kms_key_id.clone(),
            last_changed_date: Some(at(stored.last_changed)),
            deleted_date: stored.deletion_date.map(at),
            tags: wire_tags(&stored.tags),
            secret_versions_to_stages: stages(stored),
            created_date: Some(at(stored.created)),
            ..Default::default()
        })
        .collect();
    Ok(wire::ListSecretsResponse { secret_list, next_token })
}

pub async fn delete(
    call: &Call<'_>,
    request: wire::DeleteSecretRequest,
) -> Result<wire::DeleteSecretResponse, EcsError> {
    let force = request.force_delete_without_recovery.unwrap_or(false);
    if force && request.recovery_window_in_days.is_some() {
        return Err(invalid_parameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        ));
    }
    let days = request.recovery_window_in_days.unwrap_or(DEFAULT_RECOVERY_DAYS);
    if !(7..=30).contains(&days) {
        return Err(invalid_parameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."));
    }
    let Found { mut object, stored } = existing(call, &request.secret_id).await?;
    refuse_gitops(&object.metadata, &format!("The secret {}", stored.name))?;
    let now = jiff::Timestamp::now();
    let deletion_date = if force {
        store::delete(call, object.metadata.name.as_deref().unwrap_or_default()).await?;
        now
    } else {
        if stored.deletion_date.is_some() {
            return Err(invalid_request(
                "You can't perform this operation on the secret because it was already scheduled for deletion.",
            ));
        }
        let date = now
            .checked_add(jiff::SignedDuration::from_hours(24 * days))
            .map_err(|e| EcsError::server(format!("the deletion date: {e}")))?;
        store::set_annotation(&mut object, record::DELETION_DATE, Some(store::format_time(date)));
        store::replace(call, &object).await?;
        date
    };
    Ok(wire::DeleteSecretResponse {
        arn: Some(arn(call, &stored)),
        name: Some(stored.name.clone()),
        deletion_date: Some(at(deletion_date)),
    })
}

pub async fn tag(call: &Call<'_>, request: wire::TagResourceRequest) -> Result<serde_json::Value, EcsError> {
    let Found { mut object, stored } = writable(call, &request.secret_id).await?;
    let mut tags = stored.tags;
    tags.extend(tag_map(&request.tags)?);
    check_tag_count(&tags)?;
    store::set_tags(&mut object, record::TAGS, &tags);
    store::replace(call, &object).await?;
    Ok(serde_json::json!({}))
}

pub async fn untag(call: &Call<'_>, request: wire::UntagResourceRequest) -> Result<serde_json::Value, EcsError> {
    let Found { mut object, stored } = writable(call, &request.secret_id).await?;
    let mut tags = stored.tags;
    for key in &request.tag_keys {
        tags.remove(key);
    }
    store::set_tags(&mut object, record::TAGS, &tags);
    store::replace(call, &object).await?;
    Ok(serde_json::json!({}))
}
