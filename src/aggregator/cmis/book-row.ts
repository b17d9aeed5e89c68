import { z } from 'zod';
import { canonicalDecimal, isDecimalText } from '../rules/decimal.js';
import { normalizeLocalDateTime } from '../rules/local-time.js';
import { isStatusCode } from '../rules/status-codes.js';
import { CMIS_COLUMNS, isCmisColumn, type CmisColumn } from './columns.js';
import { CmisError } from './errors.js';
import { fastBookRow } from './book-row-fast.js';

/**
 * One row of a CMIS book (one register of one metering point), typed. Indexes, consumptions, HSN and
 * household counts stay decimal strings in canonical form ("12345.6", never a float): billing arithmetic
 * on them goes through rules/decimal.ts. Free text (names, addresses) is kept exactly as written; codes,
 * numbers and dates are trimmed. Absent optional columns are `undefined`; an empty element is `''` for a
 * text column and `undefined` for a number or date column (there is no number in it).
 */
const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const text = z.string();
const required = (re: RegExp, what: string) =>
  z
    .string({ error: (i) => (i.input === undefined ? 'missing required column' : 'not text') })
    .trim()
    .regex(re, what);
const decimal = (signed: boolean) =>
  z
    .string()
    .trim()
    .refine((s) => isDecimalText(s) && (signed || !s.startsWith('-')), signed ? 'not a decimal number' : 'not a non-negative decimal number')
    .transform((s) => canonicalDecimal(s));
const requiredDecimal = (signed: boolean) =>
  z.string({ error: (i) => (i.input === undefined ? 'missing required column' : 'not text') }).pipe(decimal(signed));
