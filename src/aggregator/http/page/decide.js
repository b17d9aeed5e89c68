// The two decisions on an anomaly or a screening flag: confirm at once, or dismiss with a note saying
// why (the API refuses a dismissal without one; the page asks before sending).

import { api } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { act, by, noteForm, notify } from './section.js';

/** The actions cell of one row; `path` is the item's URL (/api/events/7), `after` reloads the list. */
export function decideCell(path, { noteLabel, name, after }) {
  const cell = h('td', { class: 'actions' });
  const decide = async (action, note) => {
    await api('POST', `${path}/${action}`, { ...(note === undefined ? {} : { note }), ...by() });
    notify(`${t(`common.done.${action}`)}: ${name}`);
    await after();
  };
  const buttons = () => [
    h('button', { type: 'button', class: 'confirm', onclick: (ev) => act(ev.currentTarget, () => decide('confirm')) }, t('common.confirm')),
    h('button', { type: 'button', class: 'dismiss', onclick: () => cell.replaceChildren(form()) }, t('common.dismiss')),
  ];
  const form = () =>
    noteForm({
      label: noteLabel,
      submitLabel: t('common.dismiss'),
      onSubmit: (note) => decide('dismiss', note),
      onCancel: () => cell.replaceChildren(...buttons()),
    });
  cell.append(...buttons());
  return cell;
}

/** Evidence as short "key: value" lines (the gateway's free JSON). */
export function evidenceList(evidence) {
  if (evidence === null || typeof evidence !== 'object') return evidence == null ? '—' : String(evidence);
  const entries = Object.entries(evidence);
  if (entries.length === 0) return '—';
  return h('ul', { class: 'evidence' }, entries.map(([k, v]) => h('li', {}, `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)));
}
