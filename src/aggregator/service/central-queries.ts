import type Database from 'better-sqlite3';
import type { EventView, GatewayView, OperatorData, Page, ReadView } from '../http/operator-data.js';
import type { EventsQuery, ReadsQuery } from '../http/schemas.js';
import { EventReviews } from './event-reviews.js';

/**
 * The operator API's reads of the central database (OperatorData). Lists are paged by keyset (a cursor
 * naming the last row shown), not OFFSET: the reads table grows by millions of rows at month end and an
 * offset would rescan everything before the page. Statements are built for the filters actually given,
 * so `metering_point = ?` can use the (metering_point, meter_time_ms) index, in the order the list is paged.
 */
export function centralQueries(db: Database.Database): OperatorData {
  const reviews = new EventReviews(db);
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (s === undefined) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const allGateways = db.prepare<[], Record<string, unknown>>('SELECT * FROM gateways ORDER BY id');

  function reads(q: ReadsQuery): Page<ReadView> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit + 1 };
    if (q.meteringPoint !== undefined) (where.push('metering_point = @point'), (params['point'] = q.meteringPoint));
    if (q.gatewayId !== undefined) (where.push('gateway_id = @gateway'), (params['gateway'] = q.gatewayId));
    if (q.from !== undefined) (where.push('meter_time_ms >= @from'), (params['from'] = q.from));
    if (q.to !== undefined) (where.push('meter_time_ms < @to'), (params['to'] = q.to));
    const c = q.cursor === undefined ? undefined : /^(\d+)_(\d+)$/.exec(q.cursor);
    if (c) {
      where.push('(meter_time_ms > @cMs OR (meter_time_ms = @cMs AND id > @cId))');
      params['cMs'] = Number(c[1]);
      params['cId'] = Number(c[2]);
    }
    const sql = `SELECT * FROM reads ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY meter_time_ms, id LIMIT @limit`;
    const rows = prepared(sql).all(params) as Record<string, unknown>[];
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return { items: page.map(readView), nextCursor: more && last ? `${last['meter_time_ms'] as number}_${last['id'] as number}` : null };
  }

  function events(q: EventsQuery): Page<EventView> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit + 1 };
    if (q.state !== undefined) (where.push('e.state = @state'), (params['state'] = q.state));
    if (q.type !== undefined) (where.push('e.type = @type'), (params['type'] = q.type));
    if (q.gatewayId !== undefined) (where.push('e.gateway_id = @gateway'), (params['gateway'] = q.gatewayId));
    if (q.cursor !== undefined && /^\d+$/.test(q.cursor)) (where.push('e.id < @cursor'), (params['cursor'] = Number(q.cursor)));
    // Newest first: what an operator opens the page for.
    const sql = `SELECT e.*, r.action AS r_action, r.note AS r_note, r.reviewed_by AS r_by, r.at AS r_at
      FROM events e LEFT JOIN event_reviews r ON r.event_id = e.id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT @limit`;
    const rows = prepared(sql).all(params) as Record<string, unknown>[];
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return { items: page.map(eventView), nextCursor: more && last ? String(last['id']) : null };
  }

  const oneEvent = db.prepare<[number], Record<string, unknown>>(
    `SELECT e.*, r.action AS r_action, r.note AS r_note, r.reviewed_by AS r_by, r.at AS r_at
     FROM events e LEFT JOIN event_reviews r ON r.event_id = e.id WHERE e.id = ?`,
  );

  return {
    gateways: () => allGateways.all().map(gatewayView),
    reads,
    events,
    review(eventId, action, input, now) {
      const result = reviews.review(eventId, action, input, now);
      if (!result.ok) return result;
      return { ok: true, event: eventView(oneEvent.get(eventId)!) };
    },
  };
}

const iso = (ms: unknown): string | null => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function gatewayView(r: Record<string, unknown>): GatewayView {
  const backlogCount = num(r['backlog_count']);
  return {
    id: r['id'] as string,
    state: r['state'] as GatewayView['state'],
    since: iso(r['state_since']),
    reason: str(r['state_reason']),
    enrolledAt: iso(r['enrolled_at']) as string,
    lastStatusAt: iso(r['last_status_at']),
    lastHeartbeatAt: iso(r['last_heartbeat_at']),
    version: str(r['version']),
    configHash: str(r['config_hash']),
    signingKeyId: str(r['signing_key_id']),
    backlog: backlogCount === null ? null : { count: backlogCount, oldestAt: str(r['backlog_oldest_at']), bytes: num(r['backlog_bytes']) },
    meters: { total: num(r['meters_total']), online: num(r['meters_online']) },
    uptimeSeconds: num(r['uptime_seconds']),
  };
}

function readView(r: Record<string, unknown>): ReadView {
  return {
    readId: r['read_id'] as string,
    gatewayId: r['gateway_id'] as string,
    meterId: r['meter_id'] as string,
    meteringPoint: r['metering_point'] as string,
    customerCode: str(r['customer_code']),
    bookCode: str(r['book_code']),
    routeOrder: num(r['route_order']),
    obis: r['obis'] as string,
    bcs: str(r['bcs']),
    value: r['value'] as string,
    unit: str(r['unit']),
    scaler: num(r['scaler']),
    meterTime: r['meter_time'] as string,
    receivedAt: r['received_at'] as string,
    quality: (r['quality'] as string).split(',').filter((q) => q !== ''),
    kind: r['kind'] as string,
    periodStart: str(r['period_start']),
    periodEnd: str(r['period_end']),
    multiplier: r['multiplier'] as string,
    storedAt: iso(r['stored_at']) as string,
  };
}

function eventView(r: Record<string, unknown>): EventView {
  const action = str(r['r_action']);
  return {
    id: r['id'] as number,
    gatewayId: r['gateway_id'] as string,
    type: r['type'] as string,
    at: r['at'] as string,
    meterId: str(r['meter_id']),
    meteringPoint: str(r['metering_point']),
    anomalyId: str(r['anomaly_id']),
    code: str(r['code']),
    severity: str(r['severity']),
    state: r['state'] as EventView['state'],
    stateChangedAt: iso(r['state_changed_at']),
    body: JSON.parse(r['body'] as string) as unknown,
    storedAt: iso(r['stored_at']) as string,
    review: action === null ? null : { action: action as 'confirm' | 'dismiss', note: str(r['r_note']), by: str(r['r_by']), at: iso(r['r_at']) as string },
  };
}
