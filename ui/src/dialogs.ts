// In-page prompt and confirm dialogs (native ones block the page and are awkward to script).

import { h } from './dom';

export interface AskOptions {
  title: string;
  value?: string;
  placeholder?: string;
  ok?: string;
  /** data-testid prefix: `${testid}-input` and `${testid}-ok` (or `okTestid`). */
  testid?: string;
  okTestid?: string;
  validate?: (value: string) => string | null;
}

export function ask(opts: AskOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const error = h('div.dialog-error');
    const input = h('input', {
      type: 'text',
      value: opts.value ?? '',
      placeholder: opts.placeholder ?? '',
      spellcheck: false,
      'data-testid': opts.testid ? `${opts.testid}-input` : 'dialog-input',
    });
    const finish = (value: string | null) => {
      overlay.remove();
      resolve(value);
    };
    const submit = () => {
      const value = input.value.trim();
      const problem = opts.validate?.(value) ?? (value ? null : 'Please enter a value.');
      if (problem) {
        error.textContent = problem;
        input.focus();
        return;
      }
      finish(value);
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') submit();
      if (e.key === 'Escape') finish(null);
    });
    const overlay = h(
      'div.overlay',
      { onmousedown: (e: MouseEvent) => e.target === overlay && finish(null) },
      h(
        'div.dialog',
        { role: 'dialog' },
        h('div.dialog-title', {}, opts.title),
        input,
        error,
        h(
          'div.dialog-buttons',
          {},
          h('button', { onclick: () => finish(null), 'data-testid': 'dialog-cancel' }, 'Cancel'),
          h(
            'button.primary',
            { onclick: submit, 'data-testid': opts.okTestid ?? (opts.testid ? `${opts.testid}-ok` : 'dialog-ok') },
            opts.ok ?? 'OK',
          ),
        ),
      ),
    );
    document.body.append(overlay);
    input.focus();
    input.select();
  });
}

export function confirmAction(message: string, ok = 'Delete'): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (v: boolean) => {
      overlay.remove();
      resolve(v);
    };
    const okButton = h('button.danger', { onclick: () => finish(true), 'data-testid': 'confirm-ok' }, ok);
    const overlay = h(
      'div.overlay',
      {
        onkeydown: (e: KeyboardEvent) => e.key === 'Escape' && finish(false),
      },
      h(
        'div.dialog',
        { role: 'dialog' },
        h('div.dialog-title', { 'data-testid': 'confirm-message' }, message),
        h('div.dialog-buttons', {}, h('button', { onclick: () => finish(false), 'data-testid': 'confirm-cancel' }, 'Cancel'), okButton),
      ),
    );
    document.body.append(overlay);
    okButton.focus();
  });
}

/** Short-lived notices in the corner. */
export function toast(message: string, kind: 'info' | 'ok' | 'error' = 'info', ms = 4000): void {
  let box = document.querySelector('.toasts');
  if (!box) {
    box = h('div.toasts', { 'data-testid': 'toasts' });
    document.body.append(box);
  }
  const t = h(`div.toast`, { class: kind }, message);
  box.append(t);
  while (box.childElementCount > 4) box.firstElementChild?.remove();
  setTimeout(() => t.remove(), ms);
}
