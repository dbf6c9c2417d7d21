// The repo view: the codebases a repo serves to the engines that follow it, each with its
// published versions (a diff between any two, publish, roll back), a staged roll-out with
// its progress, its instances, and the live log of one instance. It covers the workspace
// while open; the header's Repo button opens and closes it. The repo is this engine's, or
// another engine's at a URL (kept in this browser).

import './repo.css';
import { h, clear } from './dom';
import { ask, toast } from './dialogs';
import type { Transport } from './api';
import { RepoApi, type RepoCodebase, type RepoVersion } from './repo-api';
import { hunks } from './repo-diff';
import { FleetPanel } from './repo-fleet';

const TARGET_KEY = 'sluice.repo';
const REFRESH_MS = 1000;

export class RepoView {
  readonly el: HTMLElement;
  readonly button: HTMLButtonElement;
  private readonly api: RepoApi;
  private readonly list = h('ul.repo-codebases', { 'data-testid': 'repo-codebases' });
  private readonly summary = h('section.repo-section', { 'data-testid': 'repo-summary' });
  private readonly versions = h('section.repo-section', { 'data-testid': 'repo-versions' });
  private readonly diff = h('section.repo-section', { 'data-testid': 'repo-diff-section' });
  private readonly diffOut = h('div.repo-diff', { 'data-testid': 'repo-diff' });
  private readonly fromSel = h('select', { 'data-testid': 'diff-from' });
  private readonly toSel = h('select', { 'data-testid': 'diff-to' });
  private readonly fleet: FleetPanel;
  private readonly urlInput: HTMLInputElement;
  private readonly tokenInput: HTMLInputElement;
  private selected: string | null = null;
  private info: RepoCodebase | null = null;
  private history: RepoVersion[] = [];
  private timer: number | null = null;

  constructor(transport: Transport) {
    const saved = JSON.parse(localStorage.getItem(TARGET_KEY) ?? '{}') as { url?: string; token?: string };
    this.api = new RepoApi(transport, { url: saved.url ?? '', token: saved.token ?? '' });
    this.fleet = new FleetPanel(
      this.api,
      () => nextVersion(this.history),
      () => void this.refresh(true),
    );
    this.urlInput = h('input', { type: 'text', value: saved.url ?? '', placeholder: 'this engine', size: 28, 'data-testid': 'repo-url', title: 'URL of the engine serving the repo (empty: this one)' });
    this.tokenInput = h('input', { type: 'password', value: saved.token ?? '', placeholder: 'token', size: 10, title: "That engine's admin token" });
    this.button = h('button', { 'data-testid': 'repo-open', title: 'The repo: published codebases, roll-outs and the engines that follow them', onclick: () => this.toggle() }, 'Repo');
    const head = h(
      'div.repo-head',
      {},
      h('strong', {}, 'Repo'),
      h('label', {}, 'at ', this.urlInput, ' ', this.tokenInput),
      h('button', { onclick: () => this.connect() }, 'Connect'),
      h('span.spacer', {}),
      h('button', { 'data-testid': 'repo-close', onclick: () => this.toggle(false) }, 'Close'),
    );
    const nav = h(
      'nav.repo-nav',
      {},
      h('div.repo-nav-head', {}, h('span', {}, 'Codebases'), h('button', { 'data-testid': 'repo-new', onclick: () => void this.create() }, 'New')),
      this.list,
    );
    this.diff.append(
      h('h3', {}, 'Diff'),
      h('div.repo-form', {}, h('label', {}, 'from ', this.fromSel), h('label', {}, 'to ', this.toSel), h('button', { 'data-testid': 'diff-show', onclick: () => void this.showDiff() }, 'Show')),
      this.diffOut,
    );
    const main = h('div.repo-main', {}, this.summary, this.versions, this.diff, this.fleet.rollout, this.fleet.instances, this.fleet.log);
    this.el = h('div.repo-view', { hidden: true, 'data-testid': 'repo-view' }, head, h('div.repo-body', {}, nav, main));
  }

  /** Opens (or closes) the view. */
  toggle(open = this.el.hidden): void {
    this.el.hidden = !open;
    this.button.classList.toggle('active', open);
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    if (open) {
      void this.refresh(true);
      this.timer = window.setInterval(() => void this.refresh(false), REFRESH_MS);
    }
  }

  private connect(): void {
    const target = { url: this.urlInput.value.trim(), token: this.tokenInput.value };
    localStorage.setItem(TARGET_KEY, JSON.stringify(target));
    this.api.setTarget(target);
    this.selected = null;
    void this.refresh(true);
  }

  /** Reloads what is shown; `all` also reloads the list and the version history. */
  private async refresh(all: boolean): Promise<void> {
    try {
      if (all) await this.loadList();
      if (!this.selected) return;
      const name = this.selected;
      const [info, rollout] = await Promise.all([this.api.codebase(name), this.api.rollout(name)]);
      if (name !== this.selected) return;
      const versionChanged = info.version !== this.info?.version || info.versions.length !== this.history.length;
      this.info = info;
      if (all || versionChanged) {
        this.history = await this.api.versions(name);
        this.renderVersions();
        this.fleet.renderRollout(name, rollout);
      } else if (!this.fleet.rollout.contains(document.activeElement)) {
        this.fleet.renderRollout(name, rollout);
      }
      this.renderSummary();
      this.fleet.renderInstances(info.instances, info.version);
      await this.fleet.pollLog();
    } catch (e) {
      if (all) toast(`Repo: ${(e as Error).message}`, 'error', 6000);
    }
  }

