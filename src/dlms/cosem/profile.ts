import { encodeDateTimeBytes, addSeconds } from '../axdr/datetime.js';
import { asArray, asDateTime, asInteger, asStructure } from '../axdr/read.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';
import { decodeCaptureObject, encodeCaptureObject, isClockTime, type CaptureObject } from './capture-object.js';

export { decodeCaptureObject, encodeCaptureObject, isClockTime, obisFromData, obisToData, type CaptureObject } from './capture-object.js';

/** One buffer entry: one value per capture object, in capture_objects order. */
export type ProfileRow = DlmsData[];

/** Profile Generic attribute 3: array of capture_object_definition. */
export function decodeCaptureObjects(d: DlmsData): CaptureObject[] {
  return asArray(d).map((e, i) => {
    try {
      return decodeCaptureObject(e);
    } catch (err) {
      throw err instanceof DlmsError ? err.withContext({ captureObject: i }) : err;
    }
  });
}

export function encodeCaptureObjects(list: readonly CaptureObject[]): DlmsData {
  return { type: 'array', value: list.map(encodeCaptureObject) };
}

/**
 * Profile Generic attribute 2 (buffer): array of structures, one per entry. IEC 62056-6-2 lets a meter
 * compress the buffer by sending null-data for a value equal to the one in the previous entry; for the
 * clock's time column null-data means "previous time + capture_period". We resolve both, so a row
 * always carries its own values. Without a capture period (unknown, or 0 = asynchronous capture) a
 * null clock value cannot be resolved and stays null-data, as does any null in the first row.
 *
 * `captureObjects` are the columns actually returned (all of attribute 3, or the selected_values of a
 * selective access); with a non-empty list every row must have exactly that many values.
 */
export function decodeProfileBuffer(d: DlmsData, captureObjects: readonly CaptureObject[], capturePeriodSeconds?: number): ProfileRow[] {
  const rows: ProfileRow[] = [];
  let prev: ProfileRow | undefined;
  for (const [i, entry] of asArray(d).entries()) {
    const values = asStructure(entry);
    if (captureObjects.length > 0 && values.length !== captureObjects.length) {
      throw new DlmsError('DLMS_BAD_DATA', `profile buffer entry ${i} has ${values.length} values, capture objects list ${captureObjects.length}`, {
        context: { entry: i },
      });
    }
    const row = values.map((v, col) => {
      if (v.type !== 'null-data' || prev === undefined) return v;
      const before = prev[col] as DlmsData;
      const co = captureObjects[col];
      if (co !== undefined && isClockTime(co)) return nextCaptureTime(before, capturePeriodSeconds) ?? v;
      return before;
    });
    rows.push(row);
    prev = row;
  }
  return rows;
}

/** previous + period, in the same form (octet-string(12) or date-time) as the previous value. */
function nextCaptureTime(before: DlmsData, periodSeconds: number | undefined): DlmsData | undefined {
  if (periodSeconds === undefined || !(periodSeconds > 0)) return undefined;
  const dt = asDateTime(before);
  const next = dt && addSeconds(dt, periodSeconds);
  if (next === undefined) return undefined;
  return before.type === 'date-time' ? { type: 'date-time', value: next } : { type: 'octet-string', value: encodeDateTimeBytes(next) };
}

/** Access selectors of Profile Generic attribute 2 (IEC 62056-6-2, selective access). */
export const ACCESS_SELECTOR = { range: 1, entry: 2 } as const;

export interface RangeDescriptor {
  restrictingObject: CaptureObject;
  from: DlmsData;
  to: DlmsData;
  /** Columns to return; empty or absent = all. */
  selectedValues?: CaptureObject[] | undefined;
}

/**
 * range_descriptor (access selector 1): structure{ restricting_object capture_object_definition,
 * from_value, to_value, selected_values array of capture_object_definition }. For a time range the
 * restricting object is the clock (8/0.0.1.0.0.255/2) and the values are octet-string(12) date-times.
 */
export function rangeDescriptor(r: RangeDescriptor): DlmsData {
  return {
    type: 'structure',
    value: [encodeCaptureObject(r.restrictingObject), r.from, r.to, { type: 'array', value: (r.selectedValues ?? []).map(encodeCaptureObject) }],
  };
}

export function decodeRangeDescriptor(d: DlmsData): Required<RangeDescriptor> {
  const [restricting, from, to, selected] = asStructure(d, 4) as [DlmsData, DlmsData, DlmsData, DlmsData];
  return {
    restrictingObject: decodeCaptureObject(restricting),
    from,
    to,
    selectedValues: decodeCaptureObjects(selected),
  };
}

export interface EntryDescriptor {
  /** First entry, 1-based. */
  fromEntry: number;
  /** Last entry; 0 = the last one in the buffer. */
  toEntry: number;
  /** First column, 1-based; default 1. */
  fromSelectedValue?: number | undefined;
  /** Last column; 0 (default) = the last one. */
  toSelectedValue?: number | undefined;
}

function checked(v: number, max: number, name: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new DlmsError('DLMS_BAD_DATA', `${name} ${v} is not an integer in 0..${max}`);
  return v;
}

/**
 * entry_descriptor (access selector 2): structure{ double-long-unsigned from_entry, double-long-unsigned
 * to_entry, long-unsigned from_selected_value, long-unsigned to_selected_value }.
 */
export function entryDescriptor(e: EntryDescriptor): DlmsData {
  return {
    type: 'structure',
    value: [
      { type: 'double-long-unsigned', value: checked(e.fromEntry, 0xffffffff, 'from_entry') },
      { type: 'double-long-unsigned', value: checked(e.toEntry, 0xffffffff, 'to_entry') },
      { type: 'long-unsigned', value: checked(e.fromSelectedValue ?? 1, 0xffff, 'from_selected_value') },
      { type: 'long-unsigned', value: checked(e.toSelectedValue ?? 0, 0xffff, 'to_selected_value') },
    ],
  };
}

export function decodeEntryDescriptor(d: DlmsData): Required<EntryDescriptor> {
  const [f, t, fs, ts] = asStructure(d, 4).map((x) => Number(asInteger(x))) as [number, number, number, number];
  return { fromEntry: f, toEntry: t, fromSelectedValue: fs, toSelectedValue: ts };
}
