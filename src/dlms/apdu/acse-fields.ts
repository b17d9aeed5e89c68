import { ByteWriter } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { badApdu, contentOf, hex2, readTlv, readTlvs, writeTlv, type Tlv } from './ber.js';
import { decodeUserInformation, writeUserInformationApdu, type UserInformation } from './initiate.js';

/**
 * Field codecs shared by AARQ, AARE, RLRQ and RLRE (ISO 8650-1 ASN.1 as profiled by IEC 62056-5-3 §7.3
 * and the Green Book's AARQ/AARE encoding examples). Every reader takes the component's TLV (already
 * bounded by the enclosing APDU) and every writer appends one complete component.
 */

/** The outer [APPLICATION n] TLV of an ACSE APDU, which must span the whole buffer. */
export function readAcseOuter(bytes: Uint8Array, tag: number, name: string): Tlv {
  const outer = readTlv(bytes, 0, bytes.length, name);
  if (outer.tag !== tag) throw badApdu(`${name} must start with tag 0x${hex2(tag)}, found 0x${hex2(outer.tag)}`, 0);
  if (outer.contentEnd !== bytes.length) {
    throw badApdu(`${bytes.length - outer.contentEnd} byte(s) after the end of the ${name}`, outer.contentEnd);
  }
  return outer;
}

export function readComponents(bytes: Uint8Array, outer: Tlv, name: string): Tlv[] {
  return readTlvs(bytes, outer.contentStart, outer.contentEnd, `${name} component`);
}

/** The single TLV inside an EXPLICIT-tagged component, which must carry `innerTag`. */
export function readExplicit(bytes: Uint8Array, t: Tlv, innerTag: number, what: string): Tlv {
  const inner = readTlvs(bytes, t.contentStart, t.contentEnd, what);
  const first = inner[0];
  if (inner.length !== 1 || first === undefined || first.tag !== innerTag) {
    throw badApdu(`${what} must hold exactly one 0x${hex2(innerTag)} value`, t.start);
  }
  return first;
}

export function writeExplicit(w: ByteWriter, tag: number, innerTag: number, content: Uint8Array): void {
  const inner = new ByteWriter(content.length + 4);
  writeTlv(inner, innerTag, content);
  writeTlv(w, tag, inner.toBytes());
}

/** BER INTEGER contents (two's complement, 1..4 bytes); ACSE integers here are small and non-negative. */
export function readBerInteger(bytes: Uint8Array, t: Tlv, what: string): number {
  const n = t.contentEnd - t.contentStart;
  if (n < 1 || n > 4) throw badApdu(`${what}: INTEGER of ${n} bytes`, t.start);
  let v = 0;
  for (let i = t.contentStart; i < t.contentEnd; i++) v = v * 256 + (bytes[i] as number);
  if ((bytes[t.contentStart] as number) & 0x80) v -= 2 ** (8 * n);
  if (v < 0) throw badApdu(`${what}: negative INTEGER ${v}`, t.start);
  return v;
}

export function berIntegerContent(v: number, what: string): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw badApdu(`${what} ${v} is not a small non-negative INTEGER`);
  const out: number[] = [];
  let rest = v;
  do {
    out.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if ((out[0] as number) & 0x80) out.unshift(0); // keep it positive in two's complement
  return Uint8Array.from(out);
}

/**
 * ACSE-requirements BIT STRING (sender-/responder-acse-requirements): first content byte = unused bits,
 * bit 0 of the next byte = the authentication functional unit. DLMS writes 07 80.
 */
export function readAcseRequirements(bytes: Uint8Array, t: Tlv, what: string): boolean {
  if (t.contentEnd - t.contentStart < 2) throw badApdu(`${what}: BIT STRING needs at least 2 content bytes`, t.start);
  return ((bytes[t.contentStart + 1] as number) & 0x80) !== 0;
}

export function acseRequirementsContent(authentication: boolean): Uint8Array {
  return Uint8Array.of(0x07, authentication ? 0x80 : 0x00);
}

/**
 * Authentication-value CHOICE, EXPLICIT in its component: DLMS uses charstring [0] IMPLICIT GraphicString
 * (tag 0x80) for both the LLS password and HLS challenges. The bitstring/external/other forms are not
 * used by any DLMS mechanism.
 */
export function readAuthenticationValue(bytes: Uint8Array, t: Tlv, what: string): Uint8Array {
  const inner = readTlvs(bytes, t.contentStart, t.contentEnd, what);
  const first = inner[0];
  if (inner.length !== 1 || first === undefined) throw badApdu(`${what} must hold exactly one value`, t.start);
  if (first.tag !== 0x80) {
    throw new DlmsError('DLMS_UNSUPPORTED', `${what}: authentication-value choice 0x${hex2(first.tag)} (only charstring [0] is used by DLMS)`, {
      context: { offset: first.start },
    });
  }
  return contentOf(bytes, first);
}

/** AP-title as DLMS uses it: an OCTET STRING (the system title) inside the EXPLICIT component. */
export function readApTitle(bytes: Uint8Array, t: Tlv, what: string): Uint8Array {
  return contentOf(bytes, readExplicit(bytes, t, 0x04, what));
}

/** user-information [30] EXPLICIT Association-information: an OCTET STRING holding one xDLMS APDU. */
export function readUserInformation(bytes: Uint8Array, t: Tlv): UserInformation {
  const octets = readExplicit(bytes, t, 0x04, 'user-information');
  try {
    return decodeUserInformation(contentOf(bytes, octets));
  } catch (e) {
    if (e instanceof DlmsError) throw e.withContext({ userInformationAt: octets.contentStart });
    throw e;
  }
}

export function writeUserInformation(w: ByteWriter, u: UserInformation): void {
  const inner = new ByteWriter();
  writeUserInformationApdu(inner, u);
  writeExplicit(w, 0xbe, 0x04, inner.toBytes());
}
