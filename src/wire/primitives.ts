import { z } from 'zod';

/**
 * Field schemas shared by several messages. Times are ISO 8601 with an explicit offset (`Z` or
 * `+07:00`): a meter's local time without its offset is ambiguous at the wire and would break the
 * idempotency key. Calendar dates (billing periods) are plain `YYYY-MM-DD`, local to the utility.
 */
export const IsoDateTime = z.iso.datetime({ offset: true });
export const IsoDate = z.iso.date();

export const GatewayIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'invalid gateway id');

/** Key id: 16 lowercase hex chars, the SHA-256 prefix of the raw Ed25519 public key (see keys.ts). */
export const KeyIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'invalid key id (16 lowercase hex chars)');

/** Meter ids as the gateway's registry names them (asset code or serial): printable, no separators. */
export const MeterIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'invalid meter id');

/** CMIS codes (MA_DDO, MA_KHANG, MA_QUYEN): plain printable text, since they end up in XML and file names. */
export const CmisCodeSchema = z.string().min(1).max(32).regex(/^[A-Za-z0-9._-]+$/, 'invalid CMIS code');

/** Sequence numbers start at 1 and stay exact in a JS number. */
export const SeqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** An exact decimal, never a float: `123456.8`, `-0.25`. Index values are billed, rounding is CMIS's job. */
export const DecimalString = z
  .string()
  .max(40)
  .regex(/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'not an exact decimal string');

/** A strictly positive exact decimal (the HSN multiplier). */
export const PositiveDecimalString = DecimalString.refine((s) => !s.startsWith('-') && /[1-9]/.test(s), {
  message: 'must be a positive decimal',
});

/** OBIS code in `a.b.c.d.e.f` form, each group 0–255 (IEC 62056-6-1). */
export const ObisSchema = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'not an OBIS code a.b.c.d.e.f')
  .refine((s) => s.split('.').every((g) => Number(g) <= 255), { message: 'OBIS group above 255' });

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
