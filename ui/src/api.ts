// The only module that talks to the engine's admin API (engine/src/admin/README.md).
//
// One `Api` over a `Transport`: plain HTTP to the admin port when the IDE runs in a browser
// (same origin, optional bearer token), or the desktop shell when it runs inside Tauri: the
// engine runs in the shell's process and serves the same API on a loopback port whose URL and
// per-launch token the shell injects (src-tauri/src/ui.rs).

export interface CodebaseInfo {
  name: string;
  main: string;
}

export interface Codebase extends CodebaseInfo {
  files: string[];
  /** Scripts run beside main when the codebase runs (its settings' services). */
  services?: string[];
}

/** A load or script error; file/line/column when the engine knows them. */
export interface ScriptError {
  error: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface ProgramStatus {
  codebase: string | null;
  running: boolean;
  error: ScriptError | null;
}

/** `GET /api/v1/programs`: a codebase that runs (several may), or whose last start failed. */
export interface ProgramInfo {
  name: string;
  running: boolean;
  /** The TCP ports it listens on. */
  ports: number[];
  error: ScriptError | null;
}

export interface LogLine {
  seq: number;
  time: string;
  level: string;
  topic: string;
  /** The codebase (program) that wrote it; empty for the engine's own lines. */
  program?: string;
  message: string;
}

export interface GraphFilter {
  name: string;
  label: string;
  subs: (number | string | null)[];
  /** The filter's line in its module, when known. */
  line?: number | null;
}

export interface GraphLayout {
  id: number | string;
  name: string;
  label: string;
  kind: string;
  module: string;
  /** Line of the module where the layout is declared, when known. */
  line?: number;
  filters: GraphFilter[];
}

export interface Graph {
  roots: { title: string; layout: number | string }[];
  layouts: GraphLayout[];
}

export interface GraphAnswer {
  ascii: string;
  graph: Graph;
}

export interface Tutorial {
  name: string;
  title: string;
  files: string[];
}

/** `GET /api/v1/metrics/summary`: the engine's counters since it started (cumulative). */
export interface MetricsSummary {
  connectionsTotal: number;
  connectionsOpen: number;
  bytes: number;
  /** Responses by status class: `{"2xx": n, "5xx": n, ...}`. */
  responses: Record<string, number>;
  /** Upstream streams that failed. */
  errors: number;
  /** 5xx answers the engine made for failed streams (also among the 5xx responses). */
  errorAnswers?: number;
  scriptExceptions: number;
  /** Upstream response times in seconds: cumulative `[le, count]` buckets, as in Prometheus. */
  upstream: Histogram;
  /** Request head to response head on every listener, in seconds. */
  latency?: Histogram;
  /** Each listening port's responses by status class and response times. */
  listeners?: Record<string, { responses: Record<string, number>; latency: Histogram }>;
}

/** A cumulative histogram: observations, their sum, and `[le, count]` buckets. */
export interface Histogram {
  count: number;
  sum: number;
  buckets: [number, number][];
}

/** What tracing follows (`POST /api/v1/trace`); every field is optional. */
export interface TraceConfig {
  /** Only connections to this listener port. */
  listener?: number | null;
  /** Only HTTP requests whose path starts with this. */
  path?: string | null;
  /** Only HTTP requests with this header: `name` or `name: value`. */
  header?: string | null;
  /** Fraction of matching streams traced, 0..1. */
  sample?: number | null;
}

/** One traced stream, as listed by `GET /api/v1/trace`. Times in µs on the engine's clock. */
export interface TraceSummary {
  id: number;
  start: number;
  end: number;
  records: number;
  /** The request line (`GET /hi HTTP/1.1`), or empty for a stream that is not an HTTP request. */
  summary: string;
}

export interface TraceStatus {
  enabled: boolean;
  config: TraceConfig;
  capacity: number;
  /** Newest first. */
  traces: TraceSummary[];
}

/** One event entering a filter (or leaving a pipeline: `index` null, filter `output`). */
export interface TraceRecord {
  trace: number;
  seq: number;
  /** µs on the engine's clock. */
  time: number;
  /** Pipeline instance id (0 for a joint filter's own step). */
  pipeline: number;
  /** Layout title; empty for an anonymous sub-pipeline. */
  layout: string;
  module: string;
  /** Filter position in its pipeline; null for the pipeline's output or a joint filter's step. */
  index: number | null;
  filter: string;
  context: number;
  event: 'Data' | 'MessageStart' | 'MessageEnd' | 'StreamEnd' | string;
  size: number;
  /** Data preview, head dump or StreamEnd code. */
  detail: string;
}

export interface Trace {
  id: number;
  records: TraceRecord[];
}

/** `POST /api/v1/request`: one traced HTTP/1.1 request to `127.0.0.1:port`. */
export interface RequestSpec {
  port: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface RequestResult {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  /** The trace of the request, or null when the listener did not trace it. */
  trace: number | null;
  ms: number;
}

/** One request of a tutorial's check (`check.json`, `POST /api/v1/check`). */
export interface CheckRequest {
  /** A port of the running program, or `"admin"` for the engine's admin port. */
  port: number | 'admin';
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  tls?: boolean;
  host?: string;
  http2?: boolean;
  /** A raw step: these bytes (as text) are written over plain TCP, and the bytes read back are the body. */
  send?: string;
  /** A raw step's bytes, in base64. */
  sendBase64?: string;
  /** A raw step stops reading after this long (ms) with nothing sent or received. */
  quietMs?: number;
}

/** What the answer must hold; every field is optional. */
export interface CheckExpect {
  status?: number | number[];
  /** Exact text, or a matcher like `{"regex": "..."}`. */
  body?: string | Record<string, unknown>;
  bodyContains?: string | string[];
  /** Names case-insensitive, values exact. */
  headers?: Record<string, string>;
}

export interface CheckResult {
  name: string;
  pass: boolean;
  request: CheckRequest;
  expected: CheckExpect;
  /** What came back; a raw step's answer has only a body. */
  actual: { status?: number; headers?: Record<string, string | string[]>; body: string } | null;
  /** Why no answer came, in plain words. */
  error: string | null;
  /** Each way the answer differs from the expectation. */
  problems: string[];
}

export interface CheckAnswer {
  passed: number;
  failed: number;
  results: CheckResult[];
}

/** Result of a file save: whether it was created and, if the codebase runs, the reload outcome. */
export interface SaveResult {
  created: boolean;
  reload: 'ok' | 'failed' | null;
}

/** A non-2xx answer. `body` is the parsed JSON error when the engine sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ScriptError,
  ) {
    super(body.error || `HTTP ${status}`);
  }

  /** The script location, when the error names one. */
  get location(): Required<ScriptError> | null {
    const b = this.body;
    if (b.file && typeof b.line === 'number') {
      return { error: b.error, file: b.file, line: b.line, column: b.column ?? 1 };
    }
    return null;
  }
}

export class NotAnEventStream extends Error {
  constructor() {
    super('the log stream is not an event stream');
  }
}

// ---------------------------------------------------------------------------------------------
// Transports

export interface Transport {
  readonly kind: 'http' | 'tauri';
  /** Performs one request against the admin API; `path` starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

const TOKEN_KEY = 'sluice.adminToken';

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** HTTP to the admin port: same origin by default, or an explicit base URL. */
export class HttpTransport implements Transport {
  readonly kind: 'http' | 'tauri' = 'http';

