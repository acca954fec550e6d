//! Connections: HTTP/1.1, TLS when configured, at most [`MAX_CONNECTIONS`] at once, a bounded time
//! for each request head; on shutdown no new connections, and those open finish their request.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use super::request::{Front, handle};

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: u32 = 512;
/// A request's head (and a TLS handshake) must arrive within this. Bodies have no limit: a layer
/// of hundreds of MiB takes what the network takes.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// After shutdown, how long requests in progress may take to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts on `listener` until `shutdown` completes, then lets requests in progress finish.
pub async fn accept(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    front: Arc<Front>,
    shutdown: impl Future<Output = ()>,
) {
    let tls = tls.map(TlsAcceptor::from);
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS as usize));
    let (stop, stopped) = watch::channel(false);
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(address, tls = tls.is_some(), "serving the registry");
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a registry connection");
                    continue;
                }
            },
        };
        let front = front.clone();
        let tls = tls.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            let _permit = permit;
            serve_connection(stream, tls, front, stopped).await;
            tracing::trace!(%peer, "registry connection closed");
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit: all of them back means every connection is done.
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.acquire_many(MAX_CONNECTIONS)).await.is_err() {
        tracing::warn!("registry connections still open {DRAIN_TIMEOUT:?} after shutdown");
    }
}

async fn serve_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    front: Arc<Front>,
    stopped: watch::Receiver<bool>,
) {
    match tls {
        Some(tls) => match tokio::time::timeout(HEADER_TIMEOUT, tls.accept(stream)).await {
            Ok(Ok(stream)) => serve_http(TokioIo::new(stream), front, stopped).await,
            Ok(Err(error)) => tracing::debug!(%error, "registry TLS handshake failed"),
            Err(_) => tracing::debug!("registry TLS handshake timed out"),
        },
        None => serve_http(TokioIo::new(stream), front, stopped).await,
    }
}

async fn serve_http<I>(io: I, front: Arc<Front>, mut stopped: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let front = front.clone();
        async move { Ok::<_, Infallible>(handle(front, request).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = stopping(&mut stopped) => {
            // Finish the request in progress, then close instead of waiting for the next one.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = served {
        tracing::debug!(%error, "registry connection ended");
    }
}

/// Completes when the front stops (or the sender is gone, which also means it stopped).
async fn stopping(stopped: &mut watch::Receiver<bool>) {
    while !*stopped.borrow_and_update() {
        if stopped.changed().await.is_err() {
            return;
        }
    }
}
