//! The text fields the console's forms share, parsed into ECS's shapes: tags (`KEY=value` lines),
//! placement constraints and strategies (one per line, ECS's words), the compute option (launch type
//! or capacity provider) and numbers. Pure functions; each refusal names the field and the line, so
//! the form can show it beside the values the user typed.

use kube_ecs_api::common::{CapacityProviderStrategyItem, PlacementConstraint, PlacementStrategy, Tag};
use kube_ecs_api::ecs::LaunchType;

use crate::error::{ConsoleError, Result};

/// The non-empty lines of a textarea (a browser sends `\r\n`).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.trim().is_empty())
}

/// `KEY=value` lines as tags (ECS keeps a tag's value as written, spaces included).
pub fn tags(text: &str) -> Result<Vec<Tag>> {
    lines(text)
        .map(|line| match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok(Tag { key: Some(k.trim().to_string()), value: Some(v.to_string()) })
            }
            _ => Err(ConsoleError::Invalid(format!("A tag line must be KEY=value: {line:?}."))),
        })
        .collect()
}

/// Tags back as the textarea's text.
pub fn tags_text(tags: &[Tag]) -> String {
    tags.iter()
        .map(|t| format!("{}={}", t.key.as_deref().unwrap_or_default(), t.value.as_deref().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Placement constraints, one a line: `distinctInstance` or `memberOf <expression>` (ECS's cluster
/// query language; the apiserver's rules check the expression).
pub fn placement_constraints(text: &str) -> Result<Vec<PlacementConstraint>> {
    lines(text)
        .map(|line| {
            let line = line.trim();
            let (kind, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            match (kind, rest.trim()) {
                ("distinctInstance", "") => {
                    Ok(PlacementConstraint { type_: Some("distinctInstance".into()), expression: None })
                }
                ("memberOf", expression) if !expression.is_empty() => {
                    Ok(PlacementConstraint { type_: Some("memberOf".into()), expression: Some(expression.to_string()) })
                }
                _ => Err(ConsoleError::Invalid(format!(
                    "A placement constraint is `distinctInstance` or `memberOf <expression>`: {line:?}."
                ))),
            }
        })
        .collect()
}

pub fn placement_constraints_text(constraints: &[PlacementConstraint]) -> String {
    constraints
        .iter()
        .map(|c| match &c.expression {
            Some(e) => format!("{} {e}", c.type_.as_deref().unwrap_or("memberOf")),
            None => c.type_.clone().unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Placement strategies, one a line: `random`, `spread <field>` or `binpack <cpu|memory>`.
pub fn placement_strategies(text: &str) -> Result<Vec<PlacementStrategy>> {
    lines(text)
        .map(|line| {
            let line = line.trim();
            let (kind, field) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let field = field.trim();
            match kind {
                "random" if field.is_empty() => Ok(PlacementStrategy { type_: Some("random".into()), field: None }),
                "spread" | "binpack" if !field.is_empty() => {
                    Ok(PlacementStrategy { type_: Some(kind.into()), field: Some(field.to_string()) })
                }
                _ => Err(ConsoleError::Invalid(format!(
                    "A placement strategy is `random`, `spread <field>` or `binpack <cpu|memory>`: {line:?}."
                ))),
            }
        })
        .collect()
}

pub fn placement_strategies_text(strategies: &[PlacementStrategy]) -> String {
    strategies
        .iter()
        .map(|s| match &s.field {
            Some(f) => format!("{} {f}", s.type_.as_deref().unwrap_or_default()),
            None => s.type_.clone().unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The compute option: `""` (the cluster's default), `launch:<LAUNCH TYPE>` or
/// `provider:<capacity provider>`.
pub fn compute(value: &str) -> Result<(Option<LaunchType>, Vec<CapacityProviderStrategyItem>)> {
    match value.split_once(':') {
        None if value.is_empty() => Ok((None, Vec::new())),
        Some(("launch", word)) => {
            let launch = serde_json::from_value::<LaunchType>(serde_json::Value::String(word.to_string()))
                .map_err(|_| ConsoleError::Invalid(format!("Unknown launch type {word:?}.")))?;
            Ok((Some(launch), Vec::new()))
        }
        Some(("provider", provider)) if !provider.is_empty() => Ok((
            None,
            vec![CapacityProviderStrategyItem { capacity_provider: provider.to_string(), weight: Some(1), base: None }],
        )),
        _ => Err(ConsoleError::Invalid(format!("Unknown compute option {value:?}."))),
    }
}

/// The compute option's value for a spec's launch type and provider strategy (the first provider).
pub fn compute_value(launch: Option<&LaunchType>, providers: &[CapacityProviderStrategyItem]) -> String {
    match (launch, providers.first()) {
        (_, Some(p)) => format!("provider:{}", p.capacity_provider),
        (Some(l), None) => format!("launch:{}", crate::views::fmt::word(l)),
        (None, None) => String::new(),
    }
}

/// An optional whole number in `range`; `label` names the field in the refusal.
pub fn number(text: &str, label: &str, range: std::ops::RangeInclusive<i32>) -> Result<Option<i32>> {
    match text.trim() {
        "" => Ok(None),
        n => {
            let value = n
                .parse::<i32>()
                .map_err(|_| ConsoleError::Invalid(format!("{label} must be a whole number, not {n:?}.")))?;
            if !range.contains(&value) {
                return Err(ConsoleError::Invalid(format!(
                    "{label} must be between {} and {}, not {value}.",
                    range.start(),
                    range.end()
                )));
            }
            Ok(Some(value))
        }
    }
}

/// A checkbox: browsers send its value (`on`) when ticked and nothing when not.
pub fn ticked(value: &str) -> bool {
    !value.is_empty()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn lines_become_ecs_shapes_and_back() {
        let tags = tags("team=<b>a</b>\r\n\r\nnote= spaced value ").expect("tags");
        assert_eq!(tags_text(&tags), "team=<b>a</b>\nnote= spaced value ");
        let constraints =
            placement_constraints("distinctInstance\nmemberOf attribute:ecs.instance-type =~ t3.*").expect("c");
        assert_eq!(constraints[1].expression.as_deref(), Some("attribute:ecs.instance-type =~ t3.*"));
        assert_eq!(
            placement_constraints_text(&constraints),
            "distinctInstance\nmemberOf attribute:ecs.instance-type =~ t3.*"
        );
        let strategies =
            placement_strategies("spread attribute:ecs.availability-zone\nbinpack memory\nrandom").expect("s");
        assert_eq!(
            placement_strategies_text(&strategies),
            "spread attribute:ecs.availability-zone\nbinpack memory\nrandom"
        );
        let (launch, providers) = compute("provider:spot").expect("compute");
        assert_eq!((launch, compute_value(None, &providers)), (None, "provider:spot".to_string()));
        assert_eq!(compute("launch:FARGATE").expect("launch").0, Some(LaunchType::Fargate));
    }

    #[test]
    fn what_the_fields_refuse() {
        for (error, says) in [
            (tags("novalue").expect_err("tag"), "KEY=value"),
            (placement_constraints("memberOf").expect_err("c"), "memberOf <expression>"),
            (placement_strategies("binpack").expect_err("s"), "binpack <cpu|memory>"),
            (compute("launch:BALLOON").expect_err("compute"), "Unknown launch type"),
            (number("x", "Desired tasks", 0..=10).expect_err("n"), "whole number"),
            (number("11", "Desired tasks", 0..=10).expect_err("n"), "between 0 and 10"),
        ] {
            assert!(error.to_string().contains(says), "{error}");
        }
    }
}
