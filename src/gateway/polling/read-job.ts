import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { DlmsClient } from '../../client/dlms-client.js';
import { MeterError } from '../../client/errors.js';
import { readAttributes, type Reading, type ScalerCache } from '../../client/register-reader.js';
import { asInteger, asString, isIntegerData } from '../../dlms/axdr/read.js';
import { CLOCK_STATUS } from '../../dlms/axdr/datetime.js';
import { attributeRef, CLASS_ID, type AttributeRef } from '../../dlms/cosem/classes.js';
import { OBIS, parseObis } from '../../dlms/cosem/obis.js';
import type { MeterDefinition, MeterReadResult, MeterReadSuccess } from '../model.js';
import { PollingError } from './errors.js';
import { forgetShape, readEventLog, type EventLogMarks } from './event-log-read.js';
import { deviationOf, VIETNAM_UTC_OFFSET_MINUTES } from './local-time.js';
import { failureOf, type MeterJob } from './session.js';
import { registerValue } from './values.js';

/** What the gateway knows about a meter model beyond its register map. */
export interface ModelFeatures {
  /** The model has the status word 0.0.96.5.0.255 (class 1). */
  statusWord?: boolean;
  /** The model has the standard event log 0.0.99.98.0.255 (class 7: time stamp, event code). */
  eventLog?: boolean;
}

/** Shared by every read of one gateway: scaler_unit is read once per meter, the serial checked once. */
export interface ReadJobContext {
  /** The gateway's clock: receive time and the meter's clock offset against it. */
  clock: Clock;
  scalers: ScalerCache;
  /** Meters whose serial has been checked against the config (filled by the job). */
  serialsChecked: Set<string>;
  models?: Readonly<Record<string, ModelFeatures>>;
  /** How far each meter's event log has been read (in memory: after a restart it is read back EVENT_LOG_LOOKBACK_MS). */
  eventLogMarks: EventLogMarks;
}

const CLOCK_REF = attributeRef(CLASS_ID.clock, OBIS.clock, 2);
const STATUS_REF = attributeRef(CLASS_ID.data, OBIS.statusRegister, 2);
const SERIAL_REF = attributeRef(CLASS_ID.data, OBIS.serialNumber, 2);
const DOUBT_BITS = CLOCK_STATUS.invalidValue | CLOCK_STATUS.doubtfulValue;

/**
 * One poll of one meter: the configured registers of its model, the clock, the status word when the
 * model has it and, on the first read, the serial number — all in as few exchanges as the meter allows —
 * then, when the model has it, what the meter's event log gained since the last poll.
 */
export function readJob(ctx: ReadJobContext): MeterJob<MeterReadResult> {
  return async (client, meter) => {
    try {
      return await readOnce(ctx, client, meter);
    } catch (e) {
      return failureOf(e, meter.id, ctx.clock);
    }
  };
}

async function readOnce(ctx: ReadJobContext, client: DlmsClient, meter: MeterDefinition): Promise<MeterReadResult> {
  const registerRefs = meter.registers.map((r) => attributeRef(r.classId, r.obis, 2));
  const withStatus = ctx.models?.[meter.model]?.statusWord === true;
  const withSerial = !ctx.serialsChecked.has(meter.id);
  const refs: AttributeRef[] = [...registerRefs, CLOCK_REF, ...(withStatus ? [STATUS_REF] : []), ...(withSerial ? [SERIAL_REF] : [])];
  const sentAt = ctx.clock.now();
  const readings = await readAttributes(client, meter.id, refs, ctx.scalers);
  const receivedAt = ctx.clock.now();
  const byRef = (ref: AttributeRef): Reading => readings[refs.indexOf(ref)]!;

  const result: MeterReadSuccess = { ok: true, meterId: meter.id, receivedAt, registers: [], partialErrors: [] };
  const partial = (obis: string, code: string, message: string): void => void result.partialErrors.push({ obis, code, message });

  if (withSerial) {
    const r = byRef(SERIAL_REF);
    if (r.ok) {
      const serial = asString(r.data).trim();
      result.serial = serial;
      // A different serial at this address means the values belong to another customer: report no values.
      if (meter.serial !== undefined && serial !== meter.serial) {
        throw new PollingError('POLL_SERIAL_MISMATCH', `meter ${meter.id}: the meter at this address reports serial "${serial}", the config says "${meter.serial}"`, {
          context: { meter: meter.id, step: 'get', serial, expected: meter.serial },
        });
      }
      ctx.serialsChecked.add(meter.id);
    } else {
      partial(OBIS.serialNumber, r.error.code, r.error.message);
    }
  }

  meter.registers.forEach((mapping, i) => {
    const r = readings[i]!;
    if (!r.ok) return partial(parseObis(mapping.obis), r.error.code, r.error.message);
    try {
      result.registers.push(registerValue(mapping, r.data, r.scalerUnit, `meter ${meter.id}`));
    } catch (e) {
      if (!(e instanceof PollingError)) throw e;
      partial(parseObis(mapping.obis), e.code, e.message);
    }
  });

  const clock = byRef(CLOCK_REF);
  if (clock.ok && clock.time) {
    result.meterTime = clock.time.getTime();
    // The meter stamped its clock somewhere between our request and its answer: measure against the
    // midpoint and carry half the round trip (plus the clock's 1 s resolution) as the uncertainty, so a
    // slow link — or simulated time running fast — is not taken for a drifting clock.
    result.clockOffsetSeconds = (result.meterTime - (sentAt + receivedAt) / 2) / 1000;
    result.clockUncertaintySeconds = (receivedAt - sentAt) / 2000 + 1;
    result.clockInvalid = ((clock.dateTime?.clockStatus ?? 0) & DOUBT_BITS) !== 0;
  } else {
    partial(OBIS.clock, clock.ok ? 'POLL_BAD_VALUE' : clock.error.code, clock.ok ? `meter ${meter.id}: clock value is not a complete date-time` : clock.error.message);
  }

  if (withStatus) {
    const r = byRef(STATUS_REF);
    if (!r.ok) partial(OBIS.statusRegister, r.error.code, r.error.message);
    else if (!isIntegerData(r.data) || r.data.type === 'enum') {
      partial(OBIS.statusRegister, 'POLL_BAD_VALUE', `meter ${meter.id}: status word is ${r.data.type}, not an unsigned integer`);
    } else result.statusWord = Number(asInteger(r.data));
  }

  if (ctx.models?.[meter.model]?.eventLog === true) {
    // In the same association, after the registers: the values are already safe whatever happens here.
    const marks = ctx.eventLogMarks;
    const mark = marks.get(meter.id);
    const deviation = (clock.ok ? clock.dateTime?.deviation : undefined) ?? deviationOf(VIETNAM_UTC_OFFSET_MINUTES);
    try {
      const log = await readEventLog(client, meter.id, mark, { gatewayNow: receivedAt, meterNow: result.meterTime }, deviation);
      result.events = log.events;
      marks.set(meter.id, log.mark);
    } catch (e) {
      if (mark?.shape) marks.set(meter.id, forgetShape(mark));
      partial(OBIS.standardEventLog, e instanceof MeterError || e instanceof PollingError ? e.code : 'METER_PROTOCOL', `meter ${meter.id}: event log not read: ${errorMessage(e)}`);
    }
  }
  return result;
}

