//! Whose account setting (pure): the root user (the account default), a user or a role, read from
//! an IAM principal ARN and written as ConfigMap data keys.
//!
//! A key's identity is the IAM user `arn:aws:iam::<account>:user/<Kubernetes username>`. A data key
//! is `default.<setting>` or `user.<name>.<setting>` / `role.<name>.<setting>`, the name escaped to
//! what ConfigMap keys allow (`[-._a-zA-Z0-9]`): every other byte, and `_` itself, as `_xx`
//! (`system:serviceaccount:ci:deployer` -> `system_3aserviceaccount_3aci_3adeployer`).

use crate::error::EcsError;

/// Longest ConfigMap data key.
const KEY_MAX: usize = 253;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The account default (ECS's root user).
    Root,
    User(String),
    Role(String),
}

impl Principal {
    /// The principal a request's `principalArn` names; the caller (`username`) without one. Like the
    /// API's other ARNs, the account is not checked.
    pub fn parse(principal_arn: Option<&str>, username: &str) -> Result<Self, EcsError> {
        let Some(arn) = principal_arn.map(str::trim).filter(|a| !a.is_empty()) else {
            return Ok(Self::User(username.to_string()));
        };
        let invalid = || {
            EcsError::invalid_parameter(format!(
                "principalArn {arn:?} is not the ARN of a user, a role or the root user \
                 (arn:aws:iam::<account>:user/<name>, role/<name> or root)."
            ))
        };
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_partition), Some("iam"), Some(""), Some(_account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        match resource.split_once('/') {
            None if resource == "root" => Ok(Self::Root),
            Some(("user", name)) if !name.is_empty() => Ok(Self::User(name.to_string())),
            Some(("role", name)) if !name.is_empty() => Ok(Self::Role(name.to_string())),
            _ => Err(invalid()),
        }
    }

    pub fn arn(&self, account: &str) -> String {
        match self {
            Self::Root => format!("arn:aws:iam::{account}:root"),
            Self::User(name) => format!("arn:aws:iam::{account}:user/{name}"),
            Self::Role(name) => format!("arn:aws:iam::{account}:role/{name}"),
        }
    }

    /// The data key of this principal's `setting`.
    pub fn key(&self, setting: &str) -> Result<String, EcsError> {
        let key = match self {
            Self::Root => format!("default.{setting}"),
            Self::User(name) => format!("user.{}.{setting}", escape(name)),
            Self::Role(name) => format!("role.{}.{setting}", escape(name)),
        };
        if key.len() > KEY_MAX {
            return Err(EcsError::invalid_parameter(format!(
                "The principal {self:?} has too long a name for kube-ecs's account settings (a ConfigMap key of \
                 at most {KEY_MAX} characters)."
            )));
        }
        Ok(key)
    }
}

fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_from_arns() {
        let cases: &[(Option<&str>, Result<Principal, ()>)] = &[
            (None, Ok(Principal::User("team-a-ci".into()))),
            (Some(""), Ok(Principal::User("team-a-ci".into()))),
            (Some("arn:aws:iam::000000000000:root"), Ok(Principal::Root)),
            (Some("arn:aws:iam::123456789012:user/alice"), Ok(Principal::User("alice".into()))),
            (Some("arn:aws:iam::123456789012:user/ops/alice"), Ok(Principal::User("ops/alice".into()))),
            (Some("arn:aws:iam::123456789012:role/deployer"), Ok(Principal::Role("deployer".into()))),
            (Some("arn:aws:iam::123456789012:group/admins"), Err(())),
            (Some("arn:aws:ecs:us-east-1:123456789012:cluster/x"), Err(())),
            (Some("arn:aws:iam::123456789012:user/"), Err(())),
            (Some("alice"), Err(())),
        ];
        for (arn, want) in cases {
            assert_eq!(Principal::parse(*arn, "team-a-ci").map_err(drop), *want, "{arn:?}");
        }
        let e = Principal::parse(Some("alice"), "x").unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidParameterException);
        assert_eq!(Principal::Root.arn("1"), "arn:aws:iam::1:root");
        assert_eq!(Principal::Role("r".into()).arn("1"), "arn:aws:iam::1:role/r");
    }

    #[test]
    fn keys_are_distinct_and_readable() {
        let cases = [
            (Principal::Root, "default.containerInsights"),
            (Principal::User("team-a-ci".into()), "user.team-a-ci.containerInsights"),
            (Principal::User("a.b@example.com".into()), "user.a.b_40example.com.containerInsights"),
            (
                Principal::User("system:serviceaccount:ci:deploy_er".into()),
                "user.system_3aserviceaccount_3aci_3adeploy_5fer.containerInsights",
            ),
            (Principal::Role("ops/deployer".into()), "role.ops_2fdeployer.containerInsights"),
        ];
        for (principal, key) in cases {
            assert_eq!(principal.key("containerInsights").unwrap(), key);
        }
        let escaped = |name: &str| Principal::User(name.into()).key("x").unwrap();
        assert_ne!(escaped("a_b"), escaped("a:b"));
        assert_ne!(escaped("a_3ab"), escaped("a:b"));
        assert!(Principal::User("x".repeat(300)).key("taskLongArnFormat").is_err());
    }
}
