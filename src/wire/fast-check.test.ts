import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { quickReadBatch, ReadBatchSchema, signBatch } from './batch.js';
import { quickEnvelope, SignedEnvelopeSchema } from './envelope.js';
import { isIsoDate, isIsoDateTime, quickReadRecord } from './fast-check.js';
import { IsoDate, IsoDateTime } from './primitives.js';
import { ReadRecordSchema } from './reads.js';
import { sampleBatch, sampleRead, testSigner } from './test-helpers.js';

/**
 * The hand-written checks may only ever accept what zod accepts, and then return exactly zod's output
 * (same keys, same order, same values). Anything else falls through to zod, which words the refusal.
 */
const gw = testSigner('GW-fast');

function agrees<S extends z.ZodType>(schema: S, quick: (v: unknown) => unknown, value: unknown): void {
  const fast = quick(value);
  const slow = schema.safeParse(value);
  if (fast === undefined || fast === false) return; // zod decides: nothing to compare
  expect(slow.success, `quick accepted what zod refuses: ${slow.error?.issues[0]?.message} in ${JSON.stringify(value).slice(0, 300)}`).toBe(true);
  const out = fast === true ? value : fast;
  expect(JSON.stringify(out)).toBe(JSON.stringify(slow.data));
  expect(out).toStrictEqual(slow.data);
}

/** As a gateway sends it: signBatch serializes zod's output, so keys come in schema order. */
function validBatch(count = 4): Record<string, unknown> {
  const batch = ReadBatchSchema.parse({ v: 1, type: 'reads', ...sampleBatch(gw.gatewayId, 41, count), keyId: gw.keyId });
  return JSON.parse(JSON.stringify(batch)) as Record<string, unknown>;
}

function readsOf(batch: Record<string, unknown>): Record<string, unknown>[] {
  return batch['reads'] as Record<string, unknown>[];
}

/** Values a field may be replaced with: each schema boundary on both sides, wrong types, lookalikes. */
const TRICKY: unknown[] = [
  null, true, false, 0, -0, 1, -1, 1.5, 127, 128, -128, -129, 1_000_000, 1_000_001, 2 ** 53, Number.MAX_SAFE_INTEGER, [], {}, ['ok'],
  '', ' ', 'x', 'A', 'a'.repeat(32), 'a'.repeat(33), 'M'.repeat(64), 'M'.repeat(65), 'r'.repeat(256), 'r'.repeat(257),
  '0', '-0', '00', '01', '1.', '.5', '1e3', '1.50', '-1', '0.0', '0.5', '9'.repeat(40), '9'.repeat(41), ' 1', '1 ',
  '1.0.1.8.0.255', '1.0.1.8.0.256', '01.0.1.8.0.255', '1.0.1.8.0', '1.0.1.8.0.255.1', '1.0.1.8.0.2555',
  'KT', 'kt', 'XX', 'kWh', 'KWH', 'register', 'billing-snapshot', 'bogus', 'reads', 'events', 'command',
  '2024-07-31', '2024-02-29', '2023-02-29', '2024-13-01', '2024-7-31', '20240731', '2024-07-31T17:00:00Z',
  '2024-07-31T17:00:00.123456Z', '2024-07-31T17:00:00+07:00', '2024-07-31T17:00:00+0700', '2024-07-31T17:00:00',
  '2024-07-31T24:00:00Z', '2024-07-31T17:00Z', '2024-07-31 17:00:00Z', '2024-02-29T00:00:00-05:30', '2023-02-29T00:00:00Z',
  'GW-fast', 'GW fast', '-GW', 'g'.repeat(64), 'g'.repeat(65), 'db-7f3a', 'e'.repeat(65), 'pd.01_-', 'PD|01', 'mtr/1',
  gw.keyId, gw.keyId.toUpperCase(), 'QUJD', 'QUJD=', 'QUI=', 'QQ==', 'QQ=', 'Q===', 'QU-D', 'QU_D', 'QU D',
  ['ok', 'ok'], ['ok', 'estimated'], ['ok', 'billing-snapshot'], ['estimated', 'partial'], [], ['nope'], [1],
  ['ok', 'clock-invalid', 'clock-drift', 'estimated', 'billing-snapshot', 'partial', 'rollover', 'reread', 'status-warning', 'ok'],
];

const READ_KEYS = Object.keys(sampleRead(gw.gatewayId));
const BATCH_KEYS = ['v', 'type', 'gatewayId', 'keyId', 'epoch', 'seqFrom', 'seqTo', 'createdAt', 'reads'];
const ENVELOPE_KEYS = ['v', 'type', 'gatewayId', 'keyId', 'seqFrom', 'seqTo', 'payload', 'sig'];

/** One edit of a JSON value: set, delete or add a key, or move a key to the end (another key order). */
type Edit = { op: 'set'; key: string; value: unknown } | { op: 'delete'; key: string } | { op: 'move'; key: string };

function editArb(keys: readonly string[]): fc.Arbitrary<Edit> {
  const key = fc.constantFrom(...keys, 'extra', '__proto__', 'constructor');
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.oneof(fc.constantFrom(...TRICKY), fc.jsonValue({ maxDepth: 1 })) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('move' as const), key }) },
  );
}

/** Applied to the text, as a gateway would send it, then parsed again: `__proto__` becomes an own key. */
function applyEdit(target: Record<string, unknown>, edit: Edit): Record<string, unknown> {
  const entries = Object.entries(target).filter(([k]) => k !== edit.key);
  if (edit.op === 'set') {
    const at = Object.keys(target).indexOf(edit.key);
    entries.splice(at < 0 ? entries.length : at, 0, [edit.key, edit.value]);
  } else if (edit.op === 'move' && edit.key in target) {
    entries.push([edit.key, target[edit.key]]);
  }
  const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
  return JSON.parse(text) as Record<string, unknown>;
}

