//! The backoff of every watch feeding the read model (and of the controllers' own watches).

use std::time::Duration;

/// Backoff of a controller's watches. kube-runtime shares one backoff across all watches of a
/// controller, and after a kube-apiserver restart each watch fails once ("too old resource version")
/// before it re-lists; with the default (0.8s doubling to 30s) a controller with six watches needs
/// about a minute to resume. Capping at 3s keeps recovery within seconds without hammering the API.
#[derive(Clone, Debug)]
pub struct WatchBackoff {
    next: Duration,
}

impl WatchBackoff {
    const FIRST: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(3);
}

impl Default for WatchBackoff {
    fn default() -> Self {
        Self { next: Self::FIRST }
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        let current = self.next;
        self.next = (current * 2).min(Self::MAX);
        Some(current)
    }
}

impl kube::runtime::utils::Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}
