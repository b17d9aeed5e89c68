import { DlmsError } from '../errors.js';

/**
 * HDLC address fields, IEC 62056-46 clause 6.4.2.2. Each address byte carries 7 address bits and an
 * extension bit (LSB): 0 = more bytes follow, 1 = last byte. So the length of the field is found by
 * scanning for the first byte with LSB = 1, and only 1, 2 or 4 bytes are allowed.
 *
 * - client address: always 1 byte, the client SAP (16 public client, 17 LLS reading, ...).
 * - server address: the upper HDLC address (logical device) and, in 2- and 4-byte forms, the lower HDLC
 *   address (physical device, e.g. the RS485 bus address). 1-byte: upper only, 0..127; 2-byte: one byte
 *   each, 0..127; 4-byte: two bytes each, 0..16383.
 *
 * The decoder cannot tell a client from a server address (that depends on the frame's direction), so a
 * decoded address is neutral: `upper` (client SAP or server logical device) and `lower` when present.
 */
export type AddressSize = 1 | 2 | 4;

export interface HdlcAddress {
  /** Client SAP, or the server's upper HDLC address (logical device). */
  readonly upper: number;
  /** The server's lower HDLC address (physical device); only in 2- and 4-byte addresses. */
  readonly lower?: number;
  readonly size: AddressSize;
}

/** A server address as configured: logical device, physical device (2- and 4-byte forms) and size. */
export interface ServerAddressSpec {
  readonly logical: number;
  readonly physical?: number;
  readonly size: AddressSize;
}

export interface DecodedAddress extends HdlcAddress {
  /** Bytes taken by the field (= size). */
  readonly length: number;
  /** Offset just after the field. */
  readonly next: number;
}

function bad(reason: string, context: Record<string, number | string> = {}): DlmsError {
  return new DlmsError('DLMS_BAD_ADDRESS', reason, { context });
}

function checkRange(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw bad(`${what} ${v} is out of range 0..${max}`, { field: what, value: String(v) });
  }
}

export function clientAddress(sap: number): HdlcAddress {
  checkRange('client SAP', sap, 127);
  return { upper: sap, size: 1 };
}

export function serverAddress(spec: ServerAddressSpec): HdlcAddress {
  validateServer(spec);
  return spec.size === 1
    ? { upper: spec.logical, size: 1 }
    : { upper: spec.logical, lower: spec.physical as number, size: spec.size };
}

function validateServer(spec: ServerAddressSpec): void {
  const { logical, physical, size } = spec;
  if (size === 1) {
    checkRange('server logical address (1-byte form)', logical, 127);
    if (physical !== undefined) {
      throw bad(`a 1-byte server address has no physical address (got ${physical}); use size 2 or 4`);
    }
    return;
  }
  if (size !== 2 && size !== 4) throw bad(`server address size ${String(size)} is not 1, 2 or 4`);
  const max = size === 2 ? 127 : 16383;
  checkRange(`server logical address (${size}-byte form)`, logical, max);
  if (physical === undefined) throw bad(`a ${size}-byte server address needs a physical address`);
  checkRange(`server physical address (${size}-byte form)`, physical, max);
}

export function encodeClientAddress(sap: number): Uint8Array {
  return encodeAddress(clientAddress(sap));
}

export function encodeServerAddress(spec: ServerAddressSpec): Uint8Array {
  return encodeAddress(serverAddress(spec));
}

/** Encodes any address (validated again: frames built by hand must not slip an invalid one through). */
export function encodeAddress(a: HdlcAddress): Uint8Array {
  if (a.size === 1) {
    checkRange('1-byte address', a.upper, 127);
    if (a.lower !== undefined) throw bad('a 1-byte address has no lower (physical) part');
    return Uint8Array.of(((a.upper << 1) | 1) & 0xff);
  }
  if (a.size !== 2 && a.size !== 4) throw bad(`address size ${String(a.size)} is not 1, 2 or 4`);
  const lower = a.lower;
  if (lower === undefined) throw bad(`a ${a.size}-byte address needs a lower (physical) part`);
  if (a.size === 2) {
    checkRange('upper address (2-byte form)', a.upper, 127);
    checkRange('lower address (2-byte form)', lower, 127);
    return Uint8Array.of((a.upper << 1) & 0xff, ((lower << 1) | 1) & 0xff);
  }
  checkRange('upper address (4-byte form)', a.upper, 16383);
  checkRange('lower address (4-byte form)', lower, 16383);
  return Uint8Array.of(
    (a.upper >> 7) << 1,
    (a.upper & 0x7f) << 1,
    (lower >> 7) << 1,
    ((lower & 0x7f) << 1) | 1,
  );
}

/**
 * Decodes the address field starting at `offset`, reading no further than `limit` (default: end of
 * buffer). Throws DLMS_TRUNCATED when the field runs past `limit`, DLMS_BAD_ADDRESS for 3 or more than 4
 * bytes.
 */
export function decodeAddress(bytes: Uint8Array, offset: number, limit = bytes.length): DecodedAddress {
  const end = Math.min(limit, bytes.length);
  let length = 0;
  for (let i = 0; i < 4; i++) {
    const at = offset + i;
    if (at >= end) {
      throw new DlmsError('DLMS_TRUNCATED', `address field at byte ${offset} ends before its last byte`, {
        context: { offset },
      });
    }
    if (((bytes[at] as number) & 1) === 1) {
      length = i + 1;
      break;
    }
  }
  if (length === 0) throw bad(`address field at byte ${offset} is longer than 4 bytes`, { offset });
  if (length === 3) throw bad(`address field at byte ${offset} has 3 bytes (only 1, 2 or 4 allowed)`, { offset });
  const b = (i: number): number => (bytes[offset + i] as number) >> 1;
  const next = offset + length;
  if (length === 1) return { upper: b(0), size: 1, length, next };
  if (length === 2) return { upper: b(0), lower: b(1), size: 2, length, next };
  return { upper: (b(0) << 7) | b(1), lower: (b(2) << 7) | b(3), size: 4, length, next };
}

/** Same station? Compares values, not the field size (a meter may answer a 2-byte query with 4 bytes). */
export function sameAddress(a: HdlcAddress, b: HdlcAddress): boolean {
  return a.upper === b.upper && a.lower === b.lower;
}

export function formatAddress(a: HdlcAddress): string {
  return a.lower === undefined ? `${a.upper}` : `${a.upper}/${a.lower}`;
}
