// The seed article's proxy, built file by file in the IDE as a new user would: a new codebase,
// the three config files, the three plugins and proxy.js typed into the editor and saved,
// proxy.js made the entry, Run. The article's mock services run in a separate engine process.
// Then what shared/acceptance/seed-proxy.sh checks, with plain HTTP requests: 404 "No handler
// found" for /, 502 while the services are down, round robin over /hi/x across new
// connections, /echo echoing the body, /ip/abc seeing the proxy's address.
//
//   npm run build && node --test tests/browser/seed-proxy.test.mjs
//
// The file contents come from ../shared/acceptance/seed-proxy (next to the repository), read at
// test time. Uses the article's fixed ports 8000 and 8080-8082: `npm run test:browser` runs the
// test files one at a time (--test-concurrency=1).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { ARTIFACTS, ENGINE, repo, startIDE, waitFor, portIsFree, verbose } from './harness.mjs';

const ACCEPTANCE = resolve(repo, '../shared/acceptance');
const SEED = join(ACCEPTANCE, 'seed-proxy');
const MOCK = join(ACCEPTANCE, 'mock-proxy.js');
/** In the order a reader of the article creates them. */
const FILES = [
  '/config/proxy.json',
  '/config/router.json',
  '/config/balancer.json',
  '/plugins/router.js',
  '/plugins/balancer.js',
  '/plugins/default.js',
  '/proxy.js',
];
const PROXY_PORT = 8000;
const MOCK_PORTS = [8080, 8081, 8082];
const CODEBASE = 'seed-proxy';

let ide;
let page;
let mock = null;
let mockLog = '';
const contents = {};

/** One request on a fresh connection (as curl does). */
function request(port, path, { method = 'GET', body } = {}) {
  return new Promise((ok, fail) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => ok({ status: res.statusCode, text }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', fail);
    req.end(body);
  });
}

const listening = (port) =>
  new Promise((ok) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
  });

const editorText = () => page.evaluate(() => window.sluiceIDE.editor.getValue());

/**
 * Pastes text into the focused editor with Ctrl/Cmd+V, as a reader copying from the article
 * does (typing it would let the editor auto-indent every line a second time).
 */
async function paste(text) {
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.keyboard.press('ControlOrMeta+V');
  await waitFor('the paste', async () => (await editorText()) === text, 5000, 50).catch(() => {});
}

before(async () => {
  if (!existsSync(SEED) || !existsSync(MOCK)) {
    throw new Error(
      `The seed article's proxy is missing: expected ${SEED}/ and ${MOCK} ` +
        '(shared/acceptance next to the repository). This test types those files into the IDE.',
    );
  }
  for (const f of FILES) {
    const file = join(SEED, f);
    if (!existsSync(file)) throw new Error(`The seed article's proxy is incomplete: ${file} is missing.`);
    contents[f] = readFileSync(file, 'utf8');
  }
  for (const port of [PROXY_PORT, ...MOCK_PORTS]) {
    assert.ok(await portIsFree(port), `port ${port} is in use: this test needs 8000 and 8080-8082 (run test files one at a time)`);
  }
  ide = await startIDE({ prefix: 'sluice-seed-proxy-test-' });
  page = ide.page;
});

after(async () => {
  try {
    if (ide) await fetch(`${ide.adminUrl}/api/v1/program`, { method: 'DELETE' }).catch(() => {});
  } finally {
    if (mock && mock.exitCode === null && mock.signalCode === null) {
      mock.kill('SIGTERM');
      await Promise.race([
        new Promise((r) => mock.once('exit', r)),
        new Promise((r) => setTimeout(r, 5000)).then(() => mock.kill('SIGKILL')),
      ]);
    }
    if (verbose) console.log(mockLog);
    await ide?.stop();
  }
});

