//! Parameter Store's actions over the caller's Secrets ([`record`] says how a parameter is kept).
//! A parameter is named by its name or ARN, with an optional `:version` selector; only the current
//! version is kept, so another version is `ParameterVersionNotFound`.

use k8s_openapi::api::core::v1::Secret;
use kube_ecs_domain::secrets::parameter_object_name;
use kube_ecs_wire::Timestamp;
use kube_ecs_wire::ssm as wire;

use super::errors::{already_exists, not_found, object_taken, validation, version_not_found};
use super::filters;
use super::record::{self, NameError, Stored};
use crate::actions::secret_store as store;
use crate::call::{Call, refuse_gitops};
use crate::error::{EcsError, ErrorCode};

struct Found {
    object: Secret,
    stored: Stored,
}

fn arn(call: &Call<'_>, name: &str) -> String {
    let config = &call.endpoint.config;
    record::arn(&config.region, &config.account, name)
}

/// The parameter a request names, if the caller's namespace has it; with the selector it gave.
async fn find(call: &Call<'_>, reference: &str) -> Result<(Option<Found>, String, Option<String>), EcsError> {
    let (name, selector) = record::reference(reference);
    let selector = selector.map(String::from);
    let Some(object) = store::get(call, &parameter_object_name(&name)).await? else {
        return Ok((None, name, selector));
    };
    // `/a` and `a` share a Secret (ARNs do not tell them apart): the stored name decides which it is.
    let found = record::read(&object).filter(|s| s.name == name).map(|stored| Found { object, stored });
    Ok((found, name, selector))
}

/// The parameter with its value as the request may see it: a SecureString without WithDecryption
/// is an opaque token (SSM answers the ciphertext), never the value.
fn parameter(call: &Call<'_>, p: &Stored, selector: Option<String>, decrypt: bool) -> wire::Parameter {
    use sha2::Digest as _;
    let value = if p.type_ == "SecureString" && !decrypt {
        let digest = sha2::Sha256::digest(format!("{}\0{}\0{}", p.name, p.version, p.value).as_bytes());
        serde_json::to_value(k8s_openapi::ByteString(digest.to_vec()))
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    } else {
        p.value.clone()
    };
    wire::Parameter {
        name: Some(p.name.clone()),
        r#type: Some(p.type_.clone()),
        value: Some(value),
        version: Some(p.version),
        selector: selector.map(|s| format!(":{s}")),
        last_modified_date: Some(Timestamp::from(p.last_modified)),
        arn: Some(arn(call, &p.name)),
        data_type: Some(p.data_type.clone()),
        ..Default::default()
    }
}

fn metadata(call: &Call<'_>, p: &Stored) -> wire::ParameterMetadata {
    wire::ParameterMetadata {
        name: Some(p.name.clone()),
        arn: Some(arn(call, &p.name)),
        r#type: Some(p.type_.clone()),
        key_id: p.key_id.clone(),
        last_modified_date: Some(Timestamp::from(p.last_modified)),
        last_modified_user: p.last_modified_user.clone(),
        description: p.description.clone(),
        allowed_pattern: p.allowed_pattern.clone(),
        version: Some(p.version),
        tier: Some(p.tier.clone()),
        policies: Vec::new(),
        data_type: Some(p.data_type.clone()),
    }
}

/// The tier a value needs: Standard holds 4 KB, Advanced 8 KB (Intelligent-Tiering picks).
fn tier(requested: Option<&str>, current: Option<&str>, value: &str) -> Result<String, EcsError> {
    let size = value.chars().count();
    let tier = match requested.or(current).unwrap_or("Standard") {
        "Intelligent-Tiering" if size > record::STANDARD_MAX => "Advanced",
        "Intelligent-Tiering" => current.unwrap_or("Standard"),
        other => other,
    };
    if tier == "Standard" && current == Some("Advanced") && requested == Some("Standard") {
        return Err(validation(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.",
        ));
    }
    if tier == "Standard" && size > record::STANDARD_MAX {
        return Err(validation(format!(
            "Standard tier parameters support a maximum parameter value of {} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.",
            record::STANDARD_MAX
        )));
    }
    if size > record::ADVANCED_MAX {
        return Err(validation(format!(
            "Advanced tier parameters support a maximum parameter value of {} characters.",
            record::ADVANCED_MAX
        )));
    }
    Ok(tier.to_string())
}

