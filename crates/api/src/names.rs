//! ECS names as Kubernetes names. ECS container names allow up to 255 of `[A-Za-z0-9_-]`; Kubernetes
//! container names are DNS-1123 labels (63 of `[a-z0-9-]`, alphanumeric at both ends). The mapping is
//! deterministic; when it loses information (case, length) a short hash of the ECS name keeps
//! distinct ECS names distinct.

use sha2::{Digest, Sha256};

/// The Kubernetes container name for an ECS container name.
pub fn kubernetes_container_name(ecs_name: &str) -> String {
    dns_label(ecs_name, 63)
}

/// A DNS-1123 label of at most `max` characters derived from `name` (Secret, ConfigMap and
/// ServiceAccount names from ARNs use it too).
pub fn dns_label(name: &str, max: usize) -> String {
    let mapped: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    let trimmed = mapped.trim_matches('-');
    let lossless = trimmed == name && trimmed.len() <= max;
    if lossless && !trimmed.is_empty() {
        return trimmed.to_string();
    }
    let hash = &hex::encode(Sha256::digest(name.as_bytes()))[..6];
    let keep = max.saturating_sub(hash.len() + 1);
    let head: String = trimmed.chars().take(keep).collect();
    let head = head.trim_end_matches('-');
    if head.is_empty() { format!("c-{hash}") } else { format!("{head}-{hash}") }
}

/// The last segment of an ARN-like reference (`arn:...:secret:name-AbCdEf` -> `name-AbCdEf`,
/// `arn:...:parameter/a/b` -> `b`, plain names unchanged).
pub fn arn_tail(reference: &str) -> &str {
    let after_colon = reference.rsplit(':').next().unwrap_or(reference);
    after_colon.rsplit('/').next().unwrap_or(after_colon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names() {
        let cases = [
            ("app", "app"),
            ("log-router", "log-router"),
            ("log_router", "log-router-"),
            ("App", "app-"),
            ("_x_", "x-"),
        ];
        for (ecs, prefix) in cases {
            let k = kubernetes_container_name(ecs);
            assert!(k.starts_with(prefix), "{ecs} -> {k}");
            assert!(
                k.len() <= 63 && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{k}"
            );
            assert!(!k.starts_with('-') && !k.ends_with('-'), "{k}");
        }
        assert_ne!(kubernetes_container_name("App"), kubernetes_container_name("app"));
        assert_ne!(kubernetes_container_name("log_router"), kubernetes_container_name("log-router"));
        let long = "a".repeat(200);
        assert_eq!(kubernetes_container_name(&long).len(), 63);
        assert_eq!(kubernetes_container_name(&long), kubernetes_container_name(&long));
    }

    #[test]
    fn arn_tails() {
        assert_eq!(arn_tail("arn:aws:secretsmanager:us-east-1:1:secret:db-pass-AbCdEf"), "db-pass-AbCdEf");
        assert_eq!(arn_tail("arn:aws:ssm:us-east-1:1:parameter/prod/db/password"), "password");
        assert_eq!(arn_tail("arn:aws:iam::123456789012:role/my-app"), "my-app");
        assert_eq!(arn_tail("plain"), "plain");
    }
}
