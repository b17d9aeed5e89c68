import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_BYTES, utf8, validate } from './codec.js';
import { openEnvelope, parsePayload, requireHeaderMatch, sealEnvelope, type EnvelopeHeader } from './envelope.js';
import type { KeyLookup } from './keys.js';
import {
  BacklogSchema,
  IsoDate,
  IsoDateTime,
  JsonValue,
  MeterIdSchema,
  ObisSchema,
  PeriodSchema,
  SeqSchema,
  CmisCodeSchema,
} from './primitives.js';
import { MAX_ITEMS_PER_BATCH, checkRange, requireSameKeyId, sequencedBatchFields, type OpenOptions, type OpenedBatch, type SignOptions } from './batch.js';
import { EpochSchema, SEQUENCE_STREAMS } from './sequence.js';

/**
 * Events a gateway reports, signed and sequenced like reads (their own `events` stream). They are what
 * lets the utility act before reading day: offline points found days ahead, anomalies watched daily.
 */
const CmisCode = CmisCodeSchema;
const Count = z.number().int().min(0);

const base = {
  /** When the gateway observed it. */
  at: IsoDateTime,
};

/** Shared by meter-offline / meter-online: the same facts, one says "went", the other "came back". */
const meterReachability = {
  ...base,
  meterId: MeterIdSchema,
  meteringPoint: CmisCode.optional(),
  /** Offline: since the first failed poll. Online: since the first good poll after the outage. */
  since: IsoDateTime,
  consecutiveFailures: Count,
  lastGoodRead: IsoDateTime.nullable(),
  /** The last error code seen (a DlmsError / TransportError code), for the offline-points list. */
  lastError: z.string().max(64).optional(),
};

export const MeterOfflineEventSchema = z.object({ type: z.literal('meter-offline'), ...meterReachability });
export const MeterOnlineEventSchema = z.object({ type: z.literal('meter-online'), ...meterReachability });

export const BusSilentEventSchema = z.object({
  type: z.literal('bus-silent'),
  ...base,
  /** The gateway's name for the bus (`rs485-1`, `rf-router-3`). */
  bus: z.string().min(1).max(64),
  since: IsoDateTime,
  metersAffected: z.array(MeterIdSchema).max(MAX_ITEMS_PER_BATCH),
});

/** The bus answers again after a bus-silent event: per-meter reachability is reported again from now on. */
export const BusRecoveredEventSchema = z.object({
  type: z.literal('bus-recovered'),
  ...base,
  bus: z.string().min(1).max(64),
  /** When the bus went silent. */
  silentSince: IsoDateTime,
});

/**
 * The meter answered but cannot be read as configured: a refused password, an object the model lacks, a
 * serial number that differs from the registry. Not offline — a technician must change the config or
 * the meter, and retrying will not help.
 */
export const MeterConfigProblemEventSchema = z.object({
  type: z.literal('meter-config-problem'),
  ...base,
  meterId: MeterIdSchema,
  meteringPoint: CmisCode.optional(),
  /** The MeterError code, e.g. METER_AUTH_FAILED, METER_OBJECT_UNDEFINED. */
  code: z.string().min(1).max(64),
  message: z.string().max(500),
  since: IsoDateTime,
});

