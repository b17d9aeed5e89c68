import type { EventsQuery, ReadsQuery } from './schemas.js';

/**
 * What the HTTP API reads and changes, as an interface: the API knows requests and answers, the service
 * folder knows SQL (src/aggregator/service/central-queries.ts implements this over the central DB).
 * Times are ISO 8601 text in answers; the DB keeps milliseconds.
 */
export interface GatewayView {
  id: string;
  /** 'unknown' until the gateway's first birth message. */
  state: 'unknown' | 'online' | 'offline';
  /** Since when it has been in `state` (online since, offline since). */
  since: string | null;
  reason: string | null;
  enrolledAt: string;
  lastStatusAt: string | null;
  lastHeartbeatAt: string | null;
  version: string | null;
  configHash: string | null;
  signingKeyId: string | null;
  backlog: { count: number; oldestAt: string | null; bytes: number | null } | null;
  meters: { total: number | null; online: number | null };
  uptimeSeconds: number | null;
}

export interface ReadView {
  readId: string;
  gatewayId: string;
  meterId: string;
  meteringPoint: string;
  customerCode: string | null;
  bookCode: string | null;
  routeOrder: number | null;
  obis: string;
  bcs: string | null;
  value: string;
  unit: string | null;
  scaler: number | null;
  meterTime: string;
  receivedAt: string;
  quality: string[];
  kind: string;
  periodStart: string | null;
  periodEnd: string | null;
  multiplier: string;
  storedAt: string;
}

export type EventState = 'open' | 'confirmed' | 'dismissed';

export interface EventReview {
  action: 'confirm' | 'dismiss';
  note: string | null;
  by: string | null;
  at: string;
}

export interface EventView {
  id: number;
  gatewayId: string;
  type: string;
  at: string;
  meterId: string | null;
  meteringPoint: string | null;
  anomalyId: string | null;
  code: string | null;
  severity: string | null;
  state: EventState;
  stateChangedAt: string | null;
  /** The event as the gateway sent it. */
  body: unknown;
  storedAt: string;
  /** The latest operator decision, when there was one. */
  review: EventReview | null;
}

/** A page of a list; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type ReviewOutcome = { ok: true; event: EventView } | { ok: false; reason: 'not-found' } | { ok: false; reason: 'not-open'; state: EventState };

export interface OperatorData {
  gateways(): GatewayView[];
  reads(query: ReadsQuery): Page<ReadView>;
  events(query: EventsQuery): Page<EventView>;
  /** Confirms or dismisses an open event; a decided event stays decided (a second click is not a new decision). */
  review(eventId: number, action: 'confirm' | 'dismiss', input: { note?: string; by?: string }, now: number): ReviewOutcome;
}
