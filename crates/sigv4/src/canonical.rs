//! The canonical request, the string to sign and the signing key of Signature Version 4, as
//! botocore's `SigV4Auth` (the AWS CLI) and the AWS SDKs compute them for services other than S3.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::Request;
use crate::hmac::hmac_sha256;

/// The only algorithm this crate speaks.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// Hex SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The canonical request: method, canonical URI, canonical query string, canonical headers (the
/// `signed_headers`, in the order given, which must be lowercase and sorted), the signed header
/// list and the payload hash, joined by newlines.
///
/// A signed header the request does not have is written with an empty value ([`crate::parse`]
/// refuses such a request before it gets here).
pub fn canonical_request(req: &Request<'_>, signed_headers: &[String], payload_hash: &str) -> String {
    let mut out = String::new();
    out.push_str(&req.method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query_string(req.query));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        out.push_str(&canonical_header_value(req, name));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The canonical URI of a path as received (already percent-encoded once by the client).
///
/// Dot segments and empty segments (`//`) are removed as botocore's `remove_dot_segments` does
/// (RFC 3986 section 5.2.4, plus AWS's merging of consecutive slashes; a trailing slash is kept
/// unless nothing is left), then every byte but the unreserved characters and `/` is
/// percent-encoded. A path received as `/a%20b` is therefore signed as `/a%2520b`: services
/// other than S3 sign the path encoded twice, and botocore and the AWS SDKs do exactly that.
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = remove_dot_segments(raw_path);
    let mut out = String::with_capacity(normalized.len());
    uri_encode(&mut out, normalized.as_bytes(), true);
    out
}

fn remove_dot_segments(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !kept.is_empty() { "/" } else { "" };
    format!("{first}{}{last}", kept.join("/"))
}

/// The canonical query string of a raw query string (without `?`).
///
/// Each `&`-separated parameter is split at its first `=` (a parameter without one has an empty
/// value), its name and value are percent-decoded (`+` is a space, as in the
/// `application/x-www-form-urlencoded` query botocore sends) and encoded again with AWS's
/// unreserved set; the parameters are sorted by encoded name, then encoded value, and joined as
/// `name=value` with `&`. Empty parameters (`a=1&&b=2`) are skipped.
pub fn canonical_query_string(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|parameter| !parameter.is_empty())
        .map(|parameter| {
            let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            (reencode(name), reencode(value))
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

fn reencode(component: &str) -> String {
    let decoded = percent_decode(component);
    let mut out = String::with_capacity(decoded.len());
    uri_encode(&mut out, &decoded, false);
    out
}

/// `%XX` becomes the byte XX and `+` a space; anything else (including a `%` not followed by two
/// hex digits) is taken literally.
fn percent_decode(component: &str) -> Vec<u8> {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
        {
            out.push(high << 4 | low);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    out
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// AWS's URI encoding: the unreserved characters `A-Z a-z 0-9 - . _ ~` (and `/` when
/// `keep_slash`) stay, every other byte becomes `%XX` with uppercase hex.
fn uri_encode(out: &mut String, bytes: &[u8], keep_slash: bool) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// The values of every header named `name` (case-insensitively), each trimmed with its inner
/// runs of whitespace collapsed to one space, joined with `,` in the order received.
fn canonical_header_value(req: &Request<'_>, name: &str) -> String {
    let mut out = String::new();
    for (i, (_, value)) in req.headers.iter().filter(|(header, _)| header.eq_ignore_ascii_case(name)).enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, word) in value.split_ascii_whitespace().enumerate() {
            if j > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// `YYYYMMDD/region/service/aws4_request`.
pub fn credential_scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/{TERMINATOR}")
}

/// The string to sign: the algorithm, the request date (`YYYYMMDDTHHMMSSZ`), the credential
/// scope and the hex SHA-256 of the canonical request, joined by newlines.
pub fn string_to_sign(request_date: &str, credential_scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{request_date}\n{credential_scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The signing key: `kDate = HMAC("AWS4" + secret, date)`, `kRegion = HMAC(kDate, region)`,
/// `kService = HMAC(kRegion, service)`, `kSigning = HMAC(kService, "aws4_request")`.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// The signature of `string_to_sign` under `signing_key`, as 32 raw bytes (its hex form is what
/// goes into `Signature=`).
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> [u8; 32] {
    hmac_sha256(signing_key, string_to_sign.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_slashes_are_removed_as_botocore_does() {
        // (raw path, canonical URI); the expected values are what botocore's
        // `SigV4Auth._normalize_url_path` returns for the same input.
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c/", "/a/c/"),
            ("/a/b/..", "/a"),
            ("/../../a", "/a"),
            ("/a%20b/./c//d%2Fe/", "/a%2520b/c/d%252Fe/"),
            ("/example space/", "/example%20space/"),
            ("/\u{1234}", "/%E1%88%B4"),
            ("/$delete", "/%24delete"),
        ];
        for (raw, expected) in cases {
            assert_eq!(canonical_uri(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn query_parameters_are_decoded_reencoded_and_sorted() {
        let cases = [
            ("", ""),
            ("a", "a="),
            ("a=", "a="),
            ("b=2&a=1", "a=1&b=2"),
            ("a=2&a=1&a=10", "a=1&a=10&a=2"),
            ("Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"),
            ("b=2+3", "b=2%203"),
            ("k=%2b%2B+", "k=%2B%2B%20"),
            ("k=%zz%4", "k=%25zz%254"),
            ("a=1&&b=2&", "a=1&b=2"),
            ("x=a=b", "x=a%3Db"),
            ("\u{1234}=bar", "%E1%88%B4=bar"),
            ("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"),
        ];
        for (raw, expected) in cases {
            assert_eq!(canonical_query_string(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined_in_order() {
        let headers = vec![
            ("My-Header1".to_string(), "  value2 ".to_string()),
            ("other".to_string(), "x".to_string()),
            ("my-header1".to_string(), "a   b\t c".to_string()),
            ("MY-HEADER1".to_string(), "value1\n  value2\n     value3".to_string()),
        ];
        let req = Request { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
        assert_eq!(canonical_header_value(&req, "my-header1"), "value2,a b c,value1 value2 value3");
        assert_eq!(canonical_header_value(&req, "absent"), "");
    }

    /// The signing key of the AWS General Reference's example (IAM, 20150830, us-east-1).
    #[test]
    fn signing_key_matches_the_documented_example() {
        let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
        assert_eq!(hex::encode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    }
}
