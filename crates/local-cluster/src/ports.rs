//! Free loopback ports, so two clusters on one machine never collide.

use std::collections::BTreeSet;
use std::net::TcpListener;

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
