//! An SSM parameter as its Kubernetes Secret holds it (pure): the value under `Value`
//! (`kube_ecs_domain::secrets`), the rest in annotations (`ssm.kube-ecs.dev/...`): type, version,
//! when and by whom it was last changed, description, KMS key, allowed pattern, tier, data type and
//! tags. A Secret made with kubectl (no label, a `Value` key) is a `String` parameter at version 1
//! named after the object. Also SSM's name rules and hierarchy matching.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube_ecs_domain::secrets::{self as convention, NAME_ANNOTATION, PARAMETER_VALUE_KEY, SERVICE_LABEL, SSM};

use crate::actions::secret_store as store;

pub const TYPE: &str = "ssm.kube-ecs.dev/type";
pub const VERSION: &str = "ssm.kube-ecs.dev/version";
pub const LAST_MODIFIED: &str = "ssm.kube-ecs.dev/last-modified-date";
pub const LAST_MODIFIED_USER: &str = "ssm.kube-ecs.dev/last-modified-user";
pub const DESCRIPTION: &str = "ssm.kube-ecs.dev/description";
pub const KEY_ID: &str = "ssm.kube-ecs.dev/key-id";
pub const ALLOWED_PATTERN: &str = "ssm.kube-ecs.dev/allowed-pattern";
pub const TIER: &str = "ssm.kube-ecs.dev/tier";
pub const DATA_TYPE: &str = "ssm.kube-ecs.dev/data-type";
pub const TAGS: &str = "ssm.kube-ecs.dev/tags";

/// SSM's default key for SecureString parameters.
pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";
/// Value limits of the tiers, in characters.
pub const STANDARD_MAX: usize = 4096;
pub const ADVANCED_MAX: usize = 8192;
/// Most levels a hierarchical name may have.
pub const MAX_LEVELS: usize = 15;

#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub name: String,
    pub type_: String,
    pub value: String,
    pub version: i64,
    pub last_modified: jiff::Timestamp,
    pub last_modified_user: Option<String>,
    pub description: Option<String>,
    pub key_id: Option<String>,
    pub allowed_pattern: Option<String>,
    pub tier: String,
    pub data_type: String,
    pub tags: BTreeMap<String, String>,
}

/// The parameter `object` holds, if it holds one.
pub fn read(object: &Secret) -> Option<Stored> {
    match store::label(object, SERVICE_LABEL) {
        Some(SSM) => {}
        None if store::has_key(object, PARAMETER_VALUE_KEY) => {}
        _ => return None,
    }
    Some(Stored {
        name: store::annotation(object, NAME_ANNOTATION)
            .map(String::from)
            .or_else(|| object.metadata.name.clone())
            .unwrap_or_default(),
        type_: store::annotation(object, TYPE).unwrap_or("String").to_string(),
        value: store::text(object, PARAMETER_VALUE_KEY).unwrap_or_default(),
        version: store::annotation(object, VERSION).and_then(|v| v.parse().ok()).unwrap_or(1),
        last_modified: store::time(object, LAST_MODIFIED).unwrap_or_else(|| store::created(object)),
        last_modified_user: store::annotation(object, LAST_MODIFIED_USER).map(String::from),
        description: store::annotation(object, DESCRIPTION).map(String::from),
        key_id: store::annotation(object, KEY_ID).map(String::from),
        allowed_pattern: store::annotation(object, ALLOWED_PATTERN).map(String::from),
        tier: store::annotation(object, TIER).unwrap_or("Standard").to_string(),
        data_type: store::annotation(object, DATA_TYPE).unwrap_or("text").to_string(),
        tags: store::tags(object, TAGS),
    })
}

/// Writes `stored` into `object` (a new one, or the one it was read from): its value replaces the
/// data whole.
pub fn write(object: &mut Secret, stored: &Stored) {
    object.metadata.name = Some(convention::parameter_object_name(&stored.name));
    object.metadata.labels.get_or_insert_with(BTreeMap::new).insert(SERVICE_LABEL.into(), SSM.into());
    object.type_.get_or_insert_with(|| "Opaque".into());
    object.data = Some(store::data([(PARAMETER_VALUE_KEY.to_string(), stored.value.clone().into_bytes())]));
    object.string_data = None;
    let set = |object: &mut Secret, key: &str, value: Option<&str>| {
        store::set_annotation(object, key, value.map(String::from))
    };
    set(object, NAME_ANNOTATION, Some(&stored.name));
    set(object, TYPE, Some(&stored.type_));
    set(object, VERSION, Some(&stored.version.to_string()));
    set(object, LAST_MODIFIED, Some(&store::format_time(stored.last_modified)));
    set(object, LAST_MODIFIED_USER, stored.last_modified_user.as_deref());
    set(object, DESCRIPTION, stored.description.as_deref());
    set(object, KEY_ID, stored.key_id.as_deref());
    set(object, ALLOWED_PATTERN, stored.allowed_pattern.as_deref());
    set(object, TIER, Some(&stored.tier));
    set(object, DATA_TYPE, Some(&stored.data_type));
    store::set_tags(object, TAGS, &stored.tags);
}

/// `arn:aws:ssm:<region>:<account>:parameter/a/b` for `/a/b`, `parameter/a` for `a`.
pub fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:ssm:{region}:{account}:parameter/{}", name.trim_start_matches('/'))
}

