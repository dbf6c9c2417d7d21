// What the graph panel draws: the open codebase as saved, or every codebase that runs now (the
// versions that run, in one drawing).

import { h } from './dom';
import { mergeGraphs } from './graph';
import type { Api, GraphAnswer } from './api';

export type Scope = 'codebase' | 'running';

/** The panel's "Show" choice. */
export function scopeControl(onChange: (scope: Scope) => void): HTMLElement {
  const select = h(
    'select',
    {
      'data-testid': 'graph-scope',
      title: 'Draw the open codebase (as saved), or every codebase that runs now',
      onchange: () => onChange(select.value === 'running' ? 'running' : 'codebase'),
    },
    h('option', { value: 'codebase' }, 'This codebase'),
    h('option', { value: 'running' }, 'Everything running'),
  );
  return h('label', {}, 'Show ', select);
}

/** The graphs of the running codebases `names` in one; `own` keeps its module paths plain. */
export async function runningGraph(api: Api, names: string[], own: string | null): Promise<GraphAnswer> {
  const parts = [];
  for (const name of names) {
    try {
      parts.push({ name, answer: await api.getRunningGraph(name) });
    } catch {
      // stopped meanwhile
    }
  }
  return mergeGraphs(parts, own);
}
