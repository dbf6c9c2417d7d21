// The tutorials panel: the engine's built-in tutorials, their README, and a way to start a
// codebase from one.

import { h, clear } from './dom';
import { renderMarkdown } from './markdown';
import type { Api, Tutorial } from './api';

export class TutorialsPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly readme: HTMLElement;
  private tutorials: Tutorial[] = [];
  private loaded = false;
  private current: string | null = null;

  constructor(
    private readonly api: Api,
    private readonly copy: (tutorial: Tutorial) => void,
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
          { 'data-name': t.name, 'data-testid': 'tutorial-item', onclick: () => void this.open(t) },
          h('div.tutorial-title', {}, t.title || t.name),
          h('div.muted', {}, t.name),
        ),
      );
    }
    if (this.tutorials[0] && !this.current) await this.open(this.tutorials[0]);
  }

  private async open(t: Tutorial): Promise<void> {
    this.current = t.name;
    for (const el of this.list.querySelectorAll<HTMLElement>('.tutorial')) {
      el.classList.toggle('active', el.dataset.name === t.name);
    }
    clear(this.readme);
    const bar = h(
      'div.tutorial-bar',
      {},
      h('span.tutorial-files.muted', {}, t.files.join('  ')),
      h('button.primary', { onclick: () => this.copy(t), 'data-testid': 'tutorial-copy' }, 'Copy to new codebase'),
    );
    this.readme.append(bar);
    const body = h('div', {});
    this.readme.append(body);
    if (!t.files.includes('README.md') && !t.files.includes('/README.md')) {
      body.append(h('p.muted', {}, 'This tutorial has no README.'));
      return;
    }
    try {
      const text = await this.api.readTutorialFile(t.name, '/README.md');
      if (this.current === t.name) body.innerHTML = renderMarkdown(text);
    } catch (e) {
      body.append(h('p.error', {}, `Could not read README.md: ${(e as Error).message}`));
    }
  }
}
