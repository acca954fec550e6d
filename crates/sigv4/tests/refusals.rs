//! Requests that must be refused, each with the AWS error type and message the endpoint answers.
//!
//! The requests start from an ECS `ListClusters` call signed by `sign` (which the botocore and
//! test-suite vectors pin) or from the test suite's `get-vanilla`, and are then altered.

use jiff::{SignedDuration, Timestamp};
use kube_ecs_sigv4::{Error, Request, SigningParams, check, parse, sign, verify};
use pretty_assertions::assert_eq;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SIGNED_AT: &str = "2015-08-30T12:36:00Z";
const BODY: &[u8] = br#"{"maxResults":10}"#;

type Headers = Vec<(String, String)>;

fn at(time: &str) -> Timestamp {
    time.parse().unwrap()
}

/// An ECS `ListClusters` call as the AWS CLI sends it, signed at 20150830T123600Z.
fn list_clusters(token: Option<&str>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = [
        ("Host", "127.0.0.1:8080"),
        ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("User-Agent", "aws-cli/1.46.3"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let req = Request { method: "POST", path: "/", query: "", headers: &headers, body: BODY };
    let params = SigningParams {
        access_key_id: ACCESS_KEY_ID,
        secret_access_key: SECRET,
        session_token: token,
        region: "us-east-1",
        service: "ecs",
        time: at(SIGNED_AT),
    };
    let added = sign(&req, &params).unwrap();
    headers.extend(added);
    headers.push(("Content-Length".to_string(), BODY.len().to_string()));
    headers
}

fn post<'a>(headers: &'a [(String, String)], body: &'a [u8]) -> Request<'a> {
    Request { method: "POST", path: "/", query: "", headers, body }
}

/// Parses and verifies as the endpoint does, at `now`, for the service `ecs`.
fn outcome(req: &Request<'_>, secret: &str, now: &str) -> Result<kube_ecs_sigv4::Verified, Error> {
    let signed = parse(req)?;
    verify(&signed, req, secret, at(now), "ecs")
}

fn set(headers: &mut [(String, String)], name: &str, value: &str) {
    let header = headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)).unwrap();
    header.1 = value.to_string();
}

fn authorization(headers: &[(String, String)]) -> String {
    headers.iter().find(|(n, _)| n == "Authorization").unwrap().1.clone()
}

