import type { DlmsClient } from '../../client/dlms-client.js';
import { asInteger, isIntegerData } from '../../dlms/axdr/read.js';
import { CLASS_ID } from '../../dlms/cosem/classes.js';
import { OBIS, obisGroups } from '../../dlms/cosem/obis.js';
import type { MeterLogEntry } from '../model.js';
import { PollingError } from './errors.js';
import { readProfileRange, readProfileShape, rowTime, type ProfileShape } from './profile-read.js';

/**
 * Where the gateway stands in one meter's event log: the newest entry already taken (meter time) and the
 * codes logged at that same instant. The next read asks from `at` inclusive — an event the meter logs
 * later in that same second is not lost — and drops the codes already taken.
 */
export interface EventLogMark {
  at: number;
  codes: number[];
  /**
   * The log's columns, read once: a poll then costs one request for the log, not three — on a 9600-baud
   * bus of thirty meters that is the difference that matters. Dropped when a read fails (see forgetShape).
   */
  shape?: ProfileShape;
}

/** Per meter id. In memory: after a restart the log is read back EVENT_LOG_LOOKBACK_MS. */
export type EventLogMarks = Map<string, EventLogMark>;

/**
 * How far back the first read after a start goes. Daily polls leave at most a day unread; events read a
 * second time are harmless, as an anomaly still open is not raised again.
 */
export const EVENT_LOG_LOOKBACK_MS = 2 * 86_400_000;

/**
 * Events the meter may have stamped a little ahead of the clock value read just before (or of the
 * gateway's clock, when the meter's could not be read) are still asked for.
 */
const AHEAD_MS = 86_400_000;

export interface EventLogRead {
  /** New entries, oldest first. */
  events: MeterLogEntry[];
  mark: EventLogMark;
}

/**
 * The standard event log (0.0.99.98.0.255, Profile Generic: the event's time stamp and its code) since
 * `mark`, by a range of dates; a meter that refuses selective access is read whole (the log is small).
 * `meterNow` is the meter's clock read in the same association: the log's stamps are meter time.
 */
export async function readEventLog(
  client: DlmsClient,
  meterId: string,
  mark: EventLogMark | undefined,
  at: { gatewayNow: number; meterNow: number | undefined },
  deviation: number,
): Promise<EventLogRead> {
  const shape = mark?.shape ?? (await readProfileShape(client, OBIS.standardEventLog));
  if (shape.clockColumn < 0) {
    throw new PollingError('POLL_BAD_VALUE', `meter ${meterId}: the event log ${OBIS.standardEventLog} has no clock column: its entries cannot be dated`, {
      context: { meter: meterId, obis: OBIS.standardEventLog },
    });
  }
  const codeColumn = eventCodeColumn(shape);
  if (codeColumn < 0) {
    throw new PollingError('POLL_BAD_VALUE', `meter ${meterId}: the event log ${OBIS.standardEventLog} has no event code column`, {
      context: { meter: meterId, obis: OBIS.standardEventLog },
    });
  }
  const meterNow = at.meterNow ?? at.gatewayNow;
  const from = mark?.at ?? meterNow - EVENT_LOG_LOOKBACK_MS;
  const to = Math.max(meterNow, at.gatewayNow) + AHEAD_MS;
  const { rows } = await readProfileRange(client, shape, from, to, deviation, true);

  const taken = new Set(mark?.codes ?? []);
  const events: MeterLogEntry[] = [];
  for (const row of rows) {
    const t = rowTime(shape, row, deviation);
    const cell = row[codeColumn];
    // An entry without a date or a numeric code says nothing usable; the others are still taken.
    if (t === undefined || cell === undefined || !isIntegerData(cell) || cell.type === 'enum') continue;
    const code = Number(asInteger(cell));
    if (t < from || (t === from && taken.has(code))) continue;
    events.push({ at: t, code });
  }
  events.sort((a, b) => a.at - b.at || a.code - b.code);

  const last = events.at(-1);
  if (last === undefined) return { events, mark: { at: from, codes: mark?.codes ?? [], shape } };
  const codesAtLast = events.filter((e) => e.at === last.at).map((e) => e.code);
  return { events, mark: { at: last.at, codes: last.at === mark?.at ? [...mark.codes, ...codesAtLast] : codesAtLast, shape } };
}

/** The mark without its columns: after a failed read they are read again, in case the meter's changed. */
export function forgetShape(mark: EventLogMark): EventLogMark {
  return { at: mark.at, codes: mark.codes };
}

/** The event code column: the "event object" 0.0.96.11.x.255 by name, else the one column that is not the clock. */
function eventCodeColumn(shape: ProfileShape): number {
  const named = shape.captureObjects.findIndex((co) => {
    const [a, b, c, d] = obisGroups(co.obis);
    return co.classId === CLASS_ID.data && a === 0 && b === 0 && c === 96 && d === 11;
  });
  if (named >= 0) return named;
  return shape.captureObjects.length === 2 ? 1 - shape.clockColumn : -1;
}
