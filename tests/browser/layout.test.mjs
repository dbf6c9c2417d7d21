// The workspace's layout at 1280×800, in headless Chromium against a real engine: panels keep
// their sizes when tabs change and can be resized by dragging; the graph and the inspector's
// sequence view scroll inside their panels with nothing cut off; the request runner starts at
// the program's first listening port; a save of a program with no listener says so; the hover
// on `branch` names its three parameters.
//
//   npm run build && node --test tests/browser/layout.test.mjs
//
// Only free ports (the OS picks them). Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, startIDE, waitFor, freePort } from './harness.mjs';

let ide;
let page;
let adminUrl;
let ports;

const api = (method, path, body) =>
  fetch(`${adminUrl}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const rect = (sel) =>
  page.evaluate((s) => {
    const e = document.querySelector(s);
    const r = e.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, scrollWidth: e.scrollWidth, clientWidth: e.clientWidth };
  }, sel);

/** A proxy balancing over two backends in a second file: a graph three columns deep. */
function proxyScript(proxy, b1, b2) {
  return `var lb = new algo.RoundRobinLoadBalancer(['127.0.0.1:${b1}', '127.0.0.1:${b2}']);
pipy({ _target: '' })
.listen(${proxy})
.demuxHTTP().to($=>$
  .handleMessageStart(() => _target = lb.select())
  .branch(
    () => Boolean(_target), $=>$.muxHTTP(() => _target).to($=>$.connect(() => _target)),
    $=>$.replaceMessage(new Message({ status: 404 }, 'none'))
  )
)
`;
}

before(async () => {
  ide = await startIDE({ prefix: 'sluice-layout-test-' });
  ({ page, adminUrl } = ide);
  ports = { proxy: await freePort(), b1: await freePort(), b2: await freePort() };
  assert.equal((await api('POST', '/api/v1/codebases/lb', { main: '/main.js', template: 'hello' })).status, 201);
  await api('PUT', '/api/v1/codebases/lb/files/main.js', proxyScript(ports.proxy, ports.b1, ports.b2));
  await api(
    'PUT',
    '/api/v1/codebases/lb/files/backend.js',
    `pipy().listen(${ports.b1}).serveHTTP(new Message('one\\n')).listen(${ports.b2}).serveHTTP(new Message('two\\n'))\n`,
  );
  await api('PATCH', '/api/v1/codebases/lb', { services: ['/backend.js'] });
  assert.equal((await api('POST', '/api/v1/program', { codebase: 'lb' })).status, 201);
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=graph-layout]', { timeout: 20000 });
});

after(async () => {
  await api('DELETE', '/api/v1/program').catch(() => {});
  await ide?.stop();
});

test('opening the inspector leaves the editor its width; dragging the splitter resizes the side panel', async () => {
  const before = await rect('.editor-area');
  await page.click('[data-testid=tab-inspector]');
  await page.waitForSelector('[data-testid=request-runner]', { state: 'visible' });
  assert.equal((await rect('.editor-area')).width, before.width, 'the editor keeps its width');

  const handle = await rect('[data-testid=splitter-side]');
  const y = (handle.top + handle.bottom) / 2;
  await page.mouse.move(handle.left + 3, y);
  await page.mouse.down();
  await page.mouse.move(handle.left - 97, y, { steps: 5 });
  await page.mouse.up();
  const side = await rect('aside.side');
  assert.ok(Math.abs(side.width - (1280 - handle.left - 3 + 100)) <= 4, `side panel is ${side.width}px`);
  await page.click('[data-testid=tab-graph]');
  assert.equal((await rect('aside.side')).width, side.width, 'the side panel keeps its size across tabs');
  // Double-click: back to the default.
  await page.dblclick('[data-testid=splitter-side]');
  await waitFor('the default size', async () => Math.abs((await rect('.editor-area')).width - before.width) < 2, 3000);
});

test('the graph scrolls inside its panel and shows every running module', async () => {
  await page.click('[data-testid=tab-graph]');
  const panel = await rect('aside.side');
  const drawing = await rect('[data-testid=graph-drawing]');
  assert.ok(drawing.right <= panel.right + 1 && drawing.bottom <= 800, 'the drawing stays inside the panel');
  assert.ok(drawing.scrollWidth > drawing.clientWidth, 'a graph wider than the panel scrolls');
  const text = await page.textContent('[data-testid=graph-drawing]');
  assert.match(text, /main\.js/);
  assert.match(text, /backend\.js/);
  await page.$eval('[data-testid=graph-drawing]', (e) => (e.scrollLeft = e.scrollWidth));
  const last = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('[data-testid=graph-layout] rect.box')].map((r) => r.getBoundingClientRect().right);
    return Math.max(...boxes);
  });
  assert.ok(last <= (await rect('[data-testid=graph-drawing]')).right + 1, 'the rightmost box can be scrolled into view');
  await shot('layout-graph');
});

test('the runner defaults to the first listening port; the sequence view scrolls with no lane cut off', async () => {
  await page.click('[data-testid=tab-inspector]');
  await waitFor('the runner port', async () => (await page.inputValue('[data-testid=runner-port]')) === String(ports.proxy), 10000);
  await page.click('[data-testid=runner-send]');
  await page.waitForSelector('[data-testid=trace-sequence] [data-testid=trace-row]', { timeout: 15000 });
  const panel = await rect('aside.side');
  const seq = await rect('[data-testid=trace-sequence]');
  assert.ok(seq.left >= panel.left && seq.right <= panel.right + 1, `sequence ${seq.left}..${seq.right} in panel ${panel.left}..${panel.right}`);
  assert.ok(seq.bottom <= 800, 'the sequence view ends inside the window');
  assert.ok(seq.scrollWidth > seq.clientWidth, 'lanes wider than the panel scroll');
  await page.$eval('[data-testid=trace-sequence]', (e) => (e.scrollLeft = e.scrollWidth));
  const lastLane = await page.evaluate(() => {
    const heads = [...document.querySelectorAll('[data-testid=trace-sequence] th')];
    return heads[heads.length - 1].getBoundingClientRect().right;
  });
  assert.ok(lastLane <= (await rect('[data-testid=trace-sequence]')).right + 1, 'the last lane scrolls fully into view');
  await shot('layout-sequence');
});

test('saving a main.js with no listener says so instead of "reload: ok"', async () => {
  await page.click('[data-testid=file-item][data-path="/main.js"]');
  await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active');
  await page.evaluate(() => window.sluiceIDE.editor.setValue("pipy().pipeline('idle').dummy()\n"));
  await page.keyboard.press('ControlOrMeta+S');
  await page.waitForSelector('[data-testid=reload-result][data-state=warn]', { timeout: 15000 });
  assert.match(await page.textContent('[data-testid=reload-result]'), /main\.js declares no listener/);
});

test('the hover on branch names its three parameters', async () => {
  await page.evaluate(() => window.sluiceIDE.editor.setValue('pipy().listen(1).branch(true, "a", "b")\n'));
  const params = await waitFor('signature help', () =>
    page.evaluate(async () => {
      const { monaco, editor } = window.sluiceIDE;
      const model = editor.getModel();
      const worker = await (await monaco.typescript.getJavaScriptWorker())(model.uri);
      const help = await worker.getSignatureHelpItems(model.uri.toString(), model.getValue().indexOf('true'), {});
      return help?.items[0]?.parameters.map((p) => p.name);
    }),
  );
  assert.deepEqual(params, ['condition', 'layout', 'moreConditionsAndLayouts']);
  await page.mouse.move(0, 0);
  await page.hover('.monaco-editor .view-line >> text=branch');
  await page.waitForSelector('.monaco-hover-content', { timeout: 10000 });
  const hover = await page.textContent('.monaco-hover-content');
  assert.match(hover, /branch\(condition: Condition, layout: Layout, \.\.\.moreConditionsAndLayouts/);
  await shot('layout-hover');
});
