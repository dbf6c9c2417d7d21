// The IDE's Tests panel in headless Chromium against a real engine: a request sent with the
// inspector's request runner is saved as a test ("Save as test" writes a step into the
// codebase's check.json), then run from the Tests panel (POST /api/v1/tests/{name}, the code
// `engine test` runs), which shows expected beside actual. Once the script answers otherwise,
// the test fails, and its row links to the trace of its request, which opens in the inspector.
//
//   npm run build && node --test tests/browser/ide-tests.test.mjs
//
// Set-up (engine, IDE, browser) in harness.mjs. Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import http from 'node:http';
import { ARTIFACTS, startIDE, waitFor, freePort, adminJson } from './harness.mjs';

let ide;
let page;
let port;

const api = (method, path, body) => adminJson(ide, method, path, body);

const curl = (path = '/') =>
  new Promise((ok, fail) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => ok({ status: res.statusCode, text }));
      })
      .on('error', fail);
  });

/** The service: `/` answers `greeting`, other paths 404. */
const script = (greeting) =>
  [
    `pipy().listen(${port}).demuxHTTP().to($=>$.replaceMessage(req => req.head.path === '/'`,
    `  ? new Message({ status: 200, headers: { 'content-type': 'text/plain' } }, '${greeting}\\n')`,
    `  : new Message({ status: 404 }, 'no\\n')))`,
    '',
  ].join('\n');

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

before(async () => {
  ide = await startIDE({ prefix: 'sluice-ide-tests-test-' });
  page = ide.page;
  port = await freePort();
  await api('POST', '/codebases/svc', { main: '/main.js' });
  await api('PUT', '/codebases/svc/files/main.js', script('hello'));
  await api('POST', '/program', { codebase: 'svc' });
  await waitFor('the service to answer', async () => (await curl()).status === 200);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active');
});

after(async () => {
  await ide?.stop();
});

test('a request from the runner is saved as a test, which passes in the Tests panel', async () => {
  await page.click('[data-testid=tab-inspector]');
  await waitFor('the runner port', async () => (await page.inputValue('[data-testid=runner-port]')) === String(port));
  await page.fill('[data-testid=runner-path]', '/');
  await page.click('[data-testid=runner-send]');
  await page.waitForSelector('[data-testid=response-status][data-status="200"]');
  await page.click('[data-testid=response-save-test]');
  await page.fill('[data-testid=save-test-input]', 'the root says hello');
  await page.click('[data-testid=save-test-ok]');
  // The step is in the codebase's check.json, as `engine test` reads it.
  const check = await waitFor('check.json', async () => {
    const res = await fetch(`${ide.adminUrl}/api/v1/codebases/svc/files/check.json`);
    return res.ok && JSON.parse(await res.text());
  });
  assert.deepEqual(check.steps, [
    {
      name: 'the root says hello',
      request: { port, method: 'GET', path: '/' },
      expect: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello\n' },
    },
  ]);
  await page.waitForSelector('[data-testid=file-item][data-path="/check.json"]');

  await page.click('[data-testid=tab-tests]');
  await page.click('[data-testid=tests-run]');
  const row = page.locator('[data-testid=test-row][data-name="the root says hello"]');
  await row.waitFor();
  assert.equal(await row.getAttribute('data-pass'), 'true');
  assert.equal(await page.textContent('[data-testid=tests-summary]'), '1 passed, 0 failed');
  await row.locator('summary').click(); // passing rows start folded
  assert.match(await row.locator('[data-testid=test-expected]').textContent(), /"body": "hello\\n"/);
  assert.match(await row.locator('[data-testid=test-actual]').textContent(), /"status": 200/);
  await shot('ide-tests-pass');
  // The running program stepped aside for the tests and runs again.
  const programs = await api('GET', '/programs');
  assert.deepEqual(programs.map((p) => [p.name, p.running]), [['svc', true]]);
  assert.equal((await curl()).text, 'hello\n');
});

test('a failing test shows expected beside actual and opens its trace in the inspector', async () => {
  await api('PUT', '/codebases/svc/files/main.js', script('goodbye'));
  await waitFor('the new script', async () => (await curl()).text === 'goodbye\n');
  await page.click('[data-testid=tests-run]');
  await page.waitForSelector('[data-testid=tests-summary][data-state=failed]');
  assert.equal(await page.textContent('[data-testid=tests-summary]'), '0 passed, 1 failed');
  const row = page.locator('[data-testid=test-row][data-pass=false]');
  assert.equal(await row.getAttribute('data-name'), 'the root says hello');
  assert.match(await row.locator('[data-testid=test-problems]').textContent(), /body/);
  assert.match(await row.locator('[data-testid=test-expected]').textContent(), /"body": "hello\\n"/);
  assert.match(await row.locator('[data-testid=test-actual]').textContent(), /"body": "goodbye\\n"/);
  await shot('ide-tests-fail');

  const link = row.locator('[data-testid=test-trace]');
  const id = Number((await link.textContent()).replace(/\D/g, ''));
  assert.ok(id > 0, 'the failing test names its trace');
  await link.click();
  await page.waitForSelector('[data-testid=inspector]:visible');
  await waitFor('the trace to open', async () => (await page.textContent('[data-testid=trace-sequence-title]')).startsWith(`Trace #${id}:`));
  // The trace is the test's request: its records show GET / and the answer the test saw.
  const trace = await api('GET', `/trace/${id}`);
  assert.ok(trace.records.some((r) => r.event === 'MessageStart' && /^GET \/ HTTP/.test(r.detail)), JSON.stringify(trace.records));
  assert.ok((await page.locator('[data-testid=trace-row]').count()) > 0);
  await shot('ide-tests-trace');
});

test('an inspector trace is saved as a test too', async () => {
  // The trace of a request the runner did not send (curl): its request line and answer status.
  const res = await new Promise((ok, fail) =>
    http
      .get({ host: '127.0.0.1', port, path: '/missing', agent: false, headers: { 'x-sluice-trace': '1' } }, (r) => {
        r.resume();
        r.on('end', () => ok(r));
      })
      .on('error', fail),
  );
  const id = Number(res.headers['x-sluice-trace']);
  assert.equal(res.statusCode, 404);
  await page.waitForSelector(`[data-testid=trace-item][data-id="${id}"]`);
  await page.click(`[data-testid=trace-item][data-id="${id}"]`);
  await waitFor('the trace to open', async () => (await page.textContent('[data-testid=trace-sequence-title]')).startsWith(`Trace #${id}:`));
  await page.click('[data-testid=trace-save-test]');
  assert.equal(await page.inputValue('[data-testid=save-test-input]'), 'GET /missing answers 404');
  await page.click('[data-testid=save-test-ok]');
  const check = await waitFor('the second step', async () => {
    const c = JSON.parse(await (await fetch(`${ide.adminUrl}/api/v1/codebases/svc/files/check.json`)).text());
    return c.steps.length === 2 && c;
  });
  assert.deepEqual(check.steps[1], { name: 'GET /missing answers 404', request: { port, method: 'GET', path: '/missing' }, expect: { status: 404 } });
  await page.click('[data-testid=tab-tests]');
  await page.click('[data-testid=tests-run]');
  await page.waitForSelector('[data-testid=test-row][data-name="GET /missing answers 404"][data-pass=true]');
  assert.equal(await page.textContent('[data-testid=tests-summary]'), '1 passed, 1 failed');
  assert.deepEqual(ide.pageErrors, []);
});
