import type { Clock } from '../../shared/clock.js';
import { dlms } from '../../dlms/axdr/build.js';
import { asDateTime } from '../../dlms/axdr/read.js';
import { CLOCK_STATUS, cosemDateTimeFromDate, cosemDateTimeToDate } from '../../dlms/axdr/datetime.js';
import { CLASS_ID } from '../../dlms/cosem/classes.js';
import { OBIS } from '../../dlms/cosem/obis.js';
import type { DlmsClient } from '../../client/dlms-client.js';
import { failureOf, PollingError, VIETNAM_UTC_OFFSET_MINUTES, type MeterJob } from '../polling/index.js';
import { deviationOf } from '../polling/local-time.js';
import type { MeterReadFailure } from '../model.js';

const CLOCK_ATTRIBUTE = { classId: CLASS_ID.clock, instanceId: OBIS.clock, attributeId: 2 } as const;
const DOUBT_BITS = CLOCK_STATUS.invalidValue | CLOCK_STATUS.doubtfulValue;

export interface ClockReading {
  ok: true;
  meterId: string;
  receivedAt: number;
  /** Meter clock minus gateway clock, measured at the midpoint of the exchange. */
  offsetSeconds: number;
  /** Half the round trip plus the clock's 1 s resolution: offsets within it are noise. */
  uncertaintySeconds: number;
  /** The meter's clock status says invalid or doubtful. */
  invalid: boolean;
}

export type ClockSyncOutcome = ClockReading & {
  /** set: the clock was written; in-tolerance: nothing to correct; refused: the jump is over the limit. */
  action: 'set' | 'in-tolerance' | 'refused';
  limitSeconds: number;
};

async function readClock(client: DlmsClient, meterId: string, clock: Clock): Promise<ClockReading> {
  const sentAt = clock.now();
  const data = await client.get(CLOCK_ATTRIBUTE);
  const receivedAt = clock.now();
  const dt = asDateTime(data);
  const time = dt && cosemDateTimeToDate(dt, deviationOf(VIETNAM_UTC_OFFSET_MINUTES));
  if (dt === undefined || time === undefined) {
    throw new PollingError('POLL_BAD_VALUE', `meter ${meterId}: clock value is not a complete date-time`, { context: { meter: meterId, step: 'get' } });
  }
  return {
    ok: true,
    meterId,
    receivedAt,
    offsetSeconds: (time.getTime() - (sentAt + receivedAt) / 2) / 1000,
    uncertaintySeconds: (receivedAt - sentAt) / 2000 + 1,
    invalid: ((dt.clockStatus ?? 0) & DOUBT_BITS) !== 0,
  };
}

/** The scheduled clock check: reads each meter's clock and measures it against the gateway's. */
export function clockCheckJob(clock: Clock): MeterJob<ClockReading | MeterReadFailure> {
  return async (client, meter) => {
    try {
      return await readClock(client, meter.id, clock);
    } catch (e) {
      return failureOf(e, meter.id, clock);
    }
  };
}

/**
 * Central's `clock-sync`: reads the clock and writes the gateway's time (IEC 62056-6-2 class 8, attribute
 * 2) only when the offset is within `limitSeconds`. A larger jump is refused and reported: it is what a
 * tamperer hiding consumption (or a gateway with a wrong clock) would cause, so a person decides. An
 * invalid clock (lost after a long outage) is set whatever its offset: there is no time to protect.
 */
export function clockSyncJob(clock: Clock, limitSeconds: number): MeterJob<ClockSyncOutcome | MeterReadFailure> {
  return async (client, meter) => {
    try {
      const reading = await readClock(client, meter.id, clock);
      const drift = Math.abs(reading.offsetSeconds);
      if (!reading.invalid && drift <= reading.uncertaintySeconds) return { ...reading, action: 'in-tolerance', limitSeconds };
      if (!reading.invalid && drift > limitSeconds) return { ...reading, action: 'refused', limitSeconds };
      const at = new Date(clock.now());
      await client.set(CLOCK_ATTRIBUTE, dlms.dateTimeOctets(cosemDateTimeFromDate(at, deviationOf(VIETNAM_UTC_OFFSET_MINUTES))));
      return { ...reading, action: 'set', limitSeconds };
    } catch (e) {
      return failureOf(e, meter.id, clock, 'set');
    }
  };
}
