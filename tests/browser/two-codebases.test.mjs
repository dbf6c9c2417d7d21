// Two codebases running at once, through the IDE: each has its own Run and Stop, starting one
// leaves the other running, the log console tells their lines apart (and filters them by
// codebase), and a port the other one holds is refused in words naming it.
//
//   npm run build && node --test tests/browser/two-codebases.test.mjs
//
// Only free ports (the OS picks them). Screenshots go to tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import http from 'node:http';
import { ARTIFACTS, startIDE, waitFor, freePort, openIDE } from './harness.mjs';

let ide;
let page;
let ports;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

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

const greeter = (port, text) => `pipy()\n.listen(${port})\n.serveHTTP(new Message('${text}'))\n`;

/** Puts `text` in the open editor and saves it with Ctrl+S. */
async function writeAndSave(path, text) {
  await page.waitForSelector(`[data-testid=editor-tab][data-path="${path}"].active`);
  await page.evaluate((t) => window.sluiceIDE.editor.setValue(t), text);
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('ControlOrMeta+S');
  await page.waitForSelector(`[data-testid=editor-tab][data-path="${path}"].active .tab-close:not(.dirty)`);
}

async function newCodebase(name, port, text) {
  await page.click('[data-testid=codebase-new]');
  await page.fill('[data-testid=codebase-name-input]', name);
  await page.click('[data-testid=codebase-create]');
  await waitFor(`${name} to open`, async () => (await page.inputValue('[data-testid=codebase-select]')) === name);
  await page.waitForSelector('[data-testid=file-item][data-path="/main.js"] [data-testid=main-flag]');
  // Both codebases have a /main.js tab: write only once the editor holds the new one's.
  await page.waitForFunction((n) => window.sluiceIDE.editor.getModel()?.uri.path.startsWith(`/${n}/`), name);
  await writeAndSave('/main.js', greeter(port, text));
}

/**
 * Picks a codebase in the header and waits until the IDE has switched to it: the select shows
 * the choice at once, but the editor holds the new codebase's file only once it is loaded.
 */
async function switchTo(name) {
  await page.selectOption('[data-testid=codebase-select]', name);
  await page.waitForFunction((n) => window.sluiceIDE.editor.getModel()?.uri.path.startsWith(`/${n}/`), name);
  await page.waitForSelector('[data-testid=editor-tab][data-path="/main.js"].active');
}

async function run(name) {
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  assert.match(await page.textContent('[data-testid=program-status]'), new RegExp(`Running ${name}`));
}

/** The text of the log lines shown. */
const shownLines = () => page.$$eval('[data-testid=log-lines] .log-line', (ls) => ls.map((l) => ({ program: l.dataset.program, text: l.textContent })));

before(async () => {
  ide = await startIDE({ prefix: 'sluice-two-codebases-test-' });
  page = ide.page;
  ports = { first: await freePort(), second: await freePort() };
  await openIDE(ide);
});

after(async () => {
  await ide?.stop();
});

test('running a second codebase leaves the first one running', async () => {
  await newCodebase('first', ports.first, 'from first');
  await run('first');
  await waitFor('first to answer', async () => (await answer(ports.first)) === 'from first', 10000);

  await newCodebase('second', ports.second, 'from second');
  await page.waitForSelector('[data-testid=program-status][data-state=stopped]');
  // The header shows first still running while second is open.
  await page.waitForSelector('[data-testid=running-first]');
  await run('second');
  await waitFor('second to answer', async () => (await answer(ports.second)) === 'from second', 10000);
  assert.equal(await answer(ports.first), 'from first', 'first keeps running');
  const programs = await (await fetch(`${ide.adminUrl}/api/v1/programs`)).json();
  assert.deepEqual(programs.map((p) => [p.name, p.running, p.ports]), [['first', true, [ports.first]], ['second', true, [ports.second]]]);
  await shot('two-codebases-running');
});

test('the graph draws every running codebase', async () => {
  await page.click('[data-testid=tab-graph]');
  await page.selectOption('[data-testid=graph-scope]', 'running');
  const drawing = () => page.textContent('[data-testid=graph-drawing]');
  await waitFor('both codebases in the graph', async () => {
    const t = await drawing();
    return t.includes(`first · Listen on`) && t.includes(`second · Listen on`);
  });
  // The open codebase's modules keep their paths; the other's are named with its codebase.
  const metas = await page.$$eval('[data-testid=graph-layout] .layout-meta', (ts) => ts.map((t) => t.textContent));
  assert.ok(metas.includes('listen · /main.js') && metas.includes('listen · first:/main.js'), metas.join('; '));
  await shot('two-codebases-graph');
  await page.selectOption('[data-testid=graph-scope]', 'codebase');
  await waitFor('only second in the graph', async () => !(await drawing()).includes('first'));
});

