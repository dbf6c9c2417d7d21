// The Tests panel: runs the open codebase's tests (`check.json` and `tests/*.json`) through
// `POST /api/v1/tests/{name}`, the code `engine test` runs, and shows a row per test with what
// was expected beside what came back. Every HTTP step is traced: a failing test links to its
// trace in the inspector.
//
// "Save as test" (saveAsTest) turns a request-runner result or an inspector trace into a step
// of the codebase's test file.

import { h, clear } from './dom';
import { ask, toast } from './dialogs';
import { ApiError, type Api, type RequestResult, type RequestSpec, type Trace } from './api';

export interface TestResult {
  name: string;
  pass: boolean;
  request: Record<string, unknown> | null;
  expected: Record<string, unknown>;
  actual: { status?: number; headers?: Record<string, string>; body: string } | null;
  error: string | null;
  problems: string[];
  ms?: number;
  /** The trace of the step's request (`GET /api/v1/trace/{id}`). */
  trace?: number;
  forwarded?: Record<string, unknown>;
}

export interface TestFile {
  file: string;
  error: string | null;
  ms: number;
  results: TestResult[];
}

export interface TestRun {
  passed: number;
  failed: number;
  /** The codebase was running: it stepped aside for the tests and started again. */
  restarted: boolean;
  restartError: string | null;
  files: TestFile[];
}

/** A step of a test file. */
export interface TestStep {
  name: string;
  request: Record<string, unknown>;
  expect: Record<string, unknown>;
}

export interface TestsHooks {
  /** The open codebase, if any. */
  codebase(): string | null;
  /** Shows trace `id` in the inspector. */
  openTrace(id: number): void;
}

export class TestsPanel {
  readonly el: HTMLElement;
  private readonly runButton: HTMLButtonElement;
  private readonly summary: HTMLElement;
  private readonly rerun: HTMLInputElement;
  private readonly list: HTMLElement;
  private running = false;

  constructor(
    private readonly api: Api,
    private readonly hooks: TestsHooks,
  ) {
    this.runButton = h('button.primary', { 'data-testid': 'tests-run', onclick: () => void this.run() }, 'Run tests');
    this.summary = h('span.muted.tests-summary', { 'data-testid': 'tests-summary' }, 'Tests of the open codebase: check.json and tests/*.json.');
    this.rerun = h('input', { type: 'checkbox', 'data-testid': 'tests-rerun' });
    this.list = h('div.tests-list', { 'data-testid': 'tests-list' });
    this.el = h(
      'section.tests',
      { 'data-testid': 'tests' },
      h('div.tests-bar', {}, this.runButton, h('label.muted', { title: 'Run the tests again after each save' }, this.rerun, ' Rerun on save'), this.summary),
      this.list,
    );
  }

  /** A file was saved: the tests run again when "Rerun on save" is ticked. */
  fileSaved(): void {
    if (this.rerun.checked) void this.run();
  }

  /** Runs the open codebase's tests and shows the results. */
  async run(): Promise<void> {
    const codebase = this.hooks.codebase();
    if (!codebase || this.running) return;
    this.running = true;
    this.runButton.disabled = true;
    this.summary.classList.remove('error');
    this.summary.textContent = `Running the tests of ${codebase}…`;
    this.el.classList.add('pending');
    try {
      const run = await this.api.runTests<TestRun>(codebase);
      this.show(codebase, run);
    } catch (e) {
      this.summary.textContent = e instanceof ApiError ? `The tests did not run: ${e.message}` : (e as Error).message;
      this.summary.classList.add('error');
    } finally {
      this.running = false;
      this.runButton.disabled = false;
      this.el.classList.remove('pending');
    }
  }

  private show(codebase: string, run: TestRun): void {
    clear(this.list);
    const broken = run.files.filter((f) => f.error).length;
    this.summary.textContent = run.files.length
      ? `${run.passed} passed, ${run.failed} failed${broken ? ` (${broken} file${broken > 1 ? 's' : ''} did not run)` : ''}`
      : `${codebase} has no tests yet: add a check.json, or use "Save as test" on a request-runner result.`;
    this.summary.dataset.state = run.failed ? 'failed' : run.passed ? 'passed' : '';
    if (run.restarted) {
      this.list.append(
        h(
          'div.muted.pad',
          {},
          run.restartError ?? `${codebase} was running: it stepped aside for the tests (they start it on its own ports) and runs again.`,
        ),
      );
    }
    for (const f of run.files) {
      this.list.append(h('div.tests-file', { 'data-testid': 'tests-file' }, h('code', {}, f.file), h('span.muted', {}, ` ${f.ms} ms`)));
      if (f.error) this.list.append(h('div.test-row.error', { 'data-testid': 'tests-file-error' }, `${f.file} did not run: ${f.error}`));
      for (const r of f.results) this.list.append(this.row(r));
    }
  }

