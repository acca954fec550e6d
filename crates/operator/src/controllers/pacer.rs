//! Per-object memory of our last status write: when it happened (to space out low-value writes, see
//! `service_plan::counts`) and what was written on top of which version (so a reconcile that runs
//! before the watch delivers our own writes plans from what we wrote, not from an older copy: no
//! event is counted twice and no write repeated).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct LastWrite<T> {
    at: Instant,
    /// resourceVersions older than our last write that the cache may still show: the version each
    /// write was based on and the versions our earlier writes produced (a reconcile on a lagging
    /// cache can write twice before the first write comes back).
    superseded: Vec<String>,
    /// The version our last write produced: the cache shows it once it has caught up.
    produced: Option<String>,
    written: T,
}

/// Enough for the writes one lagging watch can hide.
const SUPERSEDED_KEPT: usize = 8;

pub struct WritePacer<T> {
    last: Mutex<HashMap<String, LastWrite<T>>>,
}

impl<T> Default for WritePacer<T> {
    fn default() -> Self {
        Self { last: Mutex::new(HashMap::new()) }
    }
}

impl<T: Clone> WritePacer<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LastWrite<T>>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long to wait before the next paced write of `key`; `None`: write now.
    pub fn wait(&self, key: &str, interval: Duration) -> Option<Duration> {
        let since = self.lock().get(key)?.at.elapsed();
        (since < interval).then(|| interval - since)
    }

    /// What we last wrote, if the cached copy (at `cached_version`) does not show it yet.
    pub fn unseen_write(&self, key: &str, cached_version: Option<&str>) -> Option<T> {
        let last = self.lock();
        let write = last.get(key)?;
        let cached = cached_version?;
        write.superseded.iter().any(|v| v == cached).then(|| write.written.clone())
    }

    /// Records a write made on top of `based_on` that produced the version `produced`.
    pub fn wrote(&self, key: &str, based_on: Option<String>, produced: Option<String>, written: T) {
        let mut last = self.lock();
        let mut superseded = match last.remove(key) {
            Some(earlier)
                if based_on
                    .as_ref()
                    .is_some_and(|b| earlier.superseded.contains(b) || earlier.produced.as_ref() == Some(b)) =>
            {
                let mut versions = earlier.superseded;
                versions.extend(earlier.produced);
                versions
            }
            _ => Vec::new(),
        };
        if let Some(based_on) = based_on
            && !superseded.contains(&based_on)
        {
            superseded.push(based_on);
        }
        let excess = superseded.len().saturating_sub(SUPERSEDED_KEPT);
        superseded.drain(..excess);
        last.insert(key.to_string(), LastWrite { at: Instant::now(), superseded, produced, written });
    }

    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_after_a_write_only() {
        let pacer = WritePacer::default();
        let interval = Duration::from_secs(60);
        assert_eq!(pacer.wait("a", interval), None, "never written: now");
        pacer.wrote("a", Some("1".into()), Some("2".into()), 7);
        assert!(pacer.wait("a", interval).is_some_and(|w| w <= interval));
        assert_eq!(pacer.wait("b", interval), None);
        pacer.forget("a");
        assert_eq!(pacer.wait("a", interval), None);
    }

    #[test]
    fn remembers_a_write_the_cache_has_not_seen() {
        let pacer = WritePacer::default();
        pacer.wrote("a", Some("1".into()), Some("2".into()), 7);
        assert_eq!(pacer.unseen_write("a", Some("1")), Some(7), "cache still at the version we wrote over");
        assert_eq!(pacer.unseen_write("a", Some("2")), None, "cache shows our write");
        assert_eq!(pacer.unseen_write("a", Some("5")), None, "someone else wrote since");
        assert_eq!(pacer.unseen_write("b", Some("1")), None);
    }

    #[test]
    fn a_second_write_on_a_lagging_cache_hides_the_first_one_too() {
        let pacer = WritePacer::default();
        pacer.wrote("a", Some("1".into()), Some("2".into()), 7);
        // The cache still shows version 1 when the next write goes out.
        pacer.wrote("a", Some("1".into()), Some("3".into()), 8);
        assert_eq!(pacer.unseen_write("a", Some("1")), Some(8));
        assert_eq!(pacer.unseen_write("a", Some("2")), Some(8), "our first write is older than what we wrote last");
        assert_eq!(pacer.unseen_write("a", Some("3")), None, "caught up");
        // A write on a cache that had caught up starts from there.
        pacer.wrote("a", Some("3".into()), Some("4".into()), 9);
        assert_eq!(pacer.unseen_write("a", Some("2")), Some(9));
        assert_eq!(pacer.unseen_write("a", Some("4")), None);
        // A write based on someone else's version forgets our older ones.
        pacer.wrote("a", Some("6".into()), Some("7".into()), 10);
        assert_eq!(pacer.unseen_write("a", Some("2")), None);
        assert_eq!(pacer.unseen_write("a", Some("6")), Some(10));
    }
}
