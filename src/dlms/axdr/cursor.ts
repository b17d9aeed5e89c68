import { DlmsError } from '../errors.js';

/**
 * A bounds-checked read position over a byte buffer, shared by the A-XDR decoders. Every read checks the
 * remaining length first so that short input always ends in DLMS_TRUNCATED (the client's "need more
 * bytes" signal) and never in a RangeError or an `undefined` sneaking into arithmetic.
 */
export class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
  ) {
    if (!Number.isInteger(pos) || pos < 0 || pos > bytes.length) {
      throw new DlmsError('DLMS_BAD_DATA', `offset ${pos} is outside the ${bytes.length}-byte buffer`, {
        context: { offset: pos },
      });
    }
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws DLMS_TRUNCATED unless `n` more bytes are available; `what` names the field for the message. */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DlmsError(
        'DLMS_TRUNCATED',
        `${what} at byte ${this.pos} needs ${n} byte(s), only ${this.remaining} left`,
        { context: { offset: this.pos, needed: n, available: this.remaining } },
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const v = ((b[this.pos] as number) << 8) | (b[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  view(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next `n` bytes, for values handed to callers (they must not alias the input buffer). */
  take(n: number, what: string): Uint8Array {
    return this.view(n, what).slice();
  }

  dataView(n: number, what: string): DataView {
    const v = this.view(n, what);
    return new DataView(v.buffer, v.byteOffset, v.byteLength);
  }
}

export function badData(message: string, offset?: number): DlmsError {
  return new DlmsError('DLMS_BAD_DATA', offset === undefined ? message : `${message} (at byte ${offset})`, {
    context: offset === undefined ? {} : { offset },
  });
}
