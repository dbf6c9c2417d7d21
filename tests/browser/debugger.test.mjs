// The IDE's pipeline debugger in headless Chromium against a real engine: a proxy like tutorial
// 03's (demuxHTTP → muxHTTP → connect, with context variables) and its backend, on free ports.
// A breakpoint set on muxHTTP from the graph view pauses a request sent from the request
// runner; the Debug panel shows the paused event and the context variables; a header edited
// there reaches the backend; Step moves to the next filter; Continue finishes the request.
// The glyph margin of the editor sets and removes a breakpoint on a filter's line.
//
//   npm run build && node --test tests/browser/debugger.test.mjs
//
// Set-up (engine, IDE, browser) in harness.mjs. The screenshot of the paused request goes to
// tests/browser/artifacts/debugger-paused.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, startIDE, waitFor, freePort, adminJson } from './harness.mjs';

let ide;
let page;
let proxyPort;
let backendPort;
const MUX_LINE = 8;

const api = (method, path, body) => adminJson(ide, method, path, body);

before(async () => {
  ide = await startIDE({ prefix: 'sluice-debugger-test-' });
  page = ide.page;
  proxyPort = await freePort();
  do backendPort = await freePort();
  while (backendPort === proxyPort);

  await api('POST', '/codebases/proxy', { main: '/main.js' });
  const main = [
    `// A reverse proxy as in tutorial 03, with context variables to look at.`,
    `pipy({ _who: 'nobody', _count: 0 })`,
    ``,
    `.listen(${proxyPort})`,
    `.demuxHTTP().to(`,
    `  $=>$`,
    `  .handleMessageStart(msg => (_who = msg.head.headers['x-who'] || 'anon', _count++))`,
    `  .muxHTTP().to(`,
    `    $=>$.connect('127.0.0.1:${backendPort}')`,
    `  )`,
    `)`,
    ``,
    `// The backend tells which x-edit header it saw.`,
    `.listen(${backendPort})`,
    `.serveHTTP(msg => new Message('saw ' + (msg.head.headers['x-edit'] || '-') + '\\n'))`,
    ``,
  ];
  assert.match(main[MUX_LINE - 1], /muxHTTP/);
  await api('PUT', '/codebases/proxy/files/main.js', main.join('\n'));
  await api('POST', '/programs/proxy');
});

after(async () => {
  await ide?.stop();
});

const text = (sel) => page.textContent(sel);

