//! AWS Signature Version 4 verification: the canonical request, the string to sign and the signing
//! key, computed from the request as received and compared with the client's signature.
//!
//! Pure: no I/O, no clock, no HTTP crate. The server adapts its own request type into a
//! [`Request`] (method, raw path, raw query, headers as received, body) and then
//!
//! 1. [`parse`]s the `Authorization` header into a [`Signed`] (credential, signed headers,
//!    signature, request date, session token);
//! 2. looks up the secret of [`Credential::access_key_id`] (an unknown key is
//!    [`Error::UnrecognizedClient`]); it may call [`check`] first, to refuse a stale or
//!    mis-scoped request before the lookup, as AWS does;
//! 3. [`verify`]s the signature with that secret, its clock and its service name, and gets a
//!    [`Verified`] with the region the client signed for ([`Verified::check_region`]).
//!
//! Every refusal is an [`Error`] whose [`Error::code`] and [`Error::message`] are the AWS error
//! type and message to answer with.
//!
//! The canonicalisation is the one botocore's `SigV4Auth` (the AWS CLI) and the AWS SDKs use for
//! services other than S3; see [`canonical_uri`], [`canonical_query_string`] and
//! [`canonical_request`]. [`sign`] signs a request the same way, for tests and for tools that
//! call the endpoint without botocore.

mod canonical;
mod error;
mod hmac;

use jiff::{SignedDuration, Timestamp};

pub use canonical::{
    ALGORITHM, EMPTY_SHA256, TERMINATOR, canonical_query_string, canonical_request, canonical_uri, credential_scope,
    sha256_hex, signature, signing_key, string_to_sign,
};
pub use error::Error;
/// HMAC-SHA256 (RFC 2104), for other keyed digests of the endpoint (the registry's tokens).
pub use hmac::hmac_sha256;

/// How far the request date may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_secs(15 * 60);

/// A request as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as received, still percent-encoded, without the query: `/` for ECS.
    pub path: &'a str,
    /// The raw query string, without `?`; empty when there is none.
    pub query: &'a str,
    /// Every header, in the order received, names as received (they are compared without case).
    /// `host` must be among them (over HTTP/2, the server passes `:authority` as `host`).
    pub headers: &'a [(String, String)],
    /// The body, exactly as received.
    pub body: &'a [u8],
}

/// The `Credential=` of the `Authorization` header: `AKID/YYYYMMDD/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    /// `YYYYMMDD`, as written by the client.
    pub date: String,
    pub region: String,
    pub service: String,
}

/// What [`parse`] read from a request: everything needed to look up the secret and verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub credential: Credential,
    /// The `SignedHeaders=` list: lowercase, sorted, always containing `host`.
    pub signed_headers: Vec<String>,
    /// The `Signature=`: 64 hex digits.
    pub signature: String,
    /// The request date, from `X-Amz-Date` or else the `Date` header.
    pub timestamp: Timestamp,
    /// The request date as it goes into the string to sign: `YYYYMMDDTHHMMSSZ`.
    pub request_date: String,
    /// The `X-Amz-Security-Token` header, signed or not (temporary credentials).
    pub security_token: Option<String>,
}

/// A request whose signature [`verify`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    /// The region the client signed for; the server compares it with its own, or accepts any.
    pub region: String,
    pub service: String,
    pub timestamp: Timestamp,
    /// The `X-Amz-Security-Token` header, reported as is; this crate does not judge it.
    pub security_token: Option<String>,
    pub signed_headers: Vec<String>,
}

impl Verified {
    /// [`Error::WrongRegion`] unless the client signed for `region`.
    pub fn check_region(&self, region: &str) -> Result<(), Error> {
        if self.region == region { Ok(()) } else { Err(Error::WrongRegion { got: self.region.clone() }) }
    }
}

