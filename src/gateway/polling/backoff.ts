import type { Clock } from '../../shared/clock.js';
import { PollingError } from './errors.js';

export interface BackoffPolicy {
  /** Wait after the first failure before the meter is tried again. */
  baseMs: number;
  /** The wait doubles with each consecutive failure up to this. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 15 * 60_000, capMs: 6 * 3_600_000 };

/**
 * What to do with a meter this cycle:
 * - normal: no recent failure, full timeouts and retries;
 * - probe: it failed before and its wait is over: one short attempt (no re-polls), so that a dead meter
 *   costs one short timeout and never stalls the rest of its bus;
 * - skip: still waiting; the cycle reports its last failure without touching the wire.
 */
export type BackoffDecision =
  | { action: 'normal' }
  | { action: 'probe'; failures: number }
  | { action: 'skip'; failures: number; until: number; lastCode: string; lastStep: string };

interface Entry {
  failures: number;
  nextAttemptAt: number;
  lastCode: string;
  lastStep: string;
}

/** Per-meter exponential back-off with a cap. Pure bookkeeping: the clock is the only input. */
export class MeterBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly clock: Clock,
  ) {
    if (!(policy.baseMs > 0) || !(policy.capMs >= policy.baseMs)) {
      throw new PollingError('POLL_BAD_CONFIG', `back-off needs 0 < baseMs ≤ capMs, got baseMs ${policy.baseMs}, capMs ${policy.capMs}`);
    }
  }

  decide(meterId: string): BackoffDecision {
    const e = this.entries.get(meterId);
    if (!e) return { action: 'normal' };
    if (this.clock.now() >= e.nextAttemptAt) return { action: 'probe', failures: e.failures };
    return { action: 'skip', failures: e.failures, until: e.nextAttemptAt, lastCode: e.lastCode, lastStep: e.lastStep };
  }

  succeeded(meterId: string): void {
    this.entries.delete(meterId);
  }

  failed(meterId: string, code: string, step: string): void {
    const failures = (this.entries.get(meterId)?.failures ?? 0) + 1;
    const wait = Math.min(this.policy.baseMs * 2 ** Math.min(failures - 1, 30), this.policy.capMs);
    this.entries.set(meterId, { failures, nextAttemptAt: this.clock.now() + wait, lastCode: code, lastStep: step });
  }

  /** Consecutive failures and the earliest next attempt, for status pages and tests. */
  state(meterId: string): { failures: number; nextAttemptAt: number } | undefined {
    const e = this.entries.get(meterId);
    return e && { failures: e.failures, nextAttemptAt: e.nextAttemptAt };
  }
}

/** What a meter still waiting out its back-off reports for this cycle: its last failure, not a new one. */
export function skippedResult(meterId: string, decision: Extract<BackoffDecision, { action: 'skip' }>, now: number) {
  return {
    ok: false as const,
    meterId,
    receivedAt: now,
    code: decision.lastCode,
    step: 'back-off',
    message: `meter ${meterId}: not polled, ${decision.failures} consecutive failure(s) (last ${decision.lastCode}); next attempt after ${new Date(decision.until).toISOString()}`,
    retryable: true,
  };
}
