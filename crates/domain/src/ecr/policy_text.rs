//! `lifecyclePolicyText` to a [`LifecyclePolicy`], refused as ECR refuses it.
//!
//! ECR validates in two steps, and so does this file: the text against a JSON schema (required
//! and allowed properties, types, enums, minimums; ECR's messages are those of the Java
//! json-schema-validator it runs, e.g. `object has missing required properties (["rules"])`, and
//! are reproduced here), then the rules a schema cannot state (tag lists against `tagStatus`,
//! `countUnit` against `countType`, wildcards, and the rules across rules). ECR's messages name no
//! place, so each message here ends with a JSON pointer (` at /rules/0/selection`) or the
//! `rulePriority` values involved: the user should not have to guess which rule is meant.
//!
//! Every message has ECR's frame: `Invalid parameter at 'LifecyclePolicyText' failed to satisfy
//! constraint: 'Lifecycle policy validation failure: ...'`.

use std::collections::BTreeSet;
use std::fmt::Display;

use serde_json::{Map, Value, json};

use super::{Action, Count, LifecyclePolicy, PolicyError, Rule, Selection, TagStatus};

/// The length limits of `lifecyclePolicyText` (ECR's API model; CloudFormation's
/// `LifecyclePolicyText`: minimum 100, maximum 30720 characters; the limit was 10240 once).
pub const MIN_POLICY_TEXT_LENGTH: usize = 100;
pub const MAX_POLICY_TEXT_LENGTH: usize = 30720;

/// "There is a maximum limit of four wildcards (`*`) per string" (Lifecycle policy properties,
/// `tagPatternList`).
pub const MAX_WILDCARDS_PER_PATTERN: usize = 4;

/// `rulePriority` and `countNumber` are ECR API integers: 32-bit signed.
const MAX_INTEGER: u64 = i32::MAX as u64;

const COULD_NOT_MAP: &str = "Could not map policyString into LifecyclePolicy.";

const ARCHIVE_NOT_SUPPORTED: &str = " (kube-ecs has no archive storage: storageClass, targetStorageClass, the \
     transition action and the sinceImagePulled and sinceImageTransitioned count types are not supported)";

/// Words of the archive feature, for which the refusal says why rather than only "not allowed".
const ARCHIVE_WORDS: &[&str] =
    &["storageClass", "targetStorageClass", "transition", "sinceImagePulled", "sinceImageTransitioned"];

/// Parses and validates a lifecycle policy text as ECR's `PutLifecyclePolicy` does.
pub fn parse(text: &str) -> Result<LifecyclePolicy, PolicyError> {
    // AWS counts characters, not bytes.
    let length = text.chars().count();
    if length < MIN_POLICY_TEXT_LENGTH {
        return Err(invalid(format!("Member must have length greater than or equal to {MIN_POLICY_TEXT_LENGTH}")));
    }
    if length > MAX_POLICY_TEXT_LENGTH {
        return Err(invalid(format!("Member must have length less than or equal to {MAX_POLICY_TEXT_LENGTH}")));
    }
    let value: Value = serde_json::from_str(text).map_err(|_| failure(COULD_NOT_MAP))?;
    from_value(&value)
}

/// The validation of [`parse`] without the text length limits (serde's entry point).
pub(super) fn from_value(value: &Value) -> Result<LifecyclePolicy, PolicyError> {
    // A text that is JSON but not an object cannot be mapped either.
    if !value.is_object() {
        return Err(failure(COULD_NOT_MAP));
    }
    let top = Fields::of(value, String::new())?;
    top.check(&["rules"], &[])?;
    let (rules_value, rules_at) = top.required("rules");
    let rules = array(rules_value, &rules_at, 1)?
        .iter()
        .enumerate()
        .map(|(index, rule_value)| rule(rule_value, format!("{rules_at}/{index}")))
        .collect::<Result<Vec<_>, _>>()?;
    across_rules(&rules)?;
    Ok(LifecyclePolicy { rules })
}

fn invalid(constraint: impl Display) -> PolicyError {
    PolicyError {
        message: format!("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '{constraint}'"),
    }
}

fn failure(detail: impl Display) -> PolicyError {
    invalid(format!("Lifecycle policy validation failure: {detail}"))
}

