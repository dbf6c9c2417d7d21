// The IDE's Reference tab in headless Chromium against a real engine: the reference comes from
// the engine (GET /api/v1/reference, made from the sources of `engine --gen-docs`; the page
// reaches loopback only, so nothing comes from the network); a search finds a filter and a
// class; hovering a filter or a global in the editor offers "Open in Reference", which opens
// the tab at its entry.
//
//   npm run build && node --test tests/browser/reference.test.mjs
//
// Set-up (engine, IDE, browser) in harness.mjs. Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, startIDE, waitFor, freePort, adminJson } from './harness.mjs';

let ide;
let page;

const api = (method, path, body) => adminJson(ide, method, path, body);

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const entryTitle = () => page.textContent('[data-testid=reference-entry] [data-testid=reference-title]');

before(async () => {
  ide = await startIDE({ prefix: 'sluice-reference-test-' });
  page = ide.page;
  const port = await freePort();
  await api('POST', '/codebases/ref', { main: '/main.js' });
  await api('PUT', '/codebases/ref/files/main.js', `pipy().listen(${port}).demuxHTTP().to($=>$.replaceMessage(new Message('hi')))\n`);
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active');
});

after(async () => {
  await ide?.stop();
});

test('the engine serves every filter and the script API as JSON', async () => {
  const ref = await api('GET', '/reference');
  const demux = ref.filters.find((f) => f.name === 'demuxHTTP');
  assert.equal(demux.kind, 'joint');
  assert.match(demux.example, /demuxHTTP/);
  assert.ok(demux.overloads.length > 0);
  assert.ok(ref.filters.length > 80, `${ref.filters.length} filters`);
  assert.ok(ref.api.some((d) => d.name === 'Message' && d.kind === 'class'));
});

test('the Reference tab finds a filter and a class by search', async () => {
  await page.click('[data-testid=tab-reference]');
  await page.waitForSelector('[data-testid=reference-item]');
  await page.fill('[data-testid=reference-search]', 'demuxht');
  // The name that starts with it comes first; entries that mention it in their text follow.
  await waitFor('the search', async () => (await page.getAttribute('[data-testid=reference-item] >> nth=0', 'data-name')) === 'demuxHTTP');
  assert.ok((await page.locator('[data-testid=reference-item]').count()) < 10);
  await page.click('[data-testid=reference-item][data-name=demuxHTTP]');
  assert.equal(await entryTitle(), 'demuxHTTP');
  const entry = await page.textContent('[data-testid=reference-entry]');
  assert.match(entry, /Events in: Data \(bytes\), StreamEnd/);
  assert.match(entry, /Example \(tested\)/);
  await shot('reference-search');

  // Words of a description find entries too; Enter opens the best match.
  await page.fill('[data-testid=reference-search]', 'Message');
  await page.press('[data-testid=reference-search]', 'Enter');
  await waitFor('the Message entry', async () => (await entryTitle()) === 'Message');
  assert.equal(await page.getAttribute('[data-testid=reference-entry]', 'data-kind'), 'api');
});

/** Hovers the first `word` of the editor's text (after `after`) and clicks "Open in Reference". */
async function openFromHover(word, after = '') {
  await page.click('[data-testid=tab-graph]');
  await page.evaluate(
    ([w, a]) => {
      const { editor } = window.sluiceIDE;
      const text = editor.getValue();
      const offset = text.indexOf(a + w) + a.length + 1;
      editor.setPosition(editor.getModel().getPositionAt(offset));
      editor.focus();
      editor.trigger('test', 'editor.action.showHover', {});
    },
    [word, after],
  );
  const link = page.locator('.monaco-hover a', { hasText: 'Open in Reference' });
  await link.waitFor({ timeout: 15000 });
  await shot(`reference-hover-${word}`);
  await link.click();
  await page.waitForSelector('[data-testid=reference]:visible');
  await waitFor(`the ${word} entry`, async () => (await entryTitle()) === word);
}

test('a hover over a filter in the editor opens its Reference entry', async () => {
  await openFromHover('demuxHTTP', '.');
  assert.equal(await page.getAttribute('[data-testid=reference-entry]', 'data-kind'), 'filter');
  assert.ok(await page.isVisible('[data-testid=reference-item][data-name=demuxHTTP].selected'));
  await shot('reference-from-hover');
});

test('a hover over a global opens its Reference entry', async () => {
  await page.fill('[data-testid=reference-search]', '');
  await openFromHover('pipy');
  assert.equal(await page.getAttribute('[data-testid=reference-entry]', 'data-kind'), 'api');
  assert.deepEqual(ide.pageErrors, []);
});
