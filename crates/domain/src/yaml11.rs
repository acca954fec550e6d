//! YAML that YAML 1.1 readers take as written. kubectl (sigs.k8s.io/yaml, go-yaml v2) reads the
//! plain scalars `on`, `off`, `yes`, `no`, `y`, `n` (in any of their cases) as booleans, where YAML
//! 1.2 — and so serde_yaml, which writes them unquoted — reads strings: `TLS: on`, a FireLens option
//! of a real task definition, would reach the API server as `true` and be refused. Those scalars are
//! quoted here; block scalars (`|`, `>`) are content and stay as they are.

/// YAML 1.1's boolean words that YAML 1.2 reads as strings (1.2's own `true`/`false` serde_yaml
/// already quotes).
const YAML11_BOOLEANS: &[&str] =
    &["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"];

fn quoted(scalar: &str) -> Option<String> {
    YAML11_BOOLEANS.contains(&scalar).then(|| format!("'{scalar}'"))
}

/// `yaml` (serde_yaml's block style) with YAML 1.1's ambiguous plain scalars quoted.
pub fn quote_yaml11_booleans(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len());
    // The indentation a block scalar's content is deeper than, while inside one.
    let mut block_at: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(at) = block_at {
            if line.trim().is_empty() || indent > at {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            block_at = None;
        }
        let fixed = fix_line(line);
        let body = fixed.trim_end();
        if body.ends_with('|') || body.ends_with("|-") || body.ends_with('>') || body.ends_with(">-") {
            block_at = Some(indent);
        }
        out.push_str(&fixed);
        out.push('\n');
    }
    out
}

/// One line: `- item`, `key: value`, `- key: value` or `key:` with its plain scalars quoted when ambiguous.
fn fix_line(line: &str) -> String {
    let indent = &line[..line.len() - line.trim_start().len()];
    let mut rest = line.trim_start();
    let mut out = String::from(indent);
    while let Some(item) = rest.strip_prefix("- ") {
        out.push_str("- ");
        rest = item;
    }
    if rest == "-" {
        out.push('-');
        return out;
    }
    match rest.split_once(": ") {
        Some((key, value)) if !key.starts_with(['\'', '"']) => {
            out.push_str(&quoted(key).unwrap_or_else(|| key.to_string()));
            out.push_str(": ");
            out.push_str(&quoted(value).unwrap_or_else(|| value.to_string()));
        }
        _ => match rest.strip_suffix(':') {
            Some(key) if !key.contains(": ") => {
                out.push_str(&quoted(key).unwrap_or_else(|| key.to_string()));
                out.push(':');
            }
            _ => out.push_str(&quoted(rest).unwrap_or_else(|| rest.to_string())),
        },
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_scalars_are_quoted_and_read_back_the_same() {
        let value = serde_json::json!({
            "options": {"TLS": "on", "retry": "2", "flag": "true", "answer": "No", "plain": "only"},
            "on": "key", "list": ["yes", "off", "value: on", "y"],
            "script": "echo a\non\nyes: no\n",
            "nested": [{"name": "N", "value": "Y"}],
        });
        let yaml = quote_yaml11_booleans(&serde_yaml::to_string(&value).expect("yaml"));
        for expected in
            ["TLS: 'on'", "answer: 'No'", "'on': key", "- 'yes'", "- 'off'", "name: 'N'", "value: 'Y'", "- 'y'"]
        {
            assert!(yaml.contains(expected), "{expected} in:\n{yaml}");
        }
        // A block scalar's lines are content, untouched.
        assert!(yaml.contains("\n  on\n") || !yaml.contains("script: |"), "{yaml}");
        let back: serde_json::Value = serde_yaml::from_str(&yaml).expect("reads back");
        assert_eq!(back, value);
    }
}