#[test]
fn the_untouched_request_verifies() {
    let headers = list_clusters(None);
    let verified = outcome(&post(&headers, BODY), SECRET, SIGNED_AT).unwrap();
    assert_eq!(verified.access_key_id, ACCESS_KEY_ID);
    assert_eq!(verified.region, "us-east-1");
    assert_eq!(verified.service, "ecs");
    assert_eq!(verified.security_token, None);
    assert_eq!(verified.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-target"]);
    // An unsigned header may change on the way (proxies rewrite User-Agent).
    let mut headers = headers;
    set(&mut headers, "User-Agent", "something else");
    outcome(&post(&headers, BODY), SECRET, SIGNED_AT).unwrap();
}

#[test]
fn the_session_token_is_reported() {
    let headers = list_clusters(Some("FwoGZXIvYXdzEXAMPLE//token=="));
    let verified = outcome(&post(&headers, BODY), SECRET, SIGNED_AT).unwrap();
    assert_eq!(verified.security_token.as_deref(), Some("FwoGZXIvYXdzEXAMPLE//token=="));
    assert!(verified.signed_headers.contains(&"x-amz-security-token".to_string()));
    // Signed, so it cannot be swapped.
    let mut swapped = headers;
    set(&mut swapped, "X-Amz-Security-Token", "another");
    assert!(matches!(outcome(&post(&swapped, BODY), SECRET, SIGNED_AT), Err(Error::SignatureMismatch { .. })));
}

#[test]
fn tampering_or_the_wrong_secret_is_a_signature_mismatch() {
    let headers = list_clusters(None);
    let mut target = headers.clone();
    set(&mut target, "X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DeleteCluster");
    let mut host = headers.clone();
    set(&mut host, "Host", "127.0.0.1:8081");
    let mut doubled = headers.clone();
    doubled.push(("Content-Type".to_string(), "text/plain".to_string()));
    let cases: Vec<(&str, Request<'_>, &str)> = vec![
        ("tampered body", post(&headers, br#"{"maxResults":11}"#), SECRET),
        ("empty body", post(&headers, b""), SECRET),
        ("tampered signed header", post(&target, BODY), SECRET),
        ("another host", post(&host, BODY), SECRET),
        ("a second value of a signed header", post(&doubled, BODY), SECRET),
        ("another path", Request { path: "/v2", ..post(&headers, BODY) }, SECRET),
        ("a query added", Request { query: "a=1", ..post(&headers, BODY) }, SECRET),
        ("another method", Request { method: "PUT", ..post(&headers, BODY) }, SECRET),
        ("wrong secret", post(&headers, BODY), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ"),
    ];
    for (what, req, secret) in cases {
        let error = outcome(&req, secret, SIGNED_AT).unwrap_err();
        assert!(matches!(error, Error::SignatureMismatch { .. }), "{what}: {error:?}");
        assert_eq!(error.code(), "InvalidSignatureException", "{what}");
        assert_eq!(
            error.message(),
            "The request signature we calculated does not match the signature you provided. Check your \
             AWS Secret Access Key and signing method. Consult the service documentation for details.",
            "{what}"
        );
    }
}

#[test]
fn the_mismatch_keeps_the_canonical_request_for_the_log() {
    let headers = list_clusters(None);
    let Err(Error::SignatureMismatch { canonical_request, string_to_sign }) =
        outcome(&post(&headers, b"{}"), SECRET, SIGNED_AT)
    else {
        panic!("expected a mismatch");
    };
    assert!(canonical_request.starts_with("POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:127.0.0.1:8080\n"));
    assert!(canonical_request.ends_with("\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"));
    assert!(string_to_sign.starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/ecs/aws4_request\n"));
}

#[test]
fn a_date_more_than_15_minutes_off_either_way_has_expired() {
    let headers = list_clusters(None);
    let req = post(&headers, BODY);
    let cases = [
        // The brief's (and AWS's) example.
        (
            "2015-08-30T13:01:00Z",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T130100Z - 15 min.)",
        ),
        (
            "2015-08-30T12:52:00Z",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)",
        ),
        (
            "2015-08-30T12:51:01Z",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)",
        ),
        (
            "2015-08-30T12:20:00Z",
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)",
        ),
        (
            "2015-08-30T12:20:59Z",
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)",
        ),
    ];
    for (now, message) in cases {
        let error = outcome(&req, SECRET, now).unwrap_err();
        assert_eq!(error, Error::Expired { request_time: at(SIGNED_AT), now: at(now) }, "{now}");
        assert_eq!(error.code(), "InvalidSignatureException");
        assert_eq!(error.message(), message);
    }
    // Exactly 15 minutes either way is still accepted.
    for now in ["2015-08-30T12:51:00Z", "2015-08-30T12:21:00Z"] {
        outcome(&req, SECRET, now).unwrap_or_else(|e| panic!("{now}: {e}"));
    }
}

