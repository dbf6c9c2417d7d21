//! `connect`: a TCP client (or UDP, or a Linux netlink socket). Input Data is written to the
//! peer, what the peer sends is the output, and the stream ends with an error code
//! (`ConnectionRefused`, `ReadTimeout`, ...) when something fails.

use std::rc::Rc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::builder::duration_of;
use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::net::netlink::{NetlinkAddr, NetlinkLink};
use crate::net::{dial, pump_reader, upstream_warnings, DialOptions, SocketWriter, Tap, UdpLink};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, FilterType, Output, Relay};
use crate::script::{self, JsValue, ScriptError};

/// `connect`.
pub static CONNECT: FilterDescriptor = FilterDescriptor {
    name: "connect",
    kind: FilterKind::Plain,
    signature: "(target[, options])",
    help: "Sends Data to a TCP (or UDP) peer and outputs what it sends back",
    params: &[
        ("target", "'host:port' ('[::1]:80' for IPv6), or a function() returning it"),
        (
            "options",
            "{protocol: 'tcp', 'udp' or 'netlink', connectTimeout, readTimeout, idleTimeout (default 60s; none for netlink), retryCount, retryDelay, netlinkFamily, bind ('pid=N;groups=M' for netlink)}; durations in seconds or like '5s'; with udp and netlink each Data is one datagram",
        ),
    ],
    build,
};

#[derive(Clone)]
struct Options {
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    idle_timeout: Duration,
    retry_count: i64,
    retry_delay: Duration,
    udp: bool,
    /// With protocol 'netlink': the family and the address to bind.
    netlink: Option<(i32, NetlinkAddr)>,
    /// `idleTimeout` as given (netlink sockets have none by default).
    idle_given: Option<Duration>,
}

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let target = b.saved(0).ok_or("expects a target like 'host:port'")?;
    if let Some(v) = b.arg(1) {
        if !v.is_object() || v.is_function() {
            return Err("options must be an object".into());
        }
    }
    let retry = b.number_option(1, "retryCount")?.unwrap_or(0.0) as i64;
    let retry_delay = match b.option(1, "retryDelay") {
        Some(v) => duration_of(&v).map_err(|e| format!("option retryDelay: {e}"))?,
        None => Duration::from_secs(1),
    };
    let protocol = match b.option(1, "protocol") {
        None => "tcp".to_string(),
        Some(v) => v
            .get::<rquickjs::Coerced<String>>()
            .map(|s| s.0.to_ascii_lowercase())
            .unwrap_or_default(),
    };
    let (udp, netlink) = match protocol.as_str() {
        "udp" => (true, None),
        "tcp" => (false, None),
        "netlink" => {
            let family = b.number_option(1, "netlinkFamily")?.unwrap_or(0.0) as i32;
            let bind = match b.option(1, "bind") {
                Some(v) if !v.is_undefined() && !v.is_null() => {
                    let s = v
                        .get::<rquickjs::Coerced<String>>()
                        .map(|s| s.0)
                        .unwrap_or_default();
                    NetlinkAddr::parse(&s).map_err(|e| format!("option bind: {e}"))?
                }
                _ => NetlinkAddr::default(),
            };
            (false, Some((family, bind)))
        }
        other => {
            return Err(format!(
                "unknown protocol {other} (use tcp, udp or netlink)"
            ))
        }
    };
    let idle_given = b
        .duration_option(1, "idleTimeout")?
        .filter(|d| !d.is_zero());
    let opts = Options {
        udp,
        netlink,
        idle_given,
        connect_timeout: b
            .duration_option(1, "connectTimeout")?
            .filter(|d| !d.is_zero()),
        read_timeout: b
            .duration_option(1, "readTimeout")?
            .filter(|d| !d.is_zero()),
        idle_timeout: b
            .duration_option(1, "idleTimeout")?
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(60)),
        retry_count: retry,
        retry_delay,
    };
    let fixed = b
        .arg(0)
        .filter(|v| v.is_string())
        .and_then(|v| v.as_string()?.to_string().ok());
    Ok(Box::new(ConnectProto {
        target,
        fixed,
        opts,
    }))
}

impl Options {
    fn dial(&self) -> DialOptions {
        DialOptions {
            connect_timeout: self.connect_timeout,
            retry_count: self.retry_count,
            retry_delay: self.retry_delay,
        }
    }

    /// The longest wait for bytes from the peer, and what ends the stream then.
    fn read_limit(&self) -> (Duration, ErrorCode) {
        match self.read_timeout {
            Some(r) if r < self.idle_timeout => (r, ErrorCode::ReadTimeout),
            _ => (self.idle_timeout, ErrorCode::IdleTimeout),
        }
    }
}

struct ConnectProto {
    target: JsValue,
    /// The target when it is a fixed string (not a function).
    fixed: Option<String>,
    opts: Options,
}

