// The README's "Write a proxy" path, walked as a new user would, on free ports: open the IDE,
// open tutorial 03's proxy from the Tutorials tab, edit main.js (here: move it to free ports and
// add a response header), Run, send a request with the inspector's request runner, "Save as
// test", run the Tests panel, then, from the command line, `engine test` on the codebase folder
// and `engine FOLDER` headless, as on a server.
//
//   npm run build && node --test tests/browser/write-a-proxy.test.mjs
//
// The tutorial listens on 8000 and 8080-8082; the copy is moved to ports the OS picks (the
// backend and check.json through the admin API, main.js in the editor), so the tutorials' own
// ports are never touched. Each step's time is printed (`# step ...`). Screenshots go to
// tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ARTIFACTS, ENGINE, startIDE, openIDE, waitFor, freePort, httpGet, adminText } from './harness.mjs';

const TUTORIAL = '03-proxy';
const HEADER = 'x-served-by';

let ide;
let page;
let ports;
const timings = [];

/** Runs one step of the walk and records how long it took. */
async function step(name, fn) {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    const ms = Date.now() - start;
    timings.push([name, ms]);
    console.log(`step ${String(ms).padStart(6)} ms  ${name}`);
  }
}

const api = (method, path, body) => adminText(ide, method, path, body);

/** The tutorial's fixed ports, mapped to free ones. */
const movePorts = (text) => text.replace(/\b(8000|8080|8081|8082)\b/g, (p) => String(ports[p]));

/** Runs the engine binary with `args`; resolves to its exit code and output. */
function engine(args, timeout = 30000) {
  return new Promise((ok, fail) => {
    const child = spawn(ENGINE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, out });
    });
  });
}

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

before(async () => {
  ports = { 8000: await freePort(), 8080: await freePort(), 8081: await freePort(), 8082: await freePort() };
  ide = await step('start the engine with no script (the admin console and IDE)', () => startIDE({ prefix: 'sluice-write-a-proxy-test-' }));
  page = ide.page;
  await page.setViewportSize({ width: 1400, height: 1000 });
});

after(async () => {
  if (timings.length) console.log(`total ${timings.reduce((s, [, ms]) => s + ms, 0)} ms over ${timings.length} steps`);
  await ide?.stop();
});

