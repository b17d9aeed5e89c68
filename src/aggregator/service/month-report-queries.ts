import type Database from 'better-sqlite3';
import type { BookStore } from '../books/book-store.js';
import { daysUntilCutoff, localDateOf, readingDayOf, type Calendar } from '../calendar/reading-calendar.js';
import { formatLocalDate } from '../rules/local-time.js';

/**
 * What the aggregator's daily digest and pre-cutoff report say, read from what the gateways reported
 * (events) and what the books' screening raised (book_flags). Offline points are the meters whose latest
 * reachability event is `meter-offline`, plus the meters of a bus whose latest bus event is `bus-silent`:
 * a gateway reports a silent bus once, not its hundred meters.
 */
export interface OfflinePoint {
  gatewayId: string;
  meterId: string;
  meteringPoint: string | null;
  since: string;
  /** 'meter' (the meter stopped answering) or 'bus' (its whole bus went silent). */
  cause: 'meter' | 'bus';
  lastError?: string;
}

export function offlinePoints(db: Database.Database): OfflinePoint[] {
  const meters = db
    .prepare<[], { gateway_id: string; meter_id: string; metering_point: string | null; type: string; body: string }>(
      `SELECT e.gateway_id, e.meter_id, e.metering_point, e.type, e.body FROM events e
       JOIN (SELECT gateway_id, meter_id, max(id) AS id FROM events WHERE type IN ('meter-offline', 'meter-online') GROUP BY gateway_id, meter_id) last
         ON last.id = e.id`,
    )
    .all();
  const out: OfflinePoint[] = [];
  const seen = new Set<string>();
  for (const m of meters) {
    if (m.type !== 'meter-offline') continue;
    const body = JSON.parse(m.body) as { since: string; lastError?: string };
    seen.add(`${m.gateway_id}|${m.meter_id}`);
    out.push({ gatewayId: m.gateway_id, meterId: m.meter_id, meteringPoint: m.metering_point, since: body.since, cause: 'meter', ...(body.lastError ? { lastError: body.lastError } : {}) });
  }
  const buses = db
    .prepare<[], { gateway_id: string; type: string; body: string }>(
      `SELECT e.gateway_id, e.type, e.body FROM events e
       JOIN (SELECT gateway_id, json_extract(body, '$.bus') AS bus, max(id) AS id FROM events
             WHERE type IN ('bus-silent', 'bus-recovered') GROUP BY gateway_id, bus) last ON last.id = e.id`,
    )
    .all();
  const pointOf = db.prepare<[string, string], { metering_point: string }>(
    'SELECT metering_point FROM reads WHERE gateway_id = ? AND meter_id = ? ORDER BY id DESC LIMIT 1',
  );
  for (const b of buses) {
    if (b.type !== 'bus-silent') continue;
    const body = JSON.parse(b.body) as { since: string; metersAffected: string[] };
    for (const meterId of body.metersAffected) {
      if (seen.has(`${b.gateway_id}|${meterId}`)) continue;
      seen.add(`${b.gateway_id}|${meterId}`);
      out.push({ gatewayId: b.gateway_id, meterId, meteringPoint: pointOf.get(b.gateway_id, meterId)?.metering_point ?? null, since: body.since, cause: 'bus' });
    }
  }
  return out.sort((a, b) => a.since.localeCompare(b.since) || a.meterId.localeCompare(b.meterId));
}

export interface OpenAnomalyCount {
  total: number;
  byCode: Record<string, number>;
}

function openAnomalies(db: Database.Database, points?: ReadonlySet<string>): OpenAnomalyCount & { items: { gatewayId: string; meteringPoint: string | null; code: string; severity: string | null; at: string }[] } {
  const rows = db
    .prepare<[], { gateway_id: string; metering_point: string | null; code: string; severity: string | null; at: string }>(
      "SELECT gateway_id, metering_point, code, severity, at FROM events WHERE type = 'anomaly' AND state = 'open' ORDER BY at",
    )
    .all()
    .filter((r) => points === undefined || (r.metering_point !== null && points.has(r.metering_point)));
  const byCode: Record<string, number> = {};
  for (const r of rows) byCode[r.code] = (byCode[r.code] ?? 0) + 1;
  return { total: rows.length, byCode, items: rows.map((r) => ({ gatewayId: r.gateway_id, meteringPoint: r.metering_point, code: r.code, severity: r.severity, at: r.at })) };
}

export interface DailyDigest {
  date: string;
  generatedAt: string;
  offlinePoints: OfflinePoint[];
  openAnomalies: OpenAnomalyCount;
  openFlags: { total: number; blocking: number; byCode: Record<string, number> };
}

export function dailyDigest(db: Database.Database, now: number): DailyDigest {
  const flags = db.prepare<[], { code: string; blocking: number; n: number }>("SELECT code, blocking, count(*) AS n FROM book_flags WHERE state = 'open' GROUP BY code, blocking").all();
  const byCode: Record<string, number> = {};
  for (const f of flags) byCode[f.code] = (byCode[f.code] ?? 0) + f.n;
  const { total, byCode: anomalyCodes } = openAnomalies(db);
  return {
    date: formatLocalDate(localDateOf(now)),
    generatedAt: new Date(now).toISOString(),
    offlinePoints: offlinePoints(db),
    openAnomalies: { total, byCode: anomalyCodes },
    openFlags: { total: flags.reduce((n, f) => n + f.n, 0), blocking: flags.filter((f) => f.blocking === 1).reduce((n, f) => n + f.n, 0), byCode },
  };
}

export interface PreCutoffReport {
  date: string;
  generatedAt: string;
  books: {
    bookId: number;
    code: string;
    year: number;
    month: number;
    cutoffAt: string;
    daysToCutoff: number;
    offlinePoints: (OfflinePoint & { routePosition: string | null })[];
    openAnomalies: { meteringPoint: string | null; code: string; severity: string | null; at: string }[];
  }[];
}

/** For each open book whose cutoff is at most `days` days away: its offline points in route order and its open anomalies. */
export function preCutoffReport(db: Database.Database, store: BookStore, calendar: Calendar, days: number, now: number): PreCutoffReport {
  const offline = offlinePoints(db);
  const books: PreCutoffReport['books'] = [];
  for (const book of store.listBooks()) {
    if (book.state !== 'open' || book.cutoffAt < now) continue;
    const left = daysUntilCutoff(calendar, book.code, readingDayOf(calendar, book.code), now);
    if (left > days) continue;
    const route = new Map(store.periodicRows(book.id).map((r) => [r.meteringPoint, r.routePosition]));
    const points = new Set(route.keys());
    books.push({
      bookId: book.id,
      code: book.code,
      year: book.year,
      month: book.month,
      cutoffAt: new Date(book.cutoffAt).toISOString(),
      daysToCutoff: left,
      offlinePoints: offline
        .filter((p) => p.meteringPoint !== null && points.has(p.meteringPoint))
        .map((p) => ({ ...p, routePosition: route.get(p.meteringPoint!) ?? null }))
        .sort((a, b) => Number(a.routePosition) - Number(b.routePosition) || String(a.routePosition).localeCompare(String(b.routePosition))),
      openAnomalies: openAnomalies(db, points).items.map(({ gatewayId: _g, ...rest }) => rest),
    });
  }
  return { date: formatLocalDate(localDateOf(now)), generatedAt: new Date(now).toISOString(), books };
}
