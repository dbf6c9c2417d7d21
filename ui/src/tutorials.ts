// The tutorials panel: the engine's built-in tutorials (tutorial/NN-name), each with its README
// rendered (code blocks coloured by Monaco), and three steps for trying it:
//   Open  — copy the tutorial into a codebase named after it (or reopen that copy) in the editor;
//   Run   — start that codebase (main.js plus the services its check.json names);
//   Check — POST /api/v1/check {"tutorial": name}: the tutorial's check.json requests sent to the
//           running program, one row per request, pass or fail, the actual answer beside the
//           expected one.

import { h, clear } from './dom';
import { renderMarkdown } from './markdown';
import { monaco } from './monaco';
import type { Api, CheckAnswer, CheckResult, Tutorial } from './api';

export interface TutorialActions {
  /** Copies the tutorial into a new codebase whose name the user chooses. */
  copy(t: Tutorial): void;
  /**
   * Opens the tutorial's codebase in the editor (the one named after it), copying the tutorial
   * into it first if there is none. Resolves to the codebase name, or null if that failed.
   */
  open(t: Tutorial): Promise<string | null>;
  /** Saves the editor and starts a codebase; resolves to whether it runs. */
  run(codebase: string): Promise<boolean>;
}

/** Fenced-code languages of the READMEs → Monaco language ids. */
const LANGUAGES: Record<string, string> = {
  js: 'javascript',
  javascript: 'javascript',
  json: 'json',
  sh: 'shell',
  bash: 'shell',
  shell: 'shell',
  ts: 'typescript',
  yaml: 'yaml',
};

export class TutorialsPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly readme: HTMLElement;
  private tutorials: Tutorial[] = [];
  private loaded = false;
  private current: Tutorial | null = null;
  /** Tutorial name → the codebase Open made or reopened for it in this session. */
  private readonly codebases = new Map<string, string>();
  private bar: HTMLElement | null = null;
  private note: HTMLElement | null = null;
  private results: HTMLElement | null = null;
  private busy = false;

  constructor(
    private readonly api: Api,
    private readonly actions: TutorialActions,
  ) {
    this.list = h('div.tutorial-list', { 'data-testid': 'tutorials-list' });
    this.readme = h('article.markdown', { 'data-testid': 'tutorial-readme' });
    this.el = h('section.tutorials', { 'data-testid': 'tutorials-panel' }, this.list, this.readme);
  }

  /** Loads the list the first time the panel is shown. */
  async load(force = false): Promise<void> {
    if (this.loaded && !force) return;
    clear(this.list);
    try {
      this.tutorials = await this.api.listTutorials();
      this.loaded = true;
    } catch (e) {
      this.list.append(h('div.error.pad', {}, `Could not list tutorials: ${(e as Error).message}`));
      return;
    }
    if (this.tutorials.length === 0) this.list.append(h('div.muted.pad', {}, 'No tutorials.'));
    for (const t of this.tutorials) {
      this.list.append(
        h(
          'div.tutorial',
          { 'data-name': t.name, 'data-testid': 'tutorial-item', onclick: () => void this.show(t) },
          h('div.tutorial-title', {}, t.title || t.name),
          h('div.muted', {}, t.name),
        ),
      );
    }
    if (this.tutorials[0] && !this.current) await this.show(this.tutorials[0]);
  }

  private hasCheck(t: Tutorial): boolean {
    return t.files.some((f) => f === 'check.json' || f === '/check.json');
  }

  /** Shows one tutorial: its buttons, a place for check results, and its README. */
  private async show(t: Tutorial): Promise<void> {
    this.current = t;
    for (const el of this.list.querySelectorAll<HTMLElement>('.tutorial')) {
      el.classList.toggle('active', el.dataset.name === t.name);
    }
    clear(this.readme);
    const checkable = this.hasCheck(t);
    this.note = h('div.tutorial-note.muted', { 'data-testid': 'tutorial-note' });
    this.results = h('div.check-results', { 'data-testid': 'tutorial-results', hidden: true });
    this.bar = h(
      'div.tutorial-bar',
      { 'data-tutorial': t.name },
      h('button.primary', { onclick: () => void this.step(() => this.open(t)), 'data-testid': 'tutorial-open', title: `Copy the files of ${t.name} into a codebase named after it and open it` }, 'Open'),
      h('button', { onclick: () => void this.step(() => this.run(t)), 'data-testid': 'tutorial-run', title: 'Start that codebase' }, '▶ Run'),
      h(
        'button',
        {
          onclick: () => void this.step(() => this.check(t)),
          'data-testid': 'tutorial-check',
          disabled: !checkable,
          title: checkable ? 'Send the requests of check.json to the running program and compare the answers' : 'This tutorial has no check.json',
        },
        '✔ Check',
      ),
      h('span.spacer', {}),
      h('button', { onclick: () => this.actions.copy(t), 'data-testid': 'tutorial-copy', title: 'Copy the tutorial into a new codebase with a name of your choice' }, 'Copy as…'),
    );
    const files = h('div.tutorial-files.muted', {}, t.files.join('  '));
    this.readme.append(this.bar, files, this.note, this.results);
    this.setBusy(this.busy);

    const body = h('div.tutorial-body', { 'data-testid': 'tutorial-body' });
    this.readme.append(body);
    if (!t.files.includes('README.md') && !t.files.includes('/README.md')) {
      body.append(h('p.muted', {}, 'This tutorial has no README.'));
      return;
    }
    try {
      const text = await this.api.readTutorialFile(t.name, '/README.md');
      if (this.current !== t) return;
      body.innerHTML = renderMarkdown(text);
      await highlight(body);
    } catch (e) {
      body.append(h('p.error', {}, `Could not read README.md: ${(e as Error).message}`));
    }
  }

  // -- the three steps

  /** Runs one button's work; the buttons are disabled meanwhile, and errors become the note. */
  private async step(work: () => Promise<unknown>): Promise<void> {
    if (this.busy) return;
    this.setBusy(true);
    try {
      await work();
    } catch (e) {
      this.say((e as Error).message || String(e), 'error');
    } finally {
      this.setBusy(false);
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.bar?.classList.toggle('busy', busy);
    for (const b of this.bar?.querySelectorAll('button') ?? []) {
      if (b.dataset.testid === 'tutorial-check' && this.current && !this.hasCheck(this.current)) continue;
      b.disabled = busy;
    }
  }

  private say(text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
    if (!this.note) return;
    this.note.textContent = text;
    this.note.dataset.kind = kind;
  }

  private async open(t: Tutorial): Promise<string | null> {
    this.say(`Opening ${t.name}…`);
    const name = await this.actions.open(t);
    if (!name) {
      this.say(`Could not open ${t.name}.`, 'error');
      return null;
    }
    this.codebases.set(t.name, name);
    this.say(`Codebase ${name} is open in the editor. Next: Run.`, 'ok');
    return name;
  }

  private async run(t: Tutorial): Promise<void> {
    const name = this.codebases.get(t.name) ?? (await this.open(t));
    if (!name) return;
    this.say(`Starting ${name}…`);
    if (await this.actions.run(name)) {
      this.say(`${name} is running.${this.hasCheck(t) ? ' Next: Check.' : ''}`, 'ok');
    } else {
      this.say(`${name} did not start; see the editor and the log for the error.`, 'error');
    }
  }

  private async check(t: Tutorial): Promise<void> {
    const results = this.results;
    if (!results) return;
    const running = (await this.api.listPrograms()).filter((p) => p.running).map((p) => p.name);
    const mine = this.codebases.get(t.name) ?? t.name;
    if (running.length === 0) {
      this.say('Nothing is running: press Run first.', 'error');
      return;
    }
    this.say(`Checking ${running.includes(mine) ? mine : running.join(', ')}…`);
    const answer = await this.api.runCheck({ tutorial: t.name });
    if (this.current !== t) return;
    renderResults(results, answer);
    const other = running.includes(mine) ? '' : ` (${mine} is not running; what runs is ${running.join(', ')})`;
    this.say(
      answer.failed === 0
        ? `All ${answer.passed} requests answered as expected${other}.`
        : `${answer.failed} of ${answer.passed + answer.failed} requests did not get the expected answer${other}.`,
      answer.failed === 0 ? 'ok' : 'error',
    );
  }
}

