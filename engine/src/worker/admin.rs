//! Pipy's `admin('/admin/...')` layouts: the admin port hands a request under `/admin/` to
//! every worker, and a worker whose program declares a layout for a prefix of its path runs
//! that layout once with the request as a Message; the body of the first Message the pipeline
//! outputs is the worker's answer. The admin service joins the answers of all workers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::{mpsc, oneshot};

use crate::event::{Event, MessageTail};
use crate::pipeline::{Context, LayoutKind, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue};

/// How long an admin pipeline may take to answer.
const ANSWER_TIME: Duration = Duration::from_secs(30);

/// One admin request as a worker sees it.
#[derive(Debug)]
pub struct AdminCall {
    /// Request method.
    pub method: String,
    /// Request path, starting with `/admin/`.
    pub path: String,
    /// Request body.
    pub body: Bytes,
    /// Where the worker's answer goes.
    pub reply: oneshot::Sender<AdminAnswer>,
}

/// What one worker answers.
#[derive(Debug)]
pub enum AdminAnswer {
    /// No `admin()` layout of this worker's program takes the path.
    NoRoute,
    /// The body of the Message the layout output.
    Body(Bytes),
    /// The layout ended, or took too long, without outputting a Message.
    Failed(String),
}

/// Answers admin calls with the program's `admin()` layouts until the sender goes away.
pub(super) async fn serve(
    layouts: Vec<Rc<PipelineLayout>>,
    mut calls: mpsc::UnboundedReceiver<AdminCall>,
) {
    while let Some(call) = calls.recv().await {
        let layout = layouts.iter().find(
            |l| matches!(&l.kind, LayoutKind::Admin { path } if call.path.starts_with(path.as_str())),
        );
        match layout {
            Some(l) => run(l, call),
            None => {
                let _ = call.reply.send(AdminAnswer::NoRoute);
            }
        }
    }
}

/// Runs `layout` once with the call's request.
fn run(layout: &Rc<PipelineLayout>, call: AdminCall) {
    let reply = Rc::new(RefCell::new(Some(call.reply)));
    let answer = {
        let reply = reply.clone();
        move |a: AdminAnswer| {
            if let Some(r) = reply.borrow_mut().take() {
                let _ = r.send(a);
            }
        }
    };
    let holder: Rc<RefCell<Option<Rc<Pipeline>>>> = Rc::default();
    let body = RefCell::new(BytesMut::new());
    let open = Cell::new(false);
    let keep = holder.clone();
    let done = answer.clone();
    let output = Output::from_fn(move |evt| {
        match &evt {
            Event::MessageStart(_) => {
                open.set(true);
                body.borrow_mut().clear();
            }
            Event::Data(b) if open.get() => body.borrow_mut().extend_from_slice(b),
            Event::MessageEnd(_) if open.get() => {
                open.set(false);
                done(AdminAnswer::Body(body.borrow_mut().split().freeze()));
            }
            Event::StreamEnd(se) => done(AdminAnswer::Failed(match se.error_code() {
                Some(code) => format!("the admin pipeline ended with {}", code.name()),
                None => "the admin pipeline ended without an answer".into(),
            })),
            _ => {}
        }
        // Answered or ended: let the pipeline go outside its own delivery.
        if reply.borrow().is_none() {
            if let Some(p) = keep.borrow_mut().take() {
                tokio::task::spawn_local(async move { drop(p) });
            }
        }
    });
    let head = script::js(|ctx| -> rquickjs::Result<JsValue> {
        let o = rquickjs::Object::new(ctx.clone())?;
        o.set("method", call.method.as_str())?;
        o.set("path", call.path.as_str())?;
        o.set("headers", rquickjs::Object::new(ctx.clone())?)?;
        Ok(JsValue::save(ctx, o.into_value()))
    });
    let head = match head {
        Ok(h) => h,
        Err(e) => {
            answer(AdminAnswer::Failed(format!(
                "cannot make the request head: {e}"
            )));
            return;
        }
    };
    let pipeline = Pipeline::new(layout, Context::root(None), output);
    *holder.borrow_mut() = Some(pipeline.clone());
    pipeline.start(|_| Vec::new());
    pipeline.input(Event::MessageStart(Some(head)));
    if !call.body.is_empty() {
        pipeline.input(Event::Data(call.body));
    }
    pipeline.input(Event::MessageEnd(MessageTail::default()));
    // A pipeline that never answers is ended after a while.
    tokio::task::spawn_local(async move {
        tokio::time::sleep(ANSWER_TIME).await;
        if holder.borrow_mut().take().is_some() {
            answer(AdminAnswer::Failed(
                "the admin pipeline did not answer in time".into(),
            ));
        }
    });
}
