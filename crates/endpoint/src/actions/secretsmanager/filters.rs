//! ListSecrets' filters (pure): each filter's values are prefixes of the field its key names
//! (`name`, `description`, `tag-key`, `tag-value`, or `all` of them), a value starting with `!`
//! excludes instead; a secret must pass every filter, and one of a filter's values. kube-ecs keeps
//! no replicas and no managed secrets, so `primary-region` and `owning-service` match none.

use kube_ecs_wire::secretsmanager::Filter;

use super::record::Stored;

pub fn matches(filters: &[Filter], secret: &Stored) -> bool {
    filters.iter().all(|filter| {
        let fields = fields(filter.key.as_deref().unwrap_or_default(), secret);
        let (negated, wanted): (Vec<&str>, Vec<&str>) =
            filter.values.iter().map(String::as_str).partition(|v| v.starts_with('!'));
        let hit = |prefix: &str| fields.iter().any(|f| f.starts_with(prefix));
        let excluded = negated.iter().any(|v| hit(&v[1..]));
        !excluded && (wanted.is_empty() || wanted.iter().any(|v| hit(v)))
    })
}

fn fields<'a>(key: &str, secret: &'a Stored) -> Vec<&'a str> {
    let name = || vec![secret.name.as_str()];
    let description = || secret.description.as_deref().into_iter().collect::<Vec<_>>();
    let tag_keys = || secret.tags.keys().map(String::as_str).collect::<Vec<_>>();
    let tag_values = || secret.tags.values().map(String::as_str).collect::<Vec<_>>();
    match key {
        "name" => name(),
        "description" => description(),
        "tag-key" => tag_keys(),
        "tag-value" => tag_values(),
        "all" => [name(), description(), tag_keys(), tag_values()].concat(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Stored {
        let now = jiff::Timestamp::UNIX_EPOCH;
        Stored {
            name: "prod/db".into(),
            suffix: "AbCdEf".into(),
            description: Some("the database".into()),
            kms_key_id: None,
            version_id: None,
            version_created: now,
            created: now,
            last_changed: now,
            deletion_date: None,
            tags: [("team".to_string(), "payments".to_string())].into(),
            secret_string: None,
            secret_binary: None,
        }
    }

    fn filter(key: &str, values: &[&str]) -> Filter {
        Filter { key: Some(key.into()), values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn filters() {
        let cases = [
            (vec![], true),
            (vec![filter("name", &["prod/"])], true),
            (vec![filter("name", &["dev/", "prod/"])], true),
            (vec![filter("name", &["db"])], false),
            (vec![filter("name", &["!prod/"])], false),
            (vec![filter("description", &["the"])], true),
            (vec![filter("tag-key", &["team"]), filter("tag-value", &["pay"])], true),
            (vec![filter("tag-key", &["team"]), filter("tag-value", &["ops"])], false),
            (vec![filter("all", &["pay"])], true),
            (vec![filter("primary-region", &["us-east-1"])], false),
        ];
        for (filters, want) in cases {
            assert_eq!(matches(&filters, &secret()), want, "{filters:?}");
        }
    }
}
