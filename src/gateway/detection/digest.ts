import type { z } from 'zod';
import { MAX_ITEMS_PER_BATCH } from '../../wire/batch.js';
import type { DailyDigestEventSchema, PreCutoffReportEventSchema } from '../../wire/events.js';
import type { Backlog } from '../../wire/primitives.js';
import type { MeterDefinition } from '../model.js';
import type { AnomalyState } from './anomaly-state.js';
import { cutoffOf, periodOf } from './calendar.js';
import type { DayTally } from './day-tally.js';
import { iso } from './local-time.js';
export { isPreCutoffDay, periodOf } from './calendar.js';
import type { ReachabilityState } from './offline.js';

export type DailyDigestEvent = z.output<typeof DailyDigestEventSchema>;
export type PreCutoffReportEvent = z.output<typeof PreCutoffReportEventSchema>;
export type OfflinePoint = PreCutoffReportEvent['offlinePoints'][number] & { routeOrder?: number; lastError?: string };
export type OpenAnomalyItem = PreCutoffReportEvent['openAnomalies'][number];

/** What detection knows of one meter, as the caller holds it. */
export interface MeterStatus {
  meter: MeterDefinition;
  reachability: ReachabilityState;
  anomalies: AnomalyState;
}

/**
 * Codes and ISO times compared by their characters, not by locale: the same order on every gateway, and
 * no collation tables (about 3 MB of ICU data resident on a 1 GB gateway) for ASCII codes.
 */
function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Book, then route order (MA_GC), then meter id: the order a technician walks the points. */
function routeOrder(a: MeterDefinition, b: MeterDefinition): number {
  return (
    byCode(a.bookCode ?? '\uffff', b.bookCode ?? '\uffff') ||
    (a.routeOrder ?? Number.MAX_SAFE_INTEGER) - (b.routeOrder ?? Number.MAX_SAFE_INTEGER) ||
    byCode(a.id, b.id)
  );
}

/** Offline points in route order, with since-when; meters behind a silent bus are offline too. */
export function offlinePointsOf(meters: readonly MeterStatus[]): OfflinePoint[] {
  return meters
    .filter((m) => m.reachability.status === 'offline')
    .sort((a, b) => routeOrder(a.meter, b.meter))
    .map(({ meter, reachability: r }) => ({
      meterId: meter.id,
      meteringPoint: meter.meteringPoint,
      ...(meter.bookCode ? { bookCode: meter.bookCode } : {}),
      ...(meter.routeOrder !== undefined ? { routeOrder: meter.routeOrder } : {}),
      since: iso(r.failingSince ?? r.lastGoodReadAt ?? 0),
      lastGoodRead: r.lastGoodReadAt === null ? null : iso(r.lastGoodReadAt),
      ...(r.lastError ? { lastError: r.lastError } : {}),
    }));
}

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/** Open anomalies, most severe first, then in route order. */
export function openAnomaliesOf(meters: readonly MeterStatus[]): OpenAnomalyItem[] {
  return meters
    .flatMap((m) => Object.values(m.anomalies.open).map((a) => ({ m, a })))
    .sort((x, y) => SEVERITY_RANK[x.a.severity] - SEVERITY_RANK[y.a.severity] || routeOrder(x.m.meter, y.m.meter) || byCode(x.a.raisedAt, y.a.raisedAt))
    .map(({ m, a }) => ({ anomalyId: a.anomalyId, code: a.code, severity: a.severity, meterId: m.meter.id, since: a.raisedAt }));
}

export interface DailyDigest {
  event: DailyDigestEvent;
  /**
   * For the local log / page: the wire's daily-digest has counts only, so the lists travel in the
   * pre-cutoff report (and could join the digest as optional fields, an additive wire change).
   */
  onlineCount: number;
  offlinePoints: OfflinePoint[];
  openAnomalies: OpenAnomalyItem[];
}

export function dailyDigest(input: { now: number; tally: DayTally; meters: readonly MeterStatus[]; backlog?: Backlog }): DailyDigest {
  const offlinePoints = offlinePointsOf(input.meters);
  const read = new Set(input.tally.readMeters);
  const event: DailyDigestEvent = {
    type: 'daily-digest',
    at: iso(input.now),
    date: input.tally.date,
    metersTotal: input.meters.length,
    metersRead: read.size,
    metersFailed: input.tally.failedMeters.filter((id) => !read.has(id)).length,
    readsCollected: input.tally.readsCollected,
    offlineCount: offlinePoints.length,
    anomaliesRaised: input.tally.anomaliesRaised,
    anomaliesCleared: input.tally.anomaliesCleared,
    ...(input.backlog ? { backlog: input.backlog } : {}),
  };
  return { event, onlineCount: input.meters.length - offlinePoints.length, offlinePoints, openAnomalies: openAnomaliesOf(input.meters) };
}

/**
 * What would be missing or doubtful if the books of the current month were cut now: offline points (in
 * route order) and open anomalies. Lists past the wire's batch limit are cut, most severe kept.
 */
export function preCutoffReport(input: { now: number; meters: readonly MeterStatus[] }): PreCutoffReportEvent {
  const offline = offlinePointsOf(input.meters);
  const books = [...new Set(input.meters.map((m) => m.meter.bookCode).filter((b): b is string => !!b))].sort();
  return {
    type: 'pre-cutoff-report',
    at: iso(input.now),
    period: periodOf(input.now),
    cutoffAt: iso(cutoffOf(input.now)),
    ...(books.length ? { bookCodes: books } : {}),
    pointsTotal: input.meters.length,
    pointsOnline: input.meters.length - offline.length,
    offlinePoints: offline.slice(0, MAX_ITEMS_PER_BATCH).map(({ routeOrder: _r, lastError: _e, ...p }) => p),
    openAnomalies: openAnomaliesOf(input.meters).slice(0, MAX_ITEMS_PER_BATCH),
  };
}
