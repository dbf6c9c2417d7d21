// The pipeline graph of a codebase: the engine's ASCII drawing, and an interactive SVG drawing
// of the same JSON graph (a box per pipeline layout listing its filters, a line per
// sub-pipeline link; click a box or a filter to highlight it and its links).

import { h, svg, clear } from './dom';
import type { Graph, GraphAnswer, GraphLayout } from './api';

const BOX_W = 176;
const HEAD_H = 38;
const ROW_H = 20;
const TITLE_H = 18;
const COL_GAP = 44;
const ROW_GAP = 22;
const PAD = 12;

type Id = string;

interface Placed {
  layout: GraphLayout;
  x: number;
  y: number; // top of the box (below the root title, if any)
  h: number;
  title: string | null;
}

interface Edge {
  from: Id;
  filter: number;
  to: Id;
}

/**
 * One drawing of several running codebases' graphs: each codebase's roots are titled with its
 * name; layouts of codebases other than `own` name their module `codebase:/path`.
 */
export function mergeGraphs(parts: { name: string; answer: GraphAnswer }[], own: string | null): GraphAnswer {
  const roots: Graph['roots'] = [];
  const layouts: GraphLayout[] = [];
  const ascii: string[] = [];
  for (const { name, answer } of parts) {
    const id = (x: number | string) => `${name}/${x}`;
    const g = answer.graph ?? { roots: [], layouts: [] };
    for (const r of g.roots ?? []) roots.push({ title: `${name} · ${r.title}`, layout: id(r.layout) });
    for (const l of g.layouts ?? []) {
      layouts.push({
        ...l,
        id: id(l.id),
        module: name === own ? l.module : `${name}:${l.module}`,
        filters: l.filters.map((f) => ({ ...f, subs: (f.subs ?? []).map((x) => (x === null || x === undefined ? null : id(x))) })),
      });
    }
    ascii.push(`== ${name} ==\n${answer.ascii}`);
  }
  return { ascii: ascii.join('\n\n'), graph: { roots, layouts } };
}

export class GraphView {
  readonly el: HTMLElement;
  /** A bar above the drawing for the panel's controls (what to draw). */
  readonly bar: HTMLElement;
  private readonly drawing: HTMLElement;
  private readonly details: HTMLElement;
  private readonly ascii: HTMLPreElement;
  private readonly message: HTMLElement;
  private readonly asciiBox: HTMLDetailsElement;
  private svgEl: SVGSVGElement | null = null;

  /** Adds to a selected filter's details (the debugger's breakpoint button). */
  filterExtra: ((layout: GraphLayout, index: number) => HTMLElement | null) | null = null;
  private marks = { breakpoints: new Set<string>(), paused: null as string | null };

  /** Marks filters (`"layoutId:index"`) with a breakpoint, and the one a stream is paused at. */
  markFilters(breakpoints: Set<string>, paused: string | null): void {
    this.marks = { breakpoints, paused };
    for (const row of this.svgEl?.querySelectorAll<SVGGElement>('g.filter') ?? []) {
      const key = `${row.closest<SVGGElement>('g.layout')?.dataset.id}:${row.dataset.filter}`;
      row.classList.toggle('breakpoint', breakpoints.has(key));
      row.classList.toggle('paused', paused === key);
    }
  }

  /** `reveal` opens a layout's source line in the editor. */
  constructor(private readonly reveal: (file: string, line: number) => void) {
    this.message = h('div.graph-message', { 'data-testid': 'graph-message' });
    this.drawing = h('div.graph-drawing', { 'data-testid': 'graph-drawing' });
    this.details = h('div.graph-details', { 'data-testid': 'graph-details' });
    this.ascii = h('pre.graph-ascii', { 'data-testid': 'graph-ascii' });
    this.asciiBox = h('details', { open: true, hidden: true }, h('summary', {}, 'Text drawing'), this.ascii);
    this.bar = h('div.graph-bar', {});
    this.el = h('section.graph', { 'data-testid': 'graph-panel' }, this.bar, this.message, this.drawing, this.details, this.asciiBox);
    this.showMessage('No codebase selected.');
  }

  showMessage(text: string, isError = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', isError);
    this.message.hidden = !text;
  }

