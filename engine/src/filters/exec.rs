//! `exec`: joins the stream to a child process: input Data goes to its standard input, its
//! standard output comes out as Data.
//!
//! The command is a string (split into arguments as Pipy does: blanks separate, double quotes
//! group, a backslash escapes; never a shell), an array of arguments, or a function returning
//! either, evaluated at the stream's first event, when the child starts. A shell runs only when
//! the command names one (`['sh', '-c', '...']`).
//!
//! Options ([C]): `stderr` (true: the child's standard error is output too; otherwise it is
//! collected and given to `onExit`), `env` (an object, or a function returning one, replacing
//! the environment), `onStart(pid)`, `onExit(code, stderr)` (what it returns is output).
//!
//! Ending: when the input ends normally the child's standard input is closed and it has
//! [`GRACE`] to finish its output and exit before it gets SIGTERM; an input that ends with an
//! error terminates it at once; a pipeline that goes away kills it. Once its output is read
//! and it has exited, StreamEnd follows (after `onExit`'s events).

use std::cell::Cell;
use std::process::Stdio;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rquickjs::{Ctx, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::callback::{events_of, fail};
use super::local_task::LocalTask;
use super::{Builder, FilterDescriptor, FilterKind};
use crate::event::{Event, StreamEnd};
use crate::pipeline::{Context, Filter, FilterProto, Output};
use crate::script::{self, JsValue, ScriptError};

/// How long a child may run on after its input ended normally.
pub const GRACE: Duration = Duration::from_secs(5);

/// Most standard-error bytes kept for `onExit`.
const STDERR_LIMIT: usize = 1 << 20;

/// `exec`.
pub static EXEC: FilterDescriptor = FilterDescriptor {
    name: "exec",
    kind: FilterKind::Plain,
    signature: "(command[, options])",
    help: "Runs a child process (no shell) with the stream as its standard input and its standard output as the output",
    params: &[
        (
            "command",
            "a command line (split into arguments, no shell), an array of arguments, or a function returning one",
        ),
        (
            "options",
            "{ stderr, env, onStart, onExit }: stderr true outputs standard error too; env replaces the environment (object or function); onStart(pid); onExit(code, stderr) may return events",
        ),
    ],
    build,
};

fn build(b: &mut Builder<'_, '_>) -> Result<Box<dyn FilterProto>, String> {
    let command = b
        .saved(0)
        .ok_or("expects a command: a string, an array of arguments, or a function returning one")?;
    b.options_arg(1, "options must be an object")?;
    let flag = |key: &str| -> Result<bool, String> {
        match b.option(1, key) {
            None => Ok(false),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| format!("option {key} must be true or false")),
        }
    };
    if flag("pty")? {
        return Err("option pty is not supported".into());
    }
    let callback = |key: &str| -> Result<Option<JsValue>, String> {
        match b.option(1, key) {
            None => Ok(None),
            Some(v) if v.is_function() => Ok(Some(JsValue::save(b.ctx, v))),
            Some(_) => Err(format!("option {key} must be a function")),
        }
    };
    let env = match b.option(1, "env") {
        None => None,
        Some(v) if v.is_object() => Some(JsValue::save(b.ctx, v)),
        Some(_) => return Err("option env must be an object or a function returning one".into()),
    };
    let spec = Rc::new(Spec {
        command,
        stderr: flag("stderr")?,
        env,
        on_start: callback("onStart")?,
        on_exit: callback("onExit")?,
    });
    b.prototype(move |init| {
        Box::new(Exec {
            spec: spec.clone(),
            context: init.context,
            output: init.output,
            state: State::Idle,
        })
    })
}

struct Spec {
    command: JsValue,
    stderr: bool,
    env: Option<JsValue>,
    on_start: Option<JsValue>,
    on_exit: Option<JsValue>,
}

enum State {
    /// No child yet.
    Idle,
    /// The child runs.
    Running(Child),
    /// The input ended, or starting failed: later input is ignored. The child, if any, is
    /// kept until the filter goes (dropping it kills the child).
    Done { _child: Option<Child> },
}

/// A running child: its pid, the feed of its standard input, and its tasks.
struct Child {
    pid: u32,
    stdin: Option<mpsc::UnboundedSender<Bytes>>,
    exited: Rc<Cell<bool>>,
    /// Its input feed and its supervisor (which owns the process handle: aborting it kills
    /// the child), and the grace period after its input ended.
    tasks: Vec<LocalTask>,
}

