import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes.js';
import { vectorBytes } from '../../../test/fixtures/vectors.js';
import type { HdlcAddress } from './address.js';
import type { Control } from './control.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { encodeParameters } from './parameters.js';
import {
  createServerLink,
  nextServerLink,
  type ServerLinkConfig,
  type ServerLinkEffect,
  type ServerLinkInput,
  type ServerLinkState,
} from './server-link.js';

function run(state: ServerLinkState, ...inputs: ServerLinkInput[]): { state: ServerLinkState; effects: ServerLinkEffect[] } {
  const effects: ServerLinkEffect[] = [];
  for (const input of inputs) {
    const r = nextServerLink(state, input);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const feed = (b: Uint8Array): ServerLinkInput => ({ type: 'bytes', bytes: b });
const writes = (fx: ServerLinkEffect[]): string[] => fx.flatMap((e) => (e.type === 'write' ? [toHex(e.bytes)] : []));
const controls = (fx: ServerLinkEffect[]): Control[] => writes(fx).map((h) => decodeFrame(fromHex(h)).control);
const apduOf = (name: string): Uint8Array => decodeFrame(vectorBytes(name)).information!.slice(3);

function snrm(to: HdlcAddress, from: number, info?: Uint8Array): Uint8Array {
  const f = { segmented: false, destination: to, source: { upper: from, size: 1 as const }, control: { type: 'SNRM' as const, pf: true } };
  return encodeFrame(info ? { ...f, information: info } : f);
}

function clientFrame(to: HdlcAddress, control: Control, info?: Uint8Array, segmented = false): Uint8Array {
  const f = { segmented, destination: to, source: { upper: 16, size: 1 as const }, control };
  return encodeFrame(info ? { ...f, information: info } : f);
}

const ONE: ServerLinkConfig = { address: { logical: 1, size: 1 } };
const one = { upper: 1, size: 1 } as const;

describe('HDLC server link: answers reproduce the captured UAs', () => {
  it('answers the Gurux SNRM with the Gurux UA (128/128, windows 1 on 4 bytes)', () => {
    const r = nextServerLink(createServerLink(ONE), feed(vectorBytes('HDLC SNRM, no parameter field')));
    expect(writes(r.effects)).toEqual(['7EA01E210373C37A818012050180060180070400000001080400000001533B7E']);
    expect(r.effects[1]).toEqual({ type: 'connected', client: 16, parameters: { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 } });
    expect(r.state.phase).toBe('connected');
  });

  it('reproduces the 154/154 UA from server 1/17 when the client proposes 154', () => {
    const s = createServerLink({ address: { logical: 1, physical: 17, size: 2 }, maxInfoTx: 154, maxInfoRx: 154 });
    const r = nextServerLink(s, feed(snrm({ upper: 1, lower: 17, size: 2 }, 16, encodeParameters({ maxInfoTx: 154, maxInfoRx: 154 }))));
    expect(writes(r.effects)).toEqual([toHex(vectorBytes('HDLC UA with parameters 154/154'))]);
  });

  it('reproduces the 4-byte-address UA with 2-byte lengths through parameterWidths', () => {
    const s = createServerLink({ address: { logical: 1, physical: 17, size: 4 }, parameterWidths: { maxInfoTx: 2, maxInfoRx: 2 } });
    const r = nextServerLink(s, feed(vectorBytes('HDLC SNRM to 4-byte server address')));
    expect(writes(r.effects)).toEqual([toHex(vectorBytes('HDLC UA from 4-byte server address'))]);
  });

  it('reproduces the E650 (client 48, rx 62) and Iskra (client 100, 126/126) UAs', () => {
    const e650 = createServerLink({ address: { logical: 1, size: 1 }, maxInfoRx: 62 });
    expect(writes(nextServerLink(e650, feed(snrm(one, 48))).effects)).toEqual([toHex(vectorBytes('HDLC UA from Landis+Gyr E650'))]);
    const iskra = createServerLink({ address: { logical: 1, physical: 17, size: 2 }, maxInfoTx: 126, maxInfoRx: 126 });
    expect(writes(nextServerLink(iskra, feed(snrm({ upper: 1, lower: 17, size: 2 }, 100))).effects)).toEqual([
      toHex(vectorBytes('HDLC UA from Iskra meter')),
    ]);
  });
});

describe('HDLC server link: behaviour', () => {
  it('stays silent for frames addressed to another meter on the bus', () => {
    const s = createServerLink({ address: { logical: 1, physical: 18, size: 2 } });
    const r = run(s, feed(vectorBytes('HDLC SNRM to server logical 1 / physical 17')), feed(vectorBytes('HDLC I-frame carrying AARQ')));
    expect(r.effects).toEqual([]);
    expect(r.state.phase).toBe('disconnected');
  });

  it('answers DM to polls while disconnected, and to DISC', () => {
    const s = createServerLink(ONE);
    const r = run(s, feed(vectorBytes('HDLC DISC')), feed(vectorBytes('HDLC I-frame GET-Request-Normal clock')), feed(vectorBytes('HDLC RR (receive ready)')));
    expect(controls(r.effects)).toEqual([{ type: 'DM', pf: true }, { type: 'DM', pf: true }, { type: 'DM', pf: true }]);
    expect(writes(r.effects)[0]).toBe(toHex(encodeFrame({ segmented: false, destination: { upper: 16, size: 1 }, source: one, control: { type: 'DM', pf: true } })));
  });

  it('answers DISC with the captured UA when connected', () => {
    const s = run(createServerLink(ONE), feed(vectorBytes('HDLC SNRM, no parameter field'))).state;
    const r = nextServerLink(s, feed(vectorBytes('HDLC DISC')));
    expect(r.effects).toEqual([{ type: 'write', bytes: vectorBytes('HDLC UA without information field') }, { type: 'disconnected', client: 16 }]);
    expect(r.state.phase).toBe('disconnected');
  });

  it('delivers the AARQ and answers with the captured AARE I-frame (server 1/17)', () => {
    const address = { logical: 1, physical: 17, size: 2 } as const;
    let s = run(createServerLink({ address }), feed(vectorBytes('HDLC SNRM to server logical 1 / physical 17'))).state;
    const r = nextServerLink(s, feed(vectorBytes('HDLC I-frame carrying AARQ')));
    expect(r.effects).toEqual([{ type: 'apdu', client: 16, apdu: apduOf('HDLC I-frame carrying AARQ') }]);
    s = r.state;
    const answer = nextServerLink(s, { type: 'send', apdu: apduOf('HDLC I-frame carrying AARE accepted (server 1/17') });
    expect(writes(answer.effects)).toEqual([toHex(vectorBytes('HDLC I-frame carrying AARE accepted (server 1/17'))]);
  });

  it('answers an RR poll with RR when it has nothing to send, and holds a late response for the next poll', () => {
    let s = run(createServerLink(ONE), feed(vectorBytes('HDLC SNRM, no parameter field'))).state;
    s = run(s, feed(clientFrame(one, { type: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E600C0')))).state;
    const poll = clientFrame(one, { type: 'RR', nr: 0, pf: true });
    const r1 = nextServerLink(s, feed(poll));
    expect(controls(r1.effects)).toEqual([{ type: 'RR', nr: 1, pf: true }]);
    const r2 = nextServerLink(r1.state, { type: 'send', apdu: fromHex('C4') });
    expect(r2.effects).toEqual([]); // no poll held: wait
    const r3 = nextServerLink(r2.state, feed(poll));
    expect(controls(r3.effects)).toEqual([{ type: 'I', ns: 0, nr: 1, pf: true }]);
  });

  it('retransmits its last I-frame when a poll shows it was lost', () => {
    let s = run(createServerLink(ONE), feed(vectorBytes('HDLC SNRM, no parameter field'))).state;
    s = run(s, feed(clientFrame(one, { type: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E600C0')))).state;
    const sent = nextServerLink(s, { type: 'send', apdu: fromHex('C4') });
    const again = nextServerLink(sent.state, feed(clientFrame(one, { type: 'RR', nr: 0, pf: true })));
    expect(writes(again.effects)).toEqual(writes(sent.effects));
  });

  it('segments a response to the negotiated max-info and sends the next segment on each RR', () => {
    let s = run(createServerLink(ONE), feed(vectorBytes('HDLC SNRM, no parameter field'))).state;
    s = run(s, feed(clientFrame(one, { type: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E600C0')))).state;
    const apdu = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const r = run(s, { type: 'send', apdu }, feed(clientFrame(one, { type: 'RR', nr: 1, pf: true })), feed(clientFrame(one, { type: 'RR', nr: 2, pf: true })));
    const frames = writes(r.effects).map((h) => decodeFrame(fromHex(h)));
    expect(frames.map((f) => [f.control, f.segmented, f.information!.length])).toEqual([
      [{ type: 'I', ns: 0, nr: 1, pf: true }, true, 128],
      [{ type: 'I', ns: 1, nr: 1, pf: true }, true, 128],
      [{ type: 'I', ns: 2, nr: 1, pf: true }, false, 47],
    ]);
  });

  it('reports a wrong LLC header and still answers the poll', () => {
    const s = run(createServerLink(ONE), feed(vectorBytes('HDLC SNRM, no parameter field'))).state;
    const r = nextServerLink(s, feed(clientFrame(one, { type: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E700C0'))));
    expect(r.effects.filter((e) => e.type === 'error').map((e) => e.type === 'error' && e.error.code)).toEqual(['DLMS_BAD_FRAME']);
    expect(controls(r.effects)).toEqual([{ type: 'RR', nr: 1, pf: true }]);
  });

  it('refuses send while disconnected', () => {
    const r = nextServerLink(createServerLink(ONE), { type: 'send', apdu: fromHex('C4') });
    expect(r.effects.map((e) => e.type === 'error' && e.error.code)).toEqual(['DLMS_LINK_STATE']);
  });
});
