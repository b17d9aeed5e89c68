import type { MeterOfflineEventSchema, MeterOnlineEventSchema } from '../../wire/events.js';
import type { z } from 'zod';
import type { MeterDefinition, MeterReadResult } from '../model.js';
import { classifyFailure } from './failure-class.js';
import type { DetectionThresholds } from './thresholds.js';
import { iso, MS_PER_HOUR } from './local-time.js';

export type MeterOfflineEvent = z.output<typeof MeterOfflineEventSchema>;
export type MeterOnlineEvent = z.output<typeof MeterOnlineEventSchema>;
export type ReachabilityEvent = MeterOfflineEvent | MeterOnlineEvent;

/**
 * What the gateway remembers about one meter's reachability between polls. Plain JSON: the caller keeps
 * it (ReadHistory.setState) so that a restart neither forgets an outage nor reports it twice.
 * - online: the last poll got an answer.
 * - failing: no answer lately, not yet long enough to call it an outage.
 * - offline: an outage. `offlineReported` says whether meter-offline went out: while its bus is silent the
 *   per-meter event is held back (the bus-silent event covers it) and is sent if the meter is still down
 *   after the bus comes back.
 */
export interface ReachabilityState {
  status: 'online' | 'failing' | 'offline';
  consecutiveFailures: number;
  /** First unreachable poll of the current streak (ms), the `since` of meter-offline. */
  failingSince: number | null;
  lastGoodReadAt: number | null;
  lastError: string | null;
  offlineReported: boolean;
  /** Keys of configuration problems already reported (`METER_AUTH_FAILED`, `METER_OBJECT_UNDEFINED@obis`). */
  configProblems: string[];
  /**
   * The meter's last polls, oldest first: '1' it answered, '0' it did not. Polls while its bus was silent
   * and back-off skips are left out: they say nothing about this meter's own link. Absent in states saved
   * before it existed.
   */
  recentPolls?: string;
}

/** How many polls `recentPolls` keeps. */
export const RECENT_POLLS_KEPT = 24;

const remember = (recent: string | undefined, outcome: '0' | '1'): string => ((recent ?? '') + outcome).slice(-RECENT_POLLS_KEPT);

/**
 * The meter answered but could not be read as configured (wrong password, an OBIS the model lacks). Not
 * offline, and the wire has no event type for it yet: the caller logs it / shows it on the local page.
 */
export interface MeterConfigProblem {
  meterId: string;
  meteringPoint: string;
  code: string;
  obis?: string;
  message: string;
  at: string;
}

export function initialReachability(): ReachabilityState {
  return { status: 'online', consecutiveFailures: 0, failingSince: null, lastGoodReadAt: null, lastError: null, offlineReported: false, configProblems: [], recentPolls: '' };
}

export interface ReachabilityStep {
  state: ReachabilityState;
  events: ReachabilityEvent[];
  problems: MeterConfigProblem[];
}

/**
 * One poll result → the next state, with meter-offline / meter-online emitted on transitions only (once per
 * outage, never every cycle). `suppressOffline` holds back meter-offline while the meter's bus is silent.
 */
export function stepReachability(
  state: ReachabilityState,
  result: MeterReadResult,
  meter: MeterDefinition,
  thresholds: DetectionThresholds,
  options: { suppressOffline?: boolean } = {},
): ReachabilityStep {
  const now = result.receivedAt;
  const point = { meterId: meter.id, meteringPoint: meter.meteringPoint };
  const events: ReachabilityEvent[] = [];

  if (!result.ok && classifyFailure(result.code) === 'unreachable') {
    const next: ReachabilityState = {
      ...state,
      consecutiveFailures: state.consecutiveFailures + 1,
      failingSince: state.failingSince ?? now,
      lastError: result.code,
      status: state.status === 'offline' ? 'offline' : 'failing',
      recentPolls: options.suppressOffline || result.step === 'back-off' ? (state.recentPolls ?? '') : remember(state.recentPolls, '0'),
    };
    const reference = next.lastGoodReadAt ?? next.failingSince ?? now;
    if (
      next.status !== 'offline' &&
      next.consecutiveFailures >= thresholds.offlineAfterFailures &&
      now - reference >= thresholds.offlineAfterHours * MS_PER_HOUR
    ) {
      next.status = 'offline';
    }
    if (next.status === 'offline' && !next.offlineReported && !options.suppressOffline) {
      next.offlineReported = true;
      events.push({
        type: 'meter-offline',
        at: iso(now),
        ...point,
        since: iso(next.failingSince ?? now),
        consecutiveFailures: next.consecutiveFailures,
        lastGoodRead: next.lastGoodReadAt === null ? null : iso(next.lastGoodReadAt),
        lastError: result.code.slice(0, 64),
      });
    }
    return { state: next, events, problems: [] };
  }

  // Any answer, good or a refusal, proves the meter reachable: the outage (if any) is over.
  if (state.offlineReported) {
    events.push({
      type: 'meter-online',
      at: iso(now),
      ...point,
      since: iso(now),
      consecutiveFailures: 0,
      lastGoodRead: result.ok ? iso(now) : state.lastGoodReadAt === null ? null : iso(state.lastGoodReadAt),
      ...(state.lastError ? { lastError: state.lastError.slice(0, 64) } : {}),
    });
  }
  const found: { key: string; code: string; obis?: string; message: string }[] = result.ok
    ? result.partialErrors.filter((e) => classifyFailure(e.code) === 'answered').map((e) => ({ key: `${e.code}@${e.obis}`, ...e }))
    : [{ key: result.code, code: result.code, message: result.message }];
  const known = new Set(state.configProblems);
  const problems = found
    .filter((f) => !known.has(f.key))
    .map((f) => ({ ...point, code: f.code, ...(f.obis ? { obis: f.obis } : {}), message: f.message, at: iso(now) }));
  const next: ReachabilityState = {
    status: 'online',
    consecutiveFailures: 0,
    failingSince: null,
    lastGoodReadAt: result.ok ? now : state.lastGoodReadAt,
    lastError: result.ok ? null : result.code,
    offlineReported: false,
    // A full refusal keeps earlier partial-error keys (nothing was read to prove them fixed); a good read
    // replaces them with what it saw, so a fixed profile is reported again if it ever breaks again.
    configProblems: result.ok ? [...new Set(found.map((f) => f.key))] : [...new Set([...state.configProblems, ...found.map((f) => f.key)])],
    recentPolls: remember(state.recentPolls, '1'),
  };
  return { state: next, events, problems };
}
