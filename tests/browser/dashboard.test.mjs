// The IDE's dashboard and log topic filter in headless Chromium against a real engine: a proxy
// codebase (made through the admin API) takes a few seconds of keep-alive load on loopback, and
// the dashboard shows requests/s, upstream latency and open connections rising; the log console
// shows only the lines of the chosen topic.
//
//   npm run build && node --test tests/browser/dashboard.test.mjs
//
// Set-up (engine, IDE, browser) in harness.mjs. The screenshot goes to
// tests/browser/artifacts/dashboard.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import http from 'node:http';
import { ARTIFACTS, startIDE, waitFor, freePort, adminText } from './harness.mjs';

const LOAD_MS = 5000;
const LOAD_MAX_REQUESTS = 100000;
const LOAD_CONCURRENCY = 4;

let ide;
let page;
let proxyPort;
let backendPort;
let directPort;

const api = (method, path, body) => adminText(ide, method, path, body);

const agentless = (port) =>
  new Promise((ok, fail) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => ok({ status: res.statusCode, text }));
      })
      .on('error', fail);
  });

/**
 * Keep-alive HTTP load on loopback: `concurrency` loops of sequential GETs until `ms` have
 * passed or `max` requests were sent. Resolves to `{ ok, failed }`.
 */
function load(port, { ms = LOAD_MS, max = LOAD_MAX_REQUESTS, concurrency = LOAD_CONCURRENCY } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const end = Date.now() + ms;
  const stats = { ok: 0, failed: 0, sent: 0 };
  const one = () =>
    new Promise((done) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) stats.ok++;
          else stats.failed++;
          done();
        });
        res.on('error', () => (stats.failed++, done()));
      });
      req.setTimeout(2000, () => req.destroy(new Error('timeout')));
      req.on('error', () => (stats.failed++, done()));
    });
  const loop = async () => {
    while (Date.now() < end && stats.sent < max) {
      stats.sent++;
      await one();
    }
  };
  return Promise.all(Array.from({ length: concurrency }, loop)).then(() => {
    agent.destroy();
    return stats;
  });
}

const nowValue = async (key) => {
  const v = await page.getAttribute(`[data-testid=${key}-now]`, 'data-value');
  return v === null || v === '' ? null : Number(v);
};
const chartPoints = async (key) => Number(await page.getAttribute(`[data-testid=chart-${key}]`, 'data-points'));

before(async () => {
  ide = await startIDE({ prefix: 'sluice-dashboard-test-' });
  page = ide.page;
  proxyPort = await freePort();
  do backendPort = await freePort();
  while (backendPort === proxyPort);
  do directPort = await freePort();
  while (directPort === proxyPort || directPort === backendPort);

  await api('POST', '/codebases/proxy', { main: '/main.js' });
  await api(
    'PUT',
    '/codebases/proxy/files/main.js',
    [
      `pipy()`,
      `.listen(${proxyPort}).demuxHTTP().to($=>$.muxHTTP(()=>'b').to($=>$.connect('127.0.0.1:${backendPort}')))`,
      `.listen(${backendPort}).serveHTTP(new Message('hi'))`,
      `.listen(${directPort}).serveHTTP(new Message({ status: 503 }, 'down'))`,
      '',
    ].join('\n'),
  );
  await api('POST', '/program', { codebase: 'proxy' });
  const res = await waitFor('the proxy to answer', async () => {
    const r = await agentless(proxyPort);
    return r.status === 200 && r;
  });
  assert.equal(res.text, 'hi');
});

after(async () => {
  await ide?.stop();
});

