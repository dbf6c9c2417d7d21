//! The prelude: JavaScript the engine evaluates into every worker before the user's modules.
//!
//! It is some 145 KB of source, and parsing it was most of the cost of loading a program. It is
//! compiled once per process to QuickJS bytecode, which every later load (each reload, each
//! version a repo worker takes) reads back instead of parsing the source again.

use std::sync::OnceLock;

use rquickjs::qjs;
use rquickjs::Ctx;

/// `(name, source)` of each prelude file, in order: `folder: [file, ...]` names
/// `folder/file.js`, which scripts' stack traces show as `<sluice:file>`.
macro_rules! prelude_files {
    ($($folder:literal: [$($file:ident),* $(,)?]),* $(,)?) => {
        &[$($((
            concat!("<sluice:", stringify!($file), ">"),
            include_str!(concat!($folder, "/", stringify!($file), ".js")),
        )),*),*]
    };
}

/// JavaScript sources evaluated into every worker before the user's modules.
const PRELUDE: &[(&str, &str)] = prelude_files![
    "js": [
        events, globals, os, formats, url, netaddr, http_static, cstruct, hessian, protobuf, bgp,
        dns, sqlite,
    ],
    "../algo": [resource_pool, percentile, shared_map],
    "js": [config, http_agent],
];

/// The prelude's files: (name, source).
pub(crate) fn files() -> &'static [(&'static str, &'static str)] {
    PRELUDE
}

/// The prelude as bytecode, one entry per file, once a first load has compiled it.
static BYTECODE: OnceLock<Vec<Vec<u8>>> = OnceLock::new();

/// Evaluates the prelude into `ctx` (from bytecode when a load before compiled it), then adds
/// the native members of `algo` (crate::algo) to the `algo` object the prelude made.
pub fn run(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    super::coverage::install(ctx)?;
    evaluate(ctx)?;
    crate::algo::install(ctx)
}

fn evaluate(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    if let Some(codes) = BYTECODE.get() {
        for code in codes {
            eval_bytecode(ctx, code)?;
        }
        return Ok(());
    }
    let mut codes = Vec::with_capacity(PRELUDE.len());
    let mut complete = true;
    let covered = super::coverage::covered_sources(PRELUDE);
    for (i, (name, src)) in PRELUDE.iter().enumerate() {
        let src = covered.map_or(*src, |c| c[i].as_str());
        // Each prelude file runs in its own function scope.
        let wrapped = format!("(function(){{{src}\n}})();");
        match compile(ctx, name, &wrapped) {
            Some(code) => {
                eval_bytecode(ctx, &code)?;
                codes.push(code);
            }
            None => {
                // From source, an error is reported the way every script error is.
                complete = false;
                super::eval_script(ctx, name, &wrapped)?;
            }
        }
    }
    if complete {
        let _ = BYTECODE.set(codes);
    }
    Ok(())
}

/// Compiles global code to bytecode; `None` when it does not compile.
fn compile(ctx: &Ctx<'_>, name: &str, src: &str) -> Option<Vec<u8>> {
    let raw = ctx.as_raw().as_ptr();
    let src_c = std::ffi::CString::new(src).ok()?;
    let name_c = std::ffi::CString::new(name).ok()?;
    // SAFETY: `raw` is the live context of `ctx`; the strings outlive the calls; every value
    // and buffer QuickJS hands back is freed here.
    unsafe {
        let obj = qjs::JS_Eval(
            raw,
            src_c.as_ptr(),
            src.len() as _,
            name_c.as_ptr(),
            (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32,
        );
        if qjs::JS_IsException(obj) {
            // Leave no pending exception: the source evaluation reports it.
            let e = qjs::JS_GetException(raw);
            qjs::JS_FreeValue(raw, e);
            return None;
        }
        let mut size: qjs::size_t = 0;
        let buf = qjs::JS_WriteObject(raw, &mut size, obj, qjs::JS_WRITE_OBJ_BYTECODE as i32);
        qjs::JS_FreeValue(raw, obj);
        if buf.is_null() {
            let e = qjs::JS_GetException(raw);
            qjs::JS_FreeValue(raw, e);
            return None;
        }
        let code = std::slice::from_raw_parts(buf, size as usize).to_vec();
        qjs::js_free(raw, buf as *mut _);
        Some(code)
    }
}

/// Runs compiled global code.
fn eval_bytecode(ctx: &Ctx<'_>, code: &[u8]) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: `raw` is the live context of `ctx`; `code` is bytecode this build of QuickJS
    // wrote; JS_EvalFunction takes ownership of the function object, and its result is freed.
    unsafe {
        let obj = qjs::JS_ReadObject(
            raw,
            code.as_ptr(),
            code.len() as _,
            qjs::JS_READ_OBJ_BYTECODE as i32,
        );
        if qjs::JS_IsException(obj) {
            return Err(rquickjs::Error::Exception);
        }
        let r = qjs::JS_EvalFunction(raw, obj);
        if qjs::JS_IsException(r) {
            return Err(rquickjs::Error::Exception);
        }
        qjs::JS_FreeValue(raw, r);
    }
    Ok(())
}
