//! ECR authorization tokens: the password `aws ecr get-login-password` prints and the front checks.
//!
//! ECR's `GetAuthorizationToken` answers `base64("AWS:" + password)`, valid for 12 hours. Here the
//! password is self-contained: `v1.<payload>.<mac>`, the payload the caller's Kubernetes identity
//! and the expiry as JSON, the MAC an HMAC-SHA256 over `v1.<payload>` with a cluster-wide key (both
//! base64url without padding). So the front verifies a token without a lookup and any replica
//! verifies any replica's tokens; the key lives in a Secret ([`load_or_create_key`]) so tokens
//! survive operator restarts. A token cannot be revoked before it expires, as in ECR.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};
use serde::{Deserialize, Serialize};

/// How long a token is valid: ECR's 12 hours.
pub const TOKEN_TTL: SignedDuration = SignedDuration::from_hours(12);
/// The Secret holding the signing key, in the operator's namespace.
pub const KEY_SECRET: &str = "kube-ecs-ecr-token-key";
/// The Secret's data key.
const KEY_DATA: &str = "key";
/// Length of a generated key: HMAC-SHA256's output size, its full strength.
const KEY_BYTES: usize = 32;
/// The format version, first in every password, so a later format can be told apart.
const VERSION: &str = "v1";

/// Who a token speaks for: the Kubernetes identity of the access key that asked for it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TokenIdentity {
    pub username: String,
    pub groups: Vec<String>,
    pub access_key_id: String,
}

/// Why a password is not a valid token.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    #[error("the password is not an authorization token of this registry")]
    Malformed,
    #[error("the authorization token's signature does not match")]
    BadSignature,
    #[error("the authorization token expired at {at}")]
    Expired { at: Timestamp },
}

impl TokenError {
    /// A bounded label for logs and metrics.
    pub fn category(&self) -> &'static str {
        match self {
            TokenError::Malformed => "malformed",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired { .. } => "expired",
        }
    }
}

/// Why the signing key could not be loaded or created.
#[derive(thiserror::Error, Debug)]
pub enum KeyError {
    #[error("reading or creating Secret {namespace}/{KEY_SECRET}: {source}")]
    Kube {
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("Secret {namespace}/{KEY_SECRET} holds no usable key: {reason}")]
    Invalid { namespace: String, reason: String },
    #[error("generating a token key: {0}")]
    Random(getrandom::Error),
}

impl KeyError {
    /// A bounded label for logs and metrics.
    pub fn category(&self) -> &'static str {
        match self {
            KeyError::Kube { .. } => "kube",
            KeyError::Invalid { .. } => "invalid_secret",
            KeyError::Random(_) => "random",
        }
    }
}

/// The signed payload. Short field names keep the password (sent on every registry request) small.
#[derive(Serialize, Deserialize)]
struct Claims {
    #[serde(rename = "u")]
    username: String,
    #[serde(rename = "g")]
    groups: Vec<String>,
    #[serde(rename = "k")]
    access_key_id: String,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    expires: i64,
}

/// A password for `identity`, valid from `now` for [`TOKEN_TTL`], and when it expires.
pub fn issue(key: &[u8], identity: &TokenIdentity, now: Timestamp) -> (String, Timestamp) {
    // Whole seconds, so the expiry returned is exactly the one verify reads back.
    let expires = now.as_second().saturating_add(TOKEN_TTL.as_secs());
    let expires_at = Timestamp::from_second(expires).unwrap_or(Timestamp::MAX);
    let claims = Claims {
        username: identity.username.clone(),
        groups: identity.groups.clone(),
        access_key_id: identity.access_key_id.clone(),
        expires: expires_at.as_second(),
    };
    // Serialising plain strings and numbers cannot fail.
    let json = serde_json::to_vec(&claims).unwrap_or_default();
    let signed = format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(json));
    let mac = kube_ecs_sigv4::hmac_sha256(key, signed.as_bytes());
    (format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac)), expires_at)
}

/// The `authorizationToken` of `GetAuthorizationToken`: what `docker login` and `crane` decode.
pub fn authorization_token(password: &str) -> String {
    STANDARD.encode(format!("AWS:{password}"))
}

/// The identity `password` speaks for, if it is a token signed with `key` that has not expired.
pub fn verify(key: &[u8], password: &str, now: Timestamp) -> Result<TokenIdentity, TokenError> {
    let (signed, mac) = password.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (version, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
    if version != VERSION {
        return Err(TokenError::Malformed);
    }
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| TokenError::Malformed)?;
    let expected = kube_ecs_sigv4::hmac_sha256(key, signed.as_bytes());
    if !constant_time_eq(&mac, &expected) {
        return Err(TokenError::BadSignature);
    }
    // Only signed bytes are parsed: nobody without the key reaches the JSON parser.
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    let at = Timestamp::from_second(claims.expires).map_err(|_| TokenError::Malformed)?;
    if now >= at {
        return Err(TokenError::Expired { at });
    }
    Ok(TokenIdentity { username: claims.username, groups: claims.groups, access_key_id: claims.access_key_id })
}