// -- check results

function renderResults(el: HTMLElement, answer: CheckAnswer): void {
  clear(el);
  el.hidden = false;
  el.append(
    h(
      'div.check-summary',
      { 'data-testid': 'check-summary', 'data-passed': answer.passed, 'data-failed': answer.failed },
      h('span', { class: answer.failed ? 'fail' : 'pass' }, answer.failed ? '✘' : '✔'),
      ` ${answer.passed} passed, ${answer.failed} failed`,
    ),
  );
  answer.results.forEach((r, i) => el.append(resultRow(r, i)));
}

function resultRow(r: CheckResult, i: number): HTMLElement {
  const details = h(
    'details.check-row',
    { 'data-testid': 'check-row', 'data-pass': String(r.pass), 'data-index': i, open: !r.pass },
    h(
      'summary',
      {},
      h('span.check-mark', { class: r.pass ? 'pass' : 'fail' }, r.pass ? '✔' : '✘'),
      h('span.check-name', {}, r.name),
      h('span.check-request.muted', {}, describeRequest(r.request)),
    ),
  );
  if (r.problems?.length) {
    details.append(h('ul.check-problems', { 'data-testid': 'check-problems' }, r.problems.map((p) => h('li', {}, p))));
  }
  // A raw step (plain TCP) has bytes only: no status, no headers, and every \r and \n shown.
  const raw = isRaw(r.request);
  const show = raw ? bytes : visible;
  const expected = h('div.check-side', { 'data-testid': 'check-expected' }, h('div.check-side-title', {}, 'Expected'));
  const e = r.expected ?? {};
  if (e.status !== undefined) expected.append(line('status', String(e.status)));
  for (const [k, v] of Object.entries(e.headers ?? {})) expected.append(line(k, v));
  if (e.body !== undefined) expected.append(block('body', matcher(e.body), show));
  for (const part of [e.bodyContains ?? []].flat()) expected.append(block('body contains', part, show));
  if (expected.childElementCount === 1) expected.append(h('div.muted', {}, 'anything (not checked)'));

  const actual = h('div.check-side', { 'data-testid': 'check-actual' }, h('div.check-side-title', {}, 'Actual'));
  if (r.actual && raw) {
    actual.append(block('bytes received', r.actual.body, show));
  } else if (r.actual) {
    actual.append(line('status', String(r.actual.status)));
    // The headers the expectation names first, then the rest.
    const named = new Set(Object.keys(e.headers ?? {}).map((k) => k.toLowerCase()));
    const headers = Object.entries(r.actual.headers ?? {});
    headers.sort(([a], [b]) => Number(named.has(b.toLowerCase())) - Number(named.has(a.toLowerCase())));
    for (const [k, v] of headers) actual.append(line(k, Array.isArray(v) ? v.join(', ') : String(v)));
    actual.append(block('body', r.actual.body));
  } else {
    actual.append(h('div.error', {}, r.error ?? 'no answer'));
  }
  details.append(h('div.check-compare', {}, expected, actual));
  return details;
}

