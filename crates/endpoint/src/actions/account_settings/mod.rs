//! PutAccountSetting, PutAccountSettingDefault, ListAccountSettings, DeleteAccountSetting: ECS's
//! account settings, kept in the ConfigMap `kube-ecs-account-settings` of the caller's namespace
//! (the key's namespace is its account), per principal ([`principal`]) and as the account default,
//! with ECS's names, values and defaults ([`catalog`]).
//!
//! The one setting with an effect is `containerInsights`: [`cluster_insights_default`] gives
//! CreateCluster the caller's value (or the account default) as the new cluster's default. The others are kept and
//! listed but change nothing: kube-ecs's ARNs are always the long format, it has no ENI trunking,
//! Fargate, GuardDuty or log-driver choice to make (docs/ecs-api.md lists each).

mod catalog;
mod principal;

use std::collections::BTreeMap;

use kube_ecs_wire as wire;

use super::namespace_store::Store;
use crate::call::Call;
use crate::error::{EcsError, ErrorCode};
use crate::pagination::page;
use catalog::{SETTINGS, SettingSpec};
use principal::Principal;

/// The ConfigMap holding the account settings of a namespace.
pub const CONFIG_MAP: &str = "kube-ecs-account-settings";

fn store<'c, 'a>(call: &'c Call<'a>) -> Store<'c, 'a> {
    Store::new(call, CONFIG_MAP)
}

/// A setting as ECS answers it.
fn rendered(call: &Call<'_>, spec: &SettingSpec, value: &str, principal: &Principal) -> wire::Setting {
    wire::Setting {
        name: Some(spec.name.into()),
        value: Some(value.into()),
        principal_arn: Some(principal.arn(&call.endpoint.config.account)),
        // ECS: GuardDuty's setting is the one AWS manages; the others are the user's.
        r#type: Some(if spec.read_only { "aws_managed" } else { "user" }.into()),
    }
}

/// The stored value of `principal`'s `setting`, if set.
fn stored<'m>(
    map: &'m BTreeMap<String, String>,
    principal: &Principal,
    setting: &str,
) -> Result<Option<&'m String>, EcsError> {
    Ok(map.get(&principal.key(setting)?))
}

async fn put_for(call: &Call<'_>, name: &str, value: &str, principal: Principal) -> Result<wire::Setting, EcsError> {
    let spec = catalog::check_put(name, value, principal == Principal::Root)?;
    store(call).write(&principal.key(spec.name)?, Some(value)).await?;
    Ok(rendered(call, spec, value, &principal))
}

pub async fn put(
    call: &Call<'_>,
    input: wire::PutAccountSettingRequest,
    _raw: &serde_json::Value,
) -> Result<wire::PutAccountSettingResponse, EcsError> {
    let principal = Principal::parse(input.principal_arn.as_deref(), &call.key.username)?;
    let setting = put_for(call, &input.name, &input.value, principal).await?;
    Ok(wire::PutAccountSettingResponse { setting: Some(setting) })
}

pub async fn put_default(
    call: &Call<'_>,
    input: wire::PutAccountSettingDefaultRequest,
    _raw: &serde_json::Value,
) -> Result<wire::PutAccountSettingDefaultResponse, EcsError> {
    let setting = put_for(call, &input.name, &input.value, Principal::Root).await?;
    Ok(wire::PutAccountSettingDefaultResponse { setting: Some(setting) })
}

pub async fn delete(
    call: &Call<'_>,
    input: wire::DeleteAccountSettingRequest,
    _raw: &serde_json::Value,
) -> Result<wire::DeleteAccountSettingResponse, EcsError> {
    let principal = Principal::parse(input.principal_arn.as_deref(), &call.key.username)?;
    let spec = catalog::setting(&input.name)?;
    let store = store(call);
    let map = store.read().await?;
    let key = principal.key(spec.name)?;
    // ECS answers with the setting as it was; one never set reads as ECS's default.
    let value = map.get(&key).cloned().unwrap_or_else(|| spec.default.to_string());
    store.write(&key, None).await?;
    Ok(wire::DeleteAccountSettingResponse { setting: Some(rendered(call, spec, &value, &principal)) })
}

pub async fn list(
    call: &Call<'_>,
    input: wire::ListAccountSettingsRequest,
    _raw: &serde_json::Value,
) -> Result<wire::ListAccountSettingsResponse, EcsError> {
    let principal = Principal::parse(input.principal_arn.as_deref(), &call.key.username)?;
    let only = input.name.as_deref().map(catalog::setting).transpose()?;
    let map = store(call).read().await?;
    let effective = input.effective_settings.unwrap_or(false);
    let mut settings = BTreeMap::new();
    for spec in SETTINGS.iter().filter(|s| only.is_none_or(|o| o.name == s.name)) {
        let own = stored(&map, &principal, spec.name)?.map(|v| (v.clone(), principal.clone()));
        let found = match own {
            Some(found) => Some(found),
            // Without effectiveSettings ECS lists only what the principal itself set.
            None if !effective => None,
            None => Some(match stored(&map, &Principal::Root, spec.name)? {
                Some(v) => (v.clone(), Principal::Root),
                None => (spec.default.to_string(), Principal::Root),
            }),
        };
        if let Some((value, whose)) = found
            && input.value.as_deref().is_none_or(|v| v == value)
        {
            settings.insert(spec.name.to_string(), rendered(call, spec, &value, &whose));
        }
    }
    let names = settings.keys().cloned().collect();
    let (names, next_token) = page(names, input.max_results, input.next_token.as_deref(), 10, 10)?;
    let settings = names.iter().filter_map(|n| settings.remove(n)).collect();
    Ok(wire::ListAccountSettingsResponse { settings, next_token })
}

/// The value of the account setting `name` in effect for the caller: its own, else the account
/// default; None when neither is set (ECS's built-in default applies: the caller knows it). For
/// other actions' defaults (CreateCluster's containerInsights): an identity that may not read the
/// settings ConfigMap, or a namespace without one, has no settings, so those actions keep working
/// without the ConfigMap's RBAC.
async fn effective(call: &Call<'_>, name: &str) -> Result<Option<String>, EcsError> {
    let map = match store(call).read().await {
        Ok(map) => map,
        Err(e) if e.code == ErrorCode::AccessDeniedException => return Ok(None),
        Err(e) => return Err(e),
    };
    let own = Principal::User(call.key.username.clone());
    for principal in [own, Principal::Root] {
        if let Some(value) = stored(&map, &principal, name)? {
            return Ok(Some(value.clone()));
        }
    }
    Ok(None)
}

/// The containerInsights default of a cluster CreateCluster makes for the caller (None: ECS's
/// default, disabled). The cluster keeps the value as set (`enhanced` exports what `enabled` does).
pub async fn cluster_insights_default(call: &Call<'_>) -> Result<Option<String>, EcsError> {
    effective(call, "containerInsights").await
}
