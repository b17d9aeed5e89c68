import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_BYTES, decodeMessage, encodeMessage, utf8, validate } from './codec.js';
import { openEnvelope, parsePayload, requireHeaderMatch, sealEnvelope, type SignedEnvelope } from './envelope.js';
import { WireError } from './errors.js';
import {
  CmisCodeSchema,
  DecimalString,
  GatewayIdSchema,
  IsoDateTime,
  JsonValue,
  KeyIdSchema,
  MeterIdSchema,
  ObisSchema,
  PeriodSchema,
} from './primitives.js';
import { BCS_CODES, READ_UNITS } from './reads.js';

/**
 * `…/cmd`, aggregator → gateway, signed with the aggregator's Ed25519 key in the same envelope as reads
 * (header gatewayId = the addressee), so a gateway refuses a command that did not come from the
 * aggregator even if the broker were bypassed. Replays: every command has a uuid and a short life; the
 * gateway remembers the ids it executed until they expire and ignores repeats (QoS 1 redeliveries).
 */
export const MAX_COMMAND_LIFETIME_MS = 24 * 60 * 60 * 1000;

const CmisCode = CmisCodeSchema;

export const ReadNowCommandSchema = z.object({
  type: z.literal('read-now'),
  meterId: MeterIdSchema,
  /** OBIS codes to read; all billed registers of the meter's profile when absent. */
  registers: z.array(ObisSchema).min(1).max(64).optional(),
  /** phúc tra: an independent re-verification; the reads come back flagged `reread`. */
  purpose: z.enum(['phuc-tra', 'on-demand', 'swap-check']),
});

/** A read id (the idempotency key of a read, see makeReadId in reads.ts) as an answer names it. */
const ReadIdSchema = z.string().min(1).max(256);

/**
 * The `result` of an ok `read-now` response. The values are for people only (the response is unsigned);
 * the reads themselves travel signed on the `reads` stream, flagged `reread`, and `readIds` names exactly
 * those reads (one per register) so central waits for them and nothing else. `readIds` was added after the
 * first gateways shipped: an answer without it is still valid, and central then derives the read id from
 * `meterTime` (null when the meter gave no usable time).
 */
export const ReadNowResultSchema = z.object({
  meterId: MeterIdSchema,
  meterTime: IsoDateTime.nullable(),
  registers: z
    .array(z.object({ obis: ObisSchema, bcs: z.enum(BCS_CODES).nullable(), value: DecimalString, unit: z.enum(READ_UNITS).nullable() }))
    .max(256),
  readIds: z.array(ReadIdSchema).max(256).optional(),
});
export type ReadNowResult = z.output<typeof ReadNowResultSchema>;

/**
 * What central needs from a `read-now` answer to find its reads: `readIds` and `meterTime`, each taken only
 * when well formed, whatever else the answer holds (an older gateway, or one that adds fields). Never throws.
 */
export function readNowPointers(result: unknown): { readIds?: string[]; meterTime?: string } {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return {};
  const r = result as Record<string, unknown>;
  const ids = z.array(ReadIdSchema).max(256).safeParse(r['readIds']);
  const time = IsoDateTime.safeParse(r['meterTime']);
  return { ...(ids.success ? { readIds: ids.data } : {}), ...(time.success ? { meterTime: time.data } : {}) };
}

export const RereadBookCommandSchema = z.object({
  type: z.literal('reread-book'),
  bookCode: CmisCode,
  period: PeriodSchema.optional(),
});

export const ClockSyncCommandSchema = z.object({
  type: z.literal('clock-sync'),
  /** One meter, or every meter of the gateway when absent. */
  meterId: MeterIdSchema.optional(),
  /** Refuse to move a clock further than this: a large jump needs a person to look first. */
  maxAdjustSeconds: z.number().int().min(1).max(86_400),
});

export const ReloadConfigCommandSchema = z.object({
  type: z.literal('reload-config'),
  /** The hash the gateway should end up with; it reports a mismatch in its response. */
  expectConfigHash: z.string().min(1).max(128).optional(),
});

export const CommandSchema = z.discriminatedUnion('type', [
  ReadNowCommandSchema,
  RereadBookCommandSchema,
  ClockSyncCommandSchema,
  ReloadConfigCommandSchema,
]);
export type Command = z.output<typeof CommandSchema>;

