//! Environment: variables (with overrides), secrets and environment files.
//!
//! ECS reads secrets from Secrets Manager / SSM and env files from S3; here they come from the
//! task's namespace: a Secret per secret or parameter (where the ECS API's Secrets Manager and SSM
//! actions keep them, [`crate::secrets`]) and a ConfigMap per environment file, named
//! deterministically from the reference (see docs/mapping.md, docs/secrets.md).

use k8s_openapi::api::core::v1::{ConfigMapEnvSource, EnvFromSource, EnvVar, EnvVarSource, SecretKeySelector};

use super::names::{arn_tail, dns_label};
use crate::api::common::KeyValuePair;
use crate::api::task_definition::{EnvironmentFile, Secret};
use crate::secrets;

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

/// The Secret name and key a secret reference points at, by the convention the ECS API stores
/// Secrets Manager secrets and SSM parameters with ([`crate::secrets`]): a Secrets Manager ARN
/// names the secret's Secret and, with a json-key, that key (else the whole `SecretString`); an SSM
/// parameter (ARN or name) names the parameter's Secret and its `Value`; `secret-name:key` (kube-ecs's
/// own form) names a Secret and key directly. Version stages and IDs select nothing: a Secret holds
/// the current value only.
pub fn secret_reference(secret: &Secret) -> (String, String) {
    let value = secret.value_from.as_str();
    if let Some(arn) = secrets::parse_secret_arn(value) {
        let key = arn.json_key.unwrap_or(secrets::SECRET_STRING_KEY);
        return (secrets::secret_object_name(arn.name()), key.to_string());
    }
    if let Some(name) = secrets::parse_parameter_arn(value) {
        return (secrets::parameter_object_name(&name), secrets::PARAMETER_VALUE_KEY.to_string());
    }
    if value.starts_with("arn:") {
        return (dns_label(arn_tail(value), 253), secret.name.clone());
    }
    match value.split_once(':') {
        Some((name, key)) => (dns_label(name, 253), key.to_string()),
        // ECS takes a bare name as an SSM parameter of the task's region.
        None => (secrets::parameter_object_name(value), secrets::PARAMETER_VALUE_KEY.to_string()),
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
            // A bare name is an SSM parameter: its value.
            (secret("TOKEN", "api-token"), ("api-token", "Value")),
            (secret("TOKEN", "/prod/api-token"), ("prod-api-token-", "Value")),
            // Without a json-key: the whole SecretString.
            (
                secret("DB_PASSWORD", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
                ("prod-db", "SecretString"),
            ),
            (
                secret("USER", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:username::"),
                ("db", "username"),
            ),
            (
                secret("DB", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf::AWSCURRENT:"),
                ("db", "SecretString"),
            ),
            // The parameter's whole path names the Secret, as PutParameter stores it.
            (
                secret("API_KEY", "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-key"),
                ("prod-api-key-", "Value"),
            ),
            (secret("API_KEY", "arn:aws:ssm:us-east-1:123456789012:parameter/api-key"), ("api-key", "Value")),
            // Another ARN: its tail, keyed by the variable.
            (secret("X", "arn:aws:s3:::bucket/x"), ("x", "X")),
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
