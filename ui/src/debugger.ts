// The Debug panel: breakpoints on filters of the running program (set from the graph view or
// the editor's glyph margin), the streams paused at them with their head, body, context
// variables and path, stepping, edits and watch expressions. It talks only to the admin API
// (engine/src/admin/README.md, "Debugger"), so the browser and the desktop app work alike.

import { ApiError, type Api, type GraphAnswer, type GraphLayout } from './api';
import { toast } from './dialogs';
import { append, clear, h } from './dom';

export interface Breakpoint {
  id: number;
  layout: number;
  index: number;
  file: string;
  line: number;
  filter: string;
  condition: { event: string | null; expr: string | null };
}

export interface Paused {
  id: number;
  program: string;
  trace: number;
  pipeline: number;
  layout: { id: number; title: string; module: string; line: number };
  index: number;
  filter: string;
  line: number | null;
  event: string;
  head: unknown;
  body: string;
  bodySize: number;
  queued: number;
  vars: { module: string; name: string; value: string }[];
  path: { pipeline: number; layout: string; module: string }[];
  breakpoint: number | null;
  reason: 'breakpoint' | 'step';
  since: number;
  timeout: number;
}

interface Session {
  program: string;
  timeout: number;
  breakpoints: Breakpoint[];
  paused: Paused[];
}

export interface DebugHooks {
  /** Opens a file of the running codebase at a line. */
  reveal(file: string, line: number): void;
  /** A stream paused that was not paused before: show the panel. */
  paused(): void;
  /** Breakpoints or the paused stream changed: redraw the marks in the graph and the editor. */
  changed(): void;
}

const EVENTS = ['', 'MessageStart', 'Data', 'MessageEnd', 'StreamEnd', 'any'];
const seg = (s: string) => encodeURIComponent(s);

export class DebugPanel {
  readonly el: HTMLElement;
  private program: string | null = null;
  private graph: GraphAnswer | null = null;
  private session: Session | null = null;
  private selected: number | null = null;
  private detail: Paused | null = null;
  private watches: string[] = [];
  private watchValues = new Map<string, { value?: string; error?: string }>();
  private timer: number | null = null;
  private readonly head: HTMLElement;
  private readonly bpList: HTMLElement;
  private readonly pausedList: HTMLElement;
  private readonly pausedBox: HTMLElement;
  /** What the detail view last drew, so a poll that changed nothing leaves its inputs alone. */
  private drawnDetail = '';
  /** The "goes on by itself" countdown of the drawn detail, updated in place on each poll. */
  private countdown: HTMLElement | null = null;
  private readonly timeout: HTMLInputElement;
  private readonly toggle: HTMLButtonElement;

  constructor(
    private readonly api: Api,
    private readonly hooks: DebugHooks,
  ) {
    this.toggle = h('button.primary', { 'data-testid': 'debug-toggle', onclick: () => void this.run(() => this.switch()) }, 'Start debugging');
    this.timeout = h('input', { type: 'number', min: '1', max: '3600', value: '60', title: 'Debug timeout: a paused stream goes on by itself after this many seconds', 'data-testid': 'debug-timeout' });
    this.head = h('div.debug-head', {}, this.toggle, h('label.muted', {}, 'timeout ', this.timeout, ' s'), h('span.muted', { 'data-testid': 'debug-status' }));
    this.bpList = h('div.debug-breakpoints', { 'data-testid': 'debug-breakpoints' });
    this.pausedList = h('div.debug-paused-list', { 'data-testid': 'debug-paused-list' });
    this.pausedBox = h('div.debug-paused', { 'data-testid': 'debug-paused' });
    this.el = h(
      'section.debug',
      { 'data-testid': 'debug-panel' },
      this.head,
      h('p.muted.debug-hint', {}, 'Breakpoints pause traced streams: requests sent from the Inspector\'s request runner, or every stream while tracing is on. Set one from a filter in the graph, or in the editor\'s left margin on a filter\'s line.'),
      h('div.insp-heading', {}, 'Breakpoints'),
      this.bpList,
      h('div.insp-heading', {}, 'Paused streams'),
      this.pausedList,
      this.pausedBox,
    );
    this.render();
  }

  /** The running program the panel debugs (the open codebase when it runs). */
  setProgram(name: string | null): void {
    if (name === this.program) return;
    this.program = name;
    this.session = null;
    this.detail = null;
    this.selected = null;
    void this.poll();
  }

  /** The graph of the open codebase, to find filters by line. */
  setGraph(answer: GraphAnswer | null): void {
    this.graph = answer;
  }

  /** Breakpoint lines per file, for the editor. */
  breakpointLines(): Map<string, number[]> {
    const m = new Map<string, number[]>();
    for (const b of this.session?.breakpoints ?? []) if (b.line) m.set(b.file, [...(m.get(b.file) ?? []), b.line]);
    return m;
  }

