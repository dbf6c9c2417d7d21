// The dashboard: live charts of the engine's metrics. While the panel is visible it polls
// `GET /api/v1/metrics/summary` once a second and turns the change of its cumulative counters
// between two polls into rates (requests/s, errors/s) and response time percentiles
// (interpolated within the histogram buckets, as Prometheus' histogram_quantile does). About two
// minutes of points are kept. It shows all listeners together or one port. Charts are drawn
// with uPlot.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';
import type { Api, Histogram, MetricsSummary } from './api';

const POLL_MS = 1000;
const RETRY_MS = 3000;
const KEEP_S = 120;
const CHART_H = 118;

// ---------------------------------------------------------------------------------------------
// From counters to rates (pure, no DOM)

/** One point of the charts; rates and latencies are null where they cannot be told. */
export interface Point {
  /** Unix time in seconds. */
  time: number;
  rps: number | null;
  errorsPerSec: number | null;
  /** Response time percentiles (request head to response head), in seconds. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  open: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The figures of one view of the summary: all listeners together, or one port. */
export interface View {
  responses: Record<string, number>;
  /** Failed upstream streams no 5xx answered (a TCP proxy's, say); for all listeners only. */
  otherErrors: number;
  latency: Histogram | undefined;
}

/** The figures for `port` (null: all listeners together). */
export function viewOf(s: MetricsSummary, port: string | null): View {
  // A failed upstream stream answered with a 5xx counts once, as the 5xx.
  const unanswered = Math.max(0, (s.errors ?? 0) - (s.errorAnswers ?? 0));
  if (port === null) return { responses: s.responses ?? {}, otherErrors: unanswered, latency: s.latency ?? s.upstream };
  const l = s.listeners?.[port];
  return { responses: l?.responses ?? {}, otherErrors: 0, latency: l?.latency };
}

export const responseCount = (v: View): number => sum(Object.values(v.responses));

/** 5xx responses, plus transport errors when all listeners are shown. */
export const errorCount = (v: View): number =>
  v.otherErrors + sum(Object.entries(v.responses).filter(([k]) => k.startsWith('5')).map(([, n]) => n));

/**
 * The q-quantile of a cumulative histogram (`[le, count]` buckets, ascending le, without the
 * +Inf bucket, whose count is `total`), as Prometheus' histogram_quantile computes it: linear
 * interpolation within the bucket holding the rank; the lowest bucket starts at 0; a rank in
 * the +Inf bucket answers the highest finite bound. Null when there are no observations.
 */
export function histogramQuantile(q: number, buckets: [number, number][], total: number): number | null {
  const bs: [number, number][] = [...buckets].sort((a, b) => a[0] - b[0]);
  bs.push([Infinity, Math.max(total, bs.length ? bs[bs.length - 1][1] : 0)]);
  // Counts must not fall with le (Prometheus fixes such input the same way).
  for (let i = 1; i < bs.length; i++) if (bs[i][1] < bs[i - 1][1]) bs[i] = [bs[i][0], bs[i - 1][1]];
  const observations = bs[bs.length - 1][1];
  if (!(observations > 0) || Number.isNaN(q)) return null;
  if (q <= 0) return bs.length > 1 ? Math.min(0, bs[0][0]) : null;
  if (q >= 1) return bs.length > 1 ? bs[bs.length - 2][0] : null;
  if (bs.length < 2) return null; // only +Inf: nothing to interpolate within
  const rank = q * observations;
  let b = bs.findIndex(([, c]) => c >= rank);
  if (b < 0) b = bs.length - 1;
  if (b === bs.length - 1) return bs[bs.length - 2][0];
  const [end, count] = bs[b];
  if (b === 0 && end <= 0) return end;
  const start = b === 0 ? 0 : bs[b - 1][0];
  const below = b === 0 ? 0 : bs[b - 1][1];
  const inBucket = count - below;
  return inBucket > 0 ? start + (end - start) * ((rank - below) / inBucket) : end;
}

/**
 * The observations made between two polls: the difference of the buckets, matched by bound.
 * Null when a counter went down (the engine restarted).
 */
export function histogramDelta(
  cur: Histogram | undefined,
  prev: Histogram | undefined,
): { buckets: [number, number][]; count: number } | null {
  const before = new Map((prev?.buckets ?? []).map(([le, c]) => [le, c]));
  const count = (cur?.count ?? 0) - (prev?.count ?? 0);
  if (count < 0) return null;
  const buckets: [number, number][] = [];
  for (const [le, c] of cur?.buckets ?? []) {
    const d = c - (before.get(le) ?? 0);
    if (d < 0) return null;
    buckets.push([le, d]);
  }
  return { buckets, count };
}

/**
 * The point for `curSummary`, polled `dt` seconds after `prevSummary` (null: the first poll),
 * for the listener at `port` (null: all of them).
 */
export function toPoint(
  time: number,
  curSummary: MetricsSummary,
  prevSummary: MetricsSummary | null,
  dt: number,
  port: string | null = null,
): Point {
  const point: Point = { time, rps: null, errorsPerSec: null, p50: null, p90: null, p99: null, open: curSummary.connectionsOpen ?? 0 };
  if (!prevSummary || !(dt > 0)) return point;
  const cur = viewOf(curSummary, port);
  const prev = viewOf(prevSummary, port);
  const responses = responseCount(cur) - responseCount(prev);
  const errors = errorCount(cur) - errorCount(prev);
  // Counters that went down belong to a new engine process: no rate across that.
  if (responses >= 0) point.rps = responses / dt;
  if (errors >= 0) point.errorsPerSec = errors / dt;
  const delta = histogramDelta(cur.latency, prev.latency);
  if (delta && delta.count > 0) {
    point.p50 = histogramQuantile(0.5, delta.buckets, delta.count);
    point.p90 = histogramQuantile(0.9, delta.buckets, delta.count);
    point.p99 = histogramQuantile(0.99, delta.buckets, delta.count);
  }
  return point;
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function formatNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(a >= 10 ? 1 : 2);
}

/** Unix seconds → `15:04:05` (local time). */
export function formatClock(t: number): string {
  const d = new Date(t * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Seconds → `0.42 ms`, `12.3 ms`, `1.25 s`. */
export function formatSeconds(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (v >= 1) return `${v.toFixed(2)} s`;
  const ms = v * 1000;
  return `${ms >= 100 ? Math.round(ms) : ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

// ---------------------------------------------------------------------------------------------
// The panel

interface SeriesSpec {
  label: string;
  color: string;
  value: (p: Point) => number | null;
}

interface ChartSpec {
  key: string;
  title: string;
  unit: string;
  series: SeriesSpec[];
  /** The current value(s) as text. */
  now: (p: Point) => string;
  /** The number behind the text, for scripts and tests. */
  nowValue: (p: Point) => number | null;
}

const ms = (v: number | null) => (v === null ? null : v * 1000);

const CHARTS: ChartSpec[] = [
  {
    key: 'rps',
    title: 'Requests/s',
    unit: 'req/s',
    series: [{ label: 'req/s', color: '#4fc1ff', value: (p) => p.rps }],
    now: (p) => formatNumber(p.rps),
    nowValue: (p) => p.rps,
  },
  {
    key: 'latency',
    title: 'Response time (ms)',
    unit: 'ms',
    series: [
      { label: 'p50', color: '#89d185', value: (p) => ms(p.p50) },
      { label: 'p90', color: '#cca700', value: (p) => ms(p.p90) },
      { label: 'p99', color: '#f48771', value: (p) => ms(p.p99) },
    ],
    now: (p) => `p50 ${formatSeconds(p.p50)} · p90 ${formatSeconds(p.p90)} · p99 ${formatSeconds(p.p99)}`,
    nowValue: (p) => p.p99,
  },
  {
    key: 'conns',
    title: 'Open connections',
    unit: 'connections',
    series: [{ label: 'open', color: '#c586c0', value: (p) => p.open }],
    now: (p) => formatNumber(p.open),
    nowValue: (p) => p.open,
  },
  {
    key: 'errors',
    title: 'Errors/s',
    unit: 'errors/s',
    series: [{ label: 'errors/s', color: '#f48771', value: (p) => p.errorsPerSec }],
    now: (p) => formatNumber(p.errorsPerSec),
    nowValue: (p) => p.errorsPerSec,
  },
];

interface Chart {
  spec: ChartSpec;
  plot: uPlot;
  box: HTMLElement;
  now: HTMLElement;
}

export class Dashboard {
  readonly el: HTMLElement;
  private readonly status: HTMLElement;
  private readonly charts: Chart[];
  private points: Point[] = [];
  private prev: { summary: MetricsSummary; at: number } | null = null;
  private shown = false;
  private timer: number | null = null;
  /** Bumped on every start and stop, so that an answer to an older poll is dropped. */
  private generation = 0;
  private readonly resize: ResizeObserver;
  /** Which listener the charts show ('' = all). */
  private readonly listener: HTMLSelectElement;

  constructor(private readonly api: Api) {
    this.status = h('div.dash-status.muted', { 'data-testid': 'dashboard-status' }, 'Every second, the last 2 minutes.');
    this.listener = h(
      'select.dash-listener',
      {
        'data-testid': 'dashboard-listener',
        title: 'The listener whose requests the charts count',
        onchange: () => this.restart(),
      },
      h('option', { value: '' }, 'All listeners'),
    );
    this.resize = new ResizeObserver((entries) => {
      for (const e of entries) {
        const chart = this.charts.find((c) => c.box === e.target);
        const width = Math.floor(e.contentRect.width);
        if (chart && width > 0 && width !== chart.plot.width) chart.plot.setSize({ width, height: CHART_H });
      }
    });
    this.charts = CHARTS.map((spec) => this.makeChart(spec));
    this.el = h(
      'section.dashboard',
      { 'data-testid': 'dashboard' },
      h('div.dash-bar', {}, h('label', {}, 'Listener ', this.listener), this.status),
      this.charts.map((c) =>
        h(
          'div.dash-card',
          {},
          h('div.dash-card-head', {}, h('span.dash-title', {}, c.spec.title), c.now),
          c.box,
        ),
      ),
    );
    document.addEventListener('visibilitychange', () => this.update());
  }

  /** The panel is shown or hidden: polls only while it is shown (and the page is visible). */
  setVisible(visible: boolean): void {
    this.shown = visible;
    this.update();
  }

  private update(): void {
    const active = this.shown && document.visibilityState !== 'hidden';
    if (active === (this.timer !== null)) return;
    this.generation++;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    // Rates are not computed across a pause: the first poll after it starts afresh.
    this.prev = null;
    if (active) this.schedule(0);
  }

  /** Another listener chosen: its charts start afresh. */
  private restart(): void {
    this.points = [];
    this.prev = null;
    for (const c of this.charts) {
      c.plot.setData([[], ...c.spec.series.map(() => [])]);
      c.box.dataset.points = '0';
      c.now.textContent = '—';
      c.now.dataset.value = '';
    }
  }

  /** Offers every port the summary knows, keeping the choice. */
  private setPorts(summary: MetricsSummary): void {
    const ports = Object.keys(summary.listeners ?? {}).sort((a, b) => Number(a) - Number(b));
    const have = [...this.listener.options].slice(1).map((o) => o.value);
    if (ports.join() === have.join()) return;
    const chosen = this.listener.value;
    this.listener.replaceChildren(
      h('option', { value: '' }, 'All listeners'),
      ...ports.map((p) => h('option', { value: p }, `:${p}`)),
    );
    this.listener.value = ports.includes(chosen) ? chosen : '';
  }

  private schedule(delay: number): void {
    const gen = this.generation;
    this.timer = window.setTimeout(() => void this.poll(gen), delay);
  }

  private async poll(gen: number): Promise<void> {
    const started = performance.now();
    let delay = POLL_MS;
    try {
      const summary = await this.api.getMetricsSummary();
      if (gen !== this.generation) return;
      const at = performance.now();
      const prev = this.prev;
      this.prev = { summary, at };
      this.setPorts(summary);
      const port = this.listener.value || null;
      this.add(toPoint(Date.now() / 1000, summary, prev?.summary ?? null, prev ? (at - prev.at) / 1000 : 0, port));
      this.status.textContent = 'Every second, the last 2 minutes.';
      this.status.classList.remove('error');
    } catch (e) {
      if (gen !== this.generation) return;
      this.prev = null;
      this.status.textContent = `Metrics unavailable: ${(e as Error).message}`;
      this.status.classList.add('error');
      delay = RETRY_MS;
    }
    this.schedule(Math.max(0, delay - (performance.now() - started)));
  }

  private add(point: Point): void {
    this.points.push(point);
    const oldest = point.time - KEEP_S;
    const drop = this.points.findIndex((p) => p.time >= oldest);
    if (drop > 0) this.points.splice(0, drop);
    const xs = this.points.map((p) => p.time);
    for (const c of this.charts) {
      const ys = c.spec.series.map((s) => this.points.map(s.value));
      c.plot.setData([xs, ...ys]);
      c.box.dataset.points = String(ys[0].filter((v) => v !== null).length);
      const v = c.spec.nowValue(point);
      c.now.textContent = c.spec.now(point);
      c.now.dataset.value = v === null ? '' : String(v);
    }
  }

  private makeChart(spec: ChartSpec): Chart {
    const box = h('div.dash-chart', { 'data-testid': `chart-${spec.key}`, 'data-points': '0' });
    const now = h('span.dash-now', { 'data-testid': `${spec.key}-now`, 'data-value': '' }, '—');
    const axis = { stroke: '#8b8b8b', grid: { stroke: '#333', width: 1 }, ticks: { stroke: '#333', width: 1 }, font: '11px system-ui, sans-serif' };
    const plot = new uPlot(
      {
        width: 300,
        height: CHART_H,
        pxAlign: 0,
        cursor: { drag: { x: false, y: false }, points: { size: 5 } },
        // Series names for the latency chart; the current values are in the card's header.
        legend: { show: spec.series.length > 1, live: false },
        scales: {
          // A fixed two-minute window that slides with the newest point.
          x: { time: true, range: (u) => this.window(u) },
          y: { range: (_u, _min, max) => [0, max !== null && Number.isFinite(max) && max > 0 ? max * 1.15 : 1] },
        },
        axes: [
          { ...axis, space: 64, size: 24, values: (_u, splits) => splits.map(formatClock) },
          { ...axis, size: 46, values: (_u, splits) => splits.map((v) => formatNumber(v)) },
        ],
        series: [
          {},
          ...spec.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            fill: spec.series.length === 1 ? `${s.color}22` : undefined,
            points: { show: false },
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${formatNumber(v)} ${spec.unit}`),
          })),
        ],
      },
      [[], ...spec.series.map(() => [])],
      box,
    );
    this.resize.observe(box);
    return { spec, plot, box, now };
  }

  private window(u: uPlot): [number, number] {
    const xs = u.data[0];
    const last = xs.length ? xs[xs.length - 1] : Date.now() / 1000;
    return [last - KEEP_S, last];
  }
}
