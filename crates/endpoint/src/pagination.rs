//! maxResults / nextToken over a sorted list: the token is the position after the last item
//! returned, so a page boundary stays put while items are added or removed before it.

use crate::error::EcsError;

/// One page of `items` (sorted and deduplicated here), and the token of the next page if any.
pub fn page(
    items: Vec<String>,
    max_results: Option<i32>,
    next_token: Option<&str>,
    default: usize,
    limit: usize,
) -> Result<(Vec<String>, Option<String>), EcsError> {
    page_ordered(items, max_results, next_token, default, limit, false)
}

/// [`page`] in ascending or descending order.
pub fn page_ordered(
    mut items: Vec<String>,
    max_results: Option<i32>,
    next_token: Option<&str>,
    default: usize,
    limit: usize,
    descending: bool,
) -> Result<(Vec<String>, Option<String>), EcsError> {
    let size = match max_results {
        None => default,
        Some(n) if n >= 1 && (n as usize) <= limit => n as usize,
        Some(n) => {
            return Err(EcsError::invalid_parameter(format!("maxResults must be between 1 and {limit}, not {n}.")));
        }
    };
    items.sort();
    items.dedup();
    if descending {
        items.reverse();
    }
    let start = match next_token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => {
            let after = hex::decode(token).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| {
                EcsError::invalid_parameter("Invalid token: nextToken is not one this endpoint gave.")
            })?;
            if descending {
                items.partition_point(|item| item.as_str() >= after.as_str())
            } else {
                items.partition_point(|item| item.as_str() <= after.as_str())
            }
        }
    };
    let page: Vec<String> = items.iter().skip(start).take(size).cloned().collect();
    let more = start + page.len() < items.len();
    let token = match page.last() {
        Some(last) if more => Some(hex::encode(last.as_bytes())),
        _ => None,
    };
    Ok((page, token))
}

/// [`page_ordered`] over items that are not their own sort key (ECR's images): each is paged by its
/// `key`, which must tell it apart from every other item (a shared key keeps one of them).
pub fn page_by<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    max_results: Option<i32>,
    next_token: Option<&str>,
    (default, limit): (usize, usize),
    descending: bool,
) -> Result<(Vec<T>, Option<String>), EcsError> {
    let mut keyed: std::collections::HashMap<String, T> = items.into_iter().map(|item| (key(&item), item)).collect();
    let keys = keyed.keys().cloned().collect();
    let (page, token) = page_ordered(keys, max_results, next_token, default, limit, descending)?;
    Ok((page.iter().filter_map(|k| keyed.remove(k)).collect(), token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let items: Vec<String> = (0..25).map(|i| format!("arn:task/{i:02}")).collect();
        let mut seen = Vec::new();
        let mut token = None;
        loop {
            let (page, next) = page(items.clone(), Some(10), token.as_deref(), 100, 100).expect("page");
            seen.extend(page);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, items);
        let (first, token) = page_ordered(items.clone(), Some(20), None, 100, 100, true).expect("page");
        assert_eq!(first[0], "arn:task/24");
        let (rest, _) = page_ordered(items.clone(), Some(20), token.as_deref(), 100, 100, true).expect("page");
        assert_eq!(rest, vec!["arn:task/04", "arn:task/03", "arn:task/02", "arn:task/01", "arn:task/00"]);
        assert_eq!(page(items.clone(), None, None, 100, 100).unwrap().1, None);
        assert!(page(items.clone(), Some(0), None, 100, 100).unwrap_err().message.contains("between 1 and 100"));
        assert!(page(items.clone(), Some(101), None, 100, 100).is_err());
        assert!(page(items, None, Some("zz"), 100, 100).unwrap_err().message.contains("Invalid token"));
    }

    #[test]
    fn pages_of_items_by_their_keys() {
        let items: Vec<(u32, &str)> = vec![(3, "c"), (1, "a"), (2, "b")];
        let key = |item: &(u32, &str)| format!("{:05}", item.0);
        let (first, token) = page_by(items.clone(), key, Some(2), None, (100, 100), true).expect("page");
        assert_eq!(first, vec![(3, "c"), (2, "b")]);
        let (rest, token) = page_by(items, key, Some(2), token.as_deref(), (100, 100), true).expect("page");
        assert_eq!((rest, token), (vec![(1, "a")], None));
    }
}
