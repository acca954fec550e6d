//! AWS restJson1, for EventBridge Scheduler: the operation comes from the method and the path (each
//! operation's `http.method` and `http.requestUri` in the model, e.g. `GET /schedules/{Name}`), and
//! the input gathers the body with the members the model places in the path (`location: uri`) and
//! the query string (`location: querystring`, under their `locationName`), so the same model
//! check and typed decoding serve it as serve the JSON 1.1 services. Errors carry the status the
//! model gives their shape (`error.httpStatusCode`: 404 for ResourceNotFoundException, ...).

use kube_ecs_wire::model::Model;
use serde_json::{Map, Value};

use crate::error::{EcsError, ErrorCode};
use crate::protocol::{Operation, Service};

/// Whether a request without `X-Amz-Target` is a restJson1 one, by its path.
pub fn service_of_path(path: &str) -> Option<Service> {
    (path == "/schedules" || path.starts_with("/schedules/")).then_some(Service::Scheduler)
}

/// The operation of `service` whose method and path template match, with the path's captures.
pub fn operation(service: Service, method: &str, path: &str) -> Result<(Operation, Vec<(String, String)>), EcsError> {
    let model = service.model();
    for name in service.supported() {
        let http = &model.json()["operations"][*name]["http"];
        let (Some(want_method), Some(template)) = (http["method"].as_str(), http["requestUri"].as_str()) else {
            continue;
        };
        if want_method != method {
            continue;
        }
        if let Some(captures) = matches(template, path) {
            return Ok((Operation { service, name }, captures));
        }
    }
    Err(EcsError::new(
        ErrorCode::UnknownOperationException,
        format!("{method} {path} is not an {} action kube-ecs serves ({}).", model.service(), service.docs()),
    ))
}

/// The captures of `{Name}` segments when `path` fits `template` (query part of the template ignored).
fn matches(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let template = template.split('?').next().unwrap_or(template);
    let want: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if want.len() != got.len() {
        return None;
    }
    let mut captures = Vec::new();
    for (w, g) in want.iter().zip(&got) {
        match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(label) if !g.is_empty() => captures.push((label.trim_end_matches('+').to_string(), decode(g))),
            Some(_) => return None,
            None if w == g => {}
            None => return None,
        }
    }
    Some(captures)
}

/// The input of `operation`: the JSON body (`{}` when empty) with the path's and query string's
/// members, checked against the model.
pub fn input(operation: Operation, captures: &[(String, String)], query: &str, body: &[u8]) -> Result<Value, EcsError> {
    let model = operation.service.model();
    let mut input: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(EcsError::new(ErrorCode::SerializationException, "The request body is not a JSON object."));
            }
            Err(e) => {
                let message = format!("The request body is not valid JSON: {e}");
                return Err(EcsError::new(ErrorCode::SerializationException, message));
            }
        }
    };
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect();
    let shape_name = model.input_shape(operation.name).unwrap_or_default();
    let members = model.shape(shape_name).and_then(|s| s["members"].as_object()).cloned().unwrap_or_default();
    for (member, spec) in &members {
        let location_name = spec["locationName"].as_str().unwrap_or(member);
        let raw = match spec["location"].as_str() {
            Some("uri") => captures.iter().find(|(k, _)| k == location_name).map(|(_, v)| v.clone()),
            Some("querystring") => query.iter().find(|(k, _)| k == location_name).map(|(_, v)| v.clone()),
            _ => continue,
        };
        if let Some(raw) = raw {
            input.insert(member.clone(), typed(model, spec["shape"].as_str().unwrap_or_default(), raw));
        }
    }
    let value = Value::Object(input);
    model
        .check_input(operation.name, &value)
        .map_err(|e| EcsError::new(ErrorCode::parse(e.code).unwrap_or(ErrorCode::ValidationException), e.message))?;
    let mut value = value;
    model.normalize_input(operation.name, &mut value);
    Ok(value)
}

/// A path or query value as the JSON its shape takes (a number stays text when it does not parse,
/// for the model check to refuse with the member's name).
fn typed(model: &Model, shape: &str, raw: String) -> Value {
    match model.shape(shape).and_then(|s| s["type"].as_str()) {
        Some("integer" | "long") => raw.parse::<i64>().map(Value::from).unwrap_or(Value::String(raw)),
        Some("boolean") => match raw.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(raw),
        },
        _ => Value::String(raw),
    }
}

/// The HTTP status of an error of `service`: its shape's `httpStatusCode` in the model, else the
/// protocol's default for the code.
pub fn status(service: Service, code: ErrorCode) -> u16 {
    service
        .model()
        .shape(code.as_str())
        .and_then(|s| s["error"]["httpStatusCode"].as_u64())
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or_else(|| code.http_status())
}

/// Percent-decoding of a path segment or query part (`+` is a space in a query); a `%` not
/// followed by two hex digits stays as it is.
fn decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
        {
            (b'%', Some(high), Some(low)) => Some(high * 16 + low),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_by_method_and_path() {
        let cases = [
            ("POST", "/schedules/nightly", Some(("CreateSchedule", Some("nightly")))),
            ("GET", "/schedules/nightly", Some(("GetSchedule", Some("nightly")))),
            ("PUT", "/schedules/a.b_c-d", Some(("UpdateSchedule", Some("a.b_c-d")))),
            ("DELETE", "/schedules/x%2Ey", Some(("DeleteSchedule", Some("x.y")))),
            ("GET", "/schedules", Some(("ListSchedules", None))),
            ("GET", "/schedules/", Some(("ListSchedules", None))),
            ("POST", "/schedules", None),
            ("GET", "/schedules/a/b", None),
            ("PATCH", "/schedules/a", None),
        ];
        for (method, path, want) in cases {
            let got = operation(Service::Scheduler, method, path).ok();
            let got = got.map(|(op, captures)| (op.name, captures.first().map(|(_, v)| v.clone())));
            let want = want.map(|(name, capture)| (name, capture.map(String::from)));
            assert_eq!(got, want, "{method} {path}");
        }
        assert_eq!(service_of_path("/schedules/x"), Some(Service::Scheduler));
        assert_eq!(service_of_path("/"), None);
        assert_eq!(service_of_path("/schedulesx"), None);
    }

    #[test]
    fn input_gathers_path_query_and_body() {
        let (op, captures) = operation(Service::Scheduler, "GET", "/schedules").expect("op");
        let input = input(op, &captures, "NamePrefix=night&MaxResults=5&State=ENABLED", b"").expect("input");
        assert_eq!(input, serde_json::json!({"NamePrefix": "night", "MaxResults": 5, "State": "ENABLED"}));
        let refused = super::input(op, &captures, "MaxResults=5000", b"").expect_err("over the maximum");
        assert_eq!(refused.code, ErrorCode::ValidationException, "{refused}");
        let (op, captures) = operation(Service::Scheduler, "DELETE", "/schedules/n").expect("op");
        let input = super::input(op, &captures, "groupName=default&clientToken=t", b"").expect("input");
        assert_eq!(input, serde_json::json!({"Name": "n", "GroupName": "default", "ClientToken": "t"}));
        assert_eq!(decode("a%20b+c%2"), "a b c%2");
    }

    #[test]
    fn statuses_come_from_the_model() {
        assert_eq!(status(Service::Scheduler, ErrorCode::ResourceNotFoundException), 404);
        assert_eq!(status(Service::Scheduler, ErrorCode::ConflictException), 409);
        assert_eq!(status(Service::Scheduler, ErrorCode::ValidationException), 400);
        assert_eq!(status(Service::Scheduler, ErrorCode::InternalServerException), 500);
    }
}
