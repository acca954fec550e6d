//! Translations between the front's API and the registry under's (pure).
//!
//! Front path `/v2/<name>/...` is `/v2/<registry host>/<name>/...` upstream. Answers of the
//! registry under name its own address and paths (upload `Location`s, pagination `Link`s, the
//! `name` of a tag list); they are turned back into the front's, relative, so clients keep
//! talking to the front with the credentials they have. Headers that belong to one connection
//! (hop-by-hop) or to the other side's authentication never cross.

use http::{HeaderMap, HeaderName, HeaderValue, header};

/// Headers of one connection (RFC 9110 7.6.1), never forwarded.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Request headers the registry under must not see: the client's credentials are the front's
/// business; the host and forwarding headers would make the registry under build its `Location`s
/// from the client's words; `Expect` asks for an interim answer the front does not relay.
const CLIENT_ONLY: [HeaderName; 6] = [
    header::AUTHORIZATION,
    header::HOST,
    header::EXPECT,
    header::FORWARDED,
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-proto"),
];

/// The request headers to send upstream.
pub fn request_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = without_hop_by_hop(headers);
    for name in &CLIENT_ONLY {
        out.remove(name);
    }
    out.remove("x-forwarded-for");
    out
}

/// The answer headers to send the client, with upstream URLs made the front's.
pub fn answer_headers(headers: &HeaderMap, upstream_authority: &str, registry_host: &str) -> HeaderMap {
    let mut out = without_hop_by_hop(headers);
    // The registry under's challenge is for kube-ecs's credentials, not the client's.
    out.remove(header::WWW_AUTHENTICATE);
    for name in [header::LOCATION, header::LINK] {
        let rewritten: Vec<HeaderValue> = out
            .get_all(&name)
            .iter()
            .map(|value| {
                let rewritten = value.to_str().ok().map(|value| {
                    if name == header::LOCATION {
                        front_url(value, upstream_authority, registry_host)
                    } else {
                        front_link(value, upstream_authority, registry_host)
                    }
                });
                rewritten.and_then(|v| HeaderValue::from_str(&v).ok()).unwrap_or_else(|| value.clone())
            })
            .collect();
        out.remove(&name);
        for value in rewritten {
            out.append(name.clone(), value);
        }
    }
    out
}

fn without_hop_by_hop(headers: &HeaderMap) -> HeaderMap {
    // Headers the Connection header names are hop-by-hop too.
    let listed: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut out = headers.clone();
    for name in &HOP_BY_HOP {
        out.remove(name);
    }
    for name in listed {
        out.remove(name.as_str());
    }
    out
}

/// The upstream path of front path `path` (`/v2/<name>/...`).
pub fn upstream_path(path: &str, registry_host: &str) -> Option<String> {
    let rest = path.strip_prefix("/v2/")?;
    Some(format!("/v2/{registry_host}/{rest}"))
}

