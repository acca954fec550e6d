//! Where Secrets Manager secrets and SSM parameters live on Kubernetes: one Secret each in the
//! namespace, named from the secret's or parameter's name, with the value under a fixed data key.
//! Both sides read this one convention: the ECS API's Secrets Manager and SSM actions when they store
//! a value, and the task translation when a container's `secrets[].valueFrom` names it, so a value
//! stored through the API is the value a task sees (and a Secret made with kubectl in this shape is
//! visible to both). See docs/secrets.md.
//!
//! - A Secrets Manager secret `NAME` is the Secret `dns_label(NAME)`: `SecretString` holds the whole
//!   string (or `SecretBinary` the bytes), and each top-level member of a JSON object SecretString
//!   whose name is a valid data key has a data key of its own holding its value, so a reference
//!   with a json-key is a plain `secretKeyRef`.
//! - An SSM parameter `/a/b` (or `a`) is the Secret `dns_label("a/b")` (`dns_label("a")`): the leading
//!   `/` goes, so the parameter's ARN (`parameter/a/b`) and its name agree. `Value` holds the value.

use crate::api::names::dns_label;

/// Label of Secrets made by the API: which service's value they hold.
pub const SERVICE_LABEL: &str = "secrets.kube-ecs.dev/service";
/// [`SERVICE_LABEL`] of a Secrets Manager secret.
pub const SECRETS_MANAGER: &str = "secretsmanager";
/// [`SERVICE_LABEL`] of an SSM parameter.
pub const SSM: &str = "ssm";
/// Annotation with the secret's or parameter's own name (object names lose case, `/`, `_`, ...).
pub const NAME_ANNOTATION: &str = "secrets.kube-ecs.dev/name";

/// Data key of a Secrets Manager secret's whole SecretString.
pub const SECRET_STRING_KEY: &str = "SecretString";
/// Data key of a Secrets Manager secret's SecretBinary (the bytes).
pub const SECRET_BINARY_KEY: &str = "SecretBinary";
/// Data key of an SSM parameter's value.
pub const PARAMETER_VALUE_KEY: &str = "Value";

/// Longest Secret name (a DNS subdomain).
const MAX_OBJECT_NAME: usize = 253;

/// The Secret of the Secrets Manager secret `name`.
pub fn secret_object_name(name: &str) -> String {
    dns_label(name, MAX_OBJECT_NAME)
}

/// The Secret of the SSM parameter `name` (`/a/b`, `a`, or the ARN's `a/b`).
pub fn parameter_object_name(name: &str) -> String {
    dns_label(name.trim_start_matches('/'), MAX_OBJECT_NAME)
}

/// Whether `key` can be a data key of a Secret (`[-._a-zA-Z0-9]+`, at most 253, not `.` or `..`):
/// JSON members whose names are not get no data key of their own.
pub fn is_data_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_OBJECT_NAME
        && key != "."
        && key != ".."
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

/// The data keys of a SecretString besides [`SECRET_STRING_KEY`]: one per top-level member of a
/// JSON object whose name is a data key (strings as they are, other values as their JSON text, as
/// ECS gives a json-key's value). Any other SecretString has none.
pub fn json_keys(secret_string: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(members)) = serde_json::from_str::<serde_json::Value>(secret_string) else {
        return Vec::new();
    };
    members
        .into_iter()
        .filter(|(key, _)| is_data_key(key) && key != SECRET_STRING_KEY && key != SECRET_BINARY_KEY)
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (key, text)
        })
        .collect()
}

/// What a Secrets Manager ARN names: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`
/// and what follows it in a task definition's `valueFrom` (`:json-key:version-stage:version-id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretArn<'a> {
    /// The name with its ARN suffix, as the ARN has it (`db-AbCdEf`; a partial ARN: `db`).
    pub name_with_suffix: &'a str,
    pub json_key: Option<&'a str>,
    pub version_stage: Option<&'a str>,
    pub version_id: Option<&'a str>,
}

impl SecretArn<'_> {
    /// The secret's name: Secrets Manager appends `-` and six characters to every secret's ARN.
    pub fn name(&self) -> &str {
        match split_suffix(self.name_with_suffix) {
            Some((base, _)) => base,
            None => self.name_with_suffix,
        }
    }
}

