//! Environment: variables (with overrides), secrets and environment files.
//!
//! ECS reads secrets from Secrets Manager / SSM and env files from S3; here they come from the
//! task's namespace: a Secret per secret reference and a ConfigMap per environment file, named
//! deterministically from the reference (see docs/mapping.md).

use k8s_openapi::api::core::v1::{ConfigMapEnvSource, EnvFromSource, EnvVar, EnvVarSource, SecretKeySelector};

use super::names::{arn_tail, dns_label};
use crate::api::common::KeyValuePair;
use crate::api::task_definition::{EnvironmentFile, Secret};

/// Plain variables, later ones (overrides) replacing earlier ones of the same name, in first-seen order.
pub fn variables<'a>(sources: impl IntoIterator<Item = &'a KeyValuePair>) -> Vec<EnvVar> {
    let mut out: Vec<EnvVar> = Vec::new();
    for pair in sources {
        let Some(name) = pair.name.clone() else { continue };
        let var = EnvVar { name: name.clone(), value: Some(pair.value.clone().unwrap_or_default()), value_from: None };
        match out.iter_mut().find(|v| v.name == name) {
            Some(existing) => *existing = var,
            None => out.push(var),
        }
    }
    out
}

/// The Secret name and key a secret reference points at.
pub fn secret_reference(secret: &Secret) -> (String, String) {
    let value = secret.value_from.as_str();
    if let Some(rest) = value.strip_prefix("arn:aws:secretsmanager:") {
        // arn:aws:secretsmanager:region:account:secret:NAME-Suffix[:json-key[:stage[:id]]]
        let parts: Vec<&str> = rest.splitn(4, ':').collect();
        let tail: Vec<&str> = parts.get(3).map(|t| t.split(':').collect()).unwrap_or_default();
        let name = tail.first().copied().unwrap_or_default();
        // Secrets Manager appends "-" and six random characters to every secret's ARN.
        let name = match name.rsplit_once('-') {
            Some((base, suffix)) if suffix.len() == 6 && !base.is_empty() => base,
            _ => name,
        };
        let key = tail.get(1).filter(|k| !k.is_empty()).map(|k| k.to_string()).unwrap_or_else(|| secret.name.clone());
        return (dns_label(name, 253), key);
    }
    if value.starts_with("arn:") {
        return (dns_label(arn_tail(value), 253), secret.name.clone());
    }
    match value.split_once(':') {
        Some((name, key)) => (dns_label(name, 253), key.to_string()),
        None => (dns_label(value, 253), secret.name.clone()),
    }
}

/// Secret-backed variables.
pub fn secrets(secrets: &[Secret]) -> Vec<EnvVar> {
    secrets
        .iter()
        .map(|s| {
            let (name, key) = secret_reference(s);
            EnvVar {
                name: s.name.clone(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector { name, key, optional: Some(false) }),
                    ..Default::default()
                }),
            }
        })
        .collect()
}

/// The ConfigMap an environment file maps to: the file name without `.env`, as a DNS name.
pub fn environment_file_config_map(file: &EnvironmentFile) -> String {
    let tail = arn_tail(&file.value);
    dns_label(tail.strip_suffix(".env").unwrap_or(tail), 253)
}

/// envFrom entries for environment files.
pub fn environment_files(files: &[EnvironmentFile]) -> Vec<EnvFromSource> {
    files
        .iter()
        .map(|f| EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource { name: environment_file_config_map(f), optional: Some(false) }),
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, from: &str) -> Secret {
        Secret { name: name.into(), value_from: from.into() }
    }

    #[test]
    fn secret_references() {
        let cases = [
            (secret("DB_PASSWORD", "db-credentials:password"), ("db-credentials", "password")),
            (secret("TOKEN", "api-token"), ("api-token", "TOKEN")),
            (
                secret("DB_PASSWORD", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
                ("prod-db", "DB_PASSWORD"),
            ),
            (
                secret("USER", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:username::"),
                ("db", "username"),
            ),
            (secret("API_KEY", "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-key"), ("api-key", "API_KEY")),
        ];
        for (s, (name, key)) in cases {
            let (got_name, got_key) = secret_reference(&s);
            assert_eq!(got_key, key, "{}", s.value_from);
            assert!(got_name.starts_with(name), "{} -> {got_name}", s.value_from);
        }
    }

    #[test]
    fn overrides_replace_same_named_variables() {
        let base = [
            KeyValuePair { name: Some("A".into()), value: Some("1".into()) },
            KeyValuePair { name: Some("B".into()), value: Some("2".into()) },
        ];
        let over = [KeyValuePair { name: Some("A".into()), value: Some("9".into()) }];
        let vars = variables(base.iter().chain(over.iter()));
        assert_eq!(
            vars.iter().map(|v| (v.name.as_str(), v.value.as_deref())).collect::<Vec<_>>(),
            vec![("A", Some("9")), ("B", Some("2"))]
        );
    }

    #[test]
    fn environment_files_name_config_maps() {
        let f = EnvironmentFile { value: "arn:aws:s3:::my-bucket/config/app.env".into(), type_: "s3".into() };
        assert_eq!(environment_file_config_map(&f), "app");
    }
}