impl FilterProto for ConnectProto {
    fn descriptor(&self) -> &'static dyn FilterType {
        &CONNECT
    }
    fn relay(&self) -> Option<Relay> {
        if self.opts.udp || self.opts.netlink.is_some() {
            return None;
        }
        let dial = self.opts.dial();
        Some(Relay {
            target: self.fixed.clone()?,
            connect_timeout: dial.connect_timeout,
            retry_count: dial.retry_count,
            retry_delay: dial.retry_delay,
            read_timeout: self.opts.read_limit().0,
            idle_timeout: self.opts.idle_timeout,
        })
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Connect {
            target: self.target.clone(),
            opts: self.opts.clone(),
            context: init.context,
            output: init.output,
            writer: None,
            udp: None,
            netlink: None,
            task: None,
            ended: false,
        })
    }
}

struct Connect {
    target: JsValue,
    opts: Options,
    context: Rc<Context>,
    output: Output,
    writer: Option<Rc<SocketWriter>>,
    udp: Option<Rc<UdpLink>>,
    netlink: Option<Rc<NetlinkLink>>,
    task: Option<JoinHandle<()>>,
    ended: bool,
}

impl Connect {
    fn resolve_target(&self) -> Result<String, ScriptError> {
        script::call_in(&self.context, |ctx| {
            let v = self.target.get(ctx);
            let v = match v.as_function() {
                Some(f) => f.call::<_, rquickjs::Value>(())?,
                None => v,
            };
            Ok(v.get::<rquickjs::Coerced<String>>()?.0)
        })
    }

    fn open(&mut self) {
        let target = match self.resolve_target() {
            Ok(t) => t,
            Err(e) => {
                self.ended = true;
                return fail(&self.output, "connect", &e);
            }
        };
        if let Some((family, bind)) = self.opts.netlink {
            if let Err(e) = NetlinkAddr::parse(&target) {
                self.ended = true;
                let e = ScriptError::plain(format!("connect(): {e}"));
                return fail(&self.output, "connect", &e);
            }
            let link = NetlinkLink::new();
            self.netlink = Some(link.clone());
            self.context.set_upstream(format!("netlink:{target}"));
            self.task = Some(tokio::task::spawn_local(link.run(
                family,
                bind,
                self.opts.idle_given,
                self.output.clone(),
            )));
            return;
        }
        if self.opts.udp {
            let link = UdpLink::new();
            self.udp = Some(link.clone());
            self.context.set_upstream(target.as_str());
            let idle = self.opts.idle_timeout;
            self.task = Some(tokio::task::spawn_local(link.run(
                target,
                idle,
                self.output.clone(),
            )));
            return;
        }
        let writer = SocketWriter::new();
        self.writer = Some(writer.clone());
        let output = self.output.clone();
        let context = self.context.clone();
        let opts = self.opts.clone();
        self.task = Some(tokio::task::spawn_local(async move {
            context.set_upstream(target.as_str());
            let started = std::time::Instant::now();
            let stream = match dial(&target, &opts.dial()).await {
                Ok(s) => {
                    crate::metrics::connect_timer(&target).observe(started.elapsed().as_secs_f64());
                    s
                }
                Err(code) => {
                    crate::metrics::builtin()
                        .stream_errors
                        .with_label_values(&[code.name()])
                        .inc();
                    upstream_warnings::report(&target, code, true);
                    writer.close();
                    output.emit(StreamEnd::code(code));
                    return;
                }
            };
            tracing::debug!(target: "outbound", "connected to {target}");
            // Listed in pipy.outbound while this task pumps the connection.
            let _outbound = match (stream.peer_addr(), stream.local_addr()) {
                (Ok(r), Ok(l)) => Some(crate::net::outbound::Outbound::open(&target, r, l)),
                _ => None,
            };
            let (rd, wr) = stream.into_split();
            writer.attach(wr);
            let timeout = opts.read_limit();
            let out = output.clone();
            let out = move |e: Event| {
                if let Event::StreamEnd(se) = &e {
                    if let Some(code) = se.error_code() {
                        if upstream_warnings::is_failure(code) {
                            crate::metrics::builtin()
                                .stream_errors
                                .with_label_values(&[code.name()])
                                .inc();
                        }
                        upstream_warnings::report(&target, code, false);
                    }
                }
                out.emit(e)
            };
            pump_reader(rd, Tap::new(), Some(timeout), out, |_| {
                std::task::Poll::Pending
            })
            .await;
        }));
    }
}

impl Filter for Connect {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        if self.writer.is_none() && self.udp.is_none() && self.netlink.is_none() {
            if evt.is_stream_end() {
                self.ended = true;
                return self.output.emit(evt);
            }
            self.open();
        }
        if let Some(link) = &self.netlink {
            // Replies and multicast events keep coming after the input ends.
            if let Event::Data(b) = evt {
                link.send(b);
            }
            return;
        }
        if let Some(link) = &self.udp {
            match evt {
                Event::Data(b) => link.send(b),
                // The peer may still answer: the link ends on its idle timeout.
                Event::StreamEnd(_) => {}
                _ => {}
            }
            return;
        }
        let Some(w) = &self.writer else { return };
        match evt {
            Event::Data(b) => w.write(b),
            Event::StreamEnd(_) => w.close(),
            _ => {}
        }
    }
}

impl Drop for Connect {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        if let Some(w) = self.writer.take() {
            w.close();
        }
    }
}
