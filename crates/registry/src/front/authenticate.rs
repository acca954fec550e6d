//! Who is calling: HTTP Basic with user `AWS` and an authorization token as the password, the way
//! `docker login` / `crane auth login` send what `aws ecr get-login-password` printed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use jiff::Timestamp;

use super::errors::RegistryError;
use crate::token::{self, TokenError, TokenIdentity};

/// ECR's user name: the identity is in the password.
const USERNAME: &str = "AWS";

/// The identity of the token in `headers`, or the 401 to answer (with a challenge naming `realm`).
pub fn authenticate(
    headers: &HeaderMap,
    key: &[u8],
    realm: &str,
    now: Timestamp,
) -> Result<TokenIdentity, RegistryError> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Err(RegistryError::unauthorized(
            realm,
            "Authentication is required: log in with an ECR authorization token.",
        ));
    };
    let invalid = || RegistryError::unauthorized(realm, "The user name or the authorization token is invalid.");
    let (user, password) = basic_credentials(value.as_bytes()).ok_or_else(invalid)?;
    if user != USERNAME {
        return Err(invalid());
    }
    token::verify(key, &password, now).map_err(|error| match error {
        TokenError::Expired { .. } => RegistryError::expired(realm),
        TokenError::Malformed | TokenError::BadSignature => {
            tracing::debug!(reason = error.category(), "registry request with an invalid token");
            invalid()
        }
    })
}

/// User and password of an `Authorization: Basic ...` value.
fn basic_credentials(value: &[u8]) -> Option<(String, String)> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use pretty_assertions::assert_eq;

    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn identity() -> TokenIdentity {
        TokenIdentity { username: "alice".into(), groups: vec!["team-a".into()], access_key_id: "AKIA1".into() }
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, HeaderValue::from_str(value).expect("header value"));
        headers
    }

    fn basic(user: &str, password: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
    }

    #[test]
    fn a_token_as_the_aws_user_s_password_authenticates() {
        let now = Timestamp::from_second(1_700_000_000).expect("in range");
        let (password, _) = token::issue(KEY, &identity(), now);
        assert_eq!(authenticate(&headers(&basic("AWS", &password)), KEY, "r", now), Ok(identity()));
        // The header as `docker login` sends it: the standard token of GetAuthorizationToken.
        let ecr = format!("basic {}", token::authorization_token(&password));
        assert_eq!(authenticate(&headers(&ecr), KEY, "r", now), Ok(identity()));
    }

    #[test]
    fn anything_else_is_a_401_with_a_challenge() {
        let now = Timestamp::from_second(1_700_000_000).expect("in range");
        let (password, expires) = token::issue(KEY, &identity(), now);
        let cases = [
            (HeaderMap::new(), "Authentication is required"),
            (headers(&basic("alice", &password)), "invalid"),
            (headers(&basic("AWS", "guess")), "invalid"),
            (headers(&format!("Bearer {password}")), "invalid"),
            (headers("Basic !!!"), "invalid"),
        ];
        for (headers, message) in cases {
            let error = authenticate(&headers, KEY, "123.dkr.ecr.us-east-1.amazonaws.com", now).expect_err("refused");
            assert_eq!(error.status, http::StatusCode::UNAUTHORIZED);
            assert_eq!(error.challenge.as_deref(), Some("Basic realm=\"123.dkr.ecr.us-east-1.amazonaws.com\""));
            assert!(error.message.contains(message), "{}", error.message);
        }
        let error = authenticate(&headers(&basic("AWS", &password)), KEY, "r", expires).expect_err("expired");
        assert_eq!(error.message, "Your authorization token has expired. Reauthenticate and try again.");
    }
}
