// The repo's admin API (engine/src/admin/README.md, "Repo"), for the repo view: codebases,
// their published versions and files, publishing, staged roll-outs, and the instances that
// follow them with their log lines. The repo is this engine's (the IDE's own transport) or
// another engine's, at a URL with a token of its own.

import { ApiError, type Transport } from './api';

export interface RepoCodebase {
  path: string;
  version: string;
  main: string;
  base?: string;
  files: string[];
  editFiles: string[];
  erasedFiles: string[];
  baseFiles: string[];
  derived: string[];
  /** `{index: {uuid, ip, timestamp, linked, status}}`. */
  instances: Record<string, RepoInstance>;
  versions: string[];
  published: string | null;
}

export interface RepoInstance {
  uuid: string;
  ip: string;
  /** Last status post or link activity, ms since the epoch. */
  timestamp: number;
  linked: boolean;
  status: InstanceStatus | null;
}

export interface InstanceStatus {
  version?: string;
  uptime?: number;
  error?: { version: string; error: string } | null;
  unreachable?: string | null;
  stats?: { responses?: Record<string, number>; latency?: { count: number; sum: number } };
}

export interface RepoVersion {
  version: string;
  main: string;
  published: number;
  files: string[];
  current: boolean;
}

export interface RolloutStage {
  share: number;
  watchSeconds: number;
  state?: 'passed' | 'running' | 'failed' | 'pending';
}

export interface Figures {
  requests?: number;
  errors?: number;
  errorRate?: number | null;
  latencyMs?: number | null;
}

export interface Rollout {
  id?: number;
  codebase: string;
  version: string;
  from: string;
  state: 'running' | 'done' | 'rolled-back' | 'aborted';
  stage: number;
  stages: RolloutStage[];
  assigned: string[];
  reason: string | null;
  started: number;
  updated: number;
  events: { time: number; text: string }[];
  window: Figures;
  instances: (Figures & { uuid: string; index: number; ip: string; live: boolean; version: string | null; chosen: boolean })[];
  watchingFor: number | null;
  waiting: string | null;
}

export interface RolloutRequest {
  version: string;
  stages: RolloutStage[];
  maxErrorRate?: number;
  maxLatencyMs?: number;
  minRequests?: number;
}

/** Where the repo is: `''` for this engine, else a base URL with its token. */
export interface RepoTarget {
  url: string;
  token: string;
}

const path = (name: string) =>
  name
    .split('/')
    .filter(Boolean)
    .map(encodeURIComponent)
    .join('/');

export class RepoApi {
  constructor(
    private readonly local: Transport,
    private target: RepoTarget = { url: '', token: '' },
  ) {}

  setTarget(t: RepoTarget): void {
    this.target = t;
  }

  list(): Promise<string[]> {
    return this.text('GET', '/api/v1/repo').then((t) => t.split('\n').filter(Boolean));
  }

  codebase(name: string): Promise<RepoCodebase> {
    return this.json('GET', `/api/v1/repo/${path(name)}`);
  }

  create(name: string, base?: string): Promise<unknown> {
    return this.json('POST', `/api/v1/repo/${path(name)}`, base ? { base } : {});
  }

  versions(name: string): Promise<RepoVersion[]> {
    return this.json('GET', `/api/v1/repo-versions/${path(name)}`);
  }

  /** A file of a published version. */
  file(name: string, file: string, version: string): Promise<string> {
    return this.text('GET', `/api/v1/repo-files/${path(name)}/${path(file)}?version=${encodeURIComponent(version)}`);
  }

  /** Publishes pending edits as `version`, or makes an old version current (a roll-back). */
  publish(name: string, version: string): Promise<unknown> {
    return this.json('PATCH', `/api/v1/repo/${path(name)}`, { version });
  }

  rollout(name: string): Promise<Rollout | null> {
    return this.json<Rollout>('GET', `/api/v1/repo-rollouts/${path(name)}`).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    });
  }

  startRollout(name: string, req: RolloutRequest): Promise<Rollout> {
    return this.json('POST', `/api/v1/repo-rollouts/${path(name)}`, req);
  }

  abortRollout(name: string): Promise<Rollout> {
    return this.json('DELETE', `/api/v1/repo-rollouts/${path(name)}`);
  }

  log(uuid: string, after: number): Promise<{ lines: { seq: number; text: string }[]; next: number }> {
    return this.json('GET', `/api/v1/repo-log/${encodeURIComponent(uuid)}?after=${after}`);
  }

  private fetch(p: string, init: RequestInit): Promise<Response> {
    if (!this.target.url) return this.local.fetch(p, init);
    const headers = new Headers(init.headers);
    if (this.target.token) headers.set('Authorization', `Bearer ${this.target.token}`);
    return fetch(this.target.url.replace(/\/+$/, '') + p, { ...init, headers });
  }

  private async call(method: string, p: string, body?: unknown): Promise<Response> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const res = await this.fetch(p, init);
    if (res.ok) return res;
    const text = await res.text();
    let error = text || `${res.status} ${res.statusText}`;
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed?.error === 'string') error = parsed.error;
    } catch {
      /* plain text */
    }
    throw new ApiError(res.status, { error });
  }

  private async text(method: string, p: string): Promise<string> {
    return (await this.call(method, p)).text();
  }

  private async json<T>(method: string, p: string, body?: unknown): Promise<T> {
    const res = await this.call(method, p, body);
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }
}
