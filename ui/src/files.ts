// The file tree of the current codebase: folders from the paths, the entry file flagged, and
// the scripts that run beside it (the codebase's services) flagged and toggled here.

import { h, clear } from './dom';

export interface FileTreeActions {
  open(path: string): void;
  create(): void;
  remove(path: string): void;
  rename(path: string): void;
  setMain(path: string): void;
  /** Makes a script run beside main when the codebase runs, or stop doing so. */
  toggleService(path: string): void;
}

interface Folder {
  folders: Map<string, Folder>;
  files: string[];
}

function buildTree(paths: string[]): Folder {
  const root: Folder = { folders: new Map(), files: [] };
  for (const path of [...paths].sort()) {
    const parts = path.split('/').filter(Boolean);
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.folders.get(part);
      if (!next) dir.folders.set(part, (next = { folders: new Map(), files: [] }));
      dir = next;
    }
    dir.files.push(path);
  }
  return root;
}

export class FileTree {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  /** The codebase's run setting: which scripts Run starts (main, and the services beside it). */
  private readonly runs: HTMLElement;
  private readonly newButton: HTMLButtonElement;
  private files: string[] = [];
  private main = '';
  private services: string[] = [];
  private active: string | null = null;

  constructor(private readonly actions: FileTreeActions) {
    this.newButton = h(
      'button.icon',
      { title: 'New file', onclick: () => actions.create(), 'data-testid': 'file-new', disabled: true },
      '+',
    );
    this.list = h('div.tree', { 'data-testid': 'file-tree' });
    this.runs = h('div.run-settings', { 'data-testid': 'run-settings' });
    this.el = h(
      'aside.files',
      {},
      h('div.panel-header', {}, h('span', {}, 'Files'), this.newButton),
      this.list,
      this.runs,
    );
    this.render();
  }

  set(files: string[] | null, main: string, services: string[] = []): void {
    this.files = files ?? [];
    this.main = main;
    this.services = services;
    this.newButton.disabled = files === null;
    this.render();
  }

  setActive(path: string | null): void {
    this.active = path;
    for (const row of this.list.querySelectorAll<HTMLElement>('.file')) {
      row.classList.toggle('active', row.dataset.path === path);
    }
  }

  private render(): void {
    this.renderRuns();
    clear(this.list);
    if (this.files.length === 0) {
      this.list.append(h('div.muted.pad', {}, this.newButton.disabled ? 'No codebase selected.' : 'No files yet.'));
      return;
    }
    this.renderFolder(buildTree(this.files), 0);
  }

  private renderFolder(dir: Folder, depth: number): void {
    for (const [name, sub] of dir.folders) {
      this.list.append(h('div.folder', { style: `padding-left:${8 + depth * 12}px` }, `▾ ${name}`));
      this.renderFolder(sub, depth + 1);
    }
    for (const path of dir.files) {
      const isMain = path === this.main;
      const isService = this.services.includes(path);
      const isScript = /\.(m?js)$/.test(path);
      const a = this.actions;
      this.list.append(
        h(
          'div.file',
          {
            class: path === this.active ? 'active' : '',
            style: `padding-left:${8 + depth * 12}px`,
            title: isMain ? `${path} (main: the entry script)` : isService ? `${path} (runs beside main)` : path,
            'data-path': path,
            'data-testid': 'file-item',
            onclick: () => a.open(path),
          },
          h('span.file-name', {}, path.split('/').pop() ?? path),
          isMain ? h('span.badge', { 'data-testid': 'main-flag' }, 'main') : null,
          isService ? h('span.badge.service', { 'data-testid': 'service-flag', title: 'Runs beside main when the codebase runs' }, 'runs') : null,
          h(
            'span.file-actions',
            {},
            isMain || !isScript
              ? null
              : h(
                  'button.icon',
                  {
                    title: isService ? 'Stop running it beside main' : 'Run it beside main (a backend, say)',
                    onclick: stop(() => a.toggleService(path)),
                    'data-testid': 'file-toggle-service',
                  },
                  isService ? '■' : '▶',
                ),
            isMain
              ? null
              : h('button.icon', { title: 'Set as main', onclick: stop(() => a.setMain(path)), 'data-testid': 'file-set-main' }, '★'),
            h('button.icon', { title: 'Rename', onclick: stop(() => a.rename(path)), 'data-testid': 'file-rename' }, '✎'),
            h('button.icon', { title: 'Delete', onclick: stop(() => a.remove(path)), 'data-testid': 'file-delete' }, '✕'),
          ),
        ),
      );
    }
  }

  /** The run setting: every script with a box; main always runs, the others when ticked. */
  private renderRuns(): void {
    clear(this.runs);
    const scripts = this.files.filter((f) => /\.(m?js)$/.test(f));
    this.runs.hidden = scripts.length === 0;
    if (scripts.length === 0) return;
    this.runs.append(h('div.run-settings-title', { title: "The codebase's settings: the scripts Run starts together, in one program" }, 'Run starts'));
    for (const path of scripts) {
      const isMain = path === this.main;
      const box = h('input', {
        type: 'checkbox',
        checked: isMain || this.services.includes(path),
        disabled: isMain,
        onchange: () => this.actions.toggleService(path),
      });
      this.runs.append(
        h(
          'label.run-setting',
          { 'data-testid': 'run-setting', 'data-path': path, title: isMain ? 'The entry script always runs' : `Run ${path} beside ${this.main}` },
          box,
          ` ${path}`,
          isMain ? h('span.muted', {}, ' (main)') : null,
        ),
      );
    }
  }
}

const stop = (fn: () => void) => (e: Event) => {
  e.stopPropagation();
  fn();
};
