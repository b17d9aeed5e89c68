import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AckMessageSchema } from './ack.js';
import { ReadBatchSchema, openSignedBatch } from './batch.js';
import { CommandMessageSchema, CommandResponseSchema } from './commands.js';
import { SignedEnvelopeSchema } from './envelope.js';
import { WIRE_ERROR_CODES } from './errors.js';
import { EventBatchSchema, ANOMALY_CODES } from './events.js';
import { KeyRing } from './keys.js';
import { ReadRecordSchema, QUALITY_FLAGS } from './reads.js';
import { HeartbeatMessageSchema, StatusMessageSchema } from './status.js';
import { TOPIC_KINDS } from './topics.js';
import { REFUSAL_REASONS } from './ack.js';

const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');

/** `<!-- example: name -->` followed by a ```json block. */
const examples = new Map<string, string>();
for (const m of readme.matchAll(/<!-- example: ([a-z-]+) -->\s*```json\n([\s\S]*?)```/g)) {
  examples.set(m[1] as string, m[2] as string);
}

const schemas: Record<string, z.ZodType> = {
  'signed-envelope': SignedEnvelopeSchema,
  read: ReadRecordSchema,
  'reads-batch': ReadBatchSchema,
  'events-batch': EventBatchSchema,
  status: StatusMessageSchema,
  heartbeat: HeartbeatMessageSchema,
  ack: AckMessageSchema,
  command: CommandMessageSchema,
  'command-response': CommandResponseSchema,
};

describe('README', () => {
  it('has one example per message', () => {
    expect([...examples.keys()].sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(Object.keys(schemas))('example %s is valid', (name) => {
    const value = JSON.parse(examples.get(name) ?? 'null') as unknown;
    const result = (schemas[name] as z.ZodType).safeParse(value);
    expect(result.success, result.error?.message).toBe(true);
  });

  it('the signed example verifies with the RFC 8032 test key it names', () => {
    const ring = new KeyRing();
    ring.add('TBA-CauGiay-01', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n');
    const bytes = new TextEncoder().encode((examples.get('signed-envelope') ?? '').trim());
    const { batch } = openSignedBatch(bytes, ring.lookup, { gatewayId: 'TBA-CauGiay-01' });
    expect(batch.reads[0]).toEqual(JSON.parse(examples.get('read') ?? ''));
  });

  it('lists every error code, topic kind, quality flag, anomaly code and refusal reason', () => {
    for (const word of [...WIRE_ERROR_CODES, ...TOPIC_KINDS, ...QUALITY_FLAGS, ...ANOMALY_CODES, ...REFUSAL_REASONS]) {
      expect(readme, word).toContain(`\`${word}\``);
    }
  });
});
