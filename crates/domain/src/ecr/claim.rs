//! Which Repository holds a `repositoryName`.
//!
//! One registry serves every namespace, so a `repositoryName` names one registry repository across
//! the cluster, while the API server lets any namespace create a Repository claiming it. The oldest
//! claimant holds the name; a later one is told who holds it and gets nothing (no pushes, no pulls
//! through it, no lifecycle runs). Ties on the creation second go to the namespace, then the name,
//! so every reader (the controller, the registry front, the ECR API) picks the same holder.

use jiff::Timestamp;

/// A Repository object claiming a name, as far as the claim is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimant<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub created: Option<Timestamp>,
    /// Being deleted: it keeps the name until it is gone, so a newcomer cannot inherit its images
    /// before the finalizer has removed them.
    pub deleting: bool,
}

/// The holder among `claimants` (all claiming the same `repositoryName`), if any.
pub fn holder<'a, 'b>(claimants: &'b [Claimant<'a>]) -> Option<&'b Claimant<'a>> {
    // An object without a creation time has not been created yet as far as anyone can tell: last.
    claimants.iter().min_by_key(|c| (c.created.is_none(), c.created, c.namespace, c.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Option<Timestamp> {
        Timestamp::from_second(seconds).ok()
    }

    #[test]
    fn the_oldest_claimant_holds_the_name_and_ties_are_broken_the_same_way_everywhere() {
        type Claims<'a> = &'a [(&'a str, &'a str, Option<Timestamp>)];
        let cases: &[(Claims<'_>, Option<(&str, &str)>)] = &[
            (&[], None),
            (&[("team-b", "web", at(20)), ("team-a", "web", at(10))], Some(("team-a", "web"))),
            (&[("team-b", "web", at(10)), ("team-a", "web", at(10))], Some(("team-a", "web"))),
            (&[("team-a", "z", at(10)), ("team-a", "a", at(10))], Some(("team-a", "a"))),
            (&[("team-a", "new", None), ("team-b", "old", at(10))], Some(("team-b", "old"))),
        ];
        for (claimants, expected) in cases {
            let claimants: Vec<_> = claimants
                .iter()
                .map(|(namespace, name, created)| Claimant { namespace, name, created: *created, deleting: false })
                .collect();
            let got = holder(&claimants).map(|c| (c.namespace, c.name));
            assert_eq!(got, *expected, "{claimants:?}");
        }
    }
}