  private async loadList(): Promise<void> {
    const names = await this.api.list();
    clear(this.list);
    for (const n of names) {
      this.list.append(
        h('li', { class: n === this.selected ? 'active' : '', 'data-testid': `repo-codebase-${n.replace(/^\//, '')}`, onclick: () => this.select(n) }, n),
      );
    }
    if (!names.length) this.list.append(h('li.muted', {}, 'No codebase yet.'));
    if (!this.selected && names.length) this.select(names[0]);
  }

  private select(name: string): void {
    this.selected = name;
    this.info = null;
    this.history = [];
    clear(this.diffOut);
    this.fleet.showLog(null);
    for (const li of this.list.children) li.classList.toggle('active', li.textContent === name);
    void this.refresh(false).then(() => this.refresh(true));
  }

  private async create(): Promise<void> {
    const name = await ask({ title: 'New codebase in the repo (a path like team/app)', testid: 'repo-new-name' });
    if (!name) return;
    try {
      await this.api.create(name);
      this.selected = '/' + name.split('/').filter(Boolean).join('/');
      await this.refresh(true);
    } catch (e) {
      toast((e as Error).message, 'error', 6000);
    }
  }

  private renderSummary(): void {
    const i = this.info;
    clear(this.summary);
    if (!i) return;
    const pending = i.editFiles.length + i.erasedFiles.length;
    const version = h('input', { type: 'text', value: nextVersion(this.history), size: 6, 'data-testid': 'publish-version' });
    this.summary.append(
      h('h2', {}, i.path),
      h(
        'div.repo-facts',
        {},
        h('span', { 'data-testid': 'repo-current' }, `version ${i.published ?? 'none published'}`),
        h('span', {}, `main ${i.main}`),
        i.base ? h('span', {}, `based on ${i.base}`) : null,
        h('span', {}, `${pending} pending edit${pending === 1 ? '' : 's'}`),
      ),
      h(
        'div.repo-form',
        {},
        h('label', {}, 'Publish as ', version),
        h('button.primary', { 'data-testid': 'publish', onclick: () => void this.publish(version.value.trim()) }, 'Publish to all'),
      ),
    );
  }

  private renderVersions(): void {
    clear(this.versions);
    const rows = [...this.history].reverse().map((v) =>
      h(
        'tr',
        { class: v.current ? 'current' : '', 'data-testid': `repo-version-${v.version}` },
        h('td', {}, v.version),
        h('td', {}, new Date(v.published).toLocaleString()),
        h('td', {}, `${v.files.length} file${v.files.length === 1 ? '' : 's'}`),
        h(
          'td',
          {},
          v.current
            ? h('span.muted', {}, 'current')
            : h('button', { 'data-testid': `rollback-${v.version}`, onclick: () => void this.publish(v.version) }, 'Make current'),
        ),
      ),
    );
    this.versions.append(
      h('h3', {}, `Versions (${this.history.length})`),
      rows.length
        ? h('table.repo-table', {}, h('thead', {}, h('tr', {}, ['Version', 'Published', 'Files', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
        : h('p.muted', {}, 'Nothing published yet.'),
    );
    const names = this.history.map((v) => v.version);
    for (const [sel, pick] of [
      [this.fromSel, names[names.length - 2] ?? names[0]],
      [this.toSel, names[names.length - 1]],
    ] as const) {
      const keep = names.includes(sel.value) ? sel.value : pick;
      sel.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
      if (keep) sel.value = keep;
    }
  }

  /** Publishes the pending edits as `version`, or makes that old version current again. */
  private async publish(version: string): Promise<void> {
    if (!this.selected || !version) return;
    try {
      await this.api.publish(this.selected, version);
      toast(`${this.selected}: version ${version} is current`);
    } catch (e) {
      toast((e as Error).message, 'error', 6000);
    }
    await this.refresh(true);
  }

  private async showDiff(): Promise<void> {
    const name = this.selected;
    const a = this.history.find((v) => v.version === this.fromSel.value);
    const b = this.history.find((v) => v.version === this.toSel.value);
    if (!name || !a || !b) return;
    const files = [...new Set([...a.files, ...b.files])].sort();
    const read = (v: RepoVersion, f: string) => (v.files.includes(f) ? this.api.file(name, f, v.version) : Promise.resolve(''));
    const out: HTMLElement[] = [];
    let same = 0;
    for (const f of files) {
      const [ta, tb] = await Promise.all([read(a, f), read(b, f)]);
      const hs = hunks(ta, tb);
      if (!hs.length) {
        same++;
        continue;
      }
      const state = !a.files.includes(f) ? ' (added)' : !b.files.includes(f) ? ' (removed)' : '';
      out.push(
        h(
          'div.diff-file',
          { 'data-testid': `diff-file-${f}` },
          h('div.diff-name', {}, f + state),
          hs.map((hk) =>
            h(
              'div.diff-hunk',
              {},
              h('div.diff-at', {}, `@@ -${hk.a} +${hk.b} @@`),
              hk.lines.map((l) => h(`div.diff-line${l.kind === '+' ? '.add' : l.kind === '-' ? '.del' : ''}`, {}, `${l.kind}${l.text}`)),
            ),
          ),
        ),
      );
    }
    clear(this.diffOut);
    this.diffOut.append(
      h('div.muted', {}, `${a.version} → ${b.version}: ${out.length} file${out.length === 1 ? '' : 's'} changed, ${same} unchanged`),
      ...out,
    );
  }
}

/** The number after the highest numeric version (or `1`). */
function nextVersion(history: RepoVersion[]): string {
  const nums = history.map((v) => Number(v.version)).filter((n) => Number.isInteger(n));
  return String(nums.length ? Math.max(...nums) + 1 : 1);
}
