import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openSignedBatch, signBatch, type ReadBatchInput } from './batch.js';
import { canonicalBase64 } from './base64.js';
import { isWireError } from './errors.js';
import { BCS_CODES, makeReadId, QUALITY_FLAGS, READ_KINDS, READ_UNITS, type ReadRecord } from './reads.js';
import { ringOf, testSigner } from './test-helpers.js';
import { gatewayTopic, maySubscribe, parseGatewayTopic, TOPIC_KINDS } from './topics.js';

const gw = testSigner('GW-prop');
const ring = ringOf(gw);

const idChars = fc.constantFrom(...'ABCXYZabcxyz0189_-'.split(''));
const gatewayIdArb = fc
  .tuple(fc.constantFrom(...'Aa0Z9'.split('')), fc.array(idChars, { maxLength: 63 }))
  .map(([first, rest]) => first + rest.join(''));
const meterIdArb = fc
  .tuple(fc.constantFrom(...'AM0'.split('')), fc.array(fc.constantFrom(...'AZaz09.-_'.split('')), { maxLength: 20 }))
  .map(([first, rest]) => first + rest.join(''));
const obisArb = fc.tuple(...Array.from({ length: 6 }, () => fc.integer({ min: 0, max: 255 }))).map((g) => g.join('.'));
const decimalArb = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.option(fc.integer({ min: 0, max: 999_999 })))
  .map(([neg, int, frac]) => `${neg && int > 0n ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}`);
const instantArb = fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2099-12-31T23:59:59Z') });
/** ISO with ms and an offset among those a meter fleet in one country plausibly reports. */
const isoArb = fc.tuple(instantArb, fc.constantFrom(0, 7 * 60, -5 * 60, 5 * 60 + 30)).map(([ms, offsetMin]) => {
  if (offsetMin === 0) return new Date(ms).toISOString();
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
});
const dateArb = instantArb.map((ms) => new Date(ms).toISOString().slice(0, 10));
const codeArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,32}$/);
const qualityArb = fc.oneof(
  fc.subarray(['ok', 'billing-snapshot', 'reread'] as const, { minLength: 1 }).filter((q) => q.includes('ok')),
  fc.subarray(QUALITY_FLAGS.filter((q) => q !== 'ok'), { minLength: 1 }),
);

const readArb = fc
  .record(
    {
      meterId: meterIdArb,
      meteringPoint: codeArb,
      customerCode: codeArb,
      bookCode: codeArb,
      routeOrder: fc.integer({ min: 1, max: 1_000_000 }),
      obis: obisArb,
      bcs: fc.constantFrom(...BCS_CODES, null),
      value: decimalArb,
      unit: fc.constantFrom(...READ_UNITS, null),
      scaler: fc.integer({ min: -128, max: 127 }),
      meterTime: isoArb,
      receivedAt: isoArb,
      quality: qualityArb,
      kind: fc.constantFrom(...READ_KINDS),
      period: fc.tuple(dateArb, dateArb).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
      multiplier: fc.constantFrom('1', '40', '200', '0.5', '1200'),
    },
    { requiredKeys: ['meterId', 'meteringPoint', 'obis', 'bcs', 'value', 'unit', 'meterTime', 'receivedAt', 'quality', 'kind', 'multiplier'] },
  )
  .map(({ period, ...r }): Omit<ReadRecord, 'readId'> =>
    period === undefined ? r : { ...r, periodStart: period[0], periodEnd: period[1] },
  );

const batchArb = fc
  .record({
    seqFrom: fc.integer({ min: 1, max: 2 ** 40 }),
    epoch: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    createdAt: isoArb,
    reads: fc.uniqueArray(readArb, {
      minLength: 1,
      maxLength: 25,
      selector: (r) => makeReadId({ gatewayId: gw.gatewayId, meterId: r.meterId, obis: r.obis, kind: r.kind, meterTime: r.meterTime }),
    }),
  })
  .map(
    ({ seqFrom, epoch, createdAt, reads }): ReadBatchInput => ({
      gatewayId: gw.gatewayId,
      epoch,
      seqFrom,
      seqTo: seqFrom + reads.length - 1,
      createdAt,
      reads: reads.map((r) => ({
        readId: makeReadId({ gatewayId: gw.gatewayId, meterId: r.meterId, obis: r.obis, kind: r.kind, meterTime: r.meterTime }),
        ...r,
      })),
    }),
  );

