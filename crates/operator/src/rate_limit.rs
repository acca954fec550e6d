//! Client-side request rate limiting (QPS with a burst), as client-go's token bucket: lets the
//! operator run under the same API budget as kube-controller-manager (20 QPS, burst 30 by default
//! there) for like-for-like benchmarks, or within a platform team's limits.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use tower::{Layer, Service};

/// A token bucket shared by every request of one client.
#[derive(Debug)]
pub struct TokenBucket {
    qps: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(qps: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self { qps: qps.max(0.001), burst, state: Mutex::new((burst, Instant::now())) }
    }

    /// Waits until a request may be sent.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let refilled = (state.0 + now.duration_since(state.1).as_secs_f64() * self.qps).min(self.burst);
                *state = (refilled, now);
                if refilled >= 1.0 {
                    state.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - refilled) / self.qps)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Tower layer applying a [`TokenBucket`] to every request.
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    bucket: Arc<TokenBucket>,
}

impl RateLimitLayer {
    pub fn new(qps: f64, burst: u32) -> Self {
        Self { bucket: Arc::new(TokenBucket::new(qps, burst)) }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimited<S>;
    fn layer(&self, inner: S) -> RateLimited<S> {
        RateLimited { inner, bucket: self.bucket.clone(), waiting: None, permitted: false }
    }
}

/// A service whose requests wait for a token first. The wait happens in `poll_ready`, so the
/// service needs no cloning (kube's client stack is not `Clone`) and queued requests keep their order.
pub struct RateLimited<S> {
    inner: S,
    bucket: Arc<TokenBucket>,
    waiting: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    permitted: bool,
}

impl<S, Req> Service<Req> for RateLimited<S>
where
    S: Service<Req>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if !self.permitted {
            let bucket = self.bucket.clone();
            let waiting = self.waiting.get_or_insert_with(|| Box::pin(async move { bucket.acquire().await }));
            if waiting.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.waiting = None;
            self.permitted = true;
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        self.permitted = false;
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_qps() {
        let bucket = TokenBucket::new(10.0, 3);
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            bucket.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(5), "the burst is immediate");
        bucket.acquire().await;
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(90), "then one every 100ms: {elapsed:?}");
    }
}