  constructor(private readonly base = '') {}

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = getToken();
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return fetch(this.base + path, { ...init, headers });
  }
}

/** The desktop shell: HTTP to the in-process engine's loopback admin URL, with its token. */
export class TauriTransport implements Transport {
  readonly kind = 'tauri';
  private readonly base: string;

  constructor(
    adminUrl: string,
    private readonly token: string | null,
  ) {
    this.base = adminUrl.replace(/\/+$/, '');
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('Authorization', `Bearer ${this.token}`);
    return fetch(this.base + path, { ...init, headers });
  }
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
    __SLUICE_ADMIN__?: string;
    __SLUICE_TOKEN__?: string;
  }
}

export function defaultTransport(): Transport {
  if (window.__TAURI_INTERNALS__ !== undefined) {
    return new TauriTransport(window.__SLUICE_ADMIN__ ?? 'http://127.0.0.1:6060', window.__SLUICE_TOKEN__ ?? null);
  }
  return new HttpTransport();
}

// ---------------------------------------------------------------------------------------------
// The API

const seg = (s: string) => encodeURIComponent(s);

/** `/plugins/a.js` → `/plugins/a.js` with each segment URL-encoded. */
const filePath = (path: string) =>
  '/' +
  path
    .split('/')
    .filter((s) => s !== '')
    .map(seg)
    .join('/');

