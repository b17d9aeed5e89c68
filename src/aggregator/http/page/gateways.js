// Gateways online or offline, since when, and what they still hold unsent (GET /api/gateways).

import { api } from './api.js';
import { h, table } from './dom.js';
import { formatTime, t, tOr } from './i18n.js';
import { section } from './section.js';

const ORDER = { offline: 0, unknown: 1, online: 2 };

export function gatewaysSection() {
  return section('gateways', {
    load: async () => (await api('GET', '/api/gateways')).gateways,
    draw(body, gateways) {
      if (gateways.length === 0) return void body.append(h('p', { class: 'empty' }, t('gateways.empty')));
      // Offline first: they are what the operator has to act on.
      const sorted = [...gateways].sort((a, b) => (ORDER[a.state] ?? 1) - (ORDER[b.state] ?? 1) || a.id.localeCompare(b.id));
      body.append(
        table(
          [t('common.gateway'), t('common.state'), t('common.since'), t('common.reason'), t('gateways.heartbeat'), t('gateways.meters'), t('gateways.backlog'), t('gateways.version')],
          sorted.map((g) =>
            h(
              'tr',
              { dataset: { gateway: g.id, state: g.state } },
              h('td', {}, g.id),
              h('td', {}, h('span', { class: `badge ${g.state}` }, tOr(`state.${g.state}`, g.state))),
              h('td', { class: 'since' }, formatTime(g.since)),
              h('td', {}, g.reason ?? '—'),
              h('td', {}, formatTime(g.lastHeartbeatAt)),
              h('td', { class: 'num' }, g.meters?.total == null ? '—' : `${g.meters.online ?? '?'} / ${g.meters.total}`),
              h('td', { class: 'backlog' }, g.backlog == null ? '—' : t('gateways.backlogText', { count: g.backlog.count, oldest: formatTime(g.backlog.oldestAt) })),
              h('td', {}, g.version ?? '—'),
            ),
          ),
        ),
      );
    },
  });
}
