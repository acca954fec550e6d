//! Sets the operator's User-Agent on every request, so API server audit logs and metrics attribute
//! its requests to kube-ecs (the benchmarks count writes per client this way).

use std::task::{Context, Poll};

use http::{HeaderValue, Request};
use tower::{Layer, Service};

/// The User-Agent of the operator: `kube-ecs/<version>`.
pub fn operator_user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("kube-ecs/", env!("CARGO_PKG_VERSION")))
}

/// Tower layer setting a fixed User-Agent.
#[derive(Clone, Debug)]
pub struct UserAgentLayer(pub HeaderValue);

impl<S> Layer<S> for UserAgentLayer {
    type Service = UserAgent<S>;
    fn layer(&self, inner: S) -> UserAgent<S> {
        UserAgent { inner, value: self.0.clone() }
    }
}

/// A service that sets the User-Agent header.
#[derive(Clone, Debug)]
pub struct UserAgent<S> {
    inner: S,
    value: HeaderValue,
}

impl<S, B> Service<Request<B>> for UserAgent<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        request.headers_mut().insert(http::header::USER_AGENT, self.value.clone());
        self.inner.call(request)
    }
}