const json = (body: unknown): RequestInit => ({
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json' },
});

export class Api {
  /** Called when the engine answers 401; the IDE can ask for a token. */
  onUnauthorized: (() => void) | null = null;

  constructor(readonly transport: Transport = defaultTransport()) {}

  // -- codebases

  listCodebases(): Promise<CodebaseInfo[]> {
    return this.getJson('/api/v1/codebases');
  }

  getCodebase(name: string): Promise<Codebase> {
    return this.getJson(`/api/v1/codebases/${seg(name)}`);
  }

  createCodebase(name: string, opts: { main?: string; template?: string } = {}): Promise<CodebaseInfo> {
    return this.sendJson('POST', `/api/v1/codebases/${seg(name)}`, opts);
  }

  /** Registers the local folder `folder` (an absolute path) as the codebase `name`. */
  linkFolder(name: string, folder: string): Promise<CodebaseInfo> {
    return this.sendJson('POST', `/api/v1/codebases/${seg(name)}`, { folder });
  }

  updateCodebase(name: string, patch: { name?: string; main?: string; services?: string[] }): Promise<CodebaseInfo> {
    return this.sendJson('PATCH', `/api/v1/codebases/${seg(name)}`, patch);
  }

  async deleteCodebase(name: string): Promise<void> {
    await this.call('DELETE', `/api/v1/codebases/${seg(name)}`);
  }

  // -- files

  async readFile(codebase: string, path: string): Promise<string> {
    return (await this.call('GET', `/api/v1/codebases/${seg(codebase)}/files${filePath(path)}`)).text();
  }

  async writeFile(codebase: string, path: string, text: string): Promise<SaveResult> {
    const res = await this.call('PUT', `/api/v1/codebases/${seg(codebase)}/files${filePath(path)}`, {
      body: text,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
    const reload = res.headers.get('x-reload');
    return {
      created: res.status === 201,
      reload: reload === 'ok' || reload === 'failed' ? reload : null,
    };
  }

  async deleteFile(codebase: string, path: string): Promise<void> {
    await this.call('DELETE', `/api/v1/codebases/${seg(codebase)}/files${filePath(path)}`);
  }

  // -- program

  getProgram(): Promise<ProgramStatus> {
    return this.getJson('/api/v1/program');
  }

  /** Every codebase that runs, in the order they started, then those whose start failed. */
  listPrograms(): Promise<ProgramInfo[]> {
    return this.getJson('/api/v1/programs');
  }

  /**
   * Starts (or restarts) `codebase` beside the programs already running; rejects with an
   * ApiError carrying the script error, or a 409 naming who holds a port it needs.
   */
  startProgram(codebase: string): Promise<ProgramInfo> {
    return this.sendJson('POST', `/api/v1/programs/${seg(codebase)}`, {});
  }

  /** Reloads the running `codebase`; on failure its old version keeps running. */
  async reloadProgram(codebase: string): Promise<void> {
    await this.call('PATCH', `/api/v1/programs/${seg(codebase)}`);
  }

  /** Stops `codebase`; the other programs keep running. */
  async stopProgram(codebase: string): Promise<void> {
    await this.call('DELETE', `/api/v1/programs/${seg(codebase)}`);
  }

  // -- log

  getLog(after: number): Promise<{ lines: LogLine[]; next: number }> {
    return this.getJson(`/api/v1/log?after=${after}`);
  }

  /**
   * Follows `/api/v1/log/stream` (server-sent events, history first). Implemented over fetch
   * rather than EventSource so that the bearer token can be sent. Resolves when the stream ends;
   * rejects if it cannot be opened or breaks.
   */
  async streamLog(onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    const res = await this.call('GET', '/api/v1/log/stream', {
      headers: { Accept: 'text/event-stream' },
      signal,
    });
    if (!res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      throw new NotAnEventStream();
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let end: number;
      while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
        const event = buf.slice(0, end);
        buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
        const data = event
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) onLine(JSON.parse(data) as LogLine);
      }
    }
  }

