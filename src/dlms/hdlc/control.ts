import { DlmsError } from '../errors.js';

/**
 * The control field, IEC 62056-46 clause 6.4.3 (modulo-8 numbering, 1 byte):
 *   I-frame      N(R) N(R) N(R) P/F N(S) N(S) N(S) 0
 *   S-frame      N(R) N(R) N(R) P/F S S 0 1        (RR: SS=00, RNR: SS=01)
 *   U-frame      M M M P/F M M 1 1                 (SNRM 0x83, DISC 0x43, UA 0x63, DM 0x0F, FRMR 0x87, UI 0x03)
 * REJ and SREJ are not part of the DLMS profile and are reported as unsupported.
 */
export type Control =
  | { readonly type: 'I'; readonly ns: number; readonly nr: number; readonly pf: boolean }
  | { readonly type: 'RR'; readonly nr: number; readonly pf: boolean }
  | { readonly type: 'RNR'; readonly nr: number; readonly pf: boolean }
  | { readonly type: 'SNRM'; readonly pf: boolean }
  | { readonly type: 'DISC'; readonly pf: boolean }
  | { readonly type: 'UA'; readonly pf: boolean }
  | { readonly type: 'DM'; readonly pf: boolean }
  | { readonly type: 'FRMR'; readonly pf: boolean }
  | { readonly type: 'UI'; readonly pf: boolean };

export type UnnumberedType = 'SNRM' | 'DISC' | 'UA' | 'DM' | 'FRMR' | 'UI';

const U_CODES: Record<UnnumberedType, number> = {
  SNRM: 0x83,
  DISC: 0x43,
  UA: 0x63,
  DM: 0x0f,
  FRMR: 0x87,
  UI: 0x03,
};

const U_BY_CODE = new Map<number, UnnumberedType>(
  (Object.entries(U_CODES) as [UnnumberedType, number][]).map(([k, v]) => [v, k]),
);

/** Sequence numbers are modulo 8. */
export function mod8(n: number): number {
  return ((n % 8) + 8) % 8;
}

function seq(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 7) {
    throw new DlmsError('DLMS_BAD_FRAME', `${what} ${v} is not a sequence number 0..7`, { context: { field: what } });
  }
  return v;
}

export function encodeControl(c: Control): number {
  const pf = c.pf ? 0x10 : 0;
  switch (c.type) {
    case 'I':
      return (seq('N(R)', c.nr) << 5) | pf | (seq('N(S)', c.ns) << 1);
    case 'RR':
      return (seq('N(R)', c.nr) << 5) | pf | 0x01;
    case 'RNR':
      return (seq('N(R)', c.nr) << 5) | pf | 0x05;
    default: {
      const code = U_CODES[c.type];
      if (code === undefined) {
        throw new DlmsError('DLMS_BAD_FRAME', `unknown control type ${String((c as { type: unknown }).type)}`);
      }
      return code | pf;
    }
  }
}

/** Decodes a control byte; `offset` only serves the error message. */
export function decodeControl(b: number, offset = 0): Control {
  const pf = (b & 0x10) !== 0;
  if ((b & 0x01) === 0) return { type: 'I', ns: (b >> 1) & 7, nr: b >> 5, pf };
  if ((b & 0x03) === 0x01) {
    const kind = (b >> 2) & 3;
    if (kind === 0) return { type: 'RR', nr: b >> 5, pf };
    if (kind === 1) return { type: 'RNR', nr: b >> 5, pf };
    throw new DlmsError(
      'DLMS_UNSUPPORTED',
      `control byte 0x${hex8(b)} at byte ${offset} is ${kind === 2 ? 'REJ' : 'SREJ'}, not used by IEC 62056-46`,
      { context: { offset, control: b } },
    );
  }
  const type = U_BY_CODE.get(b & 0xef);
  if (type === undefined) {
    throw new DlmsError('DLMS_BAD_FRAME', `control byte 0x${hex8(b)} at byte ${offset} is no known U-frame`, {
      context: { offset, control: b },
    });
  }
  return { type, pf };
}

function hex8(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