  /** Breakpoint keys (`layout:index`) for the graph. */
  breakpointKeys(): Set<string> {
    return new Set((this.session?.breakpoints ?? []).map((b) => `${b.layout}:${b.index}`));
  }

  /** Where the selected paused stream waits: graph key and source line. */
  pausedAt(): { key: string; file: string; line: number | null } | null {
    const d = this.detail;
    return d ? { key: `${d.layout.id}:${d.index}`, file: d.layout.module, line: d.line } : null;
  }

  /** A button for the graph's filter details: set or remove a breakpoint there. */
  graphButton(layout: GraphLayout, index: number): HTMLElement {
    const has = (this.session?.breakpoints ?? []).find((b) => String(b.layout) === String(layout.id) && b.index === index);
    return h(
      'button',
      { 'data-testid': 'graph-breakpoint', onclick: () => void this.run(() => this.toggleAt({ layout: Number(layout.id), index })) },
      has ? 'Remove breakpoint' : 'Set breakpoint',
    );
  }

  /** The editor's glyph margin was clicked on `line` of `file`. */
  gutter(file: string, line: number): void {
    const onLine = this.graph?.graph.layouts.some((l) => l.module === file && l.filters.some((f) => f.line === line));
    if (!onLine) {
      toast(`No filter starts on line ${line}: a breakpoint goes on a filter's line`, 'info');
      return;
    }
    void this.run(() => this.toggleAt({ file, line }));
  }

  setVisible(visible: boolean): void {
    if (visible) void this.poll();
  }

