//! `__native`: the few functions the JS prelude needs from Rust.

use base64::Engine as _;
use rquickjs::function::{Func, Opt};
use rquickjs::{Ctx, Exception, Object, TypedArray, Value};

use crate::codebase::Codebase;

/// The text put before a module's first line (see `eval_module`): its scope, and for a
/// module that uses module syntax, the function it runs in. The id is zero-padded and the
/// script form padded with spaces, so the prefix always has the same length.
fn module_prefix(id: u32, module: bool) -> String {
    if module {
        format!("with(__sluice.scopeOf('{id:06}')){{(function(){{")
    } else {
        format!("with(__sluice.scopeOf('{id:06}')){{            ")
    }
}

/// What closes [`module_prefix`]'s text after the module's last line.
fn module_suffix(module: bool) -> &'static str {
    if module {
        "\n}).call(undefined)}"
    } else {
        "\n}"
    }
}

/// Builds `__native`: the leaf natives of this layer, then the engine's (`natives`, from the
/// layer that runs scripts: the worker's pipelines, arguments, filter kinds ...).
pub(super) fn install(
    ctx: &Ctx<'_>,
    _codebase: &std::rc::Rc<Codebase>,
    natives: super::EngineNatives,
) -> rquickjs::Result<()> {
    let n = Object::new(ctx.clone())?;

    n.set("utf8Encode", Func::from(utf8_encode))?;
    n.set(
        "utf8Decode",
        Func::from(|a: TypedArray<'_, u8>| {
            String::from_utf8_lossy(super::convert::typed_bytes(&a)).into_owned()
        }),
    )?;
    n.set(
        "base64Encode",
        Func::from(|a: TypedArray<'_, u8>, url: Opt<bool>| {
            let bytes = super::convert::typed_bytes(&a);
            if url.0.unwrap_or(false) {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            } else {
                base64::engine::general_purpose::STANDARD.encode(bytes)
            }
        }),
    )?;
    n.set("base64Decode", Func::from(base64_decode))?;
    n.set("resolvePath", Func::from(resolve_path))?;
    n.set("loadFile", Func::from(load_file))?;
    n.set("readFile", Func::from(read_file))?;
    n.set("evalModule", Func::from(eval_module))?;
    n.set("setTimer", Func::from(super::timer::set_timer))?;
    n.set("certInfo", Func::from(cert_info))?;
    n.set("seconds", Func::from(seconds))?;
    n.set("logWrite", Func::from(log_write))?;
    super::stats::install(&n)?;
    super::formats::install(&n)?;
    super::files::install(&n)?;
    super::os::install(&n)?;
    super::process::install(&n)?;
    super::shared::install(&n)?;
    super::sqlite::install(&n)?;
    n.set(
        "checkKey",
        Func::from(|ctx: Ctx<'_>, pem: String| -> rquickjs::Result<()> {
            crate::tls::key_from_pem(&pem)
                .map(|_| ())
                .map_err(|e| Exception::throw_type(&ctx, &e))
        }),
    )?;
    n.set(
        "log",
        Func::from(|level: i32, msg: String| match level {
            0 => tracing::debug!(target: "user", "{msg}"),
            1 => tracing::info!(target: "user", "{msg}"),
            2 => tracing::warn!(target: "user", "{msg}"),
            _ => tracing::error!(target: "user", "{msg}"),
        }),
    )?;

    let env = Object::new(ctx.clone())?;
    for (k, v) in std::env::vars() {
        env.set(k, v)?;
    }
    n.set("env", env)?;
    n.set("platform", std::env::consts::OS)?;
    n.set("pid", std::process::id())?;
    n.set(
        "since",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0),
    )?;
    let version = Object::new(ctx.clone())?;
    version.set("tag", env!("CARGO_PKG_VERSION"))?;
    version.set("commit", "")?;
    version.set("date", "")?;
    n.set("version", version)?;

    natives(&n)?;
    ctx.globals().set("__native", n)?;
    Ok(())
}

/// The number of characters the module wrapper puts before line 1 of every module.
pub(crate) fn module_prefix_len() -> usize {
    module_prefix(0, false).len()
}

/// A duration as scripts write it (`'5s'`, `'100ms'`; `crate::units::parse_duration`), in
/// seconds.
fn seconds(ctx: Ctx<'_>, s: String) -> rquickjs::Result<f64> {
    crate::units::parse_duration(&s)
        .map(|d| d.as_secs_f64())
        .map_err(|e| Exception::throw_type(&ctx, &e))
}

fn utf8_encode<'js>(ctx: Ctx<'js>, s: String) -> rquickjs::Result<TypedArray<'js, u8>> {
    TypedArray::new(ctx, s.into_bytes())
}

fn base64_decode<'js>(ctx: Ctx<'js>, s: String) -> rquickjs::Result<TypedArray<'js, u8>> {
    let t = s.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(t)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
        .map_err(|_| Exception::throw_type(&ctx, "Data: bad base64"))?;
    TypedArray::new(ctx, bytes)
}