test('a breakpoint on muxHTTP pauses a request from the runner; edit a header, step, continue', async () => {
  await page.setViewportSize({ width: 1600, height: 1050 });
  await page.goto(ide.uiUrl);
  await page.waitForSelector('[data-testid=program-status][data-state=running]');

  // The graph view: select the muxHTTP filter and set a breakpoint on it.
  await page.click('[data-testid=tab-graph]');
  const mux = page
    .locator('[data-testid=graph-drawing] g.filter', { has: page.locator('text.filter-label', { hasText: /^muxHTTP/ }) })
    .first();
  await mux.waitFor();
  await mux.click();
  await page.click('[data-testid=graph-breakpoint]');
  await waitFor('the breakpoint', async () => (await api('GET', '/debug/programs/proxy')).breakpoints.length === 1);
  const session = await api('GET', '/debug/programs/proxy');
  assert.equal(session.breakpoints[0].filter, 'muxHTTP');
  assert.equal(session.breakpoints[0].line, MUX_LINE);
  await page.waitForSelector('[data-testid=graph-drawing] g.filter.breakpoint');

  // The request runner sends a request; it stops at muxHTTP and the Debug panel opens.
  await page.click('[data-testid=tab-inspector]');
  await waitFor('the listen port prefilled', async () => (await page.inputValue('[data-testid=runner-port]')) === String(proxyPort), 10000);
  await page.selectOption('[data-testid=runner-method]', 'GET');
  await page.fill('[data-testid=runner-path]', '/hello');
  await page.fill('[data-testid=runner-headers]', 'X-Who: alice');
  await page.click('[data-testid=runner-send]');
  await page.waitForSelector('[data-testid=debug-panel]', { state: 'visible', timeout: 10000 });
  await page.waitForSelector('[data-testid=debug-filter]:has-text("muxHTTP")');
  assert.equal(await text('[data-testid=debug-event]'), 'MessageStart');
  assert.match(await text('[data-testid=debug-head]'), /"path": "\/hello"/);
  assert.match(await text('[data-testid=debug-head]'), /"x-who": "alice"/);
  // The context shows the variables, with this request's values.
  assert.equal(await page.inputValue('[data-testid=debug-var][data-name=_who] input'), '"alice"');
  assert.equal(await page.inputValue('[data-testid=debug-var][data-name=_count] input'), '1');
  assert.match(await text('[data-testid=debug-path]'), /main\.js/);
  // The editor shows where: the muxHTTP line, with its breakpoint in the margin.
  await page.waitForSelector('.breakpoint-glyph');
  await page.waitForSelector('.paused-line');
  // A watch expression over the context and the event.
  await page.fill('[data-testid=debug-watch-input]', "_who + ' asks for ' + msg.head.path");
  await page.press('[data-testid=debug-watch-input]', 'Enter');
  await page.waitForSelector('[data-testid=debug-watch-value]:has-text("alice asks for /hello")');
  await page.screenshot({ path: join(ARTIFACTS, 'debugger-paused.png') });

  // Edit a header of the paused request.
  await page.fill('[data-testid=debug-header-name]', 'X-Edit');
  // The panel polls every 500 ms; what the user typed must outlive a few polls.
  await page.waitForTimeout(1200);
  await page.fill('[data-testid=debug-header-value]', 'edited in the IDE');
  await page.waitForTimeout(600);
  assert.equal(await page.inputValue('[data-testid=debug-header-name]'), 'X-Edit');
  await page.click('[data-testid=debug-header-set]');
  await page.waitForSelector('[data-testid=debug-head]:has-text("edited in the IDE")');

  // Step: the request goes through muxHTTP and stops at the next filter, connect.
  await page.click('[data-testid=debug-step]');
  await page.waitForSelector('[data-testid=debug-filter]:has-text("connect")');
  assert.equal(await text('[data-testid=debug-event]'), 'Data');
  assert.match(await text('[data-testid=debug-body]'), /x-edit: edited in the IDE/i);

  // Continue: the request finishes, and the backend saw the edited header.
  await page.click('[data-testid=debug-continue]');
  await page.click('[data-testid=tab-inspector]');
  await page.waitForSelector('[data-testid=response-status][data-status="200"]', { timeout: 10000 });
  assert.equal(await text('[data-testid=response-body]'), 'saw edited in the IDE\n');
  assert.deepEqual((await api('GET', '/debug/paused')).length, 0);
  assert.deepEqual(ide.pageErrors, []);
});

test('the editor margin sets and removes a breakpoint on a filter line', async () => {
  await page.click('[data-testid=tab-debug]');
  // The file is open at the muxHTTP line; remove its breakpoint from the Debug list first.
  await page.click('[data-testid=debug-breakpoint] [data-testid=bp-remove]');
  await waitFor('no breakpoints', async () => (await api('GET', '/debug/programs/proxy')).breakpoints.length === 0);
  await page.waitForSelector('.breakpoint-glyph', { state: 'detached' });

  // Click the glyph margin beside line 7 (handleMessageStart).
  const editor = page.locator('[data-testid=editor] .monaco-editor').first();
  await editor.waitFor();
  const top = await page.evaluate(() => {
    const lines = [...document.querySelectorAll('[data-testid=editor] .margin-view-overlays > div')];
    const ln = [...document.querySelectorAll('[data-testid=editor] .line-numbers')].find((e) => e.textContent.trim() === '7');
    return ln ? ln.getBoundingClientRect().top + ln.getBoundingClientRect().height / 2 : lines.length ? -1 : -2;
  });
  assert.ok(top > 0, 'line 7 is on screen');
  const margin = await page.locator('[data-testid=editor] .glyph-margin').first().boundingBox();
  await page.mouse.click(margin.x + margin.width / 2, top);
  await waitFor('a breakpoint on line 7', async () => {
    const s = await api('GET', '/debug/programs/proxy');
    return s.breakpoints.length === 1 && s.breakpoints[0].line === 7 && s.breakpoints[0].filter === 'handleMessageStart';
  });
  await page.waitForSelector('.breakpoint-glyph');
  await page.mouse.click(margin.x + margin.width / 2, top);
  await waitFor('the breakpoint removed', async () => (await api('GET', '/debug/programs/proxy')).breakpoints.length === 0);
  assert.deepEqual(ide.pageErrors, []);
});
