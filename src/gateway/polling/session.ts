import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { DlmsClient } from '../../client/dlms-client.js';
import { isRetryable, MeterError, meterError, type MeterStep } from '../../client/errors.js';
import type { MeterDefinition, MeterReadFailure } from '../model.js';
import { PollingError } from './errors.js';

/**
 * What one poll of one meter does once the association is open. A job reports its own outcome (it knows
 * which failures are partial); anything it throws becomes a MeterReadFailure for that meter alone.
 */
export type MeterJob<T extends { ok: boolean }> = (client: DlmsClient, meter: MeterDefinition) => Promise<T>;

/** Any failure with one meter as the MeterReadFailure the cycle reports. */
export function failureOf(e: unknown, meterId: string, clock: Clock, step: MeterStep = 'get'): MeterReadFailure {
  if (e instanceof PollingError) {
    return { ok: false, meterId, receivedAt: clock.now(), code: e.code, step: String(e.context['step'] ?? step), message: e.message, retryable: e.code === 'POLL_NO_SNAPSHOT' };
  }
  const me = e instanceof MeterError ? e : meterError(e, meterId, step);
  return { ok: false, meterId, receivedAt: clock.now(), code: me.code, step: me.step || step, message: me.message || errorMessage(e), retryable: isRetryable(me) };
}

/**
 * One conversation: open the association, run the job, release. Release always runs, so the next
 * meter on the bus starts from a disconnected link whatever happened here.
 */
export async function runSession<T extends { ok: boolean }>(client: DlmsClient, meter: MeterDefinition, job: MeterJob<T>, clock: Clock): Promise<T | MeterReadFailure> {
  try {
    await client.open();
    return await job(client, meter);
  } catch (e) {
    return failureOf(e, meter.id, clock);
  } finally {
    await client.close();
  }
}

export function authenticationOf(meter: MeterDefinition): { mechanism: 'none' } | { mechanism: 'lls'; password: string } {
  const password = meter.authentication.password;
  return password === undefined ? { mechanism: 'none' } : { mechanism: 'lls', password };
}

/** Meters in route order (lộ trình GCS); meters without a position keep their given order, after the others. */
export function inRouteOrder(meters: readonly MeterDefinition[]): MeterDefinition[] {
  return meters
    .map((m, i) => ({ m, i }))
    .sort((a, b) => (a.m.routeOrder ?? Infinity) - (b.m.routeOrder ?? Infinity) || a.i - b.i)
    .map((x) => x.m);
}
