import { DlmsError } from '../errors.js';
import { decodeAddress, encodeAddress, type DecodedAddress, type HdlcAddress } from './address.js';
import { decodeControl, encodeControl, type Control } from './control.js';
import { crc16x25, hex16, readCheck } from './crc.js';

/**
 * One HDLC frame of frame format type 3 (IEC 62056-46 clause 6.4.1):
 *
 *   7E | format (2) | dest addr (1,2,4) | src addr (1,2,4) | control | [HCS (2) | information] | FCS (2) | 7E
 *
 * format = 1010 S LLL LLLLLLLL: type 3, the segmentation bit S, and the 11-bit frame length counted from
 * the format field to the FCS inclusive (flags excluded). HCS (over format..control) is present only when
 * there is an information field; FCS covers format..information. DLMS uses no byte stuffing: a receiver
 * finds the end of a frame through the length, never by looking for the next 0x7E.
 */
export interface HdlcFrame {
  readonly segmented: boolean;
  readonly destination: HdlcAddress;
  readonly source: HdlcAddress;
  readonly control: Control;
  /** Absent when the frame has no information field (an empty array encodes the same way). */
  readonly information?: Uint8Array;
}

export const FLAG = 0x7e;
/** Largest value of the 11-bit length field. */
export const MAX_FRAME_LENGTH = 0x7ff;
/** format (2) + two 1-byte addresses + control + FCS (2). */
export const MIN_FRAME_LENGTH = 7;

export function encodeFrame(f: HdlcFrame): Uint8Array {
  const dest = encodeAddress(f.destination);
  const src = encodeAddress(f.source);
  const control = encodeControl(f.control);
  const info = f.information !== undefined && f.information.length > 0 ? f.information : undefined;
  const header = 2 + dest.length + src.length + 1;
  const length = header + (info ? 2 + info.length : 0) + 2;
  if (length > MAX_FRAME_LENGTH) {
    throw new DlmsError(
      'DLMS_BAD_FRAME',
      `frame length ${length} exceeds the 11-bit length field (max ${MAX_FRAME_LENGTH}); segment the information`,
      { context: { length } },
    );
  }
  const out = new Uint8Array(length + 2);
  out[0] = FLAG;
  out[1] = 0xa0 | (f.segmented ? 0x08 : 0) | (length >> 8);
  out[2] = length & 0xff;
  out.set(dest, 3);
  out.set(src, 3 + dest.length);
  let at = 3 + dest.length + src.length;
  out[at++] = control;
  if (info) {
    const hcs = crc16x25(out, 1, at);
    out[at++] = hcs & 0xff;
    out[at++] = hcs >> 8;
    out.set(info, at);
    at += info.length;
  }
  const fcs = crc16x25(out, 1, at);
  out[at++] = fcs & 0xff;
  out[at++] = fcs >> 8;
  out[at] = FLAG;
  return out;
}

/** Decodes one complete frame, opening and closing flags included. */
export function decodeFrame(bytes: Uint8Array): HdlcFrame {
  if (bytes.length < MIN_FRAME_LENGTH + 2) {
    throw new DlmsError('DLMS_TRUNCATED', `a frame needs at least ${MIN_FRAME_LENGTH + 2} bytes, got ${bytes.length}`, {
      context: { length: bytes.length },
    });
  }
  if (bytes[0] !== FLAG) throw badFrame(`byte 0 is 0x${hex(bytes[0])}, not the opening flag 0x7E`, 0);
  if (bytes[bytes.length - 1] !== FLAG) {
    throw badFrame(`last byte is 0x${hex(bytes[bytes.length - 1])}, not the closing flag 0x7E`, bytes.length - 1);
  }
  const length = frameLength(bytes, 1);
  if (length !== bytes.length - 2) {
    throw badFrame(`format field announces ${length} bytes but ${bytes.length - 2} lie between the flags`, 1);
  }
  return decodeFrameBody(bytes, 1);
}

