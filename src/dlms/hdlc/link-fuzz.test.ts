import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createClientLink, nextClientLink, type ClientLinkInput } from './client-link.js';
import type { Control } from './control.js';
import { encodeFrame } from './frame.js';
import { encodeParameters } from './parameters.js';
import { createServerLink, nextServerLink, type ServerLinkInput } from './server-link.js';

// Frames a peer could plausibly send: right or wrong addresses, any control, odd information fields.
const seq = fc.nat(7);
const control: fc.Arbitrary<Control> = fc.oneof(
  fc.record({ type: fc.constant('I' as const), ns: seq, nr: seq, pf: fc.boolean() }),
  fc.record({ type: fc.constantFrom('RR' as const, 'RNR' as const), nr: seq, pf: fc.boolean() }),
  fc.record({ type: fc.constantFrom('SNRM' as const, 'DISC' as const, 'UA' as const, 'DM' as const, 'FRMR' as const, 'UI' as const), pf: fc.boolean() }),
);
const info = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
  fc.constant(Uint8Array.of(0xe6, 0xe7, 0x00, 0xc4)),
  fc.constant(Uint8Array.of(0xe6, 0xe6, 0x00, 0xc0)),
  fc.constant(encodeParameters({ maxInfoTx: 0, maxInfoRx: 40000, windowTx: 0, windowRx: 99 })),
);
const frameBytes = (toClient: boolean): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      segmented: fc.boolean(),
      control,
      information: info,
      right: fc.boolean(),
    })
    .map(({ segmented, control, information, right }) => {
      const client = { upper: right ? 16 : 17, size: 1 as const };
      const server = { upper: 1, lower: right ? 17 : 18, size: 2 as const };
      const f = { segmented, control, destination: toClient ? client : server, source: toClient ? server : client };
      return encodeFrame(information ? { ...f, information } : f);
    });

describe('HDLC link machines under hostile input', () => {
  it('the client never throws and only reports DlmsErrors', () => {
    const input: fc.Arbitrary<ClientLinkInput> = fc.oneof(
      fc.constant({ type: 'connect' as const }),
      fc.constant({ type: 'disconnect' as const }),
      fc.constant({ type: 'timeout' as const }),
      fc.uint8Array({ maxLength: 600 }).map((apdu) => ({ type: 'send' as const, apdu })),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ type: 'bytes' as const, bytes })),
      frameBytes(true).map((bytes) => ({ type: 'bytes' as const, bytes })),
    );
    fc.assert(
      fc.property(fc.array(input, { maxLength: 30 }), (inputs) => {
        let s = createClientLink({ clientAddress: 16, serverAddress: { logical: 1, physical: 17, size: 2 }, maxRetries: 2 });
        for (const i of inputs) {
          const r = nextClientLink(s, i);
          s = r.state;
          for (const e of r.effects) {
            if (e.type === 'error' || e.type === 'discarded') expect(e.error.name).toBe('DlmsError');
          }
          expect(s.parameters.maxInfoTx).toBeGreaterThanOrEqual(1);
          expect(s.parameters.windowRx).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the server never throws and only reports DlmsErrors', () => {
    const input: fc.Arbitrary<ServerLinkInput> = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((apdu) => ({ type: 'send' as const, apdu })),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ type: 'bytes' as const, bytes })),
      frameBytes(false).map((bytes) => ({ type: 'bytes' as const, bytes })),
    );
    fc.assert(
      fc.property(fc.array(input, { maxLength: 30 }), (inputs) => {
        let s = createServerLink({ address: { logical: 1, physical: 17, size: 2 } });
        for (const i of inputs) {
          const r = nextServerLink(s, i);
          s = r.state;
          for (const e of r.effects) {
            if (e.type === 'error' || e.type === 'discarded') expect(e.error.name).toBe('DlmsError');
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
