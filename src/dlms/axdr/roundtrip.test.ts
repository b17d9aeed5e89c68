import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DlmsError, isDlmsError } from '../errors.js';
import { decodeDateTimeBytes, encodeDateTimeBytes, cosemDateTimeFromDate, cosemDateTimeToDate } from './datetime.js';
import { decodeData, decodeDataExact } from './decode.js';
import { encodeData } from './encode.js';
import { minContentSize } from './typedesc.js';
import type { CosemDate, CosemDateTime, CosemTime, DlmsData, TypeDescription } from './types.js';

/** Property tests: arbitrary COSEM Data round-trips through encode/decode, and hostile bytes give only DlmsError. */

const opt = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: undefined });

const arbDate: fc.Arbitrary<CosemDate> = fc.record({
  year: opt(0xfffe),
  month: opt(0xfe),
  dayOfMonth: opt(0xfe),
  dayOfWeek: opt(0xfe),
});

const arbTime: fc.Arbitrary<CosemTime> = fc.record({
  hour: opt(0xfe),
  minute: opt(0xfe),
  second: opt(0xfe),
  hundredths: opt(0xfe),
});

const arbDateTime: fc.Arbitrary<CosemDateTime> = fc
  .tuple(arbDate, arbTime, fc.option(fc.integer({ min: -0x7fff, max: 0x7fff }), { nil: undefined }), opt(0xfe))
  .map(([d, t, deviation, clockStatus]) => ({ ...d, ...t, deviation, clockStatus }));

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 });

/** Arbitraries for every type that is not a container, keyed by type name. */
const scalars = {
  'null-data': fc.constant<DlmsData>({ type: 'null-data' }),
  'dont-care': fc.constant<DlmsData>({ type: 'dont-care' }),
  boolean: fc.boolean().map((value): DlmsData => ({ type: 'boolean', value })),
  'bit-string': fc
    .integer({ min: 0, max: 40 })
    .chain((length) => fc.uint8Array({ minLength: Math.ceil(length / 8), maxLength: Math.ceil(length / 8) }).map((bytes) => ({ length, bytes })))
    .map((value): DlmsData => ({ type: 'bit-string', value })),
  'double-long': fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value): DlmsData => ({ type: 'double-long', value })),
  'double-long-unsigned': fc.integer({ min: 0, max: 0xffffffff }).map((value): DlmsData => ({ type: 'double-long-unsigned', value })),
  'octet-string': fc
    .oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 120, maxLength: 300 }))
    .map((value): DlmsData => ({ type: 'octet-string', value })),
  'visible-string': latin1.map((value): DlmsData => ({ type: 'visible-string', value })),
  'utf8-string': fc.string({ unit: 'grapheme', maxLength: 10 }).map((value): DlmsData => ({ type: 'utf8-string', value })),
  bcd: fc.integer({ min: 0, max: 255 }).map((value): DlmsData => ({ type: 'bcd', value })),
  integer: fc.integer({ min: -128, max: 127 }).map((value): DlmsData => ({ type: 'integer', value })),
  long: fc.integer({ min: -0x8000, max: 0x7fff }).map((value): DlmsData => ({ type: 'long', value })),
  unsigned: fc.integer({ min: 0, max: 255 }).map((value): DlmsData => ({ type: 'unsigned', value })),
  'long-unsigned': fc.integer({ min: 0, max: 0xffff }).map((value): DlmsData => ({ type: 'long-unsigned', value })),
  long64: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value): DlmsData => ({ type: 'long64', value })),
  'long64-unsigned': fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value): DlmsData => ({ type: 'long64-unsigned', value })),
  enum: fc.integer({ min: 0, max: 255 }).map((value): DlmsData => ({ type: 'enum', value })),
  float32: fc.float().map((value): DlmsData => ({ type: 'float32', value })),
  float64: fc.double().map((value): DlmsData => ({ type: 'float64', value })),
  'date-time': arbDateTime.map((value): DlmsData => ({ type: 'date-time', value })),
  date: arbDate.map((value): DlmsData => ({ type: 'date', value })),
  time: arbTime.map((value): DlmsData => ({ type: 'time', value })),
} satisfies Record<string, fc.Arbitrary<DlmsData>>;

type ScalarType = keyof typeof scalars;
const scalarTypes = Object.keys(scalars) as ScalarType[];