fn resolve_path(ctx: Ctx<'_>, p: String) -> rquickjs::Result<String> {
    super::script()
        .codebase()
        .normalize(&p)
        .map_err(|e| Exception::throw_message(&ctx, &e))
}

fn load_file<'js>(ctx: Ctx<'js>, p: String) -> rquickjs::Result<Value<'js>> {
    match super::script().codebase().read(&p) {
        Ok(Some(bytes)) => Ok(TypedArray::<u8>::new(ctx, bytes)?.into_value()),
        Ok(None) => Ok(Value::new_null(ctx)),
        Err(e) => Err(Exception::throw_message(&ctx, &e)),
    }
}

fn read_file<'js>(ctx: Ctx<'js>, p: String) -> rquickjs::Result<Value<'js>> {
    match std::fs::read(&p) {
        Ok(bytes) => Ok(TypedArray::<u8>::new(ctx, bytes)?.into_value()),
        Err(_) => Ok(Value::new_null(ctx)),
    }
}

fn eval_module<'js>(ctx: Ctx<'js>, path: String, id: u32) -> rquickjs::Result<Value<'js>> {
    let src = match super::script().codebase().read(&path) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return Err(Exception::throw_message(
                &ctx,
                &format!("Cannot open script at {path}"),
            ))
        }
        Err(e) => return Err(Exception::throw_message(&ctx, &e)),
    };
    let src = String::from_utf8_lossy(&src);
    let rewritten = super::esm::rewrite(&src, id);
    let eval = |module: bool| {
        let text = format!(
            "{}{}{}",
            module_prefix(id, module),
            rewritten.text,
            module_suffix(module)
        );
        super::eval_script(&ctx, &path, &text)
    };
    let mut result = eval(rewritten.module);
    if !rewritten.module && matches!(result, Err(rquickjs::Error::Exception)) {
        // A `return` inside a top-level block: run the script as a module after all.
        let e = ctx.catch();
        let message: String = e
            .as_object()
            .and_then(|o| o.get("message").ok())
            .unwrap_or_default();
        result = if message.contains("return not in a function") {
            eval(true)
        } else {
            Err(ctx.throw(e))
        };
    }
    match result {
        Err(rquickjs::Error::Exception) => Err(past_the_end(&ctx, &path, &src)),
        other => other,
    }
}

/// A syntax error the parser found in the module wrapper's closing line really means the
/// script ended too early: report it at the script's last line.
fn past_the_end(ctx: &Ctx<'_>, path: &str, src: &str) -> rquickjs::Error {
    let e = ctx.catch();
    let lines = src.lines().count().max(1);
    let stack: String = e
        .as_object()
        .and_then(|o| o.get("stack").ok())
        .unwrap_or_default();
    let name: String = e
        .as_object()
        .and_then(|o| o.get("name").ok())
        .unwrap_or_default();
    let err_line = stack
        .split(&format!("{path}:"))
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    if name == "SyntaxError" && err_line > lines {
        let last = src.lines().last().unwrap_or("");
        let mut col = last.chars().count() + 1;
        if lines == 1 {
            // The loader takes the wrapper's prefix off line 1 columns.
            col += module_prefix_len();
        }

        if let Ok(err) = Exception::from_message(
            ctx.clone(),
            "unexpected end of the script: something is not closed",
        ) {
            let _ = err.as_object().set("name", "SyntaxError");
            let _ = err
                .as_object()
                .set("stack", format!("    at {path}:{lines}:{col}\n"));
            return ctx.throw(err.into_value());
        }
    }
    ctx.throw(e)
}

fn cert_info<'js>(ctx: Ctx<'js>, pem: String) -> rquickjs::Result<Object<'js>> {
    let certs = crate::tls::certs_from_pem(&pem).map_err(|e| Exception::throw_type(&ctx, &e))?;
    let info = crate::tls::cert_info(&certs[0]).map_err(|e| Exception::throw_type(&ctx, &e))?;
    let o = Object::new(ctx.clone())?;
    o.set("subject", info.subject)?;
    o.set("issuer", info.issuer)?;
    o.set("subjectAltNames", info.subject_alt_names)?;
    Ok(o)
}

thread_local! {
    static LOG_FILES: std::cell::RefCell<std::collections::HashMap<String, std::fs::File>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Writes one logger line to stdout, stderr or a file (opened once per worker, appended).
fn log_write(ctx: Ctx<'_>, dest: String, path: String, line: String) -> rquickjs::Result<()> {
    use std::io::Write;
    let r = match dest.as_str() {
        "stdout" => writeln!(std::io::stdout().lock(), "{line}"),
        "stderr" => writeln!(std::io::stderr().lock(), "{line}"),
        "http" => super::http_log::write(&path, line).map_err(std::io::Error::other),
        _ => LOG_FILES.with(|files| {
            let mut files = files.borrow_mut();
            if !files.contains_key(&path) {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                files.insert(path.clone(), f);
            }
            let f = files.get_mut(&path).expect("opened");
            writeln!(f, "{line}")
        }),
    };
    r.map_err(|e| {
        Exception::throw_message(
            &ctx,
            &format!("cannot write the log line to {dest} {path}: {e}"),
        )
    })
}
