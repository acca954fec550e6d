//! Our own fan-out of one shared watch to several controllers.
//!
//! kube-runtime's shared-store subscription applies backpressure to the watch when one subscriber
//! lags, and its stream can stall without a wake-up when an object is deleted before it is read. An
//! unbounded channel per subscriber has neither problem; the cache is updated before anything is sent,
//! so a reconcile triggered by a change always sees that change.

use std::sync::Arc;

/// Change notifications of one shared watch (the cache is updated before each).
pub type Changes<K> = std::pin::Pin<Box<dyn futures::Stream<Item = Arc<K>> + Send>>;

/// Sends every applied or deleted object (and, after each full list, every object) to each subscriber.
pub struct Fanout<K> {
    subscribers: Vec<tokio::sync::mpsc::UnboundedSender<Arc<K>>>,
}

impl<K> Default for Fanout<K> {
    fn default() -> Self {
        Self { subscribers: Vec::new() }
    }
}

impl<K: Send + Sync + 'static> Fanout<K> {
    pub fn subscribe(&mut self) -> Changes<K> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.subscribers.push(tx);
        Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|o| (o, rx)) }))
    }

    pub fn send(&self, object: Arc<K>) {
        for subscriber in &self.subscribers {
            // A closed subscriber is a controller that stopped; the others still get it.
            let _ = subscriber.send(object.clone());
        }
    }
}
