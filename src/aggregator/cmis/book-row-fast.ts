import { normalizeLocalDateTime } from '../rules/local-time.js';
import { isStatusCode } from '../rules/status-codes.js';
import type { CmisBookRowFields } from './book-row.js';
import { CMIS_COLUMNS, type CmisColumn } from './columns.js';

/**
 * The common case of cmisBookRowSchema without zod: a row whose every value is already in canonical form
 * (trimmed codes, canonical decimals, whole numbers without sign, local dates as normalizeLocalDateTime
 * gives them, status codes from the catalogue). It gives exactly what the schema would give for such a
 * row, and `undefined` as soon as one value is anything else, so that the schema decides (and words the
 * error). Validating with zod costs ~0.2 ms a row; a month-end export re-reads 4.7 M of them.
 */
export type Kind = 'text' | 'code' | 'id' | 'udec' | 'sdec' | 'req-udec' | 'hsn' | 'int' | 'date' | 'status' | 'flag';

export const CODE_RE: Partial<Record<CmisColumn, RegExp>> = {
  MA_DVIQLY: /^[A-Z0-9]{6}$/,
  MA_QUYEN: /^[A-Za-z0-9_.-]+$/,
  MA_GC: /^\S+$/, // trim() and \s remove the same characters: no white space means trim changes nothing
  MA_DDO: /^\S+$/,
  LOAI_BCS: /^[A-Z]{2,3}$/,
};
export const INT_RANGE: Partial<Record<CmisColumn, readonly [number, number]>> = { KY: [1, 3], THANG: [1, 12], NAM: [1900, 2999] };

export const KIND: Record<CmisColumn, Kind> = {
  MA_DVIQLY: 'code', MA_QUYEN: 'code', MA_GC: 'code', MA_TRAM: 'text', MA_KHANG: 'text', MA_DDO: 'code', MA_NVGCS: 'text',
  MA_CTO: 'text', SERY_CTO: 'text', LOAI_BCS: 'code', LOAI_CS: 'text', BOCSO_ID: 'id', TEN_KHANG: 'text', DIA_CHI: 'text',
  MA_NN: 'text', SO_HO: 'udec', HSN: 'hsn', CS_CU: 'req-udec', TTR_CU: 'status', SL_CU: 'sdec', SL_TTIEP: 'sdec', NGAY_CU: 'date',
  CS_MOI: 'udec', TTR_MOI: 'status', SL_MOI: 'sdec', CHUOI_GIA: 'text', KY: 'int', THANG: 'int', NAM: 'int', NGAY_MOI: 'date',
  NGUOI_GCS: 'text', SL_THAO: 'sdec', KIMUA_CSPK: 'flag', MA_COT: 'text', SLUONG_1: 'sdec', SLUONG_2: 'sdec', SLUONG_3: 'sdec',
  SO_HOM: 'text', PMAX: 'udec', NGAY_PMAX: 'date',
};
const COLUMNS = CMIS_COLUMNS.map((c) => [c, KIND[c]] as const);
export const REQUIRED: ReadonlySet<Kind> = new Set(['code', 'req-udec', 'hsn', 'int']);

// Canonical decimals (rules/decimal.ts canonicalDecimal): no "+", no leading zero, fraction as written.
// The digit caps stay well inside parseDecimal's 60, so nothing it would refuse passes here.
const UNSIGNED = /^(?:0|[1-9]\d{0,29})(?:\.\d{1,30})?$/;
const NEGATIVE = /^-(?:0|[1-9]\d{0,29})(?:\.\d{1,30})?$/;
const NON_ZERO = /[1-9]/;
const WHOLE = /^\d{1,9}$/;
const ID = /^\d{1,18}$/;
/** White space String.prototype.trim would remove at either end (any char ≤ U+0020 or a Unicode space). */
const EDGE_SPACE = /^[\s\uFEFF\xA0]|[\s\uFEFF\xA0]$/;

const SLOW = Symbol('slow');
/** Dates already accepted, as normalizeLocalDateTime gives them (it is pure). */
const dates = new Map<string, string>();

function blank(v: string): boolean {
  return v.trim() === '';
}

function value(kind: Kind, column: CmisColumn, v: string): unknown {
  switch (kind) {
    case 'text':
      return v;
    case 'code':
      return (CODE_RE[column] as RegExp).test(v) ? v : SLOW;
    case 'id':
      return ID.test(v) ? v : blank(v) ? undefined : SLOW;
    case 'udec':
      return UNSIGNED.test(v) ? v : blank(v) ? undefined : SLOW;
    case 'sdec':
      return UNSIGNED.test(v) || (NEGATIVE.test(v) && NON_ZERO.test(v)) ? v : blank(v) ? undefined : SLOW;
    case 'req-udec':
      return UNSIGNED.test(v) ? v : SLOW;
    case 'hsn':
      return UNSIGNED.test(v) && NON_ZERO.test(v) ? v : SLOW;
    case 'int': {
      if (!WHOLE.test(v)) return SLOW;
      const n = Number(v);
      const [min, max] = INT_RANGE[column] as readonly [number, number];
      return n >= min && n <= max ? n : SLOW;
    }
    case 'date': {
      if (blank(v)) return undefined;
      const known = dates.get(v);
      if (known !== undefined) return known;
      if (EDGE_SPACE.test(v)) return SLOW;
      let normal: string;
      try {
        normal = normalizeLocalDateTime(v);
      } catch {
        return SLOW;
      }
      // A book holds a handful of distinct dates on thousands of rows: each is parsed once.
      if (dates.size >= 1_000) dates.clear();
      dates.set(v, normal);
      return normal;
    }
    case 'status':
      return isStatusCode(v) && !EDGE_SPACE.test(v) ? v : SLOW;
    case 'flag':
      return v === '1' ? 1 : v === '0' ? 0 : blank(v) ? undefined : SLOW;
  }
}

/**
 * True when cells given in CMIS_COLUMNS order (undefined = absent) are all canonical and valid: what
 * fastBookRow accepts, without building the row. The writers' check that they write nothing an import
 * would refuse.
 */
export function canonicalCells(values: readonly (string | undefined)[]): boolean {
  for (let i = 0; i < COLUMNS.length; i++) {
    const [column, kind] = COLUMNS[i] as (typeof COLUMNS)[number];
    const v = values[i];
    if (v === undefined) {
      if (REQUIRED.has(kind)) return false;
    } else if (value(kind, column, v) === SLOW) return false;
  }
  return true;
}

/** Whether the value of column `index` (in CMIS_COLUMNS) is one canonicalCells accepts. */
export function canonicalValue(index: number, v: string): boolean {
  const [column, kind] = COLUMNS[index] as (typeof COLUMNS)[number];
  return value(kind, column, v) !== SLOW;
}

/** The typed row, or undefined when some value needs the schema (to be canonicalised, or refused). */
export function fastBookRow(known: Readonly<Record<string, string>>): CmisBookRowFields | undefined {
  const out: Record<string, unknown> = {};
  for (const [column, kind] of COLUMNS) {
    const v = known[column];
    if (v === undefined) {
      if (REQUIRED.has(kind)) return undefined;
      continue;
    }
    const parsed = value(kind, column, v);
    if (parsed === SLOW) return undefined;
    out[column] = parsed;
  }
  return out as CmisBookRowFields;
}
