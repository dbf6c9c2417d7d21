// A tutorial walked through as a newcomer would in the IDE: the Tutorials tab, step 03-proxy,
// Open (its files copied into a codebase, main.js in the editor), Run (main.js and backend.js
// start), Check (every request of its check.json passes). Then a deliberate mistake in main.js:
// saved, the program reloads, and Check shows failing rows with the actual answer beside the
// expected one.
//
//   npm run build && SLUICE_ENGINE=target/release/engine node --test tests/browser/tutorial-check.test.mjs
//
// The tutorial listens on 8000 and 8080-8082 of 127.0.0.1: nothing else may (the test waits up
// to 30 s for them to be free). Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, repo, startTutorialIDE, waitFor, get, httpGet as curl, runCheck } from './harness.mjs';

const TUTORIAL = '03-proxy';
const PORTS = [8000, 8080, 8081, 8082];
const spec = JSON.parse(readFileSync(join(repo, 'tutorial', TUTORIAL, 'check.json'), 'utf8'));

let ide;
let page;
let adminUrl;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `tutorial-${name}.png`) });
before(async () => {
  ide = await startTutorialIDE({ prefix: 'sluice-tutorial-test-', ports: PORTS });
  ({ page, adminUrl } = ide);
});

after(async () => ide?.stop());

test('a first visit shows the Tutorials tab: the steps, and the README with coloured code', async () => {
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=codebase-select]');
  // A first visit, with no codebase yet, opens on the tutorials.
  await page.waitForSelector('[data-testid=tab-tutorials].active');
  await page.waitForSelector(`[data-testid=tutorial-item][data-name="${TUTORIAL}"]`);
  const names = await page.$$eval('[data-testid=tutorial-item]', (els) => els.map((e) => e.dataset.name));
  assert.ok(names.includes('01-hello') && names.includes('13-api-gateway'), names.join(' '));
  assert.deepEqual([...names].sort(), names, 'the steps are listed in order');

  await page.click(`[data-testid=tutorial-item][data-name="${TUTORIAL}"]`);
  await page.waitForSelector(`.tutorial-bar[data-tutorial="${TUTORIAL}"]`);
  await page.waitForSelector('[data-testid=tutorial-body] h1');
  assert.match(await page.textContent('[data-testid=tutorial-body] h1'), /Proxy/);
  // Monaco colours the fenced code blocks: tokens become spans with mtk classes.
  await page.waitForSelector('[data-testid=tutorial-body] pre code.colorized span[class^=mtk]');
  await shot('1-readme');
});

test('Open copies the tutorial into a codebase and opens main.js', async () => {
  await page.click('[data-testid=tutorial-open]');
  await page.waitForSelector('[data-testid=tutorial-note][data-kind=ok]');
  assert.equal(await page.inputValue('[data-testid=codebase-select]'), TUTORIAL);
  await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active');
  await page.waitForSelector('[data-testid=file-item][data-path="/backend.js"]');
  const files = JSON.parse((await get(`${adminUrl}/api/v1/codebases/${TUTORIAL}`)).text).files;
  for (const f of ['/main.js', '/backend.js', '/README.md']) assert.ok(files.includes(f), `${f} in ${files}`);
  const text = await page.evaluate(() => window.sluiceIDE.editor.getValue());
  assert.match(text, /connect\('127\.0\.0\.1:8080'\)/);
});

test('Run starts it, with its backend', async () => {
  await page.click('[data-testid=tutorial-run]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]', { timeout: 20000 });
  assert.match(await page.textContent('[data-testid=program-status]'), new RegExp(TUTORIAL));
  await waitFor('the proxy and its backend to answer', async () => (await curl(8000)).text === 'Hi, there!\n');
});

test('Check: every request of check.json passes', async () => {
  const results = await runCheck(page);
  await shot('2-check-pass');
  assert.equal(results.length, spec.steps.length);
  for (const r of results) assert.ok(r.pass, `${r.name}: expected ${r.expected} / actual ${r.actual}`);
  assert.deepEqual(
    results.map((r) => r.name),
    spec.steps.map((s) => s.name),
  );
  assert.match(await page.textContent('[data-testid=check-summary]'), new RegExp(`${spec.steps.length} passed, 0 failed`));
});

test('a mistake in main.js makes rows fail, with the actual answer beside the expected one', async () => {
  await page.click('.monaco-editor .view-lines');
  const broken = (await page.evaluate(() => window.sluiceIDE.editor.getValue())).replace("'127.0.0.1:8080'", "'127.0.0.1:8082'");
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(broken);
  await page.keyboard.press('ControlOrMeta+S');
  await page.waitForSelector('[data-testid=reload-result][data-state=ok]');
  await waitFor('the reloaded proxy', async () => (await curl(8000)).text.startsWith('You are requesting'));

  const results = await runCheck(page);
  await shot('3-check-fail');
  const failed = results.filter((r) => !r.pass);
  assert.ok(failed.length >= 1, 'some rows fail');
  const first = failed[0];
  assert.equal(first.name, spec.steps[0].name);
  assert.match(first.expected, /Hi, there!/);
  assert.match(first.actual, /You are requesting \/ from 127\.0\.0\.1/);
  assert.ok(results.find((r) => r.name.includes('backend itself'))?.pass, 'the backend row still passes');
  assert.equal(await page.getAttribute('[data-testid=check-row][data-pass=false]', 'open'), '');
  assert.match(await page.textContent('[data-testid=tutorial-note]'), /did not get the expected answer/);
});
