//! The native menu. Each item asks the IDE to do what its own buttons do, except Open folder
//! (a native dialog first) and Quit.

use tauri::menu::{Menu, MenuBuilder, MenuItemBuilder, SubmenuBuilder};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::ui;

/// The menu bar: File (New codebase, Open folder, Quit), Program (Run, Stop), Help (Tutorials).
pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let item = |id: &str, text: &str, keys: &str| {
        MenuItemBuilder::with_id(id, text)
            .accelerator(keys)
            .build(app)
    };
    let file = SubmenuBuilder::new(app, "File")
        .item(&item("new-codebase", "New codebase…", "CmdOrCtrl+N")?)
        .item(&item("open-folder", "Open folder…", "CmdOrCtrl+O")?)
        .separator()
        .item(&item("quit", "Quit", "CmdOrCtrl+Q")?)
        .build()?;
    let program = SubmenuBuilder::new(app, "Program")
        .item(&item("run", "Run", "F5")?)
        .item(&item("stop", "Stop", "Shift+F5")?)
        .build()?;
    let help = SubmenuBuilder::new(app, "Help")
        .item(&item("tutorials", "Tutorials", "F1")?)
        .build()?;
    MenuBuilder::new(app)
        .items(&[&file, &program, &help])
        .build()
}

/// Carries out the menu item `id`.
pub fn activate<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "new-codebase" => ui::call(app, "newCodebase", &[]),
        "open-folder" => {
            let handle = app.clone();
            let mut dialog = app.dialog().file().set_title("Open a folder as a codebase");
            if let Ok(home) = app.path().home_dir() {
                dialog = dialog.set_directory(home);
            }
            dialog.pick_folder(move |picked| {
                let Some(picked) = picked else { return };
                match picked.into_path() {
                    Ok(path) => ui::call(
                        &handle,
                        "openFolder",
                        &[path.to_string_lossy().into_owned().into()],
                    ),
                    Err(e) => tracing::warn!(target: "desktop", "not a local folder: {e}"),
                }
            });
        }
        "run" => ui::call(app, "run", &[]),
        "stop" => ui::call(app, "stop", &[]),
        "tutorials" => ui::call(app, "tutorials", &[]),
        "quit" => app.exit(0),
        other => tracing::debug!(target: "desktop", "unknown menu item {other}"),
    }
}
