import { ByteWriter } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';

/**
 * The TCP/UDP wrapper of IEC 62056-47 §5 (Green Book "the wrapper sub-layer"): every APDU is preceded by
 * an 8-byte header — version (2 bytes, always 0x0001), source wPort, destination wPort, length of the
 * APDU (2 bytes) — all big-endian. The wPorts play the role the HDLC addresses play on a serial line:
 * client SAP (e.g. 16 public, 17 reading) and server logical device (1 management).
 * TCP gives no message boundaries, hence the deframer below; UDP datagrams hold exactly one frame.
 */
export const WRAPPER_VERSION = 0x0001;
export const WRAPPER_HEADER_SIZE = 8;
/** The length field is 16 bits: no APDU in a wrapper frame can be longer. */
export const WRAPPER_MAX_LENGTH = 0xffff;

export interface WrapperHeader {
  readonly version: number;
  readonly source: number;
  readonly destination: number;
  /** APDU bytes that follow the header. */
  readonly length: number;
}

export interface WrapperFrame {
  readonly source: number;
  readonly destination: number;
  readonly payload: Uint8Array;
}

function checkPort(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new DlmsError('DLMS_BAD_FRAME', `${what} ${value} is not a 16-bit wPort`, { context: { [what]: value } });
  }
  return value;
}

export function encodeWrapper(frame: WrapperFrame): Uint8Array {
  if (frame.payload.length > WRAPPER_MAX_LENGTH) {
    throw new DlmsError('DLMS_BAD_FRAME', `APDU of ${frame.payload.length} bytes exceeds the wrapper's ${WRAPPER_MAX_LENGTH}-byte length field`, {
      context: { length: frame.payload.length },
    });
  }
  const w = new ByteWriter(WRAPPER_HEADER_SIZE + frame.payload.length);
  w.u16(WRAPPER_VERSION)
    .u16(checkPort(frame.source, 'source'))
    .u16(checkPort(frame.destination, 'destination'))
    .u16(frame.payload.length)
    .bytes(frame.payload);
  return w.toBytes();
}

/**
 * Reads the header at `offset`. Fewer than 8 bytes is DLMS_TRUNCATED; a version other than 1, or a length
 * above `maxLength`, is DLMS_BAD_FRAME naming the offset and the value. `streamOffset` shifts the offsets
 * in messages to positions in the whole TCP stream.
 */
export function decodeWrapperHeader(
  bytes: Uint8Array,
  offset = 0,
  options: { maxLength?: number; streamOffset?: number } = {},
): WrapperHeader {
  const at = (options.streamOffset ?? 0) + offset;
  const available = bytes.length - offset;
  if (!Number.isInteger(offset) || offset < 0 || available < WRAPPER_HEADER_SIZE) {
    throw new DlmsError('DLMS_TRUNCATED', `wrapper header at byte ${at} needs 8 bytes, ${Math.max(0, available)} available`, {
      context: { offset: at, needed: WRAPPER_HEADER_SIZE, available: Math.max(0, available) },
    });
  }
  const u16 = (i: number): number => ((bytes[offset + i] as number) << 8) | (bytes[offset + i + 1] as number);
  const version = u16(0);
  if (version !== WRAPPER_VERSION) {
    throw new DlmsError('DLMS_BAD_FRAME', `wrapper version 0x${version.toString(16).padStart(4, '0')} at byte ${at}, expected 0x0001`, {
      context: { offset: at, field: 'version', value: version },
    });
  }
  const length = u16(6);
  const maxLength = options.maxLength ?? WRAPPER_MAX_LENGTH;
  if (length > maxLength) {
    throw new DlmsError('DLMS_BAD_FRAME', `wrapper length ${length} at byte ${at + 6} exceeds the maximum ${maxLength}`, {
      context: { offset: at + 6, field: 'length', value: length, maxLength },
    });
  }
  return { version, source: u16(2), destination: u16(4), length };
}

/** Decodes one complete frame (a UDP datagram, or a test vector): the buffer must hold exactly one. */
export function decodeWrapper(bytes: Uint8Array, options: { maxLength?: number } = {}): WrapperFrame {
  const h = decodeWrapperHeader(bytes, 0, options);
  const end = WRAPPER_HEADER_SIZE + h.length;
  if (bytes.length < end) {
    throw new DlmsError('DLMS_TRUNCATED', `wrapper frame announces ${h.length} APDU bytes, ${bytes.length - WRAPPER_HEADER_SIZE} present`, {
      context: { offset: WRAPPER_HEADER_SIZE, needed: h.length, available: bytes.length - WRAPPER_HEADER_SIZE },
    });
  }
  if (bytes.length > end) {
    throw new DlmsError('DLMS_BAD_FRAME', `${bytes.length - end} byte(s) after the wrapper frame ending at byte ${end}`, {
      context: { offset: end },
    });
  }
  return { source: h.source, destination: h.destination, payload: bytes.slice(WRAPPER_HEADER_SIZE, end) };
}
