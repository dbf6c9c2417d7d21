//! For the desktop test only (`SLUICE_DESKTOP_TEST=1`): standard input drives the app the way
//! a user would, one command a line:
//!
//! - `menu ID` — as if the menu item `ID` was chosen (see [`crate::menu::activate`]);
//! - `call HOOK [JSON args]` — calls the IDE's `window.sluiceDesktop[HOOK](...args)`;
//! - `eval JS` — runs a line of script in the page, as a page script could.

use std::io::BufRead;

use tauri::{AppHandle, Manager, Runtime};

use crate::{menu, ui};

/// Whether the test hook is on.
pub fn enabled() -> bool {
    std::env::var_os("SLUICE_DESKTOP_TEST").is_some_and(|v| v == "1")
}

/// Reads commands from standard input on a thread of its own.
pub fn listen<R: Runtime>(app: AppHandle<R>) {
    let spawned = std::thread::Builder::new()
        .name("desktop-test-hook".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                run(&app, line.trim());
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(target: "desktop", "cannot read test commands: {e}");
    }
}

fn run<R: Runtime>(app: &AppHandle<R>, line: &str) {
    let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
    match cmd {
        "" => {}
        "menu" => menu::activate(app, rest.trim()),
        "call" => {
            let (hook, args) = rest.trim().split_once(' ').unwrap_or((rest.trim(), "[]"));
            match serde_json::from_str::<Vec<serde_json::Value>>(args) {
                Ok(args) => ui::call(app, hook, &args),
                Err(e) => tracing::warn!(target: "desktop", "test hook: bad arguments {args}: {e}"),
            }
        }
        "eval" => {
            if let Some(window) = app.get_webview_window(ui::MAIN) {
                if let Err(e) = window.eval(rest) {
                    tracing::warn!(target: "desktop", "test hook: {e}");
                }
            }
        }
        other => tracing::warn!(target: "desktop", "test hook: unknown command {other}"),
    }
}
