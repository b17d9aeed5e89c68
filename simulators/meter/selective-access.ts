import { cosemDateTimeToDate } from '../../src/dlms/axdr/datetime.js';
import { asDateTime } from '../../src/dlms/axdr/read.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import type { DataAccessResultName } from '../../src/dlms/apdu/data-access-result.js';
import { isClockTime, type CaptureObject } from '../../src/dlms/cosem/capture-object.js';
import { OBIS } from '../../src/dlms/cosem/obis.js';
import { ACCESS_SELECTOR, decodeEntryDescriptor, decodeRangeDescriptor } from '../../src/dlms/cosem/profile.js';
import type { ProfileView } from './profile-buffers.js';

/**
 * Profile Generic buffer reads with and without selective access (IEC 62056-6-2, Profile Generic
 * attribute 2):
 * - selector 1, range_descriptor: the rows whose clock lies in [from_value, to_value] (both inclusive),
 *   restricted to the selected_values columns (all when empty);
 * - selector 2, entry_descriptor: rows from_entry..to_entry (1-based, to_entry 0 = the last) and columns
 *   from_selected_value..to_selected_value (1-based, 0 = the last).
 * A client's malformed parameters are an answer (a Data-Access-Result), never an exception.
 */

export type Selection = { rows: DlmsData } | { error: DataAccessResultName };

export interface SelectorParams {
  selector: number;
  parameters: DlmsData;
}

const sameColumn = (a: CaptureObject, b: CaptureObject): boolean =>
  a.classId === b.classId && a.obis === b.obis && a.attribute === b.attribute && a.dataIndex === b.dataIndex;

function build(view: ProfileView, rows: number[], columns: number[]): DlmsData {
  const all = columns.length === view.captureObjects.length && columns.every((c, i) => c === i);
  return {
    type: 'array',
    value: rows.map((i): DlmsData => {
      const r = view.row(i);
      return { type: 'structure', value: all ? r : columns.map((c) => r[c]!) };
    }),
  };
}

const allIndexes = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The buffer as a client asked for it; `deviation` is the meter's, assumed for dates sent without one. */
export function selectBuffer(view: ProfileView, deviation: number, sel?: SelectorParams): Selection {
  const n = view.stamps.length;
  const everyColumn = allIndexes(view.captureObjects.length);
  if (sel === undefined) return { rows: build(view, allIndexes(n), everyColumn) };
  if (sel.selector === ACCESS_SELECTOR.range) return byRange(view, deviation, sel.parameters);
  if (sel.selector === ACCESS_SELECTOR.entry) return byEntry(view, sel.parameters);
  return { error: 'scope-of-access-violated' };
}

function byRange(view: ProfileView, deviation: number, p: DlmsData): Selection {
  let range: ReturnType<typeof decodeRangeDescriptor>;
  try {
    range = decodeRangeDescriptor(p);
  } catch {
    return { error: 'type-unmatched' };
  }
  const r = range.restrictingObject;
  if (!isClockTime(r) || r.obis !== OBIS.clock) return { error: 'other-reason' };
  const from = instant(range.from, deviation);
  const to = instant(range.to, deviation);
  if (from === undefined || to === undefined) return { error: 'type-unmatched' };
  let columns = allIndexes(view.captureObjects.length);
  if (range.selectedValues.length > 0) {
    columns = range.selectedValues.map((s) => view.captureObjects.findIndex((c) => sameColumn(c, s)));
    if (columns.some((c) => c < 0)) return { error: 'object-unavailable' };
  }
  const rows: number[] = [];
  view.stamps.forEach((s, i) => {
    if (s >= from && s <= to) rows.push(i);
  });
  return { rows: build(view, rows, columns) };
}

function instant(d: DlmsData, deviation: number): number | undefined {
  const dt = asDateTime(d);
  return dt === undefined ? undefined : cosemDateTimeToDate(dt, deviation)?.getTime();
}

function byEntry(view: ProfileView, p: DlmsData): Selection {
  let e: ReturnType<typeof decodeEntryDescriptor>;
  try {
    e = decodeEntryDescriptor(p);
  } catch {
    return { error: 'type-unmatched' };
  }
  const n = view.stamps.length;
  const width = view.captureObjects.length;
  const fromEntry = Math.max(1, e.fromEntry);
  const toEntry = e.toEntry === 0 ? n : Math.min(e.toEntry, n);
  const fromCol = Math.max(1, e.fromSelectedValue);
  const toCol = e.toSelectedValue === 0 ? width : e.toSelectedValue;
  if ((e.toEntry !== 0 && e.toEntry < fromEntry) || toCol < fromCol || toCol > width) return { error: 'other-reason' };
  const rows: number[] = [];
  for (let i = fromEntry; i <= toEntry; i++) rows.push(i - 1);
  const columns: number[] = [];
  for (let c = fromCol; c <= toCol; c++) columns.push(c - 1);
  return { rows: build(view, rows, columns) };
}
