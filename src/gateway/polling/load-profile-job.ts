import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { MeterError } from '../../client/errors.js';
import type { ScalerCache } from '../../client/register-reader.js';
import { asInteger, isIntegerData } from '../../dlms/axdr/read.js';
import { CLASS_ID } from '../../dlms/cosem/classes.js';
import { OBIS, obisGroups, parseObis } from '../../dlms/cosem/obis.js';
import type { ProfileRow } from '../../dlms/cosem/profile.js';
import type { ScalerUnit } from '../../dlms/cosem/scaler-unit.js';
import { READ_UNITS, type ReadUnit } from '../../wire/reads.js';
import type { MeterDefinition, MeterReadFailure, RegisterMapping, RegisterValue } from '../model.js';
import { PollingError } from './errors.js';
import { deviationOf, VIETNAM_UTC_OFFSET_MINUTES } from './local-time.js';
import { columnScalers, readProfileRange, readProfileShape, rowClockStatus, rowTime, type ProfileShape } from './profile-read.js';
import { failureOf, type MeterJob } from './session.js';
import { mappingFor, registerValue } from './values.js';

export interface LoadProfileEntry {
  /** The entry's capture time (end of the interval), meter clock. */
  meterTime: number;
  clockStatus?: number;
  /** The profile status column (0.0.96.10.x.255), when the profile has one. */
  status?: number;
  /** Register columns: mapped ones in the configured unit, others in the meter's unit. */
  values: RegisterValue[];
}

export interface LoadProfileRead {
  ok: true;
  meterId: string;
  receivedAt: number;
  /** New entries, oldest first, each once. */
  entries: LoadProfileEntry[];
  /** Time of the last entry received: the caller persists it and passes it back as `since` next time. */
  lastEntryAt: number | undefined;
  /** false when a later chunk failed: what came before it is kept, the rest is fetched next time. */
  complete: boolean;
  requests: number;
  partialErrors: { obis: string; code: string; message: string }[];
}

export type LoadProfileResult = LoadProfileRead | MeterReadFailure;

export interface LoadProfileJobOptions {
  clock: Clock;
  scalers: ScalerCache;
  /** The last entry received before (exclusive); undefined = never read. */
  since: number | undefined;
  /** Widest range asked in one request; default 1 day (~48 entries, a few blocks). */
  chunkMs?: number;
  /** Never go further back than this (the meter keeps ~40 days anyway); default 40 days. */
  maxCatchUpMs?: number;
  utcOffsetMinutes?: number;
}

const DAY_MS = 86_400_000;
/** COSEM date-times resolve to the second here; ranges are inclusive, so the next one starts 1 s on. */
const STEP_MS = 1000;

/**
 * Catches the load profile (1.0.99.1.0.255) up from the last entry received to now, by ranges of dates
 * of at most `chunkMs` each so that a meter offline for weeks is fetched in bounded requests. Entries
 * are de-duplicated by time: a chunk boundary that falls on an entry gives it once.
 */
export function loadProfileJob(options: LoadProfileJobOptions): MeterJob<LoadProfileResult> {
  const chunkMs = options.chunkMs ?? DAY_MS;
  const maxCatchUpMs = options.maxCatchUpMs ?? 40 * DAY_MS;
  if (!(chunkMs >= 60_000)) throw new PollingError('POLL_BAD_CONFIG', `load profile chunkMs ${chunkMs} must be at least one minute`);
  const deviation = deviationOf(options.utcOffsetMinutes ?? VIETNAM_UTC_OFFSET_MINUTES);

  return async (client, meter) => {
    const now = options.clock.now();
    const since = options.since;
    const result: LoadProfileRead = { ok: true, meterId: meter.id, receivedAt: now, entries: [], lastEntryAt: since, complete: true, requests: 0, partialErrors: [] };
    try {
      const shape = await readProfileShape(client, OBIS.loadProfile);
      const scalers = await columnScalers(client, meter.id, shape, options.scalers);
      const seen = new Set<number>();
      // Everything after `after` is wanted: the last entry received, or the oldest the catch-up allows.
      const after = Math.max(since ?? -Infinity, now - maxCatchUpMs);
      let from = after + STEP_MS;
      while (from <= now) {
        const to = Math.min(from + chunkMs - STEP_MS, now);
        let rows;
        try {
          ({ rows } = await readProfileRange(client, shape, from, to, deviation, false));
          result.requests++;
        } catch (e) {
          if (result.entries.length === 0 && result.requests === 0) throw e;
          result.complete = false;
          result.partialErrors.push({ obis: OBIS.loadProfile, code: e instanceof MeterError || e instanceof PollingError ? e.code : 'METER_PROTOCOL', message: errorMessage(e) });
          break;
        }
        for (const row of rows) {
          const t = rowTime(shape, row, deviation);
          if (t === undefined || seen.has(t) || t <= after) continue;
          seen.add(t);
          result.entries.push(entryOf(meter, shape, row, t, scalers, result.partialErrors));
        }
        from = to + STEP_MS;
      }
      result.entries.sort((a, b) => a.meterTime - b.meterTime);
      result.lastEntryAt = result.entries.at(-1)?.meterTime ?? since;
      result.receivedAt = options.clock.now();
      return result;
    } catch (e) {
      return failureOf(e, meter.id, options.clock);
    }
  };
}

function isStatusColumn(shape: ProfileShape, col: number): boolean {
  const co = shape.captureObjects[col]!;
  const [, , c, d] = obisGroups(co.obis);
  return co.classId === CLASS_ID.data && c === 96 && d === 10;
}

function entryOf(
  meter: MeterDefinition,
  shape: ProfileShape,
  row: ProfileRow,
  t: number,
  scalers: Map<number, ScalerUnit>,
  partialErrors: LoadProfileRead['partialErrors'],
): LoadProfileEntry {
  const entry: LoadProfileEntry = { meterTime: t, values: [] };
  const clockStatus = rowClockStatus(shape, row);
  if (clockStatus !== undefined) entry.clockStatus = clockStatus;
  row.forEach((cell, col) => {
    if (col === shape.clockColumn) return;
    if (isStatusColumn(shape, col)) {
      if (isIntegerData(cell)) entry.status = Number(asInteger(cell));
      return;
    }
    const su = scalers.get(col);
    if (su === undefined) return; // not a register column (or its scaler could not be read: reported once below)
    const obis = shape.captureObjects[col]!.obis;
    const mapping: RegisterMapping | undefined =
      mappingFor(meter.registers.map((m) => ({ ...m, obis: parseObis(m.obis) })), obis) ??
      ((READ_UNITS as readonly string[]).includes(su.symbol) ? { obis, classId: shape.captureObjects[col]!.classId, bcs: null, unit: su.symbol as ReadUnit } : undefined);
    if (mapping === undefined) return;
    try {
      entry.values.push(registerValue(mapping, cell, su, `meter ${meter.id} load profile`));
    } catch (e) {
      if (!(e instanceof PollingError)) throw e;
      // One note per column, not one per entry: a month of entries would repeat it 1 400 times.
      if (!partialErrors.some((p) => p.obis === obis && p.code === e.code)) partialErrors.push({ obis, code: e.code, message: e.message });
    }
  });
  return entry;
}
