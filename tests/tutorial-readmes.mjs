// Follows each tutorial's README as a reader would, from a terminal, and checks that every
// command shown with a `$ ` prompt prints exactly what the README says it prints.
//
//   node tests/tutorial-readmes.mjs ENGINE_BINARY [NN-name ...]   (no names: every tutorial)
//
// The README's ```sh blocks are taken in order, in a scratch copy of tutorial/ (so that the
// certificates and logs they make never land in the source tree), with the scratch folder
// standing for the repository root:
// - a block without prompts is a set-up: `cd DIR` changes folder, `openssl ...` runs, and
//   `engine ARGS` (re)starts the engine with ARGS; `bash ...` (the "Test it" line) is skipped;
// - in a block with prompts, each `$ command` runs (bash, in the current folder) and its output
//   up to the next prompt must match, trailing blank lines and CRs aside. Commands whose output
//   the README itself calls variable (bursts against a rate limit, timings, a log with times)
//   are run but not compared.
// One line per command, "ok   ..." or "FAIL ...", as tests/tutorials.sh counts them. The
// tutorials listen on 8000, 8001, 8080-8082, 8443 and 6060 of 127.0.0.1: nothing else may.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [engineArg, ...only] = process.argv.slice(2);
if (!engineArg) {
  console.log('usage: node tests/tutorial-readmes.mjs ENGINE_BINARY [NN-name ...]');
  process.exit(2);
}
const engineBin = resolve(engineArg);

/**
 * Commands run but not compared, as [tutorial, command] patterns: their output varies from run
 * to run, as the README says (a burst against a rate limit, and the request right after it,
 * depend on when the quota is refilled; timings; a log with times).
 */
const VARIABLE = [
  [/./, /\[1-[0-9]+\]'?$/],
  [/./, /^time /],
  [/^10-/, /^cat requests\.log/],
  [/^09-/, /\/ip\/x$/],
  [/^16-/, / -r [0-9]+ /],
];

/** `cd DIR`: the READMEs write paths from the repository root (`cd tutorial/11-tls`). */
const folder = (scratch, cwd, dir) => (dir.startsWith('tutorial/') ? resolve(scratch, dir) : resolve(cwd, dir));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether something listens on the port, on any address: binding [::] fails then. */
const listening = (port) =>
  new Promise((ok) => {
    const s = net.createServer();
    s.once('error', () => ok(true));
    s.listen(port, '::', () => s.close(() => ok(false)));
  });

/** Waits (30 s at most) until none of `ports` is in use; the ones still busy, if any. */
async function waitFree(ports) {
  let busy = ports;
  for (let i = 0; i < 150 && busy.length; i++) {
    if (i) await sleep(200);
    busy = (await Promise.all(ports.map(async (p) => ((await listening(p)) ? p : null)))).filter((p) => p !== null);
  }
  return busy;
}

/** The `$ command` / output pairs and the set-up lines of a README, block by block. */
function blocks(readme) {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => {
    const lines = m[1].replace(/\n$/, '').split('\n');
    if (!lines.some((l) => l.startsWith('$ '))) return { setup: lines };
    const commands = [];
    for (const line of lines) {
      if (line.startsWith('$ ')) commands.push({ command: line.slice(2), output: [] });
      else commands.at(-1)?.output.push(line);
    }
    return { commands };
  });
}

class Engine {
  constructor(args, cwd) {
    this.log = '';
    this.proc = spawn(engineBin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => (this.log += d));
    this.proc.stderr.on('data', (d) => (this.log += d));
    this.exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.once('error', (e) => (this.log += `cannot run ${engineBin}: ${e.message}\n`));
  }

  /** Waits until the program listens (all of its ports open together) or the engine exits. */
  async ready() {
    for (let i = 0; i < 100; i++) {
      if (this.log.includes('Listening on TCP port')) return sleep(200).then(() => true);
      if (this.proc.exitCode !== null || this.log.includes('cannot run ')) return false;
      await sleep(100);
    }
    return false;
  }

  /**
   * SIGTERM, then SIGKILL after a second: what is tested here is the README's output, not the
   * graceful drain (which waits for idle keep-alive connections, up to --drain-timeout).
   */
  async stop() {
    if (this.proc.pid === undefined || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    if (await Promise.race([this.exited.then(() => true), sleep(1000).then(() => false)])) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

const show = (s) => s.replace(/\n/g, '\n    | ');
let failed = 0;

async function follow(name, scratch) {
  const readme = readFileSync(join(scratch, 'tutorial', name, 'README.md'), 'utf8');
  // The ports the tutorial listens on, as its check.json names them.
  const check = JSON.parse(readFileSync(join(scratch, 'tutorial', name, 'check.json'), 'utf8'));
  const ports = [...new Set(check.steps.map((st) => st.request.port).filter((p) => typeof p === 'number'))];
  let cwd = scratch;
  let engine = null;
  try {
    for (const block of blocks(readme)) {
      if (block.setup) {
        for (const line of block.setup) {
          const [word, ...rest] = line.trim().split(/\s+/);
          if (word === 'cd') cwd = folder(scratch, cwd, rest.join(' '));
          else if (word === 'openssl') spawnSync('bash', ['-c', line], { cwd, stdio: 'ignore' });
          else if (word === 'engine') {
            await engine?.stop();
            const admin = rest.map((a) => /^--admin-port=(?:.*:)?(\d+)$/.exec(a)?.[1]).filter(Boolean).map(Number);
            const busy = await waitFree([...ports, ...admin]);
            if (busy.length) {
              failed++;
              console.log(`FAIL ${name}: port ${busy.join(', ')} is in use by another program`);
              return;
            }
            engine = new Engine(rest, cwd);
            if (!(await engine.ready())) {
              failed++;
              console.log(`FAIL ${name}: \`${line}\` does not start:\n    | ${show(engine.log.trim().split('\n').slice(-10).join('\n'))}`);
              return;
            }
          }
        }
        continue;
      }
      for (const { command, output } of block.commands) {
        if (command.startsWith('cd ')) {
          cwd = folder(scratch, cwd, command.slice(3).trim());
          continue;
        }
        const run = spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8', timeout: 30000 });
        const got = (run.stdout ?? '').replace(/\r/g, '').replace(/\s+$/, '');
        const want = output.join('\n').replace(/\s+$/, '');
        if (VARIABLE.some(([t, c]) => t.test(name) && c.test(command))) {
          console.log(`ok   ${name}: $ ${command} (ran; its output varies)`);
        } else if (got === want) {
          console.log(`ok   ${name}: $ ${command}`);
        } else {
          failed++;
          console.log(`FAIL ${name}: $ ${command}\n  README says:\n    | ${show(want)}\n  it printed:\n    | ${show(got)}`);
        }
      }
    }
  } finally {
    await engine?.stop();
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'sluice-readmes-'));
try {
  cpSync(join(root, 'tutorial'), join(scratch, 'tutorial'), { recursive: true, filter: (src) => !src.endsWith('.pem') });
  const names = only.length ? only : readdirSync(join(root, 'tutorial')).filter((n) => /^\d\d-/.test(n)).sort();
  for (const name of names) {
    console.log(`== readme ${name}`);
    await follow(name, scratch);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
