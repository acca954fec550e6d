//! DescribeParameters' and GetParametersByPath's filters (pure): `ParameterFilters` keys `Name`
//! (Equals, BeginsWith, Contains), `Type`, `KeyId`, `Tier`, `DataType` (Equals, BeginsWith) and
//! `Path` (OneLevel, Recursive), and the older `Filters` (`Name`, `Type`, `KeyId`, each value a
//! prefix). A parameter passes every filter and one of each filter's values. Labels are not kept, so
//! `Label` matches none; tag filters (`tag:<key>`) match the parameter's tags.

use kube_ecs_wire::ssm::{ParameterStringFilter, ParametersFilter};

use super::record::{Stored, under};
use crate::error::{EcsError, ErrorCode};

/// Refuses keys and options SSM does not know for the action (`by_path`: GetParametersByPath,
/// which takes only Type, KeyId and Label).
pub fn check(filters: &[ParameterStringFilter], by_path: bool) -> Result<(), EcsError> {
    for filter in filters {
        let key = filter.key.as_str();
        let known =
            ["Name", "Type", "KeyId", "Path", "Tier", "DataType", "Label"].contains(&key) || key.starts_with("tag:");
        let allowed = !by_path || ["Type", "KeyId", "Label"].contains(&key);
        if !known || !allowed {
            return Err(EcsError::new(
                ErrorCode::InvalidFilterKey,
                format!("The following filter key is not valid: {key}"),
            ));
        }
        let options: &[&str] = match key {
            "Name" => &["Equals", "BeginsWith", "Contains"],
            "Path" => &["OneLevel", "Recursive"],
            _ => &["Equals", "BeginsWith"],
        };
        if let Some(option) = filter.option.as_deref().filter(|o| !options.contains(o)) {
            return Err(EcsError::new(
                ErrorCode::InvalidFilterOption,
                format!("The following filter option is not valid: {option}. Valid options include: {options:?}."),
            ));
        }
    }
    Ok(())
}

pub fn matches(filters: &[ParameterStringFilter], old: &[ParametersFilter], p: &Stored) -> bool {
    filters.iter().all(|f| string_filter(f, p))
        && old.iter().all(|f| {
            let field = field(&f.key, p);
            f.values.iter().any(|v| field.iter().any(|x| x.starts_with(v.as_str())))
        })
}

fn field<'a>(key: &str, p: &'a Stored) -> Vec<&'a str> {
    match key {
        "Name" => vec![p.name.as_str()],
        "Type" => vec![p.type_.as_str()],
        "KeyId" => p.key_id.as_deref().into_iter().collect(),
        "Tier" => vec![p.tier.as_str()],
        "DataType" => vec![p.data_type.as_str()],
        key => match key.strip_prefix("tag:") {
            Some(tag) => p.tags.get(tag).map(String::as_str).into_iter().collect(),
            None => Vec::new(),
        },
    }
}

fn string_filter(filter: &ParameterStringFilter, p: &Stored) -> bool {
    let option = filter.option.as_deref();
    if filter.key == "Path" {
        let recursive = option == Some("Recursive");
        return filter.values.iter().any(|path| under(&p.name, path, recursive));
    }
    let field = field(&filter.key, p);
    if filter.key.starts_with("tag:") && filter.values.is_empty() {
        return !field.is_empty();
    }
    filter.values.iter().any(|v| {
        // Name filters compare with and without the leading slash, as SSM does.
        let v = if filter.key == "Name" && !v.starts_with('/') && p.name.starts_with('/') {
            format!("/{v}")
        } else {
            v.clone()
        };
        field.iter().any(|x| match option.unwrap_or("Equals") {
            "BeginsWith" => x.starts_with(v.as_str()),
            "Contains" => x.contains(v.as_str()),
            _ => *x == v,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(name: &str, type_: &str) -> Stored {
        Stored {
            name: name.into(),
            type_: type_.into(),
            value: "v".into(),
            version: 1,
            last_modified: jiff::Timestamp::UNIX_EPOCH,
            last_modified_user: None,
            description: None,
            key_id: None,
            allowed_pattern: None,
            tier: "Standard".into(),
            data_type: "text".into(),
            tags: [("team".to_string(), "a".to_string())].into(),
        }
    }

    fn f(key: &str, option: Option<&str>, values: &[&str]) -> ParameterStringFilter {
        ParameterStringFilter {
            key: key.into(),
            option: option.map(String::from),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn parameter_filters() {
        let p = parameter("/prod/db/password", "SecureString");
        let cases = [
            (f("Name", None, &["/prod/db/password"]), true),
            (f("Name", None, &["prod/db/password"]), true),
            (f("Name", Some("BeginsWith"), &["/prod"]), true),
            (f("Name", Some("Contains"), &["db"]), true),
            (f("Name", None, &["/prod"]), false),
            (f("Type", None, &["String", "SecureString"]), true),
            (f("Type", None, &["String"]), false),
            (f("Path", None, &["/prod/db"]), true),
            (f("Path", None, &["/prod"]), false),
            (f("Path", Some("Recursive"), &["/prod"]), true),
            (f("tag:team", None, &["a"]), true),
            (f("tag:team", None, &[]), true),
            (f("tag:owner", None, &[]), false),
            (f("Label", None, &["x"]), false),
        ];
        for (filter, want) in cases {
            assert_eq!(matches(std::slice::from_ref(&filter), &[], &p), want, "{filter:?}");
        }
        let old = ParametersFilter { key: "Name".into(), values: vec!["/prod/".into()] };
        assert!(matches(&[], &[old], &p));
    }

    #[test]
    fn refused_filters() {
        assert_eq!(check(&[f("Path", None, &["/a"])], true).unwrap_err().code, ErrorCode::InvalidFilterKey);
        assert_eq!(check(&[f("Nope", None, &["/a"])], false).unwrap_err().code, ErrorCode::InvalidFilterKey);
        assert_eq!(
            check(&[f("Type", Some("Contains"), &["x"])], false).unwrap_err().code,
            ErrorCode::InvalidFilterOption
        );
        assert_eq!(check(&[f("Name", Some("Contains"), &["x"]), f("tag:team", None, &[])], false), Ok(()));
    }
}
