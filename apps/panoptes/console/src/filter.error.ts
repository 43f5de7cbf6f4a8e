// The inline error under a filter box: the server's message, and when it
// names a column, the expression again with a caret under that column.

import { h, mount } from './dom';
import { errorCaret } from './format';

export function showFilterError(box: HTMLElement, input: HTMLInputElement, expr: string, message?: string): void {
  box.hidden = !message;
  input.classList.toggle('invalid', !!message);
  input.setAttribute('aria-invalid', String(!!message));
  if (!message) {
    mount(box);
    return;
  }
  const caret = errorCaret(expr, message);
  mount(
    box,
    h('div', { class: 'msg' }, message),
    caret ? h('pre', { class: 'caret', 'aria-hidden': 'true' }, `${expr}\n${caret}`) : null,
  );
}