export const CommandMessageSchema = z
  .object({
    v: z.literal(1),
    type: z.literal('command'),
    id: z.uuid(),
    gatewayId: GatewayIdSchema,
    /** The aggregator key that signed it. */
    keyId: KeyIdSchema,
    issuedAt: IsoDateTime,
    expiresAt: IsoDateTime,
    command: CommandSchema,
  })
  .superRefine((m, ctx) => {
    const life = Date.parse(m.expiresAt) - Date.parse(m.issuedAt);
    if (!(life > 0)) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'expiresAt not after issuedAt' });
    else if (life > MAX_COMMAND_LIFETIME_MS) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'command lifetime over 24 h' });
    }
  });
export type CommandMessage = z.output<typeof CommandMessageSchema>;
export type CommandMessageInput = Omit<z.input<typeof CommandMessageSchema>, 'v' | 'type' | 'keyId'> & {
  v?: 1;
  type?: 'command';
  keyId?: string;
};

/** The MQTT payload for `…/gw/{gatewayId}/cmd`, signed with the aggregator's key. */
export function signCommand(
  message: CommandMessageInput,
  privateKey: KeyObject,
  keyId: string,
  options: { maxBytes?: number } = {},
): Uint8Array {
  if (message.keyId !== undefined && message.keyId !== keyId) {
    throw new WireError('WIRE_BAD_KEY', `command: keyId ${message.keyId} in the message, ${keyId} given to sign with`);
  }
  const valid = validate(CommandMessageSchema, { ...message, v: 1, type: 'command', keyId }, 'command');
  return sealEnvelope(
    { type: 'command', gatewayId: valid.gatewayId, keyId },
    utf8(JSON.stringify(valid)),
    privateKey,
    options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  );
}

export interface OpenCommandOptions {
  /** The receiving gateway's own id: a command for another gateway is WIRE_GATEWAY_MISMATCH. */
  gatewayId: string;
  /** Current time (ms since epoch), from the caller's Clock: an expired command is WIRE_EXPIRED. */
  now: number;
  maxBytes?: number;
}

/** Verify and parse a command at the gateway. `lookupKey` finds an aggregator public key by key id. */
export function openSignedCommand(
  payload: Uint8Array,
  lookupKey: (keyId: string) => KeyObject | undefined,
  options: OpenCommandOptions,
): { command: CommandMessage; envelope: SignedEnvelope } {
  const { envelope, payloadBytes } = openEnvelope(payload, {
    type: 'command',
    lookup: (env) => lookupKey(env.keyId),
    topicGatewayId: options.gatewayId,
    maxBytes: options.maxBytes,
  });
  const command = parsePayload(CommandMessageSchema, payloadBytes, 'command');
  requireHeaderMatch(envelope, command, 'command');
  if (Date.parse(command.expiresAt) <= options.now) {
    throw new WireError('WIRE_EXPIRED', `command ${command.id} expired at ${command.expiresAt}`, {
      context: { commandId: command.id, expiresAt: command.expiresAt },
    });
  }
  return { command, envelope };
}

/**
 * `…/cmd/response`, gateway → aggregator, correlated by `id`. Unsigned: any data a command produces
 * (the reads of a read-now) travels on the signed reads stream; `result` only points at it (readIds).
 */
export const CommandResponseSchema = z
  .object({
    v: z.literal(1),
    id: z.uuid(),
    gatewayId: GatewayIdSchema,
    ok: z.boolean(),
    at: IsoDateTime.optional(),
    result: JsonValue.optional(),
    error: z.object({ code: z.string().min(1).max(64), message: z.string().max(1000) }).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.ok && r.error !== undefined) ctx.addIssue({ code: 'custom', path: ['error'], message: 'error on an ok response' });
    if (!r.ok && r.error === undefined) ctx.addIssue({ code: 'custom', path: ['error'], message: 'a failed response needs an error' });
  });
export type CommandResponse = z.output<typeof CommandResponseSchema>;

export const encodeCommandResponse = (m: z.input<typeof CommandResponseSchema>): Uint8Array =>
  encodeMessage(CommandResponseSchema, m, 'command response');
export const decodeCommandResponse = (bytes: Uint8Array): CommandResponse =>
  decodeMessage(CommandResponseSchema, bytes, 'command response');
