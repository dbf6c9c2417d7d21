//! `acceptGRPCWeb`: serves gRPC-Web (what browsers can send) as gRPC. A request with
//! `content-type: application/grpc-web[+proto]` (binary) or `application/grpc-web-text`
//! (base64) enters the sub-pipeline as a gRPC request (`application/grpc`, `te: trailers`,
//! text decoded), and its response comes back as gRPC-Web: the content type turned back, the
//! trailers appended to the body as a last length-prefixed frame with flag 0x80, and the whole
//! body base64-encoded for the text form. Other requests pass both ways untouched. Bodies
//! stream through; nothing is held but a few bytes of base64.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};

use super::{FilterDescriptor, FilterKind};
use crate::event::{Event, MessageTail};
use crate::http::tail::trailers_of;
use crate::pipeline::{Context, Filter, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue};

/// `acceptGRPCWeb`.
pub static ACCEPT_GRPC_WEB: FilterDescriptor = FilterDescriptor {
    name: "acceptGRPCWeb",
    kind: FilterKind::Joint,
    signature: "(target)",
    help: "Turns gRPC-Web requests (binary or text) into gRPC for the sub-pipeline, and its gRPC responses back into gRPC-Web",
    params: &[(
        "target",
        "sub-pipeline name (or use .to(...)) that handles the gRPC call, usually muxHTTP({version: 2})",
    )],
    build: |b| {
        let layout = b.required_layout()?;
        b.joint_prototype(layout, move |init, layout| {
            Box::new(GrpcWeb {
                layout: layout.clone(),
                context: init.context,
                reply: Rc::new(Reply {
                    output: init.output,
                    form: Cell::new(Form::Plain),
                    suffix: RefCell::new(String::new()),
                    carry: RefCell::new(Vec::new()),
                }),
                sub: None,
                carry: Vec::new(),
            })
        })
    },
};

/// Which form of gRPC-Web the call came in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Not gRPC-Web: passed through.
    Plain,
    /// `application/grpc-web`: the gRPC framing as it is.
    Binary,
    /// `application/grpc-web-text`: the same, base64-encoded.
    Text,
}

struct GrpcWeb {
    layout: Rc<PipelineLayout>,
    context: Rc<Context>,
    reply: Rc<Reply>,
    sub: Option<Rc<Pipeline>>,
    /// Base64 characters of the request not decoded yet (less than a group of four).
    carry: Vec<u8>,
}

impl Filter for GrpcWeb {
    fn process(&mut self, evt: Event) {
        let evt = match evt {
            Event::MessageStart(head) => Event::MessageStart(self.request_head(head)),
            Event::Data(b) if self.reply.form.get() == Form::Text => {
                Event::Data(decode_text(&mut self.carry, &b))
            }
            e => e,
        };
        let sub = self.sub.get_or_insert_with(|| {
            let reply = self.reply.clone();
            let out = Output::from_fn(move |e| reply.on_event(e));
            Pipeline::new(&self.layout, self.context.clone(), out)
        });
        sub.input(evt);
    }
}

impl GrpcWeb {
    /// Reads the request's form, and makes a gRPC-Web head a gRPC one.
    fn request_head(&mut self, head: Option<JsValue>) -> Option<JsValue> {
        let h = head.as_ref()?;
        script::js(|ctx| {
            let v = h.get(ctx);
            let ct = crate::http::grpc::content_type(&v)
                .map(|s| s.trim().to_ascii_lowercase())
                .unwrap_or_default();
            let Some(rest) = ct.strip_prefix("application/grpc-web") else {
                return head.clone();
            };
            let (form, suffix) = match rest.strip_prefix("-text") {
                Some(s) => (Form::Text, s.to_string()),
                None => (Form::Binary, rest.to_string()),
            };
            self.reply.form.set(form);
            *self.reply.suffix.borrow_mut() = suffix.clone();
            let grpc = format!("application/grpc{suffix}");
            let drop = vec!["content-length".to_string(), "x-grpc-web".to_string()];
            let nh: rquickjs::Value =
                script::call_helper(ctx, "headWith", (v, "content-type", grpc, drop)).ok()?;
            let nh: rquickjs::Value = script::call_helper(
                ctx,
                "headWith",
                (nh, "te", "trailers", Vec::<String>::new()),
            )
            .ok()?;
            Some(JsValue::save(ctx, nh))
        })
    }
}

/// The response side: gRPC back into the form the request came in.
struct Reply {
    output: Output,
    form: Cell<Form>,
    /// What followed `application/grpc-web` (or `-text`) in the request's type: `+proto`, say.
    suffix: RefCell<String>,
    /// Response bytes not base64-encoded yet (less than a group of three).
    carry: RefCell<Vec<u8>>,
}