/** Whether a step speaks plain TCP (`send` or `sendBase64`) rather than HTTP. */
function isRaw(q: CheckResult['request']): boolean {
  return q.send !== undefined || q.sendBase64 !== undefined;
}

function describeRequest(q: CheckResult['request']): string {
  if (isRaw(q)) {
    const port = q.port === 'admin' ? 'admin port' : String(q.port);
    const sent = q.send !== undefined ? escapeBytes(q.send) : `base64 ${q.sendBase64}`;
    return `TCP 127.0.0.1:${port} send "${sent.length > 120 ? `${sent.slice(0, 120)}…` : sent}"`;
  }
  const scheme = q.tls ? 'https' : 'http';
  const port = q.port === 'admin' ? 'admin port' : String(q.port);
  const extras = [q.http2 ? 'HTTP/2' : '', q.body ? `body ${JSON.stringify(q.body)}` : '']
    .concat(Object.entries(q.headers ?? {}).map(([k, v]) => `${k}: ${v}`))
    .filter(Boolean);
  return `${q.method ?? 'GET'} ${scheme}://${q.host ?? '127.0.0.1'}:${port}${q.path ?? '/'}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

function line(name: string, value: string): HTMLElement {
  return h('div.check-line', {}, h('span.check-key', {}, `${name}: `), h('code', {}, value));
}

/** A body shown exactly (through `show`), and an empty body said in words. */
function block(title: string, text: string, show: (text: string) => string = visible): HTMLElement {
  return h(
    'div.check-block',
    {},
    h('div.check-key', {}, `${title}:`),
    text === '' ? h('div.muted', {}, '(empty)') : h('pre', {}, show(text)),
  );
}

/** An expected body: exact text as it is, a matcher like `{"regex": "..."}` as JSON. */
function matcher(m: string | Record<string, unknown>): string {
  return typeof m === 'string' ? m : JSON.stringify(m);
}

/**
 * Bytes written as in a string literal: `\r`, `\n`, `\t` and other control bytes spelt out.
 * With `lines`, a line break follows each `\n` (but the last), so that replies stack up.
 */
function escapeBytes(text: string, lines = false): string {
  const named: Record<string, string> = { '\r': '\\r', '\n': lines ? '\\n\n' : '\\n', '\t': '\\t', '\\': '\\\\' };
  const out = text.replace(/[\x00-\x1f\x7f\\]/g, (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return lines && text.endsWith('\n') ? out.slice(0, -1) : out;
}

/** Raw bytes for reading, one reply line per line, every `\r` and `\n` visible. */
function bytes(text: string): string {
  return escapeBytes(text, true);
}

/** Makes a trailing newline and carriage returns visible in a body. */
function visible(text: string): string {
  return text.replace(/\r/g, '␍').replace(/\n$/, '⏎\n');
}

// -- README code blocks

/** Colours the fenced code blocks of rendered markdown with Monaco's tokenizers (offline). */
async function highlight(root: HTMLElement): Promise<void> {
  const blocks = [...root.querySelectorAll<HTMLElement>('pre > code[class*="language-"]')];
  await Promise.all(
    blocks.map(async (code) => {
      const lang = /language-(\S+)/.exec(code.className)?.[1] ?? '';
      const id = LANGUAGES[lang.toLowerCase()];
      if (!id) return;
      try {
        const text = code.textContent ?? '';
        const html = await monaco.editor.colorize(text.replace(/\n$/, ''), id, { tabSize: 2 });
        code.innerHTML = html;
        code.classList.add('colorized');
      } catch {
        // leave the block plain
      }
    }),
  );
}
