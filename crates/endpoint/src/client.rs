//! A minimal signed client of the ECS API for kube-ecs's own tools (the demo's check, the
//! benchmark, the tests' raw requests): one request per connection, SigV4-signed as botocore
//! signs. Real users have the AWS CLI and SDKs; this exists so the tools need neither.

use kube_ecs_sigv4 as sigv4;

/// Who signs, and for which region.
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
}

/// The headers of a request to `host` for `target` (`AmazonEC2ContainerServiceV20141113.<Action>`,
/// or ECR's `AmazonEC2ContainerRegistry_V20150921.<Action>`), signed at `time` when a signer is given.
pub fn headers(
    host: &str,
    target: Option<&str>,
    body: &[u8],
    signer: Option<Signer<'_>>,
    time: jiff::Timestamp,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> =
        vec![("Host".into(), host.into()), ("Content-Type".into(), "application/x-amz-json-1.1".into())];
    if let Some(target) = target {
        headers.push(("X-Amz-Target".into(), target.into()));
    }
    if let Some(signer) = signer {
        let request = sigv4::Request { method: "POST", path: "/", query: "", headers: &headers, body };
        let params = sigv4::SigningParams {
            access_key_id: signer.access_key_id,
            secret_access_key: signer.secret_access_key,
            session_token: None,
            region: signer.region,
            // As the AWS CLI signs: for the target's service (`ecr` for ECR's targets).
            service: crate::protocol::signing_service(target).signing_name(),
            time,
        };
        // Signing only fails without a Host header, which is always there.
        if let Ok(added) = sigv4::sign(&request, &params) {
            headers.extend(added);
        }
    }
    headers
}

/// POSTs `body` with `headers` to `host` over a fresh connection; the status and the JSON answer.
/// The server may answer before the whole body is sent (a body over its limit): the answer wins.
pub async fn post(host: &str, headers: &[(String, String)], body: &[u8]) -> std::io::Result<(u16, serde_json::Value)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let mut head = String::from("POST / HTTP/1.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.to_string()))))
}

/// Calls `operation` with `input`, signed now.
pub async fn call(
    host: &str,
    signer: Signer<'_>,
    operation: &str,
    input: &serde_json::Value,
) -> std::io::Result<(u16, serde_json::Value)> {
    let target = format!("{}.{operation}", kube_ecs_wire::TARGET_PREFIX);
    let body = serde_json::to_vec(input)?;
    let headers = headers(host, Some(&target), &body, Some(signer), jiff::Timestamp::now());
    post(host, &headers, &body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_signed_for_the_targets_service() {
        let signer = Signer { access_key_id: "AKIAKUBEECSTEAMA0001", secret_access_key: "secret", region: "us-east-1" };
        let cases = [
            ("AmazonEC2ContainerServiceV20141113.ListClusters", "/us-east-1/ecs/aws4_request"),
            ("AmazonEC2ContainerRegistry_V20150921.ListImages", "/us-east-1/ecr/aws4_request"),
        ];
        for (target, scope) in cases {
            let headers = headers("127.0.0.1:8443", Some(target), b"{}", Some(signer), jiff::Timestamp::now());
            let authorization = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("authorization")).map(|(_, v)| v);
            assert!(authorization.is_some_and(|a| a.contains(scope)), "{target}: {authorization:?}");
        }
    }
}