#[test]
fn the_credential_must_be_scoped_to_the_request_day_and_the_service() {
    let headers = list_clusters(None);
    let req = post(&headers, BODY);
    let signed = parse(&req).unwrap();
    let now = at(SIGNED_AT);

    let mut other_day = signed.clone();
    other_day.credential.date = "20150831".to_string();
    let error = verify(&other_day, &req, SECRET, now, "ecs").unwrap_err();
    assert_eq!(error.code(), "InvalidSignatureException");
    assert_eq!(
        error.message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
         '20150831' != '20150830', from '20150830T123600Z'."
    );

    // The same, from the header: the date in Credential= is edited.
    let mut edited = headers.clone();
    let value = authorization(&headers).replace("/20150830/", "/20150829/");
    set(&mut edited, "Authorization", &value);
    assert!(matches!(outcome(&post(&edited, BODY), SECRET, SIGNED_AT), Err(Error::ScopeMismatch { .. })));

    let error = verify(&signed, &req, SECRET, now, "ec2").unwrap_err();
    assert_eq!(error, Error::WrongService { expected: "ec2".to_string(), got: "ecs".to_string() });
    assert_eq!(error.code(), "InvalidSignatureException");
    assert_eq!(error.message(), "Credential should be scoped to correct service: 'ec2'.");
    // check() makes the same refusals without the secret.
    assert_eq!(check(&signed, now, "ec2"), Err(error));
    assert_eq!(check(&signed, now, "ecs"), Ok(()));
    assert!(matches!(check(&signed, now + SignedDuration::from_mins(16), "ecs"), Err(Error::Expired { .. })));

    let verified = verify(&signed, &req, SECRET, now, "ecs").unwrap();
    let error = verified.check_region("eu-west-1").unwrap_err();
    assert_eq!(error.code(), "InvalidSignatureException");
    assert_eq!(error.message(), "Credential should be scoped to a valid region, not 'us-east-1'.");
}

#[test]
fn no_authorization_header_or_another_scheme_is_missing() {
    let mut headers = list_clusters(None);
    headers.retain(|(n, _)| n != "Authorization");
    let error = outcome(&post(&headers, BODY), SECRET, SIGNED_AT).unwrap_err();
    assert_eq!(error, Error::Missing);
    assert_eq!(error.code(), "MissingAuthenticationTokenException");
    assert_eq!(error.message(), "Missing Authentication Token");
    for scheme in ["Basic QUtJRDpzZWNyZXQ=", "Bearer abc", ""] {
        let mut with = headers.clone();
        with.push(("authorization".to_string(), scheme.to_string()));
        assert_eq!(outcome(&post(&with, BODY), SECRET, SIGNED_AT).unwrap_err(), Error::Missing, "{scheme:?}");
    }
}

#[test]
fn malformed_authorization_headers_say_what_is_wrong() {
    const CRED: &str = "Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request";
    const SH: &str = "SignedHeaders=content-type;host;x-amz-date;x-amz-target";
    const SIG: &str = "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let requires_all = "Authorization header requires 'Credential' parameter. Authorization header requires \
                        'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.";
    let cases: Vec<(String, String)> = vec![
        ("AWS4-HMAC-SHA256".to_string(), requires_all.to_string()),
        ("AWS4-HMAC-SHA256 ".to_string(), requires_all.to_string()),
        (format!("AWS4-HMAC-SHA256 {CRED}, {SH}"), "Authorization header requires 'Signature' parameter.".to_string()),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, {SIG}"),
            "Authorization header requires 'SignedHeaders' parameter.".to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA512 {CRED}, {SH}, {SIG}"),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'".to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential, {SH}, {SIG}"),
            format!(
                "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: \
                 'AWS4-HMAC-SHA256 Credential, {SH}, {SIG}'"
            ),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, {SH}, {SIG}, {SIG}"),
            "Authorization header has more than one 'Signature' parameter.".to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs, {SH}, {SIG}"),
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
             got 'AKIDEXAMPLE/20150830/us-east-1/ecs'"
                .to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, {SH}, {SIG}"),
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
             got 'AKIDEXAMPLE'"
                .to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=content-type;x-amz-date;x-amz-target, {SIG}"),
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host;content-type, {SIG}"),
            "SignedHeaders must be lowercase header names, sorted, separated by ';' and without repeats, got \
             'host;content-type'."
                .to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=Content-Type;host, {SIG}"),
            "SignedHeaders must be lowercase header names, sorted, separated by ';' and without repeats, got \
             'Content-Type;host'."
                .to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host;host, {SIG}"),
            "SignedHeaders must be lowercase header names, sorted, separated by ';' and without repeats, got \
             'host;host'."
                .to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=, {SIG}"),
            "SignedHeaders must be lowercase header names, sorted, separated by ';' and without repeats, got ''."
                .to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host;x-amz-content-sha256, {SIG}"),
            "SignedHeaders names 'x-amz-content-sha256', which is not a header of the request.".to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, {SH}, Signature=5fa00fa3"),
            "Signature must be 64 hexadecimal digits, got '5fa00fa3'.".to_string(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {CRED}, {SH}, Signature={}", "g".repeat(64)),
            format!("Signature must be 64 hexadecimal digits, got '{}'.", "g".repeat(64)),
        ),
    ];
    let headers = list_clusters(None);
    for (value, message) in cases {
        let mut with = headers.clone();
        set(&mut with, "Authorization", &value);
        let error = parse(&post(&with, BODY)).unwrap_err();
        assert_eq!(error, Error::Malformed(message), "{value}");
        assert_eq!(error.code(), "IncompleteSignatureException", "{value}");
    }

    let mut terminator = headers.clone();
    set(&mut terminator, "Authorization", &authorization(&headers).replace("aws4_request", "aws5_request"));
    let error = parse(&post(&terminator, BODY)).unwrap_err();
    assert_eq!(error.code(), "InvalidSignatureException");
    assert_eq!(
        error.message(),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    );
}