// ---------------------------------------------------------------------------------------------
// One rule
// ---------------------------------------------------------------------------------------------

fn rule(value: &Value, at: String) -> Result<Rule, PolicyError> {
    let fields = Fields::of(value, at)?;
    fields.check(&["rulePriority", "selection", "action"], &["description"])?;
    let (priority_value, priority_at) = fields.required("rulePriority");
    let rule_priority = integer(priority_value, &priority_at, 1)?;
    let description = match fields.optional("description") {
        Some((value, at)) => Some(string(value, &at)?.to_owned()),
        None => None,
    };
    let (selection_value, selection_at) = fields.required("selection");
    let selection = selection(selection_value, selection_at)?;
    let (action_value, action_at) = fields.required("action");
    let action = action(action_value, action_at)?;
    Ok(Rule { rule_priority, description, selection, action })
}

fn selection(value: &Value, at: String) -> Result<Selection, PolicyError> {
    let fields = Fields::of(value, at)?;
    fields.check(&["tagStatus", "countType", "countNumber"], &["tagPrefixList", "tagPatternList", "countUnit"])?;

    let (status_value, status_at) = fields.required("tagStatus");
    let tag_status = match enum_value(status_value, &status_at, &["any", "tagged", "untagged"])? {
        "tagged" => TagStatus::Tagged,
        "untagged" => TagStatus::Untagged,
        _ => TagStatus::Any,
    };

    // Presence first: an empty list where no list may be is refused for being there, which is
    // what the user needs to hear (ECR refuses `"tagPrefixList": []` on `any`, too).
    let prefixes = fields.optional("tagPrefixList");
    let patterns = fields.optional("tagPatternList");
    match (tag_status, &prefixes, &patterns) {
        (TagStatus::Tagged, Some(_), Some(_)) => {
            return Err(
                fields.fail("A lifecycle policy rule may specify either tagPatternList or tagPrefixList, but not both")
            );
        }
        (TagStatus::Tagged, None, None) => {
            return Err(fields.fail("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."));
        }
        (TagStatus::Untagged | TagStatus::Any, prefixes, patterns) if prefixes.is_some() || patterns.is_some() => {
            return Err(fields
                .fail("The tagPatternList or tagPrefixList parameters may only be used if the tagStatus is tagged"));
        }
        _ => {}
    }
    let tag_prefix_list = match prefixes {
        Some((value, at)) => string_list(value, &at)?,
        None => Vec::new(),
    };
    let tag_pattern_list = match patterns {
        Some((value, at)) => {
            let list = string_list(value, &at)?;
            for (index, pattern) in list.iter().enumerate() {
                let wildcards = pattern.matches('*').count();
                if wildcards > MAX_WILDCARDS_PER_PATTERN {
                    return Err(failure(format!(
                        "tagPatternList entry {} has {wildcards} wildcards (*); there is a maximum limit of four \
                         wildcards (*) per string at {at}/{index}",
                        json!(pattern)
                    )));
                }
            }
            list
        }
        None => Vec::new(),
    };

    let (type_value, type_at) = fields.required("countType");
    let count_type = enum_value(type_value, &type_at, &["imageCountMoreThan", "sinceImagePushed"])?;
    let count_unit = match fields.optional("countUnit") {
        Some((value, at)) => Some(enum_value(value, &at, &["days"])?),
        None => None,
    };
    let (number_value, number_at) = fields.required("countNumber");
    let count_number = integer(number_value, &number_at, 1)?;
    // ECR's schema has one branch per countType, so it answers both mistakes with "instance failed
    // to match exactly one schema (matched 0 out of 2)"; saying which field is wrong helps more.
    let count = match (count_type, count_unit) {
        ("sinceImagePushed", Some(_)) => Count::SinceImagePushed { days: count_number },
        ("sinceImagePushed", None) => {
            return Err(fields.fail("countUnit is required when countType is sinceImagePushed (its value is days)"));
        }
        (_, Some(_)) => {
            return Err(fields.fail(
                "countUnit must be omitted when countType is imageCountMoreThan (it is only used if countType is \
                 sinceImagePushed)",
            ));
        }
        (_, None) => Count::ImageCountMoreThan(count_number),
    };

    Ok(Selection { tag_status, tag_prefix_list, tag_pattern_list, count })
}

