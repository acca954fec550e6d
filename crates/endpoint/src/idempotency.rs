//! ECS's `clientToken`: a retried RunTask or CreateService with the same token answers with what
//! the first call made. The token (up to 64 case-sensitive characters) is kept as a label value:
//! its hash, since a label value allows fewer characters than a token.

use sha2::{Digest, Sha256};

pub use kube_ecs_api::labels::CLIENT_TOKEN_LABEL;

/// The label value for `token` (32 hex digits).
pub fn label_value(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes())[..16])
}

/// The label selector of what a call with `token` made.
pub fn selector(token: &str) -> String {
    format!("{CLIENT_TOKEN_LABEL}={}", label_value(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_case_sensitive_label_values() {
        assert_eq!(label_value("abc").len(), 32);
        assert_ne!(label_value("abc"), label_value("ABC"));
        assert_eq!(label_value(&"x".repeat(64)), label_value(&"x".repeat(64)));
        assert!(selector("t").starts_with("ecs.kube-ecs.dev/client-token="));
    }
}
