//! One manifest push at a time per IMMUTABLE repository, across the "does the tag exist?" check and
//! the upload, so two concurrent pushes of different images to one tag cannot both find it free.
//!
//! Per process: replicas of the front behind one address could still race each other; the window
//! is a HEAD and a PUT long, and the registry under keeps whichever landed last.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// The per-repository locks in use; a repository's entry goes away with its last holder.
#[derive(Default)]
pub struct TagLocks {
    locks: Arc<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>>,
}

/// Held while a manifest is checked and pushed.
pub struct TagLock {
    guard: Option<OwnedMutexGuard<()>>,
    repository: String,
    locks: Arc<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>>,
}

impl TagLocks {
    /// Waits until no other push to `repository` holds its lock.
    pub async fn lock(&self, repository: &str) -> TagLock {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.entry(repository.to_string()).or_default().clone()
        };
        TagLock { guard: Some(lock.lock_owned().await), repository: repository.to_string(), locks: self.locks.clone() }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for TagLock {
    fn drop(&mut self) {
        self.guard = None;
        // Under the map's lock nobody can clone the entry meanwhile: one reference left is the map's.
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        if locks.get(&self.repository).is_some_and(|lock| Arc::strong_count(lock) == 1) {
            locks.remove(&self.repository);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_second_push_waits_for_the_first_and_idle_locks_are_forgotten() {
        let locks = TagLocks::default();
        let first = locks.lock("team/web").await;
        let other = locks.lock("team/api").await;
        let blocked = tokio::time::timeout(Duration::from_millis(50), locks.lock("team/web")).await;
        assert!(blocked.is_err(), "a second push to the same repository must wait");
        drop(other);
        assert_eq!(locks.len(), 1);
        drop(first);
        assert_eq!(locks.len(), 0);
        let again = locks.lock("team/web").await;
        assert_eq!(locks.len(), 1);
        drop(again);
    }
}
