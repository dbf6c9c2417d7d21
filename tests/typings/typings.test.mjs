// The script API declarations the IDE's editor uses (GET /api/v1/typings), checked with
// TypeScript itself: they compile (`tsc --noEmit --strict`), a typical proxy script type-checks
// against them, every parameter has a name and a type, and every declaration a description.
//
// Environment: SLUICE_ENGINE (default target/release/engine).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { freePort, waitFor, get } from '../browser/harness.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENGINE = resolve(repo, process.env.SLUICE_ENGINE ?? 'target/release/engine');
const ts = createRequire(join(repo, 'ui/package.json'))('typescript');
const TSC = join(repo, 'node_modules/.bin/tsc');

let engine;
let dir;
let typings;

before(async () => {
  assert.ok(existsSync(ENGINE), `no engine binary at ${ENGINE} (set SLUICE_ENGINE)`);
  dir = mkdtempSync(join(tmpdir(), 'sluice-typings-'));
  const port = await freePort();
  engine = spawn(ENGINE, [`--admin-port=127.0.0.1:${port}`, '--codebases', join(dir, 'codebases')], { stdio: 'ignore' });
  typings = await waitFor('the typings', async () => {
    const r = await get(`http://127.0.0.1:${port}/api/v1/typings`);
    return r.status === 200 && r.text;
  });
  writeFileSync(join(dir, 'sluice.d.ts'), typings);
});

after(() => {
  engine?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tsc(...files) {
  try {
    execFileSync(TSC, ['--noEmit', '--strict', '--lib', 'es2020', ...files], { cwd: dir, encoding: 'utf8' });
    return '';
  } catch (e) {
    return `${e.stdout}${e.stderr}`;
  }
}

test('the declarations compile with tsc --noEmit --strict', () => {
  assert.equal(tsc('sluice.d.ts'), '');
});

test('a proxy script type-checks against them, and a wrong option does not', () => {
  writeFileSync(
    join(dir, 'proxy.ts'),
    `const lb = new algo.RoundRobinLoadBalancer(['127.0.0.1:8001', '127.0.0.1:8002']);
pipy({ _target: '' })
  .listen(8000, { idleTimeout: '30s' })
  .demuxHTTP().to($ => $
    .branchMessageStart(
      (msg) => msg.head.path.startsWith('/api/'), ($: Configuration) => $
        .handleMessageStart(() => { lb.select(); })
        .muxHTTP().to($ => $.connect(() => '127.0.0.1:8001', { connectTimeout: 5, retryCount: 1 })),
      ($: Configuration) => $.serveHTTP(new Message({ status: 404 }, 'not here'))
    )
  );
`,
  );
  assert.equal(tsc('sluice.d.ts', 'proxy.ts'), '');
  writeFileSync(join(dir, 'wrong.ts'), `pipy().listen(8000).connect('x:1', { connectTimeot: 5 });\n`);
  assert.match(tsc('sluice.d.ts', 'wrong.ts'), /connectTimeot/);
});

/** Every declaration in the file, with its name, kind and JSDoc. */
function declarations() {
  const sf = ts.createSourceFile('sluice.d.ts', typings, ts.ScriptTarget.ES2020, true);
  const out = [];
  const nameOf = (n) => (n.name ? n.name.getText(sf) : ts.isConstructorDeclaration(n) || ts.isConstructSignatureDeclaration(n) ? 'constructor' : '?');
  const visit = (node, path) => {
    const documented =
      ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isModuleDeclaration(node) ||
      ts.isTypeAliasDeclaration(node) || ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ||
      ts.isMethodSignature(node) || ts.isPropertyDeclaration(node) || ts.isPropertySignature(node) ||
      ts.isConstructorDeclaration(node) || ts.isVariableStatement(node);
    let here = path;
    if (documented) {
      const name = ts.isVariableStatement(node) ? node.declarationList.declarations[0].name.getText(sf) : nameOf(node);
      here = path ? `${path}.${name}` : name;
      // Type literals inside a type (like { size?: number }) are described by their owner.
      const nested = node.parent && ts.isTypeLiteralNode(node.parent);
      // `interface JSON` extends the standard one, whose own description stands.
      if (!nested && here !== 'JSON') out.push({ node, name: here, docs: ts.getJSDocCommentsAndTags(node) });
    }
    ts.forEachChild(node, (c) => visit(c, here));
  };
  visit(sf, '');
  return { sf, decls: out };
}

function commentText(c) {
  if (c === undefined) return '';
  return typeof c === 'string' ? c : c.map((p) => p.text).join('');
}

test('every declaration has a one-line description', () => {
  const { decls } = declarations();
  assert.ok(decls.length > 150, `only ${decls.length} declarations found`);
  const missing = decls
    .filter(({ docs }) => !docs.some((d) => ts.isJSDoc(d) && commentText(d.comment).trim().length > 0))
    .map((d) => d.name);
  assert.deepEqual(missing, [], `declarations without a description: ${missing.join(', ')}`);
});

test('every parameter has a name, a type and a description', () => {
  const { sf, decls } = declarations();
  const problems = [];
  for (const { node, name } of decls) {
    if (!node.parameters) continue;
    const tags = ts.getJSDocTags(node).filter(ts.isJSDocParameterTag);
    for (const p of node.parameters) {
      if (!ts.isIdentifier(p.name) || !/^[A-Za-z_$][\w$]*$/.test(p.name.text)) {
        problems.push(`${name}: parameter without a name (${p.getText(sf)})`);
        continue;
      }
      if (!p.type) problems.push(`${name}(${p.name.text}): no type`);
      const tag = tags.find((t) => t.name.getText(sf) === p.name.text);
      const text = commentText(tag?.comment).replace(/^-\s*/, '').trim();
      if (!text) problems.push(`${name}(${p.name.text}): no description`);
    }
  }
  assert.deepEqual(problems, []);
});

test('editor hovers show whole parameter docs and named parameters', () => {
  const files = { 'sluice.d.ts': typings, 'x.ts': 'pipy().branch(true, "a", "b").demuxHTTP({});\n' };
  const host = {
    getScriptFileNames: () => Object.keys(files),
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => (files[f] === undefined ? undefined : ts.ScriptSnapshot.fromString(files[f])),
    getCurrentDirectory: () => '/',
    getCompilationSettings: () => ({ strict: true, noLib: true }),
    getDefaultLibFileName: () => 'lib.d.ts',
    fileExists: (f) => files[f] !== undefined,
    readFile: (f) => files[f],
  };
  const ls = ts.createLanguageService(host);
  const src = files['x.ts'];
  const branch = ls.getSignatureHelpItems('x.ts', src.indexOf('true'), undefined);
  const names = branch.items[0].parameters.map((p) => p.name);
  assert.deepEqual(names, ['condition', 'layout', 'moreConditionsAndLayouts']);
  for (const p of branch.items[0].parameters) {
    assert.ok(ts.displayPartsToString(p.documentation).length > 10, `branch's ${p.name} has no doc`);
  }
  const demux = ls.getSignatureHelpItems('x.ts', src.indexOf('{}') + 1, undefined);
  const options = demux.items
    .flatMap((i) => i.parameters)
    .find((p) => p.name === 'options');
  assert.match(ts.displayPartsToString(options.documentation), /^`\{bufferSize \(16k\), maxHeaderSize/);
  const info = ls.getQuickInfoAtPosition('sluice.d.ts', typings.indexOf('class RoundRobinLoadBalancer') + 8);
  assert.match(ts.displayPartsToString(info.documentation), /Picks targets in turn/);
});
