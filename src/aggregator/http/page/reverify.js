// Phúc tra: ask the point's gateway to read the meter again (POST /api/reverifications) and list the
// requests with their verdicts (GET /api/reverifications).

import { api } from './api.js';
import { h, table } from './dom.js';
import { formatTime, t, tOr } from './i18n.js';
import { act, by, notify, section } from './section.js';

/** Why a request failed or expired, when the detail says so; the rest of it is for the log, not the list. */
function detailText(detail) {
  if (detail === null || typeof detail !== 'object') return detail == null ? '' : String(detail);
  const e = detail.error;
  if (e && typeof e === 'object') return [e.code, e.message].filter(Boolean).join(': ');
  return typeof detail.note === 'string' ? detail.note : '';
}

export function reverifySection() {
  const s = section('reverify', {
    load: async () => (await api('GET', '/api/reverifications')).reverifications,
    draw(body, list) {
      if (list.length === 0) return void body.append(h('p', { class: 'empty' }, t('reverify.empty')));
      body.append(
        table(
          [t('common.point'), t('common.meter'), t('common.gateway'), t('common.state'), t('reverify.requestedAt'), t('reverify.stored'), t('reverify.new'), t('reverify.verdict'), t('reverify.answeredAt'), t('reverify.detail')],
          list.map((r) =>
            h(
              'tr',
              { dataset: { reverification: r.id, point: r.meteringPoint } },
              h('td', {}, r.meteringPoint),
              h('td', {}, r.meterId ?? '—'),
              h('td', {}, r.gatewayId ?? '—'),
              h('td', {}, h('span', { class: `badge ${r.state}` }, tOr(`reverify.state.${r.state}`, r.state))),
              h('td', {}, formatTime(r.requestedAt)),
              h('td', { class: 'num' }, r.storedValue ?? '—'),
              h('td', { class: 'num' }, r.newValue ?? '—'),
              h('td', {}, r.verdict == null ? '—' : h('span', { class: `badge ${r.verdict}` }, tOr(`verdict.${r.verdict}`, r.verdict))),
              h('td', {}, formatTime(r.answeredAt)),
              h('td', { class: 'detail' }, detailText(r.detail)),
            ),
          ),
        ),
      );
    },
  });

  const form = document.getElementById('reverify-form');
  const input = document.getElementById('reverify-point');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    const point = input.value.trim();
    void act(form.querySelector('button'), async () => {
      await api('POST', '/api/reverifications', { meteringPoint: point, ...by() });
      notify(t('reverify.requested', { point }));
      input.value = '';
      await s.reload();
    });
  });
  return s;
}
