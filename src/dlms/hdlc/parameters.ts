import { DlmsError } from '../errors.js';

/**
 * The HDLC parameter negotiation field carried by SNRM and UA (IEC 62056-46 clause 6.4.4.4.3.2, after
 * ISO/IEC 13239): format identifier 0x81, group identifier 0x80, group length, then parameters as
 * (id, length, value big-endian):
 *   0x05 maximum information field length, transmit     0x06 ... receive
 *   0x07 window size, transmit                          0x08 ... receive
 * Each set is written from the point of view of the station sending the frame: in a UA, "transmit" is
 * what the meter will send. An absent parameter (or an absent field) means the default: 128 bytes and a
 * window of 1.
 */
export interface HdlcParameters {
  readonly maxInfoTx: number;
  readonly maxInfoRx: number;
  readonly windowTx: number;
  readonly windowRx: number;
}

export type ParameterName = keyof HdlcParameters;
export type ParameterWidths = Partial<Record<ParameterName, 1 | 2 | 4>>;

export interface DecodedParameters {
  /** Only the parameters present in the field. */
  readonly parameters: Partial<HdlcParameters>;
  /** The width each present value was sent with (to reproduce a meter's UA byte for byte). */
  readonly widths: ParameterWidths;
}

export const DEFAULT_PARAMETERS: HdlcParameters = { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 };

const FORMAT_ID = 0x81;
const GROUP_ID = 0x80;
const IDS: Record<ParameterName, number> = { maxInfoTx: 0x05, maxInfoRx: 0x06, windowTx: 0x07, windowRx: 0x08 };
const ORDER: readonly ParameterName[] = ['maxInfoTx', 'maxInfoRx', 'windowTx', 'windowRx'];
const BY_ID = new Map<number, ParameterName>(ORDER.map((n) => [IDS[n], n]));

/**
 * Encodes the parameters present in `p`. Widths default to the smallest of 1/2/4 bytes for the lengths
 * and 4 bytes for the windows (what Gurux, dlms-cosem and most meters send).
 */
export function encodeParameters(p: Partial<HdlcParameters>, widths: ParameterWidths = {}): Uint8Array {
  const body: number[] = [];
  for (const name of ORDER) {
    const value = p[name];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new DlmsError('DLMS_BAD_FRAME', `HDLC parameter ${name} = ${value} is not an unsigned 32-bit integer`, {
        context: { field: name },
      });
    }
    const width = widths[name] ?? (name.startsWith('window') ? 4 : value <= 0xff ? 1 : value <= 0xffff ? 2 : 4);
    if (value >= 2 ** (8 * width)) {
      throw new DlmsError('DLMS_BAD_FRAME', `HDLC parameter ${name} = ${value} does not fit in ${width} byte(s)`, {
        context: { field: name, width },
      });
    }
    body.push(IDS[name], width);
    for (let i = width - 1; i >= 0; i--) body.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
  }
  return Uint8Array.from([FORMAT_ID, GROUP_ID, body.length, ...body]);
}

/** Decodes an SNRM/UA information field. Unknown parameters and groups are skipped (forward compatible). */
export function decodeParameters(info: Uint8Array): DecodedParameters {
  const fail = (why: string, offset: number): DlmsError =>
    new DlmsError('DLMS_BAD_FRAME', `HDLC parameter field: ${why} at byte ${offset}`, { context: { offset } });
  if (info.length < 2) throw fail(`${info.length} byte(s) is too short`, 0);
  if (info[0] !== FORMAT_ID) throw fail(`format identifier 0x${hex(info[0])} is not 0x81`, 0);
  const parameters: { -readonly [K in ParameterName]?: number } = {};
  const widths: ParameterWidths = {};
  let at = 1;
  while (at < info.length) {
    const group = info[at] as number;
    const groupLength = info[at + 1];
    if (groupLength === undefined) throw fail('group length missing', at + 1);
    const groupEnd = at + 2 + groupLength;
    if (groupEnd > info.length) throw fail(`group 0x${hex(group)} announces ${groupLength} bytes, fewer remain`, at);
    if (group === GROUP_ID) {
      let p = at + 2;
      while (p < groupEnd) {
        const id = info[p] as number;
        const n = info[p + 1];
        if (n === undefined || p + 2 > groupEnd) throw fail(`parameter 0x${hex(id)} has no length`, p);
        if (p + 2 + n > groupEnd) throw fail(`parameter 0x${hex(id)} runs past its group`, p);
        const name = BY_ID.get(id);
        if (name !== undefined) {
          if (n < 1 || n > 4) throw fail(`parameter 0x${hex(id)} has length ${n} (1..4 allowed)`, p);
          let value = 0;
          for (let i = 0; i < n; i++) value = value * 256 + (info[p + 2 + i] as number);
          parameters[name] = value;
          if (n !== 3) widths[name] = n as 1 | 2 | 4;
        }
        p += 2 + n;
      }
    }
    at = groupEnd;
  }
  return { parameters, widths };
}

export function withDefaults(p: Partial<HdlcParameters> | undefined): HdlcParameters {
  return { ...DEFAULT_PARAMETERS, ...stripUndefined(p ?? {}) };
}

/** The same parameters seen from the other station (its transmit is our receive). */
export function reverse(p: HdlcParameters): HdlcParameters {
  return { maxInfoTx: p.maxInfoRx, maxInfoRx: p.maxInfoTx, windowTx: p.windowRx, windowRx: p.windowTx };
}

/**
 * Server side: the values to answer in the UA, from the client's SNRM proposal (client's view, absent
 * values = defaults) and what this server supports (server's view). Each value is the smaller of what
 * the peer can receive and what we can send (and vice versa), clause 6.4.4.4.3.2. Windows are kept in
 * 1..7 (modulo-8 numbering) and lengths at least 1.
 */
export function negotiate(proposed: Partial<HdlcParameters> | undefined, offered: HdlcParameters): HdlcParameters {
  const peer = withDefaults(proposed);
  return {
    maxInfoTx: atLeast1(Math.min(offered.maxInfoTx, peer.maxInfoRx)),
    maxInfoRx: atLeast1(Math.min(offered.maxInfoRx, peer.maxInfoTx)),
    windowTx: window(Math.min(offered.windowTx, peer.windowRx)),
    windowRx: window(Math.min(offered.windowRx, peer.windowTx)),
  };
}

/**
 * Client side: the parameters to use after the UA, in the client's view. Never more than we proposed,
 * even if a meter answers bigger values; absent UA values mean the defaults.
 */
export function acceptAnswer(proposed: HdlcParameters, answered: Partial<HdlcParameters> | undefined): HdlcParameters {
  // Same rule as the server's, with the roles swapped: the UA is the peer's proposal.
  return negotiate(answered, proposed);
}

function atLeast1(n: number): number {
  return Math.max(1, n);
}

function window(n: number): number {
  return Math.min(7, Math.max(1, n));
}

function stripUndefined(p: Partial<HdlcParameters>): Partial<HdlcParameters> {
  const out: { -readonly [K in ParameterName]?: number } = {};
  for (const name of ORDER) if (p[name] !== undefined) out[name] = p[name];
  return out;
}

export function isDefault(p: HdlcParameters): boolean {
  return ORDER.every((n) => p[n] === DEFAULT_PARAMETERS[n]);
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).toUpperCase().padStart(2, '0');
}
