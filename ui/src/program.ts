// Run / Stop / Reload buttons and the program status shown in the header.

import { h } from './dom';
import type { ProgramStatus } from './api';

export interface ProgramActions {
  run(): void;
  stop(): void;
  reload(): void;
}

export class ProgramBar {
  readonly el: HTMLElement;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly reloadButton: HTMLButtonElement;
  private readonly status: HTMLElement;
  private program: ProgramStatus = { codebase: null, running: false, error: null };
  private current: string | null = null;
  private busy = false;

  constructor(actions: ProgramActions) {
    this.runButton = h('button.primary', { onclick: () => actions.run(), 'data-testid': 'run', title: 'Save all and run this codebase' }, '▶ Run');
    this.stopButton = h('button', { onclick: () => actions.stop(), 'data-testid': 'stop', title: 'Stop the program' }, '■ Stop');
    this.reloadButton = h('button', { onclick: () => actions.reload(), 'data-testid': 'reload', title: 'Reload the running program' }, '⟳ Reload');
    this.status = h('span.status', { 'data-testid': 'program-status' });
    this.el = h('div.program', {}, this.runButton, this.stopButton, this.reloadButton, this.status);
    this.render();
  }

  /** The codebase shown in the editor. */
  setCurrent(name: string | null): void {
    this.current = name;
    this.render();
  }

  setStatus(p: ProgramStatus): void {
    this.program = p;
    this.render();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.render();
  }

  private render(): void {
    const p = this.program;
    const runsThis = p.running && p.codebase === this.current && this.current !== null;
    this.runButton.disabled = this.busy || this.current === null;
    this.runButton.textContent = runsThis ? '▶ Restart' : '▶ Run';
    this.stopButton.disabled = this.busy || !p.running;
    this.reloadButton.disabled = this.busy || !runsThis;
    let text: string;
    let state: string;
    if (p.running) {
      text = `Running ${p.codebase ?? ''}`;
      state = p.error ? 'warn' : 'running';
    } else if (p.error) {
      text = 'Failed';
      state = 'error';
    } else {
      text = 'Stopped';
      state = 'stopped';
    }
    this.status.textContent = text;
    this.status.dataset.state = state;
    this.status.title = p.error ? p.error.error : text;
  }
}
