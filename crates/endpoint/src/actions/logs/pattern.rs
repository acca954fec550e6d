//! FilterLogEvents' `filterPattern`, its simple terms: `ERROR` (the event holds the term), `"an
//! exact phrase"`, `?ERROR ?WARN` (any of them), `-DEBUG` (not this one); terms are matched case
//! sensitively, as CloudWatch Logs does. JSON (`{ $.x = 1 }`), space-delimited (`[a, b]`) and regex
//! (`%...%`) patterns need a parser of their own and are refused by name rather than misread.

/// A parsed pattern: every `all` term, one of the `any` terms (when there are some), no `none` term.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl Pattern {
    pub fn parse(pattern: &str) -> Result<Pattern, String> {
        let trimmed = pattern.trim();
        if trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('%') {
            return Err(format!(
                "kube-ecs supports simple term filter patterns only (terms, \"phrases\", ?any, -exclude); \
                 {trimmed:?} is a JSON, space-delimited or regular-expression pattern."
            ));
        }
        let mut parsed = Pattern::default();
        let mut rest = trimmed;
        while !rest.is_empty() {
            let (kind, after) = match rest.as_bytes()[0] {
                b'?' => (1, &rest[1..]),
                b'-' => (2, &rest[1..]),
                _ => (0, rest),
            };
            let (term, after) = if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| format!("Invalid filter pattern {pattern:?}: a quote is not closed."))?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            };
            if !term.is_empty() {
                [&mut parsed.all, &mut parsed.any, &mut parsed.none][kind].push(term.to_string());
            }
            rest = after.trim_start();
        }
        Ok(parsed)
    }

    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms() {
        // (pattern, message, matches)
        let cases = [
            ("", "anything", true),
            ("ERROR", "an ERROR here", true),
            ("ERROR", "an error here", false),
            ("ERROR disk", "ERROR: disk full", true),
            ("ERROR disk", "ERROR: net down", false),
            ("\"disk full\"", "ERROR: disk full", true),
            ("\"disk full\"", "full disk", false),
            ("?ERROR ?WARN", "WARN low", true),
            ("?ERROR ?WARN", "INFO ok", false),
            ("ERROR -retry", "ERROR will retry", false),
            ("ERROR -retry", "ERROR fatal", true),
            ("-\"no op\" line", "line 1", true),
        ];
        for (pattern, message, expected) in cases {
            assert_eq!(Pattern::parse(pattern).unwrap().matches(message), expected, "{pattern:?} on {message:?}");
        }
    }

    #[test]
    fn other_syntaxes_are_refused() {
        for pattern in ["{ $.level = \"error\" }", "[ip, user]", "%ERR.*%", "\"open"] {
            assert!(Pattern::parse(pattern).is_err(), "{pattern:?}");
        }
    }
}
