//! `compress` and `decompress`: a raw Data stream through gzip, deflate (zlib) or brotli.
//!
//! The algorithm (a name, or a function returning one) is decided at the stream's first event.
//! Only Data and StreamEnd come out: message boundaries mean nothing to a byte codec and are
//! dropped, as in Pipy. StreamEnd finishes the codec, so the trailer of a compressed stream
//! goes out just before it. A corrupt compressed stream ends the stream with an error naming
//! the filter.

use std::rc::Rc;

use super::callback::fail;
use super::coder::Coder;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, StreamEnd};
use crate::pipeline::{Context, Filter, FilterProto, FnProto, Output};
use crate::script::{self, JsValue, ScriptError};

static COMPRESS: FilterDescriptor = FilterDescriptor {
    name: "compress",
    kind: FilterKind::Plain,
    signature: "(algorithm)",
    help: "Compresses the Data stream with gzip or deflate (message boundaries are dropped)",
    params: &[(
        "algorithm",
        "'gzip' or 'deflate' (zlib), or a function returning one, asked once per stream",
    )],
    build: |b| {
        codec_proto(
            b,
            &COMPRESS,
            true,
            "expects an algorithm: 'gzip' or 'deflate'",
        )
    },
};

static DECOMPRESS: FilterDescriptor = FilterDescriptor {
    name: "decompress",
    kind: FilterKind::Plain,
    signature: "(algorithm)",
    help: "Decompresses a gzip, deflate (zlib) or brotli Data stream (message boundaries are dropped)",
    params: &[(
        "algorithm",
        "'gzip', 'inflate' (or 'deflate') or 'brotli', or a function returning one, asked once per stream",
    )],
    build: |b| {
        codec_proto(
            b,
            &DECOMPRESS,
            false,
            "expects an algorithm: 'gzip', 'inflate' or 'brotli'",
        )
    },
};

/// `compress` and `decompress`.
pub static FILTERS: &[&FilterDescriptor] = &[&COMPRESS, &DECOMPRESS];

/// The prototype of `desc`: `compress` (`true`) or `decompress` with the algorithm of
/// argument 0; `missing` is the error when there is none.
fn codec_proto(
    b: &Builder<'_, '_>,
    desc: &'static FilterDescriptor,
    compress: bool,
    missing: &str,
) -> Result<Box<dyn FilterProto>, String> {
    let algorithm = b.saved(0).ok_or(missing)?;
    Ok(Box::new(FnProto::new(desc, move |init| {
        Box::new(StreamCodec {
            compress,
            algorithm: algorithm.clone(),
            context: init.context,
            output: init.output,
            coder: None,
            state: State::Fresh,
        })
    })))
}

#[derive(PartialEq, Eq)]
enum State {
    /// Nothing seen yet: the algorithm is not chosen.
    Fresh,
    /// Coding.
    Running,
    /// Failed: the stream was ended; later events are ignored.
    Failed,
}

struct StreamCodec {
    compress: bool,
    algorithm: JsValue,
    context: Rc<Context>,
    output: Output,
    coder: Option<Coder>,
    state: State,
}

impl StreamCodec {
    fn name(&self) -> &'static str {
        if self.compress {
            "compress"
        } else {
            "decompress"
        }
    }

    /// Evaluates the algorithm argument and makes the coder.
    fn start(&mut self) -> Result<Coder, ScriptError> {
        let compress = self.compress;
        let name = self.name();
        let algorithm = self.algorithm.clone();
        script::call_in(&self.context, |ctx| {
            let v = algorithm.get(ctx);
            let v = match v.as_function() {
                Some(f) => f.call::<_, rquickjs::Value>(())?,
                None => v,
            };
            let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) else {
                return Err(rquickjs::Exception::throw_type(
                    ctx,
                    "the algorithm is not, or did not return, a string",
                ));
            };
            Coder::of(compress, &s).ok_or_else(|| {
                rquickjs::Exception::throw_type(
                    ctx,
                    &format!("{name}(): unknown compression algorithm: {s}"),
                )
            })
        })
    }

    fn broken(&mut self, e: std::io::Error) {
        self.state = State::Failed;
        self.coder = None;
        let msg = format!("{}(): corrupt or truncated stream: {e}", self.name());
        tracing::warn!(target: "script", "{msg}");
        self.output.emit(StreamEnd::runtime(msg));
    }
}

impl Filter for StreamCodec {
    fn process(&mut self, evt: Event) {
        if self.state == State::Failed {
            return;
        }
        if self.state == State::Fresh {
            match self.start() {
                Ok(c) => {
                    self.coder = Some(c);
                    self.state = State::Running;
                }
                Err(e) => {
                    self.state = State::Failed;
                    return fail(&self.output, self.name(), &e);
                }
            }
        }
        match evt {
            Event::Data(b) if !b.is_empty() => {
                if let Some(c) = self.coder.as_mut() {
                    match c.write(&b) {
                        Ok(out) if !out.is_empty() => self.output.emit(Event::Data(out)),
                        Ok(_) => {}
                        Err(e) => self.broken(e),
                    }
                }
            }
            Event::StreamEnd(_) => {
                if let Some(c) = self.coder.take() {
                    match c.finish() {
                        Ok(out) if !out.is_empty() => self.output.emit(Event::Data(out)),
                        Ok(_) => {}
                        Err(e) => return self.broken(e),
                    }
                }
                self.output.emit(evt);
            }
            _ => {}
        }
    }
}
