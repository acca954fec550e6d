//! ECS `memberOf` placement constraints (the cluster query language) as node-affinity requirements.
//!
//! Supported: clauses joined by `and`, each `attribute:<name> <op> <value>` with op one of `==`, `!=`,
//! `in`/`not_in` (with `[a, b]`), `=~`/`!~` (pattern with `*` / `.*`), or `exists`. Attributes:
//! `ecs.instance-type`, `ecs.availability-zone`, `ecs.os-type`, `ecs.cpu-architecture`,
//! `ecs.capacity-type`, and custom attributes (node labels of the same name). `or` and task-group
//! expressions (`task:group == ...`) are refused with a clear message.

use k8s_openapi::api::core::v1::NodeSelectorRequirement;

use super::catalog;
use super::pools::keys;

/// A constraint's requirements on nodes.
pub fn requirements(expression: &str, known_instance_types: &[String]) -> Result<Vec<NodeSelectorRequirement>, String> {
    let mut out = Vec::new();
    for clause in split_and(expression) {
        out.push(clause_requirement(clause.trim(), known_instance_types)?);
    }
    if out.is_empty() {
        return Err("memberOf expression is empty".into());
    }
    Ok(out)
}

fn split_and(expression: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = expression;
    while let Some(i) = rest.find(" and ") {
        parts.push(&rest[..i]);
        rest = &rest[i + 5..];
    }
    parts.push(rest);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

fn clause_requirement(clause: &str, known: &[String]) -> Result<NodeSelectorRequirement, String> {
    if clause.contains(" or ") || clause.contains("||") {
        return Err(format!("memberOf {clause:?}: `or` is not supported; use one constraint per alternative set"));
    }
    let (subject, rest) = clause.split_once(char::is_whitespace).unwrap_or((clause, ""));
    let attribute = subject.strip_prefix("attribute:").ok_or_else(|| {
        format!("memberOf {clause:?}: only `attribute:` expressions are supported (not task groups or instance ids)")
    })?;
    let rest = rest.trim();
    let (op, value) = ["not_in", "in", "==", "!=", "=~", "!~", "exists"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v.trim())))
        .ok_or_else(|| format!("memberOf {clause:?}: expected ==, !=, in, not_in, =~, !~ or exists"))?;
    let (key, translate): (&str, fn(&str) -> String) = match attribute {
        "ecs.instance-type" => (keys::INSTANCE_TYPE, |v| v.to_string()),
        "ecs.availability-zone" => (keys::ZONE, |v| v.to_string()),
        "ecs.os-type" => ("kubernetes.io/os", |v| v.to_lowercase()),
        "ecs.cpu-architecture" => ("kubernetes.io/arch", |v| if v == "x86_64" { "amd64".into() } else { v.into() }),
        "ecs.capacity-type" => (keys::EKS_CAPACITY_TYPE, |v| v.to_uppercase()),
        other if other.starts_with("ecs.") => {
            return Err(format!("memberOf {clause:?}: attribute {other:?} is not available on Kubernetes nodes"));
        }
        other => (other, |v| v.to_string()),
    };
    let values = |v: &str| -> Vec<String> {
        v.trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|s| translate(s.trim().trim_matches('"').trim_matches('\'')))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let requirement = |operator: &str, values: Option<Vec<String>>| NodeSelectorRequirement {
        key: key.into(),
        operator: operator.into(),
        values,
    };
    match op {
        "==" | "in" => Ok(requirement("In", Some(values(value)))),
        "!=" | "not_in" => Ok(requirement("NotIn", Some(values(value)))),
        "exists" => Ok(requirement("Exists", None)),
        _ => {
            if key != keys::INSTANCE_TYPE {
                return Err(format!("memberOf {clause:?}: pattern matching works on ecs.instance-type only"));
            }
            let pattern = value.trim_matches('"');
            let mut candidates: Vec<String> = catalog::CATALOG.iter().map(|t| t.name.to_string()).collect();
            candidates.extend(known.iter().cloned());
            candidates.sort();
            candidates.dedup();
            let matching: Vec<String> = candidates.into_iter().filter(|c| pattern_matches(pattern, c)).collect();
            if op == "=~" {
                if matching.is_empty() {
                    return Err(format!("memberOf {clause:?}: no known instance type matches {pattern:?}"));
                }
                Ok(requirement("In", Some(matching)))
            } else {
                Ok(requirement("NotIn", Some(matching)))
            }
        }
    }
}

/// ECS patterns: `*` and `.*` match any run of characters, `.` any one character.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p {
            [] => t.is_empty(),
            ['.', '*', rest @ ..] | ['*', rest @ ..] => (0..=t.len()).any(|i| go(rest, &t[i..])),
            ['.', rest @ ..] => !t.is_empty() && go(rest, &t[1..]),
            [c, rest @ ..] => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(e: &str) -> Vec<(String, String, Vec<String>)> {
        requirements(e, &[]).expect(e).into_iter().map(|r| (r.key, r.operator, r.values.unwrap_or_default())).collect()
    }

    #[test]
    fn expressions_become_node_requirements() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            req("attribute:ecs.instance-type == t3.small"),
            vec![(keys::INSTANCE_TYPE.into(), "In".into(), s(&["t3.small"]))]
        );
        assert_eq!(
            req("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"),
            vec![(keys::ZONE.into(), "In".into(), s(&["us-east-1a", "us-east-1b"]))]
        );
        assert_eq!(
            req("attribute:ecs.cpu-architecture == x86_64 and attribute:team != data"),
            vec![
                ("kubernetes.io/arch".into(), "In".into(), s(&["amd64"])),
                ("team".into(), "NotIn".into(), s(&["data"]))
            ]
        );
        assert_eq!(
            req("attribute:ecs.instance-type =~ m5.*"),
            vec![(keys::INSTANCE_TYPE.into(), "In".into(), s(&["m5.2xlarge", "m5.4xlarge", "m5.large", "m5.xlarge"]))]
        );
    }

    #[test]
    fn unsupported_expressions_say_why() {
        let err = |e: &str| requirements(e, &[]).expect_err(e);
        assert!(err("task:group == web").contains("only `attribute:`"));
        assert!(err("attribute:ecs.ami-id == ami-1").contains("not available"));
        assert!(err("attribute:ecs.instance-type == a or attribute:ecs.instance-type == b").contains("`or`"));
        assert!(err("attribute:ecs.instance-type =~ z9.*").contains("no known instance type"));
        assert!(err("attribute:ecs.availability-zone =~ us-*").contains("ecs.instance-type only"));
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("t3.*", "t3.medium"));
        assert!(pattern_matches("*.large", "m5.large"));
        // Regular-expression semantics, as in ECS: `.` is any character.
        assert!(pattern_matches("t3.*", "t3a.medium"));
        assert!(!pattern_matches("c5.*", "m5.large"));
        assert!(pattern_matches("t3*", "t3a.medium"));
    }
}
