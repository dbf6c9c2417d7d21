// The Reference tab: every filter and every global and class of the script API, searchable,
// from the engine's `GET /api/v1/reference` (made from the same sources as `engine --gen-docs`,
// so it needs no network and works offline in the desktop app).
//
// Hovering a filter or a global in the editor offers "Open in Reference", which opens this tab
// at its entry (installReferenceHover).

import { h, clear } from './dom';
import type { Api } from './api';
import { monaco } from './monaco';
import './reference-tests.css';

export interface FilterEntry {
  name: string;
  signature: string;
  kind: string;
  help: string;
  params: { name: string; help: string }[];
  events: { in: string; out: string } | null;
  overloads: string[];
  example: string | null;
}

export interface ApiEntry {
  name: string;
  kind: string;
  summary: string;
  code: string;
}

export interface Reference {
  filters: FilterEntry[];
  api: ApiEntry[];
}

export type EntryKind = 'filter' | 'api';

/** One searchable entry. */
export interface Entry {
  kind: EntryKind;
  name: string;
  /** One line under the name in the list. */
  line: string;
  /** All the words a search looks through (lower case). */
  text: string;
}

/** The entries of a reference: filters first, then the script API, in their own order. */
export function entriesOf(ref: Reference): Entry[] {
  return [
    ...ref.filters.map((f) => ({
      kind: 'filter' as const,
      name: f.name,
      line: f.help,
      text: [f.name, f.help, ...f.params.map((p) => `${p.name} ${p.help}`)].join(' ').toLowerCase(),
    })),
    ...ref.api.map((d) => ({
      kind: 'api' as const,
      name: d.name,
      line: d.summary || d.kind,
      text: [d.name, d.kind, d.summary].join(' ').toLowerCase(),
    })),
  ];
}

/**
 * The entries matching `query`, best first: an exact name, then names starting with it, then
 * names containing it, then entries whose text has every word of it.
 */
export function search(entries: Entry[], query: string): Entry[] {
  const q = query.trim().toLowerCase();
  if (!q) return entries;
  const words = q.split(/\s+/);
  const scored: [number, number, Entry][] = [];
  entries.forEach((e, i) => {
    const n = e.name.toLowerCase();
    const score = n === q ? 0 : n.startsWith(q) ? 1 : n.includes(q) ? 2 : words.every((w) => e.text.includes(w)) ? 3 : -1;
    if (score >= 0) scored.push([score, i, e]);
  });
  return scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , e]) => e);
}

export class ReferencePanel {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly entry: HTMLElement;
  private readonly note: HTMLElement;

  private ref: Reference | null = null;
  private entries: Entry[] = [];
  private loading: Promise<void> | null = null;
  private selected: { kind: EntryKind; name: string } | null = null;

  constructor(private readonly api: Api) {
    this.input = h('input.ref-search', {
      type: 'search',
      placeholder: 'Search filters, globals, classes…',
      spellcheck: false,
      'data-testid': 'reference-search',
      oninput: () => this.renderList(),
      onkeydown: (e: KeyboardEvent) => {
        if (e.key !== 'Enter') return;
        const first = search(this.entries, this.input.value)[0];
        if (first) this.show(first.kind, first.name);
      },
    });
    this.note = h('span.muted.ref-note', { 'data-testid': 'reference-count' });
    this.list = h('div.ref-list', { 'data-testid': 'reference-list' });
    this.entry = h('article.ref-entry', { 'data-testid': 'reference-entry' }, h('div.muted.pad', {}, 'Pick an entry.'));
    this.el = h(
      'section.reference',
      { 'data-testid': 'reference' },
      h('div.ref-bar', {}, this.input, this.note),
      h('div.ref-body', {}, this.list, this.entry),
    );
  }

  /** Fetches the reference once (again after a failure). */
  load(): Promise<void> {
    this.loading ??= this.api
      .getReference<Reference>()
      .then((ref) => {
        this.ref = ref;
        this.entries = entriesOf(ref);
        this.renderList();
      })
      .catch((e) => {
        this.loading = null;
        clear(this.list);
        this.list.append(h('div.error.pad', {}, `The reference did not load: ${(e as Error).message}`));
      });
    return this.loading;
  }

  /** The entry kind of `name`, if the reference has it (filters before the script API). */
  find(name: string, kind?: EntryKind): EntryKind | null {
    const hit = this.entries.find((e) => e.name === name && (!kind || e.kind === kind));
    return hit ? hit.kind : null;
  }

  /** Shows the entry `name` (loading the reference first if needed) and selects it in the list. */
  async open(kind: EntryKind, name: string): Promise<void> {
    await this.load();
    // An entry the current search hides: the search is cleared, so the list shows it.
    if (!search(this.entries, this.input.value).some((e) => e.kind === kind && e.name === name)) {
      this.input.value = '';
      this.renderList();
    }
    this.show(kind, name);
  }

