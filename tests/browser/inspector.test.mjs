// The IDE's event inspector in headless Chromium against a real engine: a proxy codebase (made
// and started through the admin API) with its backend in the same script; the request runner
// sends GET /x through the proxy, shows the response, and the trace of the request opens in the
// sequence view (lanes per pipeline, a row per event, details on click). Also the tracing
// controls (POST/DELETE /api/v1/trace) and the list of traced streams.
//
//   npm run build && node --test tests/browser/inspector.test.mjs
//
// Set-up (engine, IDE, browser) in harness.mjs. The screenshot goes to
// tests/browser/artifacts/inspector.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, startIDE, waitFor, freePort, httpGet as curl, adminJson } from './harness.mjs';

let ide;
let page;
let proxyPort;
let backendPort;

const api = (method, path, body) => adminJson(ide, method, path, body);


const text = (sel) => page.textContent(sel);

before(async () => {
  ide = await startIDE({ prefix: 'sluice-inspector-test-' });
  page = ide.page;
  proxyPort = await freePort();
  do backendPort = await freePort();
  while (backendPort === proxyPort);

  await api('POST', '/codebases/proxy', { main: '/main.js' });
  await api(
    'PUT',
    '/codebases/proxy/files/main.js',
    [
      `pipy()`,
      `.listen(${proxyPort}).demuxHTTP().to($=>$.handleMessageStart(()=>{}).muxHTTP(()=>'b').to($=>$.connect('127.0.0.1:${backendPort}')))`,
      `.listen(${backendPort}).serveHTTP(new Message('hi'))`,
      '',
    ].join('\n'),
  );
  await api('POST', '/program', { codebase: 'proxy' });
  const res = await waitFor('the proxy to answer', async () => {
    const r = await curl(proxyPort);
    return r.status === 200 && r;
  });
  assert.equal(res.text, 'hi');
});

after(async () => {
  await ide?.stop();
});

test('the request runner sends GET /x through the proxy and its trace opens in the sequence view', async () => {
  // Room for the request, its response and the sequence view in one picture.
  await page.setViewportSize({ width: 1600, height: 1050 });
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=codebase-select]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  await page.click('[data-testid=tab-inspector]');
  await page.waitForSelector('[data-testid=inspector]', { state: 'visible' });
  await page.waitForSelector('[data-testid=request-runner]', { state: 'visible' });
  await page.waitForSelector('[data-testid=trace-status][data-enabled=false]');

  // The port is prefilled from the running program's first listener.
  await waitFor('the listen port prefilled', async () => (await page.inputValue('[data-testid=runner-port]')) === String(proxyPort), 10000);
  await page.selectOption('[data-testid=runner-method]', 'GET');
  await page.fill('[data-testid=runner-path]', '/x');
  await page.fill('[data-testid=runner-headers]', 'X-Test: inspector\nAccept: text/plain');
  await page.click('[data-testid=runner-send]');

  await page.waitForSelector('[data-testid=response-status][data-status="200"]');
  assert.match(await text('[data-testid=response-status]'), /200/);
  assert.equal(await text('[data-testid=response-body]'), 'hi');
  assert.match(await text('[data-testid=response-headers]'), /content-length: 2/);
  const traceLink = await text('[data-testid=response-trace]');
  const id = Number(/#(\d+)/.exec(traceLink)?.[1]);
  assert.ok(id > 0, `a trace id: ${traceLink}`);

  // The trace is listed and selected, and the sequence view shows it.
  await page.waitForSelector(`[data-testid=trace-list] [data-testid=trace-item][data-id="${id}"].selected`);
  assert.match(await text(`[data-testid=trace-item][data-id="${id}"]`), /GET \/x HTTP\/1\.1/);
  await page.waitForSelector('[data-testid=trace-sequence] [data-testid=trace-row]');
  const seq = await text('[data-testid=trace-sequence]');
  assert.match(seq, /handleMessageStart/);
  assert.match(seq, /muxHTTP/);
  assert.match(seq, /MessageStart/);
  const rows = await page.$$eval('[data-testid=trace-row]', (els) => els.map((e) => e.textContent));
  assert.ok(rows.some((r) => /\b200\b/.test(r)), `a row with 200: ${rows.join('\n')}`);
  // Lanes: one per (pipeline, layout), labelled with the module.
  const lanes = await page.$$eval('[data-testid=trace-lane]', (els) => els.map((e) => e.textContent));
  assert.ok(lanes.length >= 2, `lanes: ${lanes.join(' | ')}`);
  assert.ok(lanes.some((l) => l.includes('/main.js')), `lanes: ${lanes.join(' | ')}`);
  // Time offsets start at 0 and do not fall.
  const times = await page.$$eval('[data-testid=trace-row] td.time', (els) => els.map((e) => Number(e.textContent)));
  assert.equal(times[0], 0);
  assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), `times: ${times}`);
  // The records are those of the API.
  const trace = await api('GET', `/trace/${id}`);
  assert.equal(rows.length, trace.records.length);

  // Clicking the row with the response head shows its details.
  const row = page.locator('[data-testid=trace-row]', { hasText: /status: 200/ }).first();
  await row.click();
  await page.waitForSelector('[data-testid=trace-detail]', { state: 'visible' });
  const detail = await text('[data-testid=trace-detail]');
  assert.match(detail, /status: 200/);
  assert.match(detail, /Context/);
  assert.match(detail, /MessageStart/);
  await page.click('[data-testid=trace-row][data-event=Data]');
  assert.match(await text('[data-testid=trace-detail]'), /Data, \d+ bytes/);
  await row.click();

  await page.screenshot({ path: join(ARTIFACTS, 'inspector.png') });
  assert.deepEqual(ide.pageErrors, []);
  assert.deepEqual(ide.consoleErrors, []);
});

