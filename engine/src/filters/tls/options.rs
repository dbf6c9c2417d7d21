//! Certificates, keys and protocol lists of the TLS filters' options, from script values.

use rquickjs::Value;

use crate::filters::Builder;
use crate::tls::Versions;

/// PEM text of a Certificate/PrivateKey object, a string or Data.
pub(super) fn pem_of(v: &Value<'_>) -> Result<String, String> {
    if let Some(s) = v.as_string() {
        return s.to_string().map_err(|e| e.to_string());
    }
    let o = v.as_object().ok_or(
        "expected a certificate or key (crypto.Certificate, crypto.PrivateKey or PEM text)",
    )?;
    if let Ok(p) = o.get::<_, String>("_pem") {
        return Ok(p);
    }
    crate::script::data_from_js(o)
        .map_err(|e| e.to_string())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A list option: each item of an array read with `item`, or the one value given read with
/// `lone` (which may say what was expected); empty when the option is missing.
fn list_of<'js, T>(
    v: Option<Value<'js>>,
    item: impl Fn(Value<'js>) -> Result<T, String>,
    lone: impl FnOnce(Value<'js>) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(v) => match v.as_array() {
            Some(a) => a
                .iter::<Value>()
                .map(|x| x.map_err(|e| e.to_string()).and_then(&item))
                .collect(),
            None => Ok(vec![lone(v)?]),
        },
    }
}

/// PEM texts: one certificate, or an array of them.
pub(super) fn pems_of(v: Option<Value<'_>>) -> Result<Vec<String>, String> {
    list_of(v, |x| pem_of(&x), |x| pem_of(&x))
}

pub(super) fn identity_of(v: &Value<'_>) -> Result<(String, String), String> {
    let o = v.as_object().ok_or("certificate must be {cert, key}")?;
    let cert: Value = o.get("cert").map_err(|e| e.to_string())?;
    let key: Value = o.get("key").map_err(|e| e.to_string())?;
    Ok((
        pem_of(&cert).map_err(|e| format!("cert: {e}"))?,
        pem_of(&key).map_err(|e| format!("key: {e}"))?,
    ))
}

/// Strings: one, or an array of them.
pub(super) fn strings_of(v: Option<Value<'_>>) -> Result<Vec<String>, String> {
    list_of(
        v,
        |x| x.get::<String>().map_err(|e| e.to_string()),
        |x| {
            x.get::<String>()
                .map_err(|_| "expected a string or an array of strings".into())
        },
    )
}

pub(super) fn versions_of(b: &Builder<'_, '_>, at: usize) -> Result<Versions, String> {
    let name = |k: &str| {
        b.option(at, k)
            .and_then(|v| v.as_string().and_then(|s| s.to_string().ok()))
    };
    Versions::from_names(name("minVersion").as_deref(), name("maxVersion").as_deref())
}
