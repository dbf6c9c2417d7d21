// The codebase picker in the header: choose, create, rename, delete.

import { h, clear } from './dom';
import type { CodebaseInfo } from './api';

export interface CodebaseActions {
  select(name: string): void;
  create(): void;
  rename(name: string): void;
  remove(name: string): void;
}

export class CodebasePicker {
  readonly el: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly renameButton: HTMLButtonElement;
  private readonly deleteButton: HTMLButtonElement;

  constructor(actions: CodebaseActions) {
    this.select = h('select', {
      title: 'Codebase',
      'data-testid': 'codebase-select',
      onchange: () => this.select.value && actions.select(this.select.value),
    });
    this.renameButton = h(
      'button',
      { title: 'Rename codebase', onclick: () => actions.rename(this.select.value), 'data-testid': 'codebase-rename' },
      'Rename',
    );
    this.deleteButton = h(
      'button',
      { title: 'Delete codebase', onclick: () => actions.remove(this.select.value), 'data-testid': 'codebase-delete' },
      'Delete',
    );
    this.el = h(
      'div.codebases',
      {},
      this.select,
      h('button', { title: 'New codebase', onclick: () => actions.create(), 'data-testid': 'codebase-new' }, 'New'),
      this.renameButton,
      this.deleteButton,
    );
  }

  set(list: CodebaseInfo[], current: string | null): void {
    clear(this.select);
    if (list.length === 0) this.select.append(h('option', { value: '' }, 'No codebases'));
    else if (current === null) this.select.append(h('option', { value: '' }, 'Choose a codebase…'));
    for (const cb of [...list].sort((a, b) => a.name.localeCompare(b.name))) {
      this.select.append(h('option', { value: cb.name }, cb.name));
    }
    this.select.value = current ?? '';
    this.renameButton.disabled = this.deleteButton.disabled = current === null;
  }
}

/** Codebase names are one path segment of letters, digits, `-`, `_`, `.` (not starting with `.`). */
export function checkCodebaseName(name: string): string | null {
  return /^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$/.test(name)
    ? null
    : 'Use letters, digits, "-", "_" and "." (not first).';
}
