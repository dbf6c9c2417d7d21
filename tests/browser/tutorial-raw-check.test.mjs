// A tutorial whose check speaks plain TCP, not HTTP: step 16-redis-proxy, a Redis proxy, opened,
// run and checked in the IDE. Its rows show the RESP bytes sent and received with every \r and \n
// visible, and no status. Then the quota in main.js is raised: saved, the program reloads, and
// the burst's row fails, with the replies that came instead of the refusals.
//
//   npm run build && SLUICE_ENGINE=target/release/engine node --test tests/browser/tutorial-raw-check.test.mjs
//
// The tutorial listens on 8000 and 8080 of 127.0.0.1: nothing else may (the test waits up to
// 30 s for them to be free). Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { ARTIFACTS, repo, startTutorialIDE, waitFor, runCheck } from './harness.mjs';

const TUTORIAL = '16-redis-proxy';
const PORTS = [8000, 8080];
const spec = JSON.parse(readFileSync(join(repo, 'tutorial', TUTORIAL, 'check.json'), 'utf8'));

let ide;
let page;

/** Sends RESP bytes to the proxy over a new connection; what came back within 300 ms. */
function resp(bytes) {
  return new Promise((ok, fail) => {
    let got = '';
    const s = net.connect(8000, '127.0.0.1', () => s.write(bytes));
    s.setEncoding('latin1');
    s.on('data', (d) => (got += d));
    s.on('error', fail);
    setTimeout(() => {
      s.destroy();
      ok(got);
    }, 300);
  });
}

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `tutorial-raw-${name}.png`) });
before(async () => {
  ide = await startTutorialIDE({ prefix: 'sluice-tutorial-raw-test-', ports: PORTS });
  ({ page } = ide);
});

after(async () => ide?.stop());

test('the Redis step is listed; Open and Run start the proxy and its Redis backend', async () => {
  await page.goto(ide.uiUrl);
  await page.waitForSelector(`[data-testid=tutorial-item][data-name="${TUTORIAL}"]`);
  await page.click(`[data-testid=tutorial-item][data-name="${TUTORIAL}"]`);
  await page.waitForSelector(`.tutorial-bar[data-tutorial="${TUTORIAL}"]`);
  assert.match(await page.textContent('[data-testid=tutorial-body] h1'), /Redis proxy/);
  await page.click('[data-testid=tutorial-open]');
  await page.waitForSelector('[data-testid=tutorial-note][data-kind=ok]');
  await page.waitForSelector('[data-testid=file-item][data-path="/backend.js"]');
  assert.equal(await page.$('[data-testid=file-item][data-path="/test.sh"]'), null, 'Open leaves test.sh behind');
  await page.click('[data-testid=tutorial-run]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]', { timeout: 20000 });
  await waitFor('the proxy and its backend to answer PING', async () => (await resp('*1\r\n$4\r\nPING\r\n').catch(() => '')) === '+PONG\r\n');
  // Let the quota used by that PING come back before the check.
  await new Promise((r) => setTimeout(r, 1100));
});

test('Check: every raw step passes, shown as bytes with \\r\\n visible and no status', async () => {
  const results = await runCheck(page);
  await shot('1-check-pass');
  assert.equal(results.length, spec.steps.length);
  for (const r of results) assert.ok(r.pass, `${r.name}: expected ${r.expected} / actual ${r.actual}`);
  assert.match(await page.textContent('[data-testid=check-summary]'), new RegExp(`${spec.steps.length} passed, 0 failed`));
  const ping = results[0];
  assert.equal(ping.request, 'TCP 127.0.0.1:8000 send "*1\\r\\n$4\\r\\nPING\\r\\n"');
  assert.match(ping.expected, /body:\+PONG\\r\\n/);
  assert.match(ping.actual, /bytes received:\+PONG\\r\\n/);
  for (const r of results) {
    assert.doesNotMatch(r.expected + r.actual, /status:/, `${r.name} shows no status`);
  }
  // Passing rows are closed; the pipelined replies are one per line when opened.
  const pipelined = page.locator('[data-testid=check-row]').nth(1);
  await pipelined.locator('summary').click();
  assert.equal(await pipelined.locator('[data-testid=check-actual] pre').textContent(), '+OK\\r\\n\n$5\\r\\n\nhello\\r\\n');
});

test('a quota raised in main.js makes the burst row fail, with the replies that came instead', async () => {
  await page.click('.monaco-editor .view-lines');
  const text = await page.evaluate(() => window.sluiceIDE.editor.getValue());
  assert.match(text, /new algo\.Quota\(5, /);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text.replace('new algo.Quota(5, ', 'new algo.Quota(50, '));
  await page.keyboard.press('ControlOrMeta+S');
  await page.waitForSelector('[data-testid=reload-result][data-state=ok]');
  await new Promise((r) => setTimeout(r, 1100));

  const results = await runCheck(page);
  await page.locator('[data-testid=check-row][data-pass=false]').first().scrollIntoViewIfNeeded();
  await shot('2-check-fail');
  const burst = results.find((r) => r.name.startsWith('a burst of 8'));
  assert.ok(burst && !burst.pass, 'the burst row fails');
  assert.match(burst.expected, /-ERR rate limit: 5 commands a second per client\\r\\n/);
  assert.match(burst.actual, /:4\\r\\n\n:5\\r\\n\n:6\\r\\n\n:7\\r\\n$/);
  assert.doesNotMatch(burst.actual, /ERR/);
  const again = results.find((r) => r.name.includes('new connection'));
  assert.ok(again && !again.pass && /\+PONG\\r\\n/.test(again.actual), 'the PING from a new connection passes the proxy now');
  assert.ok(results[0].pass, 'the first PING still passes');
});
