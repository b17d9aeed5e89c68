import { DlmsError } from '../errors.js';
import { crc16x25, hex16, readCheck } from './crc.js';
import { FLAG, MAX_FRAME_LENGTH, MIN_FRAME_LENGTH, decodeFrameBody, type HdlcFrame } from './frame.js';

/**
 * Cuts a byte stream into HDLC frames (IEC 62056-46 clause 6.4.1 / 6.4.4).
 *
 * DLMS HDLC has no byte stuffing, so 0x7E may occur inside the HCS, the FCS or the information field. A
 * frame is therefore delimited by the 11-bit length of its format field, never by the next flag. A
 * closing flag may double as the next frame's opening flag (…7E A0…), and idle flags (7E 7E) are skipped.
 *
 * Robustness: a frame start is only believed after cheap checks (type-3 format, plausible length,
 * well-formed address field, HCS when there is an information field), so noise rarely makes us wait
 * for a long bogus frame, and the wait is bounded by `maxFrameLength`. After garbage or a bad checksum
 * one error is reported and scanning resumes one byte after the rejected start, so a good frame that
 * was swallowed by a bogus length is still found; so is one that arrives complete while a bogus start
 * still waits for its body. Further rejects are not reported until a good frame
 * has come (one error per disturbance, not one per byte).
 *
 * The core is a pure function over an immutable state so that the link machines can embed it; the
 * `HdlcDeframer` class wraps it for imperative callers.
 */
export interface DeframerState {
  /** Bytes received but not yet consumed (a partial frame, or nothing). */
  readonly buffer: Uint8Array;
  /** Stream offset of buffer[0], for error messages. */
  readonly consumed: number;
  /** An error was reported and no good frame has been seen since. */
  readonly resyncing: boolean;
}

export interface DeframerOptions {
  /** Longest frame (format..FCS) accepted; longer announced lengths are rejected at once. */
  readonly maxFrameLength?: number;
}

export interface DeframeResult {
  readonly state: DeframerState;
  readonly frames: HdlcFrame[];
  readonly errors: DlmsError[];
}

export const INITIAL_DEFRAMER: DeframerState = { buffer: new Uint8Array(0), consumed: 0, resyncing: false };

type Candidate =
  | { readonly kind: 'need' }
  | { readonly kind: 'frame'; readonly frame: HdlcFrame; readonly end: number }
  | { readonly kind: 'bad'; readonly error: DlmsError };

const NEED: Candidate = { kind: 'need' };

export function deframe(state: DeframerState, chunk: Uint8Array, options: DeframerOptions = {}): DeframeResult {
  const maxLength = Math.min(options.maxFrameLength ?? MAX_FRAME_LENGTH, MAX_FRAME_LENGTH);
  const buf = joinBytes(state.buffer, chunk);
  const frames: HdlcFrame[] = [];
  const errors: DlmsError[] = [];
  let resyncing = state.resyncing;
  const report = (e: DlmsError): void => {
    if (!resyncing) errors.push(e);
    resyncing = true;
  };

  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] !== FLAG) {
      let next = buf.indexOf(FLAG, pos);
      if (next < 0) next = buf.length;
      report(
        new DlmsError(
          'DLMS_BAD_FRAME',
          `${next - pos} byte(s) outside any frame at stream byte ${state.consumed + pos} (first 0x${hex(buf[pos])})`,
          { context: { streamOffset: state.consumed + pos, skipped: next - pos } },
        ),
      );
      pos = next;
      continue;
    }
    if (pos + 1 >= buf.length) break;
    if (buf[pos + 1] === FLAG) {
      pos++; // idle flag, or a closing flag followed by a separate opening flag
      continue;
    }
    const c = candidate(buf, pos, maxLength, state.consumed + pos);
    if (c.kind === 'need') {
      const later = completeFrameAfter(buf, pos, maxLength, state.consumed);
      if (later < 0) break;
      report(
        new DlmsError(
          'DLMS_BAD_FRAME',
          `frame starting at stream byte ${state.consumed + pos} is still short of its announced length ` +
            `when a complete frame starts at stream byte ${state.consumed + later}: the first was noise`,
          { context: { streamOffset: state.consumed + pos, skipped: later - pos } },
        ),
      );
      pos = later;
      continue;
    }
    if (c.kind === 'bad') {
      report(c.error);
      pos++;
      continue;
    }
    frames.push(c.frame);
    resyncing = false;
    pos = c.end; // the closing flag: it may open the next frame
  }
  return {
    state: { buffer: buf.slice(pos), consumed: state.consumed + pos, resyncing },
    frames,
    errors,
  };
}