  private show(kind: EntryKind, name: string): void {
    this.selected = { kind, name };
    for (const row of this.list.querySelectorAll<HTMLElement>('.ref-item')) {
      const on = row.dataset.kind === kind && row.dataset.name === name;
      row.classList.toggle('selected', on);
      if (on) row.scrollIntoView({ block: 'nearest' });
    }
    clear(this.entry);
    this.entry.dataset.kind = kind;
    this.entry.dataset.name = name;
    const f = kind === 'filter' ? this.ref?.filters.find((x) => x.name === name) : undefined;
    const d = kind === 'api' ? this.ref?.api.find((x) => x.name === name) : undefined;
    if (f) this.entry.append(...filterView(f));
    else if (d) this.entry.append(...apiView(d));
    else this.entry.append(h('div.muted.pad', {}, `No entry ${name}.`));
    this.entry.scrollTop = 0;
  }

  private renderList(): void {
    const found = search(this.entries, this.input.value);
    this.note.textContent = `${found.length} of ${this.entries.length}`;
    clear(this.list);
    let group = '';
    for (const e of found) {
      const title = e.kind === 'filter' ? 'Filters' : 'Script API';
      if (title !== group) {
        group = title;
        this.list.append(h('div.ref-group', {}, title));
      }
      const selected = this.selected?.kind === e.kind && this.selected.name === e.name;
      this.list.append(
        h(
          'div.ref-item',
          {
            class: selected ? 'selected' : '',
            'data-testid': 'reference-item',
            'data-kind': e.kind,
            'data-name': e.name,
            title: e.line,
            onclick: () => this.show(e.kind, e.name),
          },
          h('code', {}, e.name),
          h('span.muted', {}, e.line),
        ),
      );
    }
    if (!found.length) this.list.append(h('div.muted.pad', {}, 'Nothing matches.'));
  }
}

function filterView(f: FilterEntry): HTMLElement[] {
  const out: HTMLElement[] = [
    h('h3', { 'data-testid': 'reference-title' }, f.name),
    h('div', {}, h('code', {}, f.signature), h('span.muted', {}, ` — ${f.kind} filter`)),
    h('p', {}, f.help.replace(/\.?$/, '.')),
  ];
  if (f.params.length) {
    out.push(
      h(
        'table.ref-params',
        {},
        h('tr', {}, h('th', {}, 'Parameter'), h('th', {}, 'What it is')),
        f.params.map((p) => h('tr', {}, h('td', {}, h('code', {}, p.name)), h('td', {}, p.help))),
      ),
    );
  }
  if (f.events) out.push(h('p.ref-events', {}, h('b', {}, 'Events in: '), f.events.in, h('br', {}), h('b', {}, 'Out: '), f.events.out));
  if (f.overloads.length) out.push(code(f.overloads.map((o) => `${o};`).join('\n'), 'typescript'));
  if (f.example) out.push(h('div.ref-label', {}, 'Example (tested)'), code(f.example, 'javascript'));
  return out;
}

function apiView(d: ApiEntry): HTMLElement[] {
  return [
    h('h3', { 'data-testid': 'reference-title' }, d.name),
    h('div.muted', {}, d.kind),
    d.summary ? h('p', {}, d.summary) : h('p.muted', {}, ''),
    code(d.code, 'typescript'),
  ];
}

/** A code block, coloured by monaco's tokenizer once it is ready. */
function code(text: string, language: string): HTMLElement {
  const pre = h('pre.ref-code', {}, text);
  void monaco.editor
    .colorize(text, language, { tabSize: 2 })
    .then((html) => {
      pre.innerHTML = html;
    })
    .catch(() => {});
  return pre;
}

// ---------------------------------------------------------------------------------------------
// The editor's hover

const COMMAND = 'sluice.openReference';

/**
 * Adds "Open in Reference" to the editor's hovers over a filter (`.demuxHTTP(`) or a global,
 * namespace or class (`Message`, `algo`), and the command its link runs: `open(kind, name)`.
 */
export function installReferenceHover(panel: ReferencePanel, open: (kind: EntryKind, name: string) => void): void {
  void panel.load();
  monaco.editor.registerCommand(COMMAND, (_accessor: unknown, kind: EntryKind, name: string) => open(kind, name));
  monaco.languages.registerHoverProvider('javascript', {
    provideHover(model, position) {
      const word = model.getWordAtPosition(position);
      if (!word) return null;
      const before = model.getLineContent(position.lineNumber).slice(0, word.startColumn - 1);
      const member = /\.\s*$/.test(before);
      const owner = /([A-Za-z_$][\w$]*)\s*\.\s*$/.exec(before)?.[1];
      let target: { kind: EntryKind; name: string } | null = null;
      if (member && panel.find(word.word, 'filter')) target = { kind: 'filter', name: word.word };
      else if (!member && panel.find(word.word, 'api')) target = { kind: 'api', name: word.word };
      else if (owner && panel.find(`${owner}.${word.word}`, 'api')) target = { kind: 'api', name: `${owner}.${word.word}` };
      else if (owner && panel.find(owner, 'api')) target = { kind: 'api', name: owner };
      if (!target) return null;
      const args = encodeURIComponent(JSON.stringify([target.kind, target.name]));
      return {
        range: new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn),
        contents: [{ value: `[Open in Reference](command:${COMMAND}?${args} "${target.name} in the Reference tab")`, isTrusted: true }],
      };
    },
  });
}
