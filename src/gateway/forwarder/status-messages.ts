import type { Outbox } from '../../store/index.js';
import { encodeHeartbeat, encodeStatus, type Backlog as WireBacklog } from '../../wire/index.js';

export interface StatusContext {
  readonly gatewayId: string;
  readonly keyId: string;
  readonly version: string;
  readonly configHash: string;
}

/** Birth (online), last will (offline, registered at connect) and clean shutdown on the retained `…/status`. */
export function statusPayload(
  ctx: StatusContext,
  state: 'online' | 'offline',
  reason: 'birth' | 'will' | 'shutdown',
  at: number,
  backlog?: WireBacklog,
): Uint8Array {
  return encodeStatus({
    v: 1,
    gatewayId: ctx.gatewayId,
    state,
    reason,
    version: ctx.version,
    configHash: ctx.configHash,
    at: new Date(at).toISOString(),
    keyId: ctx.keyId,
    ...(backlog === undefined ? {} : { backlog }),
  });
}

export function heartbeatPayload(
  gatewayId: string,
  at: number,
  uptimeSeconds: number,
  backlog: WireBacklog | undefined,
  meters?: { total: number; online: number },
): Uint8Array {
  return encodeHeartbeat({
    v: 1,
    gatewayId,
    at: new Date(at).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor(uptimeSeconds)),
    ...(backlog === undefined ? {} : { backlog }),
    ...(meters === undefined ? {} : { meters }),
  });
}

/** The wire's backlog summary over the outboxes (reads and events together). */
export function outboxBacklog(outboxes: readonly Outbox[]): WireBacklog {
  let count = 0;
  let bytes = 0;
  let oldest: number | null = null;
  for (const outbox of outboxes) {
    const b = outbox.backlog();
    count += b.count;
    bytes += b.bytes;
    if (b.oldestCreatedAt !== null && (oldest === null || b.oldestCreatedAt < oldest)) oldest = b.oldestCreatedAt;
  }
  return { count, bytes, oldestAt: oldest === null ? null : new Date(oldest).toISOString() };
}
