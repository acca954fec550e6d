//! Free loopback ports, so two clusters on one machine never collide, and whether a port is served.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use super::Error;

/// Picks `count` distinct ports that are free on 127.0.0.1 right now. The listeners are closed before
/// returning, so another program could take a port in between; startup retries on a bind failure.
pub fn pick_free_ports(count: usize) -> Result<Vec<u16>, Error> {
    let mut listeners = Vec::with_capacity(count);
    let mut ports = BTreeSet::new();
    while ports.len() < count {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("binding a free port", e))?;
        let port = listener.local_addr().map_err(|e| Error::io("reading a bound port", e))?.port();
        ports.insert(port);
        listeners.push(listener);
    }
    Ok(listeners.iter().filter_map(|l| l.local_addr().ok().map(|a| a.port())).collect())
}

/// Whether something accepts connections on `address` (within `timeout`). A connection to a local
/// port nobody listens on can still succeed: when the kernel picks that same port as the source, the
/// SYN meets itself (a TCP self-connect, a simultaneous open). Such a connection is its own peer and
/// proves no listener; it is closed at once, as while open it holds the port the awaited server wants.
pub fn accepts_connections(address: SocketAddr, timeout: Duration) -> bool {
    match TcpStream::connect_timeout(&address, timeout) {
        Ok(stream) => stream.local_addr().is_ok_and(|local| local != address),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_port_accepts_and_a_closed_one_does_not() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        assert!(accepts_connections(address, Duration::from_millis(500)));
        drop(listener);
        // A process another test spawns right now holds a copy of the listener until its exec closes
        // it (close-on-exec): wait for that. Then repeatedly: a self-connect must count as no listener.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while accepts_connections(address, Duration::from_millis(500)) {
            assert!(std::time::Instant::now() < deadline, "{address} still accepts after the listener closed");
            std::thread::sleep(Duration::from_millis(20));
        }
        for _ in 0..50 {
            assert!(!accepts_connections(address, Duration::from_millis(500)));
        }
    }
}
