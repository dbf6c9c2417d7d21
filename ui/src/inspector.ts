// The event inspector: tracing controls, the traced streams (polled once a second while the
// panel is shown), a sequence view of one trace and a request runner.
//
// The sequence view has a column (lane) per distinct pipeline instance and layout, in the order
// they first appear, and a row per record in time order: the filter the event entered (or the
// pipeline's `output`) and the event kind, with the time from the first record. Clicking a row
// shows the record's details (head dump, data preview or StreamEnd code).
//
// The request runner sends one HTTP request through a listener of the running program with
// `POST /api/v1/request`; the engine traces it, and its trace opens next to the response.

import { h, clear } from './dom';
import {
  ApiError,
  type Api,
  type GraphAnswer,
  type ProgramStatus,
  type RequestResult,
  type RequestSpec,
  type Trace,
  type TraceConfig,
  type TraceRecord,
  type TraceStatus,
  type TraceSummary,
} from './api';

/** What "Save as test" starts from: a request the runner sent and its answer, or a trace. */
export type SaveSource = { request: RequestSpec; result: RequestResult } | { trace: Trace; port: number };

const POLL_MS = 1000;
const RETRY_MS = 3000;
/** Traces listed at most (newest first). */
const LIST_MAX = 300;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** The ports of a graph's listeners, from their labels (`Listen on :::8000`), in order. */
export function listenPorts(answer: GraphAnswer | null): number[] {
  const ports: number[] = [];
  for (const l of answer?.graph?.layouts ?? []) {
    if (l.kind !== 'listen') continue;
    const m = /:(\d{1,5})\s*$/.exec(l.label ?? '');
    const port = m ? Number(m[1]) : NaN;
    if (port > 0 && port < 65536 && !ports.includes(port)) ports.push(port);
  }
  return ports;
}

/**
 * Why a record marks a failure, or null: a stream that ended with an error code (like
 * ConnectionRefused), or a response head with a 5xx status.
 */
export function failureOf(r: TraceRecord): string | null {
  if (r.event === 'StreamEnd' && r.detail) return `the stream ended with ${r.detail}`;
  const status = r.event === 'MessageStart' ? /\bstatus["']?\s*:\s*(5\d\d)\b/.exec(r.detail ?? '') : null;
  return status ? `a ${status[1]} response` : null;
}

/** `Name: value` lines → a header object; blank lines are skipped. Throws on a malformed line. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!name || /\s/.test(name)) throw new Error(`Header line ${i + 1} is not "Name: value".`);
    headers[name] = line.slice(colon + 1).trim();
  });
  return headers;
}

export interface Lane {
  key: string;
  pipeline: number;
  layout: string;
  module: string;
  /** A joint filter's own step (demuxHTTP, connect, ...), not a pipeline of the script. */
  joint: boolean;
  title: string;
  subtitle: string;
  /** The filters seen in this lane, by position. */
  filters: string[];
}

const laneKey = (r: TraceRecord) => `${r.pipeline}\u0000${r.layout}\u0000${r.module}`;

/** The distinct (pipeline instance, layout) lanes of some records, in order of first appearance. */
export function lanesOf(records: TraceRecord[]): Lane[] {
  const lanes = new Map<string, Lane & { seen: Map<number, string> }>();
  for (const r of records) {
    const key = laneKey(r);
    let lane = lanes.get(key);
    if (!lane) {
      const joint = !r.module;
      lane = {
        key,
        pipeline: r.pipeline,
        layout: r.layout,
        module: r.module,
        joint,
        title: r.layout || (joint ? r.filter : 'anonymous'),
        subtitle: joint ? 'joint filter' : `${r.module} · #${r.pipeline}`,
        filters: [],
        seen: new Map(),
      };
      lanes.set(key, lane);
    }
    if (r.index !== null && r.index !== undefined && !lane.seen.has(r.index)) lane.seen.set(r.index, r.filter);
  }
  return [...lanes.values()].map(({ seen, ...lane }) => ({
    ...lane,
    filters: [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f),
  }));
}