/// Reads the `Authorization` header
/// (`AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=...`) and the request date (`X-Amz-Date`, or the
/// `Date` header when there is none).
///
/// Refuses, as [`Error::Malformed`] unless said otherwise: no `Authorization` header or one of
/// another scheme ([`Error::Missing`]); an `AWS4-` algorithm other than `AWS4-HMAC-SHA256`; a
/// parameter without `=`, repeated, or missing; a credential without five `/`-separated parts;
/// a scope not ending in `aws4_request` ([`Error::WrongTerminator`]); a signed header list that
/// is not lowercase, sorted and without repeats, that lacks `host`, or that names a header the
/// request does not have; a signature that is not 64 hex digits; no date, or a date not in
/// `YYYYMMDDTHHMMSSZ` (`X-Amz-Date`) or RFC 2822 (`Date`) form; a header that must be single
/// (`Authorization`, `X-Amz-Date`, `Date`, `X-Amz-Security-Token`) given twice.
pub fn parse(req: &Request<'_>) -> Result<Signed, Error> {
    let Some(authorization) = single_header(req, "authorization")? else {
        return Err(Error::Missing);
    };
    let authorization = authorization.trim();
    let (algorithm, parameters) = match authorization.find(|c: char| c.is_ascii_whitespace()) {
        Some(at) => (&authorization[..at], &authorization[at..]),
        None => (authorization, ""),
    };
    if algorithm != ALGORITHM {
        if algorithm.starts_with("AWS4-") {
            return Err(Error::Malformed(format!("Unsupported AWS 'algorithm': '{algorithm}'")));
        }
        return Err(Error::Missing);
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for parameter in parameters.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = parameter.split_once('=') else {
            return Err(Error::Malformed(format!(
                "'{parameter}' not a valid key=value pair (missing equal-sign) in Authorization header: \
                 '{authorization}'"
            )));
        };
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(value.trim()).is_some() {
            return Err(Error::Malformed(format!(
                "Authorization header has more than one '{}' parameter.",
                name.trim()
            )));
        }
    }
    let date = request_date(req)?;
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if date.is_none() {
        missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((timestamp, request_date))) =
        (credential, signed_headers, signature, date)
    else {
        return Err(Error::Malformed(missing.join(" ")));
    };

    let credential = parse_credential(credential)?;
    let signed_headers = parse_signed_headers(req, signed_headers)?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Malformed(format!("Signature must be 64 hexadecimal digits, got '{signature}'.")));
    }
    let security_token = single_header(req, "x-amz-security-token")?.map(|token| token.trim().to_string());
    Ok(Signed {
        credential,
        signed_headers,
        signature: signature.to_ascii_lowercase(),
        timestamp,
        request_date,
        security_token,
    })
}

fn parse_credential(credential: &str) -> Result<Credential, Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(Error::Malformed(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if terminator != TERMINATOR {
        return Err(Error::WrongTerminator { got: terminator.to_string() });
    }
    Ok(Credential {
        access_key_id: access_key_id.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
    })
}

fn parse_signed_headers(req: &Request<'_>, list: &str) -> Result<Vec<String>, Error> {
    let names: Vec<&str> = list.split(';').collect();
    let well_formed = names.iter().all(|name| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase() && b != b';')
    }) && names.windows(2).all(|pair| pair[0] < pair[1]);
    if !well_formed {
        return Err(Error::Malformed(format!(
            "SignedHeaders must be lowercase header names, sorted, separated by ';' and without \
             repeats, got '{list}'."
        )));
    }
    if !names.contains(&"host") {
        return Err(Error::Malformed(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_string(),
        ));
    }
    if let Some(absent) =
        names.iter().find(|name| !req.headers.iter().any(|(header, _)| header.eq_ignore_ascii_case(name)))
    {
        return Err(Error::Malformed(format!("SignedHeaders names '{absent}', which is not a header of the request.")));
    }
    Ok(names.into_iter().map(str::to_string).collect())
}

/// The request date: `X-Amz-Date` when present, else the `Date` header.
fn request_date(req: &Request<'_>) -> Result<Option<(Timestamp, String)>, Error> {
    if let Some(value) = single_header(req, "x-amz-date")? {
        let value = value.trim();
        return match parse_request_date(value) {
            Some(timestamp) => Ok(Some((timestamp, value.to_string()))),
            None => Err(Error::Malformed(format!(
                "Date must be in ISO-8601 'basic format'. Got '{value}'. See \
                 http://en.wikipedia.org/wiki/ISO_8601"
            ))),
        };
    }
    if let Some(value) = single_header(req, "date")? {
        return match jiff::fmt::rfc2822::parse(value.trim()) {
            Ok(zoned) => {
                let timestamp = zoned.timestamp();
                Ok(Some((timestamp, format_request_date(timestamp))))
            }
            Err(_) => Err(Error::Malformed(format!(
                "Date header must be an HTTP date such as 'Sun, 30 Aug 2015 12:36:00 GMT'. Got '{}'.",
                value.trim()
            ))),
        };
    }
    Ok(None)
}