#[test]
fn the_request_date_must_be_there_and_well_formed() {
    let headers = list_clusters(None);
    let malformed = |edit: &dyn Fn(&mut Headers)| {
        let mut edited = headers.clone();
        edit(&mut edited);
        parse(&post(&edited, BODY)).unwrap_err()
    };
    assert_eq!(
        malformed(&|h| h.retain(|(n, _)| n != "X-Amz-Date")),
        Error::Malformed(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".to_string()
        )
    );
    for bad in ["2015-08-30T12:36:00Z", "20150830T123600", "20150830T126000Z", "20151330T123600Z", "20150830 123600Z"] {
        assert_eq!(
            malformed(&|h| set(h, "X-Amz-Date", bad)),
            Error::Malformed(format!(
                "Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601"
            )),
            "{bad}"
        );
    }
    assert_eq!(
        malformed(&|h| {
            h.retain(|(n, _)| n != "X-Amz-Date");
            h.push(("Date".to_string(), "yesterday".to_string()));
        }),
        Error::Malformed(
            "Date header must be an HTTP date such as 'Sun, 30 Aug 2015 12:36:00 GMT'. Got 'yesterday'.".to_string()
        )
    );
    assert_eq!(
        malformed(&|h| h.push(("x-amz-date".to_string(), "20150830T123600Z".to_string()))),
        Error::Malformed("The request has more than one 'x-amz-date' header.".to_string())
    );
    assert_eq!(
        malformed(&|h| h.push(("authorization".to_string(), "AWS4-HMAC-SHA256".to_string()))),
        Error::Malformed("The request has more than one 'authorization' header.".to_string())
    );
}

