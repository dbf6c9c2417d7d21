#!/usr/bin/env python3
"""The layer check of engine/src: which top-level module uses which, and whether that follows
the layer order.

It reads every `.rs` file under engine/src (comments and string literals stripped, test
modules and test files left out), finds the paths `crate::X...` (including grouped
`use crate::{X, Y}`) and `super::X` that leave the file's top-level module, and draws the graph
of top-level modules. The order of layers is in scripts/layers.txt, bottom first. An edge from
a module to one in a higher layer is an upward edge; each one that exists today is recorded in
scripts/layers-allowed.txt. The check fails when:

- a module is not in scripts/layers.txt (place it in a layer);
- an upward edge is not in the allowed list (pass a value or a trait down instead);
- an allowed edge no longer exists (delete its line: the list only shrinks);
- the graph without the allowed edges still has a cycle (modules of one layer using each other).

Usage: check_layers.py [--root DIR] [--baseline]  (--baseline prints today's upward edges in
the allowed-list format, for review; it does not write anything).
"""

import argparse
import os
import re
import sys
from collections import defaultdict


def strip_code(text):
    """Blanks out comments, string and char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'b?r(#*)"', text[i:i + 260])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == "'":
            m = re.match(r"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", text[i:i + 12])
            if m:
                out.append("' '")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def drop_test_modules(code):
    """Removes `#[cfg(test)] mod NAME { ... }` blocks (after strip_code)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        code = code[:m.start()] + "\n" * code.count("\n", m.start(), j) + code[j:]


def test_only_files(src):
    """Files that are declared only as `#[cfg(test)] mod x;`."""
    found = set()
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            with open(path, encoding="utf-8") as fh:
                code = strip_code(fh.read())
            base = dirpath if f in ("mod.rs", "lib.rs") else os.path.join(dirpath, f[:-3])
            for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+(\w+)\s*;", code):
                for cand in (os.path.join(base, m.group(3) + ".rs"),
                             os.path.join(base, m.group(3), "mod.rs")):
                    found.add(os.path.normpath(cand))
    return found


def top_module(src, path):
    rel = os.path.relpath(path, src)
    first = rel.split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


GROUP = re.compile(r"\bcrate\s*::\s*\{")
PATH = re.compile(r"\bcrate\s*::\s*([a-z_][a-z0-9_]*)")
SUPER = re.compile(r"(?<![:\w])super\s*::\s*([a-z_][a-z0-9_]*)")


def uses_of(code):
    """Top-level module names a file's code names through `crate::`."""
    names = []
    for m in PATH.finditer(code):
        names.append((m.group(1), code.count("\n", 0, m.start()) + 1))
    for m in GROUP.finditer(code):
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        inner = code[m.end():j - 1]
        # Only the first segment of each item at depth 0 names a top-level module.
        depth, item = 0, ""
        for ch in inner + ",":
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                head = re.match(r"\s*([a-z_][a-z0-9_]*)", item)
                if head and head.group(1) != "self":
                    names.append((head.group(1), code.count("\n", 0, m.start()) + 1))
                item = ""
            else:
                item += ch
    return names


def measure(src):
    modules = set()
    edges = defaultdict(list)  # (from, to) -> ["file:line", ...]
    tests = test_only_files(src)
    for dirpath, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.normpath(os.path.join(dirpath, f))
            rel = os.path.relpath(path, src)
            if rel in ("lib.rs", "main.rs"):
                continue
            top = top_module(src, path)
            modules.add(top)
            if path in tests:
                continue
            with open(path, encoding="utf-8") as fh:
                code = drop_test_modules(strip_code(fh.read()))
            found = uses_of(code)
            # `super::X` from a file directly in engine/src (or a top-level mod.rs) names X.
            depth = len(rel.split(os.sep)) - 1
            if depth == 0 or (depth == 1 and f == "mod.rs"):
                for m in SUPER.finditer(code):
                    found.append((m.group(1), code.count("\n", 0, m.start()) + 1))
            for name, line in found:
                if name != top:
                    edges[(top, name)].append(f"{rel}:{line}")
    # Only names that are top-level modules count (crate::SomeReexport is not a module).
    edges = {k: v for k, v in edges.items() if k[1] in modules}
    return modules, edges


