// The workspace: lays out the panels and carries out what the user asks, through the Api.

import { Api, ApiError, setToken, type Codebase, type CodebaseInfo, type GraphAnswer, type ProgramInfo, type ProgramStatus, type Tutorial } from './api';
import { h } from './dom';
import { ask, confirmAction, toast } from './dialogs';
import { monaco, setTypings } from './monaco';
import { EditorArea } from './editor';
import { FileTree } from './files';
import { CodebasePicker, checkCodebaseName } from './codebases';
import { ProgramBar, startBeside } from './program';
import { LogConsole } from './log';
import { GraphView } from './graph';
import { runningGraph, scopeControl, type Scope } from './graphscope';
import { TutorialsPanel } from './tutorials';
import { Dashboard } from './dashboard';
import { Inspector } from './inspector';
import { DebugPanel } from './debugger';
import { installDesktop } from './desktop';
import { installSplitters } from './splitters';
import { RepoView } from './repo';
import { ReferencePanel, installReferenceHover } from './reference';
import { TestsPanel, saveAsTest, stepFromResponse, stepFromTrace } from './tests-panel';

const LAST_CODEBASE = 'sluice.codebase';

export class App {
  private readonly api = new Api();
  private readonly picker: CodebasePicker;
  private readonly program: ProgramBar;
  private readonly files: FileTree;
  private readonly editor: EditorArea;
  private readonly log: LogConsole;
  private readonly graph: GraphView;
  private readonly tutorials: TutorialsPanel;
  private readonly dashboard: Dashboard;
  private readonly inspector: Inspector;
  private readonly debug: DebugPanel;
  private readonly repoView: RepoView;
  private readonly reference: ReferencePanel;
  private readonly tests: TestsPanel;
  private readonly banner: HTMLElement;
  private readonly saveButton: HTMLButtonElement;

  private codebases: CodebaseInfo[] = [];
  private current: Codebase | null = null;
  /** The open codebase's program: running or not, and its last error. */
  private status: ProgramStatus = { codebase: null, running: false, error: null };
  /** Every codebase that runs (several may), then those whose last start failed. */
  private programs: ProgramInfo[] = [];
  private graphSeq = 0;
  /** What the graph panel draws: the open codebase's files, or every codebase that runs. */
  private graphScope: Scope = 'codebase';
  /** The running codebases the graph was last drawn for (scope 'running'). */
  private graphRunning = '';
  private askingToken = false;
  /** Shows one tab of the side panel (set up by sidePanel()). */
  private showSide: (key: string) => void = () => {};

