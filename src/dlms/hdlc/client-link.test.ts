import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes.js';
import { vectorBytes } from '../../../test/fixtures/vectors.js';
import type { DlmsError } from '../errors.js';
import {
  createClientLink,
  nextClientLink,
  type ClientLinkConfig,
  type ClientLinkEffect,
  type ClientLinkInput,
  type ClientLinkState,
} from './client-link.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { decodeParameters, encodeParameters } from './parameters.js';

const GURUX: ClientLinkConfig = { clientAddress: 16, serverAddress: { logical: 1, size: 1 } };
const METER_1_17: ClientLinkConfig = { clientAddress: 16, serverAddress: { logical: 1, physical: 17, size: 2 } };

/** Runs inputs in order; returns the final state and all effects. */
function run(state: ClientLinkState, ...inputs: ClientLinkInput[]): { state: ClientLinkState; effects: ClientLinkEffect[] } {
  const effects: ClientLinkEffect[] = [];
  for (const input of inputs) {
    const r = nextClientLink(state, input);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const bytes = (hex: string): ClientLinkInput => ({ type: 'bytes', bytes: fromHex(hex) });
const writes = (fx: ClientLinkEffect[]): string[] => fx.flatMap((e) => (e.type === 'write' ? [toHex(e.bytes)] : []));
const errors = (fx: ClientLinkEffect[]): DlmsError[] => fx.flatMap((e) => (e.type === 'error' ? [e.error] : []));
/** APDU bytes of an I-frame vector (LLC removed). */
const apduOf = (name: string): Uint8Array => decodeFrame(vectorBytes(name)).information!.slice(3);

function connected(config: ClientLinkConfig, ua: Uint8Array): ClientLinkState {
  return run(createClientLink(config), { type: 'connect' }, { type: 'bytes', bytes: ua }).state;
}

describe('HDLC client link: connect', () => {
  it('sends the SNRM of the vectors (no parameter field with default parameters) and starts the timer', () => {
    const r = nextClientLink(createClientLink({ ...GURUX, responseTimeoutMs: 1500 }), { type: 'connect' });
    expect(r.effects).toEqual([{ type: 'write', bytes: vectorBytes('HDLC SNRM, no parameter field') }, { type: 'timer', ms: 1500 }]);
    expect(r.state.phase).toBe('connecting');
    expect(writes(nextClientLink(createClientLink(METER_1_17), { type: 'connect' }).effects)).toEqual(['7EA00802232193BD647E']);
    const four = createClientLink({ clientAddress: 16, serverAddress: { logical: 1, physical: 17, size: 4 } });
    expect(writes(nextClientLink(four, { type: 'connect' }).effects)).toEqual(['7EA00A00020023219318717E']);
  });

  it('proposes its parameters when they differ from the defaults', () => {
    const r = nextClientLink(createClientLink({ ...GURUX, maxInfoRx: 512, windowRx: 3 }), { type: 'connect' });
    const f = decodeFrame(fromHex(writes(r.effects)[0]!));
    expect(f.control).toEqual({ type: 'SNRM', pf: true });
    expect(decodeParameters(f.information!).parameters).toEqual({ maxInfoTx: 128, maxInfoRx: 512, windowTx: 1, windowRx: 3 });
  });

  it('is connected by the Gurux UA with 128/128, window 1', () => {
    const r = run(createClientLink(GURUX), { type: 'connect' }, bytes('7EA01E210373C37A818012050180060180070400000001080400000001533B7E'));
    expect(r.state.phase).toBe('connected');
    expect(r.effects.slice(2)).toEqual([
      { type: 'timer', ms: null },
      { type: 'connected', parameters: { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 } },
    ]);
  });

  it('takes the E650 UA (tx 128, rx 62) in its own view: sends at most 62 bytes per frame', () => {
    const config: ClientLinkConfig = { clientAddress: 48, serverAddress: { logical: 1, size: 1 } };
    const s = connected(config, vectorBytes('HDLC UA from Landis+Gyr E650'));
    expect(s.parameters).toEqual({ maxInfoTx: 62, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
    const r = nextClientLink(s, { type: 'send', apdu: new Uint8Array(100) });
    const f = decodeFrame(fromHex(writes(r.effects)[0]!));
    expect(f.information!.length).toBe(62);
    expect(f.segmented).toBe(true);
  });

  it('reports an unusable negotiated max-info as an error effect when sending, without throwing', () => {
    const ua = encodeFrame({
      segmented: false,
      destination: { upper: 16, size: 1 },
      source: { upper: 1, size: 1 },
      control: { type: 'UA', pf: true },
      information: encodeParameters({ maxInfoRx: 2 }),
    });
    const s = connected(GURUX, ua);
    expect(s.parameters.maxInfoTx).toBe(2);
    const r = nextClientLink(s, { type: 'send', apdu: fromHex('C0') });
    expect(r.effects.map((e) => (e.type === 'error' ? e.error.message : e.type))).toEqual([
      'maximum information field length 2 is too small to carry an APDU',
    ]);
    expect(r.state).toBe(s);
  });

  it('reports DM and FRMR answers to SNRM as DLMS_LINK_REFUSED naming which', () => {
    for (const [type, control] of [['DM', 0x1f], ['FRMR', 0x97]] as const) {
      const answer = encodeFrame({ segmented: false, destination: { upper: 16, size: 1 }, source: { upper: 1, size: 1 }, control: { type, pf: true } });
      expect(decodeFrame(answer).control.type).toBe(type);
      expect(answer[5]).toBe(control);
      const r = run(createClientLink(GURUX), { type: 'connect' }, { type: 'bytes', bytes: answer });
      expect(r.state.phase).toBe('disconnected');
      const [error] = errors(r.effects);
      expect(error?.code).toBe('DLMS_LINK_REFUSED');
      expect(error?.message).toBe(`HDLC link: meter answered ${type} to SNRM`);
      expect(error?.context).toMatchObject({ reason: type });
      expect(r.effects.at(-1)).toEqual({ type: 'disconnected' });
    }
  });

  it('repeats the SNRM on timeouts, then gives up with DLMS_LINK_REFUSED after maxRetries', () => {
    const r = run(createClientLink({ ...GURUX, maxRetries: 2 }), { type: 'connect' }, { type: 'timeout' }, { type: 'timeout' }, { type: 'timeout' });
    expect(writes(r.effects)).toEqual(Array(3).fill('7EA0070321930F017E'));
    const [error] = errors(r.effects);
    expect(error?.code).toBe('DLMS_LINK_REFUSED');
    expect(error?.message).toBe('HDLC link: no UA to SNRM after 3 attempt(s) (last: response timeout)');
    expect(r.state.phase).toBe('disconnected');
  });

  it('ignores frames addressed to another client or coming from another meter', () => {
    const s = run(createClientLink(GURUX), { type: 'connect' }).state;
    const otherClient = '7EA01E610373B57C81801205018006013E07040000000108040000000107227E'; // UA to client 48
    const otherMeter = encodeFrame({ segmented: false, destination: { upper: 16, size: 1 }, source: { upper: 2, size: 1 }, control: { type: 'UA', pf: true } });
    const r = run(s, bytes(otherClient), { type: 'bytes', bytes: otherMeter });
    expect(r.effects).toEqual([]);
    expect(r.state.phase).toBe('connecting');
  });

  it('refuses inputs not allowed in the current phase without changing state', () => {
    const s = createClientLink(GURUX);
    const r = nextClientLink(s, { type: 'send', apdu: new Uint8Array(3) });
    expect(r.state).toBe(s);
    expect(errors(r.effects).map((e) => [e.code, e.message])).toEqual([['DLMS_LINK_STATE', 'HDLC client: send while the link is disconnected']]);
    const c = run(s, { type: 'connect' }).state;
    expect(errors(nextClientLink(c, { type: 'connect' }).effects)[0]?.code).toBe('DLMS_LINK_STATE');
  });
});

describe('HDLC client link: data exchange reproduces the captured frames', () => {
  it('sends the AARQ I-frame of the vectors and delivers the AARE without LLC (server 1/17)', () => {
    const s = connected(METER_1_17, vectorBytes('HDLC UA with parameters 154/154'));
    expect(s.parameters.maxInfoTx).toBe(128);
    const sent = nextClientLink(s, { type: 'send', apdu: apduOf('HDLC I-frame carrying AARQ') });
    expect(writes(sent.effects)).toEqual([toHex(vectorBytes('HDLC I-frame carrying AARQ'))]);
    const got = nextClientLink(sent.state, { type: 'bytes', bytes: vectorBytes('HDLC I-frame carrying AARE accepted (server 1/17') });
    expect(got.effects).toEqual([{ type: 'timer', ms: null }, { type: 'apdu', apdu: apduOf('HDLC I-frame carrying AARE accepted (server 1/17') }]);
    expect([got.state.vs, got.state.vr, got.state.waiting]).toEqual([1, 1, false]);
  });

  it('mid-session GET with N(S)=2 N(R)=5 matches the Gurux capture byte for byte', () => {
    const s = { ...connected(GURUX, vectorBytes('HDLC UA without information field')), vs: 2, vr: 5 };
    const sent = nextClientLink(s, { type: 'send', apdu: apduOf('HDLC I-frame GET-Request-Normal clock') });
    expect(writes(sent.effects)).toEqual([toHex(vectorBytes('HDLC I-frame GET-Request-Normal clock'))]);
    const got = nextClientLink(sent.state, { type: 'bytes', bytes: vectorBytes('HDLC I-frame GET-Response-Normal clock') });
    expect(got.effects.find((e) => e.type === 'apdu')).toEqual({ type: 'apdu', apdu: apduOf('HDLC I-frame GET-Response-Normal clock') });
  });

  it('RLRQ with N(S)=4 N(R)=7 and its RLRE (N(S)=7) match the capture; V(R) wraps to 0', () => {
    const s = { ...connected(GURUX, vectorBytes('HDLC UA without information field')), vs: 4, vr: 7 };
    const sent = nextClientLink(s, { type: 'send', apdu: apduOf('HDLC I-frame RLRQ') });
    expect(writes(sent.effects)).toEqual([toHex(vectorBytes('HDLC I-frame RLRQ'))]);
    const got = nextClientLink(sent.state, { type: 'bytes', bytes: vectorBytes('HDLC I-frame RLRE') });
    expect(got.effects.some((e) => e.type === 'apdu')).toBe(true);
    expect(got.state.vr).toBe(0);
  });

  it('answers a segment (S=1) with the RR of the capture: RR N(R)=2', () => {
    const s = { ...connected(GURUX, vectorBytes('HDLC UA without information field')), vs: 2, vr: 1, waiting: true };
    const r = nextClientLink(s, { type: 'bytes', bytes: vectorBytes('HDLC segmented I-frame (S bit) #1') });
    expect(writes(r.effects)).toEqual([toHex(vectorBytes('HDLC RR (receive ready) N(R)=2'))]);
    expect(r.state.incoming.length).toBe(1);
  });

  it('disconnects with the DISC of the capture and reports disconnected on UA', () => {
    const s = connected(GURUX, vectorBytes('HDLC UA without information field'));
    const r = run(s, { type: 'disconnect' }, { type: 'bytes', bytes: vectorBytes('HDLC UA without information field') });
    expect(writes(r.effects)).toEqual([toHex(vectorBytes('HDLC DISC'))]);
    expect(r.effects.slice(-2)).toEqual([{ type: 'timer', ms: null }, { type: 'disconnected' }]);
    expect(r.state.phase).toBe('disconnected');
  });
});

describe('HDLC client link: sequence numbers and windows', () => {
  const server = { upper: 1, size: 1 } as const;
  const client = { upper: 16, size: 1 } as const;
  const iFrame = (ns: number, nr: number, pf: boolean, segmented: boolean, info: Uint8Array): Uint8Array =>
    encodeFrame({ segmented, destination: client, source: server, control: { type: 'I', ns, nr, pf }, information: info });

  function connectedWindow3(): ClientLinkState {
    const ua = encodeFrame({
      segmented: false,
      destination: client,
      source: server,
      control: { type: 'UA', pf: true },
      information: encodeParameters({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 3, windowRx: 1 }),
    });
    return connected({ ...GURUX, windowRx: 3 }, ua);
  }

  it('negotiates a receive window of 3', () => {
    expect(connectedWindow3().parameters).toEqual({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 3 });
  });

  it('with a window of 3 acknowledges only the frame with F=1, then gets the APDU', () => {
    let s = connectedWindow3();
    s = run(s, { type: 'send', apdu: fromHex('C001C100080000010000FF0200') }).state; // I(0,0)
    const r1 = run(
      s,
      { type: 'bytes', bytes: iFrame(0, 1, false, true, fromHex('E6E700C4')) },
      { type: 'bytes', bytes: iFrame(1, 1, false, true, fromHex('0101')) },
    );
    expect(writes(r1.effects)).toEqual([]);
    const r2 = run(r1.state, { type: 'bytes', bytes: iFrame(2, 1, true, true, fromHex('02')) });
    expect(writes(r2.effects).map((h) => decodeFrame(fromHex(h)).control)).toEqual([{ type: 'RR', nr: 3, pf: true }]);
    const r3 = run(r2.state, { type: 'bytes', bytes: iFrame(3, 1, true, false, fromHex('03')) });
    expect(r3.effects.find((e) => e.type === 'apdu')).toEqual({ type: 'apdu', apdu: fromHex('C401010203') });
  });

  it('re-asks with RR(V(R)) when N(S) is not the expected one, and drops the duplicate', () => {
    let s = run(connected(GURUX, vectorBytes('HDLC UA without information field')), { type: 'send', apdu: fromHex('C0') }).state;
    s = run(s, { type: 'bytes', bytes: iFrame(0, 1, true, true, fromHex('E6E700C4')) }).state; // ok, V(R)=1, we sent RR(1)
    const r = run(s, { type: 'bytes', bytes: iFrame(0, 1, true, true, fromHex('E6E700C4')) }); // repeated
    expect(writes(r.effects).map((h) => decodeFrame(fromHex(h)).control)).toEqual([{ type: 'RR', nr: 1, pf: true }]);
    expect(r.state.incoming.length).toBe(1);
    expect(r.state.retries).toBe(1);
  });

  it('resends its I-frame when the meter\'s RR shows it was lost', () => {
    const s = run(connected(GURUX, vectorBytes('HDLC UA without information field')), { type: 'send', apdu: fromHex('C0') });
    const rr0 = encodeFrame({ segmented: false, destination: client, source: server, control: { type: 'RR', nr: 0, pf: true } });
    const r = nextClientLink(s.state, { type: 'timeout' });
    expect(writes(r.effects)).toEqual([toHex(encodeFrame({ segmented: false, destination: server, source: client, control: { type: 'RR', nr: 0, pf: true } }))]);
    const again = nextClientLink(r.state, { type: 'bytes', bytes: rr0 });
    expect(writes(again.effects)).toEqual(writes(s.effects));
  });

  it('ignores a stale timeout when nothing is outstanding', () => {
    const s = connected(GURUX, vectorBytes('HDLC UA without information field'));
    expect(nextClientLink(s, { type: 'timeout' })).toEqual({ state: s, effects: [] });
  });
});
