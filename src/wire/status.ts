import { z } from 'zod';
import { decodeMessage, encodeMessage } from './codec.js';
import { BacklogSchema, GatewayIdSchema, IsoDateTime, KeyIdSchema } from './primitives.js';

/**
 * `…/status`, retained: the birth message a gateway publishes on connect (`online`) and the last will it
 * registers with the broker at connect time (`offline`, `reason: 'will'`; its `at` is therefore the
 * connect time). A clean shutdown publishes `offline` with `reason: 'shutdown'` itself. Unsigned: the
 * broker's ACL already binds the topic to the gateway's login, and nothing irreversible follows from it.
 */
export const StatusMessageSchema = z.object({
  v: z.literal(1),
  gatewayId: GatewayIdSchema,
  state: z.enum(['online', 'offline']),
  reason: z.enum(['birth', 'will', 'shutdown']).optional(),
  /** Gateway software version (semver text). */
  version: z.string().min(1).max(64),
  /** Hash of the effective configuration, so the aggregator sees which gateways run stale settings. */
  configHash: z.string().min(1).max(128),
  at: IsoDateTime,
  /** Key the gateway signs with now: lets the aggregator warn before batches start failing. */
  keyId: KeyIdSchema.optional(),
  backlog: BacklogSchema.optional(),
});
export type StatusMessage = z.output<typeof StatusMessageSchema>;

/** `…/heartbeat`, QoS 0, every minute or so: liveness plus the numbers a dashboard wants. */
export const HeartbeatMessageSchema = z.object({
  v: z.literal(1),
  gatewayId: GatewayIdSchema,
  at: IsoDateTime,
  uptimeSeconds: z.number().int().min(0),
  meters: z.object({ total: z.number().int().min(0), online: z.number().int().min(0) }).optional(),
  backlog: BacklogSchema.optional(),
});
export type HeartbeatMessage = z.output<typeof HeartbeatMessageSchema>;

export const encodeStatus = (m: z.input<typeof StatusMessageSchema>): Uint8Array => encodeMessage(StatusMessageSchema, m, 'status');
export const decodeStatus = (bytes: Uint8Array): StatusMessage => decodeMessage(StatusMessageSchema, bytes, 'status');
export const encodeHeartbeat = (m: z.input<typeof HeartbeatMessageSchema>): Uint8Array =>
  encodeMessage(HeartbeatMessageSchema, m, 'heartbeat');
export const decodeHeartbeat = (bytes: Uint8Array): HeartbeatMessage => decodeMessage(HeartbeatMessageSchema, bytes, 'heartbeat');