/**
 * Index of the first flag after `p` that opens a complete, checksummed frame, or -1.
 *
 * Noise can form a header whose HCS happens to match (one chance in 65 536 once the cheap checks pass).
 * Waiting for its body would swallow every real frame behind it until the link times out. A frame
 * that passes HCS, FCS and its closing flag inside another frame's body is far less likely (2^-32),
 * and a meter never starts a frame before finishing the last, so the complete frame wins.
 */
function completeFrameAfter(buf: Uint8Array, p: number, maxLength: number, consumed: number): number {
  for (let q = buf.indexOf(FLAG, p + 1); q >= 0 && q + 1 < buf.length; q = buf.indexOf(FLAG, q + 1)) {
    if (buf[q + 1] === FLAG) continue;
    if (candidate(buf, q, maxLength, consumed + q).kind === 'frame') return q;
  }
  return -1;
}

/** Examines the frame that would open with the flag at `p` (followed by a non-flag byte). */
function candidate(buf: Uint8Array, p: number, maxLength: number, streamOffset: number): Candidate {
  const len = buf.length;
  const bad = (code: 'DLMS_BAD_FRAME' | 'DLMS_BAD_CHECKSUM', why: string, extra: Record<string, number> = {}): Candidate => ({
    kind: 'bad',
    error: new DlmsError(code, `frame starting at stream byte ${streamOffset}: ${why}`, {
      context: { streamOffset, ...extra },
    }),
  });
  const f0 = buf[p + 1] as number;
  if ((f0 & 0xf0) !== 0xa0) return bad('DLMS_BAD_FRAME', `0x${hex(f0)} after the flag is not a type-3 format field`);
  if (p + 2 >= len) return NEED;
  const length = ((f0 & 0x07) << 8) | (buf[p + 2] as number);
  if (length < MIN_FRAME_LENGTH || length > maxLength) {
    return bad('DLMS_BAD_FRAME', `implausible frame length ${length} (allowed ${MIN_FRAME_LENGTH}..${maxLength})`);
  }
  // Destination and source address fields: 1, 2 or 4 bytes each, the last byte with LSB = 1.
  let q = p + 3;
  for (let field = 0; field < 2; field++) {
    let n = 0;
    for (let i = 0; i < 4; i++) {
      if (q + i >= len) return NEED;
      if (((buf[q + i] as number) & 1) === 1) {
        n = i + 1;
        break;
      }
    }
    if (n === 0 || n === 3) return bad('DLMS_BAD_FRAME', `address field at frame byte ${q - p} is not 1, 2 or 4 bytes`);
    q += n;
  }
  const headerLength = q + 1 - (p + 1); // format..control
  if (length < headerLength + 2) return bad('DLMS_BAD_FRAME', `length ${length} is shorter than the header and FCS`);
  if (length > headerLength + 2) {
    if (length < headerLength + 5) {
      return bad('DLMS_BAD_FRAME', `length ${length} leaves room for an HCS but no information field`);
    }
    const hcsAt = q + 1;
    if (hcsAt + 2 > len) return NEED;
    // Checking the HCS now rejects a bogus start before we wait for its (possibly long) body.
    const expected = crc16x25(buf, p + 1, hcsAt);
    const found = readCheck(buf, hcsAt);
    if (expected !== found) {
      return bad('DLMS_BAD_CHECKSUM', `HCS is ${hex16(found)}, expected ${hex16(expected)}`, { expected, found });
    }
  }
  const end = p + 1 + length; // index of the closing flag
  if (end >= len) return NEED;
  if (buf[end] !== FLAG) return bad('DLMS_BAD_FRAME', `byte 0x${hex(buf[end])} where the closing flag should be`);
  try {
    return { kind: 'frame', frame: decodeFrameBody(buf.subarray(p, end + 1), 1), end };
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
    return {
      kind: 'bad',
      error: new DlmsError(e.code, `frame starting at stream byte ${streamOffset}: ${e.message}`, {
        cause: e,
        context: { ...e.context, streamOffset },
      }),
    };
  }
}

function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).toUpperCase().padStart(2, '0');
}

/** Imperative wrapper: `push(chunk)` returns the frames completed by that chunk and any errors. */
export class HdlcDeframer {
  private state: DeframerState = INITIAL_DEFRAMER;

  constructor(private readonly options: DeframerOptions = {}) {}

  push(chunk: Uint8Array): { frames: HdlcFrame[]; errors: DlmsError[] } {
    const r = deframe(this.state, chunk, this.options);
    this.state = r.state;
    return { frames: r.frames, errors: r.errors };
  }

  /** Drops a partial frame, e.g. after a response timeout (the rest of it will never come). */
  reset(): void {
    this.state = { buffer: new Uint8Array(0), consumed: this.state.consumed + this.state.buffer.length, resyncing: false };
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.state.buffer.length;
  }
}

export function resetDeframer(state: DeframerState): DeframerState {
  return { buffer: new Uint8Array(0), consumed: state.consumed + state.buffer.length, resyncing: false };
}
