//! `__native.staticFile`: a file for `http.File` / `http.Directory` (js/http_static.js), with
//! what HTTP caching needs: its modification time and an entity tag made from its bytes.

use rquickjs::function::Func;
use rquickjs::{Ctx, Exception, Object, TypedArray, Value};

pub(super) fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    n.set("staticFile", Func::from(static_file))?;
    n.set(
        "etag",
        Func::from(|a: TypedArray<'_, u8>| etag(super::convert::typed_bytes(&a))),
    )?;
    Ok(())
}

/// Reads `path` from the codebase (or, with `from_fs`, from the file system) and answers
/// `{data, mtime, etag}` (mtime in seconds since the epoch), or null when there is no such
/// file.
fn static_file<'js>(ctx: Ctx<'js>, path: String, from_fs: bool) -> rquickjs::Result<Value<'js>> {
    let full = if from_fs {
        std::path::PathBuf::from(&path)
    } else {
        let script = super::script();
        let cb = script.codebase();
        let p = cb
            .normalize(&path)
            .map_err(|e| Exception::throw_message(&ctx, &e))?;
        if let Some(bytes) = cb.patched(&p) {
            // Patched in memory (`pipy.patch`): new as of now.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as f64)
                .unwrap_or(0.0);
            return file_object(ctx, bytes, now);
        }
        cb.full_path(&p)
    };
    let meta = match std::fs::metadata(&full) {
        Ok(m) if m.is_file() => m,
        _ => return Ok(Value::new_null(ctx)),
    };
    let bytes = match std::fs::read(&full) {
        Ok(b) => b,
        Err(_) => return Ok(Value::new_null(ctx)),
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as f64)
        .unwrap_or(0.0);
    file_object(ctx, bytes, mtime)
}

/// `{data, mtime, etag}` for a file's bytes.
fn file_object(ctx: Ctx<'_>, bytes: Vec<u8>, mtime: f64) -> rquickjs::Result<Value<'_>> {
    let o = Object::new(ctx.clone())?;
    o.set("etag", etag(&bytes))?;
    o.set("mtime", mtime)?;
    o.set("data", TypedArray::<u8>::new(ctx, bytes)?)?;
    Ok(o.into_value())
}

/// A strong entity tag from the content: its length and a 64-bit FNV-1a hash.
fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{:x}-{:016x}\"", bytes.len(), h)
}