test("the README's Write a proxy path: tutorial, edit, run, runner, Save as test, Tests panel, engine test", async () => {
  await step('1. open the IDE in the browser', () => openIDE(ide));

  await step('2. Tutorials tab, 03 · Proxy, Open', async () => {
    await page.click('[data-testid=tab-tutorials]');
    await page.click(`[data-testid=tutorial-item][data-name="${TUTORIAL}"]`);
    await page.click('[data-testid=tutorial-open]');
    await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active');
    await page.waitForSelector('[data-testid=file-item][data-path="/backend.js"] [data-testid=service-flag]');
  });

  await step('(off the path) the backend and check.json moved to free ports, through the admin API', async () => {
    for (const file of ['backend.js', 'check.json']) {
      const text = await api('GET', `/codebases/${TUTORIAL}/files/${file}`);
      await api('PUT', `/codebases/${TUTORIAL}/files/${file}`, movePorts(text));
    }
  });

  await step('3. edit main.js in the editor (free ports, a response header) and save', async () => {
    const text = await page.evaluate(() => window.sluiceIDE.editor.getValue());
    assert.match(text, /\.connect\('127\.0\.0\.1:8080'\)/);
    const edited = movePorts(text).replace(
      /\n(\s*)\.connect\(([^)]*)\)\n(\s*)\)\n/,
      `\n$1.connect($2)\n$3)\n\n$3// Our edit: every response says who served it.\n$3.handleMessageStart(msg => { msg.head.headers['${HEADER}'] = 'sluice' })\n`,
    );
    assert.notEqual(edited, movePorts(text), 'the edit applies to the tutorial as shipped');
    await page.evaluate((t) => window.sluiceIDE.editor.setValue(t), edited);
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('ControlOrMeta+S');
    await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active .tab-close:not(.dirty)');
    assert.equal(await api('GET', `/codebases/${TUTORIAL}/files/main.js`), edited);
  });

  await step('4. Run', async () => {
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=program-status][data-state=running]');
    const res = await waitFor('the proxy', async () => {
      const r = await httpGet(ports[8000], '/');
      return r.status === 200 && r;
    });
    assert.equal(res.text, 'Hi, there!\n');
  });

  await step('5. Inspector tab, request runner: GET /hello on the proxy port, Send', async () => {
    await page.click('[data-testid=tab-inspector]');
    await waitFor('the runner port', async () => (await page.inputValue('[data-testid=runner-port]')) !== '');
    // The port the runner offers first is the proxy's (main.js is listed before backend.js).
    assert.equal(await page.inputValue('[data-testid=runner-port]'), String(ports[8000]));
    await page.fill('[data-testid=runner-path]', '/hello');
    await page.click('[data-testid=runner-send]');
    await page.waitForSelector('[data-testid=response-status][data-status="200"]');
    assert.match(await page.textContent('[data-testid=response-headers]'), new RegExp(`${HEADER}`));
    assert.equal(await page.textContent('[data-testid=response-body]'), 'Hi, there!\n');
    await shot('write-a-proxy-runner');
  });

  await step('6. Save as test, name it, Save test', async () => {
    await page.click('[data-testid=response-save-test]');
    assert.equal(await page.inputValue('[data-testid=save-test-input]'), 'GET /hello answers 200');
    await page.fill('[data-testid=save-test-input]', 'the proxy says hello');
    await page.click('[data-testid=save-test-ok]');
    const check = await waitFor('the saved step in check.json', async () => {
      const c = JSON.parse(await api('GET', `/codebases/${TUTORIAL}/files/check.json`));
      return c.steps.length === 5 && c;
    });
    assert.deepEqual(check.steps[4], {
      name: 'the proxy says hello',
      request: { port: ports[8000], method: 'GET', path: '/hello' },
      expect: { status: 200, body: 'Hi, there!\n' },
    });
  });

  await step('7. Tests tab, Run tests', async () => {
    await page.click('[data-testid=tab-tests]');
    await page.click('[data-testid=tests-run]');
    await page.waitForSelector('[data-testid=tests-summary][data-state]', { timeout: 30000 });
    const rows = await page.$$eval('[data-testid=test-row]', (els) => els.map((e) => [e.dataset.name, e.dataset.pass]));
    assert.equal(await page.textContent('[data-testid=tests-summary]'), '5 passed, 0 failed', JSON.stringify(rows));
    const saved = page.locator('[data-testid=test-row][data-name="the proxy says hello"][data-pass=true]');
    await saved.waitFor();
    // Its request went through the proxy to the backend, both of which traced it: the row links
    // to the proxy's trace, the one that shows the whole way.
    const link = saved.locator('[data-testid=test-trace]');
    const id = Number((await link.textContent()).replace(/\D/g, ''));
    const trace = JSON.parse(await api('GET', `/trace/${id}`));
    assert.ok(trace.records.some((r) => /muxHTTP/.test(`${r.filter} ${r.layout}`)), JSON.stringify(trace.records[0]));
    await shot('write-a-proxy-tests');
  });

  await step('8. Stop (the command line needs the ports)', async () => {
    await page.click('[data-testid=stop]');
    await page.waitForSelector('[data-testid=program-status][data-state=stopped]');
  });

  const folder = join(ide.dataDir, TUTORIAL);
  await step('9. engine test FOLDER, from the command line', async () => {
    const { code, out } = await engine(['test', folder]);
    assert.equal(code, 0, out);
    assert.match(out, /^ok +the proxy says hello$/m);
    assert.match(out, /^5 passed, 0 failed$/m);
  });

  await step('10. engine FOLDER, headless as on a server: the proxy and its backend answer', async () => {
    const child = spawn(ENGINE, [folder], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    try {
      const res = await waitFor('the headless proxy', async () => {
        const r = await fetch(`http://127.0.0.1:${ports[8000]}/`);
        return r.status === 200 && r;
      });
      assert.equal(res.headers.get(HEADER), 'sluice');
      assert.equal(await res.text(), 'Hi, there!\n');
      assert.doesNotMatch(log, /\[(ERR|WRN)\]/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()));
    }
  });

  assert.deepEqual(ide.pageErrors, []);
});
