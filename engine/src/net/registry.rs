//! Listening sockets shared across program versions, and owned by one program each.
//!
//! When a program is reloaded, the new version takes over the very same listening sockets
//! (duplicated file descriptors) before the old one stops accepting, so no connection waiting
//! in a backlog is lost and the port is never closed in between.
//!
//! Several programs may run side by side in one engine (the admin console runs one per
//! codebase). Each listener belongs to the program that opened it: another program asking for
//! the same port is refused with words naming the owner, instead of quietly sharing it.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::listener::{bind, ListenOptions};

struct Held {
    owner: String,
    listener: std::net::TcpListener,
}

static LISTENERS: Mutex<Option<HashMap<String, Held>>> = Mutex::new(None);

/// UDP ports by the program that listens on them (each worker binds its own socket).
static UDP: Mutex<Option<HashMap<u16, String>>> = Mutex::new(None);

/// Words of the error a port held by another program of this engine gives; see
/// [`is_port_conflict`].
const HELD_BY: &str = "is already in use by the program";

/// Worker `index`'s listener for `host:port`, for the program `owner`: the one it already has
/// open in this process, or a new one. Several workers each get their own socket (bound with
/// SO_REUSEPORT, so the kernel spreads connections over them). A port another program of this
/// engine listens on (on any address) is refused, naming that program.
pub fn acquire(
    owner: &str,
    host: &str,
    port: u16,
    index: usize,
    opts: &ListenOptions,
) -> Result<std::net::TcpListener, String> {
    let key = key(host, port, index);
    let mut g = LISTENERS.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    if let Some(other) = map
        .iter()
        .find(|(k, h)| h.owner != owner && port_of(k) == Some(port))
        .map(|(_, h)| h.owner.clone())
    {
        return Err(format!(
            "cannot listen on {host}:{port}: port {port} {HELD_BY} '{other}' (stop it first, or choose another port)"
        ));
    }
    if let Some(h) = map.get(&key) {
        return h
            .listener
            .try_clone()
            .map_err(|e| format!("cannot share the listener on port {port}: {e}"));
    }
    let l = bind(host, port, opts)?;
    let clone = l
        .try_clone()
        .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    map.insert(
        key,
        Held {
            owner: owner.to_string(),
            listener: l,
        },
    );
    Ok(clone)
}

/// Claims the UDP `port` for the program `owner`, refusing it (naming the owner) when another
/// program of this engine listens on it. Returns the key to keep it by (see [`retain`]).
pub fn claim_udp(owner: &str, host: &str, port: u16) -> Result<String, String> {
    let mut g = UDP.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    match map.get(&port) {
        Some(other) if other != owner => Err(format!(
            "cannot listen on UDP {host}:{port}: port {port} {HELD_BY} '{other}' (stop it first, or choose another port)"
        )),
        _ => {
            map.insert(port, owner.to_string());
            Ok(udp_key(port))
        }
    }
}

fn udp_key(port: u16) -> String {
    format!("udp|{port}")
}

/// True for the key of a UDP claim.
pub fn is_udp(key: &str) -> bool {
    key.starts_with("udp|")
}

/// Closes the registry's copies of `owner`'s listeners not in `keep` (see [`key`]), and gives
/// up its UDP claims not in `keep`.
pub fn retain(owner: &str, keep: &HashSet<String>) {
    let mut g = LISTENERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(map) = g.as_mut() {
        map.retain(|k, h| h.owner != owner || keep.contains(k));
    }
    let mut u = UDP.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(map) = u.as_mut() {
        map.retain(|port, o| o != owner || keep.contains(&udp_key(*port)));
    }
}

/// Closes the registry's copies of every program's listeners and gives up every UDP claim.
pub fn clear() {
    *LISTENERS.lock().unwrap_or_else(|e| e.into_inner()) = None;
    *UDP.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// The registry key of worker `index`'s listener on an address.
pub fn key(host: &str, port: u16, index: usize) -> String {
    format!("{host}|{port}|{index}")
}

/// The port of a registry key.
pub fn port_of(key: &str) -> Option<u16> {
    key.split('|').nth(1)?.parse().ok()
}

/// True when a start-up error says a port is held by another program or process, so the
/// admin API can answer 409 Conflict.
pub fn is_port_conflict(message: &str) -> bool {
    message.contains(HELD_BY) || message.contains("is already in use")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_udp_port_belongs_to_one_program() {
        let k = claim_udp("udp-alpha", "0.0.0.0", 1).unwrap();
        assert!(is_udp(&k));
        assert!(claim_udp("udp-alpha", "0.0.0.0", 1).is_ok());
        let e = claim_udp("udp-beta", "127.0.0.1", 1).unwrap_err();
        assert!(e.contains("'udp-alpha'") && is_port_conflict(&e), "{e}");
        retain("udp-alpha", &HashSet::new());
        assert!(claim_udp("udp-beta", "127.0.0.1", 1).is_ok());
        retain("udp-beta", &HashSet::new());
    }

    #[test]
    fn a_port_is_read_back_from_its_key() {
        assert_eq!(port_of(&key("0.0.0.0", 8080, 1)), Some(8080));
        assert_eq!(port_of("nonsense"), None);
    }

    #[test]
    fn a_port_held_by_one_program_is_refused_to_another_naming_it() {
        let opts = ListenOptions::default();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let _a = acquire("alpha-test", "127.0.0.1", port, 0, &opts).unwrap();
        let e = acquire("beta-test", "0.0.0.0", port, 0, &opts).unwrap_err();
        assert!(e.contains("'alpha-test'") && is_port_conflict(&e), "{e}");
        assert!(acquire("alpha-test", "127.0.0.1", port, 0, &opts).is_ok());
        retain("alpha-test", &HashSet::new());
    }
}