fn action(value: &Value, at: String) -> Result<Action, PolicyError> {
    let fields = Fields::of(value, at)?;
    fields.check(&["type"], &[])?;
    let (type_value, type_at) = fields.required("type");
    enum_value(type_value, &type_at, &["expire"])?;
    Ok(Action::Expire)
}

// ---------------------------------------------------------------------------------------------
// Across rules
// ---------------------------------------------------------------------------------------------

/// The rules that concern the policy as a whole, in the order a user would fix them: priorities
/// first (the others name rules by priority).
fn across_rules(rules: &[Rule]) -> Result<(), PolicyError> {
    // "you must give them each a unique value for rulePriority" (Lifecycle policy properties).
    let mut seen = BTreeSet::new();
    for rule in rules {
        if !seen.insert(rule.rule_priority) {
            return Err(failure(format!(
                "rulePriority {} is used by more than one rule; each rule must have a unique value for rulePriority",
                rule.rule_priority
            )));
        }
    }

    // "A rule with a tagStatus value of any must have the highest value for rulePriority and be
    // evaluated last" (Lifecycle policy properties). A second `any` rule fails this, too.
    let highest = rules.iter().map(|rule| rule.rule_priority).max().unwrap_or_default();
    if let Some(any) =
        rules.iter().find(|rule| rule.selection.tag_status == TagStatus::Any && rule.rule_priority != highest)
    {
        return Err(failure(format!(
            "Rule for tagStatus=ANY must have the lowest priority: the rule with rulePriority {} has tagStatus any, \
             so it must have the highest value for rulePriority ({highest} is higher)",
            any.rule_priority
        )));
    }

    // "Only one rule is allowed to select untagged images" (Lifecycle policy evaluation rules).
    // An `any` rule sees untagged images too, and ECR's own example pairs it with an `untagged` rule.
    let untagged: Vec<u32> = rules
        .iter()
        .filter(|rule| rule.selection.tag_status == TagStatus::Untagged)
        .map(|rule| rule.rule_priority)
        .collect();
    if let [first, second, ..] = untagged[..] {
        return Err(failure(format!(
            "Only one rule can select Untagged images: the rules with rulePriority {first} and {second} both have \
             tagStatus untagged"
        )));
    }

    // "The set of rules must contain a unique set of tag prefixes" (Lifecycle policy evaluation
    // rules). Read as: no two rules select the same set (the later one could never expire
    // anything); patterns are held to the same rule, each kind compared with its own kind.
    unique_tag_sets(rules, "tagPrefixList", |selection| selection.tag_prefix_list.as_slice())?;
    unique_tag_sets(rules, "tagPatternList", |selection| selection.tag_pattern_list.as_slice())?;
    Ok(())
}

fn unique_tag_sets(rules: &[Rule], list_name: &str, list_of: fn(&Selection) -> &[String]) -> Result<(), PolicyError> {
    let mut sets: Vec<(u32, BTreeSet<&str>)> = Vec::new();
    for rule in rules {
        let list = list_of(&rule.selection);
        if list.is_empty() {
            continue;
        }
        let set: BTreeSet<&str> = list.iter().map(String::as_str).collect();
        if let Some((earlier, _)) = sets.iter().find(|(_, other)| *other == set) {
            return Err(failure(format!(
                "The set of rules must contain a unique set of tag prefixes: the rules with rulePriority {earlier} \
                 and {} both have {list_name} {}",
                rule.rule_priority,
                json!(set)
            )));
        }
        sets.push((rule.rule_priority, set));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Schema checks, with the json-schema-validator's words
// ---------------------------------------------------------------------------------------------

/// An object of the policy and where it is (a JSON pointer, "" for the document).
struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, at: String) -> Result<Self, PolicyError> {
        match value {
            Value::Object(map) => Ok(Fields { map, at }),
            other => Err(wrong_type(other, "object", &at)),
        }
    }

    /// Required properties present and no others; missing ones are reported before unwanted ones.
    fn check(&self, required: &[&str], optional: &[&str]) -> Result<(), PolicyError> {
        let missing: BTreeSet<&str> = required.iter().copied().filter(|name| !self.map.contains_key(*name)).collect();
        if !missing.is_empty() {
            return Err(failure(format!(
                "object has missing required properties ({}){}",
                json!(missing),
                self.place()
            )));
        }
        let unwanted: BTreeSet<&str> = self
            .map
            .keys()
            .map(String::as_str)
            .filter(|name| !required.contains(name) && !optional.contains(name))
            .collect();
        if !unwanted.is_empty() {
            let hint =
                if unwanted.iter().any(|name| ARCHIVE_WORDS.contains(name)) { ARCHIVE_NOT_SUPPORTED } else { "" };
            return Err(failure(format!(
                "object instance has properties which are not allowed by the schema: ({}){}{hint}",
                json!(unwanted),
                self.place()
            )));
        }
        Ok(())
    }

    /// A property [`Fields::check`] made sure of.
    fn required(&self, name: &str) -> (&'a Value, String) {
        self.optional(name).unwrap_or((&Value::Null, format!("{}/{name}", self.at)))
    }

    /// A property and its place. A `null` is a value like any other (ECR refuses
    /// `"countUnit": null`), not an absence.
    fn optional(&self, name: &str) -> Option<(&'a Value, String)> {
        self.map.get(name).map(|value| (value, format!("{}/{name}", self.at)))
    }

    fn fail(&self, detail: &str) -> PolicyError {
        failure(format!("{detail}{}", self.place()))
    }

    fn place(&self) -> String {
        place(&self.at)
    }
}