/** Records in time order (sequence numbers break ties). */
export function inTimeOrder(records: TraceRecord[]): TraceRecord[] {
  return [...records].sort((a, b) => a.time - b.time || a.seq - b.seq);
}

/** `Data 85 B`, `MessageStart`, ... */
export function eventText(r: TraceRecord): string {
  return r.event === 'Data' ? `Data ${r.size} B` : r.event;
}

/** The first line of a detail, shortened, for the row. */
export function detailLine(detail: string, max = 90): string {
  const line = (detail ?? '').split(/\r?\n/)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** µs → `240 µs`, `1.32 ms`, `2.50 s`. */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '—';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

/** Shows invisible characters of a data preview: `\r\n` as `↵` line ends. */
function showControl(text: string): string {
  return text.replace(/\r\n/g, '↵\n').replace(/\r/g, '␍').replace(/\t/g, '→\t');
}

// ---------------------------------------------------------------------------------------------
// The panel

export class Inspector {
  readonly el: HTMLElement;

  // tracing controls
  private readonly toggle: HTMLButtonElement;
  private readonly apply: HTMLButtonElement;
  private readonly statusText: HTMLElement;
  private readonly listenerInput: HTMLInputElement;
  private readonly pathInput: HTMLInputElement;
  private readonly headerInput: HTMLInputElement;
  private readonly sampleInput: HTMLInputElement;

  // request runner
  private readonly method: HTMLSelectElement;
  private readonly port: HTMLInputElement;
  private readonly portList: HTMLDataListElement;
  private readonly path: HTMLInputElement;
  private readonly headers: HTMLTextAreaElement;
  private readonly body: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly response: HTMLElement;

  // traces
  private readonly list: HTMLElement;
  private readonly listNote: HTMLElement;
  private readonly sequence: HTMLElement;
  private readonly seqTitle: HTMLElement;
  private readonly detail: HTMLElement;

  private status: TraceStatus | null = null;
  private listKey = '';
  private selected: number | null = null;
  private trace: Trace | null = null;
  private selectedSeq: number | null = null;
  private loadSeq = 0;
  private portTouched = false;
  private programCodebase: string | null = null;
  private configShown = false;

  private shown = false;
  private timer: number | null = null;
  private generation = 0;

  /** "Save as test" on a runner result or a trace (set by the Tests panel's owner). */
  onSaveAsTest: ((source: SaveSource) => void) | null = null;
  /** The runner's last request and its answer. */
  private lastSent: { request: RequestSpec; result: RequestResult } | null = null;

  constructor(private readonly api: Api) {
    // -- tracing controls
    this.toggle = h('button.primary', { 'data-testid': 'trace-toggle', onclick: () => void this.toggleTracing() }, 'Start tracing');
    this.apply = h(
      'button',
      { 'data-testid': 'trace-apply', hidden: true, title: 'Trace with these settings', onclick: () => void this.startTracing() },
      'Apply',
    );
    this.statusText = h('span.insp-status.muted', { 'data-testid': 'trace-status' }, '…');
    const field = (testid: string, placeholder: string, title: string, type = 'text') =>
      h('input', { type, placeholder, title, 'data-testid': testid, spellcheck: false, onkeydown: this.onEnter(() => this.startTracing()) });
    this.listenerInput = field('trace-listener', 'any port', 'Only connections to this listener port', 'number');
    this.listenerInput.min = '1';
    this.listenerInput.max = '65535';
    this.pathInput = field('trace-path', 'any path', 'Only HTTP requests whose path starts with this');
    this.headerInput = field('trace-header', 'any header', 'Only HTTP requests with this header: "name" or "name: value"');
    this.sampleInput = field('trace-sample', '1', 'Fraction of matching streams to trace, 0..1', 'number');
    this.sampleInput.min = '0';
    this.sampleInput.max = '1';
    this.sampleInput.step = '0.05';

    // -- request runner
    this.method = h('select', { 'data-testid': 'runner-method', title: 'Method' }, METHODS.map((m) => h('option', { value: m }, m)));
    this.portList = h('datalist', { id: 'runner-ports' });
    this.port = h('input.runner-port', {
      type: 'number',
      min: 1,
      max: 65535,
      placeholder: 'port',
      title: 'Listener port of the running program',
      'data-testid': 'runner-port',
      oninput: () => (this.portTouched = true),
      onkeydown: this.onEnter(() => this.sendRequest()),
    });
    this.port.setAttribute('list', 'runner-ports');
    this.path = h('input.runner-path', {
      type: 'text',
      value: '/',
      placeholder: '/path?query',
      spellcheck: false,
      'data-testid': 'runner-path',
      onkeydown: this.onEnter(() => this.sendRequest()),
    });
    const ctrlEnter = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void this.sendRequest();
      }
    };
    this.headers = h('textarea', {
      rows: 2,
      spellcheck: false,
      placeholder: 'Name: value (one a line)',
      'data-testid': 'runner-headers',
      onkeydown: ctrlEnter,
    });
    this.body = h('textarea', { rows: 2, spellcheck: false, placeholder: 'body', 'data-testid': 'runner-body', onkeydown: ctrlEnter });
    this.send = h('button.primary', { 'data-testid': 'runner-send', onclick: () => void this.sendRequest(), title: 'Send (Enter)' }, 'Send');
    this.response = h('div.runner-response', { 'data-testid': 'runner-response', hidden: true });

    // -- traces and the sequence view
    this.list = h('div.trace-list', { 'data-testid': 'trace-list' });
    this.listNote = h('span.muted', {});
    this.seqTitle = h('span.muted', { 'data-testid': 'trace-sequence-title' }, 'Select a trace.');
    this.sequence = h('div.trace-sequence', { 'data-testid': 'trace-sequence' });
    this.detail = h('div.trace-detail', { 'data-testid': 'trace-detail', hidden: true });

    this.el = h(
      'section.inspector',
      { 'data-testid': 'inspector' },
      h(
        'div.insp-block.insp-controls',
        {},
        h('div.insp-row', {}, this.toggle, this.apply, this.statusText),
        h(
          'div.insp-row.insp-fields',
          {},
          h('label', {}, 'Listener ', this.listenerInput),
          h('label', {}, 'Path ', this.pathInput),
          h('label', {}, 'Header ', this.headerInput),
          h('label', {}, 'Sample ', this.sampleInput),
        ),
      ),
      h(
        'details.insp-block',
        { open: true, 'data-testid': 'request-runner' },
        h('summary', {}, 'Request runner'),
        h(
          'div.runner',
          {},
          h('div.insp-row', {}, this.method, h('span.muted', {}, '127.0.0.1:'), this.port, this.portList, this.path, this.send),
          h(
            'div.runner-texts',
            {},
            h('label', {}, h('span.muted', {}, 'Headers'), this.headers),
            h('label', {}, h('span.muted', {}, 'Body'), this.body),
          ),
        ),
        this.response,
      ),
      h(
        'div.insp-block',
        {},
        h('div.insp-heading', {}, h('span', {}, 'Traced streams'), this.listNote),
        this.list,
      ),
      h(
        'div.insp-block.insp-seq-block',
        {},
        h(
          'div.insp-heading',
          {},
          h('span', {}, 'Sequence'),
          this.seqTitle,
          h('span.spacer', {}),
          h('button.link', { 'data-testid': 'trace-save-test', title: 'Save this request as a test', onclick: () => this.saveTraceAsTest() }, 'Save as test'),
        ),
        this.sequence,
        this.detail,
      ),
    );
    this.renderList([]);
    document.addEventListener('visibilitychange', () => this.update());
  }

  // -- outside events

  /** The panel is shown or hidden: the list is polled only while it is shown. */
  setVisible(visible: boolean): void {
    this.shown = visible;
    this.update();
  }

  /** The program status: its listeners prefill the runner's port. */
  setProgram(status: ProgramStatus): void {
    const cb = status.running ? status.codebase : null;
    if (cb === this.programCodebase) return;
    this.programCodebase = cb;
    // Another program: the runner starts again from its first listening port.
    this.portTouched = false;
    if (cb) void this.loadPorts(cb);
  }

  /** A fresh graph of `codebase` (after a save, say): new listeners when it is the running one. */
  setGraph(codebase: string, answer: GraphAnswer): void {
    if (codebase === this.programCodebase) this.setPorts(listenPorts(answer));
  }

  /** Shows a trace in the sequence view. */
  async open(id: number): Promise<void> {
    this.selected = id;
    this.selectedSeq = null;
    this.markSelected();
    await this.loadTrace(id);
  }

  // -- polling

  private update(): void {
    const active = this.shown && document.visibilityState !== 'hidden';
    if (active === (this.timer !== null)) return;
    this.generation++;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    if (active) {
      this.schedule(0);
      if (this.programCodebase && !this.port.value) void this.loadPorts(this.programCodebase);
    }
  }

  private schedule(delay: number): void {
    const gen = this.generation;
    this.timer = window.setTimeout(() => void this.poll(gen), delay);
  }

  private async poll(gen: number): Promise<void> {
    const started = performance.now();
    let delay = POLL_MS;
    try {
      const status = await this.api.getTraceStatus();
      if (gen !== this.generation) return;
      this.showStatus(status);
    } catch (e) {
      if (gen !== this.generation) return;
      this.statusText.textContent = `Tracing status unavailable: ${(e as Error).message}`;
      this.statusText.classList.add('error');
      delay = RETRY_MS;
    }
    this.schedule(Math.max(0, delay - (performance.now() - started)));
  }

  /** One poll now (after an action), besides the timer. */
  private async refresh(): Promise<void> {
    try {
      this.showStatus(await this.api.getTraceStatus());
    } catch (e) {
      this.statusText.textContent = `Tracing status unavailable: ${(e as Error).message}`;
      this.statusText.classList.add('error');
    }
  }

  // -- tracing controls

  private showStatus(status: TraceStatus): void {
    this.status = status;
    const on = !!status.enabled;
    this.toggle.textContent = on ? 'Stop tracing' : 'Start tracing';
    this.toggle.classList.toggle('primary', !on);
    this.toggle.dataset.enabled = String(on);
    this.apply.hidden = !on;
    const c = status.config ?? {};
    if (!this.configShown) {
      this.configShown = true;
      if (on) this.fillConfig(c);
    }
    const what = [
      c.listener ? `listener :${c.listener}` : null,
      c.path ? `path ${c.path}*` : null,
      c.header ? `header ${c.header}` : null,
      typeof c.sample === 'number' && c.sample < 1 ? `${Math.round(c.sample * 100)}% sampled` : null,
    ].filter(Boolean);
    this.statusText.classList.remove('error');
    this.statusText.dataset.enabled = String(on);
    this.statusText.textContent = on
      ? `On: ${what.length ? what.join(', ') : 'every stream'}.`
      : 'Off: only requests with x-sluice-trace (as the runner sends) are traced.';
    this.renderList(status.traces ?? []);
    // The selected trace grew (a stream still running): show its new records.
    if (this.selected !== null && this.trace?.id === this.selected) {
      const t = status.traces?.find((x) => x.id === this.selected);
      if (t && t.records !== this.trace.records.length) void this.loadTrace(this.selected, true);
    }
  }

  private fillConfig(c: TraceConfig): void {
    this.listenerInput.value = c.listener ? String(c.listener) : '';
    this.pathInput.value = c.path ?? '';
    this.headerInput.value = c.header ?? '';
    this.sampleInput.value = typeof c.sample === 'number' && c.sample !== 1 ? String(c.sample) : '';
  }

  /** The settings in the fields; throws on a bad value. */
  private config(): TraceConfig {
    const config: TraceConfig = {};
    const listener = this.listenerInput.value.trim();
    if (listener) {
      const port = Number(listener);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('The listener port is 1..65535.');
      config.listener = port;
    }
    const path = this.pathInput.value.trim();
    if (path) config.path = path;
    const header = this.headerInput.value.trim();
    if (header) config.header = header;
    const sample = this.sampleInput.value.trim();
    if (sample) {
      const v = Number(sample);
      if (!(v >= 0 && v <= 1)) throw new Error('The sample rate is 0..1.');
      config.sample = v;
    }
    return config;
  }

  private async toggleTracing(): Promise<void> {
    if (this.status?.enabled) {
      await this.act(async () => {
        await this.api.stopTracing();
        await this.refresh();
      });
    } else {
      await this.startTracing();
    }
  }

  private async startTracing(): Promise<void> {
    await this.act(async () => {
      this.showStatus(await this.api.startTracing(this.config()));
    });
  }

  private async act(action: () => Promise<void>): Promise<void> {
    this.toggle.disabled = this.apply.disabled = true;
    try {
      await action();
    } catch (e) {
      this.statusText.textContent = (e as Error).message;
      this.statusText.classList.add('error');
    } finally {
      this.toggle.disabled = this.apply.disabled = false;
    }
  }

  // -- the list of traces

  private renderList(traces: TraceSummary[]): void {
    const shown = traces.slice(0, LIST_MAX);
    const key = JSON.stringify(shown);
    if (key === this.listKey) return;
    this.listKey = key;
    this.listNote.textContent = traces.length > LIST_MAX ? `newest ${LIST_MAX} of ${traces.length}` : traces.length ? `${traces.length}` : '';
    clear(this.list);
    if (shown.length === 0) {
      this.list.append(h('div.muted.pad', {}, 'No traces yet. Send a request with the runner, or start tracing.'));
      return;
    }
    const rows = shown.map((t) =>
      h(
        'tr.trace-item',
        {
          'data-testid': 'trace-item',
          'data-id': String(t.id),
          class: t.id === this.selected ? 'selected' : '',
          onclick: () => void this.open(t.id),
        },
        h('td.num', {}, `#${t.id}`),
        h('td.trace-summary', { title: t.summary }, t.summary || h('span.muted', {}, '(stream, no HTTP request)')),
        h('td.num', { title: 'Duration' }, formatMicros(t.end - t.start)),
        h('td.num', { title: 'Records' }, String(t.records)),
      ),
    );
    this.list.append(
      h(
        'table.trace-table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Id'), h('th', {}, 'Summary'), h('th.num', {}, 'Duration'), h('th.num', {}, 'Records'))),
        h('tbody', {}, rows),
      ),
    );
  }

  private markSelected(): void {
    for (const row of this.list.querySelectorAll<HTMLElement>('.trace-item')) {
      row.classList.toggle('selected', row.dataset.id === String(this.selected));
    }
  }

  // -- the sequence view

  private async loadTrace(id: number, quiet = false): Promise<void> {
    const seq = ++this.loadSeq;
    if (!quiet) this.seqTitle.textContent = `Trace #${id}: loading…`;
    try {
      const trace = await this.api.getTrace(id);
      if (seq !== this.loadSeq || this.selected !== id) return;
      this.trace = trace;
      this.renderSequence(trace);
    } catch (e) {
      if (seq !== this.loadSeq || this.selected !== id) return;
      this.trace = null;
      clear(this.sequence);
      this.detail.hidden = true;
      this.seqTitle.textContent =
        e instanceof ApiError && e.status === 404
          ? `Trace #${id} is gone (it rolled out of the buffer).`
          : `Trace #${id}: ${(e as Error).message}`;
    }
  }

  private renderSequence(trace: Trace): void {
    const records = inTimeOrder(trace.records ?? []);
    const lanes = lanesOf(records);
    const column = new Map(lanes.map((l, i) => [l.key, i]));
    const t0 = records.length ? records[0].time : 0;
    const span = records.length ? records[records.length - 1].time - t0 : 0;
    this.seqTitle.textContent = `Trace #${trace.id}: ${records.length} records, ${lanes.length} lanes, ${formatMicros(span)}`;
    clear(this.sequence);
    if (records.length === 0) {
      this.sequence.append(h('div.muted.pad', {}, 'No records.'));
      this.detail.hidden = true;
      return;
    }
    const head = h(
      'tr',
      {},
      h('th.num', {}, '#'),
      h('th.num', { title: 'µs from the first record' }, '+µs'),
      lanes.map((l) =>
        h(
          'th.lane-head',
          { class: l.joint ? 'joint' : '', 'data-testid': 'trace-lane', title: `${l.title}\n${l.subtitle}${l.filters.length ? `\n${l.filters.join(' → ')}` : ''}` },
          h('div.lane-title', { class: l.layout ? '' : 'anon' }, l.title),
          h('div.lane-sub', {}, l.subtitle),
          l.filters.length ? h('div.lane-filters', {}, l.filters.join(' › ')) : null,
        ),
      ),
      h('th', {}, 'Detail'),
    );
    let prevLane = -1;
    const rows = records.map((r, i) => {
      const lane = column.get(laneKey(r)) ?? 0;
      const cells = lanes.map((_, c) => {
        if (c !== lane) return h('td.lane', { class: between(c, prevLane, lane) ? 'passing' : '' });
        return h(
          'td.lane.lane-hit',
          {},
          h(
            'span.chip',
            { 'data-event': r.event, class: r.index === null ? 'out' : '' },
            h('span.chip-filter', {}, r.filter),
            ' ',
            h('span.chip-event', {}, eventText(r)),
          ),
        );
      });
      prevLane = lane;
      const failure = failureOf(r);
      return h(
        'tr.seq-row',
        {
          'data-testid': 'trace-row',
          'data-seq': String(r.seq),
          'data-event': r.event,
          'data-failed': failure ? 'true' : undefined,
          title: failure ? `Failure: ${failure}` : undefined,
          class: [r.seq === this.selectedSeq ? 'selected' : '', failure ? 'failed' : ''].filter(Boolean).join(' '),
          onclick: () => this.select(r, lanes[lane], t0),
        },
        h('td.num.muted', {}, String(i + 1)),
        h('td.num.time', {}, String(r.time - t0)),
        cells,
        h('td.seq-detail', { title: r.detail }, detailLine(r.detail)),
      );
    });
    this.sequence.append(h('table.seq-table', {}, h('thead', {}, head), h('tbody', {}, rows)));
    const again = records.find((r) => r.seq === this.selectedSeq);
    if (again) this.select(again, lanes[column.get(laneKey(again)) ?? 0], t0);
    else this.detail.hidden = true;
  }

  private select(r: TraceRecord, lane: Lane, t0: number): void {
    this.selectedSeq = r.seq;
    for (const row of this.sequence.querySelectorAll<HTMLElement>('.seq-row')) {
      row.classList.toggle('selected', row.dataset.seq === String(r.seq));
    }
    const where =
      r.index === null || r.index === undefined
        ? lane.joint
          ? 'the joint filter’s own step'
          : 'the pipeline’s output'
        : `filter ${r.index} of the pipeline`;
    let text = r.detail ?? '';
    if (r.event === 'Data') text = showControl(text);
    if (!text) text = r.event === 'StreamEnd' ? '(no error)' : '(nothing)';
    const kv = (k: string, v: string | Node) => [h('dt', {}, k), h('dd', {}, v)];
    clear(this.detail);
    this.detail.hidden = false;
    this.detail.append(
      h('div.detail-title', {}, h('span.chip', { 'data-event': r.event }, eventText(r)), ' ', h('b', {}, r.filter), ` at +${r.time - t0} µs`),
      h(
        'dl.detail-grid',
        {},
        kv('Filter', `${r.filter} (${where}${r.index !== null && r.index !== undefined ? `, index ${r.index}` : ''})`),
        kv('Pipeline', lane.joint ? `${lane.title} (joint filter)` : `#${r.pipeline} ${r.layout || '(anonymous)'} in ${r.module}`),
        kv('Context', String(r.context)),
        kv('Event', r.event === 'Data' ? `Data, ${r.size} bytes${r.size > r.detail.length ? ' (preview below)' : ''}` : r.event),
        kv('Sequence', `${r.seq} (trace ${r.trace})`),
      ),
      h('pre.detail-text', { 'data-testid': 'trace-detail-text' }, text),
    );
  }

  // -- the request runner

  private async loadPorts(codebase: string): Promise<void> {
    try {
      const answer = await this.api.getGraph(codebase);
      if (codebase === this.programCodebase) this.setPorts(listenPorts(answer));
    } catch {
      // a codebase that does not load has no listeners to offer
    }
  }

  private setPorts(ports: number[]): void {
    this.portList.replaceChildren(...ports.map((p) => h('option', { value: String(p) })));
    this.port.title = ports.length ? `Listener port (the program listens on ${ports.join(', ')})` : 'Listener port';
    if (!this.portTouched && ports.length) this.port.value = String(ports[0]);
  }

  private async sendRequest(): Promise<void> {
    const port = Number(this.port.value);
    let headers: Record<string, string>;
    try {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('Enter the listener port (1..65535).');
      headers = parseHeaders(this.headers.value);
    } catch (e) {
      this.showResponseError((e as Error).message);
      return;
    }
    let path = this.path.value.trim() || '/';
    if (!path.startsWith('/')) path = `/${path}`;
    const body = this.body.value;
    this.send.disabled = true;
    this.response.hidden = false;
    this.response.classList.add('pending');
    try {
      const request: RequestSpec = { port, method: this.method.value, path, headers, ...(body ? { body } : {}) };
      const result = await this.api.sendRequest(request);
      this.lastSent = { request, result };
      this.showResponse(result);
      await this.refresh();
      if (typeof result.trace === 'number') await this.open(result.trace);
    } catch (e) {
      this.showResponseError(e instanceof ApiError ? `No answer: ${e.message}` : (e as Error).message);
    } finally {
      this.send.disabled = false;
      this.response.classList.remove('pending');
    }
  }

  private showResponse(r: RequestResult): void {
    clear(this.response);
    this.response.hidden = false;
    const cls = r.status >= 500 ? 's5' : r.status >= 400 ? 's4' : r.status >= 300 ? 's3' : 's2';
    const headerText = Object.entries(r.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    this.response.append(
      h(
        'div.response-line',
        {},
        h('span.response-status', { class: cls, 'data-testid': 'response-status', 'data-status': String(r.status) }, r.statusLine || String(r.status)),
        h('span.muted', {}, ` ${typeof r.ms === 'number' ? r.ms.toFixed(2) : '?'} ms`),
        h('span.spacer', {}),
        typeof r.trace === 'number'
          ? h('button.link', { 'data-testid': 'response-trace', onclick: () => void this.open(r.trace as number) }, `trace #${r.trace}`)
          : h('span.muted', { 'data-testid': 'response-trace' }, 'not traced'),
        this.onSaveAsTest && this.lastSent
          ? h('button.link', { 'data-testid': 'response-save-test', title: 'Save this request and its answer as a test', onclick: () => this.saveResponseAsTest() }, 'Save as test')
          : null,
      ),
      h(
        'div.response-parts',
        {},
        h('pre.response-headers', { 'data-testid': 'response-headers', title: 'Response headers' }, headerText),
        h('pre.response-body', { 'data-testid': 'response-body', title: 'Response body' }, r.body ?? ''),
      ),
    );
  }

  private saveResponseAsTest(): void {
    if (this.lastSent) this.onSaveAsTest?.(this.lastSent);
  }

  /** The selected trace as a test: the runner's own request when it sent it, else its records. */
  private saveTraceAsTest(): void {
    const trace = this.trace;
    if (!trace) return;
    if (this.lastSent && this.lastSent.result.trace === trace.id) this.onSaveAsTest?.(this.lastSent);
    else this.onSaveAsTest?.({ trace, port: Number(this.port.value) || 0 });
  }

  private showResponseError(message: string): void {
    clear(this.response);
    this.response.hidden = false;
    this.response.append(h('div.response-line.error', { 'data-testid': 'response-status', 'data-status': '' }, message));
  }

  private onEnter(fn: () => Promise<void>) {
    return (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void fn();
      }
    };
  }
}

/** True when column `c` lies strictly between two lanes (a message passing across it). */
function between(c: number, a: number, b: number): boolean {
  if (a < 0) return false;
  return (c > a && c < b) || (c < a && c > b);
}
