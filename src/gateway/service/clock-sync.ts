import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import type { Command } from '../../wire/commands.js';
import type { JsonValue } from '../../wire/primitives.js';
import type { MeterDefinition, MeterReadResult } from '../model.js';
import { clockSyncJob, type ClockSyncOutcome } from './clock-jobs.js';
import { GatewayError } from './errors.js';
import type { Pollers } from './pollers.js';

export type ClockSyncCommand = Extract<Command, { type: 'clock-sync' }>;

/** One meter's line in the answer to central. */
export interface ClockSyncLine {
  meterId: string;
  action: 'set' | 'in-tolerance' | 'refused' | 'failed';
  offsetSeconds?: number;
  error?: string;
}

/** The per-meter outcomes as central reads them: offsets to a tenth of a second, failures with their code. */
export function clockSyncSummary(results: readonly (ClockSyncOutcome | MeterReadResult)[]): ClockSyncLine[] {
  return results.map((r) =>
    r.ok && 'action' in r
      ? { meterId: r.meterId, action: r.action, offsetSeconds: Math.round(r.offsetSeconds * 10) / 10 }
      : { meterId: r.meterId, action: 'failed', error: 'code' in r ? `${r.code}: ${r.message}` : 'no answer' },
  );
}

export interface ClockSyncDeps {
  config: GatewayConfig;
  clock: Clock;
  log: Logger;
  pollMeters: Pollers['pollMeters'];
}

/**
 * Central's `clock-sync` on one meter or all: the limit is the smaller of the command's and the gateway's
 * own `clockSync.maxAdjustSeconds` (central cannot widen what the site allows). For a single meter a
 * refused jump or a failure is the command's error, so the operator sees it as such; for the whole
 * gateway the answer lists every meter's outcome.
 */
export async function runClockSync(c: ClockSyncCommand, deps: ClockSyncDeps): Promise<JsonValue> {
  const { config, clock, log } = deps;
  const targets = c.meterId === undefined ? config.meters : config.meters.filter((m) => m.id === c.meterId);
  if (targets.length === 0) throw new GatewayError('GATEWAY_UNKNOWN_METER', `meter ${c.meterId} is not configured on gateway ${config.gateway.id}`);
  const limit = Math.min(c.maxAdjustSeconds, config.clockSync.maxAdjustSeconds);
  const { clientSap, password } = config.clockSync;
  // Setting the clock may need another association (a client with write access, its own password) than
  // reading does.
  const asSetter = (m: MeterDefinition): MeterDefinition =>
    clientSap === undefined ? m : { ...m, authentication: { clientSap, ...(password ?? m.authentication.password ? { password: password ?? m.authentication.password } : {}) } };
  const groups = await deps.pollMeters(targets.map(asSetter), clockSyncJob(clock, limit));
  const summary = clockSyncSummary(groups.flatMap((g) => g.results));
  for (const s of summary) if (s.action === 'set') log.info({ meter: s.meterId, offsetSeconds: s.offsetSeconds }, `meter ${s.meterId} clock set (was ${s.offsetSeconds} s off)`);
  const refused = summary.filter((s) => s.action === 'refused');
  for (const s of refused) log.warn({ meter: s.meterId, offsetSeconds: s.offsetSeconds, limit }, `meter ${s.meterId} clock not set: ${s.offsetSeconds} s is over the ${limit} s limit`);
  if (c.meterId !== undefined) {
    const [one] = summary;
    if (one?.action === 'refused') {
      throw new GatewayError(
        'GATEWAY_CLOCK_JUMP_REFUSED',
        `meter ${one.meterId}: clock is ${one.offsetSeconds} s off, over the limit of ${limit} s (command ${c.maxAdjustSeconds} s, gateway clockSync.maxAdjustSeconds ${config.clockSync.maxAdjustSeconds} s); not set: a jump this large can hide tampering, check the meter first`,
        { context: { meter: one.meterId, offsetSeconds: one.offsetSeconds ?? 0, limit } },
      );
    }
    if (one?.action === 'failed') throw new GatewayError('GATEWAY_CLOCK_SYNC_FAILED', `meter ${one.meterId}: clock not synchronised: ${one.error}`, { context: { meter: one.meterId } });
  }
  return { limitSeconds: limit, meters: summary.map((l) => ({ ...l })) as unknown as JsonValue[] };
}