pub async fn put(call: &Call<'_>, request: wire::PutParameterRequest) -> Result<wire::PutParameterResult, EcsError> {
    let name = request.name.clone();
    match record::check_name(&name) {
        Ok(()) => {}
        Err(NameError::Validation(m)) => return Err(validation(m)),
        Err(NameError::Pattern(m)) => return Err(EcsError::new(ErrorCode::ParameterPatternMismatchException, m)),
        Err(NameError::Levels(m)) => return Err(EcsError::new(ErrorCode::HierarchyLevelLimitExceededException, m)),
    }
    if request.policies.as_deref().is_some_and(|p| !p.trim().is_empty()) {
        return Err(validation("kube-ecs does not apply parameter policies (expiration, notifications)."));
    }
    let overwrite = request.overwrite.unwrap_or(false);
    if overwrite && !request.tags.is_empty() {
        return Err(validation(
            "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please \
             remove overwrite flag.",
        ));
    }
    let (found, _, _) = find(call, &name).await?;
    let object_name = parameter_object_name(&name);
    let current = found.as_ref().map(|f| &f.stored);
    if current.is_some() && !overwrite {
        return Err(already_exists());
    }
    let Some(type_) = request.r#type.clone().or_else(|| current.map(|c| c.type_.clone())) else {
        return Err(validation("A parameter type is required when you create a parameter."));
    };
    if request.key_id.is_some() && type_ != "SecureString" {
        return Err(validation("KeyId is required for SecureString type parameter only."));
    }
    let tier = tier(request.tier.as_deref(), current.map(|c| c.tier.as_str()), &request.value)?;
    let user = format!("arn:aws:iam::{}:user/{}", call.endpoint.config.account, call.key.username);
    let stored = Stored {
        name: name.clone(),
        value: request.value.clone(),
        version: current.map_or(1, |c| c.version + 1),
        last_modified: jiff::Timestamp::now(),
        last_modified_user: Some(user),
        description: request.description.clone().or_else(|| current.and_then(|c| c.description.clone())),
        key_id: match type_.as_str() {
            "SecureString" => Some(
                request
                    .key_id
                    .clone()
                    .or_else(|| current.and_then(|c| c.key_id.clone()))
                    .unwrap_or(record::DEFAULT_KEY_ID.into()),
            ),
            _ => None,
        },
        allowed_pattern: request.allowed_pattern.clone().or_else(|| current.and_then(|c| c.allowed_pattern.clone())),
        tier: tier.clone(),
        data_type: request.data_type.clone().or_else(|| current.map(|c| c.data_type.clone())).unwrap_or("text".into()),
        tags: match current {
            Some(c) => c.tags.clone(),
            None => request.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
        },
        type_,
    };
    match found {
        Some(Found { mut object, stored: old }) => {
            refuse_gitops(&object.metadata, &format!("The parameter {}", old.name))?;
            record::write(&mut object, &stored);
            store::replace(call, &object).await?;
        }
        None => {
            let mut object = Secret::default();
            record::write(&mut object, &stored);
            if store::create(call, &object).await?.is_none() {
                let holder = store::get(call, &object_name).await?.and_then(|o| record::read(&o));
                return Err(match holder {
                    Some(h) if h.name == name => already_exists(),
                    _ => object_taken(&name, &object_name),
                });
            }
        }
    }
    Ok(wire::PutParameterResult { version: Some(stored.version), tier: Some(tier) })
}

/// The current version of the parameter `reference` names (a selector naming another version is
/// ParameterVersionNotFound).
async fn current(call: &Call<'_>, reference: &str) -> Result<Option<(Stored, Option<String>)>, EcsError> {
    let (found, name, selector) = find(call, reference).await?;
    let Some(found) = found else { return Ok(None) };
    if let Some(selector) = selector.as_deref()
        && selector != found.stored.version.to_string()
    {
        return Err(version_not_found(&name, selector));
    }
    Ok(Some((found.stored, selector)))
}

pub async fn get(call: &Call<'_>, request: wire::GetParameterRequest) -> Result<wire::GetParameterResult, EcsError> {
    let (stored, selector) = current(call, &request.name).await?.ok_or_else(|| not_found(&request.name))?;
    let decrypt = request.with_decryption.unwrap_or(false);
    Ok(wire::GetParameterResult { parameter: Some(parameter(call, &stored, selector, decrypt)) })
}