/// Equality whose time does not depend on where the first difference is, so a forger cannot find
/// a valid MAC byte by byte from response times.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The signing key from Secret [`KEY_SECRET`] in `namespace`, created (32 random bytes) if absent.
pub async fn load_or_create_key(client: kube::Client, namespace: &str) -> Result<Vec<u8>, KeyError> {
    let secrets: Api<Secret> = Api::namespaced(client, namespace);
    let kube_error = |source| KeyError::Kube { namespace: namespace.to_string(), source };
    if let Some(secret) = secrets.get_opt(KEY_SECRET).await.map_err(kube_error)? {
        return key_of(&secret, namespace);
    }
    let mut key = vec![0u8; KEY_BYTES];
    getrandom::fill(&mut key).map_err(KeyError::Random)?;
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(KEY_SECRET.to_string()),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".to_string()),
        data: Some([(KEY_DATA.to_string(), ByteString(key.clone()))].into()),
        ..Secret::default()
    };
    match secrets.create(&PostParams::default(), &secret).await {
        Ok(_) => {
            tracing::info!(namespace, secret = KEY_SECRET, "created the ECR token signing key");
            Ok(key)
        }
        // Another replica created it first: its key is the one every replica must use.
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let secret = secrets.get(KEY_SECRET).await.map_err(kube_error)?;
            key_of(&secret, namespace)
        }
        Err(error) => Err(kube_error(error)),
    }
}

fn key_of(secret: &Secret, namespace: &str) -> Result<Vec<u8>, KeyError> {
    let invalid = |reason: &str| KeyError::Invalid { namespace: namespace.to_string(), reason: reason.to_string() };
    let key = secret.data.as_ref().and_then(|data| data.get(KEY_DATA)).ok_or_else(|| invalid("no data key `key`"))?;
    // A short key would make every token forgeable with little work; refuse rather than serve.
    if key.0.len() < KEY_BYTES {
        return Err(invalid(&format!("the key has {} bytes, at least {KEY_BYTES} are needed", key.0.len())));
    }
    Ok(key.0.clone())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn identity() -> TokenIdentity {
        TokenIdentity {
            username: "alice".into(),
            groups: vec!["team-a".into(), "system:authenticated".into()],
            access_key_id: "AKIAEXAMPLE".into(),
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("in range")
    }

    #[test]
    fn a_token_verifies_until_it_expires_twelve_hours_later() {
        let now = at(1_700_000_000);
        let (password, expires) = issue(KEY, &identity(), now);
        assert_eq!(expires, at(1_700_000_000 + 12 * 3600));
        assert_eq!(verify(KEY, &password, now), Ok(identity()));
        assert_eq!(verify(KEY, &password, at(1_700_000_000 + 12 * 3600 - 1)), Ok(identity()));
        assert_eq!(verify(KEY, &password, expires), Err(TokenError::Expired { at: expires }));
    }

    #[test]
    fn the_authorization_token_is_base64_of_the_aws_user_and_password() {
        assert_eq!(authorization_token("s3cret-pw"), "QVdTOnMzY3JldC1wdw==");
    }

    #[test]
    fn a_changed_payload_or_mac_or_another_key_is_a_bad_signature() {
        let now = at(1_700_000_000);
        let (password, _) = issue(KEY, &identity(), now);
        let (signed, mac) = password.rsplit_once('.').expect("three parts");
        let other = TokenIdentity { username: "system:admin".into(), ..identity() };
        let (forged, _) = issue(b"another key, just as long as KEY", &other, now);
        let (forged_signed, _) = forged.rsplit_once('.').expect("three parts");
        let mut flipped = mac.as_bytes().to_vec();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        for tampered in [format!("{forged_signed}.{mac}"), format!("{signed}.{flipped}"), forged] {
            assert_eq!(verify(KEY, &tampered, now), Err(TokenError::BadSignature), "{tampered}");
        }
    }

    #[test]
    fn strings_that_are_not_tokens_are_malformed() {
        let now = at(1_700_000_000);
        let (password, _) = issue(KEY, &identity(), now);
        let (signed, _) = password.rsplit_once('.').expect("three parts");
        let unsigned_json = |json: &str| {
            let signed = format!("v1.{}", URL_SAFE_NO_PAD.encode(json));
            let mac = URL_SAFE_NO_PAD.encode(kube_ecs_sigv4::hmac_sha256(KEY, signed.as_bytes()));
            format!("{signed}.{mac}")
        };
        let cases = [
            String::new(),
            "v1".into(),
            "v1.".into(),
            "v1.abc".into(),
            "no dots at all".into(),
            format!("v2{}", password.trim_start_matches("v1")),
            format!("{signed}.not base64!"),
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode([0u8; 31])),
            // Correctly signed, but not a payload this module writes.
            unsigned_json("not json"),
            unsigned_json(r#"{"u":"a","g":[],"k":"k"}"#),
            unsigned_json(r#"{"u":"a","g":[],"k":"k","e":9223372036854775807}"#),
        ];
        for case in cases {
            let got = verify(KEY, &case, now);
            assert!(matches!(got, Err(TokenError::Malformed | TokenError::BadSignature)), "{case:?} -> {got:?}");
        }
        // Those whose MAC is right can only be malformed.
        for json in ["not json", r#"{"u":"a"}"#] {
            assert_eq!(verify(KEY, &unsigned_json(json), now), Err(TokenError::Malformed), "{json}");
        }
    }

    #[test]
    fn equal_macs_compare_equal_and_any_difference_does_not() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn a_secret_without_a_full_length_key_is_refused() {
        let secret = |bytes: Option<Vec<u8>>| Secret {
            data: bytes.map(|b| [(KEY_DATA.to_string(), ByteString(b))].into()),
            ..Secret::default()
        };
        assert_eq!(key_of(&secret(Some(KEY.to_vec())), "ns").ok(), Some(KEY.to_vec()));
        for bad in [None, Some(vec![1u8; 16])] {
            let got = key_of(&secret(bad), "ns");
            assert!(matches!(got, Err(KeyError::Invalid { .. })), "{got:?}");
        }
    }
}
