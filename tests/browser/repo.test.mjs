// The IDE's repo view against the engine's own repo and a real worker following it: the
// codebases and their versions, a diff between two versions, the worker as an instance
// (address, version, health, last seen) with its live log, a roll-back, and a staged roll-out
// started from the view that goes to 100%.
//
//   npm run build && node --test tests/browser/repo.test.mjs
//
// Only free ports (the OS picks them). Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { ARTIFACTS, ENGINE, startIDE, waitFor, freePort } from './harness.mjs';

let ide;
let page;
let worker;
let workerPort;
const dirs = [];

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const script = (text) => `pipy()\n  .listen(+pipy.argv[pipy.argv.length - 1])\n  .serveHTTP(new Message('${text}'))\n`;

/** GET / on a fresh connection: the body, or null when nothing answers. */
function answer(port) {
  return new Promise((ok) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => ok(text));
      })
      .on('error', () => ok(null))
      .on('timeout', function () {
        this.destroy();
        ok(null);
      });
  });
}

async function api(method, path, body) {
  const res = await fetch(`${ide.adminUrl}${path}`, { method, body });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text;
}

before(async () => {
  const repoDir = mkdtempSync(join(tmpdir(), 'sluice-repo-view-test-'));
  dirs.push(repoDir);
  ide = await startIDE({ prefix: 'sluice-repo-view-ide-', args: ['--repo', repoDir] });
  page = ide.page;
  await api('POST', '/api/v1/repo/demo', '{}');
  await api('POST', '/api/v1/repo-files/demo/main.js', script('hello v1'));
  await api('PATCH', '/api/v1/repo/demo', '{"version": 1}');
  await api('POST', '/api/v1/repo-files/demo/main.js', script('hello v2'));
  await api('POST', '/api/v1/repo-files/demo/extra.js', 'export default 42\n');
  await api('PATCH', '/api/v1/repo/demo', '{"version": 2}');

  workerPort = await freePort();
  const cache = mkdtempSync(join(tmpdir(), 'sluice-repo-view-cache-'));
  dirs.push(cache);
  worker = spawn(ENGINE, ['--repo-poll=0.5', `--repo-cache=${cache}`, `${ide.adminUrl}/repo/demo/`, '--', String(workerPort)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr.resume();
  await waitFor('the worker to serve v2', async () => (await answer(workerPort)) === 'hello v2', 20000);

  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=codebase-select]');
});

after(async () => {
  worker?.kill('SIGTERM');
  await ide?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('the repo view lists the codebases and their versions', async () => {
  await page.click('[data-testid=repo-open]');
  await page.waitForSelector('[data-testid=repo-view]:not([hidden])');
  await page.waitForSelector('[data-testid=repo-codebase-demo].active');
  await page.waitForSelector('[data-testid=repo-version-1]');
  await page.waitForSelector('[data-testid=repo-version-2].current');
  assert.match(await page.textContent('[data-testid=repo-current]'), /version 2/);
  const files = (v) => page.$$eval(`[data-testid=repo-version-${v}] td`, (tds) => tds[2].textContent);
  assert.equal(await files(2), '2 files');
  assert.equal(await files(1), '1 file');
  await shot('repo-versions');
});

test('a diff between two versions shows the lines changed and the file added', async () => {
  await page.selectOption('[data-testid=diff-from]', '1');
  await page.selectOption('[data-testid=diff-to]', '2');
  await page.click('[data-testid=diff-show]');
  await page.waitForSelector('[data-testid="diff-file-/main.js"]');
  const del = await page.$$eval('[data-testid="diff-file-/main.js"] .diff-line.del', (ls) => ls.map((l) => l.textContent));
  const add = await page.$$eval('[data-testid="diff-file-/main.js"] .diff-line.add', (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(del, ["-  .serveHTTP(new Message('hello v1'))"]);
  assert.deepEqual(add, ["+  .serveHTTP(new Message('hello v2'))"]);
  assert.match(await page.textContent('[data-testid="diff-file-/extra.js"]'), /\(added\)[\s\S]*\+export default 42/);
  assert.match(await page.textContent('[data-testid=repo-diff]'), /1 → 2: 2 files changed, 0 unchanged/);
  await page.locator('[data-testid=repo-diff]').scrollIntoViewIfNeeded();
  await shot('repo-diff');
});

test('the worker shows as an instance, with its live log', async () => {
  const row = '[data-testid=repo-instance-1]';
  const cells = await waitFor('the instance row', async () => {
    const c = await page.$$eval(`${row} td`, (tds) => tds.map((t) => t.textContent));
    return c.length === 6 && c[3] === 'ok' && c;
  });
  assert.equal(cells[0], '#1');
  assert.equal(cells[1], '127.0.0.1');
  assert.equal(cells[2], '2');
  assert.equal(cells[3], 'ok');
  assert.match(cells[4], /just now|\d+ s ago/);
  assert.equal(cells[5], 'yes');
  await page.click(row);
  await waitFor('the log of the instance', async () => (await page.textContent('[data-testid=repo-log-lines]')).includes('running version 2'));
  await page.locator('[data-testid=repo-log]').scrollIntoViewIfNeeded();
  await shot('repo-instance-log');
});

test('making an old version current rolls the worker back', async () => {
  await page.click('[data-testid=rollback-1]');
  await page.waitForSelector('[data-testid=repo-version-1].current');
  await waitFor('the worker to serve v1', async () => (await answer(workerPort)) === 'hello v1', 10000);
  await waitFor('the instance on version 1', async () => (await page.$$eval('[data-testid=repo-instance-1] td', (t) => t[2].textContent)) === '1');
});

test('a staged roll-out started from the view goes to 100%', async () => {
  await api('POST', '/api/v1/repo-files/demo/main.js', script('hello v3'));
  let traffic = true;
  const load = (async () => {
    while (traffic) {
      await answer(workerPort);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await page.fill('[data-testid=rollout-version]', '3');
    await page.fill('[data-testid=rollout-stages]', '100%/1s');
    await page.click('[data-testid=rollout-start]');
    await waitFor('the roll-out to finish', async () => (await page.textContent('[data-testid=rollout-state]').catch(() => '')) === 'done', 30000);
    assert.equal(await answer(workerPort), 'hello v3');
    assert.match(await page.textContent('[data-testid=repo-rollout]'), /stage 1 passed/);
    await page.waitForSelector('[data-testid=repo-version-3].current');
    await page.locator('[data-testid=repo-rollout]').scrollIntoViewIfNeeded();
    await shot('repo-rollout-done');
  } finally {
    traffic = false;
    await load;
  }
  assert.deepEqual(ide.pageErrors, []);
});
