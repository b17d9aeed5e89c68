import type { Logger } from 'pino';
import { errorMessage } from '../../shared/errors.js';
import type { ReadHistory } from '../../store/read-history.js';
import type { MeterReadResult } from '../model.js';
import type { EventLogMark, EventLogMarks } from '../polling/event-log-read.js';

/** The meter_state key that holds where the gateway stands in a meter's event log. */
export const EVENT_LOG_MARK_KEY = 'event-log-mark';

/** Per gateway's marks (one map each), what is on disk for each meter: the writes a poll can skip. */
const savedTexts = new WeakMap<EventLogMarks, Map<string, string>>();
const savedOf = (marks: EventLogMarks): Map<string, string> => {
  let saved = savedTexts.get(marks);
  if (saved === undefined) savedTexts.set(marks, (saved = new Map()));
  return saved;
};

/**
 * Where the gateway stood in each meter's event log when it stopped. Without it the first read after a
 * restart goes back EVENT_LOG_LOOKBACK_MS, and an event of the last days of the previous month is raised
 * again in the new month (its anomaly lives for a period). A value that does not parse is left out, with a
 * warning: that meter's log is read back the usual lookback, which repeats at most two days of events.
 */
export function loadEventLogMarks(history: ReadHistory, meterIds: readonly string[], log: Logger): EventLogMarks {
  const marks: EventLogMarks = new Map();
  for (const meterId of meterIds) {
    let text: string | undefined;
    try {
      text = history.getState(meterId, EVENT_LOG_MARK_KEY);
    } catch (e) {
      log.warn({ meter: meterId, err: errorMessage(e) }, 'event-log position not readable; the log is read back two days');
      continue;
    }
    if (text === undefined) continue;
    const mark = parseMark(text);
    if (mark) {
      marks.set(meterId, mark);
      savedOf(marks).set(meterId, JSON.stringify({ at: mark.at, codes: mark.codes }));
    }
    else log.warn({ meter: meterId, value: text.slice(0, 200) }, `event-log position in meter_state (${EVENT_LOG_MARK_KEY}) is not {at, codes}; the log is read back two days`);
  }
  return marks;
}

/**
 * Keeps the positions of the meters whose log this cycle read, in one transaction. The shape (the log's
 * columns) is not kept: it is read again once after a start. A store that refuses the write (full disk,
 * read-only) costs at most a repeat of the lookback after the next restart: a warning, not a failed cycle.
 */
export function saveEventLogMarks(history: ReadHistory, marks: EventLogMarks, results: readonly MeterReadResult[], at: number, log: Logger): void {
  // Only the positions that moved: most polls find no new event, and a write per meter per poll wears the SD card.
  const saved = savedOf(marks);
  const moved = results.flatMap((r) => {
    if (!r.ok || r.events === undefined) return [];
    const mark = marks.get(r.meterId);
    if (mark === undefined) return [];
    const text = JSON.stringify({ at: mark.at, codes: mark.codes });
    return saved.get(r.meterId) === text ? [] : [{ meterId: r.meterId, text }];
  });
  if (moved.length === 0) return;
  try {
    history.batch(() => {
      for (const m of moved) history.setState(m.meterId, EVENT_LOG_MARK_KEY, m.text, at);
    });
    for (const m of moved) saved.set(m.meterId, m.text);
  } catch (e) {
    log.warn({ meters: moved.length, err: errorMessage(e) }, 'event-log positions not saved; after a restart the logs are read back two days');
  }
}

function parseMark(text: string): EventLogMark | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { at, codes } = v as { at?: unknown; codes?: unknown };
  if (typeof at !== 'number' || !Number.isSafeInteger(at)) return undefined;
  if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'number' && Number.isSafeInteger(c))) return undefined;
  return { at, codes: codes as number[] };
}