  /** Shows nothing but a message (no codebase, or the graph could not be built). */
  reset(text: string, isError = false): void {
    clear(this.drawing);
    clear(this.details);
    this.ascii.textContent = '';
    this.asciiBox.hidden = true;
    this.svgEl = null;
    this.showMessage(text, isError);
  }

  show(answer: GraphAnswer): void {
    this.showMessage('');
    this.ascii.textContent = answer.ascii;
    this.asciiBox.hidden = !answer.ascii;
    clear(this.details);
    clear(this.drawing);
    const graph = answer.graph ?? { roots: [], layouts: [] };
    if (!graph.layouts?.length) {
      this.showMessage('No pipelines.');
      this.svgEl = null;
      return;
    }
    this.svgEl = this.draw(graph);
    this.drawing.append(this.svgEl);
    this.markFilters(this.marks.breakpoints, this.marks.paused);
  }

  private draw(graph: Graph): SVGSVGElement {
    const byId = new Map<Id, GraphLayout>(graph.layouts.map((l) => [String(l.id), l]));
    const titles = new Map<Id, string>();
    for (const r of graph.roots ?? []) titles.set(String(r.layout), r.title);

    // Place boxes: depth-first from the roots, a column per sub-pipeline depth; a box sits level
    // with the filter that links to it unless its column is already filled that far.
    const placed = new Map<Id, Placed>();
    const edges: Edge[] = [];
    const cursor: number[] = [];
    const place = (id: Id, depth: number, wantY: number) => {
      const layout = byId.get(id);
      if (!layout || placed.has(id)) return;
      const rootTitle = titles.get(id);
      const title = rootTitle && rootTitle !== layout.label ? rootTitle : null;
      const top = Math.max(cursor[depth] ?? PAD, wantY - (title ? TITLE_H : 0));
      const y = top + (title ? TITLE_H : 0);
      const hgt = HEAD_H + Math.max(1, layout.filters.length) * ROW_H + 6;
      placed.set(id, { layout, x: PAD + depth * (BOX_W + COL_GAP), y, h: hgt, title });
      cursor[depth] = y + hgt + ROW_GAP;
      layout.filters.forEach((f, i) => {
        for (const sub of f.subs ?? []) {
          if (sub === null || sub === undefined) continue;
          edges.push({ from: id, filter: i, to: String(sub) });
          place(String(sub), depth + 1, y + HEAD_H + i * ROW_H);
        }
      });
    };
    for (const r of graph.roots ?? []) place(String(r.layout), 0, PAD);
    for (const l of graph.layouts) place(String(l.id), 0, PAD);

    let width = 0;
    let height = 0;
    for (const p of placed.values()) {
      width = Math.max(width, p.x + BOX_W + PAD);
      height = Math.max(height, p.y + p.h + PAD);
    }
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'graph-svg' });
    root.addEventListener('click', (e) => {
      if (e.target === root) this.select(null);
    });

    const edgeLayer = svg('g', { class: 'edges' });
    root.append(edgeLayer);
    for (const e of edges) {
      const a = placed.get(e.from);
      const b = placed.get(e.to);
      if (!a || !b) continue;
      const x1 = a.x + BOX_W;
      const y1 = a.y + HEAD_H + e.filter * ROW_H + ROW_H / 2;
      const x2 = b.x;
      const y2 = b.y + HEAD_H / 2;
      const bend = Math.max(40, Math.abs(x2 - x1) / 2);
      const d =
        x2 > x1
          ? `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`
          : `M${x1},${y1} C${x1 + 60},${y1} ${x2 - 60},${y2} ${x2},${y2}`; // a link back to an earlier column
      edgeLayer.append(
        svg('path', { d, class: 'edge', 'data-from': e.from, 'data-to': e.to, 'data-filter': e.filter, 'marker-end': 'url(#arrow)' }),
      );
    }
    root.prepend(
      svg(
        'defs',
        {},
        svg(
          'marker',
          { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
          svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
        ),
      ),
    );

    for (const [id, p] of placed) {
      const l = p.layout;
      const g = svg('g', { class: 'layout', 'data-id': id, 'data-testid': 'graph-layout', transform: `translate(${p.x},${p.y})` });
      if (p.title) g.append(svg('text', { x: 0, y: -6, class: 'root-title' }, p.title));
      g.append(svg('rect', { width: BOX_W, height: p.h, rx: 5, class: titles.has(id) ? 'box root' : 'box' }));
      g.append(svg('text', { x: 10, y: 16, class: 'layout-label' }, clip(l.label || l.name || `#${id}`, 24)));
      g.append(svg('text', { x: 10, y: 31, class: 'layout-meta' }, clip([l.kind, l.module].filter(Boolean).join(' · '), 27)));
      g.append(svg('line', { x1: 0, y1: HEAD_H - 2, x2: BOX_W, y2: HEAD_H - 2, class: 'sep' }));
      l.filters.forEach((f, i) => {
        const row = svg('g', { class: 'filter', 'data-filter': i, transform: `translate(0,${HEAD_H + i * ROW_H})` });
        row.append(svg('rect', { x: 2, y: 0, width: BOX_W - 4, height: ROW_H, class: 'filter-bg' }));
        row.append(svg('circle', { cx: BOX_W - 12, cy: ROW_H / 2, r: 4, class: 'bp-dot' }));
        row.append(svg('text', { x: 12, y: 14, class: 'filter-label' }, clip(f.label || f.name, 24)));
        row.append(svg('title', {}, f.label || f.name));
        row.addEventListener('click', (e) => {
          e.stopPropagation();
          this.select(id, i);
        });
        g.append(row);
      });
      if (l.filters.length === 0) g.append(svg('text', { x: 12, y: HEAD_H + 14, class: 'layout-meta' }, '(no filters)'));
      g.addEventListener('click', (e) => {
        e.stopPropagation();
        this.select(id);
      });
      root.append(g);
    }
    this.layouts = byId;
    return root;
  }

  private layouts = new Map<Id, GraphLayout>();

  /** Highlights a layout (and its links), or one filter of it (and the layouts it links to). */
  private select(id: Id | null, filter?: number): void {
    const root = this.svgEl;
    if (!root) return;
    root.querySelectorAll('.selected, .linked').forEach((n) => n.classList.remove('selected', 'linked'));
    clear(this.details);
    if (id === null) return;
    const box = root.querySelector(`g.layout[data-id="${CSS.escape(id)}"]`);
    box?.classList.add('selected');
    const linked = new Set<string>();
    for (const e of root.querySelectorAll<SVGPathElement>('path.edge')) {
      const out = e.dataset.from === id && (filter === undefined || e.dataset.filter === String(filter));
      const inn = filter === undefined && e.dataset.to === id;
      if (out || inn) {
        e.classList.add('linked');
        linked.add((out ? e.dataset.to : e.dataset.from) ?? '');
      }
    }
    if (filter !== undefined) box?.querySelector(`g.filter[data-filter="${filter}"]`)?.classList.add('selected');
    for (const other of linked) root.querySelector(`g.layout[data-id="${CSS.escape(other)}"]`)?.classList.add('linked');

    const l = this.layouts.get(id);
    if (!l) return;
    const f = filter !== undefined ? l.filters[filter] : undefined;
    const name = (x: string | null) => (x === null ? '(none)' : this.layouts.get(x)?.label || this.layouts.get(x)?.name || `#${x}`);
    const where = l.module && l.line ? `${l.module}:${l.line}` : null;
    this.details.append(
      h('div.graph-details-title', {}, l.label || l.name),
      h(
        'div.muted',
        {},
        [l.kind, l.name].filter(Boolean).join(' · '),
        where ? ' · ' : '',
        where
          ? h('a', { href: '#', 'data-testid': 'graph-source', onclick: (e: Event) => (e.preventDefault(), this.reveal(l.module, l.line ?? 1)) }, where)
          : null,
      ),
      f
        ? h(
            'div',
            {},
            h('div', {}, h('b', {}, f.name), f.label && f.label !== f.name ? ` — ${f.label}` : ''),
            f.subs?.length ? h('div.muted', {}, 'Sub-pipelines: ', f.subs.map((s) => name(s === null ? null : String(s))).join(', ')) : null,
            filter !== undefined ? this.filterExtra?.(l, filter) : null,
          )
        : h('div.muted', {}, `${l.filters.length} filter${l.filters.length === 1 ? '' : 's'}`),
    );
  }
}

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