test('tracing controls turn tracing on for a path prefix, and traced streams appear in the list', async () => {
  await page.fill('[data-testid=trace-path]', '/traced');
  await page.fill('[data-testid=trace-sample]', '1');
  await page.click('[data-testid=trace-toggle]');
  await page.waitForSelector('[data-testid=trace-status][data-enabled=true]');
  assert.match(await text('[data-testid=trace-status]'), /path \/traced/);
  let status = await api('GET', '/trace');
  assert.equal(status.enabled, true);
  assert.equal(status.config.path, '/traced');

  // A plain request (no x-sluice-trace) under the prefix is traced and listed within a poll.
  assert.equal((await curl(proxyPort, '/traced/one')).text, 'hi');
  await page.waitForSelector('[data-testid=trace-item]:has-text("GET /traced/one HTTP/1.1")', { timeout: 5000 });
  await page.click('[data-testid=trace-item]:has-text("GET /traced/one HTTP/1.1")');
  await page.waitForFunction(
    () => /traced\/one/.test(document.querySelector('[data-testid=trace-sequence]')?.textContent ?? ''),
    null,
    { timeout: 5000 },
  );

  await page.click('[data-testid=trace-toggle]');
  await page.waitForSelector('[data-testid=trace-status][data-enabled=false]');
  status = await api('GET', '/trace');
  assert.equal(status.enabled, false);
});

test('the runner shows an error when nothing listens, and the list polls only while shown', async () => {
  const dead = await freePort();
  await page.fill('[data-testid=runner-port]', String(dead));
  await page.click('[data-testid=runner-send]');
  await page.waitForSelector('[data-testid=runner-response] .error');
  assert.match(await text('[data-testid=response-status]'), /No answer/);

  let polls = 0;
  const count = (r) => /\/api\/v1\/trace$/.test(r.url()) && polls++;
  page.on('request', count);
  try {
    await waitFor('a poll while shown', () => polls > 0, 5000, 100);
    await page.click('[data-testid=tab-graph]');
    await page.waitForSelector('[data-testid=inspector]', { state: 'hidden' });
    await page.waitForTimeout(300);
    const before = polls;
    await page.waitForTimeout(2200);
    assert.equal(polls, before, 'no polls while the inspector is hidden');
  } finally {
    page.off('request', count);
  }
  assert.deepEqual(ide.pageErrors, []);
});
