//! Termination requests (Ctrl-C, SIGTERM) that are never lost. A signal handler registered anew in
//! each loop turn misses a signal that arrives while the loop is busy (drawing a frame, awaiting a
//! lease), so the first Ctrl-C could go unnoticed. Here the handlers are registered once, at start,
//! and the request is remembered: every later wait sees it at once.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// A handle on the process's termination request; cheap to clone.
#[derive(Clone)]
pub struct Termination(watch::Receiver<bool>);

impl Termination {
    /// Registers the SIGINT and SIGTERM handlers now and remembers the first signal. Call once, early.
    pub fn install() -> std::io::Result<Self> {
        let (tx, rx) = watch::channel(false);
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            let _ = tx.send(true);
        });
        Ok(Self(rx))
    }

    /// Resolves once termination was requested (at once if it already was).
    pub async fn requested(&self) {
        let mut rx = self.0.clone();
        // The sender lives until the signal came; a closed channel means it did.
        let _ = rx.wait_for(|requested| *requested).await;
    }

    /// Whether termination was requested.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }
}
