//! Debug output: `dump` logs every event, `print` writes Data bytes out.

use std::io::Write;
use std::rc::Rc;

use super::{FilterDescriptor, FilterKind};
use crate::event::{Event, StreamError};
use crate::pipeline::{Context, Filter, Output};
use crate::script::{self, JsValue};

static DUMP: FilterDescriptor = FilterDescriptor {
    name: "dump",
    kind: FilterKind::Plain,
    signature: "([tag])",
    help: "Logs every event that passes",
    params: &[(
        "tag",
        "text, or function() returning it, shown on each line",
    )],
    build: |b| {
        let tag = b.saved(0);
        b.prototype(move |init| {
            Box::new(Dump {
                tag: tag.clone(),
                context: init.context,
                output: init.output,
            })
        })
    },
};

static PRINT: FilterDescriptor = FilterDescriptor {
    name: "print",
    kind: FilterKind::Plain,
    signature: "()",
    help: "Writes the bytes of Data events to standard error as they pass",
    params: &[],
    build: |b| {
        b.prototype(|init| {
            Box::new(Print {
                output: init.output,
            })
        })
    },
};

/// `dump` and `print`.
pub static FILTERS: &[&FilterDescriptor] = &[&DUMP, &PRINT];

struct Dump {
    tag: Option<JsValue>,
    context: Rc<Context>,
    output: Output,
}

impl Filter for Dump {
    fn process(&mut self, evt: Event) {
        let described = script::call_in(&self.context, |ctx| {
            let tag = match &self.tag {
                Some(t) => {
                    let v = t.get(ctx);
                    let v = match v.as_function() {
                        Some(f) => f.call::<_, rquickjs::Value>(())?,
                        None => v,
                    };
                    format!(" [{}]", v.get::<rquickjs::Coerced<String>>()?.0)
                }
                None => String::new(),
            };
            fn dump<'js>(
                ctx: &rquickjs::Ctx<'js>,
                v: rquickjs::Value<'js>,
            ) -> rquickjs::Result<String> {
                script::call_helper(ctx, "dump", (v,))
            }
            let detail = match &evt {
                Event::Data(b) => {
                    let hex: Vec<String> = b.iter().take(16).map(|x| format!("{x:02x}")).collect();
                    let more = if b.len() > 16 { " ..." } else { "" };
                    format!(" [{}] [ {}{more} ]", b.len(), hex.join(" "))
                }
                Event::MessageStart(h) => match h {
                    Some(h) => format!(", head = {}", dump(ctx, h.get(ctx))?),
                    None => String::new(),
                },
                Event::MessageEnd(t) => {
                    let mut s = String::new();
                    if let Some(tail) = &t.tail {
                        s.push_str(&format!(", tail = {}", dump(ctx, tail.get(ctx))?));
                    }
                    if let Some(p) = &t.payload {
                        s.push_str(&format!(", payload = {}", dump(ctx, p.get(ctx))?));
                    }
                    s
                }
                Event::StreamEnd(se) => match &se.error {
                    None => String::new(),
                    Some(StreamError::Code(c)) => format!(", code = {c}"),
                    Some(StreamError::Runtime(_)) => ", code = RuntimeError".to_string(),
                },
            };
            Ok(format!(
                "[context={}]{tag} {}{detail}",
                self.context.id(),
                evt.type_name()
            ))
        });
        match described {
            Ok(line) => tracing::info!(target: "dump", "{line}"),
            Err(e) => tracing::warn!(target: "dump", "dump(): {e}"),
        }
        self.output.emit(evt);
    }
}

struct Print {
    output: Output,
}

impl Filter for Print {
    fn process(&mut self, evt: Event) {
        if let Event::Data(b) = &evt {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b);
            let _ = err.flush();
        }
        self.output.emit(evt);
    }
}
