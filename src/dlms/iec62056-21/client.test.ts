import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../shared/bytes.js';
import { isDlmsError } from '../errors.js';
import { asciiBytes } from './chars.js';
import { clientNext, initialClientState, type ClientInput, type ClientState } from './client.js';
import { encodeDataBlock, type DataLine } from './data-block.js';
import type { Iec21Effect } from './effects.js';

const LINES: DataLine[] = [
  { id: 'C.1.0', values: [{ value: '87654321' }] },
  { id: '1.8.0', values: [{ value: '001234.56', unit: 'kWh' }] },
  { id: '1.6.0', values: [{ value: '0001.23', unit: 'kW' }, { value: '24-11-25 12:00' }] },
];
const IDENT_C = asciiBytes('/ISk5MT174-0001\r\n');
const IDENT_E = asciiBytes('/LGZ5\\2ZMD3104407\r\n');
const BLOCK = encodeDataBlock(LINES);

/** Feeds inputs in order, collecting all effects. */
function run(inputs: ClientInput[], state: ClientState = initialClientState()): { state: ClientState; effects: Iec21Effect[] } {
  const effects: Iec21Effect[] = [];
  for (const input of inputs) {
    const step = clientNext(state, input);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const bytes = (b: Uint8Array): ClientInput => ({ type: 'bytes', bytes: b });
const hexed = (effects: Iec21Effect[]) => effects.map((e) => (e.type === 'write' ? { type: 'write', hex: toHex(e.bytes) } : e));

function errorOf(effects: Iec21Effect[]) {
  const e = effects.find((x) => x.type === 'error');
  if (e?.type !== 'error') throw new Error(`no error effect in ${JSON.stringify(hexed(effects))}`);
  return e.error;
}

describe('mode C readout', () => {
  it('goes request → identification → ACK 0 5 0 → 9600 7E1 → data block → readout', () => {
    let s = initialClientState();
    const a = clientNext(s, { type: 'start', mode: 'readout' });
    expect(a.state.step).toBe('await-identification');
    expect(hexed(a.effects)).toEqual([
      { type: 'set-baud', baud: 300, format: '7E1' },
      { type: 'write', hex: '2F3F210D0A' },
      { type: 'timer', ms: 2000 },
    ]);
    s = a.state;
    const b = clientNext(s, bytes(IDENT_C));
    expect(b.state.step).toBe('await-data');
    expect(hexed(b.effects)).toEqual([
      { type: 'cancel-timer' },
      { type: 'wait', ms: 200 },
      { type: 'write', hex: '063035300D0A' },
      { type: 'wait', ms: 200 }, // 6 characters × 10 bits at 300 baud
      { type: 'set-baud', baud: 9600, format: '7E1' },
      { type: 'timer', ms: 2000 },
    ]);
    const c = clientNext(b.state, bytes(BLOCK));
    expect(c.state.step).toBe('done');
    expect(c.effects).toEqual([
      { type: 'cancel-timer' },
      { type: 'readout', identification: { manufacturer: 'ISk', baud: 9600, ident: 'MT174-0001' }, lines: LINES },
    ]);
  });

  it('sends the device address and caps the speed at maxBaud', () => {
    const { effects } = run([{ type: 'start', mode: 'readout', address: '87654321' }, bytes(IDENT_C)], initialClientState({ maxBaud: 2400 }));
    expect(hexed(effects).filter((e) => e.type === 'write')).toEqual([
      { type: 'write', hex: toHex(asciiBytes('/?87654321!\r\n')) },
      { type: 'write', hex: '063033300D0A' }, // ACK '0' '3' '0': 2400 baud
    ]);
    expect(effects).toContainEqual({ type: 'set-baud', baud: 2400, format: '7E1' });
  });

  it('takes timing from the options', () => {
    const { effects } = run(
      [{ type: 'start', mode: 'readout' }, bytes(IDENT_C)],
      initialClientState({ responseTimeoutMs: 5000, reactionMs: 20, baudSwitchDelayMs: 0 }),
    );
    expect(effects.filter((e) => e.type === 'wait' || e.type === 'timer')).toEqual([
      { type: 'timer', ms: 5000 },
      { type: 'wait', ms: 20 },
      { type: 'wait', ms: 0 },
      { type: 'timer', ms: 5000 },
    ]);
  });

  it('skips the echo of its own request, noise before the "/" and before the STX', () => {
    const echoAck = Uint8Array.of(0x06, 0x30, 0x35, 0x30, 0x0d, 0x0a);
    const { state, effects } = run([
      { type: 'start', mode: 'readout' },
      bytes(asciiBytes('/?!\r\n')),
      bytes(Uint8Array.of(0x00, 0xff)),
      bytes(IDENT_C),
      bytes(concatBytes([echoAck, Uint8Array.of(0x7f), BLOCK])),
    ]);
    expect(state.step).toBe('done');
    expect(effects.find((e) => e.type === 'readout')).toMatchObject({ lines: LINES });
  });

  it('completes whatever the chunking of identification and data block', () => {
    const expected = { manufacturer: 'ISk', baud: 9600, ident: 'MT174-0001' };
    for (let i = 0; i <= IDENT_C.length; i++) {
      const { state } = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_C.subarray(0, i)), bytes(IDENT_C.subarray(i))]);
      expect(state.step, `identification split at ${i}`).toBe('await-data');
      if (state.step === 'await-data') expect(state.identification).toEqual(expected);
    }
    const signedOn = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_C)]).state;
    for (let i = 0; i <= BLOCK.length; i++) {
      const { state, effects } = run([bytes(BLOCK.subarray(0, i)), bytes(BLOCK.subarray(i))], signedOn);
      expect(state.step, `data block split at ${i}`).toBe('done');
      expect(effects.filter((e) => e.type === 'readout' || e.type === 'error')).toEqual([
        { type: 'readout', identification: expected, lines: LINES },
      ]);
    }
    // And one byte at a time, each partial chunk re-arming the inter-character timer.
    const single = run(Array.from(BLOCK, (b) => bytes(Uint8Array.of(b))), signedOn);
    expect(single.state.step).toBe('done');
    expect(single.effects.filter((e) => e.type === 'timer')).toHaveLength(BLOCK.length - 1);
  });

  it('fails on a wrong BCC with DLMS_BAD_CHECKSUM', () => {
    const bad = BLOCK.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x01;
    const { state, effects } = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_C), bytes(bad)]);
    expect(state.step).toBe('failed');
    expect(effects.at(-2)).toEqual({ type: 'cancel-timer' });
    const error = errorOf(effects);
    expect(error.code).toBe('DLMS_BAD_CHECKSUM');
    expect(error.context).toEqual({ step: 'await-data' });
  });

  it('fails on a garbage identification, naming the field', () => {
    const { state, effects } = run([{ type: 'start', mode: 'readout' }, bytes(asciiBytes('/1SK5MT174\r\n'))]);
    expect(state.step).toBe('failed');
    const error = errorOf(effects);
    expect(error.code).toBe('DLMS_IEC21_PROTOCOL');
    expect(error.message).toBe("identification: manufacturer byte 0x31 '1' at offset 1 is not a letter");
    expect(error.context).toEqual({ step: 'await-identification' });
    expect(errorOf(run([{ type: 'start', mode: 'readout' }, bytes(asciiBytes('ERROR\r\n'))]).effects).code).toBe('DLMS_IEC21_PROTOCOL');
  });

  it('fails when no CR LF comes within a plausible identification length', () => {
    const { effects } = run([{ type: 'start', mode: 'readout' }, bytes(new Uint8Array(200).fill(0x41))]);
    expect(errorOf(effects).message).toContain('no CR LF');
  });

  it('fails when no STX comes, or the block exceeds maxBlockBytes', () => {
    const noStx = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_C), bytes(new Uint8Array(65).fill(0x41))]);
    expect(errorOf(noStx.effects).message).toBe('data message: no STX within the first 65 bytes');
    const big = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_C), bytes(BLOCK.subarray(0, 40))], initialClientState({ maxBlockBytes: 32 }));
    expect(errorOf(big.effects).message).toContain('longer than 32 bytes');
  });

  it('turns a timeout into DLMS_IEC21_TIMEOUT naming the step and what was heard meanwhile', () => {
    const first = run([{ type: 'start', mode: 'readout' }, { type: 'timeout' }]);
    expect(first.state.step).toBe('failed');
    expect(errorOf(first.effects).code).toBe('DLMS_IEC21_TIMEOUT');
    expect(errorOf(first.effects).message).toBe('no identification message within 2000 ms after the request (received nothing)');
    expect(errorOf(first.effects).context).toEqual({ step: 'await-identification', received: 0 });
    const second = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_C), bytes(BLOCK.subarray(0, 10)), { type: 'timeout' }]);
    expect(errorOf(second.effects).code).toBe('DLMS_IEC21_TIMEOUT');
    expect(errorOf(second.effects).message).toBe('data message incomplete after 2000 ms of silence (10 bytes of it received)');
    expect(errorOf(second.effects).context).toEqual({ step: 'await-data', received: 10 });
  });

  it('ignores stale timeouts and stray bytes once done or failed, and restarts on start', () => {
    const done = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_C), bytes(BLOCK)]).state;
    expect(clientNext(done, { type: 'timeout' })).toEqual({ state: done, effects: [] });
    expect(clientNext(done, bytes(BLOCK))).toEqual({ state: done, effects: [] });
    const again = clientNext(done, { type: 'start', mode: 'readout' });
    expect(again.state.step).toBe('await-identification');
    expect(again.effects[0]).toEqual({ type: 'set-baud', baud: 300, format: '7E1' });
  });

  it('fails at once on an address the request cannot carry', () => {
    const { state, effects } = run([{ type: 'start', mode: 'readout', address: 'bad-addr' }]);
    expect(state.step).toBe('failed');
    expect(errorOf(effects).context).toEqual({ step: 'request' });
  });
});

