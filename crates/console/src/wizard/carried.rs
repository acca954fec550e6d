//! What the task-definition wizard keeps of a spec besides its inputs, so that a revision made
//! from another (or from the JSON tab) loses nothing the form cannot show.
//!
//! Per level (the task, each container) one hidden input holds, as JSON:
//! - `whole`: the members the form has no input for (`pidMode`, `ulimits`, `linuxParameters`, ...),
//!   put back when the form has not set them;
//! - `parts`: the parts of members the form shows only in part (a volume's
//!   `efsVolumeConfiguration` behind its name, a log configuration's `secretOptions`), put back
//!   into those members while the form still has them: objects by key, array items by their `name`.
//!
//! An input the user fills always wins; a part whose member the user removed (a volume line
//! deleted) goes with it. What has no name to be found by (a port range) is [`not_kept`]: said
//! before registering.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One level's carried members.
#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct Carried {
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    whole: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    parts: Map<String, Value>,
}

impl Carried {
    fn parse(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// What `shown` (the form's own spec of this level) lacks of `from` (the spec it was made from),
/// the members named in `skip` aside, as the hidden input's text (empty when nothing).
pub fn of(from: &Value, shown: &Value, skip: &[&str]) -> String {
    let mut carried = Carried::default();
    for (key, value) in from.as_object().into_iter().flatten() {
        if value.is_null() || skip.contains(&key.as_str()) {
            continue;
        }
        match shown.get(key) {
            None => {
                carried.whole.insert(key.clone(), value.clone());
            }
            Some(other) => {
                if let Some(part) = part(value, other) {
                    carried.parts.insert(key.clone(), part);
                }
            }
        }
    }
    if carried == Carried::default() { String::new() } else { serde_json::to_string(&carried).unwrap_or_default() }
}

/// The part of `from` that `shown` lacks: absent members of objects, and of array items the
/// items' parts by name. Values the form shows differently are the form's (none).
fn part(from: &Value, shown: &Value) -> Option<Value> {
    match (from, shown) {
        (Value::Object(a), Value::Object(b)) => {
            let mut missing = Map::new();
            for (key, value) in a {
                match b.get(key) {
                    None if means_absent(value) => {}
                    None => {
                        missing.insert(key.clone(), value.clone());
                    }
                    Some(other) => {
                        if let Some(p) = part(value, other) {
                            missing.insert(key.clone(), p);
                        }
                    }
                }
            }
            (!missing.is_empty()).then_some(Value::Object(missing))
        }
        (Value::Array(a), Value::Array(b)) => {
            let items: Vec<Value> = a
                .iter()
                .filter_map(|item| {
                    let name = item.get("name")?.as_str()?;
                    let Some(Value::Object(mut p)) = part(item, named(b, name)?) else { return None };
                    p.insert("name".into(), Value::String(name.into()));
                    Some(Value::Object(p))
                })
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        _ => None,
    }
}

fn named<'a>(items: &'a [Value], name: &str) -> Option<&'a Value> {
    items.iter().find(|item| item.get("name").and_then(Value::as_str) == Some(name))
}

fn named_mut<'a>(items: &'a mut [Value], name: &str) -> Option<&'a mut Value> {
    items.iter_mut().find(|item| item.get("name").and_then(Value::as_str) == Some(name))
}

/// Puts the carried members back into `map` (the form's spec of this level). Text that is not
/// what the page sent carries nothing.
pub fn put_back(map: &mut Map<String, Value>, text: &str) {
    let carried = Carried::parse(text);
    for (key, value) in carried.whole {
        map.entry(key).or_insert(value);
    }
    for (key, value) in carried.parts {
        if let Some(target) = map.get_mut(&key) {
            merge(target, value);
        }
    }
}

/// Adds what `part` has and `target` lacks; array items by name.
fn merge(target: &mut Value, part: Value) {
    match (target, part) {
        (Value::Object(t), Value::Object(p)) => {
            for (key, value) in p {
                match t.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        t.insert(key, value);
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p)) => {
            for item in p {
                let Some(name) = item.get("name").and_then(Value::as_str).map(str::to_string) else { continue };
                if let Some(existing) = named_mut(t, &name) {
                    merge(existing, item);
                }
            }
        }
        _ => {}
    }
}

