import type { DlmsClient } from '../../client/dlms-client.js';
import { MeterError } from '../../client/errors.js';
import type { ScalerCache } from '../../client/register-reader.js';
import { dlms } from '../../dlms/axdr/build.js';
import { asInteger, asDateTime } from '../../dlms/axdr/read.js';
import { cosemDateTimeFromDate, cosemDateTimeToDate } from '../../dlms/axdr/datetime.js';
import { CLASS_ID, PROFILE_GENERIC } from '../../dlms/cosem/classes.js';
import type { Obis } from '../../dlms/cosem/obis.js';
import { decodeCaptureObjects, decodeProfileBuffer, isClockTime, rangeDescriptor, type CaptureObject, type ProfileRow } from '../../dlms/cosem/profile.js';
import { decodeScalerUnit, type ScalerUnit } from '../../dlms/cosem/scaler-unit.js';

/** A Profile Generic's columns and capture period, read once per session. */
export interface ProfileShape {
  obis: Obis;
  captureObjects: CaptureObject[];
  capturePeriodS: number;
  /** The clock column (restricting object of a range read); undefined if the profile has none. */
  clockColumn: number;
}

export async function readProfileShape(client: DlmsClient, obis: Obis): Promise<ProfileShape> {
  const captureObjects = decodeCaptureObjects(await client.get({ classId: CLASS_ID.profileGeneric, instanceId: obis, attributeId: PROFILE_GENERIC.attr.captureObjects }));
  const period = await client.get({ classId: CLASS_ID.profileGeneric, instanceId: obis, attributeId: PROFILE_GENERIC.attr.capturePeriod });
  return { obis, captureObjects, capturePeriodS: Number(asInteger(period)), clockColumn: captureObjects.findIndex(isClockTime) };
}

/** Refusals that mean "not with selective access", as opposed to a link that died. */
const REFUSED_SELECTION = new Set(['METER_ACCESS_DENIED', 'METER_DATA_ACCESS', 'METER_SERVICE_REFUSED', 'METER_OBJECT_UNDEFINED']);

/**
 * Buffer rows with a clock in [from, to] (both inclusive, IEC 62056-6-2 range_descriptor), null-data
 * compression resolved. A meter that refuses selective access is read whole and filtered here when
 * `fallbackToWhole`; otherwise the refusal is thrown.
 */
export async function readProfileRange(
  client: DlmsClient,
  shape: ProfileShape,
  from: number,
  to: number,
  deviation: number,
  fallbackToWhole: boolean,
): Promise<{ rows: ProfileRow[]; selective: boolean }> {
  const attribute = { classId: CLASS_ID.profileGeneric, instanceId: shape.obis, attributeId: PROFILE_GENERIC.attr.buffer };
  const clockColumn = shape.captureObjects[shape.clockColumn];
  if (clockColumn !== undefined) {
    const range = rangeDescriptor({
      restrictingObject: clockColumn,
      from: dlms.dateTimeOctets(cosemDateTimeFromDate(new Date(from), deviation)),
      to: dlms.dateTimeOctets(cosemDateTimeFromDate(new Date(to), deviation)),
    });
    try {
      const data = await client.get(attribute, { selector: 1, parameters: range });
      return { rows: decodeProfileBuffer(data, shape.captureObjects, shape.capturePeriodS), selective: true };
    } catch (e) {
      if (!(fallbackToWhole && e instanceof MeterError && REFUSED_SELECTION.has(e.code))) throw e;
    }
  }
  const whole = decodeProfileBuffer(await client.get(attribute), shape.captureObjects, shape.capturePeriodS);
  return { rows: whole.filter((r) => inRange(rowTime(shape, r, deviation), from, to)), selective: false };
}

function inRange(t: number | undefined, from: number, to: number): boolean {
  return t !== undefined && t >= from && t <= to;
}

/** The instant of a row's clock column, assuming the meter's deviation when the row leaves it unspecified. */
export function rowTime(shape: ProfileShape, row: ProfileRow, deviation: number): number | undefined {
  const cell = row[shape.clockColumn];
  const dt = cell && asDateTime(cell);
  return dt ? cosemDateTimeToDate(dt, deviation)?.getTime() : undefined;
}

export function rowClockStatus(shape: ProfileShape, row: ProfileRow): number | undefined {
  const cell = row[shape.clockColumn];
  return cell ? asDateTime(cell)?.clockStatus : undefined;
}

/**
 * scaler_unit of the register columns of a profile, from the shared cache or read once (attribute 3 of
 * each register) and cached: profile buffers carry raw values only.
 */
export async function columnScalers(client: DlmsClient, meterId: string, shape: ProfileShape, cache: ScalerCache): Promise<Map<number, ScalerUnit>> {
  const registerColumns = shape.captureObjects
    .map((co, i) => ({ co, i }))
    .filter(({ co }) => (co.classId === CLASS_ID.register || co.classId === CLASS_ID.extendedRegister) && co.attribute === 2);
  const missing = registerColumns.filter(({ co }) => cache.get(meterId, co.obis) === undefined);
  if (missing.length > 0) {
    const results = await client.getList(missing.map(({ co }) => ({ attribute: { classId: co.classId, instanceId: co.obis, attributeId: 3 } })));
    results.forEach((r, k) => {
      if (!r.ok) return;
      try {
        cache.set(meterId, missing[k]!.co.obis, decodeScalerUnit(r.data));
      } catch {
        // left out: the column is then reported as a partial error rather than wrongly scaled
      }
    });
  }
  const out = new Map<number, ScalerUnit>();
  for (const { co, i } of registerColumns) {
    const su = cache.get(meterId, co.obis);
    if (su) out.set(i, su);
  }
  return out;
}