export const ANOMALY_CODES = [
  'no-advance', // công tơ đứng: the index did not move while consumption was expected
  'negative-advance', // the index went backwards without a status explaining it
  'consumption-spike', // above the configured band against the previous period
  'consumption-drop', // below it
  'tariff-sum-mismatch', // BT + CD + TD ≠ KT beyond tolerance
  'clock-drift', // meter clock off by more than allowed
  'clock-invalid', // meter clock status invalid / not set
  'export-on-import-only', // export energy on a meter whose customer only imports (reversed wiring?)
  'meter-event', // from the meter's event log: cover open, magnetic tamper, power failure…
  'rollover', // the register wrapped
  'meter-swap-suspected', // serial or index changed as if the meter had been replaced (treo tháo)
  'intermittent', // the meter answers some polls and not others: likely unreadable on reading day
] as const;
export type AnomalyCode = (typeof ANOMALY_CODES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;

export const AnomalyEventSchema = z.object({
  type: z.literal('anomaly'),
  ...base,
  /** Stable for one anomaly across raise and clear, so reports can list open ones. */
  anomalyId: z.string().min(1).max(128),
  state: z.enum(['raised', 'cleared']),
  code: z.enum(ANOMALY_CODES),
  severity: z.enum(SEVERITIES),
  meterId: MeterIdSchema,
  meteringPoint: CmisCode.optional(),
  obis: ObisSchema.optional(),
  /** The facts behind the flag (indexes, consumptions, times): what an operator needs to judge it. */
  evidence: z.record(z.string(), JsonValue),
  /** The thresholds in force when it was raised, so a later change of settings does not rewrite history. */
  thresholds: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
});

const OfflinePointSchema = z.object({
  meterId: MeterIdSchema,
  meteringPoint: CmisCode.optional(),
  bookCode: CmisCode.optional(),
  since: IsoDateTime,
  lastGoodRead: IsoDateTime.nullable(),
});

const OpenAnomalySchema = z.object({
  anomalyId: z.string().min(1).max(128),
  code: z.enum(ANOMALY_CODES),
  severity: z.enum(SEVERITIES),
  meterId: MeterIdSchema,
  since: IsoDateTime,
});

/** Sent ahead of reading day: what would be missing or doubtful if the books were cut now. */
export const PreCutoffReportEventSchema = z.object({
  type: z.literal('pre-cutoff-report'),
  ...base,
  period: PeriodSchema,
  cutoffAt: IsoDateTime,
  bookCodes: z.array(CmisCode).optional(),
  pointsTotal: Count,
  pointsOnline: Count,
  offlinePoints: z.array(OfflinePointSchema).max(MAX_ITEMS_PER_BATCH),
  openAnomalies: z.array(OpenAnomalySchema).max(MAX_ITEMS_PER_BATCH),
});

export const DailyDigestEventSchema = z.object({
  type: z.literal('daily-digest'),
  ...base,
  date: IsoDate,
  metersTotal: Count,
  metersRead: Count,
  metersFailed: Count,
  readsCollected: Count,
  offlineCount: Count,
  anomaliesRaised: Count,
  anomaliesCleared: Count,
  backlog: BacklogSchema.optional(),
  /** The offline points with since-when, book and route order, when the gateway sends the list. */
  offlinePoints: z.array(OfflinePointSchema).max(MAX_ITEMS_PER_BATCH).optional(),
  openAnomalies: z.array(OpenAnomalySchema).max(MAX_ITEMS_PER_BATCH).optional(),
});

/**
 * The gateway has deleted unacked items for good (outbox full). The aggregator moves its high-water mark
 * over [seqFrom, seqTo] of `stream` so that later batches are not refused as a gap forever.
 */
export const OutboxPrunedEventSchema = z
  .object({
    type: z.literal('outbox-pruned'),
    ...base,
    stream: z.enum(SEQUENCE_STREAMS),
    epoch: EpochSchema,
    seqFrom: SeqSchema,
    seqTo: SeqSchema,
    reason: z.string().min(1).max(200),
  })
  .refine((e) => e.seqTo >= e.seqFrom, { path: ['seqTo'], message: 'seqTo before seqFrom' });

export const GatewayEventSchema = z.discriminatedUnion('type', [
  MeterOfflineEventSchema,
  MeterOnlineEventSchema,
  BusSilentEventSchema,
  BusRecoveredEventSchema,
  MeterConfigProblemEventSchema,
  AnomalyEventSchema,
  PreCutoffReportEventSchema,
  DailyDigestEventSchema,
  OutboxPrunedEventSchema,
]);
export type GatewayEvent = z.output<typeof GatewayEventSchema>;
export type GatewayEventType = GatewayEvent['type'];

export const EventBatchSchema = z
  .object({
    v: z.literal(1),
    type: z.literal('events'),
    ...sequencedBatchFields,
    events: z.array(GatewayEventSchema).min(1).max(MAX_ITEMS_PER_BATCH),
  })
  .superRefine((batch, ctx) => checkRange(batch, batch.events.length, 'events', ctx));

export type EventBatch = z.output<typeof EventBatchSchema>;
export type EventBatchInput = Omit<z.input<typeof EventBatchSchema>, 'v' | 'type' | 'keyId'> & {
  v?: 1;
  type?: 'events';
  keyId?: string;
};

/** The MQTT payload for `…/events`. */
export function signEvents(batch: EventBatchInput, privateKey: KeyObject, keyId: string, options: SignOptions = {}): Uint8Array {
  requireSameKeyId(batch.keyId, keyId, 'events batch');
  const valid = validate(EventBatchSchema, { ...batch, v: 1, type: 'events', keyId }, 'events batch');
  return sealEnvelope(
    { type: 'events', gatewayId: valid.gatewayId, keyId, seqFrom: valid.seqFrom, seqTo: valid.seqTo },
    utf8(JSON.stringify(valid)),
    privateKey,
    options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  );
}

/** Verify and parse a `…/events` payload; same errors as openSignedBatch. */
export function openSignedEvents(
  payload: Uint8Array,
  lookupKey: KeyLookup,
  options: OpenOptions = {},
): Omit<OpenedBatch, 'batch'> & { batch: EventBatch } {
  const { envelope, payloadBytes, sig } = openEnvelope(payload, {
    type: 'events',
    lookup: (env) => lookupKey(env.gatewayId, env.keyId),
    topicGatewayId: options.gatewayId,
    maxBytes: options.maxBytes,
  });
  return { batch: readVerifiedEvents(envelope, payloadBytes), envelope, payloadBytes, sig };
}

/** The second half of openSignedEvents: the payload of an envelope that verified (verifySigned), parsed and checked against it. */
export function readVerifiedEvents(header: EnvelopeHeader, payloadBytes: Uint8Array): EventBatch {
  const batch = parsePayload(EventBatchSchema, payloadBytes, 'events batch');
  requireHeaderMatch(header, batch, 'events batch');
  return batch;
}
