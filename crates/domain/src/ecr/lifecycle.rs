//! Which images a lifecycle policy expires, as ECR's lifecycle policy evaluator decides.
//!
//! The rules of "Lifecycle policy evaluation rules" (Amazon ECR User Guide, `LifecyclePolicies`)
//! and where each lives here:
//! - "All rules are evaluated at the same time, regardless of rule priority. After all rules are
//!   evaluated, they are then applied based on rule priority." Every rule selects from all the
//!   images ([`selects`]); rules are then applied lowest `rulePriority` first.
//! - "An image is expired by exactly one or zero rules." and "An image that matches the tagging
//!   requirements of a rule cannot be expired by a rule with a lower priority." Matching the tag
//!   filter is enough to be claimed, whether that rule expires the image or keeps it: the newest N
//!   of an `imageCountMoreThan` rule, or the young images of a `sinceImagePushed` rule, are out of
//!   reach of every later rule.
//! - "Rules can never mark images that are marked by higher priority rules, but can still identify
//!   them as if they haven't been expired." A later rule counts claimed images (they take their
//!   place among its newest N) but never expires them. ECR's "Filtering on multiple rules" example A
//!   shows it: its Rule 2 keeps Image C as its newest, would mark A and B, and marks neither.
//! - "Expiration is always ordered by pushed_at_time, and always expires older images before newer
//!   ones." / "With countType = imageCountMoreThan, images are sorted from youngest to oldest based
//!   on pushed_at_time and then all images greater than the specified count are expired." /
//!   "With countType = sinceImagePushed, all images whose pushed_at_time is older than the
//!   specified number of days based on countNumber are expired."
//! - "When using the tagPrefixList, an image is successfully matched if all of the tags in the
//!   tagPrefixList value are matched against any of the image's tags." The same holds for
//!   tagPatternList, where `*` matches any run of characters ("prod*" matches tags beginning with
//!   prod, "*prod*" tags containing it).
//!
//! Ours, not ECR's: an image the caller says is in use (a running task or a service uses it) is
//! never expired; it is reported in [`Evaluation::kept_in_use`] with the rule that would have
//! expired it, and it still counts and is still claimed exactly as if it had been expired. ECR has
//! the same kind of shield for images a manifest list references ("it cannot be expired ... without
//! the manifest list being deleted first"); deleting an image a task is about to pull would stop
//! that task from starting.

use std::cmp::Reverse;

use jiff::{SignedDuration, Timestamp};

use super::{Count, LifecyclePolicy, Selection, TagStatus};

/// An image of the repository, as the evaluator needs to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// `sha256:...`; identifies the image.
    pub digest: String,
    /// Empty for an untagged image.
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
}

/// What a policy does to a repository now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Oldest first (by `pushed_at`, then digest): the order ECR expires in.
    pub expired: Vec<Expiry>,
    /// Images a rule would expire but which are in use: `(digest, rulePriority)`, in the same order.
    pub kept_in_use: Vec<(String, u32)>,
}

/// One image to expire, with the rule that expires it (ECR's preview calls it the
/// `appliedRulePriority`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiry {
    pub digest: String,
    pub rule_priority: u32,
    pub reason: ExpiryReason,
}

/// Why the rule expires the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryReason {
    /// `imageCountMoreThan`: the rule keeps its newest `count_number` images and this one is the
    /// `position`-th newest (1-based) of those it selects.
    ImageCountMoreThan { count_number: u32, position: usize },
    /// `sinceImagePushed`: pushed more than `days` days before the evaluation.
    SinceImagePushed { days: u32 },
}

impl std::fmt::Display for ExpiryReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpiryReason::ImageCountMoreThan { count_number, position } => {
                write!(f, "imageCountMoreThan {count_number}: number {position} of the rule's images, newest first")
            }
            ExpiryReason::SinceImagePushed { days } => write!(f, "sinceImagePushed: pushed more than {days} days ago"),
        }
    }
}

