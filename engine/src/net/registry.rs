//! Listening sockets shared across program versions.
//!
//! When a program is reloaded, the new version takes over the very same listening sockets
//! (duplicated file descriptors) before the old one stops accepting, so no connection waiting
//! in a backlog is lost and the port is never closed in between.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::listener::{bind, ListenOptions};

static LISTENERS: Mutex<Option<HashMap<String, std::net::TcpListener>>> = Mutex::new(None);

/// Worker `index`'s listener for `host:port`: the one already open in this process, or a
/// new one. Several workers each get their own socket (bound with SO_REUSEPORT, so the kernel
/// spreads connections over them).
pub fn acquire(
    host: &str,
    port: u16,
    index: usize,
    opts: &ListenOptions,
) -> Result<std::net::TcpListener, String> {
    let key = key(host, port, index);
    let mut g = LISTENERS.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    if let Some(l) = map.get(&key) {
        return l
            .try_clone()
            .map_err(|e| format!("cannot share the listener on port {port}: {e}"));
    }
    let l = bind(host, port, opts)?;
    let clone = l
        .try_clone()
        .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    map.insert(key, l);
    Ok(clone)
}

/// Closes the registry's copies of listeners not in `keep` (`host|port` keys).
pub fn retain(keep: &HashSet<String>) {
    let mut g = LISTENERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(map) = g.as_mut() {
        map.retain(|k, _| keep.contains(k));
    }
}

/// The registry key of worker `index`'s listener on an address.
pub fn key(host: &str, port: u16, index: usize) -> String {
    format!("{host}|{port}|{index}")
}
