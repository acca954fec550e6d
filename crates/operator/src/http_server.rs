//! The operator's small HTTP endpoint: `/metrics` (Prometheus text), `/healthz` (the process
//! serves) and `/readyz` (started: caches synced when leading, or standing by for the lease).
//!
//! Three read-only GET routes do not justify an HTTP framework; requests are parsed just enough to
//! route them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::context::Context;
use crate::metrics::Metrics;

/// Serves until the process ends. `started` turns true once the operator is leading with synced
/// caches or standing by.
pub async fn serve(addr: SocketAddr, ctx: Arc<Context>, started: Arc<AtomicBool>) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(%addr, "serving /metrics, /healthz and /readyz");
    loop {
        let (mut stream, _) = listener.accept().await?;
        let ctx = ctx.clone();
        let started = started.clone();
        tokio::spawn(async move {
            // Read the request head (a request may arrive in pieces); bodies are not expected.
            let mut buffer = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < 16 * 1024 {
                match tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut chunk)).await {
                    Ok(Ok(n)) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
                    _ => break,
                }
            }
            let request = String::from_utf8_lossy(&buffer);
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let (status, body) = route(path, &ctx, started.load(Ordering::Relaxed));
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        });
    }
}

fn route(path: &str, ctx: &Context, started: bool) -> (&'static str, String) {
    match path {
        "/healthz" | "/livez" => ("200 OK", "ok\n".into()),
        "/readyz" if started => ("200 OK", "ok\n".into()),
        "/readyz" => ("503 Service Unavailable", "starting\n".into()),
        "/metrics" => {
            let mut body = Metrics::global().render();
            body.push_str(&crate::insights::render(ctx.caches()));
            ("200 OK", body)
        }
        _ => ("404 Not Found", "not found\n".into()),
    }
}