test('the dashboard charts requests/s, latency and connections under load', async () => {
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=codebase-select]');
  await page.click('[data-testid=tab-dashboard]');
  await page.waitForSelector('[data-testid=dashboard]', { state: 'visible' });
  for (const key of ['rps', 'latency', 'conns', 'errors']) {
    await page.waitForSelector(`[data-testid=chart-${key}] canvas`, { state: 'visible' });
  }
  // The first poll shows the open connections; rates need a second one.
  await waitFor('the first poll', async () => (await nowValue('conns')) !== null, 10000);

  const started = Date.now();
  const running = load(proxyPort);
  try {
    const rps = await waitFor('requests/s above 0', async () => {
      const v = await nowValue('rps');
      return v > 0 && v;
    }, 10000, 100);
    assert.ok(rps > 0);
    assert.match(await page.textContent('[data-testid=rps-now]'), /^\d/);
    await waitFor('points in the requests/s chart', async () => (await chartPoints('rps')) >= 2, 5000, 100);
    assert.ok((await nowValue('latency')) > 0, 'upstream p99 above 0');
    assert.match(await page.textContent('[data-testid=latency-now]'), /p50 [\d.]+ m?s · p90 [\d.]+ m?s · p99 [\d.]+ m?s/);
    assert.ok((await nowValue('conns')) >= 1, 'open connections during the load');
    assert.equal(await nowValue('errors'), 0);
    // Let the charts grow for most of the load, then take the picture.
    await page.waitForTimeout(Math.max(0, LOAD_MS - 800 - (Date.now() - started)));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
  } finally {
    const stats = await running;
    assert.ok(stats.ok > 0, 'the load got answers');
    assert.equal(stats.failed, 0, `${stats.failed} of ${stats.sent} requests failed`);
  }
  assert.ok((await chartPoints('rps')) >= 3);
  assert.deepEqual(ide.pageErrors, []);
  assert.deepEqual(ide.consoleErrors, []);
});

test('one listener at a time: a port answered directly shows its own requests, errors and response times', async () => {
  const select = '[data-testid=dashboard-listener]';
  assert.equal((await agentless(directPort)).status, 503);
  await waitFor('the port among the choices', async () =>
    (await page.$$eval(`${select} option`, (os) => os.map((o) => o.value))).includes(String(directPort)),
  10000);
  await page.selectOption(select, String(directPort));
  const running = load(directPort, { ms: 2500 });
  try {
    await waitFor('requests/s and errors/s of the port', async () => (await nowValue('rps')) > 0 && (await nowValue('errors')) > 0, 10000, 100);
    // Every answer there is a 503: as many errors as requests (both read from one poll).
    const [errors, rps] = await page.evaluate(() =>
      ['errors', 'rps'].map((k) => Number(document.querySelector(`[data-testid=${k}-now]`).dataset.value)),
    );
    assert.equal(errors, rps);
    assert.ok((await nowValue('latency')) > 0, 'response times of a port answered directly');
  } finally {
    await running;
  }
  // The proxy's port had no traffic meanwhile.
  await page.selectOption(select, String(proxyPort));
  await waitFor('a rate for the proxy port', async () => (await nowValue('rps')) !== null, 5000, 100);
  assert.equal(await nowValue('rps'), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-listener.png') });
  await page.selectOption(select, '');
});

test('the log topic filter shows only the chosen topic', async () => {
  const filter = '[data-testid=log-topic-filter]';
  const rows = () =>
    page.$$eval('[data-testid=log-lines] .log-line:not(.log-separator)', (els) =>
      els.map((e) => ({ topic: e.dataset.topic, text: e.textContent })),
    );
  await waitFor('topics in the filter', async () => {
    const topics = await page.$$eval(`${filter} option`, (os) => os.map((o) => o.value));
    return topics.includes('config') && topics.includes('listener');
  }, 10000);
  const all = await rows();
  assert.ok(all.some((r) => r.topic === 'config') && all.some((r) => r.topic === 'listener'));

  await page.selectOption(filter, 'listener');
  let shown = await rows();
  assert.ok(shown.length > 0);
  assert.ok(shown.every((r) => r.topic === 'listener'), JSON.stringify(shown.slice(0, 5)));
  assert.ok(shown.some((r) => r.text.includes(`${proxyPort}`)), 'the listener line of the proxy port');
  assert.ok(await page.isHidden(`[data-testid=log-lines] .log-line[data-topic=config]`));

  await page.selectOption(filter, 'config');
  shown = await rows();
  assert.ok(shown.length > 0 && shown.every((r) => r.topic === 'config'));

  await page.selectOption(filter, '');
  assert.ok((await rows()).length >= all.length);
});

test('the dashboard polls only while it is shown', async () => {
  let polls = 0;
  const count = (r) => r.url().includes('/api/v1/metrics/summary') && polls++;
  page.on('request', count);
  try {
    await waitFor('a poll while shown', () => polls > 0, 5000, 100);
    await page.click('[data-testid=tab-graph]');
    await page.waitForSelector('[data-testid=dashboard]', { state: 'hidden' });
    await page.waitForTimeout(300); // a poll already on its way may still land
    const before = polls;
    await page.waitForTimeout(2200);
    assert.equal(polls, before, 'no polls while the dashboard is hidden');
    await page.click('[data-testid=tab-dashboard]');
    await waitFor('polls again once shown', () => polls > before, 5000, 100);
  } finally {
    page.off('request', count);
  }
});