impl Child {
    /// Sends SIGTERM, unless the child was already reaped (its pid may be someone else's).
    fn terminate(&self) {
        if !self.exited.get() {
            tracing::debug!(target: "exec", "exec(): terminating child {}", self.pid);
            // SAFETY: kill(2) with a pid this filter spawned and has not reaped.
            unsafe {
                libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
            }
        }
    }
}

struct Exec {
    spec: Rc<Spec>,
    context: Rc<Context>,
    output: Output,
    state: State,
}

/// What a script gave to start the child with.
struct Launch {
    argv: Vec<String>,
    env: Option<Vec<(String, String)>>,
}

impl Exec {
    /// Evaluates the command and the environment.
    fn launch(&self) -> Result<Launch, ScriptError> {
        let spec = self.spec.clone();
        script::call_in(&self.context, |ctx| {
            let v = spec.command.get(ctx);
            let v = match v.as_function() {
                Some(f) => f.call::<_, Value>(())?,
                None => v,
            };
            let argv: Vec<String> = if let Some(a) = v.as_array() {
                a.iter::<rquickjs::Coerced<String>>()
                    .map(|s| s.map(|s| s.0))
                    .collect::<rquickjs::Result<_>>()?
            } else {
                let line = v.get::<rquickjs::Coerced<String>>()?.0;
                script::call_helper(ctx, "splitArgv", (line,))?
            };
            let env = match &spec.env {
                None => None,
                Some(e) => env_of(ctx, e.get(ctx))?,
            };
            Ok(Launch { argv, env })
        })
    }

    fn start(&mut self) -> Result<Child, String> {
        let launch = self.launch().map_err(|e| e.to_string())?;
        let Some(program) = launch.argv.first() else {
            return Err("no command to run".into());
        };
        let mut cmd = tokio::process::Command::new(resolve(program, launch.env.as_deref()));
        cmd.args(&launch.argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(env) = &launch.env {
            cmd.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
        }
        // A child must not outlive the engine either (a killed engine cannot kill it).
        #[cfg(target_os = "linux")]
        // SAFETY: prctl(2) is async-signal-safe and touches only the new process.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        let pid = child.id().unwrap_or(0);
        tracing::debug!(target: "exec", "exec(): child {pid} started: {program}");
        let (tx, rx) = mpsc::unbounded_channel();
        let exited = Rc::new(Cell::new(false));
        let mut tasks = Vec::new();
        if let Some(stdin) = child.stdin.take() {
            tasks.push(LocalTask::spawn(feed(stdin, rx)));
        }
        tasks.push(LocalTask::spawn(supervise(
            child,
            self.spec.clone(),
            self.context.clone(),
            self.output.clone(),
            exited.clone(),
        )));
        Ok(Child {
            pid,
            stdin: Some(tx),
            exited,
            tasks,
        })
    }

    fn on_start(&self, pid: u32) -> Result<(), ScriptError> {
        let Some(f) = self.spec.on_start.clone() else {
            return Ok(());
        };
        script::call_in(&self.context, |ctx| {
            if let Some(f) = f.get(ctx).as_function() {
                f.call::<_, Value>((pid,))?;
            }
            Ok(())
        })
    }
}

/// An `env` option's value (an object, or a function returning one) as pairs.
fn env_of<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> rquickjs::Result<Option<Vec<(String, String)>>> {
    let v = match v.as_function() {
        Some(f) => f.call::<_, Value>(())?,
        None => v,
    };
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let Some(o) = v.as_object() else {
        return Err(rquickjs::Exception::throw_type(
            ctx,
            "options.env didn't return an object",
        ));
    };
    let mut pairs = Vec::new();
    for kv in o.props::<String, rquickjs::Coerced<String>>() {
        let (k, v) = kv?;
        if !k.is_empty() {
            pairs.push((k, v.0));
        }
    }
    Ok(Some(pairs))
}

/// A bare program name found through this process's PATH when a replaced environment has none,
/// so `env` does not change which program runs.
fn resolve(program: &str, env: Option<&[(String, String)]>) -> std::path::PathBuf {
    let own_path = env.is_none_or(|e| e.iter().any(|(k, _)| k == "PATH"));
    if own_path || program.contains('/') {
        return program.into();
    }
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(program))
                .find(|c| c.is_file())
        })
        .unwrap_or_else(|| program.into())
}

/// Writes what the stream sends to the child's standard input; closes it when the feed ends.
async fn feed(mut stdin: tokio::process::ChildStdin, mut rx: mpsc::UnboundedReceiver<Bytes>) {
    while let Some(b) = rx.recv().await {
        if let Err(e) = stdin.write_all(&b).await {
            tracing::debug!(target: "exec", "exec(): the child's input is closed: {e}");
            return;
        }
    }
}