/// The carried members' paths under `prefix`, to say what is kept: `pidMode`,
/// `volumes[shared].efsVolumeConfiguration`, `logConfiguration.secretOptions`.
pub fn members(text: &str, prefix: &str) -> Vec<String> {
    let carried = Carried::parse(text);
    let mut paths: Vec<String> = carried.whole.keys().map(|k| format!("{prefix}{k}")).collect();
    for (key, value) in &carried.parts {
        match value {
            Value::Object(inner) => paths.extend(inner.keys().map(|k| format!("{prefix}{key}.{k}"))),
            Value::Array(items) => {
                for item in items {
                    let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
                    let keys = item.as_object().into_iter().flatten().map(|(k, _)| k).filter(|k| *k != "name");
                    paths.extend(keys.map(|k| format!("{prefix}{key}[{name}].{k}")));
                }
            }
            _ => {}
        }
    }
    paths
}

/// The paths of `spec` that `made` (what the form registers from it) does not have as they are.
pub fn not_kept(spec: &Value, made: &Value, skip: &[&str]) -> Vec<String> {
    let mut paths = Vec::new();
    differences(spec, made, "", &mut paths);
    paths.retain(|path| !skip.iter().any(|own| path.starts_with(own)));
    paths
}

fn differences(from: &Value, to: &Value, path: &str, out: &mut Vec<String>) {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match b.get(key) {
                    Some(other) => differences(value, other, &at, out),
                    None if means_absent(value) => {}
                    None => out.push(at),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, value) in a.iter().enumerate() {
                let at = format!("{path}[{i}]");
                match b.get(i) {
                    Some(other) => differences(value, other, &at, out),
                    None if means_absent(value) => {}
                    None => out.push(at),
                }
            }
        }
        // A number shown as text and read back as a number is the same value.
        (a, b) if a == b || text(a) == text(b) => {}
        _ => out.push(path.to_string()),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A member ECS reads as it reads an absent one (`false`, `[]`, `{}`, `""`, null).
fn means_absent(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("an object")
    }

    #[test]
    fn whole_members_and_named_parts_go_back_where_they_were() {
        let from = json!({"family": "web", "pidMode": "task",
            "volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}, {"name": "tmp"}]});
        let shown = json!({"family": "web", "volumes": [{"name": "data"}, {"name": "tmp"}]});
        let text = of(&from, &shown, &[]);
        assert_eq!(members(&text, ""), vec!["pidMode", "volumes[data].efsVolumeConfiguration"]);
        let mut made = object(shown.clone());
        put_back(&mut made, &text);
        assert_eq!(Value::Object(made), from);
    }

    #[test]
    fn what_the_user_changed_wins() {
        let from = json!({"logConfiguration": {"logDriver": "splunk", "secretOptions": [{"name": "token", "valueFrom": "t"}]},
            "volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}], "ulimits": [1]});
        let shown = json!({"logConfiguration": {"logDriver": "splunk"}, "volumes": [{"name": "data"}]});
        let text = of(&from, &shown, &[]);
        // Log collection turned off and the volume renamed: their parts go with them; the whole
        // member the user set from the JSON tab is theirs.
        let mut made = object(json!({"volumes": [{"name": "other"}], "ulimits": [2]}));
        put_back(&mut made, &text);
        assert_eq!(Value::Object(made), json!({"volumes": [{"name": "other"}], "ulimits": [2]}));
    }

    #[test]
    fn skipped_members_and_junk_carry_nothing() {
        assert_eq!(
            of(&json!({"registration": {"a": 1}, "family": "web"}), &json!({"family": "web"}), &["registration"]),
            ""
        );
        let mut made = object(json!({"family": "web"}));
        put_back(&mut made, "not json");
        put_back(&mut made, r#"{"whole": "x"}"#);
        assert_eq!(Value::Object(made), json!({"family": "web"}));
    }

    #[test]
    fn what_has_no_name_to_be_found_by_is_not_kept() {
        let spec = json!({"portMappings": [{"containerPort": 80}, {"containerPortRange": "8000-8010", "protocol": "tcp"}],
            "cpu": 256, "mountPoints": [{"sourceVolume": "d", "readOnly": false}], "registration": {"x": 1}});
        let made = json!({"portMappings": [{"containerPort": 80}, {"protocol": "tcp"}], "cpu": "256",
            "mountPoints": [{"sourceVolume": "d"}]});
        assert_eq!(not_kept(&spec, &made, &["registration"]), vec!["portMappings[1].containerPortRange"]);
    }
}
