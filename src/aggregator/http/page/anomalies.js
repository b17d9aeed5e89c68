// Open anomalies (GET /api/events?type=anomaly&state=open), newest first, to confirm or dismiss.

import { api } from './api.js';
import { h, table } from './dom.js';
import { decideCell, evidenceList } from './decide.js';
import { formatTime, t, tOr } from './i18n.js';
import { section } from './section.js';

export function anomaliesSection() {
  const s = section('anomalies', {
    load: async () => (await api('GET', '/api/events?type=anomaly&state=open&limit=500')).events,
    draw(body, events) {
      if (events.length === 0) return void body.append(h('p', { class: 'empty' }, t('anomalies.empty')));
      body.append(
        table(
          [t('common.at'), t('common.point'), t('common.meter'), t('common.gateway'), t('common.kind'), t('common.severity'), t('common.evidence'), t('common.actions')],
          events.map((e) => {
            const b = e.body ?? {};
            const code = e.code ?? b.code;
            const severity = e.severity ?? b.severity;
            return h(
              'tr',
              { dataset: { event: e.id, point: e.meteringPoint ?? '', meter: e.meterId ?? '' } },
              h('td', {}, formatTime(e.at)),
              h('td', {}, e.meteringPoint ?? '—'),
              h('td', {}, e.meterId ?? '—'),
              h('td', {}, e.gatewayId),
              h('td', {}, tOr(`code.${code}`, code), b.state ? h('span', { class: `tag ${b.state}` }, ` (${tOr(`anomalies.${b.state}`, b.state)})`) : null),
              h('td', {}, h('span', { class: `badge ${severity}` }, tOr(`severity.${severity}`, severity))),
              h('td', {}, evidenceList(b.evidence)),
              decideCell(`/api/events/${e.id}`, { noteLabel: t('anomalies.noteLabel'), name: `${e.meteringPoint ?? e.meterId} · ${tOr(`code.${code}`, code)}`, after: () => s.reload() }),
            );
          }),
        ),
      );
    },
  });
  return s;
}
