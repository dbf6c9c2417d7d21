// Run / Stop / Reload buttons for the open codebase, its status, and the other codebases that
// run beside it (several may run at once, each with its own Stop).

import { h, clear } from './dom';
import { confirmAction, toast } from './dialogs';
import { ApiError, type Api, type ProgramInfo } from './api';

/**
 * Starts `name` beside what runs. When a port it needs is held by another running codebase, the
 * user is asked whether to stop that one first: nothing is ever stopped silently.
 */
export async function startBeside(api: Api, name: string): Promise<void> {
  try {
    await api.startProgram(name);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
    const holder = /in use by the program '([^']+)'/.exec(e.message)?.[1];
    if (!holder || holder === name) throw e;
    const why = e.message.replace(/ \(stop it first, or choose another port\)$/, '');
    const stopIt = await confirmAction(`${name} cannot start: ${why}. Stop ${holder} and run ${name}?`, `Stop ${holder} and run`);
    if (!stopIt) throw e;
    await api.stopProgram(holder);
    toast(`Stopped ${holder}`, 'info');
    await api.startProgram(name);
  }
}

export interface ProgramActions {
  run(): void;
  stop(): void;
  reload(): void;
  /** Opens another running codebase in the editor. */
  open(name: string): void;
  /** Stops another running codebase. */
  stopOther(name: string): void;
}

export class ProgramBar {
  readonly el: HTMLElement;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly reloadButton: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly others: HTMLElement;
  private programs: ProgramInfo[] = [];
  private current: string | null = null;
  private busy = false;

  constructor(private readonly actions: ProgramActions) {
    this.runButton = h('button.primary', { onclick: () => actions.run(), 'data-testid': 'run', title: 'Save all and run this codebase (the others keep running)' }, '▶ Run');
    this.stopButton = h('button', { onclick: () => actions.stop(), 'data-testid': 'stop', title: 'Stop this codebase' }, '■ Stop');
    this.reloadButton = h('button', { onclick: () => actions.reload(), 'data-testid': 'reload', title: 'Reload this codebase without dropping connections' }, '⟳ Reload');
    this.status = h('span.status', { 'data-testid': 'program-status' });
    this.others = h('span.running-others', { 'data-testid': 'running-others' });
    this.el = h('div.program', {}, this.runButton, this.stopButton, this.reloadButton, this.status, this.others);
    this.render();
  }

  /** The codebase shown in the editor. */
  setCurrent(name: string | null): void {
    this.current = name;
    this.render();
  }

  /** What the engine runs (`GET /api/v1/programs`). */
  setPrograms(programs: ProgramInfo[]): void {
    this.programs = programs;
    this.render();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.render();
  }

  private render(): void {
    const mine = this.programs.find((p) => p.name === this.current);
    const runsThis = !!mine?.running;
    this.runButton.disabled = this.busy || this.current === null;
    this.runButton.textContent = runsThis ? '▶ Restart' : '▶ Run';
    this.stopButton.disabled = this.busy || !runsThis;
    this.reloadButton.disabled = this.busy || !runsThis;
    let text: string;
    let state: string;
    if (runsThis) {
      const ports = mine.ports.length ? ` on ${mine.ports.map((p) => `:${p}`).join(' ')}` : '';
      text = `Running ${mine.name}${ports}`;
      state = mine.error ? 'warn' : 'running';
    } else if (mine?.error) {
      text = 'Failed';
      state = 'error';
    } else {
      text = 'Stopped';
      state = 'stopped';
    }
    this.status.textContent = text;
    this.status.dataset.state = state;
    this.status.title = mine?.error ? mine.error.error : text;
    clear(this.others);
    const others = this.programs.filter((p) => p.running && p.name !== this.current);
    if (others.length) this.others.append(h('span.muted', {}, 'also running:'));
    for (const p of others) {
      this.others.append(
        h(
          'span.running-chip',
          { 'data-testid': `running-${p.name}`, title: p.ports.length ? `listens on ${p.ports.join(', ')}` : 'no listener' },
          h('a', { href: '#', onclick: (e: Event) => (e.preventDefault(), this.actions.open(p.name)) }, p.name),
          h('button.chip-stop', { title: `Stop ${p.name}`, 'data-testid': `stop-${p.name}`, disabled: this.busy, onclick: () => this.actions.stopOther(p.name) }, '■'),
        ),
      );
    }
  }
}
