import { validate as isValidCron } from 'node-cron';
import { FIXED_OFFSET_ZONES } from '../shared/cron.js';
import { z } from 'zod';
import { BCS_CODES, READ_UNITS } from '../wire/reads.js';
import { isValidGatewayId } from '../wire/topics.js';

/**
 * Field schemas for configuration files. Each carries its own "expected …" text, written for the person
 * editing the file, because that text is what a refused file shows (`found X, expected <this>`).
 */

/**
 * Numbers may also be written as numeric text, so that `port: ${MQTT_PORT}` works: environment
 * substitution only ever produces text. Anything else stays as it is and is refused by the number schema.
 */
export function numericText(v: unknown): unknown {
  return typeof v === 'string' && /^\s*-?[0-9]+(\.[0-9]+)?\s*$/.test(v) ? Number(v) : v;
}

export function wholeNumber(min: number, max: number, what = `a whole number ${min}..${max}`) {
  return z.preprocess(numericText, z.int({ error: what }).min(min, { error: what }).max(max, { error: what }));
}

/** A number above `min` (ratios, shares): `exclusiveMin` decides whether min itself is allowed. */
export function numberAbove(min: number, max: number, what: string, exclusiveMin = true) {
  const n = z.number({ error: what });
  return z.preprocess(numericText, (exclusiveMin ? n.gt(min, { error: what }) : n.gte(min, { error: what })).lte(max, { error: what }));
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.join(', ')}` });
}

export function text(what = 'text', max = 256) {
  return z.string({ error: what }).min(1, { error: what }).max(max, { error: what });
}

/**
 * Codes copied from CMIS (MA_CTO, MA_DDO, MA_KHANG, MA_QUYEN …) are text. A YAML author who writes
 * `id: 0012345` gets the number 12345 and silently loses the leading zeros, so numbers are refused with
 * a hint to quote them rather than converted.
 */
export function code(what: string, pattern: RegExp, max = 32) {
  const asNumber = `${what} (put codes made only of digits in quotes)`;
  return z
    .string({ error: (issue) => (typeof issue.input === 'number' ? asNumber : what) }).min(1, { error: what }).max(max, { error: what }).regex(pattern, { error: what });
}

export const METER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const CMIS_CODE_PATTERN = /^[A-Za-z0-9._-]+$/;

export const meterIdText = code('a meter code (MA_CTO): letters, digits, . _ -, at most 64, starting with a letter or digit', METER_ID_PATTERN, 64);
export const cmisCodeText = (name: string) => code(`a ${name}: letters, digits, . _ -, at most 32`, CMIS_CODE_PATTERN);

export const gatewayIdText = z
  .string({ error: 'a gateway id: 1 to 64 letters, digits, _ or -, starting with a letter or digit' })
  .refine(isValidGatewayId, { error: 'a gateway id: 1 to 64 letters, digits, _ or -, starting with a letter or digit' });

export const unitCodeText = code('a unit code (MA_DVIQLY): 6 capital letters or digits, e.g. PD0100', /^[A-Z0-9]{6}$/, 6);

/** IEC 62056-6-1 OBIS code in the dotted form the rest of chiso uses. */
const OBIS_TEXT = 'an OBIS code a.b.c.d.e.f with each group 0..255, e.g. 1.0.1.8.0.255';
export const obisText = z
  .string({ error: OBIS_TEXT })
  .regex(/^\d{1,3}(\.\d{1,3}){5}$/, { error: OBIS_TEXT })
  .refine((s) => s.split('.').every((g) => Number(g) <= 255), { error: OBIS_TEXT });

export const bcsCode = z.enum(BCS_CODES, { error: `one of ${BCS_CODES.join(', ')}, or null for a register CMIS does not bill` }).nullable();
export const readUnit = oneOf(READ_UNITS);

const CRON_TEXT = 'a cron expression "minute hour day month weekday" (seconds optional in front), e.g. "0 */4 * * *"';
export const cronText = z.string({ error: CRON_TEXT }).refine((s) => isValidCron(s), { error: CRON_TEXT });

const TIME_ZONE_TEXT = 'an IANA time zone name, e.g. Asia/Ho_Chi_Minh';
/**
 * Checked against the runtime's own zone database. Kept as written: ICU would canonicalise
 * Asia/Ho_Chi_Minh to the older Asia/Saigon, which no technician would recognise in a log.
 */
export const timeZoneText = z.string({ error: TIME_ZONE_TEXT }).refine(isTimeZone, { error: TIME_ZONE_TEXT });

function isTimeZone(name: string): boolean {
  // Known without asking ICU, whose zone data would stay resident in every gateway (wallClockTrigger).
  if (Object.hasOwn(FIXED_OFFSET_ZONES, name)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** HSN (CT × PT) as an exact decimal. A plain YAML number such as 40 or 2.5 is taken as its decimal text. */
const MULTIPLIER_TEXT = 'a positive exact decimal, e.g. "1", "40" or "2.5"';
export const multiplierText = z
  .union([z.string(), z.number()], { error: MULTIPLIER_TEXT })
  .transform((v) => (typeof v === 'number' ? String(v) : v))
  .refine((s) => /^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(s) && /[1-9]/.test(s) && s.length <= 40, { error: MULTIPLIER_TEXT });

/** A path in the file; relative paths are resolved against the file's folder after validation. */
export const filePath = (what = 'a file path') => text(what, 4096);

export const BAUD_RATES = [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
export const baudRate = z.preprocess(
  numericText,
  z.number({ error: `a baud rate: one of ${BAUD_RATES.join(', ')}` })
  .refine((n) => (BAUD_RATES as readonly number[]).includes(n), { error: `a baud rate: one of ${BAUD_RATES.join(', ')}` }),
);

export const portNumber = wholeNumber(1, 65535, 'a TCP port 1..65535');
