#!/usr/bin/env node
// The fleet test: one repo and FLEET workers (default 100) on loopback, each on its own port,
// following one codebase under continuous load. It measures how long every worker takes to
// serve a new version after the publish (p50, p100), counts failed requests (there must be
// none), publishes a broken version (every worker must keep serving and the repo must show the
// error), stops the repo (workers keep serving) and starts it again (they reconnect and take
// the next version), and reports the repo's CPU and memory.
//
//   node tests/fleet/run.mjs                  # 100 workers
//   FLEET=20 node tests/fleet/run.mjs         # the CI size
//
// IDLE_SECS (default 10) is how long the repo's idle cost is measured.
// ENGINE=path picks the binary (default target/release/engine); LIMIT_MS (default 500) is the
// most a worker may take to serve a new version; RATE (default 10) is the load, in requests a
// second per worker on each of its two connections kinds (RATE=max: as fast as they answer,
// which on a small machine measures CPU starvation more than the repo). Exits 1 when a check
// fails.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import url from 'node:url';

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), '../..');
const ENGINE = process.env.ENGINE || path.join(root, 'target/release/engine');
const FLEET = +(process.env.FLEET || 100);
const LIMIT_MS = +(process.env.LIMIT_MS || 500);
const IDLE_SECS = +(process.env.IDLE_SECS || 10);
const RATE = process.env.RATE === 'max' ? Infinity : +(process.env.RATE || 10);
const NAME = 'fleet/app';
const sleep = ms => new Promise(r => setTimeout(r, ms));
const log = (...a) => console.log(`[fleet ${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);
const T0 = Date.now();
const problems = [];
const check = (ok, what) => { if (!ok) { problems.push(what); log('FAIL:', what); } };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function freePorts(n) {
  const set = new Set();
  while (set.size < n) set.add(await freePort());
  return [...set];
}

/// One HTTP request; resolves {status, body, headers} or rejects.
function request(port, method, p, body, { keepAlive } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path: p,
      agent: keepAlive || false,
      headers: body === undefined ? {} : { 'content-length': Buffer.byteLength(body) },
      timeout: 10000,
    }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fleet-'));
const children = [];
let repo, repoPort;

function startRepo() {
  const p = spawn(ENGINE, [
    `--admin-port=${repoPort}`, `--repo=${dir}/repo`, `--codebases=${dir}/ide`, '--log-level=warn',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(p);
  return p;
}

async function waitFor(cond, ms, what) {
  const t = Date.now();
  while (Date.now() - t < ms) {
    try { if (await cond()) return Date.now() - t; } catch {}
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const api = (method, p, body) => request(repoPort, method, p, body);
async function publish(version, text) {
  const f = await api('POST', `/api/v1/repo-files/${NAME}/main.js`, text);
  if (f.status !== 201) throw new Error(`upload: ${f.status} ${f.body}`);
  const t = process.hrtime.bigint();
  const r = await api('PATCH', `/api/v1/repo/${NAME}`, JSON.stringify({ version }));
  if (r.status !== 201) throw new Error(`publish: ${r.status} ${r.body}`);
  return t;
}
const script = tag =>
  `pipy().listen(+pipy.argv[pipy.argv.length - 1]).serveHTTP(new Message('${tag}'))\n`;
const info = async () => JSON.parse((await api('GET', `/api/v1/repo/${NAME}`)).body);
const instances = async () => Object.values((await info()).instances);

function cpuAndMem(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = +stat[11] + +stat[12];
  const rss = +fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1];
  return { cpuMs: ticks * 10, rssKb: rss };
}

function percentile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

// Continuous load: per worker one loop of new connections (they show the version a new
// connection gets) and one loop over a keep-alive connection. Every answer must be a 200 with
// a known version.
const stats = { ok: 0, failed: 0, errors: new Map() };
let loadOn = true;
const known = new Set(['v1', 'v2', 'v4']);
function fail(e) {
  stats.failed++;
  const k = String(e).slice(0, 120);
  stats.errors.set(k, (stats.errors.get(k) || 0) + 1);
}
async function loadLoop(port, keepAlive) {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : null;
  const gap = 1000 / RATE;
  await sleep(Math.random() * Math.min(gap, 1000));
  while (loadOn) {
    const t = Date.now();
    try {
      const r = await request(port, 'GET', '/', undefined, { keepAlive: agent });
      if (r.status !== 200 || !known.has(r.body)) fail(`status ${r.status} body ${r.body.slice(0, 40)}`);
      else stats.ok++;
    } catch (e) { fail(e.message); await sleep(5); }
    if (gap > 0 && isFinite(gap)) await sleep(Math.max(0, gap - (Date.now() - t)));
  }
}

/// Probes, on new connections, every worker that does not answer `tag` yet, round after round
/// (16 at a time), until all do; returns each worker's delay (ms) from `t0`, sorted.
async function convergence(ports, tag, t0, ms) {
  const times = [];
  let pending = [...ports];
  const t = Date.now();
  while (pending.length && Date.now() - t < ms) {
    const next = [];
    for (let i = 0; i < pending.length; i += 16) {
      await Promise.all(pending.slice(i, i + 16).map(async p => {
        try {
          const r = await request(p, 'GET', '/');
          if (r.status === 200 && r.body === tag) { times.push(Number(process.hrtime.bigint() - t0) / 1e6); return; }
          if (r.status !== 200 || !known.has(r.body)) fail(`probe: status ${r.status} body ${r.body.slice(0, 40)}`);
        } catch (e) { fail(`probe: ${e.message}`); }
        next.push(p);
      }));
    }
    pending = next;
  }
  return times.sort((a, b) => a - b);
}

async function main() {
  if (!fs.existsSync(ENGINE)) throw new Error(`no engine at ${ENGINE}: build it (cargo build --release)`);
  repoPort = await freePort();
  const ports = await freePorts(FLEET);
  repo = startRepo();
  await waitFor(async () => (await api('GET', '/api/v1/repo')).status === 200, 10000, 'the repo');
  await api('POST', `/api/v1/repo/${NAME}`, '{}');
  await publish(1, script('v1'));
  log(`repo on ${repoPort}; starting ${FLEET} workers`);

  const href = `http://127.0.0.1:${repoPort}/repo/${NAME}/`;
  for (const port of ports) {
    children.push(spawn(ENGINE, [
      '--log-level=warn', '--no-graph', `--repo-cache=${dir}/cache`, href, '--', String(port),
    ], { stdio: ['ignore', 'ignore', 'ignore'] }));
  }
  const startMs = await waitFor(async () => {
    const all = await Promise.all(ports.map(p => request(p, 'GET', '/').then(r => r.body === 'v1', () => false)));
    return all.every(x => x);
  }, 120000, 'every worker to serve v1');
  log(`every worker serves v1 (${startMs} ms after the last start)`);
  await waitFor(async () => (await instances()).filter(i => i.linked).length >= FLEET, 60000, 'every push link');
  log('every worker holds a push link');

  // Repo cost while it serves the fleet, idle (links open, status posts every 5 s).
  const idle0 = cpuAndMem(repo.pid);
  await sleep(IDLE_SECS * 1000);
  const idle1 = cpuAndMem(repo.pid);
  const idleCpu = (idle1.cpuMs - idle0.cpuMs) / (10 * IDLE_SECS); // % of one core
  log(`repo while serving ${FLEET} workers: ${idleCpu.toFixed(2)}% CPU, ${idle1.rssKb} kB RSS`);

  const loops = ports.flatMap(p => [loadLoop(p, false), loadLoop(p, true)]);
  await sleep(1000);
  log(`load: ${RATE} requests/s per worker on new connections and as many on keep-alive ones`);

  // Publish v2 under load.
  const pub0 = cpuAndMem(repo.pid);
  const t2 = await publish(2, script('v2'));
  const conv = await convergence(ports, 'v2', t2, 20000);
  const pub1 = cpuAndMem(repo.pid);
  const p50 = percentile(conv, 0.5), p100 = conv[conv.length - 1];
  log(`v2: ${conv.length}/${FLEET} workers serve it; p50 ${p50?.toFixed(1)} ms, p100 ${p100?.toFixed(1)} ms; ` +
      `repo CPU for the publish ${pub1.cpuMs - pub0.cpuMs} ms, RSS ${pub1.rssKb} kB`);
  check(conv.length === FLEET, `every worker serves v2 (${conv.length}/${FLEET})`);
  check(p100 <= LIMIT_MS, `every worker serves v2 within ${LIMIT_MS} ms (p100 ${p100?.toFixed(1)} ms)`);

  // A broken version: every worker keeps v2, and the repo shows the error of each.
  await publish(3, 'pipy().listen(');
  const errMs = await waitFor(async () =>
    (await instances()).filter(i => i.status?.error?.version === '3').length >= FLEET, 20000, 'the error of v3 from every worker');
  const stillV2 = (await Promise.all(ports.map(p => request(p, 'GET', '/').then(r => r.body === 'v2', () => false))))
    .filter(x => x).length;
  log(`v3 (broken): the repo shows the error from every worker after ${errMs} ms; ${stillV2}/${FLEET} still serve v2`);
  check(stillV2 === FLEET, `every worker keeps v2 (${stillV2}/${FLEET})`);

  // The repo stops: the workers keep serving. It comes back: they reconnect.
  const failedBefore = stats.failed;
  repo.kill('SIGTERM');
  await new Promise(r => repo.once('exit', r));
  const okBefore = stats.ok;
  await sleep(3000);
  log(`repo stopped for 3 s: ${stats.ok - okBefore} requests answered meanwhile, ${stats.failed - failedBefore} failed`);
  check(stats.ok - okBefore > 0, 'workers answer while the repo is away');
  repo = startRepo();
  const back = await waitFor(async () => (await instances()).filter(i => i.linked).length >= FLEET, 60000, 'every worker to link again');
  log(`repo back: every worker linked again within ${back} ms`);
  const t4 = await publish(4, script('v4'));
  const conv4 = await convergence(ports, 'v4', t4, 20000);
  log(`v4 after the restart: ${conv4.length}/${FLEET}; p50 ${percentile(conv4, 0.5)?.toFixed(1)} ms, p100 ${conv4[conv4.length - 1]?.toFixed(1)} ms`);
  check(conv4.length === FLEET, `every worker serves v4 after the repo came back (${conv4.length}/${FLEET})`);

  loadOn = false;
  await Promise.all(loops);
  log(`load: ${stats.ok} requests answered, ${stats.failed} failed`);
  for (const [k, n] of stats.errors) log(`  ${n} x ${k}`);
  check(stats.failed === 0, `no request fails (${stats.failed} failed)`);

  const summary = {
    fleet: FLEET, rate: isFinite(RATE) ? RATE : 'max',
    v2: { p50Ms: p50, p100Ms: p100 },
    v4AfterRestart: { p50Ms: percentile(conv4, 0.5), p100Ms: conv4[conv4.length - 1] },
    brokenVersionReportedMs: errMs,
    relinkMs: back,
    requests: stats.ok, failed: stats.failed,
    repo: { idleCpuPercent: idleCpu, rssKb: idle1.rssKb, publishCpuMs: pub1.cpuMs - pub0.cpuMs },
  };
  console.log(JSON.stringify(summary));
}

let code = 0;
try {
  await main();
  code = problems.length ? 1 : 0;
} catch (e) {
  console.error('fleet test error:', e.message);
  code = 1;
} finally {
  loadOn = false;
  for (const c of children) { try { c.kill('SIGKILL'); } catch {} }
  await sleep(200);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(problems.length || code ? `FLEET FAILED: ${problems.join('; ') || 'error'}` : 'FLEET OK');
}
process.exit(code);
