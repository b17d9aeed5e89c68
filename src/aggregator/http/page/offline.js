// Offline metering points with since-when, book and route position. The events say which meters are
// offline (meter-offline with no later meter-online); the book and the position on the route come from
// the point's stored reads (each read carries bookCode and routeOrder), looked up once per point.

import { api } from './api.js';
import { h, table } from './dom.js';
import { formatTime, t } from './i18n.js';
import { offlinePoints } from './offline-points.js';
import { section } from './section.js';

const PAGE = 1000;
const MAX_PAGES = 5; // per event type: beyond 5 000 events the list says it is partial
const MAX_LOOKUPS = 200; // reads looked up per refresh for book/route; the rest show a dash until next time

/** bookCode and routeOrder per metering point, kept across refreshes (they change once a month at most). */
const placeCache = new Map();

async function allEvents(type) {
  const events = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = new URLSearchParams({ type, limit: String(PAGE) });
    if (cursor !== null) q.set('cursor', cursor);
    const answer = await api('GET', `/api/events?${q}`);
    events.push(...answer.events);
    cursor = answer.nextCursor;
    if (cursor === null) return { events, complete: true };
  }
  return { events, complete: false };
}

async function place(point) {
  if (placeCache.has(point)) return placeCache.get(point);
  const answer = await api('GET', `/api/reads?${new URLSearchParams({ meteringPoint: point, limit: '1' })}`);
  const read = answer.reads[0];
  const found = read === undefined ? null : { bookCode: read.bookCode ?? null, routeOrder: read.routeOrder ?? null };
  placeCache.set(point, found);
  return found;
}

async function withPlaces(points) {
  const todo = points.filter((p) => p.meteringPoint !== null && !placeCache.has(p.meteringPoint)).slice(0, MAX_LOOKUPS);
  // Four at a time: enough to be quick, few enough not to crowd the API during month end.
  for (let i = 0; i < todo.length; i += 4) await Promise.all(todo.slice(i, i + 4).map((p) => place(p.meteringPoint).catch(() => null)));
  return points.map((p) => ({ ...p, place: p.meteringPoint === null ? null : (placeCache.get(p.meteringPoint) ?? null) }));
}

export function offlineSection() {
  return section('offline', {
    async load() {
      const [off, on] = await Promise.all([allEvents('meter-offline'), allEvents('meter-online')]);
      const points = await withPlaces(offlinePoints([...off.events, ...on.events]));
      return { points, complete: off.complete && on.complete };
    },
    draw(body, { points, complete }) {
      if (!complete) body.append(h('p', { class: 'warning' }, t('common.truncated')));
      if (points.length === 0) return void body.append(h('p', { class: 'empty' }, t('offline.empty')));
      body.append(
        table(
          [t('common.point'), t('common.meter'), t('common.gateway'), t('common.since'), t('common.book'), t('offline.route'), t('offline.lastGood'), t('offline.lastError'), t('offline.failures')],
          points.map((p) =>
            h(
              'tr',
              { dataset: { point: p.meteringPoint ?? '', meter: p.meterId } },
              h('td', {}, p.meteringPoint ?? '—'),
              h('td', {}, p.meterId),
              h('td', {}, p.gatewayId),
              h('td', { class: 'since' }, formatTime(p.since)),
              h('td', { class: 'book' }, p.place?.bookCode ?? '—'),
              h('td', { class: 'route num' }, p.place?.routeOrder ?? '—'),
              h('td', {}, p.lastGoodRead === null ? t('offline.never') : formatTime(p.lastGoodRead)),
              h('td', {}, p.lastError ?? '—'),
              h('td', { class: 'num' }, p.consecutiveFailures ?? '—'),
            ),
          ),
        ),
      );
    },
  });
}