  // -- talking to the engine

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const res = await this.api.transport.fetch(path, init);
    const text = await res.text();
    if (!res.ok) {
      let msg = text;
      try {
        msg = JSON.parse(text).error ?? text;
      } catch {
        /* plain text */
      }
      throw new ApiError(res.status, { error: msg || `HTTP ${res.status}` });
    }
    return (text ? JSON.parse(text) : null) as T;
  }

  private async run(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      toast((e as Error).message || String(e), 'error', 6000);
    }
  }

  private async switch(): Promise<void> {
    const p = this.need();
    if (this.session) {
      await this.call('DELETE', `/api/v1/debug/programs/${seg(p)}`);
      this.session = null;
      this.detail = null;
    } else {
      await this.call('POST', `/api/v1/debug/programs/${seg(p)}`, { timeout: Number(this.timeout.value) || 60 });
    }
    await this.poll();
  }

  private need(): string {
    if (!this.program) throw new Error('Run the codebase first: breakpoints are set in a running program.');
    return this.program;
  }

  private async toggleAt(place: { layout: number; index: number } | { file: string; line: number }): Promise<void> {
    const p = this.need();
    if (!this.session) await this.call('POST', `/api/v1/debug/programs/${seg(p)}`, { timeout: Number(this.timeout.value) || 60 });
    await this.poll();
    const existing = (this.session?.breakpoints ?? []).find((b) =>
      'file' in place ? b.file === place.file && b.line === place.line : b.layout === place.layout && b.index === place.index,
    );
    if (existing) await this.call('DELETE', `/api/v1/debug/programs/${seg(p)}/breakpoints/${existing.id}`);
    else await this.call('POST', `/api/v1/debug/programs/${seg(p)}/breakpoints`, place);
    await this.poll();
  }

  private async setCondition(b: Breakpoint, event: string, expr: string): Promise<void> {
    const p = this.need();
    await this.call('POST', `/api/v1/debug/programs/${seg(p)}/breakpoints`, { layout: b.layout, index: b.index, condition: { event: event || null, expr: expr || null } });
    await this.poll();
  }

  /** Reads the session and the selected paused stream; keeps polling while debugging is on. */
  private async poll(): Promise<void> {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    const p = this.program;
    const before = new Set((this.session?.paused ?? []).map((x) => x.id));
    try {
      // The overview answers 200 whether or not the program is debugged (no 404s to log).
      const all = p ? await this.call<{ sessions: Omit<Session, 'paused'>[]; paused: Paused[] }>('GET', '/api/v1/debug') : null;
      const mine = all?.sessions.find((x) => x.program === p);
      this.session = mine && all ? { ...mine, paused: all.paused.filter((x) => x.program === p) } : null;
    } catch {
      this.session = null;
    }
    const paused = this.session?.paused ?? [];
    if (this.selected === null || !paused.some((x) => x.id === this.selected)) {
      const next = paused[0]?.id ?? null;
      if (next !== this.selected) this.watchValues.clear();
      this.selected = next;
      this.detail = null;
    }
    if (this.selected !== null && this.detail?.id !== this.selected) {
      try {
        this.detail = await this.call<Paused>('GET', `/api/v1/debug/paused/${this.selected}`);
        await this.evalWatches();
      } catch {
        this.detail = null;
      }
    }
    this.render();
    this.hooks.changed();
    if (paused.some((x) => !before.has(x.id))) this.hooks.paused();
    if (this.session) this.timer = window.setTimeout(() => void this.poll(), 500);
  }

  private async command(body: Record<string, unknown>): Promise<void> {
    const id = this.detail?.id;
    if (id === undefined) return;
    const r = await this.call<Paused | { paused: number | null }>('POST', `/api/v1/debug/paused/${id}`, body);
    if (r && 'vars' in r) this.detail = r;
    else {
      this.detail = null;
      this.selected = (r as { paused: number | null }).paused;
      this.watchValues.clear();
    }
    await this.poll();
  }

  private async evalWatches(): Promise<void> {
    const id = this.detail?.id;
    if (id === undefined || this.watches.length === 0) return;
    const r = await this.call<{ results: { expr: string; value?: string; error?: string }[] }>('POST', `/api/v1/debug/paused/${id}`, { command: 'eval', exprs: this.watches });
    this.watchValues = new Map(r.results.map((x) => [x.expr, { value: x.value, error: x.error }]));
  }

  // -- drawing

  private render(): void {
    const on = !!this.session;
    this.toggle.textContent = on ? 'Stop debugging' : 'Start debugging';
    this.toggle.classList.toggle('primary', !on);
    this.toggle.disabled = !this.program;
    const status = this.head.querySelector('[data-testid="debug-status"]');
    if (status) status.textContent = !this.program ? 'No program runs.' : on ? `Debugging ${this.program}` : `${this.program} runs`;
    this.renderBreakpoints();
    this.renderPausedList();
    this.renderDetail();
  }

  private renderBreakpoints(): void {
    clear(this.bpList);
    const bps = this.session?.breakpoints ?? [];
    if (!bps.length) this.bpList.append(h('div.muted', {}, 'None.'));
    for (const b of bps) {
      const event = h('select', { title: 'Pause only at this event type', 'data-testid': 'bp-event' }, EVENTS.map((e) => h('option', { value: e, selected: (b.condition.event ?? '') === e }, e || 'first event')));
      const expr = h('input', { value: b.condition.expr ?? '', placeholder: "condition, e.g. msg.head.path.startsWith('/api')", spellcheck: false, 'data-testid': 'bp-expr' });
      const apply = () => void this.run(() => this.setCondition(b, event.value, expr.value.trim()));
      event.addEventListener('change', apply);
      expr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') apply();
      });
      this.bpList.append(
        h(
          'div.debug-bp',
          { 'data-testid': 'debug-breakpoint', 'data-filter': b.filter },
          h('span.bp-dot-inline', {}),
          h('a', { href: '#', onclick: (e: Event) => (e.preventDefault(), this.hooks.reveal(b.file, b.line || 1)) }, `${b.filter} `, h('span.muted', {}, `${b.file}:${b.line}`)),
          event,
          expr,
          h('button.link', { title: 'Remove', 'data-testid': 'bp-remove', onclick: () => void this.run(() => this.toggleAt({ layout: b.layout, index: b.index })) }, '×'),
        ),
      );
    }
  }

  private renderPausedList(): void {
    clear(this.pausedList);
    const paused = this.session?.paused ?? [];
    if (!paused.length) this.pausedList.append(h('div.muted', {}, this.session ? 'No stream is paused.' : 'Debugging is off.'));
    for (const p of paused) {
      this.pausedList.append(
        h(
          'button.debug-paused-item',
          {
            class: p.id === this.selected ? 'active' : '',
            'data-testid': 'debug-paused-item',
            onclick: () => {
              this.selected = p.id;
              this.detail = null;
              this.watchValues.clear();
              void this.poll();
            },
          },
          `#${p.trace} ${p.event} at ${p.filter}`,
        ),
      );
    }
  }

  /**
   * Draws the selected paused stream. Polls come every 500 ms; redrawing each time would wipe
   * what the user is typing into the header editor, a variable or the watch box, so the view is
   * rebuilt only when the stream's state or the watches changed, and otherwise just the
   * countdown moves.
   */
  private renderDetail(): void {
    const d = this.detail;
    const key = d ? JSON.stringify([d, this.watches, [...this.watchValues]]) : '';
    if (key === this.drawnDetail) {
      if (d && this.countdown) this.countdown.textContent = this.countdownText(d);
      return;
    }
    this.drawnDetail = key;
    clear(this.pausedBox);
    this.countdown = null;
    if (!d) return;
    const cmd = (label: string, command: string, title: string) =>
      h('button', { 'data-testid': `debug-${command}`, title, onclick: () => void this.run(() => this.command({ command })) }, label);
    const where = d.line ? `${d.layout.module}:${d.line}` : d.layout.module;
    append(this.pausedBox, [
      h(
        'div.debug-where',
        { 'data-testid': 'debug-where' },
        h('b', { 'data-testid': 'debug-filter' }, d.filter),
        ' ',
        h('span.debug-event', { 'data-testid': 'debug-event' }, d.event),
        ' in ',
        h('span', {}, d.layout.title || `pipeline #${d.pipeline}`),
        ' · ',
        h('a', { href: '#', onclick: (e: Event) => (e.preventDefault(), this.hooks.reveal(d.layout.module, d.line ?? d.layout.line)) }, where),
        (this.countdown = h('span.muted', {}, this.countdownText(d))),
      ),
      h(
        'div.debug-buttons',
        {},
        cmd('Step', 'step', 'Deliver this event to the next filter and pause there'),
        cmd('Step over', 'over', "Run this joint filter's sub-pipeline, pause at the next filter of this pipeline"),
        cmd('Continue', 'continue', 'Go on to the next breakpoint'),
        cmd('Drop', 'drop', 'End the stream'),
      ),
      this.section('Head', h('pre.debug-pre', { 'data-testid': 'debug-head' }, d.head === null ? '(none)' : JSON.stringify(d.head, null, 2))),
      d.event === 'MessageStart' ? this.headerEditor() : null,
      this.section(`Body (${d.bodySize} bytes${d.queued ? `, ${d.queued} event${d.queued === 1 ? '' : 's'} waiting` : ''})`, h('pre.debug-pre', { 'data-testid': 'debug-body' }, d.body || '(none yet)')),
      this.section('Context variables', this.varsTable(d)),
      this.section('Watch', this.watchBox()),
      this.section(
        'Path',
        h('ol.debug-path', { 'data-testid': 'debug-path' }, d.path.map((p) => h('li', {}, `${p.layout || `pipeline #${p.pipeline}`} `, h('span.muted', {}, p.module)))),
      ),
    ]);
  }

  private countdownText(d: Paused): string {
    const left = Math.max(0, Math.round(d.timeout - (Date.now() - d.since) / 1000));
    return ` · ${d.reason === 'step' ? 'stepped here' : 'breakpoint'} · goes on by itself in ${left} s`;
  }

  private section(title: string, body: HTMLElement): HTMLElement {
    return h('div.debug-section', {}, h('div.debug-section-title', {}, title), body);
  }

  private headerEditor(): HTMLElement {
    const name = h('input', { placeholder: 'header', spellcheck: false, 'data-testid': 'debug-header-name' });
    const value = h('input', { placeholder: 'value (empty removes it)', spellcheck: false, 'data-testid': 'debug-header-value' });
    const set = () =>
      void this.run(async () => {
        if (!name.value.trim()) throw new Error('Give the header name.');
        await this.command({ command: 'edit', header: name.value.trim(), value: value.value === '' ? null : value.value });
        toast(`Header ${name.value.trim()} changed`, 'ok');
      });
    return h('div.debug-edit', {}, name, value, h('button', { 'data-testid': 'debug-header-set', onclick: set }, 'Set header'));
  }

  private varsTable(d: Paused): HTMLElement {
    if (!d.vars.length) return h('div.muted', {}, 'This program has no context variables.');
    return h(
      'table.debug-vars',
      { 'data-testid': 'debug-vars' },
      d.vars.map((v) => {
        const input = h('input', { value: v.value, spellcheck: false, title: 'A JS expression; Enter sets the variable', 'data-testid': 'debug-var-value' });
        input.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') void this.run(() => this.command({ command: 'edit', var: v.name, value: input.value }));
        });
        return h('tr', { 'data-testid': 'debug-var', 'data-name': v.name }, h('td.muted', {}, v.module), h('td', {}, h('b', {}, v.name)), h('td', {}, input));
      }),
    );
  }

  private watchBox(): HTMLElement {
    const input = h('input', { placeholder: 'expression, e.g. msg.head.headers', spellcheck: false, 'data-testid': 'debug-watch-input' });
    input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || !input.value.trim()) return;
      this.watches.push(input.value.trim());
      void this.run(async () => {
        await this.evalWatches();
        this.render();
      });
    });
    return h(
      'div',
      {},
      this.watches.map((w, i) => {
        const r = this.watchValues.get(w);
        return h(
          'div.debug-watch',
          { 'data-testid': 'debug-watch' },
          h('code', {}, w),
          ' = ',
          r?.error ? h('span.error', {}, r.error) : h('code', { 'data-testid': 'debug-watch-value' }, r?.value ?? '…'),
          h('button.link', { title: 'Remove', onclick: () => (this.watches.splice(i, 1), this.render()) }, '×'),
        );
      }),
      input,
    );
  }
}
