import type { FaultSet } from '../meter/faults.js';
import { SeededRandom } from '../meter/prng.js';

/**
 * The faults a meter shows on the line, taken from the meter model's FaultSet so that the model stays the
 * single source of truth (simulators/meter/faults.ts):
 * - silent (also no supply, burnt past its garbage phase, intermittent off-slots): no answer at all, and
 *   the meter does not even listen, so its link state does not move;
 * - slow: a pause before each answer;
 * - corrupt: one byte of the answer flipped so that the frame check fails (HDLC FCS; the wrapper has no
 *   check, so the APDU's last byte is spoiled instead);
 * - burnt: for a while every answer is replaced by garbage of the same length, then silence.
 */
export type Framing = 'hdlc' | 'wrapper' | 'iec21';

export type FaultyOutput = { readonly type: 'wait'; readonly ms: number } | { readonly type: 'write'; readonly bytes: Uint8Array };

export class LinkFaults {
  private readonly garbage: SeededRandom;

  constructor(
    private readonly faults: FaultSet,
    seed: number,
  ) {
    this.garbage = new SeededRandom(seed ^ 0x6a7b);
  }

  /** Whether the meter hears anything at t. */
  deaf(t: number): boolean {
    return this.faults.isSilent(t);
  }

  /** What goes on the line instead of `bytes` (one frame or message) at t. */
  output(bytes: Uint8Array, framing: Framing, t: number): FaultyOutput[] {
    if (this.faults.isSilent(t)) return [];
    const out: FaultyOutput[] = [];
    const delay = this.faults.responseDelayMs(t);
    if (delay > 0) out.push({ type: 'wait', ms: delay });
    if (this.faults.answersGarbage(t)) {
      out.push({ type: 'write', bytes: this.noise(bytes.length) });
      return out;
    }
    out.push({ type: 'write', bytes: this.faults.shouldCorrupt(t) ? corruptFrame(bytes, framing) : bytes });
    return out;
  }

  private noise(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.garbage.next() * 256);
    return out;
  }
}

/**
 * A copy with one byte inverted where the receiver's check must catch it: in HDLC the byte just before the
 * FCS (the control field of a short frame, the last information byte otherwise), so the FCS fails while the
 * flags and the length still delimit the frame (IEC 62056-46 §6.4.4.6).
 */
export function corruptFrame(bytes: Uint8Array, framing: Framing): Uint8Array {
  const out = bytes.slice();
  if (out.length === 0) return out;
  const at = framing === 'hdlc' && out.length >= 9 ? out.length - 4 : out.length - 1;
  out[at] = (out[at] as number) ^ 0xff;
  return out;
}
