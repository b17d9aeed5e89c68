import { z } from 'zod';

/**
 * Field schemas shared by several messages. Times are ISO 8601 with an explicit offset (`Z` or
 * `+07:00`): a meter's local time without its offset is ambiguous at the wire and would break the
 * idempotency key. Calendar dates (billing periods) are plain `YYYY-MM-DD`, local to the utility.
 */
export const IsoDateTime = z.iso.datetime({ offset: true });
export const IsoDate = z.iso.date();

/**
 * The patterns behind the schemas below, shared with the hand-written checks of the ingest's hot path
 * (fast-check.ts) so that both always test the very same expressions.
 */
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
export const METER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const CMIS_CODE_PATTERN = /^[A-Za-z0-9._-]+$/;
export const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
export const OBIS_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export const GatewayIdSchema = z.string().regex(GATEWAY_ID_PATTERN, 'invalid gateway id');

/** Key id: 16 lowercase hex chars, the SHA-256 prefix of the raw Ed25519 public key (see keys.ts). */
export const KeyIdSchema = z.string().regex(KEY_ID_PATTERN, 'invalid key id (16 lowercase hex chars)');

/** Meter ids as the gateway's registry names them (asset code or serial): printable, no separators. */
export const MeterIdSchema = z.string().min(1).max(64).regex(METER_ID_PATTERN, 'invalid meter id');

/** CMIS codes (MA_DDO, MA_KHANG, MA_QUYEN): plain printable text, since they end up in XML and file names. */
export const CmisCodeSchema = z.string().min(1).max(32).regex(CMIS_CODE_PATTERN, 'invalid CMIS code');

/** Sequence numbers start at 1 and stay exact in a JS number. */
export const SeqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** An exact decimal, never a float: `123456.8`, `-0.25`. Index values are billed, rounding is CMIS's job. */
export const DecimalString = z.string().max(40).regex(DECIMAL_PATTERN, 'not an exact decimal string');

/** A strictly positive exact decimal (the HSN multiplier). */
export const PositiveDecimalString = DecimalString.refine(isPositiveDecimalText, { message: 'must be a positive decimal' });

/** For a string that already matched DECIMAL_PATTERN: strictly above zero. */
export function isPositiveDecimalText(s: string): boolean {
  return !s.startsWith('-') && /[1-9]/.test(s);
}

/** OBIS code in `a.b.c.d.e.f` form, each group 0–255 (IEC 62056-6-1). */
export const ObisSchema = z
  .string()
  .regex(OBIS_PATTERN, 'not an OBIS code a.b.c.d.e.f')
  .refine(obisGroupsInRange, { message: 'OBIS group above 255' });

/** For a string that already matched OBIS_PATTERN: every group 0–255. */
export function obisGroupsInRange(s: string): boolean {
  return s.split('.').every((g) => Number(g) <= 255);
}

/** Free JSON (evidence, command results): bounded only by the message byte limit. */
export const JsonValue = z.json();
export type JsonValue = z.infer<typeof JsonValue>;

export const PeriodSchema = z
  .object({ start: IsoDate, end: IsoDate })
  .refine((p) => p.start <= p.end, { message: 'period start after end', path: ['end'] });
export type Period = z.infer<typeof PeriodSchema>;

export const BacklogSchema = z.object({
  count: z.number().int().min(0),
  oldestAt: IsoDateTime.nullable(),
  bytes: z.number().int().min(0),
});
export type Backlog = z.infer<typeof BacklogSchema>;
