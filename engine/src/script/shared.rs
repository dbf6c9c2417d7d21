//! Process-wide state the prelude shares across worker threads: `algo.SharedMap`'s maps
//! (values kept as JSON text, so any worker's runtime can read them back) and the standard
//! output `print`/`println` write to.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use rquickjs::function::Func;
use rquickjs::Object;

type Maps = HashMap<String, HashMap<String, String>>;

fn maps() -> &'static Mutex<Maps> {
    static MAPS: OnceLock<Mutex<Maps>> = OnceLock::new();
    MAPS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Runs `f` on the map called `name` (made empty on first use).
fn with_map<R>(name: &str, f: impl FnOnce(&mut HashMap<String, String>) -> R) -> R {
    let mut all = maps().lock().unwrap_or_else(|e| e.into_inner());
    f(all.entry(name.to_string()).or_default())
}

/// Adds `delta` to a number stored under `key`: the sum, or NaN when there is no number.
fn add(name: &str, key: &str, delta: f64) -> f64 {
    with_map(name, |m| {
        let Some(text) = m.get_mut(key) else {
            return f64::NAN;
        };
        let Some(n) = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.as_f64())
        else {
            return f64::NAN;
        };
        let sum = n + delta;
        *text = match serde_json::Number::from_f64(sum) {
            Some(x) => x.to_string(),
            None => "null".to_string(),
        };
        sum
    })
}

pub(super) fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    n.set(
        "sharedSize",
        Func::from(|name: String| with_map(&name, |m| m.len() as u32)),
    )?;
    n.set(
        "sharedClear",
        Func::from(|name: String| with_map(&name, |m| m.clear())),
    )?;
    n.set(
        "sharedDelete",
        Func::from(|name: String, key: String| with_map(&name, |m| m.remove(&key).is_some())),
    )?;
    n.set(
        "sharedHas",
        Func::from(|name: String, key: String| with_map(&name, |m| m.contains_key(&key))),
    )?;
    n.set(
        "sharedGet",
        Func::from(|name: String, key: String| with_map(&name, |m| m.get(&key).cloned())),
    )?;
    n.set(
        "sharedSet",
        Func::from(|name: String, key: String, json: String| {
            with_map(&name, |m| {
                m.insert(key, json);
            })
        }),
    )?;
    n.set(
        "sharedAdd",
        Func::from(|name: String, key: String, delta: f64| add(&name, &key, delta)),
    )?;
    n.set(
        "writeStdout",
        Func::from(|text: String| {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }),
    )?;
    Ok(())
}
