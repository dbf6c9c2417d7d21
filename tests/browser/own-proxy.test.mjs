// A new user's task, played through the IDE end to end: write your own proxy with your own
// backends. A new codebase; main.js balances /api round-robin over two backends and sends the
// rest to a third; the backends are a second file, set to run beside main; Run; /api answers
// alternate. Then the user breaks an upstream address: the log panel shows the warning naming
// it, and the dashboard counts the errors.
//
//   npm run build && node --test tests/browser/own-proxy.test.mjs
//
// Only free ports (the OS picks them). Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, startIDE, waitFor, freePort, httpGet as get, openIDE } from './harness.mjs';

let ide;
let page;
let ports;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });


const mainScript = (p, b1, b2, b3) => `// /api round-robin over two backends, everything else to a third.
var api = new algo.RoundRobinLoadBalancer(['127.0.0.1:${b1}', '127.0.0.1:${b2}']);
pipy({ _target: '' })
.listen(${p})
.demuxHTTP().to($=>$
  .handleMessageStart(msg => _target = msg.head.path.startsWith('/api') ? api.select() : '127.0.0.1:${b3}')
  .muxHTTP(() => _target).to($=>$.connect(() => _target))
)
`;

const backendScript = (b1, b2, b3) => `pipy()
.listen(${b1}).serveHTTP(new Message('api one\\n'))
.listen(${b2}).serveHTTP(new Message('api two\\n'))
.listen(${b3}).serveHTTP(new Message('everything else\\n'))
`;

/** Puts `text` in the open editor and saves it with Ctrl+S. */
async function writeAndSave(path, text) {
  await page.waitForSelector(`[data-testid=editor-tab][data-path="${path}"].active`);
  await page.evaluate((t) => window.sluiceIDE.editor.setValue(t), text);
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('ControlOrMeta+S');
  await page.waitForSelector(`[data-testid=editor-tab][data-path="${path}"].active .tab-close:not(.dirty)`);
}

before(async () => {
  ide = await startIDE({ prefix: 'sluice-own-proxy-test-' });
  page = ide.page;
  ports = { proxy: await freePort(), b1: await freePort(), b2: await freePort(), b3: await freePort(), dead: await freePort() };
  await openIDE(ide);
});

after(async () => {
  await ide?.stop();
});

test('a new codebase with a proxy in main.js and its backends in a second file', async () => {
  await page.click('[data-testid=codebase-new]');
  await page.fill('[data-testid=codebase-name-input]', 'my-proxy');
  await page.click('[data-testid=codebase-create]');
  await page.waitForSelector('[data-testid=file-item][data-path="/main.js"] [data-testid=main-flag]');
  await writeAndSave('/main.js', mainScript(ports.proxy, ports.b1, ports.b2, ports.b3));

  await page.click('[data-testid=file-new]');
  await page.fill('[data-testid=file-name-input]', 'backend.js');
  await page.click('[data-testid=file-create]');
  await writeAndSave('/backend.js', backendScript(ports.b1, ports.b2, ports.b3));

  // The setting: backend.js runs beside main.
  await page.click('[data-testid=file-item][data-path="/backend.js"] [data-testid=file-toggle-service]');
  await page.waitForSelector('[data-testid=file-item][data-path="/backend.js"] [data-testid=service-flag]');
  const info = await (await fetch(`${ide.adminUrl}/api/v1/codebases/my-proxy`)).json();
  assert.deepEqual(info.services, ['/backend.js']);
  // The run setting under the file tree shows it: main always, backend.js ticked.
  const setting = await page.$$eval('[data-testid=run-setting]', (ls) => ls.map((l) => [l.dataset.path, l.querySelector('input').checked]));
  assert.deepEqual(setting, [['/backend.js', true], ['/main.js', true]]);
  // Unticking it there takes it out; ticking it puts it back.
  await page.uncheck('[data-testid=run-setting][data-path="/backend.js"] input');
  await page.waitForSelector('[data-testid=file-item][data-path="/backend.js"]:not(:has([data-testid=service-flag]))');
  assert.deepEqual((await (await fetch(`${ide.adminUrl}/api/v1/codebases/my-proxy`)).json()).services, []);
  await page.check('[data-testid=run-setting][data-path="/backend.js"] input');
  await page.waitForSelector('[data-testid=file-item][data-path="/backend.js"] [data-testid=service-flag]');
  assert.deepEqual((await (await fetch(`${ide.adminUrl}/api/v1/codebases/my-proxy`)).json()).services, ['/backend.js']);
});

