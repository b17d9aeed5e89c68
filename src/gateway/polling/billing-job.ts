import type { Clock } from '../../shared/clock.js';
import type { ScalerCache } from '../../client/register-reader.js';
import { CLOCK_STATUS } from '../../dlms/axdr/datetime.js';
import { OBIS, parseObis } from '../../dlms/cosem/obis.js';
import type { MeterDefinition, MeterReadFailure, RegisterValue } from '../model.js';
import { PollingError } from './errors.js';
import { deviationOf, VIETNAM_UTC_OFFSET_MINUTES } from './local-time.js';
import { columnScalers, readProfileRange, readProfileShape, rowClockStatus, rowTime } from './profile-read.js';
import { failureOf, type MeterJob } from './session.js';
import { registerValue } from './values.js';

/** The meter's own month-end snapshot (0.0.98.1.0.255) of one month boundary. */
export interface BillingSnapshotRead {
  ok: true;
  meterId: string;
  receivedAt: number;
  /** The month boundary asked for: local 00:00 on the 1st. */
  monthStart: number;
  /** The snapshot's own clock stamp (the meter's time of the capture). */
  meterTime: number;
  clockInvalid: boolean;
  /** Mapped registers at that instant, in the configured units. */
  registers: RegisterValue[];
  partialErrors: { obis: string; code: string; message: string }[];
  /** false when the meter refused selective access and the whole buffer was read. */
  selectiveAccess: boolean;
}

export type BillingReadResult = BillingSnapshotRead | MeterReadFailure;

export interface BillingJobOptions {
  clock: Clock;
  scalers: ScalerCache;
  /** The month boundary to read (see monthStartOf / lastMonthEnd). */
  monthStart: number;
  /** Accept a snapshot stamped this far from 00:00 (a meter whose clock was a little off); default 1 h. */
  windowMs?: number;
  utcOffsetMinutes?: number;
}

const DOUBT_BITS = CLOCK_STATUS.invalidValue | CLOCK_STATUS.doubtfulValue;

/**
 * After a month end: the meter's billing-period snapshot at 00:00 on the 1st, asked for by a range of
 * dates around that instant (whole buffer if the meter refuses selective access), and its register
 * columns mapped to BCS by the model's register map. The billed index is the meter's own capture, so a
 * read late on the 1st still bills exactly the calendar month.
 */
export function billingJob(options: BillingJobOptions): MeterJob<BillingReadResult> {
  const windowMs = options.windowMs ?? 3_600_000;
  const deviation = deviationOf(options.utcOffsetMinutes ?? VIETNAM_UTC_OFFSET_MINUTES);
  return async (client, meter: MeterDefinition) => {
    try {
      const shape = await readProfileShape(client, OBIS.billingPeriodValues);
      const { rows, selective } = await readProfileRange(client, shape, options.monthStart - windowMs, options.monthStart + windowMs, deviation, true);
      const receivedAt = options.clock.now();
      // The entry nearest to 00:00 when several fall in the window.
      let best: { row: (typeof rows)[number]; t: number } | undefined;
      for (const row of rows) {
        const t = rowTime(shape, row, deviation);
        if (t !== undefined && (best === undefined || Math.abs(t - options.monthStart) < Math.abs(best.t - options.monthStart))) best = { row, t };
      }
      if (best === undefined) {
        throw new PollingError('POLL_NO_SNAPSHOT', `meter ${meter.id}: no billing snapshot within ${windowMs / 60_000} min of ${new Date(options.monthStart).toISOString()}`, {
          context: { meter: meter.id, step: 'get', monthStart: options.monthStart },
        });
      }
      const scalers = await columnScalers(client, meter.id, shape, options.scalers);
      const result: BillingSnapshotRead = {
        ok: true,
        meterId: meter.id,
        receivedAt,
        monthStart: options.monthStart,
        meterTime: best.t,
        clockInvalid: ((rowClockStatus(shape, best.row) ?? 0) & DOUBT_BITS) !== 0,
        registers: [],
        partialErrors: [],
        selectiveAccess: selective,
      };
      for (const mapping of meter.registers) {
        const obis = parseObis(mapping.obis);
        const column = shape.captureObjects.findIndex((co) => co.obis === obis && co.attribute === 2);
        if (column < 0) {
          result.partialErrors.push({ obis, code: 'METER_OBJECT_UNDEFINED', message: `meter ${meter.id}: the billing profile does not capture ${obis}` });
          continue;
        }
        try {
          result.registers.push(registerValue(mapping, best.row[column]!, scalers.get(column), `meter ${meter.id} billing snapshot`));
        } catch (e) {
          if (!(e instanceof PollingError)) throw e;
          result.partialErrors.push({ obis, code: e.code, message: e.message });
        }
      }
      return result;
    } catch (e) {
      return failureOf(e, meter.id, options.clock);
    }
  };
}
