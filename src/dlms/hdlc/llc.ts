import { DlmsError } from '../errors.js';

/**
 * LLC header in front of every APDU carried over HDLC (IEC 62056-46 clause 8 / IEC 62056-5-3 annex):
 * destination LSAP 0xE6, source LSAP 0xE6 (command, client → server) or 0xE7 (response, server →
 * client), quality 0x00. Only the first segment of a segmented APDU carries it.
 */
export const LLC_COMMAND: Uint8Array = Uint8Array.of(0xe6, 0xe6, 0x00);
export const LLC_RESPONSE: Uint8Array = Uint8Array.of(0xe6, 0xe7, 0x00);

/**
 * Splits `llc + apdu` into information fields of at most `maxInfo` bytes (the negotiated maximum
 * information field length). Every field but the last goes out with the segmentation bit S = 1.
 */
export function segmentApdu(apdu: Uint8Array, llc: Uint8Array, maxInfo: number): Uint8Array[] {
  if (!Number.isInteger(maxInfo) || maxInfo < llc.length + 1) {
    throw new DlmsError('DLMS_BAD_FRAME', `maximum information field length ${maxInfo} is too small to carry an APDU`, {
      context: { maxInfo },
    });
  }
  const whole = new Uint8Array(llc.length + apdu.length);
  whole.set(llc, 0);
  whole.set(apdu, llc.length);
  const out: Uint8Array[] = [];
  for (let at = 0; at < whole.length; at += maxInfo) out.push(whole.subarray(at, Math.min(whole.length, at + maxInfo)));
  return out;
}

/** Joins received segments and removes the expected LLC header. */
export function reassembleApdu(segments: readonly Uint8Array[], llc: Uint8Array): Uint8Array {
  let length = 0;
  for (const s of segments) length += s.length;
  const whole = new Uint8Array(length);
  let at = 0;
  for (const s of segments) {
    whole.set(s, at);
    at += s.length;
  }
  for (let i = 0; i < llc.length; i++) {
    if (whole[i] !== llc[i]) {
      const found = Array.from(whole.subarray(0, llc.length), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
      const want = Array.from(llc, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
      throw new DlmsError('DLMS_BAD_FRAME', `information field starts with "${found}", expected the LLC header ${want}`, {
        context: { offset: i },
      });
    }
  }
  return whole.slice(llc.length);
}
