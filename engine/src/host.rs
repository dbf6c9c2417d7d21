//! The program host: which program runs, and starting, reloading and stopping it.
//!
//! The command line and the admin service both go through it. Switching programs never
//! leaves a gap: the new worker starts on the same listening sockets before the old one is
//! drained.

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

/// What is running.
#[derive(Clone, Debug, Default)]
pub struct Status {
    /// Name of the running program (codebase name or script path), if any.
    pub name: Option<String>,
    /// The last load error, if the last start or reload failed.
    pub error: Option<LoadError>,
    /// The running program's graph.
    pub loaded: Option<Loaded>,
}

/// Runs at most one program at a time.
pub struct ProgramHost {
    template: RunOptions,
    state: Mutex<(Option<Current>, Option<LoadError>)>,
}

impl ProgramHost {
    /// A host whose programs run with `template`'s options (its target is ignored).
    pub fn new(template: RunOptions) -> ProgramHost {
        ProgramHost {
            template,
            state: Mutex::new((None, None)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<Current>, Option<LoadError>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `target` under `name`, replacing what runs only if it starts.
    pub fn start(&self, name: &str, target: PathBuf) -> Result<(), LoadError> {
        self.start_with_main(name, target, None, Vec::new())
    }

    /// Starts the codebase folder `target` with entry `main` and the `services` scripts beside
    /// it, under `name`. The program that ran before stops at once, closing its connections
    /// (see [`ProgramHost::reload`] for the gap-free way).
    pub fn start_with_main(
        &self,
        name: &str,
        target: PathBuf,
        main: Option<String>,
        services: Vec<String>,
    ) -> Result<(), LoadError> {
        self.replace(name, target, main, services, false)
    }

    /// Switches to the codebase folder `target` without a gap: the new program takes new
    /// connections once it has loaded, and what ran before finishes its open ones (up to
    /// [`RELOAD_DRAIN`]). If it fails to load, what ran before keeps running.
    pub fn switch(
        &self,
        name: &str,
        target: PathBuf,
        main: Option<String>,
        services: Vec<String>,
    ) -> Result<(), LoadError> {
        self.replace(name, target, main, services, true)
    }

    fn replace(
        &self,
        name: &str,
        target: PathBuf,
        main: Option<String>,
        services: Vec<String>,
        drain_old: bool,
    ) -> Result<(), LoadError> {
        let opts = RunOptions {
            target: target.clone(),
            main: main.clone(),
            services: services.clone(),
            ..self.template.clone()
        };
        let mut st = self.lock();
        match worker::spawn(opts) {
            Ok(handle) => {
                let keep = handle.loaded.listens.clone();
                if let Some(old) = st.0.take() {
                    if drain_old {
                        old.handle.drain(RELOAD_DRAIN);
                    } else {
                        old.handle.stop();
                    }
                }
                registry::retain(&keep);
                st.0 = Some(Current {
                    name: name.to_string(),
                    target,
                    main,
                    services,
                    handle,
                });
                st.1 = None;
                Ok(())
            }
            Err(e) => {
                st.1 = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Loads the running program again; on failure the old version keeps running.
    pub fn reload(&self) -> Result<(), LoadError> {
        let (name, target, main, services) = {
            let st = self.lock();
            match &st.0 {
                Some(c) => (
                    c.name.clone(),
                    c.target.clone(),
                    c.main.clone(),
                    c.services.clone(),
                ),
                None => {
                    return Err(LoadError {
                        message: "no program is running".into(),
                        ..Default::default()
                    })
                }
            }
        };
        let r = self.replace(&name, target, main, services, true);
        match &r {
            Ok(()) => tracing::info!("reloaded {name}"),
            Err(e) => tracing::error!("reload of {name} failed, the running version stays: {e}"),
        }
        r
    }

    /// Stops the running program at once.
    pub fn stop(&self) {
        let cur = {
            let mut st = self.lock();
            st.1 = None;
            st.0.take()
        };
        if let Some(c) = cur {
            c.handle.stop();
            c.handle.join();
        }
        registry::retain(&Default::default());
    }

    /// Stops accepting, lets open connections finish for up to `drain`, then stops.
    pub fn shutdown(&self, drain: Duration) {
        let cur = self.lock().0.take();
        registry::retain(&Default::default());
        if let Some(c) = cur {
            c.handle.drain_for_exit(drain);
            c.handle.join();
        }
    }

    /// What runs now.
    pub fn status(&self) -> Status {
        let st = self.lock();
        Status {
            name: st.0.as_ref().map(|c| c.name.clone()),
            error: st.1.clone(),
            loaded: st.0.as_ref().map(|c| c.handle.loaded.clone()),
        }
    }

    /// The name of the running program, if any.
    pub fn running(&self) -> Option<String> {
        self.lock().0.as_ref().map(|c| c.name.clone())
    }
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
