//! A Secrets Manager secret as its Kubernetes Secret holds it (pure): the value under the data keys
//! of `kube_ecs_domain::secrets` (`SecretString` and one key per top-level JSON member, or
//! `SecretBinary`), the rest in annotations (`secretsmanager.kube-ecs.dev/...`): the ARN's six
//! characters, the current version's ID and date, description, KMS key, tags, when it was last
//! changed and when it is to be deleted. A Secret made with kubectl (no label, a `SecretString` or
//! `SecretBinary` key) is a secret too: its name is the object's, its suffix and version ID are
//! derived from its uid and resourceVersion, so they stay put until it changes.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube_ecs_domain::secrets::{
    self as convention, NAME_ANNOTATION, SECRET_BINARY_KEY, SECRET_STRING_KEY, SECRETS_MANAGER, SERVICE_LABEL,
};

use crate::actions::secret_store as store;

pub const SUFFIX: &str = "secretsmanager.kube-ecs.dev/arn-suffix";
pub const VERSION_ID: &str = "secretsmanager.kube-ecs.dev/version-id";
pub const VERSION_CREATED: &str = "secretsmanager.kube-ecs.dev/version-created-date";
pub const DESCRIPTION: &str = "secretsmanager.kube-ecs.dev/description";
pub const KMS_KEY_ID: &str = "secretsmanager.kube-ecs.dev/kms-key-id";
pub const TAGS: &str = "secretsmanager.kube-ecs.dev/tags";
pub const LAST_CHANGED: &str = "secretsmanager.kube-ecs.dev/last-changed-date";
/// When a secret DeleteSecret scheduled for deletion goes (its recovery window's end).
pub const DELETION_DATE: &str = "secretsmanager.kube-ecs.dev/deletion-date";

/// The one staging label kube-ecs keeps: the current version's.
pub const CURRENT: &str = "AWSCURRENT";

/// What the API answers about a secret.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub name: String,
    pub suffix: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    /// None: the secret has no value yet (CreateSecret without one).
    pub version_id: Option<String>,
    pub version_created: jiff::Timestamp,
    pub created: jiff::Timestamp,
    pub last_changed: jiff::Timestamp,
    pub deletion_date: Option<jiff::Timestamp>,
    pub tags: BTreeMap<String, String>,
    pub secret_string: Option<String>,
    pub secret_binary: Option<Vec<u8>>,
}

/// The secret `object` holds, if it holds one (an SSM parameter or another Secret does not).
pub fn read(object: &Secret) -> Option<Stored> {
    let has_value = store::has_key(object, SECRET_STRING_KEY) || store::has_key(object, SECRET_BINARY_KEY);
    match store::label(object, SERVICE_LABEL) {
        Some(SECRETS_MANAGER) => {}
        None if has_value => {}
        _ => return None,
    }
    let created = store::created(object);
    let version_created = store::time(object, VERSION_CREATED).unwrap_or(created);
    let version_id = match store::annotation(object, VERSION_ID) {
        Some(id) => Some(id.to_string()),
        None => has_value.then(|| store::stable_version_id(object)),
    };
    Some(Stored {
        name: store::annotation(object, NAME_ANNOTATION)
            .map(String::from)
            .or_else(|| object.metadata.name.clone())
            .unwrap_or_default(),
        suffix: store::annotation(object, SUFFIX).map(String::from).unwrap_or_else(|| store::stable_suffix(object)),
        description: store::annotation(object, DESCRIPTION).map(String::from),
        kms_key_id: store::annotation(object, KMS_KEY_ID).map(String::from),
        version_id,
        version_created,
        created,
        last_changed: store::time(object, LAST_CHANGED).unwrap_or(version_created),
        deletion_date: store::time(object, DELETION_DATE),
        tags: store::tags(object, TAGS),
        secret_string: store::text(object, SECRET_STRING_KEY),
        secret_binary: store::bytes(object, SECRET_BINARY_KEY),
    })
}

/// A new secret's Secret: labelled, named and annotated, without a value yet ([`set_value`]).
pub fn new_object(name: &str, suffix: &str, now: jiff::Timestamp) -> Secret {
    let mut object = Secret::default();
    object.metadata.name = Some(convention::secret_object_name(name));
    object.metadata.labels = Some([(SERVICE_LABEL.to_string(), SECRETS_MANAGER.to_string())].into());
    object.type_ = Some("Opaque".into());
    store::set_annotation(&mut object, NAME_ANNOTATION, Some(name.to_string()));
    store::set_annotation(&mut object, SUFFIX, Some(suffix.to_string()));
    store::set_annotation(&mut object, LAST_CHANGED, Some(store::format_time(now)));
    object
}

