import { DlmsError } from '../errors.js';

/**
 * The xDLMS conformance block (IEC 62056-5-3 §7.3.1, Green Book "Conformance"): a 24-bit BIT STRING in
 * which bit 0 is the most significant bit of the first byte. The client proposes a set in the
 * InitiateRequest and the server answers with the subset it grants; services outside the granted set are
 * refused with an ExceptionResponse, so the session layer checks it before sending.
 *
 * The three reserved bits are named too, so that number → set → number is lossless for any 24-bit value.
 */
export const CONFORMANCE_BITS = [
  'reserved-zero', // 0
  'general-protection', // 1
  'general-block-transfer', // 2
  'read', // 3 (SN referencing)
  'write', // 4 (SN)
  'unconfirmed-write', // 5 (SN)
  'reserved-six', // 6 (delta-value-encoding in recent Green Books)
  'reserved-seven', // 7
  'attribute0-supported-with-set', // 8
  'priority-mgmt-supported', // 9
  'attribute0-supported-with-get', // 10
  'block-transfer-with-get-or-read', // 11
  'block-transfer-with-set-or-write', // 12
  'block-transfer-with-action', // 13
  'multiple-references', // 14
  'information-report', // 15 (SN)
  'data-notification', // 16
  'access', // 17
  'parameterized-access', // 18 (SN)
  'get', // 19
  'set', // 20
  'selective-access', // 21
  'event-notification', // 22
  'action', // 23
] as const;

export type ConformanceBit = (typeof CONFORMANCE_BITS)[number];
export type Conformance = ReadonlySet<ConformanceBit>;

/** Bit `i` of the standard's numbering is value 1 << (23 - i) in the 24-bit number. */
export function conformanceFromNumber(value: number): Conformance {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffff) {
    throw new DlmsError('DLMS_BAD_APDU', `conformance ${value} is not a 24-bit value`);
  }
  const set = new Set<ConformanceBit>();
  CONFORMANCE_BITS.forEach((name, i) => {
    if (value & (1 << (23 - i))) set.add(name);
  });
  return set;
}

export function conformanceToNumber(bits: Iterable<ConformanceBit>): number {
  let value = 0;
  for (const name of bits) {
    const i = CONFORMANCE_BITS.indexOf(name);
    if (i < 0) throw new DlmsError('DLMS_BAD_APDU', `"${String(name)}" is not a conformance bit`);
    value |= 1 << (23 - i);
  }
  return value;
}

export function conformance(...bits: ConformanceBit[]): Conformance {
  return new Set(bits);
}

/**
 * What our client proposes for logical-name referencing without ciphering: GET/SET/ACTION, selective
 * access, GET-with-list and block transfer in all three directions (0x001E1D, what Gurux and dlms-cosem
 * negotiate too). The server grants a subset; the session keeps the granted set.
 */
export const DEFAULT_CLIENT_CONFORMANCE: Conformance = conformance(
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'get',
  'set',
  'selective-access',
  'action',
);

/** "0x001E1D (get, set, …)" for logs. */
export function describeConformance(bits: Conformance): string {
  const names = CONFORMANCE_BITS.filter((n) => bits.has(n));
  return `0x${conformanceToNumber(bits).toString(16).toUpperCase().padStart(6, '0')} (${names.join(', ') || 'none'})`;
}