pub async fn get_many(
    call: &Call<'_>,
    request: wire::GetParametersRequest,
) -> Result<wire::GetParametersResult, EcsError> {
    let decrypt = request.with_decryption.unwrap_or(false);
    let mut result = wire::GetParametersResult::default();
    for name in &request.names {
        match current(call, name).await {
            Ok(Some((stored, selector))) => result.parameters.push(parameter(call, &stored, selector, decrypt)),
            Ok(None) => result.invalid_parameters.push(name.clone()),
            Err(e) if e.code == ErrorCode::ParameterVersionNotFound => result.invalid_parameters.push(name.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok(result)
}

/// Every parameter of the caller's namespace.
async fn all(call: &Call<'_>) -> Result<Vec<Stored>, EcsError> {
    Ok(store::list(call).await?.iter().filter_map(record::read).collect())
}

pub async fn get_by_path(
    call: &Call<'_>,
    request: wire::GetParametersByPathRequest,
) -> Result<wire::GetParametersByPathResult, EcsError> {
    if !request.path.starts_with('/') {
        return Err(validation(
            "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a \
             forward slash \"/\".",
        ));
    }
    filters::check(&request.parameter_filters, true)?;
    let recursive = request.recursive.unwrap_or(false);
    let decrypt = request.with_decryption.unwrap_or(false);
    let matching: Vec<Stored> = all(call)
        .await?
        .into_iter()
        .filter(|p| record::under(&p.name, &request.path, recursive))
        .filter(|p| filters::matches(&request.parameter_filters, &[], p))
        .collect();
    let (page, next_token) = crate::pagination::page_by(
        matching,
        |p| p.name.clone(),
        request.max_results,
        request.next_token.as_deref(),
        (10, 10),
        false,
    )?;
    let parameters = page.iter().map(|p| parameter(call, p, None, decrypt)).collect();
    Ok(wire::GetParametersByPathResult { parameters, next_token })
}

pub async fn describe(
    call: &Call<'_>,
    request: wire::DescribeParametersRequest,
) -> Result<wire::DescribeParametersResult, EcsError> {
    filters::check(&request.parameter_filters, false)?;
    let matching: Vec<Stored> = all(call)
        .await?
        .into_iter()
        .filter(|p| filters::matches(&request.parameter_filters, &request.filters, p))
        .collect();
    let (page, next_token) = crate::pagination::page_by(
        matching,
        |p| p.name.clone(),
        request.max_results,
        request.next_token.as_deref(),
        (10, 50),
        false,
    )?;
    Ok(wire::DescribeParametersResult { parameters: page.iter().map(|p| metadata(call, p)).collect(), next_token })
}

/// Deletes the parameter `name` names; false when there is none.
async fn delete_one(call: &Call<'_>, name: &str) -> Result<bool, EcsError> {
    let (found, _, _) = find(call, name).await?;
    let Some(Found { object, stored }) = found else { return Ok(false) };
    refuse_gitops(&object.metadata, &format!("The parameter {}", stored.name))?;
    store::delete(call, object.metadata.name.as_deref().unwrap_or_default()).await?;
    Ok(true)
}

pub async fn delete(
    call: &Call<'_>,
    request: wire::DeleteParameterRequest,
) -> Result<wire::DeleteParameterResult, EcsError> {
    if delete_one(call, &request.name).await? {
        Ok(wire::DeleteParameterResult {})
    } else {
        Err(not_found(&request.name))
    }
}

pub async fn delete_many(
    call: &Call<'_>,
    request: wire::DeleteParametersRequest,
) -> Result<wire::DeleteParametersResult, EcsError> {
    let mut result = wire::DeleteParametersResult::default();
    for name in &request.names {
        if delete_one(call, name).await? {
            result.deleted_parameters.push(name.clone());
        } else {
            result.invalid_parameters.push(name.clone());
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (requested tier, current tier, value, the tier it gets or the refusal).
    type TierCase<'a> = (Option<&'a str>, Option<&'a str>, &'a str, Result<&'a str, &'a str>);

    #[test]
    fn tiers() {
        let big = "x".repeat(5000);
        let cases: [TierCase; 6] = [
            (None, None, "v", Ok("Standard")),
            (None, None, &big, Err("Standard tier parameters support a maximum parameter value of 4096")),
            (Some("Advanced"), None, &big, Ok("Advanced")),
            (Some("Intelligent-Tiering"), None, &big, Ok("Advanced")),
            (None, Some("Advanced"), "v", Ok("Advanced")),
            (Some("Standard"), Some("Advanced"), "v", Err("can't downgrade")),
        ];
        for (requested, current, value, want) in cases {
            let got = tier(requested, current, value);
            match want {
                Ok(t) => assert_eq!(got.as_deref(), Ok(t)),
                Err(m) => assert!(got.as_ref().unwrap_err().message.contains(m), "{got:?}"),
            }
        }
        assert!(tier(Some("Advanced"), None, &"x".repeat(8193)).is_err());
    }
}
