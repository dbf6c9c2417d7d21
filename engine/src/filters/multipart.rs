//! `decodeMultipart` (Pipy 1.5): a message whose `content-type` is `multipart/*` becomes one
//! message per body part; other messages pass as they are. The splitting is in
//! `crate::codec::multipart`.

use super::codec_glue::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::codec::multipart::{self, Part};
use crate::codec::{js, Value};
use crate::event::{Event, MessageTail};
use crate::pipeline::{Filter, FilterProto, Output};

/// The default limit of one part's header section.
const DEFAULT_MAX_HEADER: usize = 64 * 1024;

/// The multipart filter.
pub static DECODE: FilterDescriptor = FilterDescriptor {
    name: "decodeMultipart",
    kind: FilterKind::Plain,
    signature: "([options])",
    help: "Splits multipart messages into one message per part, with heads {headers}",
    params: &[(
        "options",
        "{maxHeaderSize (64k): a part whose header section is larger ends the stream}",
    )],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let max_header = b.size_option(0, "maxHeaderSize", DEFAULT_MAX_HEADER)?;
    b.prototype(move |init| {
        Box::new(Decode {
            max_header,
            current: None,
            output: init.output,
            ended: false,
        })
    })
}

struct Decode {
    max_header: usize,
    current: Option<multipart::Decoder>,
    output: Output,
    ended: bool,
}

impl Decode {
    fn emit(&mut self, parts: Vec<Part>, r: Result<(), crate::codec::DecodeError>) {
        for p in parts {
            self.output.emit(match p {
                Part::Start(head) => Event::MessageStart(Some(js::lazy(head))),
                Part::Data(d) => Event::Data(d),
                Part::End => Event::MessageEnd(MessageTail::default()),
            });
        }
        if let Err(e) = r {
            self.ended = true;
            self.current = None;
            fail(&self.output, "decodeMultipart", &e);
        }
    }
}

/// The boundary, when a head's `content-type` is multipart.
fn boundary(head: &Value) -> Option<String> {
    let Some(Value::Object(headers)) = head.get("headers") else {
        return None;
    };
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .and_then(|(_, v)| multipart::boundary_of(&v.to_text()))
}

impl Filter for Decode {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        match evt {
            Event::MessageStart(ref head) if self.current.is_none() => {
                let b = head.as_ref().and_then(|h| boundary(&js::value_of(h)));
                match b {
                    Some(b) => self.current = Some(multipart::Decoder::new(&b, self.max_header, 0)),
                    None => self.output.emit(evt),
                }
            }
            Event::MessageStart(_) => {}
            Event::Data(b) => match self.current.as_mut() {
                Some(d) => {
                    let mut parts = Vec::new();
                    let r = d.feed(&b, &mut parts);
                    self.emit(parts, r);
                }
                None => self.output.emit(Event::Data(b)),
            },
            Event::MessageEnd(_) | Event::StreamEnd(_) => {
                if let Some(mut d) = self.current.take() {
                    let mut parts = Vec::new();
                    let r = d.finish(&mut parts);
                    self.emit(parts, r);
                } else if !evt.is_stream_end() {
                    // Not multipart: the message passes whole (Pipy 1.5 loses its end).
                    self.output.emit(evt);
                    return;
                }
                if evt.is_stream_end() && !self.ended {
                    self.ended = true;
                    self.output.emit(evt);
                }
            }
        }
    }
}