/// `query` without the cross-repository mount (`mount`, `from`): the registry under then starts an
/// ordinary upload, and the client uploads the blob, with the pull check a mount would skip.
pub fn without_mount(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            !pair.is_empty() && key != "mount" && key != "from"
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `url` (absolute on the registry under, or relative) as a relative URL of the front; URLs
/// elsewhere (a storage redirect) are left alone.
pub fn front_url(url: &str, upstream_authority: &str, registry_host: &str) -> String {
    let relative = match url.split_once("://") {
        Some((_, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if !authority.eq_ignore_ascii_case(upstream_authority) {
                return url.to_string();
            }
            path
        }
        None => url,
    };
    match relative.strip_prefix(&format!("/v2/{registry_host}/")) {
        Some(rest) => format!("/v2/{rest}"),
        None => relative.to_string(),
    }
}

/// A `Link` header (`<url>; rel="next"`, possibly several) with its URLs made the front's.
pub fn front_link(link: &str, upstream_authority: &str, registry_host: &str) -> String {
    link.split(',')
        .map(|part| {
            let part = part.trim();
            match (part.find('<'), part.find('>')) {
                (Some(open), Some(close)) if open < close => format!(
                    "{}<{}>{}",
                    &part[..open],
                    front_url(&part[open + 1..close], upstream_authority, registry_host),
                    &part[close + 1..]
                ),
                _ => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A tag list of the registry under (`{"name":"<host>/<name>","tags":[...]}`) with the front's name.
pub fn front_tag_list(body: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut list: serde_json::Value = serde_json::from_slice(body).ok()?;
    *list.as_object_mut()?.get_mut("name")? = serde_json::Value::String(name.to_string());
    serde_json::to_vec(&list).ok()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    const UPSTREAM: &str = "127.0.0.1:5000";

    #[test]
    fn front_paths_live_under_the_registry_host_upstream() {
        assert_eq!(
            upstream_path("/v2/team-a/web/manifests/1", HOST).as_deref(),
            Some("/v2/123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/web/manifests/1")
        );
        assert_eq!(upstream_path("/v1/x", HOST), None);
    }

    #[test]
    fn a_mount_becomes_an_ordinary_upload() {
        let digest = "sha256:f308a270ad264beb82b6a531d9808ab0b4fc32743f5d8d3e23ff5b62aa535d8e";
        let cases = [
            (format!("mount={digest}&from=team-b/secret"), ""),
            (format!("from=team-b%2Fsecret&mount={digest}&digest=sha256:abc"), "digest=sha256:abc"),
            ("digest=sha256:abc".to_string(), "digest=sha256:abc"),
            (format!("mount={digest}"), ""),
            ("mountain=1&from_x=2".to_string(), "mountain=1&from_x=2"),
            (String::new(), ""),
        ];
        for (query, expected) in cases {
            assert_eq!(without_mount(&query), expected, "{query}");
        }
    }

    #[test]
    fn upstream_urls_become_relative_front_urls() {
        let upload = "/blobs/uploads/0f2c?_state=abc%3D";
        let cases = [
            (format!("http://{UPSTREAM}/v2/{HOST}/team-a/web{upload}"), format!("/v2/team-a/web{upload}")),
            (format!("/v2/{HOST}/team-a/web{upload}"), format!("/v2/team-a/web{upload}")),
            (format!("HTTP://{UPSTREAM}/v2/{HOST}/web/manifests/sha256:1"), "/v2/web/manifests/sha256:1".into()),
            // Somewhere else: a storage backend's redirect stays as it is.
            (
                format!("https://s3.example.com/v2/{HOST}/web/blob"),
                format!("https://s3.example.com/v2/{HOST}/web/blob"),
            ),
            (format!("http://{UPSTREAM}/other"), "/other".into()),
        ];
        for (url, expected) in cases {
            assert_eq!(front_url(&url, UPSTREAM, HOST), expected, "{url}");
        }
        assert_eq!(
            front_link(&format!("</v2/{HOST}/team-a/web/tags/list?last=b&n=2>; rel=\"next\""), UPSTREAM, HOST),
            "</v2/team-a/web/tags/list?last=b&n=2>; rel=\"next\""
        );
    }

    #[test]
    fn credentials_and_connection_headers_do_not_cross() {
        let mut request = HeaderMap::new();
        for (name, value) in [
            ("authorization", "Basic QVdTOnB3"),
            ("host", "front:443"),
            ("connection", "keep-alive, x-custom"),
            ("x-custom", "1"),
            ("transfer-encoding", "chunked"),
            ("x-forwarded-host", "evil"),
            ("content-type", "application/octet-stream"),
            ("content-length", "3"),
        ] {
            request.append(name, HeaderValue::from_static(value));
        }
        let forwarded = request_headers(&request);
        let names: Vec<&str> = forwarded.keys().map(|n| n.as_str()).collect();
        assert_eq!(names, vec!["content-type", "content-length"]);

        let mut answer = HeaderMap::new();
        answer.insert("www-authenticate", HeaderValue::from_static("Basic realm=\"kube-ecs-local\""));
        answer.insert(
            "location",
            HeaderValue::from_str(&format!("http://{UPSTREAM}/v2/{HOST}/web/blobs/uploads/1")).expect("value"),
        );
        answer.insert("docker-upload-uuid", HeaderValue::from_static("1"));
        let answered = answer_headers(&answer, UPSTREAM, HOST);
        assert_eq!(answered.get("www-authenticate"), None);
        assert_eq!(answered.get("location").and_then(|v| v.to_str().ok()), Some("/v2/web/blobs/uploads/1"));
        assert_eq!(answered.get("docker-upload-uuid").and_then(|v| v.to_str().ok()), Some("1"));
    }

    #[test]
    fn a_tag_list_names_the_front_s_repository() {
        let body = format!(r#"{{"name":"{HOST}/team-a/web","tags":["1","2"]}}"#);
        let rewritten = front_tag_list(body.as_bytes(), "team-a/web").expect("a tag list");
        assert_eq!(String::from_utf8(rewritten).expect("utf-8"), r#"{"name":"team-a/web","tags":["1","2"]}"#);
        assert_eq!(front_tag_list(b"not json", "x"), None);
    }
}