/// Reads the child's output until both pipes end, waits for it, then finishes the stream.
async fn supervise(
    mut child: tokio::process::Child,
    spec: Rc<Spec>,
    context: Rc<Context>,
    output: Output,
    exited: Rc<Cell<bool>>,
) {
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let mut collected = BytesMut::new();
    let mut buf_out = vec![0u8; 16 << 10];
    let mut buf_err = vec![0u8; 16 << 10];
    while out.is_some() || err.is_some() {
        tokio::select! {
            r = async { out.as_mut().unwrap().read(&mut buf_out).await }, if out.is_some() => {
                match r {
                    Ok(n) if n > 0 => output.emit(Event::data(Bytes::copy_from_slice(&buf_out[..n]))),
                    _ => out = None,
                }
            }
            r = async { err.as_mut().unwrap().read(&mut buf_err).await }, if err.is_some() => {
                match r {
                    Ok(n) if n > 0 => {
                        let chunk = &buf_err[..n];
                        if spec.stderr {
                            output.emit(Event::data(Bytes::copy_from_slice(chunk)));
                        } else if collected.len() < STDERR_LIMIT {
                            let room = STDERR_LIMIT - collected.len();
                            collected.extend_from_slice(&chunk[..n.min(room)]);
                        }
                    }
                    _ => err = None,
                }
            }
        }
    }
    let status = child.wait().await;
    exited.set(true);
    let code = match status {
        Ok(s) => s.code().unwrap_or_else(|| {
            128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0)
        }),
        Err(_) => -1,
    };
    tracing::debug!(target: "exec", "exec(): child {} exited with {code}", child.id().unwrap_or(0));
    let Some(on_exit) = spec.on_exit.clone() else {
        return output.emit(StreamEnd::ok());
    };
    let stderr = collected.freeze();
    let with_stderr = !spec.stderr;
    let r = script::call_in(&context, |ctx| {
        let Some(f) = on_exit.get(ctx).into_function() else {
            return Ok(Vec::new());
        };
        let v: Value = if with_stderr {
            f.call((code, script::data_to_js(ctx, &stderr)?))?
        } else {
            f.call((code,))?
        };
        events_of(
            ctx,
            v,
            "onExit didn't return an event or Message or an array of those",
        )
    });
    match r {
        Ok(evts) => {
            let ended = evts.iter().any(Event::is_stream_end);
            output.emit_all(evts);
            if !ended {
                output.emit(StreamEnd::ok());
            }
        }
        Err(e) => fail(&output, "exec", &e),
    }
}

impl Filter for Exec {
    fn process(&mut self, evt: Event) {
        if matches!(self.state, State::Idle) {
            match self.start() {
                Ok(child) => {
                    let pid = child.pid;
                    self.state = State::Running(child);
                    if let Err(e) = self.on_start(pid) {
                        if let State::Running(c) = &self.state {
                            c.terminate();
                        }
                        self.state = State::Done { _child: None };
                        return fail(&self.output, "exec", &e);
                    }
                }
                Err(e) => {
                    self.state = State::Done { _child: None };
                    tracing::error!(target: "script", "exec(): {e}");
                    return self.output.emit(StreamEnd::runtime(format!("exec(): {e}")));
                }
            }
        }
        let State::Running(child) = &mut self.state else {
            return;
        };
        match evt {
            Event::Data(b) if !b.is_empty() => {
                if let Some(tx) = &child.stdin {
                    let _ = tx.send(b);
                }
            }
            Event::StreamEnd(end) => {
                child.stdin = None;
                if end.error.is_some() {
                    child.terminate();
                } else {
                    let pid = child.pid;
                    let exited = child.exited.clone();
                    child.tasks.push(LocalTask::spawn(async move {
                        tokio::time::sleep(GRACE).await;
                        if !exited.get() {
                            tracing::debug!(target: "exec", "exec(): child {pid} still runs after its input ended");
                            // SAFETY: as in `Child::terminate`: not reaped yet.
                            unsafe {
                                libc::kill(pid as libc::pid_t, libc::SIGTERM);
                            }
                        }
                    }));
                }
                let State::Running(c) = std::mem::replace(&mut self.state, State::Idle) else {
                    unreachable!()
                };
                self.state = State::Done { _child: Some(c) };
            }
            _ => {}
        }
    }
}
