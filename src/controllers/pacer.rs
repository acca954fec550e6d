//! Per-object memory of our last status write: when it happened (to space out low-value writes, see
//! `service_plan::counts`) and what was written on top of which version (so a reconcile that runs
//! before the watch delivers our own write plans from what we wrote, not from the older copy: no
//! event is counted twice and no write repeated).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct LastWrite<T> {
    at: Instant,
    /// resourceVersion of the object the write was based on.
    based_on: Option<String>,
    written: T,
}

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
        (write.based_on.is_some() && write.based_on.as_deref() == cached_version).then(|| write.written.clone())
    }

    pub fn wrote(&self, key: &str, based_on: Option<String>, written: T) {
        self.lock().insert(key.to_string(), LastWrite { at: Instant::now(), based_on, written });
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
        pacer.wrote("a", Some("1".into()), 7);
        assert!(pacer.wait("a", interval).is_some_and(|w| w <= interval));
        assert_eq!(pacer.wait("b", interval), None);
        pacer.forget("a");
        assert_eq!(pacer.wait("a", interval), None);
    }

    #[test]
    fn remembers_a_write_the_cache_has_not_seen() {
        let pacer = WritePacer::default();
        pacer.wrote("a", Some("1".into()), 7);
        assert_eq!(pacer.unseen_write("a", Some("1")), Some(7), "cache still at the version we wrote over");
        assert_eq!(pacer.unseen_write("a", Some("2")), None, "cache has moved on");
        assert_eq!(pacer.unseen_write("b", Some("1")), None);
    }
}
