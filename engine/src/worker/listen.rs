//! The program's listeners on a worker: TCP and UDP ports bound (or shared with a reloading
//! program), with the options of each `listen()`.

use std::collections::HashSet;
use std::rc::Rc;

use super::{current, RunOptions};
use crate::loader::Program;
use crate::net::{self, ListenOptions, Tracker};
use crate::pipeline::{LayoutKind, PipelineLayout};
use crate::script;

/// A bound socket of one `listen()`, before the runtime takes it over.
enum Socket {
    Tcp(std::net::TcpListener),
    Udp(std::net::UdpSocket),
}

pub(super) fn start_listeners(
    program: &Program,
    opts: &RunOptions,
    tracker: &Rc<Tracker>,
    keys: &mut HashSet<String>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let mut bound = Vec::new();
    for layout in program.listens() {
        let LayoutKind::Listen { host, port } = &layout.kind else {
            continue;
        };
        let mut lo = listen_options(layout, opts)?;
        let (index, count) = current();
        if count > 1 {
            lo.reuse_port = true;
        }
        if lo.udp {
            // Every worker (and a reloading program) shares the port: the kernel spreads
            // peers over the sockets.
            keys.insert(net::registry::claim_udp(&opts.program, host, *port)?);
            let socket = net::bind_udp(host, *port, true)?;
            bound.push((layout.clone(), Socket::Udp(socket), lo, host.clone(), *port));
            continue;
        }
        let listener = net::registry::acquire(&opts.program, host, *port, index, &lo)?;
        keys.insert(net::registry::key(host, *port, index));
        bound.push((
            layout.clone(),
            Socket::Tcp(listener),
            lo,
            host.clone(),
            *port,
        ));
    }
    let mut jobs = Vec::new();
    for (layout, socket, lo, host, port) in bound {
        let tracker = tracker.clone();
        jobs.push(match socket {
            Socket::Udp(socket) => {
                let socket = tokio::net::UdpSocket::from_std(socket)
                    .map_err(|e| format!("cannot listen on UDP port {port} at {host}: {e}"))?;
                announce("UDP", &host, port);
                tokio::task::spawn_local(net::serve_udp(socket, layout, lo, tracker))
            }
            Socket::Tcp(listener) => {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
                announce("TCP", &host, port);
                tokio::task::spawn_local(net::serve_listener(listener, layout, lo, tracker))
            }
        });
    }
    Ok(jobs)
}

fn listen_options(layout: &PipelineLayout, opts: &RunOptions) -> Result<ListenOptions, String> {
    let mut lo = ListenOptions {
        reuse_port: opts.reuse_port,
        ..Default::default()
    };
    if let Some(o) = &layout.options {
        script::js(|ctx| -> Result<(), String> {
            let v = o.get(ctx);
            let Some(obj) = v.as_object() else {
                return Ok(());
            };
            let get = |k: &str| {
                obj.get::<_, rquickjs::Value>(k)
                    .ok()
                    .filter(|v| !v.is_undefined() && !v.is_null())
            };
            if let Some(v) = get("protocol") {
                let p = v
                    .get::<rquickjs::Coerced<String>>()
                    .map(|s| s.0)
                    .unwrap_or_default();
                lo.udp = match p.to_ascii_lowercase().as_str() {
                    "udp" => true,
                    "tcp" | "" => false,
                    other => {
                        return Err(format!(
                            "listen(): unknown protocol {other} (use tcp or udp)"
                        ))
                    }
                };
            }
            if let Some(v) = get("maxConnections") {
                let n = v
                    .as_number()
                    .ok_or("listen(): maxConnections must be a number")?;
                if n >= 0.0 {
                    lo.max_connections = Some(n as usize);
                }
            }
            if let Some(v) = get("idleTimeout") {
                lo.idle_timeout = crate::filters::builder::duration_of(&v)
                    .map_err(|e| format!("listen(): idleTimeout: {e}"))?;
            }
            if let Some(v) = get("writeTimeout") {
                lo.write_timeout = Some(
                    crate::filters::builder::duration_of(&v)
                        .map_err(|e| format!("listen(): writeTimeout: {e}"))?,
                );
            }
            if let Some(v) = get("readTimeout") {
                lo.read_timeout = Some(
                    crate::filters::builder::duration_of(&v)
                        .map_err(|e| format!("listen(): readTimeout: {e}"))?,
                );
            }
            Ok(())
        })?;
    }
    Ok(lo)
}

/// Says once (on the first worker) that a port is open.
fn announce(protocol: &str, host: &str, port: u16) {
    if current().0 == 0 {
        tracing::info!(target: "listener", "Listening on {protocol} port {port} at {host}");
    }
}
