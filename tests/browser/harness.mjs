// Shared set-up of the browser tests: an engine of their own on a free admin port with a
// temporary codebase folder, the IDE (the engine's own, or ui/dist served here when the engine
// embeds another build), and headless Chromium that reaches loopback only.
//
// Environment: SLUICE_ENGINE (default target/release/engine), CHROMIUM (default
// /usr/bin/chromium), SLUICE_TEST_VERBOSE (print the engine's output and the page's requests).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import net from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const ENGINE = resolve(repo, process.env.SLUICE_ENGINE ?? 'target/release/engine');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const DIST = join(repo, 'ui/dist');
export const ARTIFACTS = join(here, 'artifacts');
export const verbose = !!process.env.SLUICE_TEST_VERBOSE;

/** Ports already handed out by freePort in this test process. */
const handedOut = new Set();

/**
 * A port nothing listens on now, never one this process was given before: the kernel may hand
 * the same port to two binds in a row, and two codebases given one port would fight over it.
 */
export async function freePort() {
  for (;;) {
    const port = await new Promise((ok, fail) => {
      const s = net.createServer();
      s.unref();
      s.on('error', fail);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => ok(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function portIsFree(port) {
  return new Promise((ok) => {
    const s = net.createServer();
    s.once('error', () => ok(false));
    s.listen(port, '::', () => s.close(() => ok(true)));
  });
}

/** Polls `fn` until it returns something truthy, which it returns. */
export async function waitFor(what, fn, timeout = 15000, every = 200) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

export async function get(url) {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Serves ui/dist and forwards /api and /metrics to the engine (for engines without this IDE). */
export function serveDist(adminUrl, port) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.json': 'application/json', '.svg': 'image/svg+xml' };
  const target = new URL(adminUrl);
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/api/') || req.url.startsWith('/metrics')) {
      const up = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
          r.on('aborted', () => res.destroy());
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
      res.on('close', () => up.destroy());
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(DIST, path);
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

/**
 * Starts an engine (with extra `args`) and the browser. Returns `{ adminUrl, uiUrl, dataDir, page,
 * consoleErrors, pageErrors, engineLog(), stop() }`; `dataDir` is its codebase folder (`--codebases`).
 */
export async function startIDE({ prefix = 'sluice-test-', args = [] } = {}) {
  assert.ok(existsSync(ENGINE), `no engine binary at ${ENGINE} (set SLUICE_ENGINE)`);
  assert.ok(existsSync(join(DIST, 'index.html')), 'ui/dist is missing: run `npm run build` first');
  mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  let log = '';
  const engine = spawn(ENGINE, [`--admin-port=127.0.0.1:${adminPort}`, '--codebases', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  engine.stdout.on('data', (d) => (log += d));
  engine.stderr.on('data', (d) => (log += d));
  let uiServer = null;
  let browser = null;

  const stop = async () => {
    await browser?.close();
    uiServer?.close();
    if (engine.exitCode === null && engine.signalCode === null) {
      engine.kill('SIGTERM');
      await Promise.race([
        new Promise((r) => engine.once('exit', r)),
        new Promise((r) => setTimeout(r, 5000)).then(() => engine.kill('SIGKILL')),
      ]);
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (verbose) console.log(log);
  };

  try {
    await waitFor('the admin API', async () => (await get(`${adminUrl}/api/v1/codebases`)).status === 200);

    // Use the IDE built into the engine only if it is this ui/dist build.
    let uiUrl;
    const home = await get(`${adminUrl}/`);
    if (home.text === readFileSync(join(DIST, 'index.html'), 'utf8')) {
      uiUrl = `${adminUrl}/`;
    } else {
      const port = await freePort();
      uiServer = await serveDist(adminUrl, port);
      uiUrl = `http://127.0.0.1:${port}/`;
      console.log(`# the engine does not embed this ui/dist build; serving ui/dist at ${uiUrl}`);
    }

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Only loopback traffic.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
    const consoleErrors = [];
    const pageErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    if (verbose) {
      page.on('requestfinished', async (r) => {
        if (r.url().includes('/api/v1/log')) return;
        const res = await r.response();
        console.log(`# ${Date.now() % 100000} ${r.method()} ${r.url()} ${res?.status()} ${res?.headers()['x-reload'] ?? ''}`);
      });
    }
    return { adminUrl, uiUrl, dataDir, page, consoleErrors, pageErrors, engineLog: () => log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** GET on a fresh connection each time, as curl does (a kept-alive one stays on the program version it began with). */
export function httpGet(port, path = '/') {
  return new Promise((ok, fail) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => ok({ status: res.statusCode, text }));
      })
      .on('error', fail);
  });
}

/**
 * Starts the IDE for a tutorial that listens on fixed `ports`, once nothing else holds them
 * (waiting up to 30 s). Its `stop()` stops the tutorial's program before the engine, so the
 * ports are free for what runs next.
 */
export async function startTutorialIDE({ prefix, ports }) {
  await waitFor(`ports ${ports.join(', ')} to be free`, async () => (await Promise.all(ports.map(portIsFree))).every(Boolean), 30000, 500);
  const ide = await startIDE({ prefix });
  const stopEngine = ide.stop;
  ide.stop = async () => {
    await fetch(`${ide.adminUrl}/api/v1/program`, { method: 'DELETE' }).catch(() => {});
    await stopEngine();
  };
  return ide;
}

/** The rows of a tutorial's check results, as the page shows them. */
export function checkRows(page) {
  return page.$$eval('[data-testid=check-row]', (els) =>
    els.map((el) => ({
      pass: el.dataset.pass === 'true',
      name: el.querySelector('.check-name')?.textContent ?? '',
      request: el.querySelector('.check-request')?.textContent ?? '',
      expected: el.querySelector('[data-testid=check-expected]')?.textContent ?? '',
      actual: el.querySelector('[data-testid=check-actual]')?.textContent ?? '',
    })),
  );
}

/** Clicks a tutorial's Check and waits for a fresh set of results, which it returns. */
export async function runCheck(page) {
  await page.$eval('[data-testid=tutorial-results]', (el) => el.replaceChildren());
  await page.click('[data-testid=tutorial-check]');
  await page.waitForSelector('[data-testid=check-summary]', { timeout: 60000 });
  await page.waitForSelector('[data-testid=tutorial-check]:not([disabled])');
  return checkRows(page);
}

/** Opens the IDE at `ide.uiUrl` and waits until its editor is up. */
export async function openIDE(ide) {
  await ide.page.goto(ide.uiUrl);
  await ide.page.waitForSelector('[data-testid=codebase-select]');
  await ide.page.waitForFunction(() => !!window.sluiceIDE?.editor, null, { timeout: 20000 });
}

/**
 * Calls the admin API of `ide` (`path` under /api/v1) and fails the test on an error status. A
 * body that is not a string is sent as JSON. Returns the answer's text.
 */
export async function adminText(ide, method, path, body) {
  const res = await fetch(`${ide.adminUrl}/api/v1${path}`, {
    method,
    body: typeof body === 'string' ? body : body && JSON.stringify(body),
    headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' },
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text;
}

/** [`adminText`], parsed as JSON (null for an empty answer). */
export async function adminJson(ide, method, path, body) {
  const text = await adminText(ide, method, path, body);
  return text ? JSON.parse(text) : null;
}