/// `YYYYMMDDTHHMMSSZ`, strictly.
fn parse_request_date(value: &str) -> Option<Timestamp> {
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i32> {
        b.get(range.clone())?.iter().try_fold(0i32, |n, &d| d.is_ascii_digit().then(|| n * 10 + i32::from(d - b'0')))
    };
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let datetime = jiff::civil::DateTime::new(
        i16::try_from(digits(0..4)?).ok()?,
        i8::try_from(digits(4..6)?).ok()?,
        i8::try_from(digits(6..8)?).ok()?,
        i8::try_from(digits(9..11)?).ok()?,
        i8::try_from(digits(11..13)?).ok()?,
        i8::try_from(digits(13..15)?).ok()?,
        0,
    )
    .ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(datetime).ok()
}

/// `YYYYMMDDTHHMMSSZ`: the form of `X-Amz-Date` and of dates in AWS's messages.
pub fn format_request_date(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// The one value of header `name`, if any; [`Error::Malformed`] if it is given more than once.
fn single_header<'r>(req: &Request<'r>, name: &str) -> Result<Option<&'r str>, Error> {
    let mut values = req.headers.iter().filter(|(header, _)| header.eq_ignore_ascii_case(name));
    let first = values.next();
    if values.next().is_some() {
        return Err(Error::Malformed(format!("The request has more than one '{name}' header.")));
    }
    Ok(first.map(|(_, value)| value.as_str()))
}

/// The checks that need neither the secret nor the body: the request date is within
/// [`MAX_CLOCK_SKEW`] of `now` ([`Error::Expired`]), the credential is scoped to
/// `expected_service` ([`Error::WrongService`]) and to the day of the request date
/// ([`Error::ScopeMismatch`]). [`verify`] makes them too.
pub fn check(signed: &Signed, now: Timestamp, expected_service: &str) -> Result<(), Error> {
    let earliest = now.checked_sub(MAX_CLOCK_SKEW).unwrap_or(Timestamp::MIN);
    let latest = now.checked_add(MAX_CLOCK_SKEW).unwrap_or(Timestamp::MAX);
    if signed.timestamp < earliest || signed.timestamp > latest {
        return Err(Error::Expired { request_time: signed.timestamp, now });
    }
    if signed.credential.service != expected_service {
        return Err(Error::WrongService {
            expected: expected_service.to_string(),
            got: signed.credential.service.clone(),
        });
    }
    if !signed.request_date.starts_with(signed.credential.date.as_str()) || signed.credential.date.len() != 8 {
        return Err(Error::ScopeMismatch {
            scope_date: signed.credential.date.clone(),
            request_date: signed.request_date.clone(),
        });
    }
    Ok(())
}

/// Verifies `req`'s signature with the secret of `signed.credential.access_key_id`.
///
/// Makes the [`check`]s, then: an `x-amz-content-sha256` header, if any, must be the hex SHA-256
/// of the body ([`Error::ContentSha256Mismatch`]; `UNSIGNED-PAYLOAD` and the streaming forms are
/// [`Error::Malformed`]: ECS clients sign the body); then the signature computed from the
/// canonical request must equal `signed.signature` (compared in constant time;
/// [`Error::SignatureMismatch`] otherwise).
pub fn verify(
    signed: &Signed,
    req: &Request<'_>,
    secret_access_key: &str,
    now: Timestamp,
    expected_service: &str,
) -> Result<Verified, Error> {
    check(signed, now, expected_service)?;
    let payload_hash = payload_hash(req)?;
    let Credential { access_key_id, date, region, service } = &signed.credential;
    let canonical_request = canonical_request(req, &signed.signed_headers, &payload_hash);
    let string_to_sign =
        string_to_sign(&signed.request_date, &credential_scope(date, region, service), &canonical_request);
    let expected = signature(&signing_key(secret_access_key, date, region, service), &string_to_sign);
    let mut given = [0u8; 32];
    hex::decode_to_slice(&signed.signature, &mut given).map_err(|_| {
        Error::Malformed(format!("Signature must be 64 hexadecimal digits, got '{}'.", signed.signature))
    })?;
    if !hmac::constant_time_eq(&expected, &given) {
        return Err(Error::SignatureMismatch { canonical_request, string_to_sign });
    }
    Ok(Verified {
        access_key_id: access_key_id.clone(),
        region: region.clone(),
        service: service.clone(),
        timestamp: signed.timestamp,
        security_token: signed.security_token.clone(),
        signed_headers: signed.signed_headers.clone(),
    })
}