fn place(at: &str) -> String {
    if at.is_empty() { String::new() } else { format!(" at {at}") }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(value: &Value, allowed: &str, at: &str) -> PolicyError {
    failure(format!(
        "instance type ({}) does not match any allowed primitive type (allowed: [\"{allowed}\"]){}",
        json_type(value),
        place(at)
    ))
}

fn integer(value: &Value, at: &str, minimum: u64) -> Result<u32, PolicyError> {
    if json_type(value) != "integer" {
        return Err(wrong_type(value, "integer", at));
    }
    let found = value.as_u64().filter(|number| *number >= minimum);
    let Some(number) = found else {
        return Err(failure(format!(
            "numeric instance is lower than the required minimum (minimum: {minimum}, found: {value}){}",
            place(at)
        )));
    };
    if number > MAX_INTEGER {
        return Err(failure(format!(
            "numeric instance is greater than the required maximum (maximum: {MAX_INTEGER}, found: {value}){}",
            place(at)
        )));
    }
    u32::try_from(number).map_err(|_| wrong_type(value, "integer", at))
}

fn string<'a>(value: &'a Value, at: &str) -> Result<&'a str, PolicyError> {
    value.as_str().ok_or_else(|| wrong_type(value, "string", at))
}

fn enum_value<'a>(value: &'a Value, at: &str, allowed: &[&str]) -> Result<&'a str, PolicyError> {
    let text = string(value, at)?;
    if allowed.contains(&text) {
        return Ok(text);
    }
    let hint = if ARCHIVE_WORDS.contains(&text) { ARCHIVE_NOT_SUPPORTED } else { "" };
    Err(failure(format!(
        "instance value ({value}) not found in enum (possible values: {}){}{hint}",
        json!(allowed),
        place(at)
    )))
}

fn array<'a>(value: &'a Value, at: &str, min_items: usize) -> Result<&'a Vec<Value>, PolicyError> {
    let Value::Array(items) = value else {
        return Err(wrong_type(value, "array", at));
    };
    if items.len() < min_items {
        return Err(failure(format!(
            "array is too short: must have at least {min_items} elements but instance has {} elements{}",
            items.len(),
            place(at)
        )));
    }
    Ok(items)
}

/// A tag prefix or pattern list: at least one entry, no empty entry (an empty prefix would select
/// every tagged image, which is what `tagStatus` `any` is for).
fn string_list(value: &Value, at: &str) -> Result<Vec<String>, PolicyError> {
    array(value, at, 1)?
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let item_at = format!("{at}/{index}");
            let text = string(item, &item_at)?;
            if text.is_empty() {
                return Err(failure(format!(
                    "string \"\" is too short (length: 0, required minimum: 1){}",
                    place(&item_at)
                )));
            }
            Ok(text.to_owned())
        })
        .collect()
}