/// Applies `policy` to `images` at `now`. `in_use` says which images must not be deleted.
pub fn evaluate(
    policy: &LifecyclePolicy,
    images: &[Image],
    now: Timestamp,
    in_use: &dyn Fn(&Image) -> bool,
) -> Evaluation {
    let mut rules: Vec<_> = policy.rules.iter().collect();
    rules.sort_by_key(|rule| rule.rule_priority);

    // Indexes, not digests: a repository listing with a digest twice must not merge two images.
    let mut claimed = vec![false; images.len()];
    let mut marked: Vec<(usize, u32, Option<ExpiryReason>)> = Vec::new();

    for rule in rules {
        let mut selected: Vec<usize> = (0..images.len()).filter(|&i| selects(&rule.selection, &images[i])).collect();
        // Youngest first; equal push times by digest, so the result never depends on input order.
        selected.sort_by_key(|&i| Reverse(age_key(&images[i])));

        let candidates: Vec<(usize, ExpiryReason)> = match rule.selection.count {
            Count::ImageCountMoreThan(count_number) => selected
                .iter()
                .enumerate()
                .skip(count_number as usize)
                .map(|(rank, &i)| (i, ExpiryReason::ImageCountMoreThan { count_number, position: rank + 1 }))
                .collect(),
            Count::SinceImagePushed { days } => {
                let cutoff = days_before(now, days);
                selected
                    .iter()
                    .filter(|&&i| images[i].pushed_at < cutoff)
                    .map(|&i| (i, ExpiryReason::SinceImagePushed { days }))
                    .collect()
            }
        };
        for (i, reason) in candidates {
            if claimed[i] {
                continue;
            }
            let reason = if in_use(&images[i]) { None } else { Some(reason) };
            marked.push((i, rule.rule_priority, reason));
        }
        // Claimed after the rule is applied: a rule does not shield images from itself.
        for i in selected {
            claimed[i] = true;
        }
    }

    marked.sort_by_key(|(i, _, _)| age_key(&images[*i]));
    let mut evaluation = Evaluation::default();
    for (i, rule_priority, reason) in marked {
        let digest = images[i].digest.clone();
        match reason {
            Some(reason) => evaluation.expired.push(Expiry { digest, rule_priority, reason }),
            None => evaluation.kept_in_use.push((digest, rule_priority)),
        }
    }
    evaluation
}

/// Oldest first.
fn age_key(image: &Image) -> (Timestamp, &str) {
    (image.pushed_at, image.digest.as_str())
}

/// `now` less `days` whole days. A cutoff before the start of representable time means nothing
/// is old enough.
fn days_before(now: Timestamp, days: u32) -> Timestamp {
    let span = SignedDuration::from_hours(i64::from(days) * 24);
    now.checked_sub(span).unwrap_or(Timestamp::MIN)
}

/// Whether the rule's tag filter selects the image (the "tagging requirements" of the rule).
fn selects(selection: &Selection, image: &Image) -> bool {
    match selection.tag_status {
        TagStatus::Any => true,
        TagStatus::Untagged => image.tags.is_empty(),
        TagStatus::Tagged => {
            !image.tags.is_empty()
                && selection
                    .tag_prefix_list
                    .iter()
                    .all(|prefix| image.tags.iter().any(|tag| tag.starts_with(prefix.as_str())))
                && selection
                    .tag_pattern_list
                    .iter()
                    .all(|pattern| image.tags.iter().any(|tag| wildcard_match(pattern, tag)))
        }
    }
}

/// Whether `tag` matches `pattern` as a whole, `*` standing for any run of characters (also none).
pub(super) fn wildcard_match(pattern: &str, tag: &str) -> bool {
    let mut parts = pattern.split('*');
    // `split` yields at least one part.
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = tag.strip_prefix(first) else {
        return false;
    };
    let mut middle: Vec<&str> = parts.collect();
    let Some(last) = middle.pop() else {
        // No `*`: the pattern is the tag.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}
