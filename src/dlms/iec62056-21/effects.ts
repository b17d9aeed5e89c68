import type { DlmsError } from '../errors.js';
import type { BaudRate } from './baud.js';
import type { DataLine } from './data-block.js';
import type { Identification } from './messages.js';

/**
 * What the mode C/E machines ask their caller to do, in order. The caller owns the port and the
 * timers and runs the effects of one step one after the other:
 *
 * - `write`: hand the bytes to the line. It may complete before the UART has shifted them out,
 *   so every `set-baud` that follows a write is preceded by a `wait` covering the transmission time.
 * - `wait`: pause this many milliseconds before the next effect (the reaction time tr of
 *   IEC 62056-21 and transmission times). Bytes that arrive meanwhile are still fed in.
 * - `set-baud`: reconfigure the line. '7E1' during sign-on and readout; '8N1' after a mode E hand-over.
 * - `timer` / `cancel-timer`: (re)arm or stop the single step timer; when it fires, feed `{type:'timeout'}`.
 */
export type SerialFormat = '7E1' | '8N1';

export type Iec21Effect =
  | { type: 'write'; bytes: Uint8Array }
  | { type: 'wait'; ms: number }
  | { type: 'set-baud'; baud: BaudRate; format: SerialFormat }
  | { type: 'timer'; ms: number }
  | { type: 'cancel-timer' }
  | { type: 'readout'; identification: Identification; lines: DataLine[] }
  | { type: 'hdlc-ready'; baud: BaudRate }
  | { type: 'error'; error: DlmsError };

/** A character is 10 bits on the line in both 7E1 and 8N1 (start + 7 + parity + stop, start + 8 + stop). */
export function transmitMs(byteCount: number, baud: number): number {
  return Math.ceil((byteCount * 10 * 1000) / baud);
}