describe('fast checks agree with the zod schemas', () => {
  it('accept a valid batch as it is, returning zod’s output; leave one with keys in another order to zod', () => {
    const batch = validBatch(10);
    expect(quickReadBatch(batch)).toBe(batch);
    agrees(ReadBatchSchema, quickReadBatch, batch);
    const envelope = JSON.parse(new TextDecoder().decode(signBatch(sampleBatch(gw.gatewayId), gw.privateKey, gw.keyId))) as unknown;
    expect(quickEnvelope(envelope)).toBe(envelope);
    agrees(SignedEnvelopeSchema, quickEnvelope, envelope);
    const reordered = JSON.parse(JSON.stringify({ keyId: gw.keyId, ...batch })) as unknown;
    expect(quickReadBatch(reordered)).toBeUndefined();
    expect(ReadBatchSchema.parse(reordered)).toStrictEqual(batch);
  });

  it('every read field set to every boundary value, deleted or moved: never accepted unless zod accepts it', () => {
    for (const key of [...READ_KEYS, 'extra', '__proto__']) {
      const edits: Edit[] = [{ op: 'delete', key }, { op: 'move', key }, ...TRICKY.map((value): Edit => ({ op: 'set', key, value }))];
      for (const edit of edits) {
        const batch = validBatch(2);
        readsOf(batch)[1] = applyEdit(readsOf(batch)[1]!, edit);
        agrees(ReadRecordSchema, quickReadRecord, readsOf(batch)[1]);
        agrees(ReadBatchSchema, quickReadBatch, batch);
      }
    }
  });

  it('every batch and envelope field set to every boundary value: never accepted unless zod accepts it', () => {
    const envelope = JSON.parse(new TextDecoder().decode(signBatch(sampleBatch(gw.gatewayId), gw.privateKey, gw.keyId))) as Record<string, unknown>;
    for (const [keys, base, schema, quick] of [
      [BATCH_KEYS, validBatch, ReadBatchSchema, quickReadBatch],
      [ENVELOPE_KEYS, () => envelope, SignedEnvelopeSchema, quickEnvelope],
    ] as const) {
      for (const key of [...keys, 'extra']) {
        for (const edit of [{ op: 'delete', key }, { op: 'move', key }, ...TRICKY.map((value) => ({ op: 'set', key, value }))] as Edit[]) {
          agrees(schema, quick, applyEdit(base(), edit));
        }
      }
    }
  });

  it('random edits of read fields: never accepted unless zod accepts them with the same output', () => {
    fc.assert(
      fc.property(fc.array(editArb(READ_KEYS), { minLength: 1, maxLength: 3 }), fc.nat({ max: 3 }), (edits, which) => {
        const batch = validBatch();
        const reads = readsOf(batch);
        reads[which] = edits.reduce(applyEdit, reads[which]!);
        agrees(ReadRecordSchema, quickReadRecord, reads[which]);
        agrees(ReadBatchSchema, quickReadBatch, batch);
      }),
      { numRuns: 3000 },
    );
  });

  it('random edits of batch fields: never accepted unless zod accepts it with the same output', () => {
    fc.assert(
      fc.property(fc.array(editArb(BATCH_KEYS), { minLength: 1, maxLength: 2 }), (edits) => {
        agrees(ReadBatchSchema, quickReadBatch, edits.reduce(applyEdit, validBatch()));
      }),
      { numRuns: 2000 },
    );
  });

  it('batch-level rules: range against count, readId prefix, duplicate readIds, item limits', () => {
    const cases: ((b: Record<string, unknown>) => void)[] = [
      (b) => (b['seqTo'] = 45),
      (b) => (b['seqTo'] = 40),
      (b) => (readsOf(b)[1]!['readId'] = `GW-other|${String(readsOf(b)[1]!['readId']).split('|').slice(1).join('|')}`),
      (b) => (readsOf(b)[2]!['readId'] = readsOf(b)[0]!['readId']),
      (b) => (b['reads'] = []),
      (b) => (b['reads'] = {}),
      (b) => (b['gatewayId'] = 'GW-other'),
    ];
    for (const edit of cases) {
      const batch = validBatch();
      edit(batch);
      expect(quickReadBatch(batch)).toBeUndefined();
      expect(ReadBatchSchema.safeParse(batch).success).toBe(false);
    }
  });

  it('random envelope edits: never accepted unless zod accepts them with the same output', () => {
    const base = JSON.parse(new TextDecoder().decode(signBatch(sampleBatch(gw.gatewayId), gw.privateKey, gw.keyId))) as Record<string, unknown>;
    fc.assert(
      fc.property(fc.array(editArb(ENVELOPE_KEYS), { minLength: 1, maxLength: 3 }), (edits) => {
        agrees(SignedEnvelopeSchema, quickEnvelope, edits.reduce(applyEdit, base));
      }),
      { numRuns: 3000 },
    );
  });

  it('ISO date and date-time checks match zod on tricky and random strings', () => {
    const strings = TRICKY.filter((s): s is string => typeof s === 'string');
    const isoish = fc.stringMatching(/^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,4})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/);
    for (const s of [...strings, ...fc.sample(isoish, { numRuns: 3000, seed: 11 })]) {
      expect(isIsoDateTime(s), s).toBe(IsoDateTime.safeParse(s).success);
      expect(isIsoDate(s), s).toBe(IsoDate.safeParse(s).success);
    }
  });
});
