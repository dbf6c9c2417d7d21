// The IDE's side of the desktop shell (src-tauri/). Inside the Tauri window only, it installs
// `window.sluiceDesktop`, the hooks the native menu calls, keeps the window title on the open
// codebase, and tells the shell once the editor is up. In a browser it does nothing.

import { ApiError, type Api } from './api';
import { checkCodebaseName } from './codebases';
import { toast } from './dialogs';

/** What the workspace lets the shell do; each one is what its own buttons do. */
export interface DesktopActions {
  newCodebase(): Promise<void>;
  /** Re-reads the codebase list and opens `name`. */
  openCodebase(name: string): Promise<void>;
  run(): Promise<void>;
  stop(): Promise<void>;
  /** The open codebase and the running one. */
  state(): { open: string | null; running: string | null };
}

/** The hooks the shell calls with `webview.eval` (src-tauri/src/ui.rs). */
export interface DesktopHooks {
  newCodebase(): Promise<void>;
  /** Registers a local folder (absolute path) as a codebase named after it, and opens it. */
  openFolder(path: string): Promise<void>;
  run(): Promise<void>;
  stop(): Promise<void>;
  tutorials(): void;
  /** Copies a tutorial to a new codebase, opens it and runs it (the desktop test uses it). */
  runTutorial(name: string): Promise<void>;
  /** Reports what the page shows (the desktop test uses it): `page {json}`. */
  describe(): void;
}

interface TauriInternals {
  invoke(cmd: string, args?: Record<string, unknown>): Promise<unknown>;
}

declare global {
  interface Window {
    sluiceDesktop?: DesktopHooks;
  }
}

function tauri(): TauriInternals | null {
  const t = window.__TAURI_INTERNALS__ as TauriInternals | undefined;
  return t && typeof t.invoke === 'function' ? t : null;
}

/** Whether the IDE runs inside the desktop shell. */
export function isDesktop(): boolean {
  return tauri() !== null;
}

/** Tells the shell something happened; it prints `sluice-desktop: EVENT DETAIL`. */
function report(event: string, detail: string): void {
  void tauri()?.invoke('desktop_report', { event, detail }).catch((e) => console.warn(e));
}

/** Installs the hooks when running inside the shell. */
export function installDesktop(api: Api, actions: DesktopActions): void {
  const shell = tauri();
  if (!shell) return;

  /** `base`, or `base-2`, `base-3`… whichever the engine accepts first. */
  async function createUnder(base: string, make: (name: string) => Promise<unknown>): Promise<string> {
    for (let i = 1; ; i++) {
      const name = i === 1 ? base : `${base}-${i}`;
      try {
        await make(name);
        return name;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409) || i > 50) throw e;
      }
    }
  }

  const hooks: DesktopHooks = {
    newCodebase: () => actions.newCodebase(),
    run: () => actions.run(),
    stop: () => actions.stop(),
    tutorials() {
      document.querySelector<HTMLElement>('[data-testid="tab-tutorials"]')?.click();
    },
    async openFolder(path) {
      const base = folderName(path);
      try {
        const name = await createUnder(base, (n) => api.linkFolder(n, path));
        await actions.openCodebase(name);
        toast(`Opened ${path} as codebase ${name}`, 'ok');
        report('opened', name);
      } catch (e) {
        toast(`Cannot open ${path}: ${(e as Error).message}`, 'error', 6000);
        report('error', `open folder ${path}: ${(e as Error).message}`);
      }
    },
    async runTutorial(tutorial) {
      try {
        const name = await createUnder(tutorial, (n) => api.copyTutorial(tutorial, n));
        await actions.openCodebase(name);
        await actions.run();
        const p = await api.getProgram();
        if (p.running && p.codebase === name) report('running', name);
        else report('error', `run ${name}: ${p.error?.error ?? 'not running'}`);
      } catch (e) {
        report('error', `run tutorial ${tutorial}: ${(e as Error).message}`);
      }
    },
    describe() {
      const lines = [...document.querySelectorAll('[data-testid="log-lines"] > *')].map((l) => l.textContent ?? '');
      report(
        'page',
        JSON.stringify({
          ...actions.state(),
          editor: document.querySelector('[data-testid="editor"]') !== null,
          editorText: (window as unknown as { sluiceIDE?: { editor?: { getValue(): string } } }).sluiceIDE?.editor?.getValue().length ?? 0,
          logLines: lines.length,
          logTail: lines.slice(-20),
          repoOpen: !(document.querySelector('[data-testid="repo-view"]') as HTMLElement | null)?.hidden,
          repoCodebases: [...document.querySelectorAll('[data-testid="repo-codebases"] > li')].map((l) => l.textContent ?? ''),
        }),
      );
    },
  };
  window.sluiceDesktop = hooks;

  // The window title names the open codebase (and what runs, when that is another one).
  let title = '';
  setInterval(() => {
    const { open, running } = actions.state();
    let t = 'Sluice';
    if (open) t = `${open}${running === open ? ' (running)' : ''} — Sluice`;
    if (running && running !== open) t = `${open ?? 'no codebase'} — running ${running} — Sluice`;
    if (t !== title) {
      title = t;
      void shell.invoke('desktop_title', { title: t }).catch((e) => console.warn(e));
    }
  }, 300);

  void whenEditorReady().then((detail) => report('ready', detail));
}

/** A codebase name from a folder's last segment. */
function folderName(path: string): string {
  const last = path.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const name = last.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '');
  return name && checkCodebaseName(name) === null ? name : 'folder';
}

/** Resolves once the editor is in the page and its JavaScript worker answers. */
async function whenEditorReady(): Promise<string> {
  type Monaco = typeof import('monaco-editor');
  type Ide = { monaco: Monaco; editor?: import('monaco-editor').editor.IStandaloneCodeEditor };
  let problem = 'no editor in the page';
  for (let attempt = 1; ; attempt++) {
    const ide = (window as unknown as { sluiceIDE?: Ide }).sluiceIDE;
    if (ide?.editor?.getContainerDomNode().isConnected) {
      const { monaco } = ide;
      const probe = monaco.editor.createModel('export const ok = 1;\n', 'javascript', monaco.Uri.parse('inmemory://desktop/probe.js'));
      try {
        const getWorker = await monaco.typescript.getJavaScriptWorker();
        const worker = await getWorker(probe.uri);
        const errors = await worker.getSyntacticDiagnostics(probe.uri.toString());
        return `editor=monaco worker=ok syntax-errors=${errors.length}`;
      } catch (e) {
        problem = `the JavaScript worker does not answer: ${(e as Error)?.message ?? e}`;
      } finally {
        probe.dispose();
      }
    }
    // Say why, now and then, so that a stuck start can be told apart from a slow one.
    if (attempt % 40 === 0) report('waiting', problem);
    await new Promise((r) => setTimeout(r, 250));
  }
}