test('build the proxy file by file in the IDE and run it', async () => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ide.uiUrl).origin });
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=codebase-select]');
  await page.waitForFunction(() => !!window.sluiceIDE?.editor, null, { timeout: 20000 });

  // A new codebase.
  await page.click('[data-testid=codebase-new]');
  await page.fill('[data-testid=codebase-name-input]', CODEBASE);
  await page.click('[data-testid=codebase-create]');
  await page.waitForSelector('[data-testid=file-item][data-path="/main.js"]');
  assert.equal(await page.inputValue('[data-testid=codebase-select]'), CODEBASE);

  // Each file: New file, type it, save.
  for (const path of FILES) {
    await page.click('[data-testid=file-new]');
    await page.fill('[data-testid=file-name-input]', path);
    await page.click('[data-testid=file-create]');
    await page.waitForSelector(`[data-testid=editor-tab][data-path="${path}"].active`);
    await page.waitForSelector(`[data-testid=file-item][data-path="${path}"]`);
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await paste(contents[path]);
    assert.equal(await editorText(), contents[path], `${path} as typed`);
    await page.keyboard.press('ControlOrMeta+S');
    await page.waitForSelector(`[data-testid=editor-tab][data-path="${path}"].active .tab-close:not(.dirty)`);
    const saved = await fetch(`${ide.adminUrl}/api/v1/codebases/${CODEBASE}/files${path}`).then((r) => r.text());
    assert.equal(saved, contents[path], `${path} as saved`);
  }

  // proxy.js is the entry; the template's main.js goes.
  await page.hover('[data-testid=file-item][data-path="/proxy.js"]');
  await page.click('[data-testid=file-item][data-path="/proxy.js"] [data-testid=file-set-main]');
  await page.waitForSelector('[data-testid=file-item][data-path="/proxy.js"] [data-testid=main-flag]');
  await page.hover('[data-testid=file-item][data-path="/main.js"]');
  await page.click('[data-testid=file-item][data-path="/main.js"] [data-testid=file-delete]');
  await page.click('[data-testid=confirm-ok]');
  await page.waitForSelector('[data-testid=file-item][data-path="/main.js"]', { state: 'detached' });
  const cb = await fetch(`${ide.adminUrl}/api/v1/codebases/${CODEBASE}`).then((r) => r.json());
  assert.equal(cb.main, '/proxy.js');
  assert.deepEqual([...cb.files].sort(), [...FILES].sort());

  // Run.
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  assert.match(await page.textContent('[data-testid=program-status]'), new RegExp(CODEBASE));
  await waitFor('the proxy to listen on 8000', () => listening(PROXY_PORT), 10000);
  await page.click('[data-testid=tab-graph]');
  await page.waitForSelector('[data-testid=graph-layout]');
  assert.match(await page.textContent('[data-testid=graph-ascii]'), /Listen on .*8000/);
  await page.screenshot({ path: join(ARTIFACTS, 'seed-proxy.png') });
  assert.deepEqual(ide.pageErrors, []);
});

test('no route: 404 "No handler found"; a route to a dead service: 502', async () => {
  const res = await request(PROXY_PORT, '/');
  assert.equal(res.status, 404);
  assert.equal(res.text, 'No handler found');
  assert.equal((await request(PROXY_PORT, '/hi')).status, 502);
});

test('with the mock services: round robin, echo and the client address', async () => {
  mock = spawn(ENGINE, [MOCK], { stdio: ['ignore', 'pipe', 'pipe'] });
  mock.stdout.on('data', (d) => (mockLog += d));
  mock.stderr.on('data', (d) => (mockLog += d));
  await waitFor('the mock services on 8080-8082', async () => (await Promise.all(MOCK_PORTS.map(listening))).every(Boolean), 10000).catch(
    (e) => {
      throw new Error(`${e.message}\n${mockLog}`);
    },
  );

  const hi = 'Hi, there!\n';
  const fromHi = /^You are requesting \/hi\/x from /;
  const answers = [];
  for (let i = 0; i < 4; i++) {
    const r = await request(PROXY_PORT, '/hi/x');
    assert.equal(r.status, 200, `request ${i + 1} to /hi/x: ${r.status} ${r.text}`);
    answers.push(r.text);
  }
  const [first, second, third, fourth] = answers;
  const alternates = (first === hi && fromHi.test(second)) || (fromHi.test(first) && second === hi);
  assert.ok(alternates, `round robin over service-hi: ${JSON.stringify(answers)}`);
  assert.deepEqual([third, fourth], [first, second], 'round robin keeps turning');

  const echo = await request(PROXY_PORT, '/echo', { method: 'POST', body: 'hello sluice' });
  assert.equal(echo.status, 200);
  assert.equal(echo.text, 'hello sluice');

  const ip = await request(PROXY_PORT, '/ip/abc');
  assert.equal(ip.status, 200);
  assert.match(ip.text, /^You are requesting \/ip\/abc from /);
  assert.match(ip.text, /127\.0\.0\.1/);
  assert.deepEqual(ide.pageErrors, []);
});
