//! `depositMessage`: spools the part of each message body past a threshold to a file.
//!
//! The first `threshold` bytes of a body pass at once; the rest is written to the file and
//! only output, read back from the file, when the message ends, followed by the end. So a
//! large body waits on disk rather than in memory. As in Pipy, the file holds the whole body
//! (the bytes passed at once too); it is removed afterwards unless `keep` is set.

use std::io::{Read, Seek, Write};
use std::rc::Rc;

use bytes::Bytes;

use super::callback::fail;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::Event;
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// `depositMessage`.
pub static DEPOSIT_MESSAGE: FilterDescriptor = FilterDescriptor {
    name: "depositMessage",
    kind: FilterKind::Plain,
    signature: "(filename[, {threshold, keep}])",
    help: "Spools message bodies past a size threshold to a file and outputs them from it at the message end",
    params: &[
        (
            "filename",
            "the spool file: a string, or a function() returning one (asked per spooled message)",
        ),
        (
            "options",
            "{threshold, keep}: body bytes passed on at once before spooling (a number or a size like '1m', default 0); true keeps the file after use",
        ),
    ],
    build,
};

/// Bytes read from the spool file per Data event.
const CHUNK: usize = 64 * 1024;

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let filename = match b.arg(0) {
        Some(v) if v.is_string() || v.is_function() => JsValue::save(b.ctx, v),
        _ => return Err("expects a file name (a string or a function returning one)".into()),
    };
    b.options_arg(1, "expects an options object like {threshold: '1m'}")?;
    let threshold = match b.option(1, "threshold") {
        None => 0,
        Some(v) if v.is_number() => v.as_number().unwrap_or(0.0).max(0.0) as usize,
        Some(v) if v.is_string() => {
            let s = v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_default();
            crate::units::parse_size(&s).map_err(|e| format!("option threshold: {e}"))? as usize
        }
        Some(_) => return Err("option threshold must be a number or a size like '1m'".into()),
    };
    let keep = match b.option(1, "keep") {
        None => false,
        Some(v) => v.as_bool().ok_or("option keep must be a boolean")?,
    };
    b.prototype(move |init| {
        Box::new(Deposit {
            filename: filename.clone(),
            threshold,
            keep,
            context: init.context,
            output: init.output,
            open: false,
            passed: Vec::new(),
            spool: None,
            ended: false,
        })
    })
}

/// A body being spooled.
struct Spool {
    path: String,
    file: std::io::BufWriter<std::fs::File>,
}

struct Deposit {
    filename: JsValue,
    threshold: usize,
    keep: bool,
    context: Rc<Context>,
    output: Output,
    /// Inside a message.
    open: bool,
    /// Body chunks of this message passed on at once (they start the spool file).
    passed: Vec<Bytes>,
    spool: Option<Spool>,
    ended: bool,
}

fn io_error(what: &str, path: &str, e: std::io::Error) -> ScriptError {
    ScriptError::plain(format!("cannot {what} spool file {path}: {e}"))
}

impl Deposit {
    fn open_spool(&mut self) -> Result<(), ScriptError> {
        let path = script::call_in(&self.context, |ctx| {
            let v = self.filename.get(ctx);
            let v = match v.as_function() {
                Some(f) => f.call::<_, rquickjs::Value>(())?,
                None => v,
            };
            match v.as_string() {
                Some(s) => s.to_string(),
                None => Err(rquickjs::Exception::throw_type(
                    ctx,
                    "the file name is not a string",
                )),
            }
        })?;
        let file = std::fs::File::create(&path).map_err(|e| io_error("create", &path, e))?;
        tracing::debug!("depositMessage(): spooling a body to {path}");
        let mut file = std::io::BufWriter::new(file);
        for b in &self.passed {
            file.write_all(b).map_err(|e| io_error("write", &path, e))?;
        }
        self.spool = Some(Spool { path, file });
        Ok(())
    }

    fn data(&mut self, b: &Bytes) -> Result<(), ScriptError> {
        let passed: usize = self.passed.iter().map(|b| b.len()).sum();
        if self.spool.is_none() && passed < self.threshold {
            self.passed.push(b.clone());
            self.output.emit(Event::Data(b.clone()));
            return Ok(());
        }
        if self.spool.is_none() {
            self.open_spool()?;
        }
        if let Some(s) = &mut self.spool {
            s.file
                .write_all(b)
                .map_err(|e| io_error("write", &s.path, e))?;
        }
        Ok(())
    }

    /// Outputs the spooled part of the body, then removes the file unless asked to keep it.
    fn unspool(&mut self) -> Result<(), ScriptError> {
        let Some(s) = self.spool.take() else {
            return Ok(());
        };
        let path = s.path.clone();
        s.file
            .into_inner()
            .map_err(|e| io_error("write", &path, e.into_error()))?;
        let mut f = std::fs::File::open(&path).map_err(|e| io_error("read", &path, e))?;
        let skip: usize = std::mem::take(&mut self.passed)
            .iter()
            .map(|b| b.len())
            .sum();
        f.seek(std::io::SeekFrom::Start(skip as u64))
            .map_err(|e| io_error("read", &path, e))?;
        loop {
            let mut buf = vec![0u8; CHUNK];
            let n = f.read(&mut buf).map_err(|e| io_error("read", &path, e))?;
            if n == 0 {
                break;
            }
            buf.truncate(n);
            self.output.emit(Event::data(buf));
        }
        if !self.keep {
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!("depositMessage(): cannot remove {path}: {e}");
            }
        }
        Ok(())
    }

    fn step(&mut self, evt: Event) -> Result<(), ScriptError> {
        match &evt {
            Event::MessageStart(_) => {
                self.open = true;
                self.passed.clear();
                self.output.emit(evt);
            }
            Event::Data(b) if self.open && !b.is_empty() => self.data(b)?,
            Event::Data(_) if self.open => {}
            Event::MessageEnd(_) | Event::StreamEnd(_) if self.open => {
                self.open = false;
                self.unspool()?;
                self.output.emit(evt);
            }
            _ => self.output.emit(evt),
        }
        Ok(())
    }
}

impl Filter for Deposit {
    fn process(&mut self, evt: Event) {
        if self.ended {
            return;
        }
        if evt.is_stream_end() {
            self.ended = true;
        }
        if let Err(e) = self.step(evt) {
            self.ended = true;
            if let Some(s) = self.spool.take() {
                let _ = std::fs::remove_file(&s.path);
            }
            fail(&self.output, "depositMessage", &e);
        }
    }
}