def sccs(nodes, edges):
    """Tarjan's strongly connected components, largest first."""
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return sorted(out, key=lambda c: (-len(c), c))


def read_layers(path):
    rank, layers = {}, []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            layers.append(line.split())
            for name in line.split():
                rank[name] = len(layers) - 1
    return rank, layers


def read_allowed(path):
    allowed = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            body, _, why = line.partition("#")
            m = re.fullmatch(r"\s*(\w+)\s*->\s*(\w+)\s*", body)
            if m:
                allowed[(m.group(1), m.group(2))] = (why.strip(), number)
            elif body.strip():
                sys.exit(f"{path}:{number}: expected 'from -> to  # why', got: {line.strip()}")
    return allowed


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.dirname(here))
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    src = os.path.join(args.root, "engine", "src")
    rank, layers = read_layers(os.path.join(here, "layers.txt"))
    allowed = read_allowed(os.path.join(here, "layers-allowed.txt"))
    modules, edges = measure(src)

    problems = []
    for m in sorted(modules - rank.keys()):
        problems.append(f"module `{m}` is in no layer: add it to scripts/layers.txt")
    upward = sorted((e for e in edges if e[0] in rank and e[1] in rank
                     and rank[e[1]] > rank[e[0]]),
                    key=lambda e: (rank[e[0]], e[0], e[1]))
    if args.baseline:
        for a, b in upward:
            files = sorted({w.split(":")[0] for w in edges[(a, b)]})
            print(f"{a} -> {b}  # {', '.join(files)}")
        return 0

    print(f"engine/src: {len(modules)} top-level modules, {len(edges)} edges between them")
    print("layers, bottom first:")
    for i, layer in enumerate(layers):
        print(f"  {i:2}  {' '.join(layer)}")
    print("strongly connected components (cycles) of the whole graph:")
    cyclic = [c for c in sccs(modules, edges) if len(c) > 1]
    for c in cyclic:
        print(f"  {len(c)} modules: {' '.join(c)}")
    if not cyclic:
        print("  none")

    for e in upward:
        if e not in allowed:
            problems.append(f"new upward edge {e[0]} -> {e[1]} (layer {rank[e[0]]} uses layer "
                            f"{rank[e[1]]}) at {', '.join(edges[e][:5])}: pass a value or a "
                            "trait down instead of importing upward")
    for e, (_, number) in sorted(allowed.items(), key=lambda kv: kv[1][1]):
        if e not in upward:
            problems.append(f"scripts/layers-allowed.txt:{number}: {e[0]} -> {e[1]} is gone: "
                            "delete that line so it cannot come back")
    rest = [e for e in edges if e not in allowed]
    left = [c for c in sccs(modules, rest) if len(c) > 1]
    for c in left:
        problems.append(f"cycle without any allowed edge: {' '.join(c)}")

    debt = [e for e in upward if e in allowed and not allowed[e][0].startswith("deliberate")]
    kept = [e for e in upward if e in allowed and allowed[e][0].startswith("deliberate")]
    print(f"upward edges: {len(upward)} ({len(debt)} to remove, {len(kept)} deliberate)")
    for a, b in upward:
        where = sorted({w.split(":")[0] for w in edges[(a, b)]})
        more = f" and {len(where) - 3} more" if len(where) > 3 else ""
        print(f"  {a} -> {b}: {', '.join(where[:3])}{more}")
    if problems:
        print("FAILED:")
        for p in problems:
            print(f"  {p}")
        return 1
    print("ok: no new upward edge")
    return 0


if __name__ == "__main__":
    sys.exit(main())