/// Makes `value` the secret's current version `version_id`: the data is replaced whole, so the JSON
/// members of the previous SecretString do not linger as keys.
pub fn set_value(object: &mut Secret, value: &Value, version_id: &str, now: jiff::Timestamp) {
    object.data = Some(value_data(value));
    object.string_data = None;
    store::set_annotation(object, VERSION_ID, Some(version_id.to_string()));
    store::set_annotation(object, VERSION_CREATED, Some(store::format_time(now)));
    store::set_annotation(object, LAST_CHANGED, Some(store::format_time(now)));
}

/// A secret's value, as a request gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    String(String),
    Binary(Vec<u8>),
}

impl Value {
    pub fn matches(&self, stored: &Stored) -> bool {
        match self {
            Value::String(s) => stored.secret_string.as_deref() == Some(s.as_str()),
            Value::Binary(b) => stored.secret_binary.as_deref() == Some(b.as_slice()),
        }
    }
}

/// The data keys of a value: `SecretString` and the JSON members, or `SecretBinary`.
pub fn value_data(value: &Value) -> BTreeMap<String, ByteString> {
    match value {
        Value::String(s) => {
            let members = convention::json_keys(s).into_iter().map(|(k, v)| (k, v.into_bytes()));
            store::data(std::iter::once((SECRET_STRING_KEY.to_string(), s.clone().into_bytes())).chain(members))
        }
        Value::Binary(b) => store::data([(SECRET_BINARY_KEY.to_string(), b.clone())]),
    }
}

/// `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>`.
pub fn arn(region: &str, account: &str, stored: &Stored) -> String {
    format!("arn:aws:secretsmanager:{region}:{account}:secret:{}-{}", stored.name, stored.suffix)
}

/// Six random letters and digits for a new secret's ARN, as Secrets Manager appends.
pub fn new_suffix() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let seed = crate::ids::task_id();
    seed.as_bytes()
        .chunks(2)
        .take(6)
        .map(|pair| ALPHABET[(pair[0] as usize * 7 + pair[1] as usize) % 62] as char)
        .collect()
}

/// Secrets Manager's name rule: 1-512 of letters, digits and `/_+=.@-`.
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
    if name.is_empty() || name.len() > 512 || !name.chars().all(valid) {
        return Err("Invalid name. Must be a valid name containing alphanumeric characters, or any of the \
                    following: -/_+=.@!"
            .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn at(seconds: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn a_json_secret_string_is_kept_whole_and_by_member() {
        let mut object = new_object("prod/db", "AbCdEf", at(100));
        set_value(&mut object, &Value::String(r#"{"username":"app","port":5432}"#.into()), "v1", at(200));
        let keys: Vec<&str> = object.data.as_ref().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["SecretString", "port", "username"]);
        assert_eq!(object.metadata.name.as_deref(), Some(convention::secret_object_name("prod/db").as_str()));
        let stored = read(&object).expect("a secret");
        assert_eq!(
            (stored.name.as_str(), stored.suffix.as_str(), stored.version_id.as_deref()),
            ("prod/db", "AbCdEf", Some("v1"))
        );
        assert_eq!(stored.secret_string.as_deref(), Some(r#"{"username":"app","port":5432}"#));
        assert_eq!((stored.version_created, stored.last_changed), (at(200), at(200)));
        assert_eq!(
            arn("us-east-1", "123456789012", &stored),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
        );

        // A new value replaces the members of the old one.
        set_value(&mut object, &Value::String("plain".into()), "v2", at(300));
        let keys: Vec<&str> = object.data.as_ref().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["SecretString"]);
    }

    #[test]
    fn which_secrets_hold_a_secret() {
        let kubectl = |key: &str| {
            let mut object = Secret::default();
            object.metadata.name = Some("db".into());
            object.metadata.uid = Some("u".into());
            object.data = Some(store::data([(key.to_string(), b"x".to_vec())]));
            object
        };
        let made = read(&kubectl("SecretString")).expect("a kubectl-made secret in the documented shape");
        assert_eq!((made.name.as_str(), made.suffix.len()), ("db", 6));
        assert!(made.version_id.is_some());
        assert!(read(&kubectl("password")).is_none(), "another Secret");
        assert!(read(&kubectl("Value")).is_none(), "an SSM parameter's shape");
        let mut parameter = kubectl("SecretString");
        parameter.metadata.labels = Some([(SERVICE_LABEL.to_string(), "ssm".to_string())].into());
        assert!(read(&parameter).is_none(), "labelled for SSM");
        assert!(read(&new_object("empty", "AbCdEf", at(1))).is_some_and(|s| s.version_id.is_none()));
    }

    #[test]
    fn names() {
        for (name, ok) in [("prod/db", true), ("a+b=c.d@e_f-g", true), ("", false), ("a b", false), ("a:b", false)] {
            assert_eq!(check_name(name).is_ok(), ok, "{name}");
        }
        assert!(check_name(&"a".repeat(513)).is_err());
        let suffix = new_suffix();
        assert_eq!(suffix.len(), 6);
        assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
