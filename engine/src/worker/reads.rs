//! `pipy.read(file, $=>$...)`: streams a file (or standard input, `'-'`) through a pipeline
//! as Data then StreamEnd, and settles the script's Promise when the pipeline ends.
//!
//! Reads asked for while the program loads wait until its layouts are built; the worker
//! starts them with [`start_program`]. Each running read holds a unit of live work.

use std::cell::RefCell;
use std::rc::Rc;

use crate::event::{Event, StreamEnd};
use crate::liveness;
use crate::pipeline::{Context, Output, Pipeline, PipelineLayout};
use crate::script::{self, JsValue};

/// One `pipy.read()` call: the file, the layout id, and the Promise's settling functions.
struct Request {
    file: String,
    layout: usize,
    resolve: JsValue,
    reject: JsValue,
    /// What `onStart` is called with.
    arg: JsValue,
}

thread_local! {
    static LAYOUTS: RefCell<Option<Vec<Rc<PipelineLayout>>>> = const { RefCell::new(None) };
    static PENDING: RefCell<Vec<Request>> = const { RefCell::new(Vec::new()) };
}

/// `__native.startRead(file, layoutId, resolve, reject, arg)`: starts a read now if the
/// program is running, or once it has started; the layout's `onStart` gets `arg`.
pub fn request<'js>(
    ctx: rquickjs::Ctx<'js>,
    file: String,
    layout: usize,
    resolve: rquickjs::Function<'js>,
    reject: rquickjs::Function<'js>,
    arg: rquickjs::function::Opt<rquickjs::Value<'js>>,
) {
    let arg = arg
        .0
        .unwrap_or_else(|| rquickjs::Value::new_undefined(ctx.clone()));
    let r = Request {
        file,
        layout,
        resolve: JsValue::save(&ctx, resolve.into_value()),
        reject: JsValue::save(&ctx, reject.into_value()),
        arg: JsValue::save(&ctx, arg),
    };
    let running = LAYOUTS.with(|l| l.borrow().is_some());
    if running {
        start(r);
    } else {
        PENDING.with(|p| p.borrow_mut().push(r));
    }
}

/// Called by the worker once the program runs: starts the reads asked for while loading.
pub(super) fn start_program(layouts: &[Rc<PipelineLayout>]) {
    LAYOUTS.with(|l| *l.borrow_mut() = Some(layouts.to_vec()));
    script::js(|ctx| {
        let helpers = script::helpers(ctx);
        if let Err(e) = helpers.set("running", true) {
            tracing::error!(target: "script", "cannot mark the program running: {e}");
        }
        // Pipelines a module spawned while loading start now.
        let started = helpers
            .get::<_, rquickjs::Function>("programStarted")
            .and_then(|f| f.call::<_, ()>(()));
        if let Err(e) = started {
            let e = script::ScriptError::from_js(ctx, e);
            tracing::error!(target: "script", "starting the pipelines spawned while loading: {e}");
        }
    });
    for r in PENDING.with(|p| std::mem::take(&mut *p.borrow_mut())) {
        start(r);
    }
}

/// The layout with id `id`, once the program runs.
/// A layout a script made after start-up (`pipeline($=>$...)` or an `http.Agent` made in a
/// callback) is built the first time it is asked for. `Err` when the program has not
/// started, or the new layout cannot be built.
pub(super) fn layout(ctx: &rquickjs::Ctx<'_>, id: usize) -> Result<Rc<PipelineLayout>, String> {
    let known = LAYOUTS.with(|l| l.borrow().as_ref().map(|v| v.get(id).cloned()));
    match known {
        None => Err("a pipeline can be run only once the program has started".into()),
        Some(Some(l)) => Ok(l),
        Some(None) => {
            let built = crate::loader::build_runtime_layouts(ctx)?;
            LAYOUTS.with(|l| {
                let mut l = l.borrow_mut();
                let all = l.as_mut().expect("the program runs");
                all.extend(built);
                all.get(id)
                    .cloned()
                    .ok_or_else(|| format!("no pipeline layout {id}"))
            })
        }
    }
}

fn settle(f: &JsValue, arg: Option<String>) {
    script::js(|ctx| {
        script::forget_current_context();
        let Some(f) = f.get(ctx).as_function().cloned() else {
            return;
        };
        let r = match arg {
            None => f.call::<_, rquickjs::Value>(()),
            Some(msg) => match rquickjs::Exception::from_message(ctx.clone(), &msg) {
                Ok(e) => f.call::<_, rquickjs::Value>((e,)),
                Err(e) => Err(e),
            },
        };
        if let Err(e) = r {
            let e = script::ScriptError::from_js(ctx, e);
            tracing::error!(target: "script", "pipy.read(): {e}");
        }
    });
}

fn start(r: Request) {
    let work = liveness::hold();
    let layout = LAYOUTS.with(|l| l.borrow().as_ref().and_then(|v| v.get(r.layout).cloned()));
    let Some(layout) = layout else {
        settle(&r.reject, Some("pipy.read(): unknown pipeline".into()));
        return;
    };
    let mut chunks = match open_input(&r.file) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(target: "script", "pipy.read(): cannot open file {}: {e}", r.file);
            settle(&r.reject, Some(format!("cannot open file: {}", r.file)));
            return;
        }
    };
    tokio::task::spawn_local(async move {
        let _work = work;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let tx = RefCell::new(Some(tx));
        let output = Output::from_fn(move |evt| {
            if evt.is_stream_end() {
                if let Some(t) = tx.borrow_mut().take() {
                    let _ = t.send(());
                }
            }
        });
        let pipeline = Pipeline::new(&layout, Context::root(None), output);
        let arg = r.arg.clone();
        pipeline.start(move |ctx| vec![arg.get(ctx)]);
        loop {
            match chunks.recv().await {
                None | Some(Ok(None)) => {
                    pipeline.input(StreamEnd::ok());
                    break;
                }
                Some(Ok(Some(bytes))) => pipeline.input(Event::data(bytes)),
                Some(Err(e)) => {
                    tracing::error!(target: "script", "pipy.read(): cannot read {}: {e}", r.file);
                    pipeline.input(StreamEnd::code(crate::event::ErrorCode::from_io(&e, true)));
                    break;
                }
            }
        }
        let _ = rx.await;
        settle(&r.resolve, None);
        drop(pipeline);
    });
}

/// Chunks of a file as they are read (`None` at its end), from a thread of their own so a
/// slow standard input never blocks the worker.
type Chunks = tokio::sync::mpsc::Receiver<std::io::Result<Option<Vec<u8>>>>;

fn open_input(file: &str) -> std::io::Result<Chunks> {
    let mut input: Box<dyn std::io::Read + Send> = if file == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(file)?)
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    std::thread::Builder::new()
        .name("sluice-read".into())
        .spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let r = match input.read(&mut buf) {
                    Ok(0) => Ok(None),
                    Ok(n) => Ok(Some(buf[..n].to_vec())),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let last = !matches!(r, Ok(Some(_)));
                if tx.blocking_send(r).is_err() || last {
                    break;
                }
            }
        })?;
    Ok(rx)
}
