// The repo view's fleet side: a staged roll-out (form and progress), the instances that
// follow a codebase, and the live log of one of them.

import { h, clear } from './dom';
import { toast } from './dialogs';
import type { RepoApi, RepoInstance, Rollout, RolloutStage } from './repo-api';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const ms = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${x.toFixed(2)} ms`);

/** `20%/30s, 50%/30s, 100%/60s` → stages; null when it does not read. */
export function parseStages(text: string): RolloutStage[] | null {
  const out: RolloutStage[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+(?:\.\d+)?)%\s*(?:\/\s*(\d+(?:\.\d+)?)\s*s?)?$/.exec(part);
    if (!m) return null;
    out.push({ share: Number(m[1]) / 100, watchSeconds: m[2] === undefined ? 60 : Number(m[2]) });
  }
  return out.length ? out : null;
}

/** How long ago `t` (ms since the epoch) was, in words. */
export function ago(t: number): string {
  const s = Math.max(0, (Date.now() - t) / 1000);
  if (s < 2) return 'just now';
  if (s < 120) return `${Math.round(s)} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** An instance's health from its status post and link. */
export function health(i: RepoInstance): { word: string; cls: string; why: string } {
  const st = i.status;
  if (!i.linked && Date.now() - i.timestamp > 20000) return { word: 'gone', cls: 'bad', why: 'no link and no status post for 20 s' };
  if (!st) return { word: 'starting', cls: 'warn', why: 'no status post yet' };
  if (st.error && st.error.version !== st.version) return { word: 'load error', cls: 'bad', why: `version ${st.error.version}: ${st.error.error}` };
  if (st.unreachable) return { word: 'cut off', cls: 'warn', why: st.unreachable };
  const r = st.stats?.responses ?? {};
  const total = Object.values(r).reduce((a, b) => a + b, 0);
  if (total > 0 && (r['5xx'] ?? 0) / total > 0.05) return { word: '5xx', cls: 'warn', why: `${r['5xx']} of ${total} answers were 5xx` };
  return { word: 'ok', cls: 'ok', why: i.linked ? 'push link open' : 'posting status' };
}

export class FleetPanel {
  readonly rollout = h('section.repo-section', { 'data-testid': 'repo-rollout' });
  readonly instances = h('section.repo-section', { 'data-testid': 'repo-instances' });
  readonly log = h('section.repo-section', { 'data-testid': 'repo-log' });
  private readonly stagesInput = h('input', { type: 'text', value: '20%/30s, 50%/30s, 100%/30s', 'data-testid': 'rollout-stages', size: 26 });
  private readonly errInput = h('input', { type: 'number', value: '5', min: '0', max: '100', step: '0.5', 'data-testid': 'rollout-max-error' });
  private readonly latInput = h('input', { type: 'number', value: '', min: '0', placeholder: 'none', 'data-testid': 'rollout-max-latency' });
  private readonly logPre = h('pre.repo-log-lines', { 'data-testid': 'repo-log-lines' });
  private logUuid: string | null = null;
  private logAfter = 0;
  private codebase: string | null = null;

  constructor(
    private readonly api: RepoApi,
    private readonly nextVersion: () => string,
    private readonly changed: () => void,
  ) {
    this.showLog(null);
  }

  /** Roll-out form and progress for `codebase`. */
  renderRollout(codebase: string, r: Rollout | null): void {
    this.codebase = codebase;
    const version = h('input', { type: 'text', value: this.nextVersion(), size: 6, 'data-testid': 'rollout-version' });
    const start = h(
      'button',
      {
        'data-testid': 'rollout-start',
        disabled: r?.state === 'running',
        onclick: () => void this.start(version.value.trim()),
        title: 'Publish the pending edits (or an old version) to a share of the instances first',
      },
      'Start roll-out',
    );
    const form = h(
      'div.repo-form',
      {},
      h('label', {}, 'Version ', version),
      h('label', { title: 'share/watch seconds, comma separated' }, 'Stages ', this.stagesInput),
      h('label', {}, 'Max 5xx % ', this.errInput),
      h('label', {}, 'Max latency ms ', this.latInput),
      start,
    );
    clear(this.rollout);
    this.rollout.append(h('h3', {}, 'Staged roll-out'), form);
    if (!r) {
      this.rollout.append(h('p.muted', {}, 'No roll-out yet.'));
      return;
    }
    const stages = h(
      'div.rollout-stages',
      {},
      r.stages.map((s, i) =>
        h(
          `div.rollout-stage.${s.state ?? 'pending'}`,
          { title: `${s.state}: watched ${s.watchSeconds} s`, 'data-testid': `rollout-stage-${i + 1}` },
          `${Math.round(s.share * 100)}%`,
        ),
      ),
    );
    const abort =
      r.state === 'running'
        ? h('button.danger', { 'data-testid': 'rollout-abort', onclick: () => void this.abort() }, 'Abort and roll back')
        : null;
    const on = r.instances.filter((i) => i.chosen && i.version === r.version).length;
    this.rollout.append(
      h(
        'div.rollout-head',
        {},
        h(`span.rollout-state.${r.state}`, { 'data-testid': 'rollout-state' }, r.state),
        ` version ${r.version} over ${r.from} · stage ${Math.min(r.stage + 1, r.stages.length)} of ${r.stages.length} · ${on} of ${r.instances.length} instances on it`,
        abort,
      ),
      stages,
      h(
        'div.muted',
        {},
        `Since they took it: ${r.window.requests ?? 0} requests, 5xx ${pct(r.window.errorRate)}, mean ${ms(r.window.latencyMs)}`,
        r.watchingFor !== null ? ` · watched for ${r.watchingFor.toFixed(0)} s` : '',
        r.waiting ? ` · ${r.waiting}` : '',
      ),
      h('div.rollout-reason', { hidden: !r.reason, 'data-testid': 'rollout-reason' }, r.reason ?? ''),
      h('ol.rollout-events', {}, r.events.slice(-8).map((e) => h('li', {}, `${new Date(e.time).toLocaleTimeString()} ${e.text}`))),
    );
  }

