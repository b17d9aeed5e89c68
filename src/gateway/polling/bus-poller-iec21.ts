import type { Clock } from '../../shared/clock.js';
import { isDlmsError } from '../../dlms/errors.js';
import { encodeRequest } from '../../dlms/iec62056-21/messages.js';
import { MeterError, meterError, type MeterErrorCode } from '../../client/errors.js';
import { signOn, type ReconfigurableLine } from '../../client/iec21-sign-on.js';
import { channelFor } from '../../client/channel.js';
import type { Transport } from '../../transport/transport.js';
import type { BusDefinition, MeterDefinition } from '../model.js';
import { PollingError } from './errors.js';

/** IEC 62056-21 §6.3.1: every sign-on starts at 300 baud, 7 data bits, even parity, 1 stop bit. */
export const SIGN_ON_FORMAT = { dataBits: 7, parity: 'even', stopBits: 1, baudRate: 300 } as const;

type FormatSetter = Pick<ReconfigurableLine, 'setFormat'>;

function canReformat(t: Transport): t is Transport & FormatSetter {
  return typeof (t as Partial<FormatSetter>).setFormat === 'function';
}

/** The serial port a bus opens when its meters want the sign-on: 7E1 made in software, see signOnMeter. */
export function iec21PortOptions(bus: BusDefinition) {
  // Parity in software keeps the port open across the 7E1 ⇄ 8N1 switches (a reopen would drop DTR and
  // lose the meter's answer to the option select).
  return { path: bus.device, ...SIGN_ON_FORMAT, emulate7E1: true } as const;
}

/**
 * The mode E hand-over for one meter on a bus (IEC 62056-21 §6.4.5, protocol mode E): back to 300 baud
 * 7E1, the request addressed to the meter's serial (so that one meter of the multi-drop bus answers),
 * then the switch to HDLC at the speed the meter offered. The meter falls back to sign-on mode when the
 * HDLC link is disconnected, so every conversation starts here. `port` carries the bytes (with the bus's
 * gap and pacing), `raw` is the serial port whose format changes. Resolves with the agreed baud.
 */
export async function signOnMeter(port: Transport, raw: Transport, bus: BusDefinition, meter: MeterDefinition, clock: Clock): Promise<number> {
  if (!canReformat(raw)) {
    throw new PollingError('POLL_BAD_CONFIG', `bus ${bus.id}: iec21 is set but the port ${raw.description} cannot change speed and format`, { context: { meter: meter.id, step: 'sign-on' } });
  }
  // The port carries one listener (the HDLC links' channel): the sign-on borrows it for its duration.
  let onData: ((bytes: Uint8Array) => void) | undefined;
  let onClose: ((error?: Error) => void) | undefined;
  // What was heard, to tell silence from a bad answer when the sign-on times out (see silentFailure).
  const seen: Seen = { received: [] };
  const line: ReconfigurableLine = {
    get description() {
      return port.description;
    },
    get isOpen() {
      return port.isOpen;
    },
    open: () => port.open(),
    write: (bytes) => port.write(bytes),
    onData: (l) => void (onData = l),
    onClose: (l) => void (onClose = l),
    close: () => port.close(),
    setFormat: (f) => raw.setFormat(f),
  };
  const shared = channelFor(port);
  try {
    await raw.setFormat(SIGN_ON_FORMAT);
    await port.flush?.();
    shared.attach(
      (bytes) => {
        if (seen.received.length < 256) seen.received.push(...bytes.subarray(0, 256 - seen.received.length));
        onData?.(bytes);
      },
      (error) => onClose?.(error),
    );
    const result = await signOn(line, { mode: 'hdlc', ...(meter.serial !== undefined ? { address: meter.serial } : {}), clock });
    if (result.mode !== 'hdlc') throw new PollingError('POLL_BAD_CONFIG', `meter ${meter.id}: the sign-on ended in a readout, not the HDLC hand-over`, { context: { meter: meter.id, step: 'sign-on' } });
    return result.baud;
  } catch (e) {
    if (e instanceof PollingError) throw e;
    const silent = silentFailure(e, seen, meter.serial);
    if (silent === undefined) throw meterError(e, meter.id, 'sign-on');
    const wrapped = meterError(e, meter.id, 'sign-on');
    const to = meter.serial === undefined ? 'without an address (any meter)' : `to serial ${meter.serial}`;
    throw new MeterError(silent, `${wrapped.message}; the request went ${to} on bus ${bus.id}`, { cause: e, context: { ...wrapped.context, address: meter.serial ?? '' } });
  } finally {
    shared.release();
  }
}

/**
 * A sign-on wait that ran out (DLMS_IEC21_TIMEOUT) is one of two faults for the poller: nothing at all
 * after the request is a meter that does not answer (dead, unpowered, wrong serial in the config: retry
 * later, count towards offline); a partial answer then silence is line trouble (noise, wrong speed) like a
 * corrupt HDLC frame.
 */
function silentFailure(e: unknown, seen: Seen, address: string | undefined): MeterErrorCode | undefined {
  if (!isDlmsError(e) || e.code !== 'DLMS_IEC21_TIMEOUT') return undefined;
  // A half-duplex RS485 adapter echoes our own request: that is not an answer.
  const echo = encodeRequest(address);
  const heard = seen.received.length >= echo.length && echo.every((b, i) => (seen.received[i]! & 0x7f) === b) ? seen.received.slice(echo.length) : seen.received;
  return heard.length === 0 ? 'METER_NO_ANSWER' : 'METER_CORRUPT';
}

interface Seen {
  /** The first bytes heard during the sign-on (parity bit as the port gave it). */
  received: number[];
}