/// The Date header is used when there is no X-Amz-Date (botocore does so when the request has
/// one); X-Amz-Date wins when both are there.
#[test]
fn the_date_header_stands_in_for_x_amz_date() {
    let headers: Vec<(String, String)> = [("Host", "example.amazonaws.com"), ("Date", "Sun, 30 Aug 2015 12:36:00 GMT")]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let req = Request { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
    let signed_headers = vec!["date".to_string(), "host".to_string()];
    let creq = kube_ecs_sigv4::canonical_request(&req, &signed_headers, kube_ecs_sigv4::EMPTY_SHA256);
    let sts = kube_ecs_sigv4::string_to_sign(
        "20150830T123600Z",
        &kube_ecs_sigv4::credential_scope("20150830", "us-east-1", "ecs"),
        &creq,
    );
    let key = kube_ecs_sigv4::signing_key(SECRET, "20150830", "us-east-1", "ecs");
    let signature = hex_lower(&kube_ecs_sigv4::signature(&key, &sts));
    let mut with = headers.clone();
    with.push((
        "Authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20150830/us-east-1/ecs/aws4_request, \
             SignedHeaders=date;host, Signature={signature}"
        ),
    ));
    let req = Request { headers: &with, ..req };
    let signed = parse(&req).unwrap();
    assert_eq!(signed.request_date, "20150830T123600Z");
    verify(&signed, &req, SECRET, at(SIGNED_AT), "ecs").unwrap();

    let mut both = with.clone();
    both.push(("X-Amz-Date".to_string(), "20150830T120000Z".to_string()));
    let req = Request { headers: &both, ..req };
    assert_eq!(parse(&req).unwrap().request_date, "20150830T120000Z");
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn x_amz_content_sha256_must_be_the_body_hash() {
    let mut headers = list_clusters(None);
    let body_hash = kube_ecs_sigv4::sha256_hex(BODY);
    headers.push(("x-amz-content-sha256".to_string(), body_hash.clone()));
    // Unsigned here, but checked all the same.
    outcome(&post(&headers, BODY), SECRET, SIGNED_AT).unwrap();

    set(&mut headers, "x-amz-content-sha256", &kube_ecs_sigv4::sha256_hex(b"{}"));
    let error = outcome(&post(&headers, BODY), SECRET, SIGNED_AT).unwrap_err();
    assert_eq!(error, Error::ContentSha256Mismatch);
    assert_eq!(error.code(), "InvalidSignatureException");
    assert_eq!(error.message(), "The provided 'x-amz-content-sha256' header does not match what was computed.");

    for claimed in ["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "abc"] {
        set(&mut headers, "x-amz-content-sha256", claimed);
        let error = outcome(&post(&headers, BODY), SECRET, SIGNED_AT).unwrap_err();
        assert_eq!(
            error,
            Error::Malformed(format!(
                "x-amz-content-sha256 must be the hex SHA-256 of the body; '{claimed}' is not accepted: this \
                 service requires signed payloads."
            ))
        );
    }

    // Signed by the client (as S3-style signers do): verifies when it is right.
    let mut signed_hash: Vec<(String, String)> = [
        ("Host", "127.0.0.1:8080"),
        ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
        ("x-amz-content-sha256", body_hash.as_str()),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let params = SigningParams {
        access_key_id: ACCESS_KEY_ID,
        secret_access_key: SECRET,
        session_token: None,
        region: "us-east-1",
        service: "ecs",
        time: at(SIGNED_AT),
    };
    let added = sign(&post(&signed_hash, BODY), &params).unwrap();
    signed_hash.extend(added);
    let verified = outcome(&post(&signed_hash, BODY), SECRET, SIGNED_AT).unwrap();
    assert!(verified.signed_headers.contains(&"x-amz-content-sha256".to_string()));
}

#[test]
fn every_error_has_its_aws_code() {
    let now = at(SIGNED_AT);
    let table: Vec<(Error, &str, &str)> = vec![
        (Error::Missing, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        (Error::Malformed("m".to_string()), "IncompleteSignatureException", "m"),
        (
            Error::UnrecognizedClient,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (
            Error::WrongTerminator { got: "x".to_string() },
            "InvalidSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'x'.",
        ),
        (
            Error::Expired { request_time: now, now: now + SignedDuration::from_hours(1) },
            "InvalidSignatureException",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T132100Z (20150830T133600Z - 15 min.)",
        ),
    ];
    for (error, code, message) in table {
        assert_eq!(error.code(), code, "{error:?}");
        assert_eq!(error.message(), message, "{error:?}");
        assert_eq!(error.to_string(), format!("{code}: {message}"));
    }
}

#[test]
fn sign_needs_a_host() {
    let headers = vec![("X-Amz-Target".to_string(), "x".to_string())];
    let params = SigningParams {
        access_key_id: ACCESS_KEY_ID,
        secret_access_key: SECRET,
        session_token: None,
        region: "us-east-1",
        service: "ecs",
        time: at(SIGNED_AT),
    };
    assert_eq!(
        sign(&post(&headers, b""), &params),
        Err(Error::Malformed("A request to sign needs a 'host' header.".to_string()))
    );
}
