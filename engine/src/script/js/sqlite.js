// Pipy's `sqlite(filename[, flags])`: a Database with exec(sql) (every statement, values as
// text) and sql(statement) giving a Statement to bind, exec or step through. The rows of a
// statement are read whole when it first runs (see script/sqlite.rs).
(() => {
const __N = globalThis.__native;
const S = globalThis.__sluice;
const rowOf = r => {
  if (!r) return r;
  for (const k of Object.keys(r)) if (r[k] instanceof Uint8Array) r[k] = S.dataOf(r[k]);
  return r;
};
const bindable = v => (v instanceof Data ? v._flat() : v);

class Statement {
  constructor(db, sql) { this._db = db; this._sql = sql; this._binds = new Map(); this._rows = null; this._at = -1; }
  // Binds parameter i (from 1) to a value: null, a boolean, a number, a string or a Data.
  bind(i, v) { this._binds.set(i | 0, bindable(v)); return this; }
  // Starts over (bindings stay).
  reset() { this._rows = null; this._at = -1; return this; }
  _run() { return this._db._query(this._sql, [...this._binds.entries()]).map(rowOf); }
  // Runs the statement and returns its rows.
  exec() { this.reset(); return this._run(); }
  // Moves to the next row: false while there is one, true when done.
  step() {
    if (this._rows === null) { this._rows = this._run(); this._at = -1; }
    this._at++;
    return this._at >= this._rows.length;
  }
  // The current row, as an object keyed by column name.
  row() { return this._rows ? this._rows[this._at] : undefined; }
  // The value of column i (from 0) of the current row.
  column(i) { const r = this.row(); return r ? Object.values(r)[i] : undefined; }
}

class Database {
  constructor(filename, flags) { this._id = __N.sqlite.open(String(filename), flags | 0); }
  _query(sql, binds) {
    if (!this._id) throw new Error('Database is closed');
    return __N.sqlite.query(this._id, sql, binds);
  }
  // Prepares one statement.
  sql(sql) {
    if (!this._id) throw new Error('Database is closed');
    return new Statement(this, String(sql));
  }
  // Runs every statement of sql; the rows' values come back as strings (or null).
  exec(sql) {
    if (!this._id) throw new Error('Database is closed');
    return __N.sqlite.exec(this._id, String(sql));
  }
  close() { if (this._id) { __N.sqlite.close(this._id); this._id = 0; } }
}

globalThis.sqlite = (filename, flags) => {
  if (typeof filename !== 'string') throw new TypeError('sqlite(): expects a file name');
  return new Database(filename, flags);
};
})();