impl Reply {
    fn on_event(&self, evt: Event) {
        let form = self.form.get();
        if form == Form::Plain {
            return self.output.emit(evt);
        }
        match evt {
            Event::MessageStart(head) => {
                let head = self.response_head(head);
                self.output.emit(Event::MessageStart(head));
            }
            Event::Data(b) => {
                let b = match form {
                    Form::Text => encode_text(&mut self.carry.borrow_mut(), &b, false),
                    _ => b,
                };
                if !b.is_empty() {
                    self.output.emit(Event::Data(b));
                }
            }
            Event::MessageEnd(end) => {
                let trailers = trailers_of(&end);
                let mut last = BytesMut::new();
                if form == Form::Text {
                    last.put(encode_text(&mut self.carry.borrow_mut(), &[], true));
                }
                if !trailers.is_empty() {
                    let frame = trailer_frame(&trailers);
                    match form {
                        Form::Text => last.put(encode_text(&mut Vec::new(), &frame, true)),
                        _ => last.put(frame),
                    }
                }
                if !last.is_empty() {
                    self.output.emit(Event::Data(last.freeze()));
                }
                self.output.emit(Event::MessageEnd(MessageTail {
                    tail: None,
                    payload: end.payload,
                }));
            }
            e => self.output.emit(e),
        }
    }

    /// A gRPC response head made gRPC-Web.
    fn response_head(&self, head: Option<JsValue>) -> Option<JsValue> {
        let h = head.as_ref()?;
        let form = match self.form.get() {
            Form::Text => "-text",
            _ => "",
        };
        let ct = format!("application/grpc-web{form}{}", self.suffix.borrow());
        script::js(|ctx| {
            let drop = vec!["content-length".to_string()];
            let nh: rquickjs::Value =
                script::call_helper(ctx, "headWith", (h.get(ctx), "content-type", ct, drop))
                    .ok()?;
            Some(JsValue::save(ctx, nh))
        })
    }
}

/// The frame gRPC-Web ends a response body with: flag 0x80, the length, then the trailers as
/// HTTP/1 header lines with lower-case names.
fn trailer_frame(trailers: &[(String, String)]) -> Bytes {
    let mut text = String::new();
    for (k, v) in trailers {
        text.push_str(&k.to_ascii_lowercase());
        text.push(':');
        text.push_str(v);
        text.push_str("\r\n");
    }
    let mut b = BytesMut::with_capacity(5 + text.len());
    b.put_u8(0x80);
    b.put_u32(text.len() as u32);
    b.put_slice(text.as_bytes());
    b.freeze()
}

/// Decodes the base64 that has come so far, group of four by group of four; a group that
/// ends in padding ends a run (text bodies may be encoded frame by frame, padding and all).
fn decode_text(carry: &mut Vec<u8>, input: &[u8]) -> Bytes {
    carry.extend(input.iter().filter(|c| !c.is_ascii_whitespace()));
    let whole = carry.len() / 4 * 4;
    let mut out = Vec::with_capacity(whole / 4 * 3);
    let mut start = 0;
    for group in (0..whole).step_by(4) {
        if carry[group + 3] == b'=' || group + 4 == whole {
            let run = &carry[start..group + 4];
            match base64::engine::general_purpose::STANDARD.decode(run) {
                Ok(d) => out.extend_from_slice(&d),
                Err(e) => tracing::debug!(target: "http", "acceptGRPCWeb(): bad base64: {e}"),
            }
            start = group + 4;
        }
    }
    carry.drain(..whole);
    out.into()
}

/// Encodes bytes as base64, keeping back the last one or two for the next call, unless `end`.
fn encode_text(carry: &mut Vec<u8>, input: &[u8], end: bool) -> Bytes {
    carry.extend_from_slice(input);
    let n = if end {
        carry.len()
    } else {
        carry.len() / 3 * 3
    };
    if n == 0 {
        return Bytes::new();
    }
    let text = base64::engine::general_purpose::STANDARD.encode(&carry[..n]);
    carry.drain(..n);
    text.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_streams_in_any_split_and_frames_padded_alone() {
        let frames = [
            base64::engine::general_purpose::STANDARD.encode(b"\0\0\0\0\x01a"),
            base64::engine::general_purpose::STANDARD.encode(b"\0\0\0\0\x02bc"),
        ]
        .concat();
        for split in 0..frames.len() {
            let mut carry = Vec::new();
            let mut out = decode_text(&mut carry, &frames.as_bytes()[..split]).to_vec();
            out.extend_from_slice(&decode_text(&mut carry, &frames.as_bytes()[split..]));
            assert_eq!(out, b"\0\0\0\0\x01a\0\0\0\0\x02bc", "split at {split}");
        }
        let mut carry = Vec::new();
        let mut text = encode_text(&mut carry, b"hello", false).to_vec();
        text.extend_from_slice(&encode_text(&mut carry, b" world", true));
        assert_eq!(
            text,
            base64::engine::general_purpose::STANDARD
                .encode(b"hello world")
                .as_bytes()
        );
        assert_eq!(
            &trailer_frame(&[("Grpc-Status".into(), "0".into())])[..],
            b"\x80\0\0\0\x0fgrpc-status:0\r\n"
        );
    }
}
