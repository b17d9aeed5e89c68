import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeCommandResponse,
  encodeCommandResponse,
  openSignedCommand,
  ReadNowResultSchema,
  readNowPointers,
  signCommand,
  type Command,
  type CommandMessageInput,
  type CommandResponse,
} from './commands.js';
import { isWireError, type WireError } from './errors.js';
import { testSigner } from './test-helpers.js';

const aggregator = testSigner('aggregator');
const lookup = (keyId: string) => (keyId === aggregator.keyId ? aggregator.publicKey : undefined);
const now = Date.parse('2024-07-31T10:00:00Z');

function failure(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (isWireError(e)) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

function message(command: Command, overrides: Partial<CommandMessageInput> = {}): CommandMessageInput {
  return {
    id: randomUUID(),
    gatewayId: 'GW1',
    issuedAt: '2024-07-31T09:59:00Z',
    expiresAt: '2024-07-31T10:14:00Z',
    command,
    ...overrides,
  };
}

const commands: Command[] = [
  { type: 'read-now', meterId: 'MTR-20452', registers: ['1.0.1.8.0.255', '1.0.1.8.1.255'], purpose: 'phuc-tra' },
  { type: 'read-now', meterId: 'MTR-20452', purpose: 'on-demand' },
  { type: 'reread-book', bookCode: 'D018328', period: { start: '2024-07-01', end: '2024-07-31' } },
  { type: 'clock-sync', meterId: 'MTR-20451', maxAdjustSeconds: 300 },
  { type: 'clock-sync', maxAdjustSeconds: 60 },
  { type: 'reload-config', expectConfigHash: 'sha256:9f2c1d' },
  { type: 'reload-config' },
];

describe('commands', () => {
  it('round-trips every command, signed by the aggregator', () => {
    for (const command of commands) {
      const m = message(command);
      const bytes = signCommand(m, aggregator.privateKey, aggregator.keyId);
      const opened = openSignedCommand(bytes, lookup, { gatewayId: 'GW1', now });
      expect(opened.command).toEqual({ ...m, v: 1, type: 'command', keyId: aggregator.keyId });
      expect(opened.envelope).toMatchObject({ type: 'command', gatewayId: 'GW1', keyId: aggregator.keyId });
      expect(opened.envelope.seqFrom).toBeUndefined();
    }
  });

  it('refuses a forged command (signed by a gateway key under the aggregator key id)', () => {
    const gw = testSigner('GW1');
    const forged = JSON.parse(new TextDecoder().decode(signCommand(message(commands[0] as Command), gw.privateKey, gw.keyId))) as Record<string, unknown>;
    forged.keyId = aggregator.keyId;
    const bytes = new TextEncoder().encode(JSON.stringify(forged));
    expect(failure(() => openSignedCommand(bytes, lookup, { gatewayId: 'GW1', now })).code).toBe('WIRE_BAD_SIGNATURE');
    const unforged = signCommand(message(commands[0] as Command), gw.privateKey, gw.keyId);
    expect(failure(() => openSignedCommand(unforged, lookup, { gatewayId: 'GW1', now })).code).toBe('WIRE_UNKNOWN_KEY');
  });

  it("refuses another gateway's command and an expired one", () => {
    const bytes = signCommand(message(commands[3] as Command), aggregator.privateKey, aggregator.keyId);
    expect(failure(() => openSignedCommand(bytes, lookup, { gatewayId: 'GW2', now })).code).toBe('WIRE_GATEWAY_MISMATCH');
    expect(failure(() => openSignedCommand(bytes, lookup, { gatewayId: 'GW1', now: Date.parse('2024-07-31T10:14:00Z') })).code).toBe('WIRE_EXPIRED');
    expect(openSignedCommand(bytes, lookup, { gatewayId: 'GW1', now: Date.parse('2024-07-31T10:13:59Z') }).command.id).toBeDefined();
  });

  it('refuses bad commands at the sender and names the path', () => {
    const cases: Array<[CommandMessageInput, string]> = [
      [message({ type: 'clock-sync', maxAdjustSeconds: 0 }), 'command.maxAdjustSeconds'],
      [message({ type: 'read-now', meterId: 'M', purpose: 'curiosity' } as unknown as Command), 'command.purpose'],
      [message({ type: 'read-now', meterId: 'M', registers: ['1.8.0'], purpose: 'phuc-tra' }), 'command.registers[0]'],
      [message({ type: 'self-destruct' } as unknown as Command), 'command.type'],
      [message(commands[6] as Command, { id: 'not-a-uuid' }), 'id'],
      [message(commands[6] as Command, { expiresAt: '2024-07-31T09:00:00Z' }), 'expiresAt'],
      [message(commands[6] as Command, { expiresAt: '2024-08-02T09:59:00Z' }), 'expiresAt'],
    ];
    for (const [m, path] of cases) {
      const e = failure(() => signCommand(m, aggregator.privateKey, aggregator.keyId));
      expect([e.code, e.context.path], e.message).toEqual(['WIRE_MALFORMED', path]);
    }
  });
});

describe('command responses', () => {
  it('round-trips ok and failed responses', () => {
    const ok: CommandResponse = {
      v: 1,
      id: randomUUID(),
      gatewayId: 'GW1',
      ok: true,
      at: '2024-07-31T10:00:09Z',
      result: { readIds: ['GW1|MTR-20452|1.0.1.8.0.255|register|2024-07-31T10:00:05.000Z'], seqTo: 4411 },
    };
    expect(decodeCommandResponse(encodeCommandResponse(ok))).toEqual(ok);
    const failed: CommandResponse = { v: 1, id: randomUUID(), gatewayId: 'GW1', ok: false, error: { code: 'DLMS_AUTH_FAILED', message: 'meter refused the password' } };
    expect(decodeCommandResponse(encodeCommandResponse(failed))).toEqual(failed);
  });

  it('requires an error exactly when not ok', () => {
    const id = randomUUID();
    expect(failure(() => encodeCommandResponse({ v: 1, id, gatewayId: 'GW1', ok: false })).context.path).toBe('error');
    expect(failure(() => encodeCommandResponse({ v: 1, id, gatewayId: 'GW1', ok: true, error: { code: 'X', message: '' } })).context.path).toBe('error');
  });
});

describe('read-now result', () => {
  const readId = 'GW1|MTR-20452|1.0.1.8.0.255|register|2024-07-31T03:00:05.000Z';
  const answer = {
    meterId: 'MTR-20452',
    meterTime: '2024-07-31T03:00:05.000Z',
    registers: [{ obis: '1.0.1.8.0.255', bcs: 'KT', value: '12345.6', unit: 'kWh' }],
    readIds: [readId],
  };

  it('accepts the answer with its read ids, and the older answer without them', () => {
    expect(ReadNowResultSchema.parse(answer)).toEqual(answer);
    const { readIds: _, ...older } = answer;
    expect(ReadNowResultSchema.parse(older)).toEqual(older);
    expect(ReadNowResultSchema.parse({ ...older, meterTime: null }).meterTime).toBeNull();
    // It travels as a command response's result.
    const bytes = encodeCommandResponse({ v: 1, id: randomUUID(), gatewayId: 'GW1', ok: true, result: answer });
    expect(ReadNowResultSchema.parse(decodeCommandResponse(bytes).result)).toEqual(answer);
  });

  it('refuses read ids that are not strings, empty or too long, and a value that is not exact decimal text', () => {
    for (const readIds of [[42], [''], ['x'.repeat(257)], 'one']) {
      const r = ReadNowResultSchema.safeParse({ ...answer, readIds });
      expect(r.success, JSON.stringify(readIds)).toBe(false);
      expect(r.error!.issues[0]!.path[0]).toBe('readIds');
    }
    expect(ReadNowResultSchema.safeParse({ ...answer, registers: [{ ...answer.registers[0], value: 12345.6 }] }).success).toBe(false);
  });

  it('readNowPointers takes each pointer only when well formed, whatever the rest of the answer is', () => {
    expect(readNowPointers(answer)).toEqual({ readIds: [readId], meterTime: answer.meterTime });
    expect(readNowPointers({ meterId: 'M', meterTime: answer.meterTime })).toEqual({ meterTime: answer.meterTime });
    expect(readNowPointers({ readIds: [readId], meterTime: null, extra: true })).toEqual({ readIds: [readId] });
    expect(readNowPointers({ readIds: [readId, 7], meterTime: 'yesterday' })).toEqual({});
    for (const nothing of [undefined, null, 'x', [readId], 3]) expect(readNowPointers(nothing)).toEqual({});
  });

  it("the README's command-response example is a read-now answer with its read ids", () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const json = /<!-- example: command-response -->\s*```json\n([\s\S]*?)```/.exec(readme)?.[1] ?? 'null';
    const result = ReadNowResultSchema.parse((JSON.parse(json) as { result: unknown }).result);
    expect(result.readIds).toHaveLength(result.registers.length);
  });
});
