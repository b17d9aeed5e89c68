import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBatch } from './batch.js';
import { parseEnvelopeJson } from './envelope-json.js';
import { isWireError } from './errors.js';
import { sampleBatch, testSigner } from './test-helpers.js';

/** What the plain path gives: the value, or the WireError code and message. */
function plain(bytes: Uint8Array): unknown {
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown };
  } catch {
    return { error: true };
  }
}

function cut(bytes: Uint8Array): unknown {
  try {
    const { value, payloadBytes } = parseEnvelopeJson(bytes, 'signed reads');
    const payload = (value as { payload?: unknown } | null)?.payload;
    if (payloadBytes !== undefined) expect(payloadBytes.equals(Buffer.from(payload as string, 'base64'))).toBe(true);
    return { value };
  } catch (e) {
    expect(isWireError(e, 'WIRE_MALFORMED')).toBe(true);
    return { error: true };
  }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const gw = testSigner('GW-JSON');
const envelope = Buffer.from(signBatch(sampleBatch('GW-JSON', 1, 2), gw.privateKey, gw.keyId)).toString('utf8');

describe('reading an envelope with its payload cut out', () => {
  it('gives a real envelope the value JSON.parse gives', () => {
    expect(cut(text(envelope))).toEqual(plain(text(envelope)));
  });

  it('gives every tricky spelling the value or the error JSON.parse gives', () => {
    const cases = [
      '{"v":1,"payload":"QUJD","sig":"x"}',
      '{"v":1,"payload":""}',
      '{"v":1,"a":{"payload":"QUJD"},"payload":""}', // nested key: the top level keeps ""
      '{"v":1,"a":{"payload":"QUJD"},"payload" :""}',
      '{"v":1,"payload":"QUJD","payload":""}', // duplicate keys: JSON.parse keeps the last
      '{"v":1,"payload":"","payl\\u006fad":"QUJD"}',
      '{"v":1,"payl\\u006fad":"","payload":"QUJD"}',
      '{"v":1,"payload":"QU\\/JD"}', // an escape in the value
      '{"v":1,"payload":"QUJDé"}', // not ASCII
      '{"v":1,"payload":"QUJD',
      '{"v":1,"payload":"QUJD"',
      '["payload",{"payload":"QUJD"}]',
      '{"v":1,"payload":"QUJD"}x',
      '{"v":1,"payload":QUJD}',
      '{"v":1,"x":"\\"payload\\":\\"QUJD","payload":""}',
      '{"payload":"QUJD","v":{"payload":""}}',
    ];
    for (const c of cases) expect(cut(text(c)), c).toEqual(plain(text(c)));
    // The cut is taken in the ordinary case.
    expect(parseEnvelopeJson(text(envelope), 'signed reads').payloadBytes).toBeDefined();
    expect(parseEnvelopeJson(text('{"v":1,"payload":"QUJD","sig":"x"}'), 'x')).toEqual({ value: { v: 1, payload: 'QUJD', sig: 'x' }, payloadBytes: Buffer.from('ABC') });
  });

  it('agrees with JSON.parse on envelopes with characters inserted, removed or replaced anywhere', () => {
    const small = '{"v":1,"type":"reads","gatewayId":"G","a":{"b":[1]},"payload":"QUJDRA==","sig":"eHl6"}';
    const chars = fc.constantFrom(...'"\\:{}[],payloadQ=é \u0000'.split(''), '\\u0070', '"payload":"', '"payload"');
    const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), chars, fc.constantFrom('insert', 'replace', 'remove'));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.constantFrom(small, envelope), (edits, start) => {
        let s = start;
        for (const [at, len, c, how] of edits) {
          const i = at % (s.length + 1);
          s = how === 'insert' ? s.slice(0, i) + c + s.slice(i) : how === 'replace' ? s.slice(0, i) + c + s.slice(i + len) : s.slice(0, i) + s.slice(i + len);
        }
        expect(cut(text(s))).toEqual(plain(text(s)));
      }),
      { numRuns: 5_000 },
    );
  });
});
