//! The program host: which programs run, and starting, reloading and stopping them.
//!
//! The command line and the admin service both go through it. Several programs, each under
//! its own name (the admin console uses codebase names), may run side by side; starting or
//! reloading one never touches another, and a port one of them holds is refused to the others
//! (see [`crate::net::registry`]). Replacing a program never leaves a gap: the new worker
//! starts on the same listening sockets before the old one is drained.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::net::registry;
use crate::worker::{self, LoadError, Loaded, RunOptions, WorkerHandle};

/// How long a replaced program may finish its open connections.
pub const RELOAD_DRAIN: Duration = Duration::from_secs(30);

struct Current {
    name: String,
    target: PathBuf,
    main: Option<String>,
    services: Vec<String>,
    handle: WorkerHandle,
}

#[derive(Default)]
struct State {
    /// Running programs, in the order they were (last) started.
    running: Vec<Current>,
    /// The error of the last start or reload, whichever program it was for.
    last_error: Option<LoadError>,
    /// Each program's last start or reload error, until it starts again or is stopped.
    errors: HashMap<String, LoadError>,
}

/// What is running (the most recently started program, for callers that know only one).
#[derive(Clone, Debug, Default)]
pub struct Status {
    /// Name of the running program (codebase name or script path), if any.
    pub name: Option<String>,
    /// The last load error, if the last start or reload failed.
    pub error: Option<LoadError>,
    /// The running program's graph.
    pub loaded: Option<Loaded>,
}

/// One program the host knows: running, or whose last start failed.
#[derive(Clone, Debug, Default)]
pub struct ProgramInfo {
    /// The program's name.
    pub name: String,
    /// True while it runs.
    pub running: bool,
    /// The TCP ports it listens on.
    pub ports: Vec<u16>,
    /// Why its last start or reload failed (it may still run its previous version).
    pub error: Option<LoadError>,
    /// Its graph, while it runs.
    pub loaded: Option<Loaded>,
}

/// What becomes of the program running under a name when another starts under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handover {
    /// It stops at once, closing its connections.
    Stop,
    /// No gap: the new program takes new connections once it has loaded, and the old one
    /// finishes its open ones (up to [`RELOAD_DRAIN`]).
    Drain,
}

/// Runs programs side by side, each under its own name.
pub struct ProgramHost {
    template: RunOptions,
    state: Mutex<State>,
}