describe('properties', () => {
  it('random read batches sign and open to the same batch', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const bytes = signBatch(batch, gw.privateKey, gw.keyId);
        const opened = openSignedBatch(bytes, ring.lookup, { gatewayId: gw.gatewayId });
        expect(opened.batch).toEqual({ ...batch, v: 1, type: 'reads', keyId: gw.keyId });
        expect(opened.envelope.seqFrom).toBe(batch.seqFrom);
      }),
      { numRuns: 200 },
    );
  });

  it('any single-byte change to a signed message gives a WireError, never another exception or success', () => {
    const bytes = signBatch(fc.sample(batchArb, { numRuns: 1, seed: 42 })[0] as ReadBatchInput, gw.privateKey, gw.keyId);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutated = bytes.slice();
        mutated[at] = (mutated[at] as number) ^ xor;
        try {
          openSignedBatch(mutated, ring.lookup);
        } catch (e) {
          expect(isWireError(e), String(e)).toBe(true);
          return;
        }
        // Only a change the envelope ignores may still open (none exist: every byte is structure or signed).
        throw new Error(`mutated byte ${at} ^ ${xor} still opened`);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes and random JSON give a WireError, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map((j) => new TextEncoder().encode(j))), (bytes) => {
        try {
          openSignedBatch(bytes, ring.lookup);
        } catch (e) {
          expect(isWireError(e), String(e)).toBe(true);
          return;
        }
        throw new Error('random input opened');
      }),
      { numRuns: 1000 },
    );
  });

  it('topics round-trip for any valid gateway id, and a gateway may subscribe only to its own cmd/ack', () => {
    fc.assert(
      fc.property(gatewayIdArb, gatewayIdArb, fc.constantFrom(...TOPIC_KINDS), (a, b, kind) => {
        expect(parseGatewayTopic(gatewayTopic(a, kind))).toEqual({ gatewayId: a, kind });
        expect(maySubscribe(a, gatewayTopic(b, kind))).toBe(a === b && (kind === 'cmd' || kind === 'ack'));
      }),
    );
  });
});

describe('exhaustive tampering', () => {
  it('every byte of a signed message, changed, makes it fail with a WireError', () => {
    const batch = fc.sample(batchArb, { numRuns: 1, seed: 7 })[0] as ReadBatchInput;
    const bytes = signBatch({ ...batch, reads: batch.reads.slice(0, 2), seqTo: batch.seqFrom + Math.min(2, batch.reads.length) - 1 }, gw.privateKey, gw.keyId);
    const codes = new Set<string>();
    for (let at = 0; at < bytes.length; at++) {
      for (const xor of [0x01, 0x20]) {
        const mutated = bytes.slice();
        mutated[at] = (mutated[at] as number) ^ xor;
        let code = 'opened';
        try {
          openSignedBatch(mutated, ring.lookup);
        } catch (e) {
          code = isWireError(e) ? e.code : `crash: ${String(e)}`;
        }
        expect(code, `byte ${at} ^ ${xor}`).toMatch(/^WIRE_/);
        codes.add(code);
      }
    }
    expect([...codes].sort()).toEqual(['WIRE_BAD_SIGNATURE', 'WIRE_MALFORMED', 'WIRE_UNKNOWN_GATEWAY', 'WIRE_UNKNOWN_KEY', 'WIRE_UNSUPPORTED_VERSION']);
  });
});

describe('canonical base64', () => {
  /** The definition: the text is what encoding its bytes gives back. */
  const byDefinition = (s: string): Buffer | undefined => {
    const bytes = Buffer.from(s, 'base64');
    return s.length % 4 === 0 && bytes.toString('base64') === s ? bytes : undefined;
  };
  const chars = fc.constantFrom(...'AQgwBZaz09+/=-_ .\né\u0000'.split(''));
  const quads = fc.array(chars, { maxLength: 16 }).map((a) => a.join('')).filter((s) => s.length % 4 === 0);
  const mutated = fc
    .tuple(fc.uint8Array({ maxLength: 12 }), fc.nat(), chars)
    .map(([bytes, at, c]) => {
      const s = Buffer.from(bytes).toString('base64');
      const i = s.length === 0 ? 0 : at % s.length;
      return s.slice(0, i) + c + s.slice(i + 1);
    });

  it('the quick decoder accepts exactly the texts the definition accepts, with the same bytes', () => {
    fc.assert(
      fc.property(fc.oneof(quads, mutated, fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'))), (s) => {
        const quick = canonicalBase64(s);
        const defined = byDefinition(s);
        expect(quick === undefined, JSON.stringify(s)).toBe(defined === undefined);
        if (quick !== undefined) expect(quick.equals(defined!)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
