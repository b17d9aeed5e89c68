import { DlmsError } from '../errors.js';

/**
 * OBIS code (IEC 62056-6-1): six value groups A..F, each 0..255, naming a COSEM object. Branded so
 * that a raw string cannot be passed where a checked code is expected; the canonical text is
 * "a.b.c.d.e.f" (what logs, MQTT topics and the object list use), the bytes are the 6-octet
 * logical_name of every interface class.
 */
export type Obis = string & { readonly __obis: unique symbol };

function bad(text: string, why: string): DlmsError {
  return new DlmsError('DLMS_BAD_OBIS', `OBIS "${text.slice(0, 40)}": ${why}`, { context: { obis: text.slice(0, 40) } });
}

function make(groups: readonly number[]): Obis {
  return groups.join('.') as Obis;
}

const DOTTED = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
// IEC 62056-6-1 reduced ID form "A-B:C.D.E*F", F optional (defaults to 255), also "A-B:C.D.E.F".
const IEC = /^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)(?:[*.](\d+))?$/;
const HEX = /^[0-9a-fA-F]{12}$/;

/**
 * Accepts "1.0.1.8.0.255", "1-0:1.8.0*255", "1-0:1.8.0.255", "1-0:1.8.0" (F = 255) and 12 hex digits
 * "0100010800FF"; anything else is DLMS_BAD_OBIS saying why.
 */
export function parseObis(text: string): Obis {
  if (typeof text !== 'string') throw bad(String(text), 'not a string');
  const t = text.trim();
  if (HEX.test(t)) {
    const g: number[] = [];
    for (let i = 0; i < 12; i += 2) g.push(parseInt(t.slice(i, i + 2), 16));
    return make(g);
  }
  const m = DOTTED.exec(t) ?? IEC.exec(t);
  if (!m) {
    if (t === '') throw bad(text, 'empty');
    if (/^[0-9a-fA-F]+$/.test(t)) throw bad(text, `hex form needs exactly 12 digits, got ${t.length}`);
    if (/^\d+(\.\d+)*$/.test(t)) throw bad(text, `dotted form needs 6 groups, got ${t.split('.').length}`);
    throw bad(text, 'expected "a.b.c.d.e.f", "a-b:c.d.e*f", "a-b:c.d.e" or 12 hex digits');
  }
  const groups = m.slice(1, 7).map((s) => (s === undefined ? 255 : Number(s)));
  const over = groups.findIndex((g) => g > 255);
  if (over >= 0) throw bad(text, `value group ${'ABCDEF'[over]} is ${groups[over]}, above 255`);
  return make(groups);
}

/** True when `text` parses as an OBIS code. */
export function isObisText(text: string): boolean {
  try {
    parseObis(text);
    return true;
  } catch {
    return false;
  }
}

export function obisGroups(o: Obis): [number, number, number, number, number, number] {
  const g = parseObis(o).split('.').map(Number);
  return g as [number, number, number, number, number, number];
}

export function obisToBytes(o: Obis): Uint8Array {
  return Uint8Array.from(obisGroups(o));
}

/** The 6-octet logical name at `offset`; fewer than 6 bytes left is DLMS_TRUNCATED. */
export function obisFromBytes(b: Uint8Array, offset = 0): Obis {
  if (!Number.isInteger(offset) || offset < 0 || offset + 6 > b.length) {
    throw new DlmsError('DLMS_TRUNCATED', `OBIS code at byte ${offset} needs 6 bytes, ${Math.max(0, b.length - offset)} left`, {
      context: { offset },
    });
  }
  return make(Array.from(b.subarray(offset, offset + 6)));
}

/** "dotted" = "1.0.1.8.0.255" (canonical), "iec" = "1-0:1.8.0*255". */
export function formatObis(o: Obis, style: 'dotted' | 'iec' = 'dotted'): string {
  const [a, b, c, d, e, f] = obisGroups(o);
  return style === 'iec' ? `${a}-${b}:${c}.${d}.${e}*${f}` : `${a}.${b}.${c}.${d}.${e}.${f}`;
}

/** Codes used across chiso (DOMAIN.md's table plus the objects every association needs). */
export const OBIS = {
  activeEnergyImportTotal: parseObis('1.0.1.8.0.255'),
  activeEnergyImportTariff1: parseObis('1.0.1.8.1.255'),
  activeEnergyImportTariff2: parseObis('1.0.1.8.2.255'),
  activeEnergyImportTariff3: parseObis('1.0.1.8.3.255'),
  activeEnergyExportTotal: parseObis('1.0.2.8.0.255'),
  reactiveEnergyImportTotal: parseObis('1.0.3.8.0.255'),
  clock: parseObis('0.0.1.0.0.255'),
  serialNumber: parseObis('0.0.96.1.0.255'),
  billingPeriodValues: parseObis('0.0.98.1.0.255'),
  loadProfile: parseObis('1.0.99.1.0.255'),
  currentAssociation: parseObis('0.0.40.0.0.255'),
  sapAssignment: parseObis('0.0.41.0.0.255'),
  logicalDeviceName: parseObis('0.0.42.0.0.255'),
  invocationCounter: parseObis('0.0.43.1.0.255'),
  /** Internal operating status (a Data/Register whose bits are the meter's status word). */
  statusRegister: parseObis('0.0.96.5.0.255'),
  /** Standard event log (Profile Generic). */
  standardEventLog: parseObis('0.0.99.98.0.255'),
} as const;