impl ProgramHost {
    /// A host whose programs run with `template`'s options (its target is ignored).
    pub fn new(template: RunOptions) -> ProgramHost {
        ProgramHost {
            template,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `target` under `name`, replacing the program of that name only if it starts.
    pub fn start(&self, name: &str, target: PathBuf) -> Result<(), LoadError> {
        self.run(name, target, None, Vec::new(), Handover::Stop)
    }

    /// Starts the codebase folder `target` with entry `main` and the `services` scripts beside
    /// it, under `name`. What becomes of a program already running under that name is
    /// `handover`'s choice, once the new one has started (if it fails to load, what ran before
    /// keeps running); programs of other names keep running.
    pub fn run(
        &self,
        name: &str,
        target: PathBuf,
        main: Option<String>,
        services: Vec<String>,
        handover: Handover,
    ) -> Result<(), LoadError> {
        let drain_old = handover == Handover::Drain;
        let opts = RunOptions {
            target: target.clone(),
            main: main.clone(),
            services: services.clone(),
            program: name.to_string(),
            ..self.template.clone()
        };
        let mut st = self.lock();
        let spawned = crate::logging::with_program(name, || worker::spawn(opts));
        match spawned {
            Ok(handle) => {
                let keep = handle.loaded.listens.clone();
                if let Some(i) = st.running.iter().position(|c| c.name == name) {
                    let old = st.running.remove(i);
                    if drain_old {
                        old.handle.drain(RELOAD_DRAIN);
                    } else {
                        old.handle.stop();
                    }
                }
                registry::retain(name, &keep);
                st.running.push(Current {
                    name: name.to_string(),
                    target,
                    main,
                    services,
                    handle,
                });
                st.last_error = None;
                st.errors.remove(name);
                Ok(())
            }
            Err(e) => {
                // Listeners the failed start opened go; the running version keeps its own.
                let keep = st
                    .running
                    .iter()
                    .find(|c| c.name == name)
                    .map(|c| c.handle.loaded.listens.clone())
                    .unwrap_or_default();
                registry::retain(name, &keep);
                st.last_error = Some(e.clone());
                st.errors.insert(name.to_string(), e.clone());
                Err(e)
            }
        }
    }

    /// Loads the most recently started program again; on failure the old version keeps
    /// running.
    pub fn reload(&self) -> Result<(), LoadError> {
        match self.running() {
            Some(name) => self.reload_program(&name),
            None => Err(LoadError::plain("no program is running")),
        }
    }

    /// Loads the program `name` again without a gap; on failure the old version keeps running.
    pub fn reload_program(&self, name: &str) -> Result<(), LoadError> {
        let (target, main, services) = {
            let st = self.lock();
            match st.running.iter().find(|c| c.name == name) {
                Some(c) => (c.target.clone(), c.main.clone(), c.services.clone()),
                None => return Err(LoadError::plain(format!("{name} is not running"))),
            }
        };
        let r = self.run(name, target, main, services, Handover::Drain);
        crate::logging::with_program(name, || match &r {
            Ok(()) => tracing::info!("reloaded {name}"),
            Err(e) => tracing::error!("reload of {name} failed, the running version stays: {e}"),
        });
        r
    }

    /// Stops every program at once.
    pub fn stop(&self) {
        let all = {
            let mut st = self.lock();
            st.last_error = None;
            st.errors.clear();
            std::mem::take(&mut st.running)
        };
        for c in &all {
            c.handle.stop();
        }
        for c in all {
            c.handle.join();
        }
        registry::clear();
    }

    /// Stops the program `name` at once; false when it was not running.
    pub fn stop_program(&self, name: &str) -> bool {
        let cur = {
            let mut st = self.lock();
            st.errors.remove(name);
            if st.running.last().is_some_and(|c| c.name == name) {
                st.last_error = None;
            }
            let i = st.running.iter().position(|c| c.name == name);
            i.map(|i| st.running.remove(i))
        };
        registry::retain(name, &Default::default());
        match cur {
            Some(c) => {
                c.handle.stop();
                c.handle.join();
                true
            }
            None => false,
        }
    }

    /// Stops accepting, lets open connections finish for up to `drain`, then stops.
    pub fn shutdown(&self, drain: Duration) {
        let all = std::mem::take(&mut self.lock().running);
        registry::clear();
        for c in &all {
            c.handle.drain_for_exit(drain);
        }
        for c in all {
            c.handle.join();
        }
    }

    /// What runs now: the most recently started program.
    pub fn status(&self) -> Status {
        let st = self.lock();
        let last = st.running.last();
        Status {
            name: last.map(|c| c.name.clone()),
            error: st.last_error.clone(),
            loaded: last.map(|c| c.handle.loaded.clone()),
        }
    }

    /// Hands an admin-port request under `/admin/` to the `admin()` layouts of every running
    /// program (see [`WorkerHandle::admin`]) and joins their answers; `None` when nothing
    /// runs or no layout takes the path.
    pub fn admin(
        &self,
        method: &str,
        path: &str,
        body: bytes::Bytes,
    ) -> impl std::future::Future<Output = Option<Result<bytes::Bytes, String>>> {
        let calls: Vec<_> = {
            let st = self.lock();
            st.running
                .iter()
                .map(|c| c.handle.admin(method, path, body.clone()))
                .collect()
        };
        async move {
            let (mut joined, mut answered, mut failure) = (bytes::BytesMut::new(), false, None);
            for call in calls {
                match call.await {
                    Some(Ok(b)) => {
                        answered = true;
                        joined.extend_from_slice(&b);
                    }
                    Some(Err(e)) => failure = failure.or(Some(e)),
                    None => {}
                }
            }
            match (answered, failure) {
                (true, _) => Some(Ok(joined.freeze())),
                (false, Some(e)) => Some(Err(e)),
                (false, None) => None,
            }
        }
    }

    /// The name of the most recently started program that runs, if any.
    pub fn running(&self) -> Option<String> {
        self.lock().running.last().map(|c| c.name.clone())
    }

    /// True while the program `name` runs.
    pub fn is_running(&self, name: &str) -> bool {
        self.lock().running.iter().any(|c| c.name == name)
    }

    /// Every program that runs, in the order they started, then those whose start failed.
    pub fn programs(&self) -> Vec<ProgramInfo> {
        let st = self.lock();
        let mut out: Vec<ProgramInfo> = st
            .running
            .iter()
            .map(|c| ProgramInfo {
                name: c.name.clone(),
                running: true,
                ports: ports(&c.handle.loaded),
                error: st.errors.get(&c.name).cloned(),
                loaded: Some(c.handle.loaded.clone()),
            })
            .collect();
        let mut failed: Vec<_> = st
            .errors
            .iter()
            .filter(|(n, _)| !st.running.iter().any(|c| &c.name == *n))
            .map(|(n, e)| ProgramInfo {
                name: n.clone(),
                error: Some(e.clone()),
                ..Default::default()
            })
            .collect();
        failed.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(failed);
        out
    }

    /// The program `name`, if it runs or its last start failed.
    pub fn program(&self, name: &str) -> Option<ProgramInfo> {
        self.programs().into_iter().find(|p| p.name == name)
    }
}

/// The TCP ports a loaded program listens on, in order.
fn ports(loaded: &Loaded) -> Vec<u16> {
    let set: BTreeSet<u16> = loaded
        .listens
        .iter()
        .filter(|k| !registry::is_udp(k))
        .filter_map(|k| registry::port_of(k))
        .collect();
    set.into_iter().collect()
}

/// Loads a program without running it: its graph, or why it does not load.
pub fn check(
    target: PathBuf,
    main: Option<String>,
    services: Vec<String>,
) -> Result<Loaded, LoadError> {
    let h = worker::spawn(RunOptions {
        target,
        main,
        services,
        check: true,
        quiet: true,
        ..Default::default()
    })?;

    let loaded = h.loaded.clone();
    h.join();
    Ok(loaded)
}
