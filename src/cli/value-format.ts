import { cosemDateTimeToDate } from '../dlms/axdr/datetime.js';
import { asDateTime } from '../dlms/axdr/read.js';
import type { DlmsData } from '../dlms/axdr/types.js';
import { toHex } from '../shared/bytes.js';
import type { Reading } from '../client/register-reader.js';
import { formatRef } from '../dlms/cosem/classes.js';

function printable(bytes: Uint8Array): string | undefined {
  for (const b of bytes) if (b < 0x20 || b > 0x7e) return undefined;
  return String.fromCharCode(...bytes);
}

/** A DLMS value as a technician reads it: text for printable octets, ISO time for clocks, else hex. */
export function formatData(d: DlmsData): string {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return '(null)';
    case 'octet-string': {
      if (d.value.length === 12) {
        const dt = asDateTime(d);
        const t = dt ? cosemDateTimeToDate(dt) : undefined;
        if (t) return t.toISOString();
      }
      const text = printable(d.value);
      return text !== undefined && d.value.length > 0 ? `"${text}"` : `0x${toHex(d.value)}`;
    }
    case 'visible-string':
    case 'utf8-string':
      return `"${d.value}"`;
    case 'array':
    case 'structure':
      return `${d.type === 'array' ? '[' : '{'}${d.value.map(formatData).join(', ')}${d.type === 'array' ? ']' : '}'}`;
    case 'compact-array':
      return `[${d.value.values.map(formatData).join(', ')}]`;
    case 'bit-string':
      return `bits(${d.value.length}) 0x${toHex(d.value.bytes)}`;
    case 'date-time':
    case 'date':
    case 'time':
      return JSON.stringify(d.value);
    default:
      return String(d.value);
  }
}

/** JSON-safe form of DLMS data: bigint as string, octets as hex. */
export function dataToJson(d: DlmsData): unknown {
  switch (d.type) {
    case 'octet-string':
      return { type: d.type, hex: toHex(d.value) };
    case 'array':
    case 'structure':
      return { type: d.type, value: d.value.map(dataToJson) };
    case 'compact-array':
      return { type: d.type, value: d.value.values.map(dataToJson) };
    case 'bit-string':
      return { type: d.type, length: d.value.length, hex: toHex(d.value.bytes) };
    case 'long64':
    case 'long64-unsigned':
      return { type: d.type, value: d.value.toString() };
    case 'null-data':
    case 'dont-care':
      return { type: d.type };
    default:
      return { type: d.type, value: d.value };
  }
}

export function formatReading(r: Reading): string {
  const name = formatRef(r.ref);
  if (!r.ok) return `${name}  ERROR ${r.error.code}: ${r.error.message}`;
  if (r.value !== undefined) return `${name}  ${r.value} ${r.unit ?? ''}`.trimEnd();
  if (r.time) return `${name}  ${r.time.toISOString()}`;
  return `${name}  ${formatData(r.data)}`;
}

export function readingToJson(r: Reading, meter: string): Record<string, unknown> {
  const base = { meter, classId: r.ref.classId, obis: r.ref.obis, attribute: r.ref.attribute };
  if (!r.ok) return { ...base, ok: false, error: { code: r.error.code, message: r.error.message } };
  return {
    ...base,
    ok: true,
    ...(r.value !== undefined ? { value: r.value, unit: r.unit } : {}),
    ...(r.time ? { time: r.time.toISOString() } : {}),
    data: dataToJson(r.data),
  };
}