const { description } = fc.letrec<{ description: TypeDescription }>((tie) => ({
  description: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...scalarTypes).map((type): TypeDescription => ({ type }) as TypeDescription),
    fc.record({ type: fc.constant('array' as const), count: fc.integer({ min: 0, max: 3 }), element: tie('description') }),
    fc.record({ type: fc.constant('structure' as const), elements: fc.array(tie('description'), { minLength: 1, maxLength: 3 }) }),
  ),
}));

function valueFor(t: TypeDescription): fc.Arbitrary<DlmsData> {
  if (t.type === 'array') return fc.array(valueFor(t.element), { minLength: t.count, maxLength: t.count }).map((value) => ({ type: 'array', value }));
  if (t.type === 'structure') return fc.tuple(...t.elements.map(valueFor)).map((value) => ({ type: 'structure', value }));
  return scalars[t.type as ScalarType];
}

const arbCompactArray: fc.Arbitrary<DlmsData> = description
  .filter((t) => minContentSize(t) > 0)
  .chain((t) => fc.array(valueFor(t), { maxLength: 4 }).map((values): DlmsData => ({ type: 'compact-array', value: { typeDescription: t, values } })));

const { data: arbData } = fc.letrec<{ data: DlmsData }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ...Object.values(scalars),
    arbCompactArray,
    fc.array(tie('data'), { maxLength: 5 }).map((value): DlmsData => ({ type: 'array', value })),
    fc.array(tie('data'), { maxLength: 5 }).map((value): DlmsData => ({ type: 'structure', value })),
  ),
}));

function outcome(bytes: Uint8Array): 'ok' | 'DLMS_TRUNCATED' | 'DLMS_BAD_DATA' {
  try {
    decodeData(bytes);
    return 'ok';
  } catch (e) {
    if (isDlmsError(e, 'DLMS_TRUNCATED')) return 'DLMS_TRUNCATED';
    if (isDlmsError(e, 'DLMS_BAD_DATA')) return 'DLMS_BAD_DATA';
    throw e; // anything else fails the property
  }
}

describe('A-XDR round trip (fast-check)', () => {
  it('decode(encode(d)) equals d and consumes every byte', () => {
    fc.assert(
      fc.property(arbData, (d) => {
        const bytes = encodeData(d);
        const { data, next } = decodeData(bytes);
        expect(next).toBe(bytes.length);
        expect(data).toEqual(d);
        expect(encodeData(data)).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes at an offset inside a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), arbData, fc.uint8Array({ maxLength: 8 }), (pre, d, post) => {
        const body = encodeData(d);
        const buf = new Uint8Array([...pre, ...body, ...post]);
        const { data, next } = decodeData(buf, pre.length);
        expect(data).toEqual(d);
        expect(next).toBe(pre.length + body.length);
      }),
    );
  });

  it('every proper prefix of a valid encoding is DLMS_TRUNCATED (the client then waits for more)', () => {
    fc.assert(
      fc.property(arbData, (d) => {
        const bytes = encodeData(d);
        for (let cut = 0; cut < bytes.length; cut++) expect(outcome(bytes.subarray(0, cut))).toBe('DLMS_TRUNCATED');
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes give a value or a DlmsError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        outcome(bytes);
      }),
      { numRuns: 20_000 },
    );
  });

  it('random bytes behind a container tag give a value or a DlmsError', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 19), fc.uint8Array({ maxLength: 64 }), (tag, rest) => {
        outcome(new Uint8Array([tag, ...rest]));
      }),
      { numRuns: 20_000 },
    );
  });

  it('mutated valid encodings give a value or a DlmsError', () => {
    fc.assert(
      fc.property(arbData, fc.nat(), fc.integer({ min: 0, max: 255 }), (d, at, byte) => {
        const bytes = encodeData(d);
        if (bytes.length === 0) return;
        bytes[at % bytes.length] = byte;
        outcome(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('date-time bytes round-trip for any field values', () => {
    fc.assert(
      fc.property(arbDateTime, (dt) => {
        expect(decodeDateTimeBytes(encodeDateTimeBytes(dt))).toEqual(dt);
      }),
    );
  });

  it('Date → COSEM date-time → Date is the identity at 10 ms resolution for any deviation', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: -840, max: 840 }),
        (date, deviation) => {
          const dt = cosemDateTimeFromDate(date, deviation);
          const back = cosemDateTimeToDate(decodeDateTimeBytes(encodeDateTimeBytes(dt)));
          expect(back?.getTime()).toBe(Math.floor(date.getTime() / 10) * 10);
        },
      ),
    );
  });

  it('a decodeDataExact failure is a DlmsError', () => {
    expect(() => decodeDataExact(new Uint8Array([0x11, 0x01, 0x00]))).toThrow(DlmsError);
  });
});
