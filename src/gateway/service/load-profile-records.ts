import { CLOCK_STATUS } from '../../dlms/axdr/datetime.js';
import { makeReadId, type QualityFlag, type ReadRecord } from '../../wire/reads.js';
import type { MeterDefinition } from '../model.js';
import type { LoadProfileRead } from '../polling/index.js';
import { monthPeriodOf } from './records.js';

const DOUBT_BITS = CLOCK_STATUS.invalidValue | CLOCK_STATUS.doubtfulValue;

/** Where the last load-profile entry received is kept (ReadHistory meter state), per meter. */
export const LOAD_PROFILE_STATE_KEY = 'loadProfile.lastEntryAt';

/**
 * A load-profile catch-up → one `load-profile` wire record per entry and register column, stamped with
 * the entry's capture time. The read id includes that time, so an entry fetched twice (a catch-up that
 * overlapped the previous one) is the same read and is stored once.
 */
export function loadProfileRecords(gatewayId: string, meter: MeterDefinition, read: LoadProfileRead): ReadRecord[] {
  const records: ReadRecord[] = [];
  const receivedAt = new Date(read.receivedAt).toISOString();
  for (const entry of read.entries) {
    const meterTime = new Date(entry.meterTime).toISOString();
    // An entry captured while the meter doubted its clock carries that doubt.
    const quality: QualityFlag[] = ((entry.clockStatus ?? 0) & DOUBT_BITS) !== 0 ? ['clock-invalid'] : ['ok'];
    const period = monthPeriodOf(entry.meterTime);
    for (const v of entry.values) {
      records.push({
        readId: makeReadId({ gatewayId, meterId: meter.id, obis: v.obis, kind: 'load-profile', meterTime }),
        meterId: meter.id,
        meteringPoint: meter.meteringPoint,
        ...(meter.customerCode ? { customerCode: meter.customerCode } : {}),
        ...(meter.bookCode ? { bookCode: meter.bookCode } : {}),
        obis: v.obis,
        bcs: v.bcs,
        value: v.value,
        unit: v.unit,
        ...(v.scaler !== undefined ? { scaler: v.scaler } : {}),
        meterTime,
        receivedAt,
        quality,
        kind: 'load-profile',
        ...period,
        multiplier: meter.multiplier,
      });
    }
  }
  return records;
}
