// Drag handles between the workspace's panels. Each panel's size is a CSS variable on the
// workspace (`--files-w`, `--side-w`, `--log-h`), kept in localStorage so panels keep their
// sizes across tabs and visits; a double-click on a handle restores the default.

import { h } from './dom';

/** One resizable panel: which edge carries the handle and which variable holds its size. */
export interface Split {
  /** The panel that gets the handle. */
  panel: HTMLElement;
  /** The panel edge the handle sits on; dragging it resizes the panel. */
  edge: 'right' | 'left' | 'top';
  /** The CSS variable on the workspace that holds the size, like '--side-w'. */
  variable: string;
  /** The smallest size, in pixels. */
  min: number;
  /** The room other panels keep, in pixels: the largest size is the workspace's size less this. */
  reserve: number;
  /** A name for tests and tooltips. */
  name: string;
}

const STORE = 'sluice.layout';

type Sizes = Record<string, number>;

function loadSizes(): Sizes {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Sizes) : {};
  } catch {
    return {};
  }
}

/** The size `wanted` kept between the split's minimum and the room the workspace leaves. */
export function clampSize(wanted: number, min: number, room: number): number {
  return Math.round(Math.max(min, Math.min(wanted, Math.max(min, room))));
}

/** Adds a drag handle to each panel and restores the sizes saved last time. */
export function installSplitters(workspace: HTMLElement, splits: Split[]): void {
  const sizes = loadSizes();
  const room = (s: Split) => (s.edge === 'top' ? workspace.clientHeight : workspace.clientWidth) - s.reserve;
  const apply = (s: Split, px: number | undefined) => {
    if (px === undefined) workspace.style.removeProperty(s.variable);
    else workspace.style.setProperty(s.variable, `${clampSize(px, s.min, room(s))}px`);
  };
  for (const s of splits) {
    apply(s, sizes[s.variable]);
    const handle = h('div', {
      class: `splitter splitter-${s.edge}`,
      title: 'Drag to resize; double-click for the default size',
      'data-testid': `splitter-${s.name}`,
    });
    handle.addEventListener('pointerdown', (down: PointerEvent) => {
      down.preventDefault();
      handle.setPointerCapture(down.pointerId);
      handle.classList.add('dragging');
      const rect = s.panel.getBoundingClientRect();
      const move = (e: PointerEvent) => {
        const px = s.edge === 'right' ? e.clientX - rect.left : s.edge === 'left' ? rect.right - e.clientX : rect.bottom - e.clientY;
        sizes[s.variable] = clampSize(px, s.min, room(s));
        apply(s, sizes[s.variable]);
      };
      const up = () => {
        handle.classList.remove('dragging');
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
        localStorage.setItem(STORE, JSON.stringify(sizes));
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
    handle.addEventListener('dblclick', () => {
      delete sizes[s.variable];
      apply(s, undefined);
      localStorage.setItem(STORE, JSON.stringify(sizes));
    });
    s.panel.append(handle);
  }
  // A smaller window must not push a panel off screen.
  window.addEventListener('resize', () => {
    for (const s of splits) if (sizes[s.variable] !== undefined) apply(s, sizes[s.variable]);
  });
}
