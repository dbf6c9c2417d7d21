//! `__native.sqlite`: SQLite databases for Pipy's `sqlite(filename)` global (js/sqlite.js).
//!
//! Each open database is a connection kept by this worker thread under a number. A
//! statement's rows are read whole when it runs and handed to the script as objects keyed by
//! column name: numbers, strings, `null`, and blobs as bytes (the script wraps them in Data).

use std::cell::RefCell;
use std::collections::HashMap;

use rquickjs::{Array, Ctx, Exception, Object, TypedArray, Value};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;

use super::Primitive;

thread_local! {
    static DATABASES: RefCell<(u32, HashMap<u32, Connection>)> = RefCell::new((0, HashMap::new()));
}

pub(super) fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    let o = Object::new(n.ctx().clone())?;
    native_functions!(o, open, close, exec, query);
    n.set("sqlite", o)?;
    Ok(())
}

fn fail(ctx: &Ctx<'_>, e: impl std::fmt::Display) -> rquickjs::Error {
    Exception::throw_message(ctx, &format!("SQLite error: {e}"))
}

/// Opens (creating it if needed) the database file; `flags` as SQLite's open flags (0: read,
/// write and create).
fn open(ctx: Ctx<'_>, filename: String, flags: Option<i32>) -> rquickjs::Result<u32> {
    let conn = match flags.filter(|f| *f != 0) {
        Some(f) => {
            Connection::open_with_flags(&filename, rusqlite::OpenFlags::from_bits_truncate(f))
        }
        None => Connection::open(&filename),
    }
    .map_err(|e| fail(&ctx, e))?;
    Ok(DATABASES.with(|d| {
        let mut d = d.borrow_mut();
        d.0 += 1;
        let id = d.0;
        d.1.insert(id, conn);
        id
    }))
}

fn close(id: u32) {
    DATABASES.with(|d| d.borrow_mut().1.remove(&id));
}

fn with_db<R>(
    ctx: &Ctx<'_>,
    id: u32,
    f: impl FnOnce(&Connection) -> Result<R, rusqlite::Error>,
) -> rquickjs::Result<R> {
    DATABASES.with(|d| {
        let d = d.borrow();
        let conn =
            d.1.get(&id)
                .ok_or_else(|| Exception::throw_message(ctx, "Database is closed"))?;
        f(conn).map_err(|e| fail(ctx, e))
    })
}

/// A result row: each column's name and value.
type Row = Vec<(String, SqlValue)>;

/// Adds every row `stmt` gives to `out`, each value as `read` takes it.
fn collect_rows(
    stmt: &mut rusqlite::Statement<'_>,
    read: fn(ValueRef<'_>) -> SqlValue,
    out: &mut Vec<Row>,
) -> rusqlite::Result<()> {
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        let mut r = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            r.push((name.clone(), read(row.get_ref(i)?)));
        }
        out.push(r);
    }
    Ok(())
}

/// The rows as an array of objects: null, numbers, strings and `Uint8Array`s.
fn rows_to_js<'js>(ctx: &Ctx<'js>, rows: Vec<Row>) -> rquickjs::Result<Array<'js>> {
    let a = Array::new(ctx.clone())?;
    for (i, row) in rows.into_iter().enumerate() {
        let o = Object::new(ctx.clone())?;
        for (k, v) in row {
            let v: Value = match v {
                SqlValue::Null => Value::new_null(ctx.clone()),
                SqlValue::Integer(n) => Value::new_number(ctx.clone(), n as f64),
                SqlValue::Real(f) => Value::new_number(ctx.clone(), f),
                SqlValue::Text(s) => rquickjs::String::from_str(ctx.clone(), &s)?.into_value(),
                SqlValue::Blob(b) => TypedArray::<u8>::new(ctx.clone(), b)?.into_value(),
            };
            o.set(k, v)?;
        }
        a.set(i, o)?;
    }
    Ok(a)
}

/// Runs every statement of `sql`; rows come back with every value as text (or null), as
/// SQLite's `sqlite3_exec` gives them.
fn exec<'js>(ctx: Ctx<'js>, id: u32, sql: String) -> rquickjs::Result<Array<'js>> {
    let rows = with_db(&ctx, id, |conn| {
        let mut out = Vec::new();
        let mut batch = rusqlite::Batch::new(conn, &sql);
        while let Some(mut stmt) = batch.next()? {
            collect_rows(&mut stmt, text_of, &mut out)?;
        }
        Ok(out)
    })?;
    rows_to_js(&ctx, rows)
}

/// A value as `sqlite3_exec` gives it: text, or null.
fn text_of(v: ValueRef<'_>) -> SqlValue {
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Text(i.to_string()),
        ValueRef::Real(f) => SqlValue::Text(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            SqlValue::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

/// Runs one statement with its bound parameters (`binds`: `[[index, value], ...]`, values
/// being null, booleans, numbers, strings or byte arrays) and returns every row it gives.
fn query<'js>(
    ctx: Ctx<'js>,
    id: u32,
    sql: String,
    binds: Array<'js>,
) -> rquickjs::Result<Array<'js>> {
    let mut params: Vec<(usize, SqlValue)> = Vec::new();
    for b in binds.iter::<Array>() {
        let b = b?;
        let i: usize = b.get(0)?;
        let v: Value = b.get(1)?;
        params.push((i, sql_value(&v)));
    }
    let rows = with_db(&ctx, id, |conn| {
        let mut stmt = conn.prepare(&sql)?;
        for (i, v) in &params {
            stmt.raw_bind_parameter(*i, v)?;
        }
        let mut out = Vec::new();
        collect_rows(&mut stmt, |v| SqlValue::from(v), &mut out)?;
        Ok(out)
    })?;
    rows_to_js(&ctx, rows)
}

fn sql_value(v: &Value<'_>) -> SqlValue {
    if v.is_undefined() {
        return SqlValue::Null;
    }
    if let Some(p) = Primitive::of(v) {
        return match p {
            Primitive::Null => SqlValue::Null,
            Primitive::Bool(b) => SqlValue::Integer(i64::from(b)),
            Primitive::Int(i) => SqlValue::Integer(i),
            Primitive::Float(f) => SqlValue::Real(f),
            Primitive::Str(s) => SqlValue::Text(s),
        };
    }
    if let Ok(a) = TypedArray::<u8>::from_value(v.clone()) {
        return SqlValue::Blob(super::convert::typed_bytes(&a).to_vec());
    }
    SqlValue::Text(
        v.get::<rquickjs::Coerced<String>>()
            .map(|s| s.0)
            .unwrap_or_default(),
    )
}