  private async start(version: string): Promise<void> {
    if (!this.codebase) return;
    const stages = parseStages(this.stagesInput.value);
    if (!stages) {
      toast('Stages read like "20%/30s, 50%/30s, 100%/30s".', 'error');
      return;
    }
    try {
      await this.api.startRollout(this.codebase, {
        version,
        stages,
        maxErrorRate: Number(this.errInput.value || '5') / 100,
        maxLatencyMs: this.latInput.value ? Number(this.latInput.value) : undefined,
      });
      toast(`Rolling out version ${version}`);
    } catch (e) {
      toast((e as Error).message, 'error', 6000);
    }
    this.changed();
  }

  private async abort(): Promise<void> {
    if (!this.codebase) return;
    try {
      await this.api.abortRollout(this.codebase);
    } catch (e) {
      toast((e as Error).message, 'error', 6000);
    }
    this.changed();
  }

  /** The instances table. */
  renderInstances(list: Record<string, RepoInstance>, current: string): void {
    const rows = Object.entries(list).map(([index, i]) => {
      const hl = health(i);
      const v = i.status?.version ?? '';
      return h(
        'tr',
        {
          class: i.uuid === this.logUuid ? 'selected' : '',
          'data-testid': `repo-instance-${index}`,
          onclick: () => this.showLog(i.uuid, `#${index} ${i.ip}`),
          title: `${i.uuid}: click for its log`,
        },
        h('td', {}, `#${index}`),
        h('td', {}, i.ip || '–'),
        h('td', { class: v && v !== current ? 'other-version' : '' }, v || '–'),
        h('td', {}, h(`span.health.${hl.cls}`, { title: hl.why }, hl.word)),
        h('td', {}, i.timestamp ? ago(i.timestamp) : '–'),
        h('td', {}, i.linked ? 'yes' : 'no'),
      );
    });
    clear(this.instances);
    this.instances.append(
      h('h3', {}, `Instances (${rows.length})`),
      rows.length
        ? h(
            'table.repo-table',
            {},
            h('thead', {}, h('tr', {}, ['', 'Address', 'Version', 'Health', 'Last seen', 'Linked'].map((t) => h('th', {}, t)))),
            h('tbody', {}, rows),
          )
        : h('p.muted', {}, 'No engine follows this codebase yet. Start one with `engine http://HOST:PORT/repo/NAME/`.'),
    );
  }

  /** Shows (and follows) the log of instance `uuid`. */
  showLog(uuid: string | null, label = ''): void {
    this.logUuid = uuid;
    this.logAfter = 0;
    this.logPre.textContent = '';
    clear(this.log);
    this.log.append(h('h3', {}, uuid ? `Log of instance ${label}` : 'Log'), uuid ? this.logPre : h('p.muted', {}, 'Pick an instance to follow its log.'));
    void this.pollLog();
  }

  /** Fetches the log lines written since the last poll. */
  async pollLog(): Promise<void> {
    const uuid = this.logUuid;
    if (!uuid) return;
    try {
      const r = await this.api.log(uuid, this.logAfter);
      if (uuid !== this.logUuid) return;
      if (r.lines.length) {
        const atEnd = this.logPre.scrollTop + this.logPre.clientHeight >= this.logPre.scrollHeight - 4;
        this.logPre.append(r.lines.map((l) => l.text).join('\n') + '\n');
        const text = this.logPre.textContent ?? '';
        if (text.length > 200_000) this.logPre.textContent = text.slice(-150_000);
        if (atEnd) this.logPre.scrollTop = this.logPre.scrollHeight;
      }
      this.logAfter = r.next;
    } catch {
      /* the instance is gone; keep what was shown */
    }
  }
}