  constructor(root: HTMLElement) {
    this.picker = new CodebasePicker({
      select: (name) => void this.guard(() => this.openCodebase(name)),
      create: () => void this.guard(() => this.createCodebase()),
      rename: (name) => void this.guard(() => this.renameCodebase(name)),
      remove: (name) => void this.guard(() => this.deleteCodebase(name)),
    });
    this.program = new ProgramBar({
      run: () => void this.guard(() => this.run()),
      stop: () => void this.guard(() => this.stop()),
      reload: () => void this.guard(() => this.reload()),
      open: (name) => void this.guard(() => this.openCodebase(name)),
      stopOther: (name) => void this.guard(() => this.stop(name)),
    });
    this.files = new FileTree({
      open: (path) => void this.guard(() => this.editor.open(path)),
      create: () => void this.guard(() => this.createFile()),
      remove: (path) => void this.guard(() => this.deleteFile(path)),
      rename: (path) => void this.guard(() => this.renameFile(path)),
      setMain: (path) => void this.guard(() => this.setMain(path)),
      toggleService: (path) => void this.guard(() => this.toggleService(path)),
    });
    this.editor = new EditorArea({
      load: (path) => this.api.readFile(this.need().name, path),
      save: (path, text) => this.saveFile(path, text),
    });
    this.log = new LogConsole(this.api);
    this.graph = new GraphView((file, line) => void this.guard(() => this.revealIn(file, line)));
    this.graph.bar.append(
      scopeControl((scope) => {
        this.graphScope = scope;
        void this.refreshGraph();
      }),
    );
    this.tutorials = new TutorialsPanel(this.api, {
      copy: (t) => void this.guard(() => this.copyTutorial(t)),
      open: (t) => this.openTutorial(t),
      run: (name) => this.runCodebase(name),
    });
    this.dashboard = new Dashboard(this.api);
    this.inspector = new Inspector(this.api);
    this.debug = new DebugPanel(this.api, {
      reveal: (file, line) => void this.guard(() => this.revealIn(file, line)),
      paused: () => {
        this.showSide('debug');
        const at = this.debug.pausedAt();
        if (at?.line) void this.guard(() => this.revealIn(at.file, at.line as number));
      },
      changed: () => {
        const at = this.debug.pausedAt();
        this.graph.markFilters(this.debug.breakpointKeys(), at?.key ?? null);
        this.editor.setBreakpoints(this.debug.breakpointLines(), at?.line ? { path: at.file, line: at.line } : null);
      },
    });
    this.graph.filterExtra = (layout, index) => this.debug.graphButton(layout, index);
    this.editor.onGutterClick = (path, line) => this.debug.gutter(path, line);
    this.repoView = new RepoView(this.api.transport);
    this.reference = new ReferencePanel(this.api);
    this.tests = new TestsPanel(this.api, {
      codebase: () => this.current?.name ?? null,
      openTrace: (id) => {
        this.showSide('inspector');
        void this.inspector.open(id);
      },
    });
    this.inspector.onSaveAsTest = (src) =>
      void this.guard(async () => {
        const step = 'trace' in src ? stepFromTrace(src.trace, src.port) : stepFromResponse(src.request, src.result);
        if (!step) throw new Error('This trace shows no HTTP request to make a test of.');
        if (await saveAsTest(this.api, this.need().name, step)) await this.refreshFiles();
      });
    this.banner = h('div.banner', { hidden: true, 'data-testid': 'banner' });

    this.saveButton = h(
      'button',
      { onclick: () => void this.guard(() => this.editor.saveActive()), 'data-testid': 'save', title: 'Save (Ctrl+S)' },
      'Save',
    );
    this.editor.onChange = () => {
      this.files.setActive(this.editor.activePath);
      const path = this.editor.activePath;
      this.saveButton.disabled = !path;
      this.saveButton.classList.toggle('primary', !!path && this.editor.isDirty(path));
    };
    this.editor.el.querySelector('.tabs')?.after(h('div.editor-actions', {}, this.saveButton));
    this.editor.onChange();

    const side = this.sidePanel();
    installReferenceHover(this.reference, (kind, name) => {
      this.showSide('reference');
      void this.reference.open(kind, name);
    });
    root.append(
      h(
        'header.top',
        {},
        h('div.brand', {}, 'Sluice'),
        this.picker.el,
        h('span.spacer', {}),
        this.repoView.button,
        this.program.el,
      ),
      this.banner,
      this.files.el,
      this.editor.el,
      side,
      this.log.el,
      this.repoView.el,
    );
    // Panels keep the sizes the user gives them; opening a tab never resizes another panel.
    installSplitters(root, [
      { panel: this.files.el, edge: 'right', variable: '--files-w', min: 140, reserve: 700, name: 'files' },
      { panel: side, edge: 'left', variable: '--side-w', min: 280, reserve: 560, name: 'side' },
      { panel: this.log.el, edge: 'top', variable: '--log-h', min: 80, reserve: 240, name: 'log' },
    ]);

    window.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void this.guard(() => this.editor.saveActive());
      }
    });
    this.api.onUnauthorized = () => void this.askToken();
    // Handy for debugging and for browser tests.
    (window as unknown as Record<string, unknown>).sluiceIDE = { monaco, editor: this.editor.monacoEditor };
    // Inside the desktop app: the native menu's hooks and the window title.
    installDesktop(this.api, {
      newCodebase: () => this.guard(() => this.createCodebase()),
      openCodebase: (name) => this.guard(() => this.refreshCodebases().then(() => this.openCodebase(name))),
      run: () => this.guard(() => this.run()),
      stop: () => this.guard(() => this.stop()),
      state: () => ({ open: this.current?.name ?? null, running: this.status.running ? this.status.codebase : (this.programs.find((p) => p.running)?.name ?? null) }),
    });
  }

  async start(): Promise<void> {
    this.log.start();
    void this.loadTypings();
    await this.connect();
    setInterval(() => void this.refreshProgram(), 3000);
  }

  // -- start-up

  /** Waits for the engine, then opens the last codebase (or the running one, or the first). */
  private async connect(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.codebases = await this.api.listCodebases();
        break;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return;
        this.showBanner(`Cannot reach the engine's admin API (${(e as Error).message}). Retrying…`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 1000 + attempt * 500)));
      }
    }
    this.showBanner(null);
    await this.refreshProgram();
    const names = this.codebases.map((c) => c.name);
    const last = localStorage.getItem(LAST_CODEBASE);
    const pick = [last, this.programs.find((p) => p.running)?.name, names[0]].find((n) => n && names.includes(n));
    if (pick) await this.guard(() => this.openCodebase(pick));
    else {
      // A first visit, with nothing to open: start with the tutorials.
      this.picker.set(this.codebases, null);
      this.showSide('tutorials');
    }
  }

  private async loadTypings(): Promise<void> {
    for (let attempt = 0; attempt < 30; attempt++) {
      try {
        setTypings(await this.api.getTypings());
        return;
      } catch (e) {
        if (e instanceof ApiError) {
          toast(`Script API declarations unavailable: ${e.message}`, 'error');
          return;
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  private async askToken(): Promise<void> {
    if (this.askingToken) return;
    this.askingToken = true;
    const token = await ask({
      title: 'The engine asks for its admin token (--admin-token).',
      placeholder: 'token',
      ok: 'Use token',
      testid: 'token',
    });
    this.askingToken = false;
    if (token) {
      setToken(token);
      await this.connect();
      void this.loadTypings();
    }
  }

  // -- codebases

  private need(): Codebase {
    if (!this.current) throw new Error('No codebase is open.');
    return this.current;
  }

  private async refreshCodebases(): Promise<void> {
    this.codebases = await this.api.listCodebases();
    this.picker.set(this.codebases, this.current?.name ?? null);
  }

  private async openCodebase(name: string): Promise<void> {
    const cb = await this.api.getCodebase(name);
    const switching = this.current?.name !== name;
    this.current = cb;
    localStorage.setItem(LAST_CODEBASE, name);
    if (switching) this.editor.reset(name);
    this.files.set(cb.files, cb.main, cb.services);
    this.program.setCurrent(name);
    this.showProgram();
    this.picker.set(this.codebases, name);
    if (switching) {
      const first = cb.files.includes(cb.main) ? cb.main : cb.files.find((f) => f.endsWith('.js'));
      if (first) await this.editor.open(first);
    }
    void this.refreshGraph();
  }

  /** Re-reads the current codebase's files and entry. */
  private async refreshFiles(): Promise<void> {
    if (!this.current) return;
    const cb = await this.api.getCodebase(this.current.name);
    this.current = cb;
    this.files.set(cb.files, cb.main, cb.services);
    this.files.setActive(this.editor.activePath);
  }

  private async createCodebase(): Promise<void> {
    const name = await ask({
      title: 'New codebase',
      placeholder: 'name, e.g. hello',
      ok: 'Create',
      testid: 'codebase-name',
      okTestid: 'codebase-create',
      validate: (v) => checkCodebaseName(v) ?? (this.codebases.some((c) => c.name === v) ? 'That codebase exists.' : null),
    });
    if (!name) return;
    await this.api.createCodebase(name, { main: '/main.js', template: 'hello' });
    await this.refreshCodebases();
    await this.openCodebase(name);
    toast(`Created codebase ${name}`, 'ok');
  }

  private async renameCodebase(name: string): Promise<void> {
    if (!name) return;
    const to = await ask({
      title: `Rename codebase ${name}`,
      value: name,
      ok: 'Rename',
      testid: 'codebase-rename',
      validate: checkCodebaseName,
    });
    if (!to || to === name) return;
    await this.editor.saveAll();
    await this.api.updateCodebase(name, { name: to });
    this.current = null;
    await this.refreshCodebases();
    await this.openCodebase(to);
  }

  private async deleteCodebase(name: string): Promise<void> {
    if (!name || !(await confirmAction(`Delete codebase ${name} and all its files?`))) return;
    await this.api.deleteCodebase(name);
    localStorage.removeItem(LAST_CODEBASE);
    this.current = null;
    this.editor.reset('');
    this.files.set(null, '');
    this.program.setCurrent(null);
    await this.refreshCodebases();
    if (this.codebases[0]) await this.openCodebase(this.codebases[0].name);
    else this.graph.reset('No codebase selected.');
    void this.refreshProgram();
  }

  private async copyTutorial(t: Tutorial): Promise<void> {
    let suggestion = t.name;
    for (let i = 2; this.codebases.some((c) => c.name === suggestion); i++) suggestion = `${t.name}-${i}`;
    const name = await ask({
      title: `Copy tutorial ${t.title || t.name} to a new codebase`,
      value: suggestion,
      ok: 'Copy',
      testid: 'tutorial-copy-name',
      validate: (v) => checkCodebaseName(v) ?? (this.codebases.some((c) => c.name === v) ? 'That codebase exists.' : null),
    });
    if (!name) return;
    const cb = await this.api.copyTutorial(t.name, name);
    await this.refreshCodebases();
    await this.openCodebase(cb.name);
    toast(`Copied ${t.name} to ${cb.name}`, 'ok');
  }

  /**
   * The tutorial panel's Open: the codebase named after the tutorial, copied from it if there is
   * none yet (an existing one is reopened as it is, edits included). Resolves to its name.
   */
  private async openTutorial(t: Tutorial): Promise<string | null> {
    try {
      await this.refreshCodebases();
      if (this.codebases.some((c) => c.name === t.name)) {
        await this.openCodebase(t.name);
        toast(`Opened codebase ${t.name} (your copy of the tutorial)`, 'info');
      } else {
        await this.api.copyTutorial(t.name, t.name);
        await this.refreshCodebases();
        await this.openCodebase(t.name);
        toast(`Copied ${t.name} to codebase ${t.name}`, 'ok');
      }
      return t.name;
    } catch (e) {
      toast((e as Error).message || String(e), 'error', 6000);
      return null;
    }
  }

  /** Opens a codebase if it is not the current one, then runs it; resolves to whether it runs. */
  private async runCodebase(name: string): Promise<boolean> {
    try {
      if (this.current?.name !== name) await this.openCodebase(name);
      await this.run();
    } catch (e) {
      toast((e as Error).message || String(e), 'error', 6000);
    }
    return this.status.running && this.status.codebase === name;
  }

  // -- files

  private async saveFile(path: string, text: string): Promise<void> {
    const cb = this.need();
    const result = await this.api.writeFile(cb.name, path, text);
    if (result.created) await this.refreshFiles();
    let note: string | null = null;
    if (result.reload === 'ok') {
      this.editor.clearErrors();
      const answer = await this.refreshGraph();
      const listens = answer?.graph.layouts.some((l) => l.kind === 'listen' && l.module === cb.main);
      if (answer && path === cb.main && !listens) {
        note = `reload: ok, but ${path} declares no listener (.listen(port))`;
        toast(`Saved ${path} — reloaded, but the program declares no listener (.listen(port)), so no request can reach it`, 'error', 8000);
      } else {
        toast(`Saved ${path} — reloaded`, 'ok');
      }
    } else if (result.reload === 'failed') {
      toast(`Saved ${path} — reload failed, the previous program keeps running`, 'error', 6000);
      await this.refreshProgram();
      const err = this.status.error;
      if (err?.file && typeof err.line === 'number') {
        await this.editor.showError({ error: err.error, file: err.file, line: err.line, column: err.column ?? 1 });
      }
    } else {
      toast(`Saved ${path}`, 'info', 1500);
    }
    this.showReload(result.reload, note);
    this.tests.fileSaved();
    if (result.reload !== 'ok') void this.refreshGraph();
  }

  /** The outcome of the last save's reload; `note` replaces "reload: ok" when it needs saying. */
  private showReload(reload: 'ok' | 'failed' | null, note: string | null = null): void {
    const el = this.program.el.querySelector<HTMLElement>('.reload-result') ??
      this.program.el.appendChild(h('span.reload-result', { 'data-testid': 'reload-result' }));
    el.textContent = note ?? (reload ? `reload: ${reload}` : '');
    el.dataset.state = note ? 'warn' : (reload ?? '');
  }

  private async createFile(): Promise<void> {
    const cb = this.need();
    const raw = await ask({
      title: 'New file',
      placeholder: '/plugins/router.js',
      ok: 'Create',
      testid: 'file-name',
      okTestid: 'file-create',
      validate: (v) => checkPath(v) ?? (cb.files.includes(normalizePath(v)) ? 'That file exists.' : null),
    });
    if (!raw) return;
    const path = normalizePath(raw);
    await this.api.writeFile(cb.name, path, '');
    await this.refreshFiles();
    await this.editor.open(path);
    void this.refreshGraph();
  }

  private async deleteFile(path: string): Promise<void> {
    const cb = this.need();
    if (!(await confirmAction(`Delete ${path}?`))) return;
    await this.api.deleteFile(cb.name, path);
    this.editor.close(path);
    await this.refreshFiles();
    void this.refreshGraph();
  }

  /** The API has no rename: write the new path, then delete the old one. */
  private async renameFile(path: string): Promise<void> {
    const cb = this.need();
    const raw = await ask({
      title: `Rename ${path}`,
      value: path,
      ok: 'Rename',
      testid: 'file-rename',
      validate: (v) => checkPath(v) ?? (normalizePath(v) !== path && cb.files.includes(normalizePath(v)) ? 'That file exists.' : null),
    });
    if (!raw) return;
    const to = normalizePath(raw);
    if (to === path) return;
    if (this.editor.isDirty(path)) await this.editor.open(path).then(() => this.editor.saveActive());
    const text = await this.api.readFile(cb.name, path);
    await this.api.writeFile(cb.name, to, text);
    await this.api.deleteFile(cb.name, path);
    if (cb.main === path) await this.api.updateCodebase(cb.name, { main: to });
    this.editor.renamed(path, to);
    await this.refreshFiles();
    void this.refreshGraph();
  }

  /** Adds a script to the scripts that run beside main, or takes it out; a running codebase restarts. */
  private async toggleService(path: string): Promise<void> {
    const cb = this.need();
    const now = cb.services ?? [];
    const services = now.includes(path) ? now.filter((p) => p !== path) : [...now, path];
    await this.api.updateCodebase(cb.name, { services });
    await this.refreshFiles();
    toast(services.includes(path) ? `${path} runs beside ${cb.main} when ${cb.name} runs` : `${path} no longer runs beside ${cb.main}`, 'info');
    if (this.status.running && this.status.codebase === cb.name) await this.run();
    else void this.refreshGraph();
  }

  private async setMain(path: string): Promise<void> {
    const cb = this.need();
    await this.api.updateCodebase(cb.name, { main: path });
    await this.refreshFiles();
    await this.refreshCodebases();
    void this.refreshGraph();
  }

  // -- program

  private async refreshProgram(): Promise<void> {
    try {
      this.programs = await this.api.listPrograms();
      this.showProgram();
      const running = this.programs.filter((p) => p.running).map((p) => p.name).join(',');
      if (this.graphScope === 'running' && running !== this.graphRunning) void this.refreshGraph();
    } catch {
      // the banner or the log tells about an absent engine
    }
  }

  /** Derives the open codebase's status from the programs, and shows it. */
  private showProgram(): void {
    const name = this.current?.name ?? null;
    const mine = this.programs.find((p) => p.name === name);
    this.status = { codebase: mine?.running ? name : null, running: !!mine?.running, error: mine?.error ?? null };
    this.program.setPrograms(this.programs);
    // The request runner follows the open codebase when it runs, else the last one started.
    const running = this.programs.filter((p) => p.running);
    const target = mine?.running ? mine : running[running.length - 1];
    this.inspector.setProgram({ codebase: target?.name ?? null, running: !!target, error: null });
    this.debug.setProgram(mine?.running ? (name as string) : null);
  }

  private async run(): Promise<void> {
    const cb = this.need();
    this.program.setBusy(true);
    try {
      await this.editor.saveAll();
      await startBeside(this.api, cb.name);
      this.editor.clearErrors();
      // Several codebases run at once: say which others keep running beside this one.
      const others = this.programs.filter((p) => p.running && p.name !== cb.name).map((p) => p.name);
      toast(others.length ? `Running ${cb.name} (${others.join(', ')} keep${others.length === 1 ? 's' : ''} running)` : `Running ${cb.name}`, 'ok');
    } catch (e) {
      await this.scriptFailure(e, `${cb.name} failed to start`);
    } finally {
      this.program.setBusy(false);
      await this.refreshProgram();
      void this.refreshGraph();
    }
  }

  /** Stops the open codebase, or the codebase `name`; the others keep running. */
  private async stop(name?: string): Promise<void> {
    const which = name ?? this.need().name;
    this.program.setBusy(true);
    try {
      await this.api.stopProgram(which);
      toast(`Stopped ${which}`, 'info');
    } finally {
      this.program.setBusy(false);
      await this.refreshProgram();
    }
  }

  private async reload(): Promise<void> {
    const cb = this.need();
    this.program.setBusy(true);
    try {
      await this.editor.saveAll();
      await this.api.reloadProgram(cb.name);
      this.editor.clearErrors();
      toast(`Reloaded ${cb.name}`, 'ok');
    } catch (e) {
      await this.scriptFailure(e, 'Reload failed, the previous program keeps running');
    } finally {
      this.program.setBusy(false);
      await this.refreshProgram();
    }
  }

  /** Shows a script error where it is; other errors go to the usual toast. */
  private async scriptFailure(e: unknown, what: string): Promise<void> {
    if (!(e instanceof ApiError)) throw e;
    const loc = e.location;
    if (loc) {
      toast(`${what}: ${loc.file}:${loc.line}:${loc.column}: ${loc.error}`, 'error', 8000);
      await this.editor.showError(loc);
    } else {
      toast(`${what}: ${e.message}`, 'error', 8000);
    }
  }

  // -- graph and side panel

  /**
   * Draws the graph panel (the current codebase's graph, or every running codebase's); resolves
   * to the current codebase's graph as saved (null when it does not load).
   */
  private async refreshGraph(): Promise<GraphAnswer | null> {
    const seq = ++this.graphSeq;
    const cb = this.current;
    let answer: GraphAnswer | null = null;
    let failure = 'No codebase selected.';
    if (cb) {
      try {
        answer = await this.api.getGraph(cb.name);
        this.inspector.setGraph(cb.name, answer);
        this.debug.setGraph(answer);
      } catch (e) {
        const loc = e instanceof ApiError ? e.location : null;
        failure = loc ? `${loc.file}:${loc.line}:${loc.column}: ${loc.error}` : (e as Error).message;
      }
    }
    if (seq !== this.graphSeq) return answer;
    if (this.graphScope === 'running') await this.drawRunning(seq);
    else if (answer) this.graph.show(answer);
    else this.graph.reset(failure, !!cb);
    return answer;
  }

  /** Draws every running codebase's graph (the versions that run) in one drawing. */
  private async drawRunning(seq: number): Promise<void> {
    const running = this.programs.filter((p) => p.running).map((p) => p.name);
    this.graphRunning = running.join(',');
    if (running.length === 0) {
      this.graph.reset('Nothing is running.');
      return;
    }
    const merged = await runningGraph(this.api, running, this.current?.name ?? null);
    if (seq === this.graphSeq) this.graph.show(merged);
  }

  /** Opens a graph layout's source: `codebase:/path` is in another codebase, opened first. */
  private async revealIn(file: string, line: number): Promise<void> {
    const other = /^([^/:]+):(\/.*)$/.exec(file);
    if (other) {
      await this.openCodebase(other[1]);
      await this.editor.reveal(other[2], line);
    } else {
      await this.editor.reveal(file, line);
    }
  }

  private sidePanel(): HTMLElement {
    const panes: Record<string, HTMLElement> = {
      graph: this.graph.el,
      dashboard: this.dashboard.el,
      inspector: this.inspector.el,
      debug: this.debug.el,
      tutorials: this.tutorials.el,
      tests: this.tests.el,
      reference: this.reference.el,
    };
    const titles: Record<string, string> = { graph: 'Pipeline graph', dashboard: 'Dashboard', inspector: 'Inspector', debug: 'Debug', tutorials: 'Tutorials', tests: 'Tests', reference: 'Reference' };
    const buttons = Object.keys(panes).map((key) =>
      h('button.side-tab', { 'data-key': key, 'data-testid': `tab-${key}`, onclick: () => show(key) }, titles[key]),
    );
    const show = (key: string) => {
      for (const b of buttons) b.classList.toggle('active', b.dataset.key === key);
      for (const [k, el] of Object.entries(panes)) el.hidden = k !== key;
      if (key === 'tutorials') void this.tutorials.load();
      if (key === 'reference') void this.reference.load();
      this.dashboard.setVisible(key === 'dashboard');
      this.inspector.setVisible(key === 'inspector');
      this.debug.setVisible(key === 'debug');
    };
    const side = h('aside.side', {}, h('div.side-tabs', {}, buttons), ...Object.values(panes));
    show('graph');
    this.showSide = show;
    return side;
  }

  private showBanner(text: string | null): void {
    this.banner.hidden = text === null;
    this.banner.textContent = text ?? '';
  }

  /** Runs a user action; failures become a toast instead of an unhandled rejection. */
  private async guard(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (e) {
      console.warn(e);
      toast((e as Error).message || String(e), 'error', 6000);
    }
  }
}

function normalizePath(p: string): string {
  return '/' + p.split('/').filter(Boolean).join('/');
}

function checkPath(p: string): string | null {
  const parts = p.split('/').filter(Boolean);
  if (parts.length === 0) return 'Please enter a file name.';
  if (parts.some((s) => s === '.' || s === '..')) return 'No "." or ".." segments.';
  return null;
}
