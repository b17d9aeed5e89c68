import { ByteWriter } from '../../shared/bytes.js';
import { berIntegerContent, readAcseOuter, readBerInteger, readComponents, readUserInformation, writeUserInformation } from './acse-fields.js';
import { writeTlv } from './ber.js';
import type { UserInformation } from './initiate.js';

/**
 * Association release (IEC 62056-5-3 §7.3 / ISO 8650-1): RLRQ (0x62) and RLRE (0x63), each with an
 * optional reason [0] IMPLICIT INTEGER (RLRQ: normal 0, urgent 1, user-defined 30; RLRE: normal 0,
 * not-finished 1, user-defined 30) and optional user-information (a ciphered InitiateRequest/Response
 * when the association was ciphered, Green Book "release with user-information").
 */
export const RLRQ_TAG = 0x62;
export const RLRE_TAG = 0x63;

export interface Rlrq {
  readonly type: 'rlrq';
  readonly reason?: number | undefined;
  readonly userInformation?: UserInformation | undefined;
}

export interface Rlre {
  readonly type: 'rlre';
  readonly reason?: number | undefined;
  readonly userInformation?: UserInformation | undefined;
}

function decodeRelease(bytes: Uint8Array, tag: number, name: string): { reason?: number; userInformation?: UserInformation } {
  const outer = readAcseOuter(bytes, tag, name);
  const out: { reason?: number; userInformation?: UserInformation } = {};
  for (const t of readComponents(bytes, outer, name)) {
    if (t.tag === 0x80) out.reason = readBerInteger(bytes, t, `${name} reason`);
    else if (t.tag === 0xbe) out.userInformation = readUserInformation(bytes, t);
  }
  return out;
}

function writeRelease(w: ByteWriter, tag: number, r: { reason?: number | undefined; userInformation?: UserInformation | undefined }): void {
  const body = new ByteWriter(16);
  if (r.reason !== undefined) writeTlv(body, 0x80, berIntegerContent(r.reason, 'release reason'));
  if (r.userInformation !== undefined) writeUserInformation(body, r.userInformation);
  writeTlv(w, tag, body.toBytes());
}

export function decodeRlrq(bytes: Uint8Array): Rlrq {
  return { type: 'rlrq', ...decodeRelease(bytes, RLRQ_TAG, 'RLRQ') };
}

export function decodeRlre(bytes: Uint8Array): Rlre {
  return { type: 'rlre', ...decodeRelease(bytes, RLRE_TAG, 'RLRE') };
}

export function writeRlrq(w: ByteWriter, r: Rlrq): void {
  writeRelease(w, RLRQ_TAG, r);
}

export function writeRlre(w: ByteWriter, r: Rlre): void {
  writeRelease(w, RLRE_TAG, r);
}
