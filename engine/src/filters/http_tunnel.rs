//! `acceptHTTPTunnel` and `connectHTTPTunnel` (docs/reference/filters.md): the two ends of an HTTP
//! CONNECT (or upgrade) tunnel, inside pipelines that already speak HTTP messages (`demuxHTTP`'s
//! request pipelines, `muxHTTP`'s sessions).

use std::rc::Rc;

use rquickjs::Value;

use super::callback::{call_replacer, fail, MessageReader};
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, MessageTail, StreamEnd};
use crate::pipeline::{Context, Filter, FilterProto, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue};

static ACCEPT: FilterDescriptor = FilterDescriptor {
    name: "acceptHTTPTunnel",
    kind: FilterKind::Joint,
    signature: "(target, handler)",
    help: "Answers a CONNECT or upgrade request; if it accepts, the sub-pipeline carries the tunnel",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) for the tunnel's bytes"),
        (
            "handler",
            "function(request Message) returning the response Message (nothing = 200 OK); 2xx to CONNECT or 101 to an upgrade opens the tunnel",
        ),
    ],
    build: build_accept,
};

static CONNECT: FilterDescriptor = FilterDescriptor {
    name: "connectHTTPTunnel",
    kind: FilterKind::Joint,
    signature: "(target, handshake)",
    help: "Opens a tunnel with a CONNECT request through the sub-pipeline (usually muxHTTP), then sends the stream through it",
    params: &[
        ("target", "sub-pipeline name (or use .to(...)) that carries HTTP requests"),
        ("handshake", "the request Message, e.g. new Message({method: 'CONNECT', path: 'host:443'}), or a function returning it"),
    ],
    build: build_connect,
};

/// `acceptHTTPTunnel` and `connectHTTPTunnel`.
pub static FILTERS: &[&FilterDescriptor] = &[&ACCEPT, &CONNECT];

fn build_accept(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let layout = b.required_layout()?;
    tunnel_proto(b, layout, b.saved(0))
}

fn build_connect(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let arg = b.saved(0).ok_or("expects the handshake request")?;
    let layout = b.required_layout()?;
    tunnel_proto(b, layout, Some(arg))
}

/// The prototype of the filter `b` builds (`acceptHTTPTunnel` or `connectHTTPTunnel`) joining
/// `layout`, with the filter's argument.
fn tunnel_proto(
    b: &Builder<'_, '_>,
    layout: Rc<PipelineLayout>,
    arg: Option<JsValue>,
) -> Result<Box<dyn FilterProto>, String> {
    let accept = std::ptr::eq(b.descriptor, &ACCEPT);
    b.joint_prototype(layout, move |init, layout| {
        Box::new(Tunnel {
            accept,
            layout: layout.clone(),
            arg: arg.clone(),
            context: init.context,
            output: init.output,
            reader: MessageReader::new(None),
            sub: None,
            state: State::Waiting,
        })
    })
}

#[derive(PartialEq, Eq)]
enum State {
    /// Accept: reading the request. Connect: not started.
    Waiting,
    /// The tunnel carries bytes.
    Open,
    /// Refused or ended.
    Done,
}

struct Tunnel {
    accept: bool,
    layout: Rc<PipelineLayout>,
    arg: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    reader: MessageReader,
    sub: Option<Rc<Pipeline>>,
    state: State,
}

/// True when a response head opens a tunnel (2xx, or 101 for an upgrade).
fn opens(status: u16) -> bool {
    status == 101 || (200..300).contains(&status)
}

fn status_of(head: &Option<JsValue>) -> u16 {
    let Some(h) = head else { return 200 };
    script::js(|ctx| {
        let v = h.get(ctx);
        v.as_object()
            .and_then(|o| o.get::<_, Value>("status").ok())
            .and_then(|s| s.as_number().or_else(|| s.as_int().map(f64::from)))
            .map(|n| n as u16)
            .unwrap_or(200)
    })
}

