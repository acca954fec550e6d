//! A TCP forwarder that lets pods on real nodes reach kube-apiserver, which listens on 127.0.0.1 only.
//!
//! One forwarder per real node listens on the node's IP (its bridge's gateway address, on this host) at
//! the apiserver's port and copies bytes both ways to `127.0.0.1:<port>`. TLS passes through untouched:
//! the apiserver's serving certificate names every real node's IP (see `pki.rs`), so in-cluster clients
//! verify it with the `kube-root-ca.crt` CA. Pods use it by setting `KUBERNETES_SERVICE_HOST` to their
//! node's IP (`status.hostIP`) and `KUBERNETES_SERVICE_PORT` to the apiserver's port: there is no
//! kube-proxy, so the `kubernetes` Service's ClusterIP routes nowhere. Nothing listens beyond the
//! host's own bridge addresses.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Error;

/// A running forwarder; dropping it closes the listener and every forwarded connection.
#[derive(Debug)]
pub struct ApiForwarder {
    listen: SocketAddr,
    stopping: Arc<AtomicBool>,
    connections: Arc<Mutex<Connections>>,
    acceptor: Option<JoinHandle<()>>,
}

impl ApiForwarder {
    /// Listens on `listen` and forwards every connection to `target`.
    pub fn start(listen: SocketAddr, target: SocketAddr) -> Result<Self, Error> {
        let listener =
            TcpListener::bind(listen).map_err(|e| Error::io(format!("listening on {listen} (API forwarder)"), e))?;
        let listen = listener.local_addr().map_err(|e| Error::io("API forwarder address", e))?;
        let stopping = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Connections>> = Arc::new(Mutex::new(Connections::default()));
        let acceptor = {
            let stopping = stopping.clone();
            let connections = connections.clone();
            std::thread::Builder::new()
                .name(format!("api-forward-{listen}"))
                .spawn(move || accept_loop(listener, target, &stopping, &connections))
                .map_err(|e| Error::io("starting the API forwarder thread", e))?
        };
        Ok(Self { listen, stopping, connections, acceptor: Some(acceptor) })
    }

    /// The address it listens on.
    pub fn listen_address(&self) -> SocketAddr {
        self.listen
    }

    /// Closes the listener and every forwarded connection.
    pub fn stop(&mut self) {
        if self.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wakes the blocking accept, which then sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.listen, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for (client, upstream) in std::mem::take(&mut lock(&self.connections).open).into_values() {
            let _ = client.shutdown(Shutdown::Both);
            let _ = upstream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for ApiForwarder {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The forwarded connections still open, by id (client side, upstream side).
#[derive(Debug, Default)]
struct Connections {
    next: u64,
    open: std::collections::HashMap<u64, (TcpStream, TcpStream)>,
}

fn lock(connections: &Mutex<Connections>) -> std::sync::MutexGuard<'_, Connections> {
    connections.lock().unwrap_or_else(|p| p.into_inner())
}

fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    stopping: &AtomicBool,
    connections: &Arc<Mutex<Connections>>,
) {
    for client in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        let Ok(upstream) = TcpStream::connect_timeout(&target, Duration::from_secs(5)) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = upstream.set_nodelay(true);
        let (Ok(client_r), Ok(upstream_w), Ok(upstream_r), Ok(client_w)) =
            (client.try_clone(), upstream.try_clone(), upstream.try_clone(), client.try_clone())
        else {
            continue;
        };
        let id = {
            let mut open = lock(connections);
            open.next += 1;
            let id = open.next;
            open.open.insert(id, (client, upstream));
            id
        };
        let connections = connections.clone();
        std::thread::spawn(move || {
            let back = std::thread::spawn(move || pipe(upstream_r, client_w));
            pipe(client_r, upstream_w);
            let _ = back.join();
            lock(&connections).open.remove(&id);
        });
    }
}

/// Copies `from` to `to` until `from` ends, then half-closes `to`.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    #[test]
    fn forwards_both_ways_and_stops() {
        let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = upstream.local_addr().unwrap();
        let echo = std::thread::spawn(move || {
            let (mut s, _) = upstream.accept().unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let mut forwarder = ApiForwarder::start("127.0.0.1:0".parse().unwrap(), target).unwrap();
        let mut c = TcpStream::connect(forwarder.listen_address()).unwrap();
        c.write_all(b"hello").unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello");
        echo.join().unwrap();
        let address = forwarder.listen_address();
        forwarder.stop();
        // The forwarded connection is closed: the client reads the end of the stream.
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        match c.read(&mut back) {
            Ok(n) => assert_eq!(n, 0, "the forwarded connection is still open"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
        // Closed, though not always at the instant stop returns: a process another test spawns at
        // that moment holds a copy of every descriptor until its exec closes them (close-on-exec), the
        // listener's included (measured: 30 of 300 runs of this binary met a listener for a few ms
        // after stop). So the port must stop accepting soon, not at once.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while crate::ports::accepts_connections(address, Duration::from_millis(500)) {
            assert!(std::time::Instant::now() < deadline, "the forwarder still listens on {address}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
