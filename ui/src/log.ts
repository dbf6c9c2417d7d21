// The log console: follows the engine log (event stream, or polling when the stream is not
// available), with a level filter, a topic filter (built from the topics seen: config, listener,
// access, ...), a program filter (each running codebase tags its lines with its name),
// auto-scroll and clear.

import { h, clear } from './dom';
import { ApiError, NotAnEventStream, type Api, type LogLine } from './api';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const MAX_LINES = 5000;

/** `INF`, `info`, `Info` → 1; unknown levels count as debug. */
function levelRank(level: string): number {
  const i = LEVELS.findIndex((l) => l[0] === level.trim()[0]?.toLowerCase());
  return i < 0 ? 0 : i;
}

export class LogConsole {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly filter: HTMLSelectElement;
  private readonly topicFilter: HTMLSelectElement;
  private readonly topics = new Set<string>();
  private readonly programFilter: HTMLSelectElement;
  private readonly programs = new Set<string>();
  private readonly follow: HTMLInputElement;
  private readonly mode: HTMLElement;
  private lines: LogLine[] = [];
  private lastSeq = 0;
  /** seq → time and message of recent lines, to recognise a replayed history. */
  private seen = new Map<number, string>();
  private stopped = false;
  private abort: AbortController | null = null;

  constructor(private readonly api: Api) {
    this.filter = h(
      'select',
      { title: 'Lowest level shown', 'data-testid': 'log-level', onchange: () => this.renderAll() },
      LEVELS.map((l) => h('option', { value: l }, l)),
    );
    this.filter.value = 'debug';
    this.topicFilter = h(
      'select',
      { title: 'Topic shown', 'data-testid': 'log-topic-filter', onchange: () => this.renderAll() },
      h('option', { value: '' }, 'all'),
    );
    this.programFilter = h(
      'select',
      { title: 'Codebase shown (each running codebase tags its lines)', 'data-testid': 'log-program-filter', onchange: () => this.renderAll() },
      h('option', { value: '' }, 'all'),
    );
    this.follow = h('input', { type: 'checkbox', checked: true, 'data-testid': 'log-follow' });
    this.mode = h('span.muted', {});
    this.body = h('div.log-body', { 'data-testid': 'log-lines' });
    this.body.addEventListener('scroll', () => {
      const atEnd = this.body.scrollTop + this.body.clientHeight >= this.body.scrollHeight - 4;
      if (this.follow.checked !== atEnd && document.activeElement !== this.follow) this.follow.checked = atEnd;
    });
    this.el = h(
      'section.log',
      { 'data-testid': 'log-panel' },
      h(
        'div.panel-header',
        {},
        h('span', {}, 'Log'),
        this.mode,
        h('span.spacer', {}),
        h('label', {}, 'Level ', this.filter),
        h('label', {}, 'Codebase ', this.programFilter),
        h('label', {}, 'Topic ', this.topicFilter),
        h('label', {}, this.follow, ' Auto-scroll'),
        h('button', { onclick: () => this.clear(), 'data-testid': 'log-clear' }, 'Clear'),
      ),
      this.body,
    );
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  clear(): void {
    this.lines = [];
    clear(this.body);
  }

  /** Stream when possible; poll when the stream is missing; retry while the engine is away. */
  private async run(): Promise<void> {
    let streamWorks = true;
    while (!this.stopped) {
      if (streamWorks) {
        this.abort = new AbortController();
        let opened = false;
        try {
          this.mode.textContent = '';
          await this.api.streamLog((line) => {
            if (!opened) this.checkRestart(line);
            opened = true;
            this.add([line]);
          }, this.abort.signal);
          opened = true;
        } catch (e) {
          if (this.stopped) return;
          // An engine that answers the stream with an error, or not with events, gets polled.
          if (!opened && (e instanceof ApiError || e instanceof NotAnEventStream)) streamWorks = false;
        }
        if (!streamWorks) continue;
        await sleep(2000);
      } else {
        this.mode.textContent = '(polling)';
        try {
          let { lines, next } = await this.api.getLog(this.lastSeq);
          if (typeof next === 'number' && next < this.lastSeq) {
            // A new engine process numbers its lines from the start again.
            this.restarted();
            ({ lines, next } = await this.api.getLog(0));
          }
          this.add(lines);
          if (typeof next === 'number' && next > this.lastSeq) this.lastSeq = next;
          if (lines.length >= 1000) continue;
        } catch {
          // engine away: try again shortly
        }
        await sleep(1000);
      }
    }
  }

  /**
   * A (re)connected stream starts with the history. If its first line is not one we hold, the
   * engine was restarted and numbers its lines from the start again.
   */
  private checkRestart(first: LogLine): void {
    if (first.seq > this.lastSeq) return;
    if (this.seen.get(first.seq) === `${first.time} ${first.message}`) return;
    this.restarted();
  }

  private restarted(): void {
    this.lastSeq = 0;
    this.seen.clear();
    this.body.append(h('div.log-line.log-separator', {}, '— the engine restarted —'));
  }

  private add(lines: LogLine[]): void {
    const fresh = lines.filter((l) => l.seq > this.lastSeq);
    if (fresh.length === 0) return;
    this.lastSeq = fresh[fresh.length - 1].seq;
    this.lines.push(...fresh);
    for (const l of fresh) this.seen.set(l.seq, `${l.time} ${l.message}`);
    if (this.seen.size > MAX_LINES) {
      for (const k of [...this.seen.keys()].slice(0, this.seen.size - MAX_LINES)) this.seen.delete(k);
    }
    for (const l of fresh) this.addTopic(l.topic);
    for (const l of fresh) this.addProgram(l.program ?? '');
    const shown = this.shows();
    for (const l of fresh) if (shown(l)) this.body.append(this.row(l));
    if (this.lines.length > MAX_LINES) {
      this.lines.splice(0, this.lines.length - MAX_LINES);
      while (this.body.childElementCount > MAX_LINES) this.body.firstElementChild?.remove();
    }
    if (this.follow.checked) this.body.scrollTop = this.body.scrollHeight;
  }

  private renderAll(): void {
    this.body.replaceChildren(...this.lines.filter(this.shows()).map((l) => this.row(l)));
    if (this.follow.checked) this.body.scrollTop = this.body.scrollHeight;
  }

  /** The test of the level and topic filters. */
  private shows(): (l: LogLine) => boolean {
    const min = levelRank(this.filter.value);
    const topic = this.topicFilter.value;
    const program = this.programFilter.value;
    return (l) => levelRank(l.level) >= min && (!topic || l.topic === topic) && (!program || l.program === program);
  }

  /** Offers a program (codebase) in the filter once it is seen, in alphabetical order. */
  private addProgram(name: string): void {
    if (!name || this.programs.has(name)) return;
    this.programs.add(name);
    const next = [...this.programFilter.options].find((o) => o.value && o.value.localeCompare(name) > 0);
    this.programFilter.insertBefore(h('option', { value: name }, name), next ?? null);
  }

  /** Offers a topic in the filter once it is seen, in alphabetical order. */
  private addTopic(topic: string): void {
    if (!topic || this.topics.has(topic)) return;
    this.topics.add(topic);
    const next = [...this.topicFilter.options].find((o) => o.value && o.value.localeCompare(topic) > 0);
    this.topicFilter.insertBefore(h('option', { value: topic }, topic), next ?? null);
  }

  private row(l: LogLine): HTMLElement {
    return h(
      'div.log-line',
      { class: `lvl-${LEVELS[levelRank(l.level)]}`, 'data-topic': l.topic || '', 'data-program': l.program || '' },
      h('span.log-time', {}, l.time),
      ' ',
      h('span.log-level', {}, `[${l.level}]`),
      ' ',
      l.program ? h('span.log-program', {}, l.program) : null,
      l.program ? ' ' : null,
      l.topic ? h('span.log-topic', {}, `[${l.topic}]`) : null,
      l.topic ? ' ' : null,
      l.message,
    );
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
