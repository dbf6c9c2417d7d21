//! The two directions between the shell and the IDE page: the shell calls the hooks the page
//! installs as `window.sluiceDesktop` (ui/src/desktop.ts), and the page calls the commands here.

use tauri::{Manager, Runtime, Url, WebviewWindow};

/// Label of the one window.
pub const MAIN: &str = "main";

/// The script that runs before the IDE's own: where the in-process admin API is, and uncaught
/// page errors reported to the shell (they would go unseen without developer tools).
pub fn bootstrap_script(url: &str, token: &str) -> String {
    format!(
        "window.__SLUICE_ADMIN__ = {}; window.__SLUICE_TOKEN__ = {};\n{}",
        serde_json::Value::from(url),
        serde_json::Value::from(token),
        REPORT_ERRORS
    )
}

const REPORT_ERRORS: &str = r#"(() => {
  const report = (what) => {
    const t = window.__TAURI_INTERNALS__;
    if (t) t.invoke('desktop_report', { event: 'page-error', detail: String(what) }).catch(() => {});
  };
  window.addEventListener('error', (e) => report(`${e.message} at ${e.filename}:${e.lineno}`));
  window.addEventListener('unhandledrejection', (e) => report(e.reason && e.reason.stack || e.reason));
})();"#;

/// Calls `window.sluiceDesktop[hook](...args)` in the IDE, if the window and hook exist.
pub fn call<R: Runtime, M: Manager<R>>(app: &M, hook: &str, args: &[serde_json::Value]) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let hook = serde_json::Value::from(hook);
    let args = serde_json::Value::from(args.to_vec());
    let js = format!(
        "(() => {{ const d = window.sluiceDesktop; \
         if (d && typeof d[{hook}] === 'function') d[{hook}](...{args}); \
         else console.warn('desktop hook not ready', {hook}); }})()"
    );
    if let Err(e) = window.eval(js) {
        tracing::warn!(target: "desktop", "cannot call the IDE: {e}");
    }
}

/// The IDE tells the shell something happened (`ready` once the editor is up, `running`,
/// `opened`, `error`, `page`):
/// printed on standard output as `sluice-desktop: EVENT DETAIL` and logged.
#[tauri::command]
pub fn desktop_report(event: String, detail: String) {
    if event == "page" {
        tracing::debug!(target: "desktop", "{event} {detail}");
    } else {
        tracing::info!(target: "desktop", "{event} {detail}");
    }
    report(&event, &detail);
}

/// The IDE's title for the window (it names the codebase).
#[tauri::command]
pub fn desktop_title<R: Runtime>(window: WebviewWindow<R>, title: String) -> Result<(), String> {
    window.set_title(&title).map_err(|e| e.to_string())
}

/// One line on standard output, for whoever started the app (the desktop test waits for them).
pub fn report(event: &str, detail: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "sluice-desktop: {event} {detail}");
    let _ = out.flush();
}

/// Whether the window may show `url`: only the IDE's own pages, which alone may see the admin
/// token. Other web pages (a link in a tutorial) open in the system's browser instead.
pub fn may_navigate(url: &Url) -> bool {
    let own = url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost");
    if !own {
        open_in_browser(url);
    }
    own
}

/// Hands an `http(s)` URL to the desktop's browser: the command `SLUICE_BROWSER` names, else
/// `xdg-open` (`open` on macOS).
pub fn open_in_browser(url: &Url) {
    if !matches!(url.scheme(), "http" | "https") {
        tracing::warn!(target: "desktop", "not opening {url}");
        return;
    }
    let opener = std::env::var("SLUICE_BROWSER").unwrap_or_else(|_| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else {
            "xdg-open".into()
        }
    });
    if let Err(e) = std::process::Command::new(&opener)
        .arg(url.as_str())
        .spawn()
    {
        tracing::warn!(target: "desktop", "cannot open {url} in a browser: {e}");
    }
}
