//! Sign-in and sessions: a one-time login token (printed in the URL, as Jupyter does) is exchanged
//! for a session cookie; each session holds its identity and its CSRF token.
//!
//! The cookie is a random 256-bit value, HttpOnly (no script reads it) and SameSite=Strict (no other
//! site's page sends it); the server keeps only its SHA-256, so the session table does not hold
//! usable cookies. The login token works once: a URL left in a terminal's scrollback or a browser's
//! history signs no one in later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::identity::Identity;
use crate::rights::Rights;

/// The session cookie's name.
pub const COOKIE: &str = "kube_ecs_console";
/// How long a session lasts without a new sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// How long a namespace's answers of SelfSubjectAccessReview are reused: a live page re-renders up
/// to every second, and RBAC changes are rare (the apiserver decides each write anyway).
const RIGHTS_TTL: Duration = Duration::from_secs(10);

/// A signed-in browser.
pub struct Session {
    pub identity: Arc<Identity>,
    /// Sent back in every state-changing form; compared in constant time.
    pub csrf: String,
    created: Instant,
    rights: Mutex<HashMap<String, (Instant, Rights)>>,
}

impl Session {
    /// What the identity may do in `namespace` (asked of the apiserver at most every RIGHTS_TTL).
    pub async fn rights(&self, namespace: &str) -> Rights {
        let cached = self.rights.lock().ok().and_then(|r| r.get(namespace).copied());
        if let Some((_, rights)) = cached.filter(|(at, _)| at.elapsed() < RIGHTS_TTL) {
            return rights;
        }
        let rights = Rights::in_namespace(&self.identity.client, namespace).await;
        if let Ok(mut cache) = self.rights.lock() {
            cache.insert(namespace.to_string(), (Instant::now(), rights));
        }
        rights
    }

    /// Whether `token` is this session's CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        constant_time_eq(self.csrf.as_bytes(), token.as_bytes())
    }
}

/// The login tokens not yet used and the live sessions.
#[derive(Default)]
pub struct Sessions {
    login_tokens: Mutex<Vec<[u8; 32]>>,
    sessions: Mutex<HashMap<[u8; 32], Arc<Session>>>,
}

/// 32 random bytes, hex: tokens, cookies, CSRF tokens and task IDs' entropy come from the OS.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    // getrandom fails only when the OS has no entropy source at all; then no token is safe to hand out.
    getrandom::fill(&mut buffer).unwrap_or_else(|e| panic!("the OS random source failed: {e}"));
    hex::encode(buffer)
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Equality whose time does not depend on where two secrets differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sessions {
    /// A new one-time login token (what the printed URL carries).
    pub fn issue_login_token(&self) -> String {
        let token = random_hex(32);
        if let Ok(mut tokens) = self.login_tokens.lock() {
            tokens.push(digest(&token));
        }
        token
    }

    /// Uses up `token`: true once for a token that was issued.
    pub fn redeem_login_token(&self, token: &str) -> bool {
        let wanted = digest(token);
        let Ok(mut tokens) = self.login_tokens.lock() else { return false };
        match tokens.iter().position(|t| constant_time_eq(t, &wanted)) {
            Some(i) => {
                tokens.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Starts a session for `identity`; the cookie value to set.
    pub fn start(&self, identity: Arc<Identity>) -> String {
        let cookie = random_hex(32);
        let session =
            Arc::new(Session { identity, csrf: random_hex(32), created: Instant::now(), rights: Mutex::default() });
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.retain(|_, s| s.created.elapsed() < SESSION_LIFETIME);
            sessions.insert(digest(&cookie), session);
        }
        cookie
    }

    /// Ends the session the request's cookie names.
    pub fn end(&self, headers: &HeaderMap) {
        if let (Some(cookie), Ok(mut sessions)) = (cookie_value(headers, COOKIE), self.sessions.lock()) {
            sessions.remove(&digest(&cookie));
        }
    }

    /// The session the request's cookie names, if it is live.
    pub fn find(&self, headers: &HeaderMap) -> Option<Arc<Session>> {
        let cookie = cookie_value(headers, COOKIE)?;
        let sessions = self.sessions.lock().ok()?;
        sessions.get(&digest(&cookie)).filter(|s| s.created.elapsed() < SESSION_LIFETIME).cloned()
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(https: bool) -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", secure(https))
}

/// The `Set-Cookie` value of a new session. `Secure` when the console serves HTTPS; without it
/// otherwise: the local console serves plain HTTP on the loopback address, which browsers treat as
/// a secure context (and a `Secure` cookie would not be sent back over plain HTTP at all).
pub fn set_cookie(value: &str, https: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_LIFETIME.as_secs(),
        secure(https)
    )
}

fn secure(https: bool) -> &'static str {
    if https { "; Secure" } else { "" }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_token_works_once() {
        let sessions = Sessions::default();
        let token = sessions.issue_login_token();
        assert!(!sessions.redeem_login_token("not-the-token"));
        assert!(sessions.redeem_login_token(&token));
        assert!(!sessions.redeem_login_token(&token), "a second use signs no one in");
    }

    #[test]
    fn the_cookie_is_http_only_and_same_site_strict_and_secure_over_https() {
        for (https, secure) in [(false, false), (true, true)] {
            for cookie in [set_cookie("abc", https), clear_cookie(https)] {
                assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
                assert_eq!(cookie.ends_with("; Secure"), secure, "{cookie}");
            }
        }
    }

    #[test]
    fn cookies_are_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::COOKIE, format!("a=1; {COOKIE}=xyz; b=2").parse().unwrap());
        assert_eq!(cookie_value(&headers, COOKIE).as_deref(), Some("xyz"));
    }
}
