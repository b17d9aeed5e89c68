import type { Outbox } from '../../store/outbox.js';
import type { GatewayEvent } from '../../wire/events.js';
import type { SequenceStream } from '../../wire/sequence.js';

export interface RetentionSettings {
  maxBytes: number;
  maxAgeDays: number;
  forgetAckedAfterDays: number;
}

export interface RetentionRun {
  /** Items evicted per stream (lost: never forwarded). */
  evicted: { stream: SequenceStream; count: number; bytes: number; stillOverLimit: boolean }[];
  forgotten: number;
  /** One `outbox-pruned` event per contiguous run of evicted seqs, for central's high-water mark. */
  events: GatewayEvent[];
}

const DAY_MS = 86_400_000;

/**
 * The daily outbox housekeeping: evict what the retention policy allows (never billing reads: the store
 * keeps them whatever the limits) and forget acked ids older than the de-duplication window. Each evicted
 * run becomes an `outbox-pruned` event so central moves its high-water mark over the gap instead of
 * refusing every later batch; a billing item kept inside a run splits it, because that item will still
 * arrive and must not be skipped.
 */
export function runRetention(outboxes: readonly { stream: SequenceStream; outbox: Outbox }[], settings: RetentionSettings, now: number): RetentionRun {
  const run: RetentionRun = { evicted: [], forgotten: 0, events: [] };
  const at = new Date(now).toISOString();
  for (const { stream, outbox } of outboxes) {
    const r = outbox.prune({ maxBytes: settings.maxBytes, maxAgeDays: settings.maxAgeDays, now });
    run.evicted.push({ stream, count: r.count, bytes: r.bytes, stillOverLimit: r.stillOverLimit });
    for (const [seqFrom, seqTo] of r.ranges) {
      const reason = `retention: ${r.count} item(s), ${r.bytes} bytes over ${settings.maxAgeDays} days or ${settings.maxBytes} bytes unsent`;
      run.events.push({ type: 'outbox-pruned', at, stream, epoch: outbox.streamId, seqFrom, seqTo, reason: reason.slice(0, 200) });
    }
    run.forgotten += outbox.forgetAcked(now - settings.forgetAckedAfterDays * DAY_MS);
  }
  return run;
}