describe('mode E hand-over', () => {
  it('answers \\2 with ACK 2 5 2, switches to 8N1 and hands over', () => {
    const { state, effects } = run([{ type: 'start', mode: 'hdlc' }, bytes(IDENT_E)]);
    expect(state.step).toBe('done');
    expect(hexed(effects)).toEqual([
      { type: 'set-baud', baud: 300, format: '7E1' },
      { type: 'write', hex: '2F3F210D0A' },
      { type: 'timer', ms: 2000 },
      { type: 'cancel-timer' },
      { type: 'wait', ms: 200 },
      { type: 'write', hex: '063235320D0A' },
      { type: 'wait', ms: 200 },
      { type: 'set-baud', baud: 9600, format: '8N1' },
      { type: 'hdlc-ready', baud: 9600 },
    ]);
  });

  it('refuses a meter that does not offer mode E', () => {
    const { state, effects } = run([{ type: 'start', mode: 'hdlc' }, bytes(IDENT_C)]);
    expect(state.step).toBe('failed');
    expect(errorOf(effects).code).toBe('DLMS_UNSUPPORTED');
    expect(errorOf(effects).message).toContain('does not offer mode E');
  });

  it('reads out a mode E meter in mode C when asked for a readout', () => {
    const { effects } = run([{ type: 'start', mode: 'readout' }, bytes(IDENT_E), bytes(BLOCK)]);
    expect(toHex((effects[5] as { bytes: Uint8Array }).bytes)).toBe('063035300D0A');
    expect(effects.at(-1)).toMatchObject({ type: 'readout', lines: LINES });
  });

  it('leaves bytes after the hand-over to the HDLC layer', () => {
    const { state } = run([{ type: 'start', mode: 'hdlc' }, bytes(IDENT_E)]);
    expect(clientNext(state, bytes(Uint8Array.of(0x7e, 0xa0)))).toEqual({ state, effects: [] });
  });
});

/** Chunks made of the characters that delimit messages, so that random input reaches the parsers. */
const FRAMING_CHUNK = fc
  .array(fc.constantFrom(...Array.from('/!\r\n\x02\x03()*.05A\\', (c) => c.charCodeAt(0))), { maxLength: 24 })
  .map((a) => Uint8Array.from(a));

describe('hostile input', () => {
  it('random chunks never throw; any error effect carries a DlmsError', () => {
    fc.assert(
      fc.property(fc.constantFrom<'readout' | 'hdlc'>('readout', 'hdlc'), fc.boolean(), fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), FRAMING_CHUNK), { maxLength: 8 }), (mode, signOn, chunks) => {
        const inputs: ClientInput[] = [{ type: 'start', mode }];
        if (signOn) inputs.push(bytes(mode === 'hdlc' ? IDENT_E : IDENT_C));
        inputs.push(...chunks.map(bytes));
        const { effects } = run(inputs);
        for (const e of effects) if (e.type === 'error') expect(isDlmsError(e.error)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