/// The payload hash of the canonical request: the body's SHA-256, which `x-amz-content-sha256`
/// must repeat when the client sends it.
fn payload_hash(req: &Request<'_>) -> Result<String, Error> {
    let computed = sha256_hex(req.body);
    match single_header(req, "x-amz-content-sha256")? {
        None => Ok(computed),
        Some(claimed) => {
            let claimed = claimed.trim();
            if claimed.len() != 64 || !claimed.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::Malformed(format!(
                    "x-amz-content-sha256 must be the hex SHA-256 of the body; '{claimed}' is not \
                     accepted: this service requires signed payloads."
                )));
            }
            if !claimed.eq_ignore_ascii_case(&computed) {
                return Err(Error::ContentSha256Mismatch);
            }
            // The client signed the value it sent, in the case it sent it.
            Ok(claimed.to_string())
        }
    }
}

/// What [`sign`] signs with.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// Sent and signed as `X-Amz-Security-Token` when given.
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    /// The request date.
    pub time: Timestamp,
}

/// Headers botocore never signs (`SIGNED_HEADERS_BLACKLIST` of `botocore.auth`).
const UNSIGNED_HEADERS: &[&str] = &[
    "baggage",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "traceparent",
    "tracestate",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Signs `req` as botocore's `SigV4Auth` does, and returns the headers to add to it, in order:
/// `X-Amz-Date`, `X-Amz-Security-Token` (with a session token) and `Authorization`.
///
/// Every header of `req` is signed except the ones botocore never signs (`user-agent`,
/// `expect`, `transfer-encoding`, ...) and `authorization`, `x-amz-date` and
/// `x-amz-security-token`, which are replaced by the returned ones; send `Content-Length` only
/// after signing, as botocore's HTTP layer does, or sign it too. The body is signed by its
/// SHA-256. `req` must have a `host` header ([`Error::Malformed`] otherwise).
pub fn sign(req: &Request<'_>, params: &SigningParams<'_>) -> Result<Vec<(String, String)>, Error> {
    let replaced = ["authorization", "x-amz-date", "x-amz-security-token"];
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(name, _)| !replaced.iter().any(|r| name.eq_ignore_ascii_case(r)))
        .cloned()
        .collect();
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        return Err(Error::Malformed("A request to sign needs a 'host' header.".to_string()));
    }
    let request_date = format_request_date(params.time);
    let mut added = vec![("X-Amz-Date".to_string(), request_date.clone())];
    if let Some(token) = params.session_token {
        added.push(("X-Amz-Security-Token".to_string(), token.to_string()));
    }
    headers.extend(added.iter().cloned());

    let mut signed_headers: Vec<String> = headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .filter(|name| !UNSIGNED_HEADERS.contains(&name.as_str()))
        .collect();
    signed_headers.sort();
    signed_headers.dedup();

    let date = &request_date[..8];
    let to_sign = Request { headers: &headers, ..*req };
    let canonical_request = canonical_request(&to_sign, &signed_headers, &sha256_hex(req.body));
    let string_to_sign =
        string_to_sign(&request_date, &credential_scope(date, params.region, params.service), &canonical_request);
    let key = signing_key(params.secret_access_key, date, params.region, params.service);
    let signature = hex::encode(signature(&key, &string_to_sign));
    added.push((
        "Authorization".to_string(),
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
            params.access_key_id,
            credential_scope(date, params.region, params.service),
            signed_headers.join(";"),
        ),
    ));
    Ok(added)
}
