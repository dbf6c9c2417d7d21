//! `compressHTTP` and `decompressHTTP`: gzip/deflate HTTP bodies on the fly (and brotli ones
//! on decompression), fixing the `content-encoding` header; bodies stream through without
//! being held whole.

use std::rc::Rc;

use super::callback::fail;
use super::coder::Coder;
use super::{FilterDescriptor, FilterKind};
use crate::event::{ErrorCode, Event, StreamEnd};
use crate::pipeline::{Context, Filter, FilterProto, FnProto, Output};
use crate::script::{self, JsValue, ScriptError};

static COMPRESS_HTTP: FilterDescriptor = FilterDescriptor {
    name: "compressHTTP",
    kind: FilterKind::Plain,
    signature: "(algorithm)",
    help: "Compresses HTTP message bodies and sets content-encoding",
    params: &[(
        "algorithm",
        "'gzip' or 'deflate', or function(messageStart) returning one (nullish = leave the message alone)",
    )],
    build: |b| Ok(codec_proto(&COMPRESS_HTTP, true, b.saved(0))),
};

static DECOMPRESS_HTTP: FilterDescriptor = FilterDescriptor {
    name: "decompressHTTP",
    kind: FilterKind::Plain,
    signature: "([enable])",
    help: "Decompresses gzip, deflate or br HTTP message bodies and removes content-encoding",
    params: &[(
        "enable",
        "function() deciding per message whether to decompress (default: always)",
    )],
    build: |b| Ok(codec_proto(&DECOMPRESS_HTTP, false, b.function(0))),
};

/// `compressHTTP` and `decompressHTTP`.
pub static FILTERS: &[&FilterDescriptor] = &[&COMPRESS_HTTP, &DECOMPRESS_HTTP];

/// The prototype of `desc`: `compressHTTP` (`compress`) or `decompressHTTP`, with its argument.
fn codec_proto(
    desc: &'static FilterDescriptor,
    compress: bool,
    option: Option<JsValue>,
) -> Box<dyn FilterProto> {
    Box::new(FnProto::new(desc, move |init| {
        Box::new(Codec {
            compress,
            option: option.clone(),
            context: init.context,
            output: init.output,
            coder: None,
            failed: false,
        })
    }))
}

struct Codec {
    compress: bool,
    option: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
    coder: Option<Coder>,
    failed: bool,
}

impl Codec {
    /// Decides on a MessageStart; returns the head to pass on.
    fn start(&mut self, head: Option<JsValue>) -> Result<Option<JsValue>, ScriptError> {
        let compress = self.compress;
        let option = self.option.clone();
        let (coder, head) = script::call_in(&self.context, |ctx| {
            let h = head
                .as_ref()
                .map(|h| h.get(ctx))
                .unwrap_or_else(|| rquickjs::Value::new_null(ctx.clone()));
            let headers = h
                .as_object()
                .and_then(|o| o.get::<_, rquickjs::Object>("headers").ok());
            let encoding: Option<String> = headers
                .as_ref()
                .and_then(|o| {
                    o.get::<_, Option<String>>("content-encoding")
                        .ok()
                        .flatten()
                })
                .map(|s| s.trim().to_ascii_lowercase());
            let drop = vec!["content-length".to_string()];
            if compress {
                if encoding.is_some() {
                    return Ok((None, head.clone()));
                }
                let alg: Option<String> = match &option {
                    None => Some("gzip".into()),
                    Some(o) => {
                        let v = o.get(ctx);
                        let v = match v.as_function() {
                            Some(f) => f.call::<_, rquickjs::Value>((script::to_js_event(
                                ctx,
                                &Event::MessageStart(head.clone()),
                            )?,))?,
                            None => v,
                        };
                        if v.is_undefined() || v.is_null() {
                            None
                        } else {
                            Some(v.get::<rquickjs::Coerced<String>>()?.0)
                        }
                    }
                };
                let coder = match alg.as_deref() {
                    None => return Ok((None, head.clone())),
                    Some(name @ ("gzip" | "deflate")) => {
                        Coder::of(true, name).expect("gzip and deflate compress")
                    }
                    Some(other) => {
                        return Err(rquickjs::Exception::throw_type(
                            ctx,
                            &format!("unknown compression algorithm: {other}"),
                        ))
                    }
                };
                let name = alg.unwrap_or_default();
                let nh: rquickjs::Value =
                    script::call_helper(ctx, "headWith", (h, "content-encoding", name, drop))?;
                Ok((Some(coder), Some(JsValue::save(ctx, nh))))
            } else {
                let coder = match encoding.as_deref() {
                    Some("gzip" | "x-gzip") => Coder::of(false, "gzip"),
                    Some(name @ ("deflate" | "br")) => Coder::of(false, name),
                    _ => None,
                };
                let Some(coder) = coder else {
                    return Ok((None, head.clone()));
                };
                if let Some(o) = &option {
                    if let Some(f) = o.get(ctx).as_function() {
                        let on: rquickjs::Value = f.call(())?;
                        if !crate::script::truthy(&on) {
                            return Ok((None, head.clone()));
                        }
                    }
                }
                let nh: rquickjs::Value = script::call_helper(
                    ctx,
                    "headWith",
                    (h, "content-encoding", rquickjs::Undefined, drop),
                )?;
                Ok((Some(coder), Some(JsValue::save(ctx, nh))))
            }
        })?;
        self.coder = coder;
        Ok(head)
    }

    fn broken(&mut self, what: &str) {
        self.failed = true;
        self.coder = None;
        tracing::warn!(target: "http", "{}: {what}", if self.compress { "compressHTTP()" } else { "decompressHTTP()" });
        self.output.emit(StreamEnd::code(ErrorCode::ProtocolError));
    }
}

impl Filter for Codec {
    fn process(&mut self, evt: Event) {
        if self.failed {
            return;
        }
        match evt {
            Event::MessageStart(head) => match self.start(head) {
                Ok(h) => self.output.emit(Event::MessageStart(h)),
                Err(e) => {
                    self.failed = true;
                    fail(
                        &self.output,
                        if self.compress {
                            "compressHTTP"
                        } else {
                            "decompressHTTP"
                        },
                        &e,
                    )
                }
            },
            Event::Data(b) => match &mut self.coder {
                None => self.output.emit(Event::Data(b)),
                Some(c) => match c.write(&b) {
                    Ok(out) if !out.is_empty() => self.output.emit(Event::Data(out)),
                    Ok(_) => {}
                    Err(e) => self.broken(&e.to_string()),
                },
            },
            Event::MessageEnd(t) => {
                if let Some(c) = self.coder.take() {
                    match c.finish() {
                        Ok(out) => {
                            if !out.is_empty() {
                                self.output.emit(Event::Data(out));
                            }
                        }
                        Err(e) => return self.broken(&e.to_string()),
                    }
                }
                self.output.emit(Event::MessageEnd(t));
            }
            Event::StreamEnd(_) => {
                self.coder = None;
                self.output.emit(evt);
            }
        }
    }
}
