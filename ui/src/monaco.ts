// Monaco, bundled from npm: worker wiring and the JavaScript language set-up for Sluice scripts.

import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';

self.MonacoEnvironment = {
  getWorker(_id: string, label: string): Worker {
    switch (label) {
      case 'typescript':
      case 'javascript':
        return new TsWorker();
      case 'json':
        return new JsonWorker();
      default:
        return new EditorWorker();
    }
  },
};

const js = monaco.typescript.javascriptDefaults;

// Pipy scripts are plain JavaScript run by QuickJS: no DOM, ES2020 built-ins, checked lightly
// (syntax errors and completion/hover/signature help from the declarations; no type errors).
js.setCompilerOptions({
  target: monaco.typescript.ScriptTarget.ES2020,
  lib: ['es2020'],
  allowJs: true,
  checkJs: false,
  noLib: false,
  allowNonTsExtensions: true,
  module: monaco.typescript.ModuleKind.ESNext,
});
js.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });
js.setEagerModelSync(true);

const TYPINGS_URI = 'file:///sluice.d.ts';
let typings: monaco.IDisposable | null = null;

/** Installs the engine's script API declarations (GET /api/v1/typings). */
export function setTypings(text: string): void {
  typings?.dispose();
  typings = js.addExtraLib(text, TYPINGS_URI);
}

export { monaco };