/** Reads the 11-bit length of the format field at `at` (checking the type-3 marker). */
export function frameLength(bytes: Uint8Array, at: number): number {
  const f0 = bytes[at];
  const f1 = bytes[at + 1];
  if (f0 === undefined || f1 === undefined) {
    throw new DlmsError('DLMS_TRUNCATED', `format field at byte ${at} is cut short`, { context: { offset: at } });
  }
  if ((f0 & 0xf0) !== 0xa0) throw badFrame(`format byte 0x${hex(f0)} is not frame format type 3 (0xA_)`, at);
  return ((f0 & 0x07) << 8) | f1;
}

/**
 * Decodes the frame whose format field starts at `start` (the byte after the opening flag); the frame's
 * bytes must all be present. Checks HCS and FCS. The information field is copied, so the result never
 * aliases the caller's buffer.
 */
export function decodeFrameBody(bytes: Uint8Array, start: number): HdlcFrame {
  const length = frameLength(bytes, start);
  if (length < MIN_FRAME_LENGTH) throw badFrame(`frame length ${length} is below the minimum ${MIN_FRAME_LENGTH}`, start);
  const end = start + length; // one past the FCS
  if (end > bytes.length) {
    throw new DlmsError('DLMS_TRUNCATED', `frame at byte ${start} announces ${length} bytes, ${bytes.length - start} present`, {
      context: { offset: start, length },
    });
  }
  const fcsAt = end - 2;
  const dest = addressIn(bytes, start + 2, fcsAt, 'destination');
  const src = addressIn(bytes, dest.next, fcsAt, 'source');
  const controlAt = src.next;
  if (controlAt >= fcsAt) throw badFrame(`frame length ${length} leaves no room for the control field`, start);
  const control = decodeControl(bytes[controlAt] as number, controlAt);
  const headerEnd = controlAt + 1;
  let information: Uint8Array | undefined;
  if (headerEnd < fcsAt) {
    // An information field is present, so an HCS follows the header (clause 6.4.4.3).
    if (fcsAt - headerEnd < 3) {
      throw badFrame(`frame length ${length} leaves room for an HCS but no information field`, headerEnd);
    }
    checkSequence('HCS', bytes, start, headerEnd);
    information = bytes.slice(headerEnd + 2, fcsAt);
  }
  checkSequence('FCS', bytes, start, fcsAt);
  const frame = {
    segmented: ((bytes[start] as number) & 0x08) !== 0,
    destination: plain(dest),
    source: plain(src),
    control,
  };
  return information === undefined ? frame : { ...frame, information };
}

/** Inside a complete frame an address running into the FCS is a malformed frame, not "need more data". */
function addressIn(bytes: Uint8Array, at: number, limit: number, what: string): DecodedAddress {
  try {
    return decodeAddress(bytes, at, limit);
  } catch (e) {
    if (e instanceof DlmsError && e.code === 'DLMS_TRUNCATED') {
      throw new DlmsError('DLMS_BAD_FRAME', `${what} address at byte ${at} runs into the FCS`, { context: { offset: at } });
    }
    throw e;
  }
}

function checkSequence(what: 'HCS' | 'FCS', bytes: Uint8Array, from: number, at: number): void {
  const expected = crc16x25(bytes, from, at);
  const found = readCheck(bytes, at);
  if (expected !== found) {
    throw new DlmsError(
      'DLMS_BAD_CHECKSUM',
      `${what} at byte ${at} is ${hex16(found)}, expected ${hex16(expected)} (CRC-16/X.25, sent low byte first)`,
      { context: { offset: at, field: what, expected, found } },
    );
  }
}

function plain(a: HdlcAddress): HdlcAddress {
  return a.lower === undefined ? { upper: a.upper, size: a.size } : { upper: a.upper, lower: a.lower, size: a.size };
}

function badFrame(reason: string, offset: number): DlmsError {
  return new DlmsError('DLMS_BAD_FRAME', reason, { context: { offset } });
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).toUpperCase().padStart(2, '0');
}
