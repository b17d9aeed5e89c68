// One section of the page: it loads its data from the API, keeps it, and draws it again from what it
// kept (a language switch redraws without asking the API). A 404 from the endpoint means "not on this
// aggregator yet"; any other failure shows the API's own message.

import { ApiFailure, isUnavailable } from './api.js';
import { clear, h } from './dom.js';
import { formatTime, t } from './i18n.js';

export function section(id, { load, draw }) {
  const root = document.getElementById(`s-${id}`);
  const body = root.querySelector('.body');
  let state = { status: 'loading' };
  const s = {
    id,
    root,
    async reload() {
      try {
        state = { status: 'ok', data: await load(), at: Date.now() };
      } catch (e) {
        state = isUnavailable(e) ? { status: 'unavailable' } : { status: 'error', error: e };
      }
      s.draw();
    },
    draw() {
      clear(body);
      root.dataset.state = state.status;
      if (state.status === 'loading') body.append(h('p', { class: 'muted' }, t('common.loading')));
      else if (state.status === 'unavailable') body.append(h('p', { class: 'unavailable' }, t('common.unavailable')));
      else if (state.status === 'error') body.append(errorLine(state.error));
      else {
        draw(body, state.data, s);
        body.append(h('p', { class: 'muted updated' }, `${t('common.updated')} ${formatTime(state.at)}`));
      }
    },
  };
  return s;
}

export function errorLine(e) {
  const code = e instanceof ApiFailure ? e.code : undefined;
  return h('p', { class: 'error' }, `${t('common.error')}: ${e instanceof Error ? e.message : String(e)}`, code ? h('code', {}, ` ${code}`) : null);
}

let noticeTimer;
/** A line at the top of the page for the outcome of an action (aria-live: read out by screen readers). */
export function notify(text, kind = 'ok') {
  const el = document.getElementById('notice');
  el.textContent = text;
  el.className = kind;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (el.hidden = true), kind === 'ok' ? 8_000 : 30_000);
}

/**
 * Runs an action from a button: the button is disabled meanwhile (no double decision from a double
 * click), and an API refusal is shown with the API's message. Resolves to the result, or undefined.
 */
export async function act(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    notify(`${t('common.error')}: ${e instanceof Error ? e.message : String(e)}${e instanceof ApiFailure ? ` (${e.code})` : ''}`, 'error');
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** A small form asking for a note that must not be empty (a dismissal, an export override). */
export function noteForm({ label, submitLabel, onSubmit, onCancel }) {
  const note = h('textarea', { name: 'note', required: true, maxlength: '2000', rows: '2' });
  const submit = h('button', { type: 'submit' }, submitLabel ?? t('common.submit'));
  const problem = h('span', { class: 'error', hidden: true }, t('common.noteRequired'));
  const form = h(
    'form',
    {
      class: 'note-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        const text = note.value.trim();
        problem.hidden = text !== '';
        if (text === '') return void note.focus();
        void act(submit, () => onSubmit(text));
      },
    },
    h('label', {}, h('span', {}, label), note),
    submit,
    h('button', { type: 'button', onclick: () => onCancel?.(form) }, t('common.cancel')),
    problem,
  );
  // Checked by the script, so the message is in the page's language rather than the browser's.
  form.noValidate = true;
  queueMicrotask(() => note.focus());
  return form;
}

/** Who is acting, when the operator typed a name (the API has one admin token, not users). */
export function by() {
  const name = document.getElementById('operator-name').value.trim();
  return name === '' ? {} : { by: name.slice(0, 100) };
}