const optionalDecimal = (signed: boolean) => z.preprocess(blankToUndefined, decimal(signed).optional());
const integer = (min: number, max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? 'missing required column' : 'not text') })
    .trim()
    .regex(/^\+?\d{1,9}$/, 'not a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const date = z.preprocess(
  blankToUndefined,
  z
    .string()
    .trim()
    .transform((s, ctx) => {
      try {
        return normalizeLocalDateTime(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not a local date/time such as 2017-07-14T00:00:00' });
        return z.NEVER;
      }
    })
    .optional(),
);
const status = z.string().trim().refine(isStatusCode, 'not a TTR status code (empty, Q, C, K, H, G, T, U, V, M, D, L or X)').optional();
const flag = z.preprocess(
  blankToUndefined,
  z
    .string()
    .trim()
    .transform((s, ctx) => {
      const v = s.toLowerCase();
      if (v === '1' || v === 'true') return 1 as const;
      if (v === '0' || v === 'false') return 0 as const;
      ctx.addIssue({ code: 'custom', message: 'not 0/1 (or true/false)' });
      return z.NEVER;
    })
    .optional(),
);

export const cmisBookRowSchema = z.object({
  MA_DVIQLY: required(/^[A-Z0-9]{6}$/, 'unit code must be 6 letters/digits (e.g. PD0100)'),
  MA_QUYEN: required(/^[A-Za-z0-9_.-]+$/, 'book code must be letters, digits, "_", "." or "-"'),
  MA_GC: required(/^\S+$/, 'route position must be non-empty, without spaces'),
  MA_TRAM: text.optional(),
  MA_KHANG: text.optional(),
  MA_DDO: required(/^\S+$/, 'metering point code must be non-empty, without spaces'),
  MA_NVGCS: text.optional(),
  MA_CTO: text.optional(),
  SERY_CTO: text.optional(),
  LOAI_BCS: required(/^[A-Z]{2,3}$/, 'register must be 2–3 capital letters (KT, BT, CD, TD, VC, SG)'),
  LOAI_CS: text.optional(),
  BOCSO_ID: z.preprocess(blankToUndefined, z.string().trim().regex(/^\d{1,18}$/, 'not a whole number').optional()),
  TEN_KHANG: text.optional(),
  DIA_CHI: text.optional(),
  MA_NN: text.optional(),
  SO_HO: optionalDecimal(false),
  HSN: requiredDecimal(false).refine((s) => /[1-9]/.test(s), 'HSN must be greater than 0'),
  CS_CU: requiredDecimal(false),
  TTR_CU: status,
  SL_CU: optionalDecimal(true),
  SL_TTIEP: optionalDecimal(true),
  NGAY_CU: date,
  CS_MOI: optionalDecimal(false),
  TTR_MOI: status,
  SL_MOI: optionalDecimal(true),
  CHUOI_GIA: text.optional(),
  KY: integer(1, 3),
  THANG: integer(1, 12),
  NAM: integer(1900, 2999),
  NGAY_MOI: date,
  NGUOI_GCS: text.optional(),
  SL_THAO: optionalDecimal(true),
  KIMUA_CSPK: flag,
  MA_COT: text.optional(),
  SLUONG_1: optionalDecimal(true),
  SLUONG_2: optionalDecimal(true),
  SLUONG_3: optionalDecimal(true),
  SO_HOM: text.optional(),
  PMAX: optionalDecimal(false),
  NGAY_PMAX: date,
});

export type CmisBookRowFields = z.output<typeof cmisBookRowSchema>;

export type CmisBookRow = CmisBookRowFields & {
  /** Columns CMIS sent that this model does not know, kept so that a round trip loses nothing. */
  readonly extra?: Readonly<Record<string, string>>;
};

export interface RowLocation {
  readonly file?: string;
  /** 1-based row number in the file. */
  readonly row: number;
  /** Source line of the row's <Table1>, when read from XML. */
  readonly line?: number;
}

/**
 * Validates one row given as column → raw text. Errors name the file, the row (MA_DDO/LOAI_BCS) and the column.
 * Rows already in canonical form (what our own export writes, and nearly every CMIS row) are accepted by
 * fastBookRow without zod; anything else, including every invalid row, goes through cmisBookRowSchema,
 * which alone decides what is refused and how the error reads.
 */
export function parseBookRow(raw: Readonly<Record<string, string>>, where: RowLocation): CmisBookRow {
  const known: Record<string, string> = {};
  let extra: Record<string, string> | undefined;
  for (const name in raw) {
    if (!Object.prototype.hasOwnProperty.call(raw, name)) continue;
    const value = raw[name] as string;
    if (isCmisColumn(name)) known[name] = value;
    else (extra ??= {})[name] = value;
  }
  const fast = fastBookRow(known);
  if (fast !== undefined) return extra === undefined ? fast : { ...fast, extra };
  const result = cmisBookRowSchema.safeParse(known);
  if (!result.success) {
    const issue = result.error.issues[0];
    const column = String(issue?.path[0] ?? '?');
    const value = known[column];
    const shown = value === undefined ? '' : ` ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}:`;
    throw rowError(where, raw, column, `${shown} ${issue?.message ?? 'invalid'}`);
  }
  return extra !== undefined ? { ...result.data, extra } : result.data;
}

export function rowError(where: RowLocation, raw: Readonly<Record<string, string | number | undefined>>, column: string | undefined, message: string): CmisError {
  const ids = [raw.MA_DDO === undefined ? undefined : `MA_DDO ${raw.MA_DDO}`, raw.LOAI_BCS === undefined ? undefined : `LOAI_BCS ${raw.LOAI_BCS}`, where.line === undefined ? undefined : `line ${where.line}`]
    .filter((s) => s !== undefined)
    .join(', ');
  const file = where.file ?? 'book';
  return new CmisError('CMIS_BAD_ROW', `${file}: row ${where.row}${ids ? ` (${ids})` : ''}${column === undefined ? '' : `, column ${column}`}:${message}`, {
    context: {
      file,
      row: where.row,
      column,
      line: where.line,
      maDdo: raw.MA_DDO === undefined ? undefined : String(raw.MA_DDO),
      loaiBcs: raw.LOAI_BCS === undefined ? undefined : String(raw.LOAI_BCS),
    },
  });
}

/** A row back to column → text, known columns in CMIS order then extras by name; absent columns left out. */
export function bookRowToRaw(row: CmisBookRow): [string, string][] {
  const out: [string, string][] = [];
  const fields = row as Record<CmisColumn, string | number | undefined>;
  for (const column of CMIS_COLUMNS) {
    const value = fields[column];
    if (value !== undefined) out.push([column, String(value)]);
  }
  for (const name of Object.keys(row.extra ?? {}).sort()) out.push([name, (row.extra as Record<string, string>)[name] as string]);
  return out;
}