impl Tunnel {
    fn accept_request(&mut self, end: MessageTail) {
        let msg = self.reader.finish(end);
        let reply = match &self.arg {
            Some(h) => call_replacer(&self.context, h, 0, |ctx| script::to_js_message(ctx, &msg))
                .and_then(|r| r.now("acceptHTTPTunnel")),
            None => Ok(None),
        };
        let events = match reply {
            Ok(Some(e)) if !e.is_empty() => e,
            Ok(_) => vec![
                Event::MessageStart(None),
                Event::MessageEnd(MessageTail::default()),
            ],
            Err(e) => {
                self.state = State::Done;
                return fail(&self.output, "acceptHTTPTunnel", &e);
            }
        };
        let status = match events.first() {
            Some(Event::MessageStart(h)) => status_of(h),
            _ => 200,
        };
        if status == 101 {
            if let Some(Event::MessageStart(Some(h))) = events.first() {
                super::websocket::complete_handshake(msg.head.as_ref(), h);
            }
        }
        self.output.emit_all(events);
        if opens(status) {
            self.state = State::Open;
            self.sub = Some(Pipeline::new(
                &self.layout,
                self.context.fork(),
                self.output.clone(),
            ));
        } else {
            self.state = State::Done;
            self.output.emit(StreamEnd::ok());
        }
    }
}

impl Filter for Tunnel {
    fn process(&mut self, evt: Event) {
        if self.state == State::Done {
            return;
        }
        if self.accept {
            if self.state == State::Open {
                if let Some(s) = self.sub.clone() {
                    s.input(evt);
                }
                return;
            }
            match evt {
                Event::MessageStart(h) => self.reader.start(h),
                Event::Data(b) => self.reader.data(&b),
                Event::MessageEnd(t) if self.reader.is_open() => self.accept_request(t),
                Event::StreamEnd(_) => {
                    self.state = State::Done;
                    self.output.emit(evt);
                }
                _ => {}
            }
            return;
        }
        // connectHTTPTunnel: send the handshake first, then the stream's bytes.
        if self.sub.is_none() {
            if evt.is_stream_end() {
                self.state = State::Done;
                return self.output.emit(evt);
            }
            let handshake = match call_replacer(
                &self.context,
                self.arg.as_ref().expect("handshake"),
                0,
                |ctx| Ok(Value::new_undefined(ctx.clone())),
            )
            .and_then(|r| r.now("connectHTTPTunnel"))
            {
                Ok(Some(e)) => e,
                Ok(None) => Vec::new(),
                Err(e) => {
                    self.state = State::Done;
                    return fail(&self.output, "connectHTTPTunnel", &e);
                }
            };
            let out = self.output.clone();
            // The sub-pipeline's answer: a response message, then the tunnel's bytes.
            let state = Rc::new(std::cell::Cell::new(0u8)); // 0 head pending, 1 open, 2 refused
            let st = state.clone();
            let reply = Output::from_fn(move |e| match (st.get(), e) {
                (0, Event::MessageStart(h)) => {
                    if opens(status_of(&h)) {
                        st.set(1);
                    } else {
                        st.set(2);
                        tracing::warn!(target: "http", "connectHTTPTunnel(): the tunnel was refused");
                        out.emit(StreamEnd::code(crate::event::ErrorCode::ConnectionRefused));
                    }
                }
                (0 | 1, Event::MessageEnd(_)) => {}
                (1, e) => out.emit(e),
                (0, Event::StreamEnd(se)) => {
                    st.set(2);
                    out.emit(Event::StreamEnd(se));
                }
                _ => {}
            });
            let sub = Pipeline::new(&self.layout, self.context.fork(), reply);
            self.sub = Some(sub.clone());
            self.state = State::Open;
            for e in handshake {
                sub.input(e);
            }
        }
        if let Some(s) = self.sub.clone() {
            s.input(evt);
        }
    }
}
