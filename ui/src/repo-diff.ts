// A line diff between two texts (longest common subsequence), grouped into hunks with a few
// lines of context, as `diff -u` shows them.

export type DiffLine = { kind: ' ' | '-' | '+'; text: string; a?: number; b?: number };

export interface Hunk {
  /** 1-based first lines in the old and new text. */
  a: number;
  b: number;
  lines: DiffLine[];
}

/** Past this many cells the texts are shown as all removed then all added. */
const MAX_CELLS = 4_000_000;

function lines(text: string): string[] {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** Every line of the old and new text, marked kept, removed or added. */
export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = lines(oldText);
  const b = lines(newText);
  // Common head and tail first: most edits touch a few lines.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ kind: ' ', text: a[i], a: i + 1, b: i + 1 });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((t, i) => out.push({ kind: '-', text: t, a: head + i + 1 }));
    bm.forEach((t, j) => out.push({ kind: '+', text: t, b: head + j + 1 }));
  } else {
    // lcs[i][j]: common subsequence length of am[i..] and bm[j..].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ kind: ' ', text: am[i], a: head + i + 1, b: head + j + 1 });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        // Removals before additions, as diff -u shows them.
        out.push({ kind: '-', text: am[i], a: head + i + 1 });
        i++;
      } else {
        out.push({ kind: '+', text: bm[j], b: head + j + 1 });
        j++;
      }
    }
  }
  for (let k = tail; k > 0; k--) {
    out.push({ kind: ' ', text: a[a.length - k], a: a.length - k + 1, b: b.length - k + 1 });
  }
  return out;
}

/** The changed lines with `context` kept lines around them, in hunks. */
export function hunks(oldText: string, newText: string, context = 3): Hunk[] {
  const all = diffLines(oldText, newText);
  const keep = new Array<boolean>(all.length).fill(false);
  all.forEach((l, i) => {
    if (l.kind === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(all.length - 1, i + context); k++) keep[k] = true;
  });
  const out: Hunk[] = [];
  let cur: Hunk | null = null;
  let lastA = 0;
  let lastB = 0;
  all.forEach((l, i) => {
    if (keep[i]) {
      if (!cur) {
        cur = { a: l.a ?? lastA + 1, b: l.b ?? lastB + 1, lines: [] };
        out.push(cur);
      }
      cur.lines.push(l);
    } else {
      cur = null;
    }
    if (l.a) lastA = l.a;
    if (l.b) lastB = l.b;
  });
  return out;
}