/// A name a request gives (name, ARN, with a `:version` or `:label` selector) as (name, selector).
pub fn reference(value: &str) -> (String, Option<&str>) {
    let (body, selector) = if let Some(arn_tail) = value.strip_prefix("arn:") {
        // The selector follows the ARN's resource part (`parameter/a/b:3`).
        match arn_tail.splitn(5, ':').nth(4).and_then(|rest| rest.split_once(':')) {
            Some((_, selector)) => (&value[..value.len() - selector.len() - 1], Some(selector)),
            None => (value, None),
        }
    } else {
        match value.split_once(':') {
            Some((name, selector)) => (name, Some(selector)),
            None => (value, None),
        }
    };
    let name = convention::parse_parameter_arn(body).unwrap_or_else(|| body.to_string());
    (name, selector)
}

/// SSM's name rules, as the messages of its ValidationException or the error type it uses.
pub fn check_name(name: &str) -> Result<(), NameError> {
    let valid = |c: char| c.is_ascii_alphanumeric() || "_.-/".contains(c);
    if !name.chars().all(valid) {
        return Err(NameError::Pattern(
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it \
             can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, \
             numbers and the following 3 symbols .-_"
                .into(),
        ));
    }
    let first = name.trim_start_matches('/').to_ascii_lowercase();
    if first.starts_with("aws") || first.starts_with("ssm") {
        return Err(NameError::Validation(
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).".into(),
        ));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(NameError::Validation("Parameter name must be a fully qualified name.".into()));
    }
    if name.ends_with('/') || name.contains("//") {
        return Err(NameError::Validation(
            "Parameter name must be a fully qualified name: no empty levels and no trailing slash.".into(),
        ));
    }
    if name.matches('/').count() > MAX_LEVELS {
        return Err(NameError::Levels(format!(
            "A hierarchy can have a maximum of {MAX_LEVELS} levels. For more information, see Requirements and \
             constraints for parameter names in the AWS Systems Manager User Guide."
        )));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    Validation(String),
    Pattern(String),
    Levels(String),
}

/// Whether the parameter `name` is under `path` (`/a` or `/a/`): directly, or at any depth when
/// `recursive`.
pub fn under(name: &str, path: &str, recursive: bool) -> bool {
    let prefix = if path.ends_with('/') { path.to_string() } else { format!("{path}/") };
    match name.strip_prefix(&prefix) {
        Some(rest) => !rest.is_empty() && (recursive || !rest.contains('/')),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn references() {
        let cases = [
            ("/prod/db", ("/prod/db", None)),
            ("/prod/db:3", ("/prod/db", Some("3"))),
            ("token", ("token", None)),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/prod/db", ("/prod/db", None)),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/prod/db:2", ("/prod/db", Some("2"))),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/token", ("token", None)),
        ];
        for (value, (name, selector)) in cases {
            assert_eq!(reference(value), (name.to_string(), selector), "{value}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(check_name("/prod/db/password"), Ok(()));
        assert_eq!(check_name("token"), Ok(()));
        assert!(matches!(check_name("/aws/x"), Err(NameError::Validation(_))));
        assert!(matches!(check_name("SSM-x"), Err(NameError::Validation(_))));
        assert!(matches!(check_name("prod/db"), Err(NameError::Validation(_))));
        assert!(matches!(check_name("/prod/"), Err(NameError::Validation(_))));
        assert!(matches!(check_name("/a b"), Err(NameError::Pattern(_))));
        let deep = "/l".repeat(16);
        assert!(matches!(check_name(&deep), Err(NameError::Levels(_))));
        assert_eq!(check_name(&"/l".repeat(15)), Ok(()));
    }

    #[test]
    fn hierarchy() {
        let cases = [
            ("/prod/db", "/prod", false, true),
            ("/prod/db/password", "/prod", false, false),
            ("/prod/db/password", "/prod", true, true),
            ("/prod/db/password", "/prod/", true, true),
            ("/production/x", "/prod", true, false),
            ("/prod", "/prod", true, false),
            ("/x", "/", false, true),
            ("/x/y", "/", false, false),
            ("token", "/", true, false),
        ];
        for (name, path, recursive, want) in cases {
            assert_eq!(under(name, path, recursive), want, "{name} under {path} recursive={recursive}");
        }
    }

    #[test]
    fn a_parameter_round_trips_through_its_secret() {
        let stored = Stored {
            name: "/prod/api-key".into(),
            type_: "SecureString".into(),
            value: "s3cr3t".into(),
            version: 2,
            last_modified: jiff::Timestamp::from_second(100).unwrap(),
            last_modified_user: Some("arn:aws:iam::123456789012:user/ci".into()),
            description: None,
            key_id: Some(DEFAULT_KEY_ID.into()),
            allowed_pattern: None,
            tier: "Standard".into(),
            data_type: "text".into(),
            tags: [("team".to_string(), "a".to_string())].into(),
        };
        let mut object = Secret::default();
        write(&mut object, &stored);
        assert_eq!(object.metadata.name.as_deref(), Some(convention::parameter_object_name("/prod/api-key").as_str()));
        assert_eq!(store::text(&object, "Value").as_deref(), Some("s3cr3t"));
        assert_eq!(read(&object), Some(stored));
        assert_eq!(arn("us-east-1", "1", "/prod/api-key"), "arn:aws:ssm:us-east-1:1:parameter/prod/api-key");
        assert_eq!(arn("us-east-1", "1", "token"), "arn:aws:ssm:us-east-1:1:parameter/token");
    }
}
