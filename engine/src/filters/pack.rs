//! `pack`: batches consecutive messages into one.
//!
//! The bodies of `batch` messages are joined into one message carrying the first one's head
//! and the last one's tail, with an optional `prefix`, `separator` between bodies and
//! `postfix`. A batch goes out early when no message has ended for `timeout` (default 5 s),
//! when a message ends `interval` (default 5 s) after the last batch went out, and at
//! StreamEnd. `vacancy` (0 to 1) is accepted for compatibility: it tunes Pipy's memory
//! packing, which has no counterpart here. Data outside messages is dropped.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::time::Instant;

use super::local_task::LocalTask;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, MessageTail};
use crate::pipeline::{Filter, FilterProto, Output};
use crate::script::JsValue;

/// `pack`.
pub static PACK: FilterDescriptor = FilterDescriptor {
    name: "pack",
    kind: FilterKind::Plain,
    signature: "([batch[, options]])",
    help: "Joins the bodies of consecutive messages into one message per batch",
    params: &[
        ("batch", "messages per batch (default 1)"),
        (
            "options",
            "{ timeout, interval, vacancy, prefix, postfix, separator }: timeout/interval in seconds or '5s' (default 5 each, 0 = off); prefix/postfix/separator strings around and between bodies",
        ),
    ],
    build,
};

/// Pipy's default for both `timeout` and `interval`.
const DEFAULT_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Options {
    batch: usize,
    timeout: Option<Duration>,
    interval: Option<Duration>,
    prefix: Option<Vec<u8>>,
    postfix: Option<Vec<u8>>,
    separator: Option<Vec<u8>>,
}

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let batch = match b.arg(0) {
        None => 1.0,
        Some(v) => v
            .as_number()
            .ok_or("the batch size must be a number of messages")?,
    };
    if !(batch >= 1.0 && batch.is_finite()) {
        return Err(format!("invalid batch size: {batch}"));
    }
    if let Some(v) = b.arg(1) {
        if !v.is_object() || v.is_function() {
            return Err("options must be an object".into());
        }
    }
    if let Some(v) = b.number_option(1, "vacancy")? {
        if !(0.0..=1.0).contains(&v) {
            return Err("option vacancy expects a number between 0 and 1".into());
        }
    }
    let wait = |key| -> Result<Option<Duration>, String> {
        Ok(match b.duration_option(1, key)? {
            None => Some(DEFAULT_WAIT),
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
        })
    };
    let text = |key: &str| -> Result<Option<Vec<u8>>, String> {
        match b.option(1, key) {
            None => Ok(None),
            Some(v) => v
                .as_string()
                .and_then(|s| s.to_string().ok())
                .map(|s| Some(s.into_bytes()))
                .ok_or_else(|| format!("option {key} must be a string")),
        }
    };
    let options = Rc::new(Options {
        batch: batch as usize,
        timeout: wait("timeout")?,
        interval: wait("interval")?,
        prefix: text("prefix")?,
        postfix: text("postfix")?,
        separator: text("separator")?,
    });
    b.prototype(move |init| {
        Box::new(Pack {
            options: options.clone(),
            input: Output::Pipeline(init.pipeline, init.index),
            output: init.output,
            head: None,
            buffer: BytesMut::new(),
            starts: 0,
            ends: 0,
            in_message: false,
            last_input: Instant::now(),
            last_flush: Instant::now(),
            timer: None,
            woken: Rc::new(Cell::new(false)),
        })
    })
}

struct Pack {
    options: Rc<Options>,
    /// This filter's own input, for the timer's wake-up call.
    input: Output,
    output: Output,
    head: Option<JsValue>,
    buffer: BytesMut,
    starts: usize,
    ends: usize,
    in_message: bool,
    last_input: Instant,
    last_flush: Instant,
    timer: Option<LocalTask>,
    /// Set by the timer just before it sends its wake-up (an empty Data).
    woken: Rc<Cell<bool>>,
}

impl Pack {
    fn flush(&mut self, tail: MessageTail) {
        if let Some(p) = &self.options.postfix {
            self.buffer.extend_from_slice(p);
        }
        self.output.emit(Event::MessageStart(self.head.take()));
        let body = self.buffer.split().freeze();
        if !body.is_empty() {
            self.output.emit(Event::Data(body));
        }
        self.output.emit(Event::MessageEnd(tail));
        self.starts = 0;
        self.ends = 0;
        self.last_flush = Instant::now();
        self.timer = None;
    }

    /// A whole number of messages is waiting.
    fn complete(&self) -> bool {
        self.ends > 0 && self.starts == self.ends
    }

    /// Sets the timer for `timeout` after the last message ended.
    fn arm(&mut self) {
        let Some(timeout) = self.options.timeout else {
            return;
        };
        self.timer = None;
        let at = self.last_input + timeout;
        let input = self.input.clone();
        let woken = self.woken.clone();
        self.timer = Some(LocalTask::spawn(async move {
            tokio::time::sleep_until(at).await;
            woken.set(true);
            input.emit(Event::Data(bytes::Bytes::new()));
        }));
    }

    fn on_timer(&mut self) {
        self.timer = None;
        let Some(timeout) = self.options.timeout else {
            return;
        };
        if self.complete() && self.last_input.elapsed() >= timeout {
            self.flush(MessageTail::default());
        } else if self.complete() {
            self.arm();
        }
    }
}

impl Filter for Pack {
    fn process(&mut self, evt: Event) {
        match evt {
            Event::Data(b) if b.is_empty() => {
                if self.woken.replace(false) {
                    self.on_timer();
                }
            }
            Event::MessageStart(head) => {
                if self.starts == 0 {
                    self.head = head;
                    self.buffer.clear();
                    if let Some(p) = &self.options.prefix {
                        self.buffer.extend_from_slice(p);
                    }
                } else if let Some(s) = &self.options.separator {
                    self.buffer.extend_from_slice(s);
                }
                self.starts += 1;
                self.in_message = true;
            }
            Event::Data(b) => {
                if self.in_message {
                    self.buffer.extend_from_slice(&b);
                }
            }
            Event::MessageEnd(tail) => {
                if !self.in_message {
                    return;
                }
                self.in_message = false;
                self.ends += 1;
                self.last_input = Instant::now();
                let due = self
                    .options
                    .interval
                    .is_some_and(|i| self.last_input.duration_since(self.last_flush) >= i);
                if self.complete() && (self.ends >= self.options.batch || due) {
                    self.flush(tail);
                } else {
                    self.arm();
                }
            }
            Event::StreamEnd(_) => {
                if self.complete() {
                    self.flush(MessageTail::default());
                }
                self.timer = None;
                self.output.emit(evt);
            }
        }
    }
}