  // -- metrics

  getMetricsSummary(): Promise<MetricsSummary> {
    return this.getJson('/api/v1/metrics/summary');
  }

  // -- tracing (the event inspector)

  getTraceStatus(): Promise<TraceStatus> {
    return this.getJson('/api/v1/trace');
  }

  /** Turns tracing on (or changes what it follows). */
  startTracing(config: TraceConfig): Promise<TraceStatus> {
    return this.sendJson('POST', '/api/v1/trace', config);
  }

  /** Turns tracing off; the records stay. */
  async stopTracing(): Promise<void> {
    await this.call('DELETE', '/api/v1/trace');
  }

  /** One trace's records; an ApiError with status 404 once it has left the ring. */
  getTrace(id: number): Promise<Trace> {
    return this.getJson(`/api/v1/trace/${seg(String(id))}`);
  }

  /** Sends one traced request through a listener of the running program. */
  sendRequest(spec: RequestSpec): Promise<RequestResult> {
    return this.sendJson('POST', '/api/v1/request', spec);
  }

  // -- graph, typings, tutorials

  getGraph(codebase: string): Promise<GraphAnswer> {
    return this.getJson(`/api/v1/graph/${seg(codebase)}`);
  }

  /** The graph of the version of `codebase` that runs now. */
  getRunningGraph(codebase: string): Promise<GraphAnswer> {
    return this.getJson(`/api/v1/programs/${seg(codebase)}/graph`);
  }

  async getTypings(): Promise<string> {
    return (await this.call('GET', '/api/v1/typings')).text();
  }

  listTutorials(): Promise<Tutorial[]> {
    return this.getJson('/api/v1/tutorials');
  }

  async readTutorialFile(tutorial: string, path: string): Promise<string> {
    return (await this.call('GET', `/api/v1/tutorials/${seg(tutorial)}${filePath(path)}`)).text();
  }

  copyTutorial(tutorial: string, codebase: string): Promise<CodebaseInfo> {
    return this.sendJson('POST', `/api/v1/tutorials/${seg(tutorial)}/copy`, { codebase });
  }

  /** Runs a check against the running program: a tutorial's own check.json, or a given one. */
  runCheck(spec: { tutorial: string } | { steps: { name: string; request: CheckRequest; expect?: CheckExpect }[] }): Promise<CheckAnswer> {
    return this.sendJson('POST', '/api/v1/check', spec);
  }

  // -- reference and tests (types in reference.ts and tests-panel.ts)

  /** The reference: every filter and every global and class (`GET /api/v1/reference`). */
  getReference<T>(): Promise<T> {
    return this.getJson('/api/v1/reference');
  }

  /** The test files of a codebase: `check.json`, then `tests/*.json`. */
  listTests(codebase: string): Promise<{ files: string[] }> {
    return this.getJson(`/api/v1/tests/${seg(codebase)}`);
  }

  /** Runs a codebase's tests as `engine test` does (a running copy restarts after). */
  runTests<T>(codebase: string, files?: string[]): Promise<T> {
    return this.sendJson('POST', `/api/v1/tests/${seg(codebase)}`, files ? { files } : {});
  }

  // -- plumbing

  private async getJson<T>(path: string): Promise<T> {
    return (await this.call('GET', path)).json() as Promise<T>;
  }

  private async sendJson<T>(method: string, path: string, body: unknown): Promise<T> {
    const res = await this.call(method, path, json(body));
    return res.json() as Promise<T>;
  }

  private async call(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.transport.fetch(path, { ...init, method });
    if (res.ok) return res;
    if (res.status === 401) this.onUnauthorized?.();
    const text = await res.text();
    let body: ScriptError;
    try {
      const parsed = JSON.parse(text);
      body = typeof parsed?.error === 'string' ? parsed : { error: text || res.statusText };
    } catch {
      body = { error: text || `${res.status} ${res.statusText}` };
    }
    throw new ApiError(res.status, body);
  }
}
