import { z } from 'zod';
import { validate } from './codec.js';
import {
  DecimalString,
  IsoDate,
  IsoDateTime,
  MeterIdSchema,
  ObisSchema,
  PositiveDecimalString,
  GatewayIdSchema,
  CmisCodeSchema,
} from './primitives.js';

/** BCS (bộ chỉ số, CMIS LOAI_BCS): which billed register a read is. null for registers CMIS does not bill. */
export const BCS_CODES = ['KT', 'BT', 'CD', 'TD', 'VC', 'SG'] as const;
export type Bcs = (typeof BCS_CODES)[number];

/** Units as the gateway reports them after applying the COSEM scaler (IEC 62056-6-2 unit enumeration). */
export const READ_UNITS = ['Wh', 'kWh', 'MWh', 'varh', 'kvarh', 'Mvarh', 'VAh', 'kVAh', 'W', 'kW', 'var', 'kvar', 'VA', 'kVA', 'V', 'A', 'Hz'] as const;
export type ReadUnit = (typeof READ_UNITS)[number];

export const READ_KINDS = ['register', 'billing-snapshot', 'load-profile', 'event'] as const;
export type ReadKind = (typeof READ_KINDS)[number];

/**
 * Quality flags. `ok` means "read directly, nothing to report" and cannot be combined with a flag that
 * says the value or its time is doubtful; informational flags (`billing-snapshot`, `reread`) combine with it.
 * - clock-invalid: the meter's clock status says invalid/not set; meterTime is the gateway's receive time.
 * - clock-drift: the meter clock differed from the gateway's by more than the configured limit.
 * - estimated: tạm tính, not a measured value (allowed at most 2 consecutive months).
 * - billing-snapshot: taken from the meter's own month-end snapshot (0.0.98.1.0.255).
 * - partial: a profile/snapshot that was only partly read.
 * - rollover: the register wrapped since the previous read (CMIS status Q).
 * - reread: read again on request (phúc tra or an operator's read-now).
 * - status-warning: the register's status attribute (class 4) reported a problem.
 */
export const QUALITY_FLAGS = [
  'ok',
  'clock-invalid',
  'clock-drift',
  'estimated',
  'billing-snapshot',
  'partial',
  'rollover',
  'reread',
  'status-warning',
] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

/** Flags that say the value or its time is doubtful: never together with `ok`. */
export const DOUBT_FLAGS: ReadonlySet<QualityFlag> = new Set(['clock-invalid', 'clock-drift', 'estimated', 'partial', 'status-warning']);

const CmisCode = CmisCodeSchema;

export const ReadRecordSchema = z
  .object({
    /** Idempotency key, see makeReadId. Two reads with one readId are the same read. */
    readId: z.string().min(1).max(256),
    meterId: MeterIdSchema,
    /** MA_DDO: customer code + 3 digits. */
    meteringPoint: CmisCode,
    customerCode: CmisCode.optional(),
    bookCode: CmisCode.optional(),
    routeOrder: z.number().int().min(1).max(1_000_000).optional(),
    obis: ObisSchema,
    bcs: z.enum(BCS_CODES).nullable(),
    /** Already multiplied by 10^scaler, in `unit`; exact decimal text, never a float. */
    value: DecimalString,
    unit: z.enum(READ_UNITS).nullable(),
    /** The COSEM scaler that was applied (attribute 3 of the register), kept for audit. */
    scaler: z.number().int().min(-128).max(127).optional(),
    /** The time the meter stamped (or the capture time of a snapshot / profile entry). */
    meterTime: IsoDateTime,
    /** When the gateway received it from the meter. */
    receivedAt: IsoDateTime,
    quality: z.array(z.enum(QUALITY_FLAGS)).min(1).max(QUALITY_FLAGS.length),
    kind: z.enum(READ_KINDS),
    /** The billing period the read belongs to (NGAY_DKY / NGAY_CKY in CMIS). */
    periodStart: IsoDate.optional(),
    periodEnd: IsoDate.optional(),
    /** HSN: CT ratio × PT ratio. Not applied to `value`: CMIS multiplies the consumption, not the index. */
    multiplier: PositiveDecimalString,
  })
  .superRefine((r, ctx) => {
    if (new Set(r.quality).size !== r.quality.length) {
      ctx.addIssue({ code: 'custom', path: ['quality'], message: 'duplicate quality flag' });
    }
    if (r.quality.includes('ok') && r.quality.some((q) => DOUBT_FLAGS.has(q))) {
      ctx.addIssue({ code: 'custom', path: ['quality'], message: "'ok' combined with a flag that doubts the read" });
    }
    if ((r.periodStart === undefined) !== (r.periodEnd === undefined)) {
      ctx.addIssue({ code: 'custom', path: [r.periodStart === undefined ? 'periodStart' : 'periodEnd'], message: 'period needs both start and end' });
    } else if (r.periodStart !== undefined && r.periodEnd !== undefined && r.periodStart > r.periodEnd) {
      ctx.addIssue({ code: 'custom', path: ['periodEnd'], message: 'periodEnd before periodStart' });
    }
  });

export type ReadRecord = z.output<typeof ReadRecordSchema>;

const ReadIdPartsSchema = z.object({
  gatewayId: GatewayIdSchema,
  meterId: MeterIdSchema,
  obis: ObisSchema,
  kind: z.enum(READ_KINDS),
  meterTime: IsoDateTime,
});
export type ReadIdParts = z.input<typeof ReadIdPartsSchema>;

/**
 * The idempotency key: `{gatewayId}|{meterId}|{obis}|{kind}|{meterTime as UTC ISO with ms}`. The time is
 * normalised to UTC so that `…T07:00:00+07:00` and `…T00:00:00Z` give one key; the kind is part of it
 * because a register read and the meter's billing snapshot of the same register can carry the same time.
 * The separator `|` cannot occur in any part (gateway ids, meter ids, OBIS and ISO times exclude it).
 */
export function makeReadId(parts: ReadIdParts): string {
  validate(ReadIdPartsSchema, parts, 'read id');
  const utc = new Date(parts.meterTime).toISOString();
  return `${parts.gatewayId}|${parts.meterId}|${parts.obis}|${parts.kind}|${utc}`;
}
