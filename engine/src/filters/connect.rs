//! `connect`: a TCP client. Input Data is written to the peer, what the peer sends is the
//! output, and the stream ends with the error code of spec §1.2 when something fails.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::builder::duration_of;
use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::net::{pump_reader, upstream_warnings, SocketWriter, Tap, UdpLink};
use crate::pipeline::{Context, Filter, FilterInit, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

static CONNECT: FilterDescriptor = FilterDescriptor {
    name: "connect",
    kind: FilterKind::Plain,
    signature: "(target[, options])",
    help: "Sends Data to a TCP (or UDP) peer and outputs what it sends back",
    params: &[
        ("target", "'host:port' ('[::1]:80' for IPv6), or a function() returning it"),
        (
            "options",
            "{protocol: 'tcp' or 'udp', connectTimeout, readTimeout, idleTimeout (default 60s), retryCount, retryDelay}; durations in seconds or like '5s'; with udp each Data is one datagram",
        ),
    ],
    build,
};

/// `connect`.
pub static FILTERS: &[&FilterDescriptor] = &[&CONNECT];

#[derive(Clone)]
struct Options {
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    idle_timeout: Duration,
    retry_count: i64,
    retry_delay: Duration,
    udp: bool,
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
    let udp = match b.option(1, "protocol") {
        None => false,
        Some(v) => match v
            .get::<rquickjs::Coerced<String>>()
            .map(|s| s.0.to_ascii_lowercase())
            .unwrap_or_default()
            .as_str()
        {
            "udp" => true,
            "tcp" => false,
            other => return Err(format!("unknown protocol {other} (use tcp or udp)")),
        },
    };
    let opts = Options {
        udp,
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
    Ok(Box::new(ConnectProto { target, opts }))
}

struct ConnectProto {
    target: JsValue,
    opts: Options,
}

impl FilterProto for ConnectProto {
    fn descriptor(&self) -> &'static FilterDescriptor {
        &CONNECT
    }
    fn instantiate(&self, init: FilterInit) -> Box<dyn Filter> {
        Box::new(Connect {
            target: self.target.clone(),
            opts: self.opts.clone(),
            context: init.context,
            output: init.output,
            writer: None,
            udp: None,
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
            let stream = match dial(&target, &opts).await {
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
            let timeout = match opts.read_timeout {
                Some(r) if r < opts.idle_timeout => (r, ErrorCode::ReadTimeout),
                _ => (opts.idle_timeout, ErrorCode::IdleTimeout),
            };
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
            pump_reader(rd, Tap::new(), Some(timeout), out, std::future::pending()).await;
        }));
    }
}

/// Connects with retries and a timeout per attempt.
async fn dial(target: &str, opts: &Options) -> Result<TcpStream, ErrorCode> {
    let mut attempt = 0i64;
    loop {
        let r = async {
            let addrs: Vec<SocketAddr> = match tokio::net::lookup_host(target).await {
                Ok(a) => a.collect(),
                Err(_) => return Err(ErrorCode::CannotResolve),
            };
            let addr = *addrs.first().ok_or(ErrorCode::CannotResolve)?;
            let connect = TcpStream::connect(addr);
            let s = match opts.connect_timeout {
                Some(t) => tokio::time::timeout(t, connect)
                    .await
                    .map_err(|_| ErrorCode::ConnectionTimeout)?,
                None => connect.await,
            };
            s.map_err(|e| ErrorCode::from_io(&e, false))
        }
        .await;
        match r {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(code) => {
                if opts.retry_count >= 0 && attempt >= opts.retry_count {
                    return Err(code);
                }
                attempt += 1;
                tokio::time::sleep(opts.retry_delay).await;
            }
        }
    }
}

impl Filter for Connect {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        if self.writer.is_none() && self.udp.is_none() {
            if evt.is_stream_end() {
                self.ended = true;
                return self.output.emit(evt);
            }
            self.open();
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
