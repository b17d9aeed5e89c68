import { DlmsError } from '../errors.js';
import { WRAPPER_HEADER_SIZE, WRAPPER_MAX_LENGTH, decodeWrapperHeader, type WrapperFrame } from './wrapper.js';

export interface WrapperDeframerOptions {
  /**
   * Largest APDU accepted, at most 65535 (the length field's range). Set it to the negotiated PDU size
   * (plus ciphering overhead) to refuse a garbage length before buffering 64 KiB for it.
   */
  readonly maxLength?: number;
}

/**
 * Cuts a TCP byte stream into wrapper frames (IEC 62056-47 §5). Sans-IO: the connection pushes whatever
 * chunks the socket delivered and gets back the frames they completed. A bad header leaves no way to find
 * the next frame (the wrapper has no flag or checksum to resynchronise on), so the first error poisons the
 * deframer: every later push throws the same error and the caller must close the connection.
 */
export class WrapperDeframer {
  private buf: Uint8Array;
  /** Bytes [start, end) of buf are pending. */
  private start = 0;
  private end = 0;
  /** Stream offset of buf[start], for error messages. */
  private consumed = 0;
  private failure: DlmsError | undefined;
  private readonly maxLength: number;

  constructor(options: WrapperDeframerOptions = {}) {
    const max = options.maxLength ?? WRAPPER_MAX_LENGTH;
    if (!Number.isInteger(max) || max < 0 || max > WRAPPER_MAX_LENGTH) {
      throw new DlmsError('DLMS_BAD_FRAME', `wrapper maxLength ${max} must be 0..${WRAPPER_MAX_LENGTH}`);
    }
    this.maxLength = max;
    this.buf = new Uint8Array(256);
  }

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): WrapperFrame[] {
    if (this.failure) throw this.failure;
    this.append(chunk);
    const frames: WrapperFrame[] = [];
    while (this.pending >= WRAPPER_HEADER_SIZE) {
      let length: number;
      let source: number;
      let destination: number;
      try {
        ({ length, source, destination } = decodeWrapperHeader(this.buf.subarray(0, this.end), this.start, {
          maxLength: this.maxLength,
          streamOffset: this.consumed - this.start,
        }));
      } catch (e) {
        this.failure = e instanceof DlmsError ? e : new DlmsError('DLMS_BAD_FRAME', String(e), { cause: e });
        throw this.failure;
      }
      const frameEnd = this.start + WRAPPER_HEADER_SIZE + length;
      if (frameEnd > this.end) break;
      frames.push({ source, destination, payload: this.buf.slice(this.start + WRAPPER_HEADER_SIZE, frameEnd) });
      this.consumed += frameEnd - this.start;
      this.start = frameEnd;
    }
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    return frames;
  }

  /** Amortised O(1) per byte: compact or grow only when the free tail is too short. */
  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const pending = this.pending;
      const needed = pending + chunk.length;
      if (needed > this.buf.length || this.start === 0) {
        let cap = this.buf.length;
        while (cap < needed) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = pending;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