test('the log console tags each line with its codebase and filters by it', async () => {
  await waitFor('both codebases in the filter', async () =>
    (await page.$$eval('[data-testid=log-program-filter] option', (os) => os.map((o) => o.value))).join(',') === ',first,second');
  await page.selectOption('[data-testid=log-program-filter]', 'first');
  let lines = await shownLines();
  assert.ok(lines.length > 0);
  assert.ok(lines.every((l) => l.program === 'first'), JSON.stringify(lines));
  assert.ok(lines.some((l) => l.text.includes(`Listening on TCP port ${ports.first}`)), JSON.stringify(lines));
  await page.selectOption('[data-testid=log-program-filter]', 'second');
  lines = await shownLines();
  assert.ok(lines.every((l) => l.program === 'second'), JSON.stringify(lines));
  assert.ok(lines.some((l) => l.text.includes(`Listening on TCP port ${ports.second}`)), JSON.stringify(lines));
  await shot('two-codebases-log-filter');
  await page.selectOption('[data-testid=log-program-filter]', '');
});

test('a port the other codebase holds is refused, naming it', async () => {
  await writeAndSave('/main.js', greeter(ports.first, 'second on first port'));
  // second runs, so the save reloads it: that fails, and the old second keeps running.
  await page.waitForSelector('[data-testid=reload-result][data-state=failed]');
  assert.equal(await answer(ports.second), 'from second');
  // Run asks before stopping the holder; Cancel leaves both as they are and says why.
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=confirm-message]');
  assert.match(await page.textContent('[data-testid=confirm-message]'), new RegExp(`port ${ports.first} is already in use by the program 'first'.*Stop first and run second\\?`));
  await shot('two-codebases-port-taken');
  await page.click('[data-testid=confirm-cancel]');
  await waitFor('the refusal', async () =>
    (await page.textContent('[data-testid=toasts]')).includes(`port ${ports.first} is already in use by the program 'first'`), 10000);
  assert.equal(await answer(ports.first), 'from first', 'first keeps its port');
  assert.equal(await answer(ports.second), 'from second', 'second keeps running its previous version');
  await writeAndSave('/main.js', greeter(ports.second, 'from second'));
  await page.waitForSelector('[data-testid=reload-result][data-state=ok]');
});

test('each codebase stops with its own Stop', async () => {
  await page.click('[data-testid=stop]');
  await page.waitForSelector('[data-testid=program-status][data-state=stopped]');
  await waitFor('second to stop', async () => (await answer(ports.second)) === null, 5000);
  assert.equal(await answer(ports.first), 'from first', 'first keeps running');
  // Open first from the header and stop it there.
  await page.click('[data-testid=running-first] a');
  await waitFor('first to open', async () => (await page.inputValue('[data-testid=codebase-select]')) === 'first');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  await page.click('[data-testid=stop]');
  await page.waitForSelector('[data-testid=program-status][data-state=stopped]');
  await waitFor('first to stop', async () => (await answer(ports.first)) === null, 5000);
  assert.deepEqual(await (await fetch(`${ide.adminUrl}/api/v1/programs`)).json(), []);
  assert.deepEqual(ide.pageErrors, []);
});

test('taking over a port another codebase holds: Run asks, then stops it', async () => {
  // first runs again; second (stopped) now wants first's port.
  await switchTo('first');
  await run('first');
  await switchTo('second');
  await writeAndSave('/main.js', greeter(ports.first, 'second on first port'));
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=confirm-message]');
  await page.click('[data-testid=confirm-ok]');
  await page.waitForSelector('[data-testid=program-status][data-state=running]');
  await waitFor('second on first port', async () => (await answer(ports.first)) === 'second on first port', 5000);
  const programs = await (await fetch(`${ide.adminUrl}/api/v1/programs`)).json();
  assert.deepEqual(programs.map((p) => p.name), ['second']);
  assert.deepEqual(ide.pageErrors, []);
});
