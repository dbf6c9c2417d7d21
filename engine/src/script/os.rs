//! `__native.os`: the file-system and process calls behind the `os` global (js/os.js), with
//! Pipy 1.5's semantics. Paths are the file system's, relative to the working directory.

use std::path::{Path, PathBuf};

use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Exception, Object, TypedArray, Value};

pub(super) fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    let o = Object::new(n.ctx().clone())?;
    native_functions!(o, home, chdir, cwd, stat, list, read, write, rename, unlink);
    native_functions!(o, mkdir, rmdir, rm, kill);
    n.set("os", o)?;
    Ok(())
}

fn throw(ctx: &Ctx<'_>, msg: String) -> rquickjs::Error {
    Exception::throw_message(ctx, &msg)
}

/// Removes a file; whether it was removed.
fn unlink(path: String) -> bool {
    std::fs::remove_file(path).is_ok()
}

/// The user's home folder (`$HOME`).
fn home() -> String {
    std::env::var("HOME").unwrap_or_default()
}

fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn chdir(ctx: Ctx<'_>, path: String) -> rquickjs::Result<()> {
    std::env::set_current_dir(&path)
        .map_err(|e| throw(&ctx, format!("cannot change directory to {path}: {e}")))
}

fn seconds(t: std::io::Result<std::time::SystemTime>) -> f64 {
    t.ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `{size, atime, mtime, ctime, mode, dev, ino, nlink, uid, gid, rdev, blksize, blocks, type}`
/// (times in seconds), or null when the path does
/// not exist. The `type` is one of file, directory, symlink, fifo, socket, char, block.
fn stat<'js>(ctx: Ctx<'js>, path: String) -> rquickjs::Result<Value<'js>> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(m) = std::fs::symlink_metadata(&path) else {
        return Ok(Value::new_null(ctx));
    };
    // Like stat(2): a link is followed unless it is dangling.
    let m = if m.file_type().is_symlink() {
        std::fs::metadata(&path).unwrap_or(m)
    } else {
        m
    };
    let ft = m.file_type();
    type Is = fn(&std::fs::FileType) -> bool;
    let kinds: [(Is, &str); 7] = [
        (std::fs::FileType::is_file, "file"),
        (std::fs::FileType::is_dir, "directory"),
        (std::fs::FileType::is_symlink, "symlink"),
        (FileTypeExt::is_fifo, "fifo"),
        (FileTypeExt::is_socket, "socket"),
        (FileTypeExt::is_char_device, "char"),
        (FileTypeExt::is_block_device, "block"),
    ];
    let kind = kinds.iter().find(|(is, _)| is(&ft)).map_or("", |k| k.1);
    let o = Object::new(ctx.clone())?;
    o.set("size", m.len() as f64)?;
    o.set("mode", m.mode())?;
    o.set("dev", m.dev() as f64)?;
    o.set("ino", m.ino() as f64)?;
    o.set("nlink", m.nlink() as f64)?;
    o.set("uid", m.uid())?;
    o.set("gid", m.gid())?;
    o.set("rdev", m.rdev() as f64)?;
    o.set("blksize", m.blksize() as f64)?;
    o.set("blocks", m.blocks() as f64)?;
    o.set("atime", seconds(m.accessed()))?;
    o.set("mtime", seconds(m.modified()))?;
    o.set("ctime", m.ctime() as f64 + m.ctime_nsec() as f64 / 1e9)?;
    o.set("type", kind)?;
    Ok(o.into_value())
}

/// Names in a folder, without hidden ones; folders end with `/`. Empty when it cannot be read.
fn list<'js>(ctx: Ctx<'js>, path: String) -> rquickjs::Result<Array<'js>> {
    let a = Array::new(ctx)?;
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            let dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            Some(if dir { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    for (i, n) in names.into_iter().enumerate() {
        a.set(i, n)?;
    }
    Ok(a)
}

fn read<'js>(ctx: Ctx<'js>, path: String) -> rquickjs::Result<TypedArray<'js, u8>> {
    match std::fs::read(&path) {
        Ok(b) => TypedArray::new(ctx, b),
        Err(e) => Err(throw(&ctx, format!("cannot open file: {path}: {e}"))),
    }
}

fn write(ctx: Ctx<'_>, path: String, bytes: TypedArray<'_, u8>) -> rquickjs::Result<()> {
    std::fs::write(&path, super::convert::typed_bytes(&bytes))
        .map_err(|e| throw(&ctx, format!("cannot open file: {path}: {e}")))
}

fn rename(ctx: Ctx<'_>, from: String, to: String) -> rquickjs::Result<()> {
    std::fs::rename(&from, &to)
        .map_err(|e| throw(&ctx, format!("cannot rename file: {from} -> {to}: {e}")))
}

fn mkdir(ctx: Ctx<'_>, path: String, recursive: Opt<bool>) -> rquickjs::Result<()> {
    let r = if recursive.0.unwrap_or(false) {
        std::fs::create_dir_all(&path)
    } else {
        std::fs::create_dir(&path)
    };
    r.map_err(|e| throw(&ctx, format!("cannot create directory: {path}: {e}")))
}

fn rmdir(ctx: Ctx<'_>, path: String, recursive: bool, force: bool) -> rquickjs::Result<bool> {
    if recursive {
        return rm(ctx, path, recursive, force);
    }
    if force && !Path::new(&path).exists() {
        return Ok(false);
    }
    std::fs::remove_dir(&path)
        .map(|_| true)
        .map_err(|e| throw(&ctx, format!("cannot delete directory: {path}: {e}")))
}

/// Deletes a file, or with `recursive` a folder and everything in it. With `force`, a
/// missing path is not an error (the answer is then false).
fn rm(ctx: Ctx<'_>, path: String, recursive: bool, force: bool) -> rquickjs::Result<bool> {
    let p = PathBuf::from(&path);
    if force && std::fs::symlink_metadata(&p).is_err() {
        return Ok(false);
    }
    let is_dir = std::fs::symlink_metadata(&p)
        .map(|m| m.is_dir())
        .unwrap_or(false);
    let r = if is_dir && recursive {
        std::fs::remove_dir_all(&p)
    } else {
        std::fs::remove_file(&p)
    };
    r.map(|_| true)
        .map_err(|e| throw(&ctx, format!("cannot delete file: {path}: {e}")))
}

/// Sends signal `sig` (a number; 0 only checks the process exists) to process `pid`.
fn kill(ctx: Ctx<'_>, pid: i32, sig: Opt<i32>) -> rquickjs::Result<bool> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let r = unsafe { libc::kill(pid, sig.0.unwrap_or(0)) };
    if r == 0 {
        Ok(true)
    } else {
        let e = std::io::Error::last_os_error();
        tracing::debug!(target: "script", "os.kill({pid}): {e}");
        let _ = ctx;
        Ok(false)
    }
}
