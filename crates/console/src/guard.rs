//! The checks every request passes before any handler, and the headers every response carries.
//!
//! - **Host**: only the console's own host:port names (127.0.0.1 and localhost). A DNS-rebinding
//!   page (evil.example resolving to 127.0.0.1) sends its own name and is refused before a cookie
//!   or a token is looked at.
//! - **Origin** on every state-changing request and on event streams: a request from another
//!   site's page is refused even before the CSRF token is checked (which the handlers also do).
//! - **Headers**: a Content-Security-Policy with scripts and styles from this origin only (no
//!   'unsafe-inline': an injected `<script>` would not run even if escaping failed), no framing
//!   (`frame-ancestors 'none'`, clickjacking), referrers only to this origin (`same-origin`: with
//!   `no-referrer`, Chromium sends `Origin: null` on the console's own form POSTs, which the Origin
//!   check would refuse; the login URL's token never reaches another site either way, and the
//!   login redirect leaves that URL at once), nothing cached.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::App;

/// The policy: everything from this origin only, nothing inline, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The hosts and origins a console on `port` answers to.
#[derive(Clone, Debug)]
pub struct Allowed {
    hosts: Vec<String>,
    origins: Vec<String>,
}

impl Allowed {
    /// The loopback names of a console listening on `port`.
    pub fn loopback(port: u16) -> Self {
        let hosts: Vec<String> = ["127.0.0.1", "localhost", "[::1]"].iter().map(|h| format!("{h}:{port}")).collect();
        let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
        Self { hosts, origins }
    }

    /// The https origins of every name the console answers to (a console serving TLS itself).
    pub fn over_https(mut self) -> Self {
        let https: Vec<String> = self.hosts.iter().map(|h| format!("https://{h}")).collect();
        self.origins.extend(https);
        self
    }

    /// Also `hosts` (`host:port` names a browser reaches the console by, e.g. behind an Ingress),
    /// with their http and https origins.
    pub fn and_hosts(mut self, hosts: &[String]) -> Self {
        for host in hosts.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
            self.origins.push(format!("http://{host}"));
            self.origins.push(format!("https://{host}"));
            // A browser leaves the default port out of Host and Origin.
            for default in [":80", ":443"] {
                if let Some(bare) = host.strip_suffix(default) {
                    self.hosts.push(bare.to_string());
                    self.origins.push(format!("{}://{bare}", if default == ":80" { "http" } else { "https" }));
                }
            }
            self.hosts.push(host.to_string());
        }
        self
    }

    fn host(&self, headers: &HeaderMap) -> bool {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// A request that must come from the console's own pages: its Origin names this console.
    fn same_origin(&self, headers: &HeaderMap) -> bool {
        let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
        origin.is_some_and(|o| self.origins.iter().any(|allowed| allowed.eq_ignore_ascii_case(o)))
    }

    /// A stream request: browsers send no Origin on a same-origin EventSource, so an Origin that is
    /// present must be ours, and the Fetch metadata (when sent) must say same-origin.
    fn stream_origin(&self, headers: &HeaderMap) -> bool {
        let origin_ok = headers.get(header::ORIGIN).is_none() || self.same_origin(headers);
        let site = headers.get("sec-fetch-site").and_then(|h| h.to_str().ok());
        origin_ok && site.is_none_or(|s| s == "same-origin")
    }
}

/// Refuses what does not pass; adds the security headers to what does.
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let refusal = if !app.allowed.host(headers) {
        Some("this console answers only to its own address (the Host header names another: DNS rebinding?)")
    } else if !matches!(*request.method(), Method::GET | Method::HEAD) && !app.allowed.same_origin(headers) {
        Some("a change must come from the console's own pages (the Origin header names another site, or none)")
    } else if crate::live::is_stream(request.uri().path()) && !app.allowed.stream_origin(headers) {
        Some("a live stream must be opened by the console's own pages (the Origin names another site)")
    } else {
        None
    };
    let mut response = match refusal {
        Some(reason) => (StatusCode::FORBIDDEN, reason).into_response(),
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn only_the_consoles_own_host_is_answered() {
        let allowed = Allowed::loopback(8443);
        assert!(allowed.host(&headers(&[("host", "127.0.0.1:8443")])));
        assert!(allowed.host(&headers(&[("host", "localhost:8443")])));
        assert!(!allowed.host(&headers(&[("host", "evil.example:8443")])), "a rebound name");
        assert!(!allowed.host(&headers(&[("host", "127.0.0.1:9999")])), "another port");
        assert!(!allowed.host(&headers(&[])), "no Host");
    }

    #[test]
    fn configured_hosts_are_answered_too() {
        let allowed = Allowed::loopback(8181).and_hosts(&["console.example.com:443".to_string()]);
        assert!(allowed.host(&headers(&[("host", "console.example.com")])));
        assert!(allowed.same_origin(&headers(&[("origin", "https://console.example.com")])));
        assert!(allowed.host(&headers(&[("host", "127.0.0.1:8181")])), "kubectl port-forward");
        assert!(!allowed.host(&headers(&[("host", "evil.example")])));
    }

    #[test]
    fn a_console_serving_tls_answers_its_https_origins() {
        let plain = Allowed::loopback(8443);
        assert!(!plain.same_origin(&headers(&[("origin", "https://127.0.0.1:8443")])));
        let tls = Allowed::loopback(8443).and_hosts(&["console.example.com:8443".to_string()]).over_https();
        assert!(tls.same_origin(&headers(&[("origin", "https://127.0.0.1:8443")])));
        assert!(tls.same_origin(&headers(&[("origin", "https://console.example.com:8443")])));
        assert!(!tls.same_origin(&headers(&[("origin", "https://evil.example:8443")])));
    }

    #[test]
    fn a_change_needs_this_origin() {
        let allowed = Allowed::loopback(8443);
        assert!(allowed.same_origin(&headers(&[("origin", "http://127.0.0.1:8443")])));
        assert!(!allowed.same_origin(&headers(&[("origin", "http://evil.example")])));
        assert!(!allowed.same_origin(&headers(&[("origin", "null")])));
        assert!(!allowed.same_origin(&headers(&[])), "no Origin on a POST: refused");
    }

    #[test]
    fn a_stream_from_another_site_is_refused() {
        let allowed = Allowed::loopback(8443);
        assert!(allowed.stream_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(allowed.stream_origin(&headers(&[])));
        assert!(!allowed.stream_origin(&headers(&[("origin", "http://evil.example")])));
        assert!(!allowed.stream_origin(&headers(&[("sec-fetch-site", "cross-site")])));
    }

    #[test]
    fn the_policy_allows_no_inline_script_and_no_framing() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    }
}
