// The web IDE in headless Chromium against a real engine: the seed article's workflow (create a
// codebase, write main.js, save, run, read the log) plus completion, script-error markers and
// the pipeline graph.
//
//   npm run build && node --test tests/browser/
//
// harness.mjs starts its own engine on a free admin port with a temporary codebase folder and
// stops it at the end; if that engine embeds another IDE build, ui/dist is served by the test
// with /api forwarded to the engine. Environment: SLUICE_ENGINE, CHROMIUM (see harness.mjs).
// Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, startIDE, waitFor, get, freePort, portIsFree, httpGet as curl } from './harness.mjs';

let ide; // from startIDE
let adminUrl;
let uiUrl;
let page;
let listenPort;
let consoleErrors;
let pageErrors;

// -- helpers


const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

/** Replaces the whole text of the active editor by typing it. */
async function typeAll(text) {
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

const editorText = () => page.evaluate(() => window.sluiceIDE.editor.getValue());
const sluiceMarkers = () =>
  page.evaluate(() =>
    window.sluiceIDE.monaco.editor.getModelMarkers({ owner: 'sluice' }).map((m) => ({
      line: m.startLineNumber,
      column: m.startColumn,
      message: m.message,
      file: m.resource.path,
    })),
  );

async function saveAndWait() {
  await page.keyboard.press('ControlOrMeta+S');
  await page.waitForSelector('[data-testid=editor-tab].active .tab-close:not(.dirty)');
}

// -- set-up

before(async () => {
  ide = await startIDE({ prefix: 'sluice-ide-test-' });
  ({ adminUrl, uiUrl, page, consoleErrors, pageErrors } = ide);
  listenPort = (await portIsFree(18080)) ? 18080 : await freePort();
});

after(async () => {
  await ide?.stop();
});

// -- the story

test('the page loads without console errors and Monaco appears', async () => {
  await page.goto(uiUrl);
  await page.waitForSelector('[data-testid=codebase-select]');
  // No codebase yet, so no file is open: the editor widget exists, without a model (Monaco
  // renders once a file opens, in the next test).
  await page.waitForFunction(() => !!window.sluiceIDE?.editor, null, { timeout: 20000 });
  assert.match(await page.textContent('[data-testid=file-tree]'), /No codebase selected/);
  await page.waitForTimeout(1000); // typings, log stream, program status
  await shot('01-loaded');
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(pageErrors, []);
});

test('create a codebase', async () => {
  await page.click('[data-testid=codebase-new]');
  await page.fill('[data-testid=codebase-name-input]', 'hello');
  await page.click('[data-testid=codebase-create]');
  await page.waitForSelector('[data-testid=file-item][data-path="/main.js"] [data-testid=main-flag]');
  await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active');
  await page.waitForSelector('.monaco-editor .view-lines');
  assert.equal(await page.inputValue('[data-testid=codebase-select]'), 'hello');
  const list = JSON.parse((await get(`${adminUrl}/api/v1/codebases`)).text);
  assert.ok(list.some((c) => c.name === 'hello'));
  await shot('02-created');
});

test('completion offers serveHTTP after `pipy().listen(8080).`', async () => {
  await typeAll('');
  await page.keyboard.type('pipy().listen(8080).');
  await page.waitForSelector('.suggest-widget.visible', { timeout: 15000 });
  // The whole completion list, as the language service computes it:
  const names = await page.evaluate(async () => {
    const { monaco, editor } = window.sluiceIDE;
    const model = editor.getModel();
    const worker = await (await monaco.typescript.getJavaScriptWorker())(model.uri);
    const info = await worker.getCompletionsAtPosition(model.uri.toString(), model.getValueLength());
    return info.entries.map((e) => e.name);
  });
  assert.ok(names.includes('serveHTTP'), `completions: ${names.join(' ')}`);
  // ... and in the widget, once narrowed down:
  await page.keyboard.type('serveH');
  await page.waitForSelector('.suggest-widget.visible .monaco-list-row[aria-label^="serveHTTP"]');
  await shot('03-completion');
  await page.keyboard.press('Escape');
});

test('edit main.js, save, run: the program serves "hi" and the log shows Listening', async () => {
  const script = `pipy().listen(${listenPort}).serveHTTP(new Message('hi'))`;
  await typeAll(script);
  assert.equal(await editorText(), script);
  await saveAndWait();
  assert.equal((await get(`${adminUrl}/api/v1/codebases/hello/files/main.js`)).text, script);

  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  assert.match(await page.textContent('[data-testid=program-status]'), /hello/);
  const res = await waitFor('the program to answer', async () => {
    const r = await curl(listenPort);
    return r.status === 200 && r;
  });
  assert.equal(res.text, 'hi');
  await page.waitForFunction(
    (port) => document.querySelector('[data-testid=log-panel]')?.textContent.includes(`Listening on TCP port ${port}`),
    listenPort,
    { timeout: 10000 },
  );
  await shot('04-running');
});

test('the graph panel shows serveHTTP', async () => {
  await page.click('[data-testid=tab-graph]');
  await page.waitForSelector('[data-testid=graph-layout]');
  const text = await page.textContent('[data-testid=graph-panel]');
  assert.match(text, /serveHTTP/);
  assert.match(await page.textContent('[data-testid=graph-drawing]'), /serveHTTP/);
  assert.match(await page.textContent('[data-testid=graph-ascii]'), /serveHTTP/);
  await page.click('[data-testid=graph-layout] >> nth=0');
  await page.waitForSelector('[data-testid=graph-layout].selected');
  await shot('05-graph');
});

test('a syntax error shows a marker; fixing it clears the marker', async () => {
  const broken = `pipy().listen(${listenPort})\n.serveHTTP(new Message('hi')`;
  await typeAll(broken);
  await saveAndWait();
  // The program runs, so the save reloads it; the reload fails and the old program stays.
  await page.waitForSelector('[data-testid=reload-result][data-state=failed]');
  await waitFor('a marker', async () => (await sluiceMarkers()).length === 1);
  assert.equal((await curl(listenPort)).text, 'hi', 'the previous program keeps running');
  // Running it reports the error from POST /api/v1/program.
  await page.click('[data-testid=run]');
  await waitFor('the run to finish', () => page.isEnabled('[data-testid=run]'));
  const markers = await sluiceMarkers();
  assert.equal(markers.length, 1);
  assert.equal(markers[0].line, 2);
  assert.equal(markers[0].file, '/hello/main.js');
  assert.match(markers[0].message, /SyntaxError/);
  await page.waitForSelector('.monaco-editor .squiggly-error');
  await shot('06-syntax-error');

  const running = JSON.parse((await get(`${adminUrl}/api/v1/program`)).text).running;
  await typeAll(`pipy().listen(${listenPort}).serveHTTP(new Message('hi again'))`);
  const editorTextSeen = await editorText();
  await saveAndWait();
  if (running) await page.waitForSelector('[data-testid=reload-result][data-state=ok]');
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  await waitFor('markers to clear', async () => (await sluiceMarkers()).length === 0);
  let answer;
  await waitFor('the fixed program', async () => (answer = (await curl(listenPort)).text) === 'hi again').catch(async (e) => {
    const saved = await get(`${adminUrl}/api/v1/codebases/hello/files/main.js`);
    const prog = await get(`${adminUrl}/api/v1/program`);
    throw new Error(`${e.message}; it answers ${JSON.stringify(answer)}; the editor holds ${JSON.stringify(editorTextSeen)}; saved ${saved.text}; program ${prog.text}`);
  });
  await shot('07-fixed');
});

test('stop', async () => {
  await page.click('[data-testid=stop]');
  await page.waitForSelector('[data-testid=program-status]:not([data-state=running])');
  const status = JSON.parse((await get(`${adminUrl}/api/v1/program`)).text);
  assert.equal(status.running, false);
  assert.deepEqual(pageErrors, []);
});
