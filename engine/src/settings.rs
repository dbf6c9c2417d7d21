//! A codebase's settings: which script is its main one and which scripts run beside it (the
//! backends a proxy forwards to, say). The IDE, the admin API's Run and Check, and the command
//! line all read them here, so a codebase runs the same way wherever it is started.
//!
//! They live in the codebase folder's `.sluice.json` (`{"main": "/main.js", "services":
//! ["/backend.js"]}`). A codebase made from a tutorial may list its services in `check.json`
//! instead: those count when `.sluice.json` names none.

use std::path::Path;

/// The settings file in a codebase folder.
pub const FILE: &str = ".sluice.json";

/// What a codebase folder's settings say (fields it does not set are `None` or empty).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Settings {
    /// The entry script, like `/main.js`.
    pub main: Option<String>,
    /// Scripts run in the same program beside the main one.
    pub services: Vec<String>,
}

fn read_json(path: &Path) -> serde_json::Value {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str())
                .map(|s| format!("/{}", s.trim_start_matches('/')))
                .collect()
        })
        .unwrap_or_default()
}

/// What the settings file alone says; `services` is `None` when it does not set them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Own {
    /// The entry script, like `/main.js`.
    pub main: Option<String>,
    /// The services, when the file lists them (an empty list included).
    pub services: Option<Vec<String>>,
}

/// Reads the settings file of the codebase folder `dir` alone.
pub fn read_own(dir: &Path) -> Own {
    let own = read_json(&dir.join(FILE));
    Own {
        main: own.get("main").and_then(|m| m.as_str()).map(str::to_string),
        services: own
            .get("services")
            .filter(|v| v.is_array())
            .map(|v| strings(Some(v))),
    }
}

/// Reads the settings of the codebase folder `dir`: services from `check.json` when the
/// settings file does not set them (an empty list there means none).
pub fn read(dir: &Path) -> Settings {
    let own = read_own(dir);
    let services = own
        .services
        .unwrap_or_else(|| strings(read_json(&dir.join("check.json")).get("services")));
    Settings {
        main: own.main,
        services,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "sluice-settings-{}-{}",
            std::process::id(),
            files.len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn services_come_from_the_settings_file_or_else_from_check_json() {
        let d = folder(&[(FILE, r#"{"main":"/proxy.js","services":["backend.js"]}"#)]);
        assert_eq!(
            read(&d),
            Settings {
                main: Some("/proxy.js".into()),
                services: vec!["/backend.js".into()]
            }
        );
        let d = folder(&[
            (FILE, r#"{"main":"/main.js"}"#),
            ("check.json", r#"{"services":["/b.js"],"steps":[]}"#),
        ]);
        assert_eq!(read(&d).services, vec!["/b.js".to_string()]);
        let _ = std::fs::remove_dir_all(&d);
        // An empty list in the settings file says: nothing beside main.
        let d = folder(&[
            (FILE, r#"{"main":"/main.js","services":[]}"#),
            ("check.json", r#"{"services":["/b.js"],"steps":[]}"#),
            ("x", ""),
        ]);
        assert!(read(&d).services.is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }
}