  private row(r: TestResult): HTMLElement {
    const trace =
      typeof r.trace === 'number'
        ? h(
            'button.link',
            {
              'data-testid': 'test-trace',
              title: 'Open the trace of this request in the inspector',
              onclick: (e: Event) => {
                e.preventDefault();
                this.hooks.openTrace(r.trace as number);
              },
            },
            `trace #${r.trace}`,
          )
        : null;
    return h(
      'details.test-row',
      { 'data-testid': 'test-row', 'data-pass': String(r.pass), 'data-name': r.name, open: !r.pass },
      h(
        'summary',
        {},
        h('span.test-mark', { class: r.pass ? 'ok' : 'fail' }, r.pass ? '✓' : '✗'),
        h('span.test-name', {}, r.name),
        typeof r.ms === 'number' ? h('span.muted', {}, ` ${r.ms || '<1'} ms`) : null,
        h('span.spacer', {}),
        trace,
      ),
      r.problems.length ? h('ul.test-problems', { 'data-testid': 'test-problems' }, r.problems.map((p) => h('li', {}, p))) : null,
      h(
        'div.test-compare',
        {},
        h('div', {}, h('div.muted', {}, 'Expected'), h('pre', { 'data-testid': 'test-expected' }, pretty(r.expected))),
        h('div', {}, h('div.muted', {}, 'Actual'), h('pre', { 'data-testid': 'test-actual' }, r.actual ? pretty(shown(r.expected, r.actual)) : (r.error ?? '(none)'))),
      ),
      r.request ? h('div.muted.test-request', {}, `request ${JSON.stringify(r.request)}`) : null,
    );
  }
}

function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

/** The actual answer, its headers narrowed to those expected (all of them when none are). */
function shown(expected: Record<string, unknown>, actual: NonNullable<TestResult['actual']>): unknown {
  const want = expected.headers as Record<string, unknown> | undefined;
  if (!want || !actual.headers) return actual;
  const names = Object.keys(want).map((k) => k.toLowerCase());
  const headers = Object.fromEntries(Object.entries(actual.headers).filter(([k]) => names.includes(k.toLowerCase())));
  return { ...actual, headers };
}

// ---------------------------------------------------------------------------------------------
// Save as test

/** The longest body a saved test expects exactly. */
const BODY_MAX = 4000;

/** A test step from a request the runner sent and the answer it got. */
export function stepFromResponse(spec: RequestSpec, r: RequestResult): TestStep {
  const request: Record<string, unknown> = { port: spec.port, method: spec.method ?? 'GET', path: spec.path ?? '/' };
  const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'x-sluice-trace'));
  if (Object.keys(headers).length) request.headers = headers;
  if (spec.body) request.body = spec.body;
  const expect: Record<string, unknown> = { status: r.status };
  const type = Object.entries(r.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  if (type) expect.headers = { 'content-type': type };
  if (typeof r.body === 'string' && r.body.length <= BODY_MAX) expect.body = r.body;
  return { name: `${request.method} ${request.path} answers ${r.status}`, request, expect };
}

/**
 * A test step from a trace: the request line and the response status its records show (a
 * trace keeps heads and 64-byte previews, not whole bodies), sent to `port`.
 */
export function stepFromTrace(trace: Trace, port: number): TestStep | null {
  let method = '';
  let path = '';
  let status = 0;
  for (const r of trace.records ?? []) {
    if (r.event !== 'MessageStart') continue;
    const detail = r.detail ?? '';
    const req = /^([A-Z]+) (\S+) HTTP\/[\d.]+/.exec(detail) ?? /method["']?\s*:\s*["']([A-Z]+)["'][\s\S]*?path["']?\s*:\s*["']([^"']+)["']/.exec(detail);
    if (req && !method) [method, path] = [req[1], req[2]];
    const res = /^HTTP\/[\d.]+ (\d{3})/.exec(detail) ?? /status["']?\s*:\s*(\d{3})\b/.exec(detail);
    if (res && method) status = Number(res[1]);
  }
  if (!method) return null;
  const listen = (trace.records ?? []).map((r) => /^Listen on .*:(\d{1,5})\s*$/.exec(r.layout ?? '')).find(Boolean);
  const request = { port: listen ? Number(listen[1]) : port, method, path };
  return { name: `${method} ${path} answers ${status || 'something'}`, request, expect: status ? { status } : {} };
}

/**
 * Asks for the test's name, then adds `step` to the codebase's test file (`/check.json`, or its
 * first `tests/*.json` when it has no check.json; made when there is none). Resolves to the file
 * written, or null when the user cancelled.
 */
export async function saveAsTest(api: Api, codebase: string, step: TestStep): Promise<string | null> {
  const { files } = await api.listTests(codebase);
  const file = files.includes('/check.json') ? '/check.json' : (files[0] ?? '/check.json');
  let spec: { steps?: unknown[] } & Record<string, unknown> = { steps: [] };
  if (files.includes(file)) {
    const text = await api.readFile(codebase, file);
    try {
      spec = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file} is not JSON (${(e as Error).message}): fix it before saving a test into it.`);
    }
    if (!Array.isArray(spec.steps)) spec.steps = [];
  }
  const taken = new Set((spec.steps ?? []).map((s) => (s as { name?: string }).name));
  let suggestion = step.name;
  for (let i = 2; taken.has(suggestion); i++) suggestion = `${step.name} (${i})`;
  const name = await ask({
    title: `Save as a test in ${codebase}${file}`,
    value: suggestion,
    ok: 'Save test',
    testid: 'save-test',
    validate: (v) => (taken.has(v) ? 'A test of that name is there already.' : null),
  });
  if (!name) return null;
  spec.steps = [...(spec.steps ?? []), { ...step, name }];
  await api.writeFile(codebase, file, `${JSON.stringify(spec, null, 2)}\n`);
  toast(`Saved test "${name}" in ${file}`, 'ok');
  return file;
}
