import { decodeApdu, encodeApdu, type Apdu } from '../../src/dlms/apdu/index.js';
import type { HdlcAddress } from '../../src/dlms/hdlc/address.js';
import type { Control } from '../../src/dlms/hdlc/control.js';
import { HdlcDeframer } from '../../src/dlms/hdlc/deframer.js';
import { encodeFrame, type HdlcFrame } from '../../src/dlms/hdlc/frame.js';
import { LLC_COMMAND } from '../../src/dlms/hdlc/llc.js';
import { concatBytes } from '../../src/shared/bytes.js';

/** Hand-built HDLC frames from a client, for tests that talk to the simulator byte by byte. */
export function clientFrame(server: HdlcAddress, clientSap: number, control: Control, apdu?: Apdu): Uint8Array {
  const base: HdlcFrame = { segmented: false, destination: server, source: { upper: clientSap, size: 1 }, control };
  return encodeFrame(apdu === undefined ? base : { ...base, information: concatBytes([LLC_COMMAND, encodeApdu(apdu)]) });
}

export const serverAt = (physical: number): HdlcAddress => ({ upper: 1, lower: physical, size: 4 });

/** All complete frames in a byte stream (the simulator's answers), decoded. */
export function framesIn(bytes: Uint8Array): HdlcFrame[] {
  return new HdlcDeframer().push(bytes).frames;
}

/** The APDU in an unsegmented I-frame answer (after the E6 E7 00 LLC). */
export function apduOf(frame: HdlcFrame): Apdu {
  if (frame.information === undefined) throw new Error(`frame ${frame.control.type} has no information field`);
  return decodeApdu(frame.information.subarray(3));
}