/// `name-XXXXXX` as (name, XXXXXX) when the tail is six letters or digits after a `-`.
pub fn split_suffix(name_with_suffix: &str) -> Option<(&str, &str)> {
    let (base, suffix) = name_with_suffix.rsplit_once('-')?;
    (suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) && !base.is_empty())
        .then_some((base, suffix))
}

/// The parts of a Secrets Manager ARN (with a task definition's optional tail), if it is one.
pub fn parse_secret_arn(value: &str) -> Option<SecretArn<'_>> {
    let mut parts = value.splitn(7, ':');
    let (arn, _partition, service, _region, _account, kind) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if arn != "arn" || service != "secretsmanager" || kind != "secret" {
        return None;
    }
    let mut tail = parts.next()?.split(':');
    let name_with_suffix = tail.next().filter(|n| !n.is_empty())?;
    let mut next = || tail.next().filter(|part| !part.is_empty());
    Some(SecretArn { name_with_suffix, json_key: next(), version_stage: next(), version_id: next() })
}

/// The parameter name an SSM parameter ARN names (`arn:<partition>:ssm:<region>:<account>:parameter/a/b`
/// -> `/a/b`; `parameter/a` -> `a`, as SSM writes names without a hierarchy), if it is one.
pub fn parse_parameter_arn(value: &str) -> Option<String> {
    let mut parts = value.splitn(6, ':');
    let (arn, _partition, service, _region, _account) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if arn != "arn" || service != "ssm" {
        return None;
    }
    let path = parts.next()?.strip_prefix("parameter/").filter(|p| !p.is_empty())?;
    Some(if path.contains('/') { format!("/{path}") } else { path.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_arns() {
        let cases = [
            ("arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf", Some(("db-AbCdEf", "db", None, None, None))),
            (
                "arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbCdEf:password::",
                Some(("prod/db-AbCdEf", "prod/db", Some("password"), None, None)),
            ),
            (
                "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf::AWSCURRENT:v1",
                Some(("db-AbCdEf", "db", None, Some("AWSCURRENT"), Some("v1"))),
            ),
            ("arn:aws:secretsmanager:us-east-1:1:secret:db", Some(("db", "db", None, None, None))),
            ("arn:aws:secretsmanager:us-east-1:1:secret:", None),
            ("arn:aws:ssm:us-east-1:1:parameter/db", None),
            ("arn:aws:secretsmanager:us-east-1:1:rotation:db", None),
            ("db", None),
        ];
        for (value, want) in cases {
            let got = parse_secret_arn(value)
                .map(|a| (a.name_with_suffix, a.name().to_string(), a.json_key, a.version_stage, a.version_id));
            let want = want.map(|(n, name, k, s, i)| (n, name.to_string(), k, s, i));
            assert_eq!(got, want, "{value}");
        }
    }

    #[test]
    fn parameter_arns() {
        let cases = [
            ("arn:aws:ssm:us-east-1:1:parameter/prod/db/password", Some("/prod/db/password")),
            ("arn:aws:ssm:us-east-1:1:parameter/token", Some("token")),
            ("arn:aws:ssm:us-east-1:1:parameter/", None),
            ("arn:aws:ssm:us-east-1:1:document/x", None),
            ("arn:aws:secretsmanager:us-east-1:1:secret:x", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_parameter_arn(value).as_deref(), want, "{value}");
        }
    }

    #[test]
    fn object_names_agree_between_names_and_arns() {
        assert_eq!(parameter_object_name("/prod/api-key"), parameter_object_name("prod/api-key"));
        assert_eq!(parameter_object_name("token"), "token");
        assert!(parameter_object_name("/prod/api-key").starts_with("prod-api-key-"));
        assert_eq!(secret_object_name("db"), "db");
        assert_ne!(secret_object_name("prod/db"), secret_object_name("prod-db"));
    }

    #[test]
    fn json_members_become_data_keys() {
        let mut keys =
            json_keys(r#"{"username": "app", "port": 5432, "nested": {"a": 1}, "bad key": "x", "SecretString": "y"}"#);
        keys.sort();
        assert_eq!(
            keys,
            vec![
                ("nested".to_string(), r#"{"a":1}"#.to_string()),
                ("port".to_string(), "5432".to_string()),
                ("username".to_string(), "app".to_string()),
            ]
        );
        assert!(json_keys("plain text").is_empty());
        assert!(json_keys("[1, 2]").is_empty());
    }
}
