//! `__native.process`: what the `pipy` object needs from the process and the codebase —
//! `pipy.exec()` (run a program, collect its output), `pipy.list()` (codebase files under a
//! folder), `pipy.watch()` (wait for a codebase file to change), `pipy.inbound` and
//! `pipy.outbound` (open connections) and `pipy.performance.now()`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rquickjs::function::Func;
use rquickjs::{Array, Ctx, Exception, Function, Object, TypedArray, Value};

use super::JsValue;

pub(super) fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    let o = Object::new(n.ctx().clone())?;
    native_functions!(o, exec, list, watch, mount, unmount, patch);
    let origin = Instant::now();
    o.set(
        "now",
        Func::from(move || origin.elapsed().as_secs_f64() * 1000.0),
    )?;
    n.set("process", o)?;
    Ok(())
}

/// Runs `argv` (no shell) and waits for it: `{code, out, err}`. `env` (`K=V` strings) replaces the
/// environment when given; `stdin` is written to the program's input; with `merge` its
/// standard error goes to the same pipe as its output. A program that cannot start gives
/// code 127 and the reason in `err`.
fn exec<'js>(
    ctx: Ctx<'js>,
    argv: Vec<String>,
    env: Option<Vec<String>>,
    stdin: Option<TypedArray<'js, u8>>,
    merge: bool,
) -> rquickjs::Result<Object<'js>> {
    let Some(program) = argv.first() else {
        return Err(Exception::throw_message(&ctx, "exec() with no arguments"));
    };
    let mut cmd = Command::new(program);
    cmd.args(&argv[1..]);
    if let Some(env) = env {
        cmd.env_clear();
        cmd.envs(env.iter().filter_map(|kv| kv.split_once('=')));
    }
    let input = stdin.map(|a| super::convert::typed_bytes(&a).to_vec());
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let spawned = std::io::pipe().and_then(|(r, w)| {
        if merge {
            let w2 = w.try_clone()?;
            cmd.stdout(w2).stderr(w);
        } else {
            cmd.stdout(w).stderr(Stdio::piped());
        }
        Ok((cmd.spawn()?, r))
    });
    // The parent's copies of the pipe's writing end must close for the reader to see the end.
    drop(cmd);
    let (code, out, err) = match spawned {
        Ok((mut child, mut r)) => {
            let writer = child.stdin.take().zip(input).map(|(mut s, bytes)| {
                std::thread::spawn(move || {
                    let _ = s.write_all(&bytes);
                })
            });
            let err_reader = child.stderr.take().map(|mut e| {
                std::thread::spawn(move || {
                    let mut v = Vec::new();
                    let _ = e.read_to_end(&mut v);
                    v
                })
            });
            let mut out = Vec::new();
            let _ = r.read_to_end(&mut out);
            let status = child.wait();
            if let Some(w) = writer {
                let _ = w.join();
            }
            let err = err_reader.and_then(|t| t.join().ok()).unwrap_or_default();
            let code = match status {
                Ok(s) => s.code().unwrap_or_else(|| {
                    128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0)
                }),
                Err(_) => -1,
            };
            (code, out, err)
        }
        Err(e) => {
            tracing::error!(target: "script", "pipy.exec(): cannot run {program}: {e}");
            (
                127,
                Vec::new(),
                format!("cannot run {program}: {e}\n").into_bytes(),
            )
        }
    };
    let o = Object::new(ctx.clone())?;
    o.set("code", code)?;
    o.set("out", TypedArray::<u8>::new(ctx.clone(), out)?)?;
    o.set("err", TypedArray::<u8>::new(ctx, err)?)?;
    Ok(o)
}

/// `pipy.mount(name, dir)`: shows the folder `dir` as `/name/` in the codebase.
fn mount(ctx: Ctx<'_>, name: String, dir: String) -> rquickjs::Result<()> {
    let script = super::script();
    script
        .codebase()
        .mount(&name, std::path::Path::new(&dir))
        .map_err(|e| Exception::throw_message(&ctx, &format!("pipy.mount(): {e}")))
}

/// `pipy.unmount(name)`.
fn unmount(name: String) {
    super::script().codebase().unmount(&name);
}

/// `pipy.patch(path, bytes)`: replaces a codebase file's content in memory.
fn patch(ctx: Ctx<'_>, path: String, content: TypedArray<'_, u8>) -> rquickjs::Result<()> {
    let bytes = super::convert::typed_bytes(&content).to_vec();
    let script = super::script();
    script
        .codebase()
        .patch(&path, bytes)
        .map_err(|e| Exception::throw_message(&ctx, &format!("pipy.patch(): {e}")))
}

/// Codebase files under folder `dir`, recursively, as paths relative to it.
fn list(ctx: Ctx<'_>, dir: String) -> rquickjs::Result<Vec<String>> {
    let script = super::script();
    let cb = script.codebase();
    let (p, root) = cb
        .locate(&dir)
        .map_err(|e| Exception::throw_message(&ctx, &e))?;
    let mut out = Vec::new();
    let mut stack = vec![(root, String::new())];
    if p == "/" {
        for (name, dir) in cb.mounts() {
            stack.push((dir, format!("{name}/")));
        }
    }
    while let Some((d, base)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push((e.path(), format!("{base}{name}/")));
            } else {
                out.push(format!("{base}{name}"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `pipy.watch(path)`: calls `callback([path])` once the codebase file (or any file under
/// the folder) changes. Checked twice a second; a pending watch keeps the program running.
fn watch<'js>(ctx: Ctx<'js>, path: String, callback: Function<'js>) -> rquickjs::Result<()> {
    let (p, full) = super::script()
        .codebase()
        .locate(&path)
        .map_err(|e| Exception::throw_message(&ctx, &e))?;
    let before = crate::codebase::fingerprint(&full);
    let callback = JsValue::save(&ctx, callback.into_value());
    let work = crate::liveness::hold();
    tokio::task::spawn_local(async move {
        let _work = work;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if crate::codebase::fingerprint(&full) != before {
                break;
            }
        }
        super::js(|ctx| {
            super::forget_current_context();
            let Some(f) = callback.get(ctx).as_function().cloned() else {
                return;
            };
            let names = Array::new(ctx.clone()).and_then(|a| a.set(0, p.as_str()).map(|_| a));
            let r = names.and_then(|a| f.call::<_, Value>((a,)));
            if let Err(e) = r {
                let e = super::ScriptError::from_js(ctx, e);
                tracing::error!(target: "script", "pipy.watch(): {e}");
            }
        });
    });
    Ok(())
}
