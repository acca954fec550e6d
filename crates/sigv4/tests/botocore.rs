//! Requests signed by real botocore (`botocore.auth.SigV4Auth`, as the AWS CLI signs ECS calls),
//! recorded in `fixtures/botocore.json` by `botocore_vectors.py`: this crate must compute
//! botocore's canonical request and string to sign, accept its signature, and sign the same
//! request to the same `Authorization` header.

use jiff::{SignedDuration, Timestamp};
use kube_ecs_sigv4::{
    Request, SigningParams, canonical_request, credential_scope, parse, sha256_hex, sign, string_to_sign, verify,
};
use pretty_assertions::assert_eq;
use serde_json::Value;

struct Case {
    name: String,
    service: String,
    region: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    signed_at: Timestamp,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    canonical_request: String,
    string_to_sign: String,
    authorization: String,
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| panic!("{key} is not a string")).to_string()
}

fn cases() -> Vec<Case> {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/botocore.json")).unwrap();
    assert_eq!(fixture["botocore_version"], "1.44.8");
    fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let request = &case["request"];
            Case {
                name: text(case, "name"),
                service: text(case, "service"),
                region: text(case, "region"),
                access_key_id: text(case, "access_key_id"),
                secret_access_key: text(case, "secret_access_key"),
                session_token: case["session_token"].as_str().map(str::to_string),
                signed_at: text(case, "signed_at").parse().unwrap(),
                method: text(request, "method"),
                path: text(request, "path"),
                query: text(request, "query"),
                headers: request["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_str().unwrap().to_string()))
                    .collect(),
                body: text(request, "body").into_bytes(),
                canonical_request: text(case, "canonical_request"),
                string_to_sign: text(case, "string_to_sign"),
                authorization: text(case, "authorization"),
            }
        })
        .collect()
}

impl Case {
    fn request(&self) -> Request<'_> {
        Request { method: &self.method, path: &self.path, query: &self.query, headers: &self.headers, body: &self.body }
    }
}

#[test]
fn the_fixture_has_the_expected_cases() {
    let names: Vec<String> = cases().into_iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "list-clusters",
            "list-clusters-session-token",
            "describe-clusters-utf8-body",
            "run-task-larger-body",
            "date-header-instead-of-x-amz-date",
            "get-with-query-and-encoded-path",
        ]
    );
}

#[test]
fn botocore_signed_requests_verify() {
    for case in cases() {
        let req = case.request();
        let signed = parse(&req).unwrap_or_else(|e| panic!("{}: parse: {e}", case.name));
        assert_eq!(signed.credential.access_key_id, case.access_key_id, "{}", case.name);
        assert_eq!(signed.credential.region, case.region, "{}", case.name);
        assert_eq!(signed.credential.service, case.service, "{}", case.name);
        assert_eq!(signed.timestamp, case.signed_at, "{}", case.name);
        assert_eq!(signed.security_token, case.session_token, "{}", case.name);

        let creq = canonical_request(&req, &signed.signed_headers, &sha256_hex(req.body));
        assert_eq!(creq, case.canonical_request, "{}: botocore's canonical request", case.name);
        let scope = credential_scope(&signed.credential.date, &case.region, &case.service);
        assert_eq!(
            string_to_sign(&signed.request_date, &scope, &creq),
            case.string_to_sign,
            "{}: botocore's string to sign",
            case.name
        );

        // Received three minutes after signing.
        let now = case.signed_at + SignedDuration::from_mins(3);
        let verified = verify(&signed, &req, &case.secret_access_key, now, "ecs")
            .unwrap_or_else(|e| panic!("{}: verify: {e}", case.name));
        assert_eq!(verified.region, case.region);
        assert_eq!(verified.security_token, case.session_token);
        verified.check_region(&case.region).unwrap();
    }
}

#[test]
fn sign_reproduces_botocores_authorization_header() {
    for case in cases().into_iter().filter(|c| c.name != "date-header-instead-of-x-amz-date") {
        // What botocore had before signing: no auth headers, and no Content-Length, which its HTTP
        // layer adds afterwards.
        let before: Vec<(String, String)> = case
            .headers
            .iter()
            .filter(|(name, _)| {
                !["authorization", "x-amz-date", "x-amz-security-token", "content-length"]
                    .contains(&name.to_ascii_lowercase().as_str())
            })
            .cloned()
            .collect();
        let req = Request { headers: &before, ..case.request() };
        let params = SigningParams {
            access_key_id: &case.access_key_id,
            secret_access_key: &case.secret_access_key,
            session_token: case.session_token.as_deref(),
            region: &case.region,
            service: &case.service,
            time: case.signed_at,
        };
        let added = sign(&req, &params).unwrap();
        let names: Vec<&str> = added.iter().map(|(n, _)| n.as_str()).collect();
        let expected_names: &[&str] = if case.session_token.is_some() {
            &["X-Amz-Date", "X-Amz-Security-Token", "Authorization"]
        } else {
            &["X-Amz-Date", "Authorization"]
        };
        assert_eq!(names, expected_names, "{}", case.name);
        for (name, value) in &added {
            let sent = case.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            assert_eq!(Some(value.as_str()), sent, "{}: {name}", case.name);
        }
        assert_eq!(added.last().unwrap().1, case.authorization, "{}", case.name);
    }
}
