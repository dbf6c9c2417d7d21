// The web IDE in headless Chromium against a real engine: the seed article's workflow (create a
// codebase, write main.js, save, run, read the log) plus completion, script-error markers and
// the pipeline graph.
//
//   npm run build && node --test tests/browser/
//
// Environment: SLUICE_ENGINE (default target/release/engine), CHROMIUM (default
// /usr/bin/chromium). The test starts its own engine on a free admin port with a temporary
// codebase folder and stops it at the end. If that engine binary was built before ui/dist
// existed (it then serves a placeholder page), the test serves ui/dist itself and forwards
// /api to the engine. Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import net from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const ENGINE = resolve(repo, process.env.SLUICE_ENGINE ?? 'target/release/engine');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DIST = join(repo, 'ui/dist');
const ARTIFACTS = join(here, 'artifacts');

let engine; // child process
let engineLog = '';
let dataDir;
let adminUrl;
let uiUrl;
let uiServer = null;
let browser;
let page;
let listenPort;
const consoleErrors = [];
const pageErrors = [];

// -- helpers

function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((ok) => {
    const s = net.createServer();
    s.once('error', () => ok(false));
    s.listen(port, '::', () => s.close(() => ok(true)));
  });
}

async function waitFor(what, fn, timeout = 15000, every = 200) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function get(url) {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** GET on a fresh connection each time, as curl does. */
function curl(port, path = '/') {
  return new Promise((ok, fail) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => ok({ status: res.statusCode, text }));
      })
      .on('error', fail);
  });
}

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

/** Serves ui/dist and forwards /api and /metrics to the engine (for engines without the IDE). */
function serveDist(port) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.json': 'application/json', '.svg': 'image/svg+xml' };
  const target = new URL(adminUrl);
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/api/') || req.url.startsWith('/metrics')) {
      const up = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
          r.on('aborted', () => res.destroy());
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
      res.on('close', () => up.destroy());
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(DIST, path);
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

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
  assert.ok(existsSync(ENGINE), `no engine binary at ${ENGINE} (set SLUICE_ENGINE)`);
  assert.ok(existsSync(join(DIST, 'index.html')), 'ui/dist is missing: run `npm run build` first');
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-ide-test-'));
  const adminPort = await freePort();
  adminUrl = `http://127.0.0.1:${adminPort}`;
  listenPort = (await portIsFree(18080)) ? 18080 : await freePort();

  engine = spawn(ENGINE, [`--admin-port=127.0.0.1:${adminPort}`, '--codebases', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  engine.stdout.on('data', (d) => (engineLog += d));
  engine.stderr.on('data', (d) => (engineLog += d));
  await waitFor('the admin API', async () => (await get(`${adminUrl}/api/v1/codebases`)).status === 200);

  // Use the IDE built into the engine only if it is this ui/dist build.
  const home = await get(`${adminUrl}/`);
  if (home.text === readFileSync(join(DIST, 'index.html'), 'utf8')) {
    uiUrl = `${adminUrl}/`;
  } else {
    const port = await freePort();
    uiServer = await serveDist(port);
    uiUrl = `http://127.0.0.1:${port}/`;
    console.log(`# the engine does not embed this ui/dist build; serving ui/dist at ${uiUrl}`);
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // Only loopback traffic.
  await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  if (process.env.SLUICE_TEST_VERBOSE) {
    page.on('requestfinished', async (r) => {
      if (r.url().includes('/api/v1/log')) return;
      const res = await r.response();
      console.log(`# ${Date.now() % 100000} ${r.method()} ${r.url()} ${res?.status()} ${res?.headers()['x-reload'] ?? ''}`);
    });
  }
});

after(async () => {
  await browser?.close();
  uiServer?.close();
  if (engine && engine.exitCode === null) {
    engine.kill('SIGTERM');
    await Promise.race([
      new Promise((r) => engine.once('exit', r)),
      new Promise((r) => setTimeout(r, 5000)).then(() => engine.kill('SIGKILL')),
    ]);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (process.env.SLUICE_TEST_VERBOSE) console.log(engineLog);
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
    (port) => document.querySelector('[data-testid=log-panel]')?.textContent.includes(`Listening on port ${port}`),
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