test('Run starts main and its backends; /api alternates between the two', async () => {
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  await waitFor('the proxy', async () => (await get(ports.proxy, '/')).status === 200, 10000);
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push((await get(ports.proxy, '/api/users')).text.trim());
  assert.equal(new Set(answers).size, 2, answers.join(', '));
  for (let i = 1; i < answers.length; i++) assert.notEqual(answers[i], answers[i - 1], `no alternation: ${answers.join(', ')}`);
  assert.equal((await get(ports.proxy, '/home')).text, 'everything else\n');
  // The graph shows both modules.
  await page.click('[data-testid=tab-graph]');
  await waitFor('both modules in the graph', async () => /backend\.js/.test(await page.textContent('[data-testid=graph-drawing]')) && /main\.js/.test(await page.textContent('[data-testid=graph-drawing]')));
  await shot('own-proxy-running');
});

test('a broken upstream address: a warning in the log panel and errors on the dashboard', async () => {
  await page.click('[data-testid=file-item][data-path="/main.js"]');
  await writeAndSave('/main.js', mainScript(ports.proxy, ports.b1, ports.dead, ports.b3));
  await page.waitForSelector('[data-testid=reload-result][data-state=ok]');
  await page.click('[data-testid=tab-dashboard]');
  await waitFor('the first poll', async () => (await page.getAttribute('[data-testid=conns-now]', 'data-value')) !== '', 10000);
  // Requests keep coming while the user looks: half of the /api ones go to the dead address.
  const statuses = [];
  let sending = true;
  const traffic = (async () => {
    while (sending) {
      statuses.push((await get(ports.proxy, '/api/x')).status);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await waitFor('errors on the dashboard', async () => Number(await page.getAttribute('[data-testid=errors-now]', 'data-value')) > 0, 10000);
    await waitFor(
      'the warning in the log panel',
      async () => (await page.textContent('[data-testid=log-panel]')).includes(`connect to 127.0.0.1:${ports.dead} failed: connection refused`),
      10000,
    );
  } finally {
    sending = false;
    await traffic;
  }
  assert.ok(statuses.includes(502), `statuses: ${[...new Set(statuses)].join(', ')}`);
  const line = await page.$eval('[data-testid=log-panel]', (el, dead) =>
    [...el.querySelectorAll('.log-line')].find((l) => l.textContent.includes(`127.0.0.1:${dead} failed`))?.textContent, ports.dead);
  assert.match(line, /warn/);
  await shot('own-proxy-broken');
  assert.deepEqual(ide.pageErrors, []);
});

test('the inspector marks the failing record of a request to the broken backend', async () => {
  await page.click('[data-testid=tab-inspector]');
  await waitFor('the runner port', async () => (await page.inputValue('[data-testid=runner-port]')) === String(ports.proxy), 10000);
  await page.fill('[data-testid=runner-path]', '/api/x');
  // Round-robin: one of two requests goes to the dead address.
  let failed = false;
  for (let i = 0; i < 4 && !failed; i++) {
    await page.click('[data-testid=runner-send]');
    await page.waitForSelector('[data-testid=runner-response]:not([hidden])');
    await page.waitForTimeout(300);
    failed = /\b502\b/.test(await page.textContent('[data-testid=runner-response]'));
  }
  assert.ok(failed, 'a request answered 502');
  await page.waitForSelector('[data-testid=trace-sequence] [data-testid=trace-row][data-failed]', { timeout: 10000 });
  const marked = await page.$$eval('[data-testid=trace-sequence] [data-testid=trace-row][data-failed]', (rows) => rows.map((r) => r.title));
  assert.ok(marked.some((t) => /ConnectionRefused/.test(t)), marked.join('; '));
  await shot('own-proxy-inspector');
});
