//! Filters that touch files: `read` (a file's content as Data) and `tee` (a copy of every
//! Data written to a file, or to standard output for `'-'`).
//!
//! Paths are the file system's, relative to the working directory, as Pipy's.

use std::io::Write;
use std::rc::Rc;

use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, StreamEnd};
use crate::pipeline::{Context, Filter, Output};
use crate::script::{self, JsValue};

static READ: FilterDescriptor = FilterDescriptor {
    name: "read",
    kind: FilterKind::Plain,
    signature: "(filename)",
    help: "Outputs the content of a file as Data, then StreamEnd, at the first input event",
    params: &[(
        "filename",
        "path of the file ('-' for standard input), or a function returning it",
    )],
    build: |b: &mut Builder<'_, '_>| {
        let filename = b.saved(0).ok_or("expects a filename")?;
        b.prototype(move |init| {
            Box::new(Read {
                filename: filename.clone(),
                context: init.context,
                output: init.output,
                started: false,
            })
        })
    },
};

static TEE: FilterDescriptor = FilterDescriptor {
    name: "tee",
    kind: FilterKind::Plain,
    signature: "(filename[, options])",
    help: "Writes every Data to a file ('-' for standard output) and passes all events through",
    params: &[
        (
            "filename",
            "path of the file, '-' for standard output, or a function returning it",
        ),
        (
            "options",
            "{ append }: add to the end of the file instead of replacing it",
        ),
    ],
    build: |b| {
        let append = b
            .option(1, "append")
            .map(|v| v.as_bool().unwrap_or(false))
            .unwrap_or(false);
        let filename = b.saved(0).ok_or("expects a filename")?;
        b.prototype(move |init| {
            Box::new(Tee {
                filename: filename.clone(),
                append,
                context: init.context,
                output: init.output,
                target: None,
            })
        })
    },
};

/// `read` and `tee`.
pub static FILTERS: &[&FilterDescriptor] = &[&READ, &TEE];

/// Evaluates a filename argument (a value, or a function returning it) in `context`.
fn filename_of(context: &Context, v: &JsValue) -> Result<String, String> {
    script::call_in(context, |ctx| {
        let v = v.get(ctx);
        let v = match v.as_function() {
            Some(f) => f.call::<_, rquickjs::Value>(())?,
            None => v,
        };
        Ok(v.get::<rquickjs::Coerced<String>>()?.0)
    })
    .map_err(|e| e.to_string())
}

struct Read {
    filename: JsValue,
    context: Rc<Context>,
    output: Output,
    started: bool,
}

impl Filter for Read {
    fn process(&mut self, _evt: Event) {
        if self.started {
            return;
        }
        self.started = true;
        let name = match filename_of(&self.context, &self.filename) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(target: "script", "read(): {e}");
                return self.output.emit(StreamEnd::runtime(e));
            }
        };
        let content = if name == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
        } else {
            std::fs::read(&name)
        };
        match content {
            Ok(bytes) => {
                if !bytes.is_empty() {
                    self.output.emit(Event::data(bytes));
                }
                self.output.emit(StreamEnd::ok());
            }
            Err(e) => {
                let msg = format!("read(): cannot read {name}: {e}");
                tracing::error!(target: "script", "{msg}");
                self.output.emit(StreamEnd::runtime(msg));
            }
        }
    }
}

/// Where `tee` writes.
enum Target {
    Stdout,
    File(std::fs::File),
    /// The file could not be opened: the error was logged once; nothing is written.
    Broken,
}

struct Tee {
    filename: JsValue,
    append: bool,
    context: Rc<Context>,
    output: Output,
    target: Option<Target>,
}

impl Tee {
    fn open(&self) -> Target {
        let name = match filename_of(&self.context, &self.filename) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(target: "script", "tee(): {e}");
                return Target::Broken;
            }
        };
        if name == "-" {
            return Target::Stdout;
        }
        let mut o = std::fs::OpenOptions::new();
        o.create(true);
        if self.append {
            o.append(true);
        } else {
            o.write(true).truncate(true);
        }
        match o.open(&name) {
            Ok(f) => Target::File(f),
            Err(e) => {
                tracing::error!(target: "script", "tee(): cannot open {name} for writing: {e}");
                Target::Broken
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        let r = match self.target.as_mut() {
            Some(Target::Stdout) => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|_| out.flush())
            }
            Some(Target::File(f)) => f.write_all(bytes),
            _ => Ok(()),
        };
        if let Err(e) = r {
            tracing::error!(target: "script", "tee(): cannot write: {e}");
            self.target = Some(Target::Broken);
        }
    }
}

impl Filter for Tee {
    fn process(&mut self, evt: Event) {
        match &evt {
            Event::Data(b) => {
                if self.target.is_none() {
                    self.target = Some(self.open());
                }
                self.write(b);
            }
            Event::StreamEnd(_) => self.target = None,
            _ => {}
        }
        self.output.emit(evt);
    }
}
