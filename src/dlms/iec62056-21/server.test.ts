import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import { asciiBytes } from './chars.js';
import { encodeDataBlock, type DataLine } from './data-block.js';
import type { Iec21Effect } from './effects.js';
import { encodeOptionSelect, encodeRequest } from './messages.js';
import { initialServerState, serverNext, type ServerConfig, type ServerInput, type ServerState } from './server.js';

const LINES: DataLine[] = [
  { id: '0.0.0', values: [{ value: '12345678' }] },
  { id: '1.8.0', values: [{ value: '001234.56', unit: 'kWh' }] },
];
const CONFIG: ServerConfig = { manufacturer: 'KFM', ident: 'VN1P-2024', maxBaud: 9600, modeE: true, address: '12345678', readout: LINES };

function run(inputs: ServerInput[], state: ServerState = initialServerState(CONFIG)): { state: ServerState; effects: Iec21Effect[] } {
  const effects: Iec21Effect[] = [];
  for (const input of inputs) {
    const step = serverNext(state, input);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}
const bytes = (b: Uint8Array): ServerInput => ({ type: 'bytes', bytes: b });
const hexed = (effects: Iec21Effect[]) => effects.map((e) => (e.type === 'write' ? { type: 'write', hex: toHex(e.bytes) } : e));

/** Chunks made of the sign-on's own characters, so that random input reaches the parsers. */
const SIGN_ON_CHUNK = fc
  .array(fc.constantFrom(...Array.from('/?!\r\n\x0602591A\\', (c) => c.charCodeAt(0))), { maxLength: 12 })
  .map((a) => Uint8Array.from(a));

describe('meter side of mode C/E', () => {
  it('answers a request for any meter and one for its own address with its identification', () => {
    for (const request of [encodeRequest(), encodeRequest('12345678')]) {
      const { state, effects } = run([bytes(request)]);
      expect(state.step).toBe('await-ack');
      expect(hexed(effects)).toEqual([
        { type: 'wait', ms: 200 },
        { type: 'write', hex: toHex(asciiBytes('/KFM5\\2VN1P-2024\r\n')) },
        { type: 'timer', ms: 1500 },
      ]);
    }
  });

  it('stays silent on a request for another address, and on garbage', () => {
    expect(run([bytes(encodeRequest('87654321'))])).toEqual({ state: initialServerState(CONFIG), effects: [] });
    expect(run([bytes(asciiBytes('/?12-34!\r\nhello\r\n'))]).effects).toEqual([]);
  });

  it('answers any address when it has none configured', () => {
    const { address: _unused, ...noAddress } = CONFIG;
    expect(run([bytes(encodeRequest('87654321'))], initialServerState(noAddress)).state.step).toBe('await-ack');
  });

  it('accepts the request in arbitrary chunks and after line noise', () => {
    const request = encodeRequest('12345678');
    for (let i = 0; i <= request.length; i++) {
      expect(run([bytes(Uint8Array.of(0x00)), bytes(request.subarray(0, i)), bytes(request.subarray(i))]).state.step).toBe('await-ack');
    }
  });

  it('sends the readout at the selected speed, then returns to 300 baud', () => {
    const block = encodeDataBlock(LINES);
    const { state, effects } = run([bytes(encodeRequest()), bytes(encodeOptionSelect({ protocol: 'normal', baud: 4800, mode: 'readout' }))]);
    expect(state.step).toBe('idle');
    expect(hexed(effects.slice(3))).toEqual([
      { type: 'cancel-timer' },
      { type: 'set-baud', baud: 4800, format: '7E1' },
      { type: 'wait', ms: 200 },
      { type: 'write', hex: toHex(block) },
      { type: 'wait', ms: Math.ceil((block.length * 10 * 1000) / 4800) },
      { type: 'set-baud', baud: 300, format: '7E1' },
    ]);
  });

  it('takes the readout from a callback at the time of the readout', () => {
    let reads = 0;
    const config: ServerConfig = { ...CONFIG, readout: () => [{ id: '1.8.0', values: [{ value: String(++reads) }] }] };
    const ack = encodeOptionSelect({ protocol: 'normal', baud: 300, mode: 'readout' });
    const { effects } = run([bytes(encodeRequest()), bytes(ack), bytes(encodeRequest()), bytes(ack)], initialServerState(config));
    const writes = effects.filter((e): e is Extract<Iec21Effect, { type: 'write' }> => e.type === 'write').map((e) => toHex(e.bytes));
    expect(writes[1]).toBe(toHex(encodeDataBlock([{ id: '1.8.0', values: [{ value: '1' }] }])));
    expect(writes[3]).toBe(toHex(encodeDataBlock([{ id: '1.8.0', values: [{ value: '2' }] }])));
  });

  it('hands over to HDLC on ACK 2 Z 2 when it offers mode E', () => {
    const { state, effects } = run([bytes(encodeRequest()), bytes(encodeOptionSelect({ protocol: 'hdlc', baud: 9600, mode: 'binary' }))]);
    expect(state).toEqual({ step: 'hdlc', config: CONFIG, baud: 9600 });
    expect(effects.slice(3)).toEqual([
      { type: 'cancel-timer' },
      { type: 'set-baud', baud: 9600, format: '8N1' },
      { type: 'hdlc-ready', baud: 9600 },
    ]);
    expect(serverNext(state, bytes(Uint8Array.of(0x7e)))).toEqual({ state, effects: [] });
    expect(serverNext(state, { type: 'reset' }).effects).toEqual([{ type: 'cancel-timer' }, { type: 'set-baud', baud: 300, format: '7E1' }]);
  });

  it('reports options it does not offer and goes back to waiting', () => {
    const noE = initialServerState({ ...CONFIG, modeE: false });
    const e1 = run([bytes(encodeRequest()), bytes(encodeOptionSelect({ protocol: 'hdlc', baud: 9600, mode: 'binary' }))], noE);
    expect(e1.state.step).toBe('idle');
    expect(e1.effects.at(-1)).toMatchObject({ type: 'error', error: { code: 'DLMS_UNSUPPORTED' } });
    const e2 = run([bytes(encodeRequest()), bytes(encodeOptionSelect({ protocol: 'normal', baud: 19200, mode: 'readout' }))]);
    expect(e2.effects.at(-1)).toMatchObject({ type: 'error', error: { code: 'DLMS_IEC21_PROTOCOL', message: 'option select asks for 19200 baud, the meter offers at most 9600' } });
    const e3 = run([bytes(encodeRequest()), bytes(encodeOptionSelect({ protocol: 'normal', baud: 300, mode: 'programming' }))]);
    expect(e3.effects.at(-1)).toMatchObject({ type: 'error', error: { code: 'DLMS_UNSUPPORTED' } });
  });

  it('reports a configuration the identification cannot express', () => {
    const { state, effects } = run([bytes(encodeRequest())], initialServerState({ ...CONFIG, ident: 'x'.repeat(17) }));
    expect(state.step).toBe('idle');
    expect(effects).toMatchObject([{ type: 'error', error: { code: 'DLMS_IEC21_PROTOCOL', context: { step: 'identification' } } }]);
  });

  it('returns to the initial state when the acknowledgement does not come', () => {
    const { state, effects } = run([bytes(encodeRequest()), { type: 'timeout' }]);
    expect(state.step).toBe('idle');
    expect(effects.at(-1)).toEqual({ type: 'set-baud', baud: 300, format: '7E1' });
  });

  it('random bytes never throw; errors are DlmsErrors', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), SIGN_ON_CHUNK), { maxLength: 8 }), fc.boolean(), (chunks, afterRequest) => {
        const inputs: ServerInput[] = afterRequest ? [bytes(encodeRequest())] : [];
        inputs.push(...chunks.map(bytes));
        for (const e of run(inputs).effects) if (e.type === 'error') expect(isDlmsError(e.error)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
