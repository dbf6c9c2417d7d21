//! Sluice desktop: one window with the IDE of `ui/` and the engine in-process.
//!
//! Wiring only. The engine's admin server runs on a loopback port with a per-launch token
//! ([`engine`]); the window loads the IDE build (`ui/dist`), which reaches that server through
//! its desktop transport (ui/src/api.ts). The native menu calls hooks the IDE installs
//! (ui/src/desktop.ts), and closing the window stops the running program.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod engine;
mod menu;
mod test_hook;
mod ui;

use std::process::ExitCode;
use std::sync::Arc;

use tauri::{RunEvent, WebviewUrl, WebviewWindowBuilder, WindowEvent};

use engine::Engine;

fn main() -> ExitCode {
    english_under_c_locale();
    let level = std::env::var("SLUICE_LOG").unwrap_or_else(|_| "info".into());
    if let Err(e) = sluice::logging::init(&level, false) {
        eprintln!("sluice-desktop: {e}");
        return ExitCode::from(2);
    }
    sluice::trace::init();
    let engine = match Engine::start(sluice::admin::default_codebases_dir()) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            tracing::error!(target: "desktop", "{e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(target: "desktop", "engine admin API on {}", engine.url);
    ui::report("admin", &engine.url);
    // The desktop test drives the admin API beside the window, as the IDE does.
    if std::env::var_os("SLUICE_DESKTOP_TEST").is_some() {
        ui::report("token", &engine.token);
    }

    let on_setup = engine.clone();
    let on_close = engine.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            ui::desktop_report,
            ui::desktop_title
        ])
        .on_menu_event(|app, event| menu::activate(app, event.id().as_ref()))
        .setup(move |app| {
            let menu = menu::build(app.handle())?;
            WebviewWindowBuilder::new(app, ui::MAIN, WebviewUrl::App("index.html".into()))
                .title("Sluice")
                .inner_size(1280.0, 800.0)
                .min_inner_size(800.0, 500.0)
                .menu(menu)
                .initialization_script(ui::bootstrap_script(&on_setup.url, &on_setup.token))
                .on_navigation(ui::may_navigate)
                .on_new_window(|url, _| {
                    ui::open_in_browser(&url);
                    tauri::webview::NewWindowResponse::Deny
                })
                .build()?;
            if test_hook::enabled() {
                test_hook::listen(app.handle().clone());
            }
            Ok(())
        })
        .on_window_event(move |window, event| {
            if window.label() == ui::MAIN && matches!(event, WindowEvent::CloseRequested { .. }) {
                on_close.stop();
            }
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(target: "desktop", "cannot start the window: {e}");
            engine.stop();
            return ExitCode::FAILURE;
        }
    };
    app.run(move |_, event| {
        if let RunEvent::Exit = event {
            engine.stop();
            tracing::info!(target: "desktop", "bye");
            ui::report("exit", "");
        }
    });
    ExitCode::SUCCESS
}

/// WebKitGTK takes `navigator.language` from the locale of characters, and versions before
/// 2.52 turn the `C.UTF-8` locale (the default of many CI machines and containers) into `C`,
/// which `Intl` refuses, and the IDE with it. Under a C locale, use plain `C`, which WebKit
/// reads as `en-US`. Called first, while the process has one thread.
fn english_under_c_locale() {
    let ctype = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    let c_like = ctype.is_some_and(|l| {
        let base = l.split(['.', '@']).next().unwrap_or("");
        l != base && (base == "C" || base == "POSIX")
    });
    if c_like {
        std::env::set_var("LC_ALL", "C");
    }
}
