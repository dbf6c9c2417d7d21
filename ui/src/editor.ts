// The editor area: one Monaco editor, a model per open file of the current codebase, tabs, dirty
// tracking, save, and the markers that show the engine's script errors.

import { monaco } from './monaco';
import { h, clear } from './dom';
import type { ScriptError } from './api';

const MARKER_OWNER = 'sluice';

interface OpenFile {
  path: string;
  model: monaco.editor.ITextModel;
  savedVersion: number;
  viewState: monaco.editor.ICodeEditorViewState | null;
}

export interface EditorHost {
  /** Reads a file of the current codebase. */
  load(path: string): Promise<string>;
  /** Writes a file of the current codebase. */
  save(path: string, text: string): Promise<void>;
}

export class EditorArea {
  readonly el: HTMLElement;
  private readonly tabs: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly editor: monaco.editor.IStandaloneCodeEditor;
  private codebase = '';
  private files = new Map<string, OpenFile>();
  private active: OpenFile | null = null;
  /** Called when the active file or a dirty flag changes. */
  onChange: () => void = () => {};

  constructor(private readonly host: EditorHost) {
    this.tabs = h('div.tabs', { 'data-testid': 'editor-tabs' });
    this.empty = h(
      'div.editor-empty',
      {},
      'Open a file from the tree, create a codebase, or start from a tutorial (the Tutorials tab).',
    );
    const container = h('div.editor', { 'data-testid': 'editor' });
    this.el = h('section.editor-area', {}, this.tabs, container, this.empty);
    this.editor = monaco.editor.create(container, {
      model: null,
      theme: 'vs-dark',
      automaticLayout: true,
      fontSize: 13,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      tabSize: 2,
      fixedOverflowWidgets: true,
      // The sticky header repeated a scrolled-away line over the first visible one.
      stickyScroll: { enabled: false },
      // The debugger's breakpoints sit in the glyph margin.
      glyphMargin: true,
    });
    this.breakpointMarks = this.editor.createDecorationsCollection();
    this.editor.onMouseDown((e) => {
      const t = e.target;
      if (t.type !== monaco.editor.MouseTargetType.GUTTER_GLYPH_MARGIN || !t.position || !this.active) return;
      this.onGutterClick?.(this.active.path, t.position.lineNumber);
    });
    this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => void this.saveActive());
    this.editor.onDidChangeModelContent(() => this.renderTabs());
    this.render();
  }

  /** Called with a file and line when the glyph margin is clicked (the debugger's breakpoints). */
  onGutterClick: ((path: string, line: number) => void) | null = null;
  private readonly breakpointMarks: monaco.editor.IEditorDecorationsCollection;
  private breakpoints = new Map<string, number[]>();
  private pausedAt: { path: string; line: number } | null = null;

  /** Marks breakpoint lines (per file) and the line a paused stream waits at. */
  setBreakpoints(lines: Map<string, number[]>, paused: { path: string; line: number } | null): void {
    this.breakpoints = lines;
    this.pausedAt = paused;
    this.renderBreakpoints();
  }

  private renderBreakpoints(): void {
    const path = this.active?.path;
    const marks: monaco.editor.IModelDeltaDecoration[] = (path ? (this.breakpoints.get(path) ?? []) : []).map((line) => ({
      range: new monaco.Range(line, 1, line, 1),
      options: { glyphMarginClassName: 'breakpoint-glyph', glyphMarginHoverMessage: { value: 'Breakpoint (click to remove)' } },
    }));
    if (path && this.pausedAt?.path === path) {
      const line = this.pausedAt.line;
      marks.push({ range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'paused-line' } });
    }
    this.breakpointMarks.set(marks);
  }

  get activePath(): string | null {
    return this.active?.path ?? null;
  }

  get monacoEditor(): monaco.editor.IStandaloneCodeEditor {
    return this.editor;
  }

  /** Switches to another codebase: every model of the previous one is dropped. */
  reset(codebase: string): void {
    this.codebase = codebase;
    this.editor.setModel(null);
    for (const f of this.files.values()) f.model.dispose();
    this.files.clear();
    this.active = null;
    this.render();
  }

  async open(path: string): Promise<void> {
    let file = this.files.get(path);
    if (!file) {
      const text = await this.host.load(path);
      file = this.files.get(path); // opened meanwhile
      if (!file) {
        const uri = monaco.Uri.from({ scheme: 'file', path: `/${this.codebase}${path}` });
        monaco.editor.getModel(uri)?.dispose();
        const model = monaco.editor.createModel(text, undefined, uri);
        file = { path, model, savedVersion: model.getAlternativeVersionId(), viewState: null };
        this.files.set(path, file);
      }
    }
    this.activate(file);
  }

  private activate(file: OpenFile): void {
    if (this.active && this.active !== file) this.active.viewState = this.editor.saveViewState();
    this.active = file;
    this.editor.setModel(file.model);
    if (file.viewState) this.editor.restoreViewState(file.viewState);
    this.editor.focus();
    this.render();
  }

  close(path: string): void {
    const file = this.files.get(path);
    if (!file) return;
    const order = [...this.files.keys()];
    this.files.delete(path);
    if (this.active === file) {
      this.active = null;
      this.editor.setModel(null);
      const next = order[order.indexOf(path) + 1] ?? order[order.indexOf(path) - 1];
      const nextFile = next ? this.files.get(next) : undefined;
      if (nextFile) this.activate(nextFile);
    }
    file.model.dispose();
    this.render();
  }

  /** Renames an open file in place (after the tree has moved it on the engine). */
  renamed(from: string, to: string): void {
    const file = this.files.get(from);
    if (!file) return;
    const wasActive = this.active === file;
    const text = file.model.getValue();
    this.close(from);
    const uri = monaco.Uri.from({ scheme: 'file', path: `/${this.codebase}${to}` });
    const model = monaco.editor.createModel(text, undefined, uri);
    const moved = { path: to, model, savedVersion: model.getAlternativeVersionId(), viewState: null };
    this.files.set(to, moved);
    if (wasActive) this.activate(moved);
    else this.render();
  }

  isDirty(path: string): boolean {
    const f = this.files.get(path);
    return !!f && f.model.getAlternativeVersionId() !== f.savedVersion;
  }

  dirtyPaths(): string[] {
    return [...this.files.keys()].filter((p) => this.isDirty(p));
  }

  async saveActive(): Promise<void> {
    if (this.active) await this.saveFile(this.active.path);
  }

  async saveAll(): Promise<void> {
    for (const p of this.dirtyPaths()) await this.saveFile(p);
  }

  private async saveFile(path: string): Promise<void> {
    const file = this.files.get(path);
    if (!file) return;
    const version = file.model.getAlternativeVersionId();
    await this.host.save(path, file.model.getValue());
    file.savedVersion = version;
    this.renderTabs();
    this.onChange();
  }

  /** Opens a file at a line. */
  async reveal(path: string, line: number): Promise<void> {
    await this.open(path);
    this.editor.revealLineInCenter(line);
    this.editor.setPosition({ lineNumber: line, column: 1 });
    this.editor.focus();
  }

  /** Opens the file named by a script error and marks the spot. */
  async showError(err: Required<ScriptError>): Promise<void> {
    this.clearErrors();
    await this.open(err.file);
    const file = this.files.get(err.file);
    if (!file) return;
    const model = file.model;
    const line = Math.min(Math.max(1, err.line), model.getLineCount());
    const maxColumn = model.getLineMaxColumn(line);
    // An error at the end of a line (say, something left unclosed) marks its last character.
    const column = Math.max(1, Math.min(err.column, maxColumn - 1));
    const word = model.getWordAtPosition({ lineNumber: line, column });
    const endColumn = word && word.startColumn <= column ? word.endColumn : maxColumn;
    monaco.editor.setModelMarkers(model, MARKER_OWNER, [
      {
        severity: monaco.MarkerSeverity.Error,
        message: err.error,
        source: 'sluice',
        startLineNumber: line,
        startColumn: column,
        endLineNumber: line,
        endColumn: Math.max(endColumn, column + 1),
      },
    ]);
    this.editor.revealLineInCenter(line);
    this.editor.setPosition({ lineNumber: line, column });
  }

  clearErrors(): void {
    for (const f of this.files.values()) monaco.editor.setModelMarkers(f.model, MARKER_OWNER, []);
  }

  private render(): void {
    this.empty.hidden = this.active !== null;
    this.renderTabs();
    this.renderBreakpoints();
    this.onChange();
  }

  private renderTabs(): void {
    clear(this.tabs);
    for (const f of this.files.values()) {
      const dirty = this.isDirty(f.path);
      this.tabs.append(
        h(
          'div.tab',
          {
            class: f === this.active ? 'active' : '',
            title: f.path,
            'data-path': f.path,
            'data-testid': 'editor-tab',
            onmousedown: (e: MouseEvent) => {
              if (e.button === 1) this.close(f.path);
            },
            onclick: () => this.activate(f),
          },
          h('span.tab-name', {}, f.path.split('/').pop() ?? f.path),
          h(
            'span.tab-close',
            {
              title: dirty ? 'Unsaved changes — close anyway' : 'Close',
              class: dirty ? 'dirty' : '',
              onclick: (e: MouseEvent) => {
                e.stopPropagation();
                this.close(f.path);
              },
            },
            dirty ? '●' : '×',
          ),
        ),
      );
    }
  }
}
